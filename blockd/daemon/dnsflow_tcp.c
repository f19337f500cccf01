/* DNS over TCP port 53: the client's stream read as the server reads it, every query judged. */
#include <linux/netfilter.h>
#include <string.h>

#include "evlog/event.h"
#include "kernel/queued.h"
#include "match/match.h"
#include "wire/dns.h"
#include "wire/flow.h"
#include "wire/pkt.h"
#include "wire/reasm.h"
#include "wire/tcpin.h"
#include "dnsflow.h"
#include "judge.h"
#include "webflow_int.h"
#include "worker.h"

#define DNS_TCP_OUT 4096 /* answers to the queries a blocked segment completes */
#define DNS_HEAD_IN 512  /* a message's first bytes, enough for its header and question */

/* What one reading of a flow's stream holds at the start of its window. */
struct dns_read {
	size_t end;     /* bytes of whole messages, read */
	size_t long_at; /* where a message too long for the window starts, read by its start */
	uint64_t skip;  /* ... and where it ends (0: none) */
	int blocked;    /* a query among them names a blocked name */
};

/* A message's 2-byte length at d. */
static size_t
msg_len(const uint8_t *d)
{
	return (size_t)d[0] << 8 | d[1];
}

/* 1 if msg is a query for a blocked name; count: the flow's own reading, counted. */
static int
judge_msg(
    struct worker *w, const struct match_snapshot *snap, const uint8_t *msg, size_t len, int count)
{
	struct dns_query q;
	struct match_hit hit;
	char ede[DNS_EDE_TEXT_MAX + 1];

	int st = dns_query_parse(msg, len, &q);
	if (st != DNS_OK) {
		if (count && st == DNS_ODD_NAME)
			CNT(w, dns_odd_name);
		else if (count)
			CNT(w, dns_bad);
		return 0;
	}
	if (count)
		CNT(w, dns_queries);
	return dnsflow_lookup(w, snap, &q, &hit, ede, sizeof(ede)) == MATCH_BLOCK;
}

/*
 * Reads the messages at the start of r's window, as the server will: each
 * whole one is judged; one longer than the window (a query with 16 KiB of
 * bytes after its records) is judged by its start once that holds its
 * question, and the rest of it skipped. A message shorter than a DNS
 * header is no query (Unbound closes the connection on it; a lenient
 * server reads on): it is counted and passed over.
 */
static void
read_msgs(struct worker *w, const struct match_snapshot *snap, const struct reasm *r, int count,
    struct dns_read *rd)
{
	const uint8_t *d = reasm_data(r);
	size_t n = reasm_contig(r), off = 0;

	memset(rd, 0, sizeof(*rd));
	while (n - off >= 2) {
		size_t l = msg_len(d + off);
		if (2 + l > REASM_MAX) {
			size_t have = n - off - 2;
			struct dns_query q;
			if (dns_query_parse(d + off + 2, have, &q) == DNS_MALFORMED &&
			    have < DNS_HEAD_IN)
				break; /* its question may still come */
			rd->blocked |= judge_msg(w, snap, d + off + 2, have, count);
			rd->long_at = off;
			rd->skip = off + 2 + l;
			if (count)
				CNT(w, dns_tcp_unheld);
			break;
		}
		if (n - off - 2 < l)
			break;
		rd->blocked |= judge_msg(w, snap, d + off + 2, l, count);
		off += 2 + l;
		rd->end = off;
	}
}

/* r's window moves past what rd read; 1 if it moved. */
static int
consume(struct reasm *r, const struct dns_read *rd)
{
	if (rd->skip) {
		reasm_skip(r, rd->skip);
		return 1;
	}
	reasm_consume(r, rd->end);
	return rd->end > 0;
}

/*
 * One answer into out[*len..cap) for the query msg (len bytes): blocked,
 * the blocking answer (logged); otherwise SERVFAIL, so the client asks
 * again. Nothing for a message that is no query.
 */
static void
answer_one(struct worker *w, const struct match_snapshot *snap, const struct pkt *p,
    const uint8_t *msg, size_t mlen, uint8_t *out, size_t *len, size_t cap)
{
	struct dns_query q;
	struct match_hit hit;
	char ede[DNS_EDE_TEXT_MAX + 1];
	size_t alen = 0;

	if (*len + 2 >= cap)
		return;
	int st = dns_query_parse(msg, mlen, &q);
	if (st != DNS_OK && st != DNS_ODD_NAME)
		return;
	if (st == DNS_OK && dnsflow_lookup(w, snap, &q, &hit, ede, sizeof(ede)) == MATCH_BLOCK) {
		if (dns_query_verify(msg, mlen, &q) == -1) {
			CNT(w, dns_verify_failed);
			return;
		}
		struct dns_block b = w->block;
		b.ede_text = ede;
		alen = dns_answer_block(&q, &b, out + *len + 2, cap - *len - 2);
		if (alen) {
			CNT(w, dns_blocked);
			dnsflow_emit(w, snap, &hit, p, &q);
		}
	} else {
		alen = dns_answer_servfail(&q, out + *len + 2, cap - *len - 2);
	}
	if (alen == 0)
		return;
	out[*len] = (uint8_t)(alen >> 8);
	out[*len + 1] = (uint8_t)alen;
	*len += 2 + alen;
}

/*
 * A query the segment p completes in reading r (rd) is blocked: every query
 * it completes is answered in the stream (the blocked ones with the blocking
 * answer, the others SERVFAIL: the server never gets them whole), then the
 * client's side is closed and the server's reset at next. p is dropped, and
 * so is whatever the flow sends later.
 */
static int
block(struct worker *w, const struct match_snapshot *snap, struct flow *f, const struct pkt *p,
    const struct reasm *r, const struct dns_read *rd, uint32_t next)
{
	uint8_t out[DNS_TCP_OUT];
	size_t len = 0, off = 0;
	uint32_t mark; /* DNS flows are never marked (see dnsflow_tcp()) */

	const uint8_t *d = reasm_data(r);
	while (off < rd->end) {
		size_t l = msg_len(d + off);
		answer_one(w, snap, p, d + off + 2, l, out, &len, sizeof(out));
		off += 2 + l;
	}
	if (rd->skip)
		answer_one(w, snap, p, d + rd->long_at + 2, reasm_contig(r) - rd->long_at - 2, out,
		    &len, sizeof(out));
	judge_answer_tcp(w, p, out, len, next);
	(void)wf_block(w, f, &mark);
	return NF_DROP;
}

/* v, the verdict wf_*() gave without a mark: a blocked flow's packet is dropped here. */
static int
unmarked(const struct flow *f, int v)
{
	return f->verdict == FLOW_BLOCKED ? NF_DROP : v;
}

/*
 * p judged alone in the scratch buffer s, for a client over its share:
 * whole queries are judged, and if they are all p holds, the flow's
 * stream moves past them; a query cut by p's end, or p out of order, drops
 * p for the client to send again (wf_alone_failed()).
 */
static int
judge_alone(struct worker *w, const struct match_snapshot *snap, struct flow *f,
    const struct pkt *p, struct reasm *s, int low, uint32_t next)
{
	struct dns_read rd;
	uint32_t mark;

	if (wf_stream_add(f, s, p) == 0 && s->high == 0)
		return NF_ACCEPT; /* bytes read already, or the rest of a message skipped */
	read_msgs(w, snap, s, 1, &rd);
	if (rd.blocked)
		return block(w, snap, f, p, s, &rd, next);
	uint64_t used = rd.skip ? rd.skip : rd.end;
	if (used == 0 || (!rd.skip && s->high != rd.end))
		return unmarked(f, wf_alone_failed(w, f, p, EV_DNS, next, &mark));
	if (!low && !wf_is_scratch(w, f))
		f->client_isn += (uint32_t)used;
	return NF_ACCEPT;
}

/* Between queries a connection gives its buffer back, as an idle HTTP one does. */
static void
give_back_idle(struct worker *w, struct flow *f, struct reasm *s)
{
	if (f->alt != NULL || reasm_contig(s) != 0 || s->high != 0)
		return;
	f->client_isn += (uint32_t)s->base;
	wf_release(w, f);
	CNT(w, streams_returned);
}

/*
 * Port 53 over TCP. The client's stream is put together as the server's
 * stack puts it (flow.h, tcpin.h) and each length-prefixed message read
 * once whole (RFC 7766: many per connection, pipelined); the segment that
 * completes a blocked query is dropped and the query answered in the
 * stream. Where segments disagree (FLOW_F_EVASIVE) the stream is read from
 * the first copy of each byte and from the last: a blocked query in either
 * blocks; a doubtful segment (below the flow's TTL, or one the server's
 * stack discards) is read in the last-copy reading alone. Every packet of
 * the connection is queued (queued.c), and the flow is never marked, so
 * every query of it is judged.
 */
int
dnsflow_tcp(struct worker *w, const struct match_snapshot *snap, const struct pkt *p)
{
	uint32_t mark;

	struct flow *f = wf_tcp_flow(w, p, QUEUED_DNS_TCP);
	if (f == NULL)
		return NF_ACCEPT;
	if (f->verdict == FLOW_BLOCKED) {
		CNT(w, flow_dropped);
		return NF_DROP;
	}
	if (f->verdict == FLOW_ALLOWED)
		return NF_ACCEPT; /* decided unjudged */
	int low = wf_doubtful(w, f, p);
	if (p->paylen == 0) {
		if ((p->tcp_flags & (PKT_TCP_RST | PKT_TCP_FIN)) && !low && !wf_is_scratch(w, f) &&
		    tcpin_ends(p, wf_next_seq(f)))
			flow_remove(w->flows, f);
		return NF_ACCEPT;
	}
	int alone;
	struct reasm *s = wf_stream_for(w, f, &alone);
	if (s == NULL)
		return unmarked(
		    f, wf_unjudged(w, f, p, EV_DNS, JUDGE_NO_BUFFER, wf_next_seq(f), &mark));
	uint32_t next = wf_server_next(f, s);
	if (alone)
		return judge_alone(w, snap, f, p, s, low, next);
	if (!low)
		wf_urgent(w, f, p);
	int add = low ? 0 : wf_stream_add(f, s, p), adda = 0;
	if (low || (add & REASM_CONFLICT)) {
		if (!(f->flags & FLOW_F_EVASIVE))
			CNT(w, dns_evasive);
		f->flags |= FLOW_F_EVASIVE;
		if (wf_stream_alt(w, f) == NULL)
			return unmarked(
			    f, wf_unjudged(w, f, p, EV_DNS, JUDGE_NO_BUFFER, next, &mark));
	}
	if (f->alt != NULL)
		adda = wf_stream_add(f, f->alt, p);

	struct dns_read rs, ra;
	for (;;) {
		read_msgs(w, snap, s, 1, &rs);
		if (rs.blocked)
			return block(w, snap, f, p, s, &rs, next);
		if (f->alt != NULL) {
			read_msgs(w, snap, f->alt, 0, &ra);
			if (ra.blocked)
				return block(w, snap, f, p, f->alt, &ra, next);
		}
		if (f->tcp.flags & TCPIN_F_SYNDATA) {
			/* Data on the SYN, which the server may throw away: kept, to compare its copy. */
			CNT(w, tcp_syn_data);
			return NF_ACCEPT;
		}
		int moved = consume(s, &rs);
		if (f->alt != NULL)
			moved |= consume(f->alt, &ra);
		if (!((add | adda) & REASM_TRUNCATED))
			break;
		if (!moved) {
			/* p reaches past a window that cannot move yet: sent again later. */
			CNT(w, dns_tcp_unheld);
			return NF_DROP;
		}
		/* The window moved: the rest of p goes in now. */
		add = low ? 0 : wf_stream_add(f, s, p);
		adda = f->alt != NULL ? wf_stream_add(f, f->alt, p) : 0;
	}
	if (reasm_contig(s) != 0 || s->high != 0)
		CNT(w, dns_tcp_partial);
	give_back_idle(w, f, s);
	return NF_ACCEPT;
}
