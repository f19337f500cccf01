/* Judgement for every protocol handler: earlier verdicts issued, then resets, answers, events, counts. */
#include <netinet/in.h>
#include <string.h>

#include "base/config.h"
#include "evlog/event.h"
#include "evlog/evlog.h"
#include "kernel/inject.h"
#include "kernel/nfq.h"
#include "wire/pkt.h"
#include "judge.h"
#include "worker.h"

#define CNT(w, field) counter_add(&(w)->c.field, 1)

#define JUDGE_REASON_NAME(id, name, exhausted) [id] = (name),
static const char *const reason_names[] = {JUDGE_REASONS(JUDGE_REASON_NAME)};
#undef JUDGE_REASON_NAME
#define JUDGE_REASON_EXH(id, name, exhausted) [id] = (exhausted),
static const unsigned char reason_exhausted[] = {JUDGE_REASONS(JUDGE_REASON_EXH)};
#undef JUDGE_REASON_EXH

const char *
judge_reason_name(int reason)
{
	if (reason < 0 || reason >= JUDGE_NREASONS)
		return "unknown";
	return reason_names[reason];
}

int
judge_reason_exhausted(int reason)
{
	return reason >= 0 && reason < JUDGE_NREASONS && reason_exhausted[reason];
}

void
judge_event(struct worker *w, const struct match_snapshot *snap, const struct match_hit *hit,
    int method, int action, const struct pkt *p, const char *ind, size_t indlen, const char *reason)
{
	struct evlog_ticket t;
	/* Filled in the writer's ring, not copied there: pure work between reserve and commit. */
	struct event *ev = evlog_reserve(w->log, &t);
	if (ev == NULL) {
		CNT(w, events_lost);
		return;
	}
	event_fill(ev, hit ? snap : NULL, hit, method, action, p->family, p->proto, p->src,
	    p->dport, ind, indlen, w->now_us);
	if (reason != NULL)
		event_set_reason(ev, reason);
	evlog_commit(w->log, &t);
	CNT(w, events);
}

/*
 * Issues every verdict given so far, so that the packets they accept are
 * on their way before anything injected after them (both leave from this
 * thread, in this order).
 */
static void
issue_verdicts(struct worker *w)
{
	(void)nfqueue_flush(&w->q);
}

static void
send_tcp(struct worker *w, const struct inj_tuple *t, uint32_t seq, uint32_t ack, uint8_t flags,
    uint16_t window, const uint8_t *data, size_t len)
{
	uint8_t out[INJECT_MAX];
	size_t n = inject_build_tcp(
	    out, sizeof(out), t, inject_ipid(&w->inj), seq, ack, flags, window, data, len);
	if (n == 0 || inject_send(&w->inj, out, n) == -1)
		CNT(w, inject_errors);
}

/* From the server to the client, and from the client to the server, for p's flow. */
static void
tuples(const struct pkt *p, struct inj_tuple *to_client, struct inj_tuple *to_server)
{
	memset(to_client, 0, sizeof(*to_client));
	memset(to_server, 0, sizeof(*to_server));
	to_client->family = to_server->family = p->family;
	to_client->ttl = to_server->ttl = p->ttl;
	memcpy(to_client->src, p->dst, 16);
	memcpy(to_client->dst, p->src, 16);
	to_client->sport = p->dport;
	to_client->dport = p->sport;
	memcpy(to_server->src, p->src, 16);
	memcpy(to_server->dst, p->dst, 16);
	to_server->sport = p->sport;
	to_server->dport = p->dport;
}

/* One reset from r (to the client if to_client), sent. */
static void
send_rst(struct worker *w, const struct inj_rst *r, int to_client, uint32_t seq, uint32_t ack)
{
	uint8_t out[60];
	size_t n = inject_build_rst(out, sizeof(out), r, to_client, inject_ipid(&w->inj), seq, ack);
	if (n == 0 || inject_send(&w->inj, out, n) == -1)
		CNT(w, inject_errors);
}

void
judge_reset(struct worker *w, const struct pkt *p, uint32_t server_next)
{
	struct inj_rst r;
	inject_rst_init(&r, p->family, p->ttl, p->src, p->sport, p->dst, p->dport);
	send_rst(w, &r, 1, p->ack, p->seq + (uint32_t)p->paylen);
	issue_verdicts(w);
	send_rst(w, &r, 0, server_next, p->ack);
}

void
judge_answer_tcp(
    struct worker *w, const struct pkt *p, const uint8_t *data, size_t len, uint32_t server_next)
{
	struct inj_tuple c, s;
	tuples(p, &c, &s);
	uint32_t seq = p->ack, ack = p->seq + (uint32_t)p->paylen;
	size_t mss = INJECT_MAX - 60, sent = 0;
	while (sent < len) {
		size_t k = len - sent < mss ? len - sent : mss;
		send_tcp(w, &c, seq, ack, PKT_TCP_PSH | PKT_TCP_ACK, p->window, data + sent, k);
		seq += (uint32_t)k;
		sent += k;
	}
	send_tcp(w, &c, seq, ack, PKT_TCP_FIN | PKT_TCP_ACK, p->window, NULL, 0);
	issue_verdicts(w);
	send_tcp(w, &s, server_next, p->ack, PKT_TCP_RST | PKT_TCP_ACK, 0, NULL, 0);
}

void
judge_answer_udp(struct worker *w, const struct pkt *p, const uint8_t *data, size_t len)
{
	struct inj_tuple c, s;
	uint8_t out[INJECT_MAX];
	tuples(p, &c, &s);
	size_t n =
	    len ? inject_build_udp(out, sizeof(out), &c, inject_ipid(&w->inj), data, len) : 0;
	if (n == 0 || inject_send(&w->inj, out, n) == -1)
		CNT(w, inject_errors);
}

static void
count_reason(struct worker *w, int reason)
{
	switch (reason) {
	case JUDGE_QUEUE_END:
		CNT(w, unjudged_queue_end);
		break;
	case JUDGE_CLIENT_SHARE:
		CNT(w, unjudged_client_share);
		break;
	default:
		CNT(w, unjudged_no_buffer);
		break;
	}
}

int
judge_unjudged(struct worker *w, const struct pkt *p, int method, int reason, uint32_t server_next)
{
	int block = judge_reason_exhausted(reason) ? w->cfg->failure == CFG_FAIL_CLOSED
						   : w->cfg->unjudged == CFG_UNJUDGED_BLOCK;
	count_reason(w, reason);
	if (block)
		CNT(w, unjudged_blocked);
	judge_event(w, NULL, NULL, method, block ? EV_UNJUDGED_BLOCK : EV_UNJUDGED_PASS, p, NULL, 0,
	    judge_reason_name(reason));
	if (block && p->proto == IPPROTO_TCP)
		judge_reset(w, p, server_next);
	return block;
}
