/* A web flow's handler, picked by its first bytes on any [flows] port; flows no handler takes. */
#include <netinet/in.h>
#include <linux/netfilter.h>

#include "base/config.h"
#include "evlog/event.h"
#include "wire/flow.h"
#include "wire/pkt.h"
#include "wire/reasm.h"
#include "kernel/queued.h"
#include "wire/sniff.h"
#include "wire/tcpin.h"
#include "judge.h"
#include "webflow.h"
#include "webflow_int.h"
#include "worker.h"

/* A handler the first bytes can pick. */
static int
picked(int kind)
{
	return kind == QUEUED_TLS || kind == QUEUED_HTTP || kind == QUEUED_QUIC;
}

/* Decided here, allowed: f (if any) is marked so, and the rest of the flow stays in the kernel. */
static int
allow_here(struct worker *w, struct flow *f, int *verdict, uint32_t *mark)
{
	if (f != NULL && !wf_is_scratch(w, f))
		*verdict = wf_allow(w, f, mark);
	else
		*mark = w->cfg->mark;
	return QUEUED_NONE;
}

/* Its first bytes are no protocol blockd judges: allowed, counted. */
static int
unrecognised(struct worker *w, struct flow *f, int *verdict, uint32_t *mark)
{
	CNT(w, flows_unrecognised);
	return allow_here(w, f, verdict, mark);
}

/*
 * A packet past its flow's queued bytes, of a flow the worker does not
 * know: begun while blockd was stopped, or forgotten (evicted, over its
 * client's share, ended). Today's rules would have let it pass; it is
 * allowed at once, so such flows leave the queue on their next packet.
 */
static int
unknown_late(struct worker *w, int *verdict, uint32_t *mark)
{
	CNT(w, flows_late_unknown);
	return allow_here(w, NULL, verdict, mark);
}

static int
pick_udp(
    struct worker *w, struct flow *f, const struct pkt *p, int late, int *verdict, uint32_t *mark)
{
	if (f != NULL && f->app == QUEUED_QUIC)
		return QUEUED_QUIC;
	if (late)
		return unknown_late(w, verdict, mark);
	int kind = queued_kind_read(sniff_udp(p->payload, p->paylen));
	return kind != QUEUED_NONE ? kind : unrecognised(w, f, verdict, mark);
}

/* What p's bytes start, if they are the stream's first: a handler, or QUEUED_NONE. */
static int
first_bytes(const struct pkt *p)
{
	return queued_kind_read(sniff_tcp_kind(p->payload, p->paylen));
}

/*
 * f, a flow whose first bytes never came, has spent the bytes it may be
 * read for (or came past them, late): with none of its data seen it is
 * allowed; with data seen but not its start (out of order), what the
 * server may put together later cannot be judged, so unjudged decides.
 */
static int
spent(struct worker *w, struct flow *f, const struct pkt *p, int *verdict, uint32_t *mark)
{
	if (f->stream == NULL)
		return unrecognised(w, f, verdict, mark);
	*verdict =
	    wf_unjudged(w, f, p, EV_TLS, JUDGE_QUEUE_END, wf_server_next(f, f->stream), mark);
	return QUEUED_NONE;
}

/*
 * A data segment before the stream's first (out of order): read into the
 * flow's buffer where the server's stack puts it, as the TLS and HTTP
 * handlers read, so the handler the first bytes pick finds it there (one
 * the server may discard goes to the last-copy buffer alone, as TLS reads
 * it). Passed, like any segment before the one that decides. With no
 * buffer of its own (the pool, or its client's share, spent) it is dropped
 * for the client to send again. Out of line: a local whose address is
 * taken would cost pick_flow() a stack guard on every packet.
 */
static __attribute__((noinline)) int
ahead(struct worker *w, struct flow *f, const struct pkt *p)
{
	int alone;
	struct reasm *s = wf_stream_for(w, f, &alone);

	if (s == NULL || alone) {
		CNT(w, flows_first_held);
		return NF_DROP;
	}
	int low = wf_doubtful(w, f, p);
	if (!low)
		wf_urgent(w, f, p);
	if (low || (wf_stream_add(f, s, p) & REASM_CONFLICT)) {
		f->flags |= FLOW_F_EVASIVE;
		(void)wf_stream_alt(w, f);
	}
	if (f->alt != NULL)
		(void)wf_stream_add(f, f->alt, p);
	return NF_ACCEPT;
}

/* The handler f's first bytes picked, which judges the packet (its budget spent if late). */
static inline int
handler_of(struct flow *f, int late)
{
	/*
	 * Late: the kernel has counted the flow's queued bytes, the bare ACKs
	 * it never queued among them, so this packet is past the last one
	 * queued for it: the handler decides here.
	 */
	if (late && f->verdict == FLOW_UNDECIDED) {
		unsigned budget = queued_judge_bytes(f->app);
		if (f->app_state < budget)
			f->app_state = budget;
	}
	return f->app;
}

/*
 * TCP. The SYN makes the flow (QUEUED_WEB: handler not known yet), its
 * first data segment picks the handler, which reads the stream from that
 * segment on; segments ahead of it are read into the flow's buffer first
 * (ahead()). A SYN's data may be thrown away by the server, so
 * only a handler it picks counts; a segment below the flow's TTL or one
 * the server's stack discards (wf_doubtful()) never decides "none".
 */
static int
pick_tcp(
    struct worker *w, struct flow *f, const struct pkt *p, int late, int *verdict, uint32_t *mark)
{
	if ((p->tcp_flags & (PKT_TCP_SYN | PKT_TCP_ACK)) == PKT_TCP_SYN) {
		int kind = p->paylen > 0 ? first_bytes(p) : QUEUED_NONE;
		if (kind != QUEUED_NONE)
			return kind; /* the handler makes the flow */
		(void)wf_tcp_flow(w, p, QUEUED_WEB);
		return QUEUED_NONE;
	}
	if (f != NULL && picked(f->app)) {
		/*
		 * Most often the packet after an allowed TLS 1.3 hello (where
		 * the rules did not read the server's answer), which shows
		 * that no second hello comes: decided here, as allowed.
		 */
		int v = f->app == QUEUED_TLS ? wf_tls_next(w, f, p, mark) : -1;
		if (v == -1)
			return handler_of(f, late);
		*verdict = v;
		return QUEUED_NONE;
	}
	if (f != NULL && f->verdict != FLOW_UNDECIDED) {
		*verdict = wf_decided(w, f, mark);
		return QUEUED_NONE;
	}
	if (late)
		return f == NULL ? unknown_late(w, verdict, mark) : spent(w, f, p, verdict, mark);
	if (f == NULL) {
		/* Its SYN was not seen: the bytes it brings are the first there are (as wf_tcp_flow()). */
		if (p->paylen == 0)
			return QUEUED_NONE;
		int kind = first_bytes(p);
		return kind != QUEUED_NONE ? kind : unrecognised(w, NULL, verdict, mark);
	}
	/* The stream's first bytes (or more of the SYN's): they may pick the handler, which counts p. */
	int first =
	    p->paylen > 0 && (p->seq == f->client_isn + 1 || (f->tcp.flags & TCPIN_F_SYNDATA));
	int kind = first ? first_bytes(p) : QUEUED_NONE;
	if (kind != QUEUED_NONE) {
		f->app = (uint16_t)kind;
		return kind;
	}
	f->app_state += (uint32_t)p->l3len; /* as wf_tcp_flow() counts */
	if (p->paylen == 0) {
		if ((p->tcp_flags & (PKT_TCP_RST | PKT_TCP_FIN)) &&
		    tcpin_ends(p, f->client_isn + 1))
			flow_remove(w->flows, f);
		else if (wf_last_queued(f))
			return spent(w, f, p, verdict, mark);
		return QUEUED_NONE;
	}
	if (!first) {
		if (wf_last_queued(f))
			return spent(w, f, p, verdict, mark);
		*verdict = ahead(w, f, p);
		return QUEUED_NONE;
	}
	if (wf_doubtful(w, f, p))
		return QUEUED_NONE; /* perhaps never seen by the server: passed, nothing decided */
	return unrecognised(w, f, verdict, mark);
}

/* Every packet but a SYN without data: its flow looked up, then picked by protocol. */
static __attribute__((noinline)) int
pick_flow(struct worker *w, const struct pkt *p, int late, int *verdict, uint32_t *mark)
{
	struct flow *f = NULL;
	/* A SYN makes its flow anew (wf_tcp_flow()): pick_tcp() does not look for it. */
	if (p->proto != IPPROTO_TCP ||
	    (p->tcp_flags & (PKT_TCP_SYN | PKT_TCP_ACK)) != PKT_TCP_SYN) {
		const struct flow_key *k = wf_key(w, p);
		f = flow_lookup_h(w->flows, k, w->key_hash, w->now);
	}
	w->picked = f; /* the handler's flow, if it has one: not looked for again */
	if (p->proto == IPPROTO_UDP)
		return pick_udp(w, f, p, late, verdict, mark);
	return pick_tcp(w, f, p, late, verdict, mark);
}

int
webflow_pick(struct worker *w, const struct pkt *p, int late, int *verdict, uint32_t *mark)
{
	*verdict = NF_ACCEPT;
	*mark = 0;
	if (late)
		CNT(w, flows_late);
	/*
	 * A SYN without data, the first packet of every flow, makes its flow
	 * (as pick_tcp() would): taken here, without the rest's stack frame.
	 */
	if (p->proto == IPPROTO_TCP &&
	    (p->tcp_flags & (PKT_TCP_SYN | PKT_TCP_ACK)) == PKT_TCP_SYN && p->paylen == 0) {
		w->picked = NULL;
		(void)wf_tcp_flow(w, p, QUEUED_WEB);
		return QUEUED_NONE;
	}
	return pick_flow(w, p, late, verdict, mark);
}
