/* The web flows' common life: the flow table, client shares, stream buffers and verdicts. */
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "base/config.h"
#include "evlog/event.h"
#include "wire/clients.h"
#include "wire/flow.h"
#include "wire/http.h"
#include "match/match.h"
#include "wire/pkt.h"
#include "kernel/queued.h"
#include "wire/quic.h"
#include "wire/reasm.h"
#include "wire/tcpin.h"
#include "judge.h"
#include "preflight.h"
#include "webflow.h"
#include "webflow_int.h"
#include "worker.h"

static int
load_template(struct worker *w, char *err, size_t errlen)
{
	if (w->cfg->notice_template[0] == '\0')
		return 0;
	return notice_template_load(w->cfg->notice_template, &w->notice_template, err, errlen);
}

/* A client's share of n (flow slots or stream buffers): pct percent, at least one. */
static uint32_t
share_of(uint32_t n, unsigned pct)
{
	uint64_t v = (uint64_t)n * pct / 100;
	return v == 0 ? 1 : (uint32_t)v;
}

/* The flow table drops f: its client holds one flow fewer, and its buffers go back. */
static void
on_drop(void *arg, const struct flow *f)
{
	struct worker *w = arg;
	client_give(w->clients, f->key.family, f->key.saddr, CLIENT_FLOWS);
	if (f->stream != NULL)
		client_give(w->clients, f->key.family, f->key.saddr, CLIENT_STREAMS);
	if (f->alt != NULL)
		client_give(w->clients, f->key.family, f->key.saddr, CLIENT_STREAMS);
}

int
webflow_open(struct worker *w, char *err, size_t errlen)
{
	uint64_t seed = 0;
	if (getrandom(&seed, sizeof(seed), 0) != (ssize_t)sizeof(seed))
		seed ^= (uint64_t)(uintptr_t)w;
	uint32_t cap = w->cfg->flow_max;
	uint32_t ns = cap < w->cfg->flow_streams ? cap : w->cfg->flow_streams;
	w->flows = flow_table_create(cap, ns, w->cfg->flow_timeout, seed);
	w->clients = client_table_create(cap, seed ^ 0x5bd1e995u);
	w->scratch = calloc(1, sizeof(*w->scratch));
	if (w->flows == NULL || w->clients == NULL || w->scratch == NULL) {
		snprintf(
		    err, errlen, "queue %u: flow table of %u flows: out of memory", w->queue, cap);
		webflow_close(w);
		return -1;
	}
	flow_table_on_drop(w->flows, on_drop, w);
	w->share_flows = share_of(cap, w->cfg->client_share);
	w->share_streams = share_of(ns, w->cfg->client_share);
	w->quic = quic_ctx_create();
	if (w->quic == NULL) {
		snprintf(err, errlen, "queue %u: QUIC: OpenSSL lacks AES-128-GCM or AES-128-ECB",
		    w->queue);
		webflow_close(w);
		return -1;
	}
	if (load_template(w, err, errlen) == -1) {
		webflow_close(w);
		return -1;
	}
	return 0;
}

void
webflow_close(struct worker *w)
{
	flow_table_destroy(w->flows);
	client_table_destroy(w->clients);
	free(w->scratch);
	quic_ctx_destroy(w->quic);
	free(w->notice_template);
	w->flows = NULL;
	w->clients = NULL;
	w->scratch = NULL;
	w->quic = NULL;
	w->notice_template = NULL;
}

/* The event for a blocked flow (hit): what was read, by method, and the action taken. */
void
wf_emit(struct worker *w, const struct match_snapshot *snap, const struct match_hit *hit,
    int method, int action, const struct pkt *p, const char *ind, size_t indlen)
{
	judge_event(w, snap, hit, method, action, p, ind, indlen, NULL);
}

void
wf_key_of(const struct pkt *p, struct flow_key *k)
{
	if (p->family == 4)
		flow_key_v4(k, p->proto, p->src, p->sport, p->dst, p->dport);
	else
		flow_key_v6(k, p->proto, p->src, p->sport, p->dst, p->dport);
}

/*
 * The pick, the handler and a new flow's insertion all want p's key and
 * its hash: made once, kept in the worker until the next packet
 * (worker_packet() forgets them first).
 */
const struct flow_key *
wf_key(struct worker *w, const struct pkt *p)
{
	if (w->key_of != p) {
		wf_key_of(p, &w->key);
		w->key_hash = flow_hash(w->flows, &w->key);
		w->key_of = p;
	}
	return &w->key;
}

/* k's flow_hash(): the packet's own, made once (wf_key()), or made now for another key. */
static uint32_t
key_hash(const struct worker *w, const struct flow_key *k)
{
	return k == &w->key ? w->key_hash : flow_hash(w->flows, k);
}

/*
 * p's flow in the table, or NULL: the one webflow_pick() found for p
 * (looked up already, so live and at the head of the LRU list: the expiry
 * that runs in between never drops it), else looked up.
 */
static struct flow *
wf_found(struct worker *w, const struct flow_key *k)
{
	struct flow *f = w->picked;

	w->picked = NULL;
	return f != NULL ? f : flow_lookup_h(w->flows, k, key_hash(w, k), w->now);
}

/* A new flow for p's key, not in the table, if p's client is under its share of flow slots. */
static inline struct flow *
flow_new(struct worker *w, const struct flow_key *k, const struct pkt *p)
{
	if (client_take(w->clients, p->family, p->src, CLIENT_FLOWS, w->share_flows) == -1)
		return NULL;
	return flow_add_h(w->flows, k, key_hash(w, k), w->now);
}

/*
 * A flow for p's key: the one in the table, or a new one if p's client is
 * under its share of flow slots (counted against it); NULL when it is not.
 */
struct flow *
wf_flow_new(struct worker *w, const struct flow_key *k, const struct pkt *p, int *created)
{
	struct flow *f = wf_found(w, k);
	*created = 0;
	if (f != NULL)
		return f;
	if ((f = flow_new(w, k, p)) != NULL)
		*created = 1;
	return f;
}

/*
 * The worker's scratch flow, for a client over its share of flow slots:
 * p is judged alone in it (wf_stream_for()) and nothing of it is kept.
 */
struct flow *
wf_scratch_flow(struct worker *w, const struct flow_key *k, const struct pkt *p, int app)
{
	struct flow *f = &w->scratch->flow;
	memset(f, 0, sizeof(*f));
	f->key = *k;
	f->client_isn = p->seq - 1;
	f->flags = FLOW_F_ISN;
	f->app = (uint16_t)app;
	f->ttl = p->ttl;
	f->app_state = 1;
	return f;
}

int
wf_is_scratch(const struct worker *w, const struct flow *f)
{
	return f == &w->scratch->flow;
}

/*
 * The TCP flow for p, made on its SYN (which sets the client's initial
 * sequence number). A data segment of a flow whose SYN was not seen (blockd
 * started after it, or the flow was evicted) starts the stream at its own
 * sequence number: right when it is the client's first data segment, which
 * it is for a connection that has sent nothing yet. NULL for packets with
 * nothing to judge (a bare ACK, FIN or RST of an unknown flow, or a SYN of
 * a client over its share of flow slots); a data segment of such a client
 * gets the scratch flow.
 *
 * app_state counts the client's packets the worker saw, as the kernel
 * counts them for the queue rules (a retransmitted SYN, with the same
 * initial sequence number, is the same connection and counts on), so the
 * worker knows which packet is the last one it will be shown.
 */
struct flow *
wf_tcp_flow(struct worker *w, const struct pkt *p, int app)
{
	const struct flow_key *k = wf_key(w, p);

	flow_expire(w->flows, w->now, FLOW_EXPIRE_N);
	if ((p->tcp_flags & (PKT_TCP_SYN | PKT_TCP_ACK)) == PKT_TCP_SYN) {
		struct flow *f = flow_lookup_h(w->flows, k, w->key_hash, w->now);
		uint32_t seen = 0;
		if (f != NULL) {
			if ((f->flags & FLOW_F_ISN) && f->client_isn == p->seq &&
			    f->verdict == FLOW_UNDECIDED)
				seen = f->app_state;
			/* A new connection on the same ports: forget the old one. */
			flow_remove(w->flows, f);
		}
		if ((f = flow_new(w, k, p)) == NULL) {
			CNT(w, share_exceeded);
			return NULL;
		}
		f->client_isn = p->seq;
		f->flags |= FLOW_F_ISN;
		f->app = (uint16_t)app;
		f->app_state = seen + (uint32_t)p->l3len;
		f->ttl = p->ttl;
		tcpin_syn(&f->tcp, p);
		return f;
	}
	struct flow *f = wf_found(w, k);
	if (f == NULL && p->paylen > 0) {
		if ((f = flow_new(w, k, p)) == NULL) { /* looked for just now: not there */
			CNT(w, share_exceeded);
			return wf_scratch_flow(w, k, p, app);
		}
		f->client_isn = p->seq - 1;
		f->flags |= FLOW_F_ISN;
		f->app = (uint16_t)app;
		f->ttl = p->ttl;
		CNT(w, flow_no_syn);
	}
	if (f != NULL)
		f->app_state += (uint32_t)p->l3len;
	return f;
}

/* f's buffers go back to the pool, and its client holds them no more. */
void
wf_release(struct worker *w, struct flow *f)
{
	if (wf_is_scratch(w, f))
		return;
	if (f->stream != NULL)
		client_give(w->clients, f->key.family, f->key.saddr, CLIENT_STREAMS);
	if (f->alt != NULL)
		client_give(w->clients, f->key.family, f->key.saddr, CLIENT_STREAMS);
	flow_stream_release(w->flows, f);
}

/*
 * The buffer to read p into. f's own, taken from the pool on first use if
 * its client is under its share of buffers. For a client over its share,
 * the worker's scratch buffer (*alone set): p is judged on its own, and if
 * it cannot be, it is dropped for the client to send again (wf_alone_failed()),
 * until its last queued packet, where unjudged decides.
 * NULL when the pool itself is exhausted: failure decides.
 */
struct reasm *
wf_stream_for(struct worker *w, struct flow *f, int *alone)
{
	*alone = 0;
	if (f->stream != NULL)
		return f->stream;
	if (!wf_is_scratch(w, f) &&
	    client_take(
		w->clients, f->key.family, f->key.saddr, CLIENT_STREAMS, w->share_streams) == 0) {
		if (flow_stream(w->flows, f) != NULL)
			return f->stream;
		client_give(w->clients, f->key.family, f->key.saddr, CLIENT_STREAMS);
		CNT(w, flow_no_stream);
		return NULL;
	}
	if (!wf_is_scratch(w, f))
		CNT(w, share_exceeded);
	*alone = 1;
	reasm_reset(&w->scratch->stream);
	return &w->scratch->stream;
}

/* f's second buffer (flow_stream_alt()), counted against its client like the first. */
struct reasm *
wf_stream_alt(struct worker *w, struct flow *f)
{
	if (f->alt != NULL || f->stream == NULL || wf_is_scratch(w, f))
		return f->alt;
	if (flow_stream_alt(w->flows, f) != NULL)
		(void)client_take(
		    w->clients, f->key.family, f->key.saddr, CLIENT_STREAMS, UINT32_MAX);
	return f->alt;
}

/* p's flow is decided: allowed, and leaves the queue. */
int
wf_allow(struct worker *w, struct flow *f, uint32_t *mark)
{
	f->verdict = FLOW_ALLOWED;
	wf_release(w, f);
	*mark = w->cfg->mark;
	return NF_ACCEPT;
}

/*
 * p's flow is blocked. p goes back to the kernel with the block mark: the
 * mark chain records it on the connection and drops p, and the queue chains
 * drop the rest of the flow, also past the packets they would queue.
 */
int
wf_block(struct worker *w, struct flow *f, uint32_t *mark)
{
	f->verdict = FLOW_BLOCKED;
	wf_release(w, f);
	*mark = w->cfg->mark_block;
	return NF_ACCEPT;
}

/* f must be decided without a name read (judge_unjudged()): passed or blocked by policy. */
int
wf_unjudged(struct worker *w, struct flow *f, const struct pkt *p, int method, int reason,
    uint32_t next, uint32_t *mark)
{
	if (judge_unjudged(w, p, method, reason, next))
		return wf_block(w, f, mark);
	return wf_allow(w, f, mark);
}

/*
 * p, judged alone for a client over its share, could not be. A flow in the
 * table is dropped for the client to send again (perhaps once its share has
 * room) until its last queued packet; one the table could not take (the
 * scratch flow) cannot be followed, so unjudged decides at once.
 */
int
wf_alone_failed(struct worker *w, struct flow *f, const struct pkt *p, int method, uint32_t next,
    uint32_t *mark)
{
	if (wf_is_scratch(w, f))
		return wf_unjudged(w, f, p, method, JUDGE_CLIENT_SHARE, next, mark);
	CNT(w, share_held_back);
	return NF_DROP;
}

/* A flow already decided; -1 if f is still undecided. */
int
wf_decided(struct worker *w, const struct flow *f, uint32_t *mark)
{
	if (f->verdict == FLOW_BLOCKED) {
		CNT(w, flow_dropped);
		*mark = w->cfg->mark_block; /* dropped by the mark chain, as in wf_block() */
		return NF_ACCEPT;
	}
	if (f->verdict == FLOW_ALLOWED) {
		*mark = w->cfg->mark;
		return NF_ACCEPT;
	}
	return -1;
}

/*
 * Why p may never reach the server's stream, counted: below the flow's TTL
 * (WF_LOW_TTL: routers only lower it, so the client sent it lower than its
 * SYN, as tools do with fakes meant to expire between blockd and the
 * server), or what tcpin_check() said of it.
 */
int
wf_doubted(struct worker *w, int why)
{
	switch (why) {
	case WF_LOW_TTL:
		CNT(w, tcp_low_ttl);
		break;
	case TCPIN_MD5:
		CNT(w, tcp_md5);
		break;
	case TCPIN_PAWS:
		CNT(w, tcp_paws);
		break;
	case TCPIN_BAD_OPT:
		CNT(w, tcp_bad_option);
		break;
	default:
		CNT(w, tcp_bad_ack);
		break;
	}
	return 1;
}

/* The sequence number the server expects next from the client of f. */
uint32_t
wf_next_seq(const struct flow *f)
{
	return f->stream ? reasm_next_seq(f->stream, f->client_isn) : f->client_isn + 1;
}

/* p's urgent byte, if the server's stack takes one out, taken out of f's buffers too. */
void
wf_urgent_take(struct worker *w, struct flow *f, const struct pkt *p)
{
	uint32_t useq;

	if (!tcpin_urgent(&f->tcp, p, wf_next_seq(f), &useq))
		return;
	CNT(w, tcp_urgent);
	if (f->stream != NULL && reasm_oob_tcp(f->stream, f->client_isn, useq) == -1)
		f->flags |= FLOW_F_EVASIVE;
	if (f->alt != NULL)
		(void)reasm_oob_tcp(f->alt, f->client_isn, useq);
	if (f->tcp.flags & TCPIN_F_URG2)
		f->flags |= FLOW_F_EVASIVE; /* which urgent bytes the server keeps is not known */
}

/*
 * p's data, read into f's buffer r, reached past its end (res): r is grown
 * and p read again, so a hello or request head longer than a buffer is
 * read as far as the byte budget goes.
 */
int
wf_read_grow(struct worker *w, struct flow *f, struct reasm *r, const struct pkt *p, int res)
{
	if (r != f->stream || wf_is_scratch(w, f) || r->mem != NULL)
		return res;
	if (flow_stream_grow(w->flows, f) == NULL) {
		CNT(w, streams_long_exhausted);
		return res;
	}
	CNT(w, streams_grown);
	return (res & ~REASM_TRUNCATED) | wf_stream_add(f, r, p);
}
