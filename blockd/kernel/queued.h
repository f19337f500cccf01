/* What the hooks send to the queues: protocol, port, how much of a flow, and which handler judges it. */
#ifndef BLOCKD_QUEUED_H
#define BLOCKD_QUEUED_H

#include <stddef.h>
#include <stdint.h>

#include "base/config.h"

/*
 * Who judges a queued packet (worker.c dispatches on this). The hooks queue
 * by port: DNS on 53, and QUEUED_WEB on the [flows] ports, whose flows get
 * their handler from their first bytes (queued_kind_read()); the flow keeps
 * it (struct flow's app).
 */
enum queued_kind {
	QUEUED_NONE = 0, /* not something the hooks queue, or not a protocol blockd judges */
	QUEUED_DNS_UDP,
	QUEUED_DNS_TCP,
	QUEUED_WEB, /* TCP or UDP to a [flows] port: handler not yet known */
	QUEUED_TLS,
	QUEUED_QUIC,
	QUEUED_HTTP,
};

#define QUEUED_PORTS 0 /* a selector's port: the [flows] ports (struct cfg_ports) */

/*
 * How much of an undecided flow the worker reads before it must decide
 * without a name (the unjudged case): client bytes, counted as conntrack
 * counts them (IP total lengths, headers included), enough for hellos with
 * post-quantum key shares cut into many small segments and for request
 * heads as large as servers take (nginx: 4 x 8 KiB).
 */
#define QUEUED_JUDGE_BYTES 65536
#define QUEUED_PACKET_MAX  65535 /* the largest IP packet the queue hands over */

/*
 * A QUIC client Initial, as the rules find it (hooks_nft.c, hooks_ipt.c):
 * the UDP payload's first byte, masked, gives a long header of the
 * Initial type (v1: type 0; v2, RFC 9369: type 1), and the four bytes
 * after it the version. The rules queue these for every flow of a
 * QUEUED_QUIC selector that is not blocked, decided or not, so that each
 * new connection on the same ports comes to the worker.
 */
#define QUEUED_QUIC_TYPE_MASK  0xb0u /* long header bit and the two type bits */
#define QUEUED_QUIC_INITIAL_V1 0x80u
#define QUEUED_QUIC_INITIAL_V2 0x90u
#define QUEUED_QUIC_V1         0x00000001u
#define QUEUED_QUIC_V2         0x6b3343cfu

/*
 * The server's first record on a TLS flow whose first hello passed while a
 * second may come (hooks.c, mark_hello): a handshake record (type 0x16,
 * version 3.x) whose message is a ServerHello (type 2), and, 11 bytes in,
 * the first 8 bytes of its random, which a HelloRetryRequest fixes (RFC
 * 8446 4.1.3). A ServerHello that is no HelloRetryRequest commits the server
 * to the first hello.
 */
#define QUEUED_TLS_RECORD_HELLO 0x1603u /* record type and version major */
#define QUEUED_TLS_SERVER_HELLO 0x02u
#define QUEUED_TLS_HRR_HEAD     0xcf21ad74e59a6111ull

/* One selector: client packets to (proto, port), and how much of a flow. */
struct queued {
	uint8_t proto;  /* IPPROTO_UDP or IPPROTO_TCP */
	uint16_t port;  /* destination port, or QUEUED_PORTS */
	unsigned bytes; /* client bytes of a flow queued at most (ct original bytes); 0: all */
	int kind;       /* enum queued_kind */
};

/*
 * queued_table(): every selector, in the order the rules test them (both
 * backends render one rule per selector, a QUEUED_PORTS one for the
 * configured ports; one with bytes also queues, marked late, the packets of
 * a flow past them that is still undecided); *n gets their count. Static
 * data.
 */
const struct queued *queued_table(size_t *n);

/*
 * queued_kind(): who judges a client packet to (proto, port), ports being
 * the [flows] ports; QUEUED_NONE if none. Pure.
 */
int queued_kind(const struct cfg_ports *ports, int proto, uint16_t port);

/*
 * queued_kind_read(): the handler for what a flow's first bytes start
 * (a wire/sniff.h result): QUEUED_TLS, QUEUED_HTTP, QUEUED_QUIC, or
 * QUEUED_NONE (SNIFF_NONE, SNIFF_MORE). Pure.
 */
int queued_kind_read(int sniff);

/*
 * queued_bytes(): how many client bytes of a flow of that kind the rules
 * queue at most, as conntrack counts them (0: every packet); a handler
 * picked by the first bytes has its selector's. Pure.
 */
unsigned queued_bytes(int kind);

/*
 * queued_judge_bytes(): the worker's budget for a flow of that kind (0:
 * none): once the client bytes it has seen reach it, it decides. The rules
 * queue one largest packet more, so the packet that reaches it is always
 * shown. Pure.
 */
unsigned queued_judge_bytes(int kind);

/*
 * Of a TCP web flow's client segments within its first bytes, the rules
 * queue those that carry data or one of these flags (SYN, FIN, RST:
 * PKT_TCP_SYN | PKT_TCP_FIN | PKT_TCP_RST), and let the others (an ACK
 * without data: the handshake's last, or one of the server's data) pass:
 * the SYN brings the client's initial sequence number, TTL and timestamp
 * (reassembly and the checks of wire/tcpin.h), data is what is read, and a
 * FIN or RST ends what the worker follows; a bare ACK brings nothing the
 * worker reads. Past the first bytes, every packet of a flow still
 * undecided is queued, marked late, as before.
 */
#define QUEUED_TCP_FLAGS 0x07u

/*
 * queued_web_tcp(): 1 if the rules queue a client segment of a web flow
 * (TCP to a [flows] port, within its first bytes) with these flags
 * (PKT_TCP_*) and paylen bytes of data. Pure.
 */
int queued_web_tcp(uint8_t tcp_flags, size_t paylen);

/* queued_proto_name(): "udp" or "tcp", as nft and iptables spell them. */
const char *queued_proto_name(int proto);

#endif
