/* What the hooks send to the queues: protocol, port, how much of a flow, and which handler judges it. */
#ifndef BLOCKD_QUEUED_H
#define BLOCKD_QUEUED_H

#include <stddef.h>
#include <stdint.h>

/* Who judges a queued packet (worker.c dispatches on this). */
enum queued_kind {
	QUEUED_NONE = 0, /* not something the hooks queue */
	QUEUED_DNS_UDP,
	QUEUED_DNS_TCP,
	QUEUED_TLS,
	QUEUED_QUIC,
	QUEUED_HTTP,
};

/* One selector: client packets to (proto, port), and how many of a flow's. */
struct queued {
	uint8_t proto;    /* IPPROTO_UDP or IPPROTO_TCP */
	uint16_t port;    /* destination port */
	unsigned packets; /* client packets of a flow queued at most; 0: every packet */
	int kind;         /* enum queued_kind */
};

/*
 * queued_table(): every selector, in the order the rules test them (both
 * backends render one rule per selector); *n gets their count. Static data.
 */
const struct queued *queued_table(size_t *n);

/* queued_kind(): who judges a client packet to (proto, port); QUEUED_NONE if none. Pure. */
int queued_kind(int proto, uint16_t port);

/*
 * queued_packets(): how many client packets of a flow of that kind the rules
 * queue at most (0: every packet). Pure.
 */
unsigned queued_packets(int kind);

/* queued_proto_name(): "udp" or "tcp", as nft and iptables spell them. */
const char *queued_proto_name(int proto);

#endif
