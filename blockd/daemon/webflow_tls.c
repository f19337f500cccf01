/* TLS on TCP 443: a ClientHello read as the server reads it, its name judged, a blocked flow reset. */
#include <linux/netfilter.h>
#include <stdio.h>
#include <string.h>

#include "base/config.h"
#include "evlog/event.h"
#include "kernel/queued.h"
#include "match/match.h"
#include "wire/flow.h"
#include "wire/pkt.h"
#include "wire/reasm.h"
#include "wire/tcpin.h"
#include "wire/tls.h"
#include "collateral.h"
#include "judge.h"
#include "webflow.h"
#include "webflow_int.h"
#include "worker.h"

/*
 * app_data[0] of a TLS flow whose first hello passed while a second may
 * come: its buffer kept (TLS_WAIT_RETRY), or let go with nothing read past
 * the hello (TLS_WAIT_AWAY): as webflow_http.c's give_back_idle() does, the
 * stream's position then moves into the flow's initial sequence number, so
 * a buffer taken later starts at the hello's end; unless the hello's bytes
 * come again (TLS_WAIT_COPY: the position moved back, read anew from the
 * stream's start, hello_copy()).
 */
#define TLS_WAIT_RETRY 1
#define TLS_WAIT_AWAY  2
#define TLS_WAIT_COPY  3
#define TLS_EARLY_BIT  (1ull << 63) /* app_data[1]: the first hello's end, and early_data offered */
/* app_data[2]: 1 once the flow was handed to the rules with mark_hello (counted). */
/* app_data[3]: TLS_WAIT_AWAY: how far the initial sequence number moved (the hello's bytes). */

/* f waits for a second hello, with its buffer or without. */
static inline int
waits_retry(const struct flow *f)
{
	return f->app_data[0] == TLS_WAIT_RETRY || f->app_data[0] == TLS_WAIT_AWAY;
}

/* The stream offset at which f's first hello ends. */
static inline uint64_t
hello_end(const struct flow *f)
{
	return f->app_data[1] & ~TLS_EARLY_BIT;
}

/*
 * What tls_parse_retry() reads of f's first hello, kept in app_data[1]
 * while the flow waits for a second one: its end in the stream (0 once the
 * stream's position moved there), and whether it offered early data. The
 * hello's bytes stay as they were read (the stream keeps each byte's first
 * copy), so reading them again would give the same.
 */
static void
first_hello(const struct flow *f, struct tls_hello *h)
{
	memset(h, 0, sizeof(*h));
	h->tls13 = 1;
	h->end = (size_t)hello_end(f);
	h->early_data = (f->app_data[1] & TLS_EARLY_BIT) != 0;
}

/* 1 if p brings bytes of f's first hello, before the position it moved to (TLS_WAIT_AWAY). */
static int
touches_hello(const struct flow *f, const struct pkt *p)
{
	int64_t at = (int32_t)(tcpin_data_seq(p) - (f->client_isn + 1));
	return at < 0 && at + (int64_t)p->paylen > -(int64_t)f->app_data[3];
}

/* r is a ClientHello read to its end (or as far as it will go). */
static int
is_hello(int r)
{
	return r == TLS_SNI || r == TLS_NO_SNI || r == TLS_ECH;
}

/*
 * 1 if h (from parse result r) carries a server_name the list blocks; hit
 * filled in. A name blockd cannot match whole (odd_name) is blocked by the
 * labels at its right that it can match.
 */
_Static_assert(TLS_SNI_PAD >= MATCH_NAME_SLACK, "the hello's name has the slack the matcher reads");

static inline int
name_blocked(struct worker *w, const struct match_snapshot *snap, int r, const struct tls_hello *h,
    struct match_hit *hit)
{
	if (!is_hello(r) || snap == NULL)
		return 0;
	/* A name of labels alone comes lowercased and split: not checked again. */
	if (h->has_sni && h->nlab > 0)
		return match_domain_labels(
			   snap, h->sni, h->sni_len, h->lab, h->nlab, w->now, hit) == MATCH_BLOCK;
	return (h->has_sni || (h->odd_name && h->sni_len > 0)) &&
	    match_domain(snap, h->sni, h->sni_len, w->now, hit) == MATCH_BLOCK;
}

/* f's hello h names a blocked name (hit): reset both ways (at next), logged, the flow blocked. */
static int
reset_named(struct worker *w, const struct match_snapshot *snap, struct flow *f,
    const struct pkt *p, const struct match_hit *hit, const struct tls_hello *h, uint32_t next,
    uint32_t *mark)
{
	CNT(w, tls_blocked);
	judge_reset(w, p, next);
	wf_emit(w, snap, hit, EV_TLS, EV_RESET, p, h->sni, h->sni_len);
	return wf_block(w, f, mark);
}

/*
 * f's first hello h, ending at stream offset end, allowed it, and nothing
 * is read past it: the flow waits for a second without a buffer (its own
 * goes back to the pool), and p carries mark_hello (wait_retry()).
 */
static int
wait_away(struct worker *w, struct flow *f, const struct tls_hello *h, uint64_t end, uint32_t *mark)
{
	wf_release(w, f);
	f->client_isn += (uint32_t)end;
	f->app_data[3] = end;
	f->app_data[0] = TLS_WAIT_AWAY; /* the first hello is judged and counted */
	f->app_data[1] =
	    h->early_data ? TLS_EARLY_BIT : 0; /* it ends where the stream now starts */
	if (f->app_data[2] == 0)
		CNT(w, tls_hello_waits); /* once a flow, whatever comes again */
	f->app_data[2] = 1;
	*mark = w->cfg->mark_hello;
	return NF_ACCEPT;
}

/*
 * f's first hello h allowed it, and no second hello is read in s yet
 * (tls_parse_retry() needs more): it waits for the client's next records,
 * unless no more of them will be queued or read. With nothing read past
 * the hello (most often), the buffer goes back to the pool and p carries
 * mark_hello: the rules let the flow go when the server answers with a
 * ServerHello, so the client's next records come only after a
 * HelloRetryRequest, or where the server's side does not pass here; the
 * stream then resumes at the hello's end. Records past the hello read from
 * the worker's scratch buffer (s, the client over its share) and cut short
 * cannot be kept: p is dropped for the client to send again.
 */
static int
wait_retry(struct worker *w, struct flow *f, const struct pkt *p, const struct reasm *s,
    const struct tls_hello *h, uint32_t next, uint32_t *mark)
{
	if (wf_last_queued(f) || reasm_contig(s) >= reasm_size(s))
		return wf_allow(w, f, mark);
	uint64_t end = s->base + h->end;
	if (s->high == s->contig && s->base + s->contig == end && f->alt == NULL &&
	    !(s->flags & (REASM_F_OOB | REASM_F_CONFLICT)))
		return wait_away(w, f, h, end, mark);
	f->app_data[1] = end | (h->early_data ? TLS_EARLY_BIT : 0);
	if (s != f->stream)
		return wf_alone_failed(w, f, p, EV_TLS, next, mark);
	f->app_data[0] = TLS_WAIT_RETRY;
	return NF_ACCEPT;
}

/*
 * hello_over() with bytes after f's first hello h in s: a second hello
 * there is judged as the first. Out of line: its frame is set up only then.
 */
static __attribute__((noinline)) int
retry_read(struct worker *w, const struct match_snapshot *snap, struct flow *f, const struct pkt *p,
    const struct reasm *s, const struct tls_hello *h, uint32_t next, uint32_t *mark)
{
	struct tls_hello h2;
	struct match_hit hit;

	int r2 = tls_parse_retry(reasm_data(s), reasm_contig(s), h, 0, &h2);
	if (name_blocked(w, snap, r2, &h2, &hit))
		return reset_named(w, snap, f, p, &hit, &h2, next, mark);
	return r2 == TLS_NEED_MORE ? wait_retry(w, f, p, s, h, next, mark) : wf_allow(w, f, mark);
}

/*
 * f's first hello h (read whole from s, unless cut) allows the flow. A
 * client that offered TLS 1.3 sends a second hello if the server answers
 * with a HelloRetryRequest, and that one may name another server: the flow
 * stays undecided until the client's next records show whether one comes
 * (tls_parse_retry()), and a second hello is judged as the first. With
 * nothing stored after the first hello (most often), tls_parse_retry()
 * would find no record to read and need more: it is not asked.
 */
static inline int
hello_over(struct worker *w, const struct match_snapshot *snap, struct flow *f, const struct pkt *p,
    const struct reasm *s, const struct tls_hello *h, int cut, uint32_t next, uint32_t *mark)
{
	if (cut || !h->tls13)
		return wf_allow(w, f, mark);
	if (h->end == 0 || reasm_contig(s) > h->end)
		return retry_read(w, snap, f, p, s, h, next, mark);
	return wait_retry(w, f, p, s, h, next, mark);
}

/*
 * f's first hello passed and its buffer went back, and bytes of that hello
 * come again, read into s from the stream's start: a retransmission, or a
 * copy that differs from the one read (which may never have reached the
 * server). As for copies that disagree, a blocked name in either resets.
 * A whole hello naming none, as the one judged, lets the flow wait for a
 * second as after the first (hello_over()); a copy cut short waits for the
 * rest in f's buffer, and one read alone (s is the scratch buffer) is
 * dropped for the client to send again; what is no hello leaves the flow
 * waiting as it was.
 */
static int
hello_copy(struct worker *w, const struct match_snapshot *snap, struct flow *f, const struct pkt *p,
    struct reasm *s, int alone, uint32_t next, uint32_t *mark)
{
	struct tls_hello h;
	struct match_hit hit;
	int r = tls_parse_client_hello(reasm_data(s), reasm_contig(s), TLS_PARTIAL_OK, &h);

	CNT(w, tls_after_hello);
	if (name_blocked(w, snap, r, &h, &hit))
		return reset_named(w, snap, f, p, &hit, &h, next, mark);
	if (is_hello(r) && !h.truncated) {
		if (!((r == TLS_SNI || r == TLS_ECH) && h.has_sni) &&
		    w->cfg->no_sni == CFG_NOSNI_BLOCK) {
			CNT(w, tls_no_sni_blocked);
			judge_reset(w, p, next);
			return wf_block(w, f, mark);
		}
		f->app_data[0] = 0;
		return hello_over(w, snap, f, p, s, &h, 0, next, mark);
	}
	if (r == TLS_NOT_TLS || r == TLS_MALFORMED) {
		first_hello(f, &h);
		return wait_away(w, f, &h, hello_end(f), mark);
	}
	if (wf_last_queued(f))
		return wf_unjudged(w, f, p, EV_TLS, JUDGE_QUEUE_END, next, mark);
	if (alone)
		return wf_alone_failed(w, f, p, EV_TLS, next, mark);
	return NF_ACCEPT;
}

/*
 * f waits for a second hello. 1 if p's own records show that none comes,
 * as tls_parse_retry() would read them from the stream: p must bring the
 * stream's next bytes, which start right after the first hello's record
 * (nothing read past it yet: no buffer, or one with nothing stored ahead
 * of p; no urgent byte taken out of the stream or in p), so that p's bytes
 * are the ones it reads, from their start. 0 leaves p to the stream: a
 * handshake record (a second hello), a record p cuts off, any other
 * segment. One longer than the buffer holds is decided alike either way:
 * the stream's reader allows a flow whose buffer filled (hello_over()).
 */
static int
retry_done(const struct flow *f, const struct pkt *p)
{
	const struct reasm *s = f->stream;
	uint64_t end = hello_end(f);
	size_t at;

	if (p->paylen == 0 || (p->tcp_flags & (PKT_TCP_SYN | PKT_TCP_RST | PKT_TCP_URG)) ||
	    f->alt != NULL || p->seq != f->client_isn + 1 + (uint32_t)end)
		return 0;
	if (s == NULL ? f->app_data[0] != TLS_WAIT_AWAY
		      : (s->flags & (REASM_F_OOB | REASM_F_TRUNCATED)) || s->high != s->contig ||
		    s->base + s->contig != end)
		return 0;
	return tls_skip_records(
		   p->payload, p->paylen, 0, (f->app_data[1] & TLS_EARLY_BIT) != 0, &at) != NULL;
}

/*
 * p, a client segment of f (a TLS flow in the table, just looked up for
 * p), is the usual one after an allowed TLS 1.3 hello: its records show
 * that no second hello comes (retry_done()), and the server's stack takes
 * it (what wf_doubtful() asks: not below the flow's TTL, tcpin_check()).
 * Then f is allowed at once, p counted as wf_tcp_flow() counts it, its
 * bytes not copied into the stream that is let go. -1 leaves p to
 * webflow_tls(), which asks tcpin_check() again: for a segment it did not
 * take it changed nothing, and one it took it takes again as it is.
 */
int
wf_tls_next(struct worker *w, struct flow *f, const struct pkt *p, uint32_t *mark)
{
	if (!waits_retry(f) || f->verdict != FLOW_UNDECIDED || p->ttl < f->ttl ||
	    !retry_done(f, p) || tcpin_check(&f->tcp, p) != TCPIN_TAKE)
		return -1;
	f->app_state += (uint32_t)p->l3len;
	CNT(w, tls_after_hello);
	return wf_allow(w, f, mark);
}

/*
 * The usual first hello: one handshake record, alone and whole in p, the
 * flow's first data segment, which the server's stack takes as it is (the
 * caller found it not doubtful; no urgent byte, no SYN data, nothing of the
 * flow read or stored before). The stream would hold p's bytes and nothing
 * else, so they are read where they are and no buffer is taken; the
 * verdict is the one webflow_tls() reaches from the stream. -1 leaves p to
 * the stream: any other segment, a hello longer than its record.
 */
static int
hello_in_segment(struct worker *w, const struct match_snapshot *snap, struct flow *f,
    const struct pkt *p, uint32_t *mark)
{
	const uint8_t *b = p->payload;
	size_t n = p->paylen;

	if (f->stream != NULL || f->alt != NULL || f->app_data[0] != 0 ||
	    (f->flags & FLOW_F_EVASIVE) || (f->tcp.flags & TCPIN_F_SYNDATA) ||
	    (p->tcp_flags & (PKT_TCP_SYN | PKT_TCP_URG)) || wf_is_scratch(w, f) ||
	    p->seq != f->client_isn + 1 || n < 9 || n > REASM_MAX || b[0] != TLS_RECORD_HANDSHAKE ||
	    ((size_t)b[3] << 8 | b[4]) + 5 != n)
		return -1;
	struct tls_hello h;
	struct match_hit hit;
	int r = tls_parse_client_hello(b, n, 0, &h);
	if (r == TLS_NEED_MORE)
		return -1;
	if (r == TLS_NOT_TLS || r == TLS_MALFORMED) {
		CNT(w, tls_not_tls);
		return wf_allow(w, f, mark);
	}
	CNT(w, tls_hellos);
	if (r == TLS_ECH)
		CNT(w, tls_ech);
	collateral_seen(w, snap, p, EV_TLS, h.has_sni ? h.sni : NULL, h.sni_len);
	if (name_blocked(w, snap, r, &h, &hit))
		return reset_named(w, snap, f, p, &hit, &h, p->seq, mark);
	if (!((r == TLS_SNI || r == TLS_ECH) && h.has_sni)) {
		CNT(w, tls_no_sni);
		if (w->cfg->no_sni == CFG_NOSNI_BLOCK) {
			CNT(w, tls_no_sni_blocked);
			judge_reset(w, p, p->seq);
			return wf_block(w, f, mark);
		}
	}
	if (!h.tls13 || wf_last_queued(f))
		return wf_allow(w, f, mark);
	return wait_away(w, f, &h, h.end, mark);
}

/*
 * Port 443. A hello whose segments disagreed (FLOW_F_EVASIVE) is read
 * twice, from the first copy of each byte (what the stream keeps, and what
 * the server's TCP keeps for bytes it had in order) and from the last copy
 * (flow_stream_alt()): a blocked name in either resets the connection.
 * Otherwise such a hello, like one without a name, follows no_sni: a third
 * copy may have reached the server. A hello still unfinished at the last
 * packet the queue rules send follows unjudged, unless its name was seen
 * already. A segment below the flow's TTL (low_ttl()) goes to the
 * last-copy reading alone: there a blocked name still resets, but nothing
 * it says allows.
 */
int
webflow_tls(
    struct worker *w, const struct match_snapshot *snap, const struct pkt *p, uint32_t *mark)
{
	*mark = 0;
	struct flow *f = wf_tcp_flow(w, p, QUEUED_TLS);
	if (f == NULL)
		return NF_ACCEPT;
	if (f->verdict != FLOW_UNDECIDED)
		return wf_decided(w, f, mark);
	int low = wf_doubtful(w, f, p);
	if (p->paylen == 0 && (p->tcp_flags & (PKT_TCP_RST | PKT_TCP_FIN))) {
		if (!low && !wf_is_scratch(w, f) && tcpin_ends(p, wf_next_seq(f)))
			flow_remove(w->flows, f);
		return NF_ACCEPT;
	}
	if (p->paylen == 0 && !wf_last_queued(f))
		return NF_ACCEPT;
	if (!low) {
		int v = hello_in_segment(w, snap, f, p, mark);
		if (v != -1)
			return v;
	}
	int alone;
	struct reasm *s = wf_stream_for(w, f, &alone);
	if (s == NULL)
		return wf_unjudged(w, f, p, EV_TLS, JUDGE_NO_BUFFER, p->seq, mark);
	int copy = f->app_data[0] == TLS_WAIT_COPY;
	if (f->app_data[0] == TLS_WAIT_AWAY) {
		/*
		 * A buffer taken anew starts where the first hello ended; for
		 * the hello's bytes again, the position moves back to its start
		 * (hello_copy()), also for one read alone.
		 */
		if ((copy = touches_hello(f, p)) != 0) {
			f->client_isn -= (uint32_t)f->app_data[3];
			f->app_data[1] |= f->app_data[3];
			f->app_data[0] = TLS_WAIT_COPY;
		} else if (!alone) {
			f->app_data[0] = TLS_WAIT_RETRY;
		}
	}
	uint32_t next = wf_server_next(f, s);
	if (!low)
		wf_urgent(w, f, p);
	/* A doubtful segment stays out of the stream: only the last-copy version reads it. */
	if (low || (wf_read(w, f, s, p) & REASM_CONFLICT)) {
		f->flags |= FLOW_F_EVASIVE;
		(void)wf_stream_alt(w, f);
	}
	if (f->alt != NULL)
		(void)wf_stream_add(f, f->alt, p);

	struct tls_hello h, ha;
	struct match_hit hit;
	/* A low copy naming a blocked name resets at once: it may be what the server keeps. */
	if (low && f->alt != NULL &&
	    name_blocked(w, snap,
		tls_parse_client_hello(
		    reasm_data(f->alt), reasm_contig(f->alt), TLS_PARTIAL_OK, &ha),
		&ha, &hit))
		return reset_named(w, snap, f, p, &hit, &ha, next, mark);
	if (f->tcp.flags & TCPIN_F_SYNDATA) {
		/* Data on the SYN alone, which the server may throw away: a blocked name decides. */
		CNT(w, tcp_syn_data);
		if (name_blocked(w, snap,
			tls_parse_client_hello(reasm_data(s), reasm_contig(s), TLS_PARTIAL_OK, &h),
			&h, &hit))
			return reset_named(w, snap, f, p, &hit, &h, next, mark);
		return NF_ACCEPT;
	}
	if (low && alone && !wf_last_queued(f))
		return wf_alone_failed(w, f, p, EV_TLS, next, mark);
	int full = reasm_contig(s) >= reasm_size(s) || (s->flags & REASM_F_TRUNCATED);
	if (copy)
		return hello_copy(w, snap, f, p, s, alone, next, mark);
	if (waits_retry(f)) {
		CNT(w, tls_after_hello);
		first_hello(f, &h);
		return hello_over(w, snap, f, p, s, &h, full, next, mark);
	}
	int r =
	    tls_parse_client_hello(reasm_data(s), reasm_contig(s), full ? TLS_PARTIAL_OK : 0, &h);
	int unfinished = 0;
	if (r == TLS_NEED_MORE && !full) {
		if (alone && !wf_last_queued(f))
			return wf_alone_failed(w, f, p, EV_TLS, next, mark);
		if (!wf_last_queued(f))
			return NF_ACCEPT; /* the server may see the start; the end is judged */
		/* No more of it will be queued: judge the name if it came already. */
		unfinished = 1;
		r = tls_parse_client_hello(reasm_data(s), reasm_contig(s), TLS_PARTIAL_OK, &h);
	}
	int evasive = (f->flags & FLOW_F_EVASIVE) != 0;
	if ((r == TLS_NOT_TLS || r == TLS_MALFORMED) && !evasive) {
		CNT(w, tls_not_tls);
		return wf_allow(w, f, mark);
	}
	int ra = TLS_NEED_MORE;
	if (f->alt != NULL)
		ra = tls_parse_client_hello(
		    reasm_data(f->alt), reasm_contig(f->alt), TLS_PARTIAL_OK, &ha);
	if (is_hello(r) || is_hello(ra))
		CNT(w, tls_hellos);
	if (r == TLS_ECH)
		CNT(w, tls_ech);
	if (evasive)
		CNT(w, tls_evasive);
	else if (unfinished)
		CNT(w, tls_unfinished);
	if (is_hello(r))
		collateral_seen(w, snap, p, EV_TLS, h.has_sni ? h.sni : NULL, h.sni_len);

	if (name_blocked(w, snap, r, &h, &hit))
		return reset_named(w, snap, f, p, &hit, &h, next, mark);
	if (f->alt != NULL && name_blocked(w, snap, ra, &ha, &hit))
		return reset_named(w, snap, f, p, &hit, &ha, next, mark);
	if ((r == TLS_SNI || r == TLS_ECH) && h.has_sni && !evasive)
		return hello_over(w, snap, f, p, s, &h, unfinished || full, next, mark);
	/* Unfinished and no name came: blockd must decide without one. */
	if (unfinished && !evasive)
		return wf_unjudged(w, f, p, EV_TLS, JUDGE_QUEUE_END, next, mark);
	/*
	 * A hello longer than the buffer holds, its name not in what it holds:
	 * as long as the byte budget (a grown buffer), or no long buffer was free.
	 */
	if (full && r == TLS_NEED_MORE && !evasive)
		return wf_unjudged(w, f, p, EV_TLS,
		    s->mem != NULL ? JUDGE_QUEUE_END : JUDGE_NO_BUFFER, next, mark);
	/* No name to judge, or copies that disagreed and named nothing blocked: no_sni. */
	if (!evasive)
		CNT(w, tls_no_sni);
	if (w->cfg->no_sni != CFG_NOSNI_BLOCK)
		return evasive ? wf_allow(w, f, mark)
			       : hello_over(w, snap, f, p, s, &h, unfinished || full, next, mark);
	CNT(w, tls_no_sni_blocked);
	judge_reset(w, p, next);
	return wf_block(w, f, mark);
}
