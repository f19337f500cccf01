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
#include "judge.h"
#include "webflow.h"
#include "webflow_int.h"
#include "worker.h"

_Static_assert(sizeof(struct http_parser) <= sizeof(((struct flow *)0)->app_data),
    "an HTTP parser's state fits in a flow");

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
	wf_urgent(w, f, p);
	(void)wf_read(w, f, s, p);
	struct http_parser *hp = (struct http_parser *)f->app_data;
	struct http_parser before = *hp; /* a segment judged alone that fails is read again */
	for (;;) {
		struct http_request req;
		size_t used = 0;
		int r = http_parse(hp, reasm_data(s), reasm_contig(s), &used, &req);
		if (used)
			reasm_consume(s, used);
		if (r == HTTP_NEED_MORE && alone && reasm_contig(s) != 0 && !wf_last_queued(f)) {
			*hp = before;
			return wf_alone_failed(w, f, p, EV_HTTP, next, mark);
		}
		if (r == HTTP_NEED_MORE && !wf_last_queued(f)) {
			give_back_idle(w, f, s);
			return NF_ACCEPT;
		}
		if (r == HTTP_NEED_MORE) {
			/* Nothing more of it will be queued. */
			if (hp->requests == 0 || reasm_contig(s) != 0 || s->high != 0)
				return wf_unjudged(w, f, p, EV_HTTP, JUDGE_QUEUE_END, next, mark);
			/* Requests were read, none begun: its later requests pass. */
			CNT(w, http_unjudged);
			return wf_allow(w, f, mark);
		}
		struct match_hit hit;
		const char *path = req.path;
		if (r == HTTP_MALFORMED && req.host2_len > 0) {
			/* Two Host fields: a lenient server may take either, so judge both. */
			CNT(w, http_requests);
			path = "";
			if (!two_hosts_blocked(snap, &req, w->now, &hit)) {
				CNT(w, http_other);
				return wf_allow(w, f, mark);
			}
		} else if (r == HTTP_TOO_LONG) {
			/* A head longer than the byte budget: its Host may lie past it. */
			return wf_unjudged(w, f, p, EV_HTTP, JUDGE_QUEUE_END, next, mark);
		} else if (r != HTTP_REQUEST) {
			CNT(w, http_other);
			return wf_allow(w, f, mark);
		} else {
			CNT(w, http_requests);
			if (snap == NULL || !req.has_host ||
			    match_url(snap, req.host, req.host_len, req.path, req.path_len, w->now,
				&hit) != MATCH_BLOCK)
				continue;
		}
		CNT(w, http_blocked);
		notice(w, snap, &hit, p, next);
		char ind[HTTP_HOST_MAX + HTTP_PATH_MAX + 1];
		int n = snprintf(ind, sizeof(ind), "%s%s", req.host, path);
		wf_emit(w, snap, &hit, EV_HTTP, EV_NOTICE, p, ind,
		    n < 0                         ? 0
			: (size_t)n < sizeof(ind) ? (size_t)n
						  : sizeof(ind) - 1);
		return wf_block(w, f, mark);
	}
}
