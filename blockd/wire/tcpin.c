/* TCP as a Linux server takes a client's segments: those it discards, and its urgent bytes. */
#include "tcpin.h"

/*
 * How far an acknowledgment may lie from the client's first one: a window
 * never spans more (65535 << 14, RFC 7323 2.3), so beyond it, either way,
 * the server has not sent the data acknowledged or holds it acknowledged
 * long ago, and drops the segment (RFC 5961 5.2).
 */
#define ACK_SPAN 0x40000000u

/* PAWS lets a timestamp one tick older through (Linux's TCP_PAWS_WINDOW). */
#define PAWS_WINDOW 1

int
tcpin_check(struct tcpin *t, const struct pkt *p)
{
	unsigned fl = p->tcp_flags, opts = p->tcp_opts;

	/* One test for the options a server drops, which most segments carry none of. */
	if (opts & (PKT_OPT_MD5 | PKT_OPT_AO | PKT_OPT_BAD))
		return (opts & (PKT_OPT_MD5 | PKT_OPT_AO)) ? TCPIN_MD5 : TCPIN_BAD_OPT;
	if (fl & PKT_TCP_SYN)
		return TCPIN_TAKE; /* a retransmitted SYN: the caller's */
	if (!(fl & (PKT_TCP_RST | PKT_TCP_ACK)))
		return TCPIN_NO_ACK;
	/* Timestamps, if both the SYN and p carry them: PAWS, then the newest one kept. */
	int ts = (t->flags & TCPIN_F_TS) && (opts & PKT_OPT_TS);
	if (ts && !(fl & PKT_TCP_RST) && (int32_t)(t->ts_recent - p->tsval) > PAWS_WINDOW)
		return TCPIN_PAWS;
	if (fl & PKT_TCP_ACK) {
		if (!(t->flags & TCPIN_F_ACK)) {
			t->first_ack = p->ack;
			t->flags |= TCPIN_F_ACK;
		} else if (p->ack - t->first_ack >= ACK_SPAN && t->first_ack - p->ack >= ACK_SPAN) {
			return TCPIN_BAD_ACK;
		}
	}
	if (ts && (int32_t)(p->tsval - t->ts_recent) > 0)
		t->ts_recent = p->tsval;
	if (p->paylen > 0)
		t->flags &= (uint16_t)~TCPIN_F_SYNDATA;
	return TCPIN_TAKE;
}

const char *
tcpin_verdict_name(int v)
{
	switch (v) {
	case TCPIN_TAKE:
		return "take";
	case TCPIN_MD5:
		return "md5";
	case TCPIN_PAWS:
		return "paws";
	case TCPIN_NO_ACK:
		return "no-ack";
	case TCPIN_BAD_ACK:
		return "bad-ack";
	case TCPIN_BAD_OPT:
		return "bad-option";
	}
	return "unknown";
}

int
tcpin_urgent(struct tcpin *t, const struct pkt *p, uint32_t next_seq, uint32_t *useq)
{
	if (!(p->tcp_flags & PKT_TCP_URG))
		return 0;
	/* The pointer names the byte after the urgent one (RFC 6093; Linux's tcp_stdurg = 0). */
	uint32_t u = tcpin_data_seq(p) + (p->urg_ptr ? p->urg_ptr - 1u : 0u);
	if ((int32_t)(u - next_seq) < 0)
		return 0;
	if (t->flags & TCPIN_F_URG) {
		if ((int32_t)(u - t->urg_seq) <= 0)
			return 0;
		t->flags |= TCPIN_F_URG2;
	}
	t->flags |= TCPIN_F_URG;
	t->urg_seq = u;
	*useq = u;
	return 1;
}

int
tcpin_ends(const struct pkt *p, uint32_t next_seq)
{
	return p->paylen == 0 && (p->tcp_flags & (PKT_TCP_RST | PKT_TCP_FIN)) && p->seq == next_seq;
}
