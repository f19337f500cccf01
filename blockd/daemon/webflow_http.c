/* HTTP/1.x on TCP 80: every request head judged; a blocked one answered with the 451 notice. */
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
#include "wire/http.h"
#include "collateral.h"
#include "judge.h"
#include "webflow.h"
#include "webflow_int.h"
#include "worker.h"

/*
 * One reading of a connection's requests: the parser's state, and whether
 * the reading ended (the bytes stopped being HTTP/1). The flow's own is
 * kept in the flow (its buffer is given back between requests); that of
 * the last-copy reading of a connection whose copies disagree in its
 * second buffer, which stays while the flow lives.
 */
struct http_reading {
	struct http_parser hp;
	uint8_t ended;
};

_Static_assert(sizeof(struct http_reading) <= sizeof(((struct flow *)0)->app_data),
    "an HTTP reading's state fits in a flow");
_Static_assert(sizeof(struct http_reading) <= sizeof(((struct reasm *)0)->user),
    "an HTTP reading's state fits in a stream buffer");

/* What reading the request heads of one version of the stream came to. */
enum { READ_MORE, READ_ENDED, READ_BLOCKED, READ_TOO_LONG };

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
	wf_emit(w, snap, &hit, EV_HTTP, EV_DROP, p, ind,
	    n < 0                         ? 0
		: (size_t)n < sizeof(ind) ? (size_t)n
					  : sizeof(ind) - 1);
	return wf_block(w, f, mark);
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
	if (wf_is_scratch(w, f) || s != f->stream || f->alt != NULL || reasm_contig(s) != 0 ||
	    s->high != 0)
		return;
	f->client_isn += (uint32_t)s->base;
	wf_release(w, f);
	CNT(w, streams_returned);
}

/*
 * Reads the request heads whole in r with rd's parser, each matched, as far
 * as they go; count: the flow's own reading (the other one's requests are
 * not counted again). READ_BLOCKED: req names a blocked host or URL (hit,
 * *path the path logged); READ_ENDED: the bytes are not HTTP/1 any more, or
 * broke it; READ_MORE: the next head is not whole yet; READ_TOO_LONG: the
 * next head is longer than the byte budget, so its Host may lie past it.
 */
static int
read_heads(struct worker *w, const struct match_snapshot *snap, const struct pkt *p,
    struct http_reading *rd, struct reasm *r, int count, struct http_request *req,
    struct match_hit *hit, const char **path)
{
	if (rd->ended)
		return READ_ENDED;
	for (;;) {
		size_t used = 0;
		int res = http_parse(&rd->hp, reasm_data(r), reasm_contig(r), &used, req);
		if (used)
			reasm_consume(r, used);
		if (res == HTTP_NEED_MORE)
			return READ_MORE;
		if (res == HTTP_TOO_LONG)
			return READ_TOO_LONG;
		*path = req->path;
		if (res == HTTP_MALFORMED && req->host2_len > 0) {
			/* Two Host fields: a lenient server may take either, so judge both. */
			if (count)
				CNT(w, http_requests);
			*path = "";
			if (two_hosts_blocked(snap, req, w->now, hit))
				return READ_BLOCKED;
		} else if (res == HTTP_REQUEST) {
			if (count)
				CNT(w, http_requests);
			if (count)
				collateral_seen(w, snap, p, EV_HTTP,
				    req->has_host ? req->host : NULL, req->host_len);
			if (snap != NULL && req->has_host &&
			    match_url(snap, req->host, req->host_len, req->path, req->path_len,
				w->now, hit) == MATCH_BLOCK)
				return READ_BLOCKED;
			continue;
		}
		if (count)
			CNT(w, http_other);
		rd->ended = 1;
		return READ_ENDED;
	}
}

/* req (hit) is blocked: the 451 notice, logged, the flow blocked. */
static int
blocked(struct worker *w, const struct match_snapshot *snap, struct flow *f, const struct pkt *p,
    const struct http_request *req, const struct match_hit *hit, const char *path, uint32_t next,
    uint32_t *mark)
{
	CNT(w, http_blocked);
	notice(w, snap, hit, p, next);
	char ind[HTTP_HOST_MAX + HTTP_PATH_MAX + 1];
	int n = snprintf(ind, sizeof(ind), "%s%s", req->host, path);
	wf_emit(w, snap, hit, EV_HTTP, EV_NOTICE, p, ind,
	    n < 0                         ? 0
		: (size_t)n < sizeof(ind) ? (size_t)n
					  : sizeof(ind) - 1);
	return wf_block(w, f, mark);
}

/* 1 if a reading waiting for more (rd over r) has begun a request, or read none yet. */
static int
begun(const struct http_reading *rd, const struct reasm *r)
{
	return !rd->ended && (rd->hp.requests == 0 || reasm_contig(r) != 0 || r->high != 0);
}

/*
 * Port 80: every request head on the connection is matched, so a flow is
 * not marked allowed while it still speaks HTTP/1 (keep-alive, pipelining)
 * until the last packet the hooks send to the queue. From then on its
 * requests pass unjudged (counted), unless no request was read yet or one
 * was begun: then unjudged decides. Once overlapping segments disagree
 * (FLOW_F_EVASIVE), the requests are read both from the first copy of each
 * byte and from the last (flow_stream_alt()), each with its own parser: a
 * blocked request in either gets the notice, and the connection stays
 * judged while either reading is still HTTP/1.
 */
int
webflow_http(
    struct worker *w, const struct match_snapshot *snap, const struct pkt *p, uint32_t *mark)
{
	*mark = 0;
	struct flow *f = wf_tcp_flow(w, p, QUEUED_HTTP);
	if (f == NULL)
		return NF_ACCEPT;
	int d = wf_decided(w, f, mark);
	if (d != -1)
		return d;
	/* Below the flow's TTL, or discarded by the server: passed unread, so a fake cannot take the stream's bytes. */
	if (wf_doubtful(w, f, p))
		return NF_ACCEPT;
	if (p->paylen == 0 && (p->tcp_flags & (PKT_TCP_RST | PKT_TCP_FIN))) {
		if (!wf_is_scratch(w, f) && tcpin_ends(p, wf_next_seq(f)))
			flow_remove(w->flows, f);
		return NF_ACCEPT;
	}
	if (p->tcp_flags & PKT_TCP_SYN)
		return p->paylen > 0 ? http_syn_data(w, snap, f, p, mark) : NF_ACCEPT;
	if (p->paylen == 0 && !wf_last_queued(f))
		return NF_ACCEPT;
	int alone;
	struct reasm *s = wf_stream_for(w, f, &alone);
	if (s == NULL)
		return wf_unjudged(w, f, p, EV_HTTP, JUDGE_NO_BUFFER, p->seq, mark);
	uint32_t next = wf_server_next(f, s);
	struct http_reading *rd = (struct http_reading *)f->app_data;
	wf_urgent(w, f, p);
	if (wf_read(w, f, s, p) & REASM_CONFLICT) {
		if (!(f->flags & FLOW_F_EVASIVE))
			CNT(w, http_evasive);
		f->flags |= FLOW_F_EVASIVE;
		if (f->alt == NULL) {
			/* The last copies, read from where the flow's own reading stands. */
			if (wf_stream_alt(w, f) == NULL)
				return wf_unjudged(w, f, p, EV_HTTP, JUDGE_NO_BUFFER, next, mark);
			memcpy(f->alt->user, rd, sizeof(*rd));
		}
	}
	struct http_reading *ra = NULL;
	if (f->alt != NULL) {
		(void)wf_stream_add(f, f->alt, p);
		ra = (struct http_reading *)f->alt->user;
	}
	struct http_reading before = *rd; /* a segment judged alone that fails is read again */
	struct http_request req;
	struct match_hit hit;
	const char *path = "";
	int r = read_heads(w, snap, p, rd, s, 1, &req, &hit, &path);
	if (r == READ_BLOCKED)
		return blocked(w, snap, f, p, &req, &hit, path, next, mark);
	int ralt = READ_ENDED;
	if (ra != NULL &&
	    (ralt = read_heads(w, snap, p, ra, f->alt, 0, &req, &hit, &path)) == READ_BLOCKED)
		return blocked(w, snap, f, p, &req, &hit, path, next, mark);
	if (r == READ_TOO_LONG || ralt == READ_TOO_LONG)
		return wf_unjudged(w, f, p, EV_HTTP, JUDGE_QUEUE_END, next, mark);
	if (r == READ_ENDED && ralt == READ_ENDED)
		return wf_allow(w, f, mark);
	if (r == READ_MORE && alone && reasm_contig(s) != 0 && !wf_last_queued(f)) {
		*rd = before;
		return wf_alone_failed(w, f, p, EV_HTTP, next, mark);
	}
	if (!wf_last_queued(f)) {
		give_back_idle(w, f, s);
		return NF_ACCEPT;
	}
	/* Nothing more of it will be queued. */
	if (begun(rd, s) || (ra != NULL && begun(ra, f->alt)))
		return wf_unjudged(w, f, p, EV_HTTP, JUDGE_QUEUE_END, next, mark);
	/* Requests were read, none begun: its later requests pass. */
	CNT(w, http_unjudged);
	return wf_allow(w, f, mark);
}
