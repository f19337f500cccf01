/* TLS (TCP 443), HTTP (TCP 80) and QUIC (UDP 443) flows: from a queued packet to a verdict. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "base/config.h"
#include "evlog/event.h"
#include "evlog/evlog.h"
#include "wire/clients.h"
#include "wire/flow.h"
#include "wire/http.h"
#include "match/match.h"
#include "wire/pkt.h"
#include "kernel/queued.h"
#include "wire/quic.h"
#include "wire/reasm.h"
#include "wire/tcpin.h"
#include "wire/tls.h"
#include "judge.h"
#include "preflight.h"
#include "webflow.h"
#include "collateral.h"
#include "worker.h"

#define CNT(w, field) counter_add(&(w)->c.field, 1)

#define FLOW_EXPIRE_N  8 /* idle flows dropped per packet, so expiry never stalls one */
#define TLS_WAIT_RETRY 1 /* app_data[0] of a TLS flow: its first hello passed, a second may come */

_Static_assert(sizeof(struct http_parser) <= sizeof(((struct flow *)0)->app_data),
    "an HTTP parser's state fits in a flow");

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
static void
emit(struct worker *w, const struct match_snapshot *snap, const struct match_hit *hit, int method,
    int action, const struct pkt *p, const char *ind, size_t indlen)
{
	judge_event(w, snap, hit, method, action, p, ind, indlen, NULL);
}

static void
flow_key_of(const struct pkt *p, struct flow_key *k)
{
	if (p->family == 4)
		flow_key_v4(k, p->proto, p->src, p->sport, p->dst, p->dport);
	else
		flow_key_v6(k, p->proto, p->src, p->sport, p->dst, p->dport);
}

/*
 * A flow for p's key: the one in the table, or a new one if p's client is
 * under its share of flow slots (counted against it); NULL when it is not.
 */
static struct flow *
flow_new(struct worker *w, const struct flow_key *k, const struct pkt *p, int *created)
{
	struct flow *f = flow_lookup(w->flows, k, w->now);
	*created = 0;
	if (f != NULL)
		return f;
	if (client_take(w->clients, p->family, p->src, CLIENT_FLOWS, w->share_flows) == -1)
		return NULL;
	return flow_insert(w->flows, k, w->now, created);
}

/*
 * The worker's scratch flow, for a client over its share of flow slots:
 * p is judged alone in it (stream_for()) and nothing of it is kept.
 */
static struct flow *
scratch_flow(struct worker *w, const struct flow_key *k, const struct pkt *p, int app)
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

static int
is_scratch(const struct worker *w, const struct flow *f)
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
static struct flow *
tcp_flow(struct worker *w, const struct pkt *p, int app)
{
	struct flow_key k;
	int created = 0;

	flow_key_of(p, &k);
	flow_expire(w->flows, w->now, FLOW_EXPIRE_N);
	if ((p->tcp_flags & (PKT_TCP_SYN | PKT_TCP_ACK)) == PKT_TCP_SYN) {
		struct flow *f = flow_lookup(w->flows, &k, w->now);
		uint32_t seen = 0;
		if (f != NULL) {
			if ((f->flags & FLOW_F_ISN) && f->client_isn == p->seq &&
			    f->verdict == FLOW_UNDECIDED)
				seen = f->app_state;
			/* A new connection on the same ports: forget the old one. */
			flow_remove(w->flows, f);
		}
		if ((f = flow_new(w, &k, p, &created)) == NULL) {
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
	struct flow *f = flow_lookup(w->flows, &k, w->now);
	if (f == NULL && p->paylen > 0) {
		if ((f = flow_new(w, &k, p, &created)) == NULL) {
			CNT(w, share_exceeded);
			return scratch_flow(w, &k, p, app);
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

/* f has spent the bytes it may be read for (queued.h): it is decided now. */
static int
last_queued(const struct flow *f)
{
	unsigned n = queued_judge_bytes(f->app);
	return n != 0 && f->app_state >= n;
}

/* f's buffers go back to the pool, and its client holds them no more. */
static void
release(struct worker *w, struct flow *f)
{
	if (is_scratch(w, f))
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
 * it cannot be, it is dropped for the client to send again (judge_alone_failed()),
 * until its last queued packet, where unjudged decides.
 * NULL when the pool itself is exhausted: failure decides.
 */
static struct reasm *
stream_for(struct worker *w, struct flow *f, int *alone)
{
	*alone = 0;
	if (f->stream != NULL)
		return f->stream;
	if (!is_scratch(w, f) &&
	    client_take(
		w->clients, f->key.family, f->key.saddr, CLIENT_STREAMS, w->share_streams) == 0) {
		if (flow_stream(w->flows, f) != NULL)
			return f->stream;
		client_give(w->clients, f->key.family, f->key.saddr, CLIENT_STREAMS);
		CNT(w, flow_no_stream);
		return NULL;
	}
	if (!is_scratch(w, f))
		CNT(w, share_exceeded);
	*alone = 1;
	reasm_reset(&w->scratch->stream);
	return &w->scratch->stream;
}

/* f's second buffer (flow_stream_alt()), counted against its client like the first. */
static struct reasm *
stream_alt(struct worker *w, struct flow *f)
{
	if (f->alt != NULL || f->stream == NULL || is_scratch(w, f))
		return f->alt;
	if (flow_stream_alt(w->flows, f) != NULL)
		(void)client_take(
		    w->clients, f->key.family, f->key.saddr, CLIENT_STREAMS, UINT32_MAX);
	return f->alt;
}

/*
 * Where the server's window stands before p: the first byte it has not
 * received, the end of f's stream read in order so far (every segment of
 * it was passed; p itself is not yet among them).
 */
static uint32_t
server_next(const struct flow *f, const struct reasm *s)
{
	return f->client_isn + 1 + (uint32_t)(s->base + reasm_contig(s));
}

/* p's flow is decided: allowed, and leaves the queue. */
static int
allow(struct worker *w, struct flow *f, uint32_t *mark)
{
	f->verdict = FLOW_ALLOWED;
	release(w, f);
	*mark = w->cfg->mark;
	return NF_ACCEPT;
}

/*
 * p's flow is blocked. p goes back to the kernel with the block mark: the
 * mark chain records it on the connection and drops p, and the queue chains
 * drop the rest of the flow, also past the packets they would queue.
 */
static int
block(struct worker *w, struct flow *f, uint32_t *mark)
{
	f->verdict = FLOW_BLOCKED;
	release(w, f);
	*mark = w->cfg->mark_block;
	return NF_ACCEPT;
}

/* f must be decided without a name read (judge_unjudged()): passed or blocked by policy. */
static int
unjudged(struct worker *w, struct flow *f, const struct pkt *p, int method, int reason,
    uint32_t next, uint32_t *mark)
{
	if (judge_unjudged(w, p, method, reason, next))
		return block(w, f, mark);
	return allow(w, f, mark);
}

/*
 * p, judged alone for a client over its share, could not be. A flow in the
 * table is dropped for the client to send again (perhaps once its share has
 * room) until its last queued packet; one the table could not take (the
 * scratch flow) cannot be followed, so unjudged decides at once.
 */
static int
judge_alone_failed(struct worker *w, struct flow *f, const struct pkt *p, int method, uint32_t next,
    uint32_t *mark)
{
	if (is_scratch(w, f))
		return unjudged(w, f, p, method, JUDGE_CLIENT_SHARE, next, mark);
	CNT(w, share_held_back);
	return NF_DROP;
}

/* A flow already decided; -1 if f is still undecided. */
static int
decided(struct worker *w, const struct flow *f, uint32_t *mark)
{
	if (f->verdict == FLOW_BLOCKED) {
		CNT(w, flow_dropped);
		*mark = w->cfg->mark_block; /* dropped by the mark chain, as in block() */
		return NF_ACCEPT;
	}
	if (f->verdict == FLOW_ALLOWED) {
		*mark = w->cfg->mark;
		return NF_ACCEPT;
	}
	return -1;
}

/*
 * 1 if p, a client segment of f, came with a TTL (hop limit) below f's
 * (counted): routers only lower it, so the client sent it lower than its
 * SYN, as tools do with fakes meant to expire between blockd and the server.
 */
static int
low_ttl(struct worker *w, const struct flow *f, const struct pkt *p)
{
	if (p->ttl >= f->ttl)
		return 0;
	CNT(w, tcp_low_ttl);
	return 1;
}

/*
 * 1 if p, a client segment of f, may never reach the server's stream
 * (counted by reason): below the flow's TTL, or one a Linux server's stack
 * discards (tcpin.h). Read as one more copy at most, never as the stream.
 */
static int
doubtful(struct worker *w, struct flow *f, const struct pkt *p)
{
	if (low_ttl(w, f, p))
		return 1;
	switch (tcpin_check(&f->tcp, p)) {
	case TCPIN_TAKE:
		return 0;
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
static uint32_t
next_seq(const struct flow *f)
{
	return f->stream ? reasm_next_seq(f->stream, f->client_isn) : f->client_isn + 1;
}

/* p's urgent byte, if the server's stack takes one out, taken out of f's buffers too. */
static void
urgent(struct worker *w, struct flow *f, const struct pkt *p)
{
	uint32_t useq;

	if (!tcpin_urgent(&f->tcp, p, next_seq(f), &useq))
		return;
	CNT(w, tcp_urgent);
	if (f->stream != NULL && reasm_oob_tcp(f->stream, f->client_isn, useq) == -1)
		f->flags |= FLOW_F_EVASIVE;
	if (f->alt != NULL)
		(void)reasm_oob_tcp(f->alt, f->client_isn, useq);
	if (f->tcp.flags & TCPIN_F_URG2)
		f->flags |= FLOW_F_EVASIVE; /* which urgent bytes the server keeps is not known */
}

/* p's data into r, where the server's stack puts it (after a SYN's own sequence number). */
static int
stream_add(const struct flow *f, struct reasm *r, const struct pkt *p)
{
	return reasm_add_tcp(r, f->client_isn, tcpin_data_seq(p), p->payload, p->paylen);
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
static int
name_blocked(struct worker *w, const struct match_snapshot *snap, int r, const struct tls_hello *h,
    struct match_hit *hit)
{
	return is_hello(r) && (h->has_sni || (h->odd_name && h->sni_len > 0)) && snap != NULL &&
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
	emit(w, snap, hit, EV_TLS, EV_RESET, p, h->sni, h->sni_len);
	return block(w, f, mark);
}

/*
 * f's first hello h (read whole from s, unless cut) allows the flow. A
 * client that offered TLS 1.3 sends a second hello if the server answers
 * with a HelloRetryRequest, and that one may name another server: the flow
 * stays undecided until the client's next records show whether one comes
 * (tls_parse_retry()), and a second hello is judged as the first.
 */
static int
hello_over(struct worker *w, const struct match_snapshot *snap, struct flow *f, const struct pkt *p,
    const struct reasm *s, const struct tls_hello *h, int cut, uint32_t next, uint32_t *mark)
{
	struct tls_hello h2;
	struct match_hit hit;

	if (cut || !h->tls13)
		return allow(w, f, mark);
	int r2 = tls_parse_retry(reasm_data(s), reasm_contig(s), h, 0, &h2);
	if (name_blocked(w, snap, r2, &h2, &hit))
		return reset_named(w, snap, f, p, &hit, &h2, next, mark);
	if (r2 == TLS_NEED_MORE && !last_queued(f) && reasm_contig(s) < REASM_MAX) {
		f->app_data[0] = TLS_WAIT_RETRY; /* the first hello is judged and counted */
		return NF_ACCEPT;
	}
	return allow(w, f, mark);
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
	struct flow *f = tcp_flow(w, p, QUEUED_TLS);
	if (f == NULL)
		return NF_ACCEPT;
	int d = decided(w, f, mark);
	if (d != -1)
		return d;
	int low = doubtful(w, f, p);
	if (p->paylen == 0 && (p->tcp_flags & (PKT_TCP_RST | PKT_TCP_FIN))) {
		if (!low && !is_scratch(w, f) && tcpin_ends(p, next_seq(f)))
			flow_remove(w->flows, f);
		return NF_ACCEPT;
	}
	if (p->paylen == 0 && !last_queued(f))
		return NF_ACCEPT;
	int alone;
	struct reasm *s = stream_for(w, f, &alone);
	if (s == NULL)
		return unjudged(w, f, p, EV_TLS, JUDGE_NO_BUFFER, p->seq, mark);
	uint32_t next = server_next(f, s);
	if (!low)
		urgent(w, f, p);
	/* A doubtful segment stays out of the stream: only the last-copy version reads it. */
	if (low || (stream_add(f, s, p) & REASM_CONFLICT)) {
		f->flags |= FLOW_F_EVASIVE;
		(void)stream_alt(w, f);
	}
	if (f->alt != NULL)
		(void)stream_add(f, f->alt, p);

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
	if (low && alone && !last_queued(f))
		return judge_alone_failed(w, f, p, EV_TLS, next, mark);
	int full = reasm_contig(s) >= REASM_MAX || (s->flags & REASM_F_TRUNCATED);
	int r =
	    tls_parse_client_hello(reasm_data(s), reasm_contig(s), full ? TLS_PARTIAL_OK : 0, &h);
	if (f->app_data[0] == TLS_WAIT_RETRY && is_hello(r))
		return hello_over(w, snap, f, p, s, &h, full, next, mark);
	int unfinished = 0;
	if (r == TLS_NEED_MORE && !full) {
		if (alone && !last_queued(f))
			return judge_alone_failed(w, f, p, EV_TLS, next, mark);
		if (!last_queued(f))
			return NF_ACCEPT; /* the server may see the start; the end is judged */
		/* No more of it will be queued: judge the name if it came already. */
		unfinished = 1;
		r = tls_parse_client_hello(reasm_data(s), reasm_contig(s), TLS_PARTIAL_OK, &h);
	}
	int evasive = (f->flags & FLOW_F_EVASIVE) != 0;
	if ((r == TLS_NOT_TLS || r == TLS_MALFORMED) && !evasive) {
		CNT(w, tls_not_tls);
		return allow(w, f, mark);
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
		return unjudged(w, f, p, EV_TLS, JUDGE_QUEUE_END, next, mark);
	/* No name to judge, or copies that disagreed and named nothing blocked: no_sni. */
	if (!evasive)
		CNT(w, tls_no_sni);
	if (w->cfg->no_sni != CFG_NOSNI_BLOCK)
		return evasive ? allow(w, f, mark)
			       : hello_over(w, snap, f, p, s, &h, unfinished || full, next, mark);
	CNT(w, tls_no_sni_blocked);
	judge_reset(w, p, next);
	return block(w, f, mark);
}

/* The 451 notice for hit's order, then a FIN, to the client; a RST to the server at next. */
static void
notice(struct worker *w, const struct match_snapshot *snap, const struct match_hit *hit,
    const struct pkt *p, uint32_t next)
{
	const struct rule_order *o = &match_list(snap)->orders[hit->order];
	struct http_notice nt = {
	    .service = o->service,
	    .order_ref = o->ref,
	    .authority = o->authority,
	    .notice = o->notice,
	    .notice_url = o->notice_url,
	    .appeal_url = w->cfg->appeal_url,
	};
	int len = http_render_451(w->notice, sizeof(w->notice), w->notice_template, &nt);
	if (len < 0) {
		CNT(w, inject_errors);
		len = 0;
	}
	judge_answer_tcp(w, p, (const uint8_t *)w->notice, (size_t)len, next);
}

/* A request with two Host fields: blocked if either name is; req->host becomes the one found. */
static int
two_hosts_blocked(
    const struct match_snapshot *snap, struct http_request *req, int64_t now, struct match_hit *hit)
{
	if (snap == NULL)
		return 0;
	if (req->host_len > 0 &&
	    match_domain(snap, req->host, req->host_len, now, hit) == MATCH_BLOCK)
		return 1;
	if (match_domain(snap, req->host2, req->host2_len, now, hit) != MATCH_BLOCK)
		return 0;
	memcpy(req->host, req->host2, req->host2_len + 1);
	req->host_len = req->host2_len;
	return 1;
}

/*
 * A request on the SYN, which the server throws away (no Fast Open) or
 * answers at once (Fast Open): read from the SYN alone and kept out of the
 * stream, where the copy sent after the handshake is read. A blocked one
 * drops the SYN (the connection never opens, so no notice); nothing else
 * decides.
 */
static int
http_syn_data(struct worker *w, const struct match_snapshot *snap, struct flow *f,
    const struct pkt *p, uint32_t *mark)
{
	struct http_parser hp;
	struct http_request req;
	struct match_hit hit;
	size_t used = 0;

	CNT(w, tcp_syn_data);
	memset(&hp, 0, sizeof(hp));
	if (http_parse(&hp, p->payload, p->paylen, &used, &req) != HTTP_REQUEST || snap == NULL ||
	    !req.has_host ||
	    match_url(snap, req.host, req.host_len, req.path, req.path_len, w->now, &hit) !=
		MATCH_BLOCK)
		return NF_ACCEPT;
	CNT(w, http_blocked);
	char ind[HTTP_HOST_MAX + HTTP_PATH_MAX + 1];
	int n = snprintf(ind, sizeof(ind), "%s%s", req.host, req.path);
	emit(w, snap, &hit, EV_HTTP, EV_DROP, p, ind,
	    n < 0                         ? 0
		: (size_t)n < sizeof(ind) ? (size_t)n
					  : sizeof(ind) - 1);
	return block(w, f, mark);
}

/*
 * Between requests a connection needs no buffer: once everything read so
 * far was consumed (a request head parsed, a body skipped) and nothing
 * waits beyond a gap, the buffer goes back to the pool, so an idle
 * keep-alive connection holds none. The stream's position moves into the
 * flow's initial sequence number, so the next buffer starts where this one
 * ended; the parser's state stays in the flow.
 */
static void
give_back_idle(struct worker *w, struct flow *f, struct reasm *s)
{
	if (is_scratch(w, f) || s != f->stream || f->alt != NULL || reasm_contig(s) != 0 ||
	    s->high != 0)
		return;
	f->client_isn += (uint32_t)s->base;
	release(w, f);
	CNT(w, streams_returned);
}

/*
 * Port 80: every request head on the connection is matched, so a flow is
 * not marked allowed while it still speaks HTTP/1 (keep-alive, pipelining)
 * until the last packet the hooks send to the queue. From then on its
 * requests pass unjudged (counted), unless no request was read yet or one
 * was begun: then unjudged decides.
 */
int
webflow_http(
    struct worker *w, const struct match_snapshot *snap, const struct pkt *p, uint32_t *mark)
{
	*mark = 0;
	struct flow *f = tcp_flow(w, p, QUEUED_HTTP);
	if (f == NULL)
		return NF_ACCEPT;
	int d = decided(w, f, mark);
	if (d != -1)
		return d;
	/* Below the flow's TTL, or discarded by the server: passed unread, so a fake cannot take the stream's bytes. */
	if (doubtful(w, f, p))
		return NF_ACCEPT;
	if (p->paylen == 0 && (p->tcp_flags & (PKT_TCP_RST | PKT_TCP_FIN))) {
		if (!is_scratch(w, f) && tcpin_ends(p, next_seq(f)))
			flow_remove(w->flows, f);
		return NF_ACCEPT;
	}
	if (p->tcp_flags & PKT_TCP_SYN)
		return p->paylen > 0 ? http_syn_data(w, snap, f, p, mark) : NF_ACCEPT;
	if (p->paylen == 0 && !last_queued(f))
		return NF_ACCEPT;
	int alone;
	struct reasm *s = stream_for(w, f, &alone);
	if (s == NULL)
		return unjudged(w, f, p, EV_HTTP, JUDGE_NO_BUFFER, p->seq, mark);
	uint32_t next = server_next(f, s);
	urgent(w, f, p);
	(void)stream_add(f, s, p);
	struct http_parser *hp = (struct http_parser *)f->app_data;
	struct http_parser before = *hp; /* a segment judged alone that fails is read again */
	for (;;) {
		struct http_request req;
		size_t used = 0;
		int r = http_parse(hp, reasm_data(s), reasm_contig(s), &used, &req);
		if (used)
			reasm_consume(s, used);
		if (r == HTTP_NEED_MORE && alone && reasm_contig(s) != 0 && !last_queued(f)) {
			*hp = before;
			return judge_alone_failed(w, f, p, EV_HTTP, next, mark);
		}
		if (r == HTTP_NEED_MORE && !last_queued(f)) {
			give_back_idle(w, f, s);
			return NF_ACCEPT;
		}
		if (r == HTTP_NEED_MORE) {
			/* Nothing more of it will be queued. */
			if (hp->requests == 0 || reasm_contig(s) != 0 || s->high != 0)
				return unjudged(w, f, p, EV_HTTP, JUDGE_QUEUE_END, next, mark);
			/* Requests were read, none begun: its later requests pass. */
			CNT(w, http_unjudged);
			return allow(w, f, mark);
		}
		struct match_hit hit;
		const char *path = req.path;
		if (r == HTTP_MALFORMED && req.host2_len > 0) {
			/* Two Host fields: a lenient server may take either, so judge both. */
			CNT(w, http_requests);
			path = "";
			if (!two_hosts_blocked(snap, &req, w->now, &hit)) {
				CNT(w, http_other);
				return allow(w, f, mark);
			}
		} else if (r != HTTP_REQUEST) {
			CNT(w, http_other);
			return allow(w, f, mark);
		} else {
			CNT(w, http_requests);
			collateral_seen(
			    w, snap, p, EV_HTTP, req.has_host ? req.host : NULL, req.host_len);
			if (snap == NULL || !req.has_host ||
			    match_url(snap, req.host, req.host_len, req.path, req.path_len, w->now,
				&hit) != MATCH_BLOCK)
				continue;
		}
		CNT(w, http_blocked);
		notice(w, snap, &hit, p, next);
		char ind[HTTP_HOST_MAX + HTTP_PATH_MAX + 1];
		int n = snprintf(ind, sizeof(ind), "%s%s", req.host, path);
		emit(w, snap, &hit, EV_HTTP, EV_NOTICE, p, ind,
		    n < 0                         ? 0
			: (size_t)n < sizeof(ind) ? (size_t)n
						  : sizeof(ind) - 1);
		return block(w, f, mark);
	}
}

/*
 * UDP 443. A datagram of a client over its share of flow slots or buffers
 * is judged alone: an Initial that needs more datagrams is dropped for the
 * client to send again; one that is not readable is passed undecided. With
 * no buffer free at all, the datagram alone is still judged.
 */
int
webflow_quic(
    struct worker *w, const struct match_snapshot *snap, const struct pkt *p, uint32_t *mark)
{
	struct flow_key k;
	int created = 0;

	*mark = 0;
	flow_key_of(p, &k);
	flow_expire(w->flows, w->now, FLOW_EXPIRE_N);
	struct flow *f = flow_new(w, &k, p, &created);
	if (f == NULL) {
		CNT(w, share_exceeded);
		f = scratch_flow(w, &k, p, QUEUED_QUIC);
		f->app_state = 0;
	}
	if (created || is_scratch(w, f))
		f->app = QUEUED_QUIC;
	int d = decided(w, f, mark);
	if (d != -1)
		return d;
	f->app_state += (uint32_t)p->l3len; /* bytes seen: queued_judge_bytes() decides */
	int alone = 0;
	struct reasm *s = stream_for(w, f, &alone);
	if (s == NULL)
		CNT(w, flow_no_stream); /* this datagram alone is still judged */
	struct quic_info qi;
	int r = quic_parse_datagram(w->quic, p->payload, p->paylen, s, &qi);
	if (qi.initials)
		CNT(w, quic_initials);
	switch (r) {
	case QUIC_NEED_MORE:
		break;
	case QUIC_NOT_INITIAL:
		/* A short header or another version: nothing this flow will show. */
		CNT(w, quic_other);
		return allow(w, f, mark);
	case QUIC_DECRYPT_FAILED:
	case QUIC_MALFORMED:
		/* Not decided: a later datagram may still bring a readable Initial. */
		CNT(w, quic_other);
		break;
	}
	if (r == QUIC_NEED_MORE || r == QUIC_DECRYPT_FAILED || r == QUIC_MALFORMED) {
		if (alone && r == QUIC_NEED_MORE && !last_queued(f))
			return judge_alone_failed(w, f, p, EV_QUIC, 0, mark);
		/* No buffer free at all, and this datagram alone is not the hello: failure decides. */
		if (s == NULL && r == QUIC_NEED_MORE)
			return unjudged(w, f, p, EV_QUIC, JUDGE_NO_BUFFER, 0, mark);
		if (!last_queued(f))
			return NF_ACCEPT;
		/*
		 * No hello by the last datagram the rules queue (junk Initials sent
		 * first, say): what follows passes unseen, so unjudged decides now.
		 */
		CNT(w, quic_unfinished);
		return unjudged(w, f, p, EV_QUIC, JUDGE_QUEUE_END, 0, mark);
	}
	/*
	 * CRYPTO bytes that disagreed with earlier ones: the name the first
	 * copies give is still judged (a blocked one is dropped); an allowed one
	 * is not trusted, and no_sni decides.
	 */
	int evasive = qi.conflict || (s != NULL && (s->flags & REASM_F_CONFLICT));
	if (evasive)
		CNT(w, quic_evasive);
	int named = (r == QUIC_SNI || r == QUIC_ECH) && qi.hello.has_sni;
	collateral_seen(w, snap, p, EV_QUIC, named ? qi.hello.sni : NULL, qi.hello.sni_len);
	if (named) {
		struct match_hit hit;
		if (snap != NULL &&
		    match_domain(snap, qi.hello.sni, qi.hello.sni_len, w->now, &hit) ==
			MATCH_BLOCK) {
			CNT(w, quic_blocked);
			emit(w, snap, &hit, EV_QUIC, EV_DROP, p, qi.hello.sni, qi.hello.sni_len);
			return block(w, f, mark);
		}
		if (!evasive)
			return allow(w, f, mark);
	}
	if (!evasive)
		CNT(w, quic_no_sni);
	if (w->cfg->no_sni != CFG_NOSNI_BLOCK)
		return allow(w, f, mark);
	return block(w, f, mark);
}
