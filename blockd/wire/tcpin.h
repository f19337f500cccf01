/* TCP as a Linux server takes a client's segments: those it discards, and its urgent bytes. */
#ifndef BLOCKD_TCPIN_H
#define BLOCKD_TCPIN_H

#include <stdint.h>

#include "pkt.h"
#include "reasm.h"

/*
 * blockd reads a client's stream as the server's stack will deliver it. A
 * segment that stack throws away must not become the stream; where blockd
 * cannot know whether the server keeps it, the caller reads it as one more
 * copy (a blocked name in it still blocks, nothing in it allows). State is
 * one struct per flow, zeroed with the flow; everything here is pure.
 */
struct tcpin {
	uint32_t ts_recent; /* the newest TSval of a segment taken (with TCPIN_F_TS) */
	uint32_t first_ack; /* the client's first ACK number: the server's ISN + 1 */
	uint32_t urg_seq;   /* the sequence number of the last urgent byte (TCPIN_F_URG) */
	uint16_t flags;     /* TCPIN_F_* */
};

#define TCPIN_F_TS  0x01 /* the SYN offered timestamps, so PAWS applies (RFC 7323 5) */
#define TCPIN_F_ACK 0x02 /* first_ack is set */
#define TCPIN_F_URG 0x04 /* an urgent pointer was taken: urg_seq */
#define TCPIN_F_URG2 \
	0x08 /* a second one: which urgent bytes a server drops depends on when it reads */
#define TCPIN_F_SYNDATA 0x10 /* the SYN carried data, and no segment after it has yet */

/* What tcpin_check() says of a segment: taken, or why the server's stack discards it. */
enum tcpin_verdict {
	TCPIN_TAKE = 0,
	TCPIN_MD5,     /* a TCP MD5 signature or TCP-AO option: a server without a key drops it */
	TCPIN_PAWS,    /* a timestamp older than one taken before: PAWS drops it */
	TCPIN_NO_ACK,  /* a segment without ACK after the SYN (neither a RST): dropped */
	TCPIN_BAD_ACK, /* acknowledges data the server cannot have sent, or long acknowledged */
	TCPIN_BAD_OPT, /* an option whose length is wrong: dropped */
};

/*
 * tcpin_syn(): the client's SYN p starts t (zeroed): timestamps offered,
 * data on the SYN. Data on a SYN is kept by a server with Fast Open and a
 * valid cookie, and thrown away by any other (the client sends it again
 * after the handshake): the caller reads it, but must not let it alone
 * decide a flow allowed while TCPIN_F_SYNDATA stays set. Inline: every
 * SYN queued starts one.
 */
static inline void
tcpin_syn(struct tcpin *t, const struct pkt *p)
{
	t->flags = 0;
	if (p->tcp_opts & PKT_OPT_TS) {
		t->flags |= TCPIN_F_TS;
		t->ts_recent = p->tsval;
	}
	if (p->paylen > 0)
		t->flags |= TCPIN_F_SYNDATA;
}

/*
 * tcpin_check(): would a Linux server take p, a later segment of t's flow?
 * Returns an enum tcpin_verdict. A taken segment moves t on (the newest
 * timestamp, the first ACK, the end of SYN data). Pure.
 */
int tcpin_check(struct tcpin *t, const struct pkt *p);

/* tcpin_verdict_name(): "md5", "paws", ... for counters and messages. */
const char *tcpin_verdict_name(int v);

/*
 * tcpin_data_seq(): the sequence number of p's first data byte (one past a
 * SYN's own). Inline: every data segment read asks it.
 */
static inline uint32_t
tcpin_data_seq(const struct pkt *p)
{
	return p->seq + ((p->tcp_flags & PKT_TCP_SYN) ? 1u : 0u);
}

/*
 * tcpin_urgent(): if p (a taken segment) carries an urgent pointer a Linux
 * receiver acts on, sets *useq to the urgent byte's sequence number and
 * returns 1: that byte is left out of the stream (SO_OOBINLINE off, the
 * default), for the caller to give to reasm_oob_tcp() of each of its
 * buffers. next_seq is what the receiver expects next (reasm_next_seq()): a
 * pointer before it, or not after the last one, is ignored, as Linux
 * ignores it (tcp_check_urg()). A second urgent byte sets TCPIN_F_URG2: a
 * server leaves the earlier one in the stream unless it read up to it
 * before the second came, so blockd cannot know which bytes it reads.
 */
int tcpin_urgent(struct tcpin *t, const struct pkt *p, uint32_t next_seq, uint32_t *useq);

/*
 * tcpin_ends(): 1 if p, a RST or FIN without data, ends the stream for the
 * server: it lies exactly at next_seq (RFC 5961: a RST elsewhere only
 * draws a challenge ACK; a FIN elsewhere waits for the bytes before it).
 */
int tcpin_ends(const struct pkt *p, uint32_t next_seq);

#endif
