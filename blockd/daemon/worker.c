/* Packet workers: one thread per queue, from a queued packet to a verdict (and an injected answer). */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/config.h"
#include "evlog/event.h"
#include "evlog/evlog.h"
#include "wire/flow.h"
#include "base/log.h"
#include "match/match.h"
#include "wire/pkt.h"
#include "kernel/queued.h"
#include "webflow.h"
#include "worker.h"

#define BATCH         64
#define TCP_DNS_OUT   4096 /* answers to the messages of one segment */
#define CNT(w, field) counter_add(&(w)->c.field, 1)

static void
emit(struct worker *w, const struct match_snapshot *snap, const struct match_hit *hit, int action,
    const struct pkt *p, const struct dns_query *q)
{
	struct event ev;
	event_fill(&ev, snap, hit, EV_DNS, action, p->family, p->proto, p->src, p->dport, q->name,
	    q->namelen, w->now_us);
	if (evlog_append(w->log, &ev) == 0)
		CNT(w, events);
	else
		CNT(w, events_lost);
}

/* Looks q up; on a block fills ede text and hit. Returns the MATCH_* result. */
static int
lookup(struct worker *w, const struct match_snapshot *snap, const struct dns_query *q,
    struct match_hit *hit, char *ede, size_t edelen)
{
	if (snap == NULL)
		return MATCH_NONE;
	int r = match_domain(snap, q->name, q->namelen, w->now, hit);
	if (r == MATCH_ALLOW)
		CNT(w, dns_allowed);
	if (r != MATCH_BLOCK)
		return r;
	const struct rulelist *list = match_list(snap);
	const struct rule_order *o = &list->orders[hit->order];
	if (o->notice_url && o->notice_url[0])
		snprintf(ede, edelen, "blocked under order %s; see %s", o->ref, o->notice_url);
	else
		snprintf(ede, edelen, "blocked under order %s", o->ref);
	return r;
}

static int
dns_action(const struct worker *w)
{
	return w->block.sinkhole ? EV_SINKHOLE : EV_NXDOMAIN;
}

/* The reply's addresses: from the server the client asked, back to the client. */
static void
reply_tuple(const struct pkt *p, struct inj_tuple *t)
{
	t->family = p->family;
	t->ttl = p->ttl;
	memcpy(t->src, p->dst, 16);
	memcpy(t->dst, p->src, 16);
	t->sport = p->dport;
	t->dport = p->sport;
}

static int
dns_udp(struct worker *w, const struct match_snapshot *snap, const struct pkt *p)
{
	struct dns_query q;
	struct match_hit hit;
	char ede[DNS_EDE_TEXT_MAX + 1];
	uint8_t ans[512], out[INJECT_MAX];

	int st = dns_query_parse(p->payload, p->paylen, &q);
	if (st == DNS_ODD_NAME)
		CNT(w, dns_odd_name);
	if (st != DNS_OK) {
		if (st != DNS_ODD_NAME)
			CNT(w, dns_bad);
		return NF_ACCEPT;
	}
	CNT(w, dns_queries);
	if (lookup(w, snap, &q, &hit, ede, sizeof(ede)) != MATCH_BLOCK)
		return NF_ACCEPT;
	/* The name is blocked: whatever happens next, the query does not reach the resolver. */
	if (dns_query_verify(p->payload, p->paylen, &q) == -1) {
		CNT(w, dns_verify_failed);
		return NF_DROP;
	}
	struct dns_block b = w->block;
	b.ede_text = ede;
	size_t alen = dns_answer_block(&q, &b, ans, sizeof(ans));
	struct inj_tuple t;
	reply_tuple(p, &t);
	size_t n =
	    alen ? inject_build_udp(out, sizeof(out), &t, inject_ipid(&w->inj), ans, alen) : 0;
	if (n == 0 || inject_send(&w->inj, out, n) == -1)
		CNT(w, inject_errors);
	CNT(w, dns_blocked);
	emit(w, snap, &hit, dns_action(w), p, &q);
	return NF_DROP;
}

/* The slot for p's connection: found (tuple matches) or, with create, taken over. */
static struct tcpdns_slot *
tcpdns_slot(struct worker *w, const struct pkt *p, int create)
{
	uint32_t h = 2166136261u;
	const uint8_t *parts[2] = {p->src, p->dst};
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 16; j++)
			h = (h ^ parts[i][j]) * 16777619u;
	h = (h ^ p->sport) * 16777619u;
	h = (h ^ p->dport) * 16777619u;
	struct tcpdns_slot *s = &w->tcpdns[h % TCPDNS_SLOTS];
	int match = s->used && s->family == p->family && s->sport == p->sport &&
	    s->dport == p->dport && memcmp(s->src, p->src, 16) == 0 &&
	    memcmp(s->dst, p->dst, 16) == 0;
	if (match)
		return s;
	if (!create)
		return NULL;
	s->used = 1;
	s->family = p->family;
	s->sport = p->sport;
	s->dport = p->dport;
	memcpy(s->src, p->src, 16);
	memcpy(s->dst, p->dst, 16);
	s->len = 0;
	return s;
}

static int
dns_tcp(struct worker *w, const struct match_snapshot *snap, const struct pkt *p)
{
	const uint8_t *msg, *data = p->payload;
	size_t mlen, off = 0, len = p->paylen, last = 0;
	int r, blocked = 0;
	struct dns_query q;
	struct match_hit hit;
	char ede[DNS_EDE_TEXT_MAX + 1];

	if (p->paylen == 0)
		return NF_ACCEPT;
	/* The rest of a message whose start an earlier segment brought? */
	struct tcpdns_slot *held = tcpdns_slot(w, p, 0);
	if (held) {
		if (held->next_seq == p->seq && w->now - held->time <= TCPDNS_AGE &&
		    held->len + p->paylen <= sizeof(w->joined)) {
			memcpy(w->joined, held->buf, held->len);
			memcpy(w->joined + held->len, p->payload, p->paylen);
			data = w->joined;
			len = held->len + p->paylen;
		}
		held->used = 0;
	}

	/* First pass: is any message in this segment blocked? */
	while ((r = dns_tcp_next(data, len, &off, &msg, &mlen)) == 1) {
		last = off;
		if (dns_query_parse(msg, mlen, &q) != DNS_OK)
			continue;
		CNT(w, dns_queries);
		if (lookup(w, snap, &q, &hit, ede, sizeof(ede)) == MATCH_BLOCK)
			blocked = 1;
	}
	if (r == -1 && !blocked) {
		/* Pass the segment, keep the unfinished message's start for the next one. */
		CNT(w, dns_tcp_partial);
		if (len - last > TCPDNS_HOLD) {
			CNT(w, dns_tcp_unheld);
			return NF_ACCEPT;
		}
		struct tcpdns_slot *s = tcpdns_slot(w, p, 1);
		memcpy(s->buf, data + last, len - last);
		s->len = (uint16_t)(len - last);
		s->next_seq = p->seq + (uint32_t)p->paylen;
		s->time = w->now;
		return NF_ACCEPT;
	}
	if (!blocked)
		return NF_ACCEPT;

	/* Answer every whole message of the segment, then end the connection. */
	uint8_t stream[TCP_DNS_OUT], out[INJECT_MAX];
	size_t slen = 0;
	off = 0;
	while (dns_tcp_next(data, len, &off, &msg, &mlen) == 1) {
		size_t alen = 0;
		if (slen + 2 >= sizeof(stream))
			break;
		int st = dns_query_parse(msg, mlen, &q);
		if (st != DNS_OK && st != DNS_ODD_NAME)
			continue;
		if (st == DNS_OK && lookup(w, snap, &q, &hit, ede, sizeof(ede)) == MATCH_BLOCK) {
			if (dns_query_verify(msg, mlen, &q) == -1) {
				CNT(w, dns_verify_failed);
				continue;
			}
			struct dns_block b = w->block;
			b.ede_text = ede;
			alen =
			    dns_answer_block(&q, &b, stream + slen + 2, sizeof(stream) - slen - 2);
			if (alen) {
				CNT(w, dns_blocked);
				emit(w, snap, &hit, dns_action(w), p, &q);
			}
		} else {
			alen =
			    dns_answer_servfail(&q, stream + slen + 2, sizeof(stream) - slen - 2);
		}
		if (alen == 0)
			continue;
		stream[slen] = (uint8_t)(alen >> 8);
		stream[slen + 1] = (uint8_t)alen;
		slen += 2 + alen;
	}

	struct inj_tuple t;
	reply_tuple(p, &t);
	uint32_t seq = p->ack, ack = p->seq + (uint32_t)p->paylen;
	size_t mss = INJECT_MAX - 60, sent = 0;
	/* The answers (in MSS-sized pieces), a FIN to the client, a RST to the server. */
	while (sent < slen) {
		size_t k = slen - sent < mss ? slen - sent : mss;
		size_t n = inject_build_tcp(out, sizeof(out), &t, inject_ipid(&w->inj), seq, ack,
		    PKT_TCP_PSH | PKT_TCP_ACK, p->window, stream + sent, k);
		if (n == 0 || inject_send(&w->inj, out, n) == -1)
			CNT(w, inject_errors);
		seq += (uint32_t)k;
		sent += k;
	}
	size_t n = inject_build_tcp(out, sizeof(out), &t, inject_ipid(&w->inj), seq, ack,
	    PKT_TCP_FIN | PKT_TCP_ACK, p->window, NULL, 0);
	if (n == 0 || inject_send(&w->inj, out, n) == -1)
		CNT(w, inject_errors);

	struct inj_tuple s = {
	    .family = p->family, .ttl = p->ttl, .sport = p->sport, .dport = p->dport};
	memcpy(s.src, p->src, 16);
	memcpy(s.dst, p->dst, 16);
	n = inject_build_tcp(out, sizeof(out), &s, inject_ipid(&w->inj), p->seq, p->ack,
	    PKT_TCP_RST | PKT_TCP_ACK, 0, NULL, 0);
	if (n == 0 || inject_send(&w->inj, out, n) == -1)
		CNT(w, inject_errors);
	return NF_DROP;
}

static void
on_packet(void *arg, struct nfqueue *q, const struct nfqueue_packet *np)
{
	struct worker *w = arg;
	struct pkt p;
	int verdict = NF_ACCEPT, setmark = 0;
	uint32_t mark = np->mark, flowmark = 0;

	if (np->truncated || np->data == NULL) {
		CNT(w, pkt_truncated);
		nfqueue_verdict(q, np->id, NF_ACCEPT, 0, 0);
		return;
	}
	int st = pkt_parse(np->data, np->len, &p);
	if (st != PKT_OK) {
		/* Unreadable or a non-first fragment: nothing to judge, passed and counted. */
		if (st == PKT_TRUNCATED)
			CNT(w, pkt_short);
		else if (st == PKT_MALFORMED)
			CNT(w, pkt_malformed);
		else if (st == PKT_FRAGMENT)
			CNT(w, fragments);
		else if (st == PKT_OTHER_PROTO)
			CNT(w, pkt_other_proto);
		nfqueue_verdict(q, np->id, NF_ACCEPT, 0, 0);
		return;
	}
	/*
	 * A TCP segment the server's stack will throw away (a fake sent to
	 * mislead what reads the stream) must not move a flow: passed unread.
	 */
	int kind = queued_kind(p.proto, p.dport);
	if (p.proto == IPPROTO_TCP && kind != QUEUED_NONE && nfqueue_csum_unchecked(np) &&
	    !pkt_tcp_csum_ok(&p)) {
		CNT(w, tcp_bad_checksum);
		nfqueue_verdict(q, np->id, NF_ACCEPT, 0, 0);
		return;
	}
	const struct match_snapshot *snap = snapref_enter(w->snaps, w->index);
	switch (kind) {
	case QUEUED_DNS_UDP:
		verdict = dns_udp(w, snap, &p);
		break;
	case QUEUED_DNS_TCP:
		verdict = dns_tcp(w, snap, &p);
		break;
	case QUEUED_TLS:
		verdict = webflow_tls(w, snap, &p, &flowmark);
		break;
	case QUEUED_QUIC:
		verdict = webflow_quic(w, snap, &p, &flowmark);
		break;
	case QUEUED_HTTP:
		verdict = webflow_http(w, snap, &p, &flowmark);
		break;
	default:
		/* Nothing the hooks send here otherwise: passed and counted. */
		CNT(w, other);
		break;
	}
	if (flowmark) {
		setmark = 1;
		mark |= flowmark;
	}
	snapref_leave(w->snaps, w->index);
	nfqueue_verdict(q, np->id, verdict, setmark, mark);
}

/* Publishes the flow table's size for metrics and blockctl stats, which must not read the table. */
static void
publish_flows(struct worker *w)
{
	struct flow_stats st;

	if (w->flows == NULL)
		return;
	flow_stats(w->flows, &st);
	counter_set(&w->c.flows_active, st.active);
	counter_set(&w->c.flows_capacity, st.capacity);
	counter_set(&w->c.flows_evicted, st.evictions);
	counter_set(&w->c.streams_in_use, st.streams.in_use);
	counter_set(&w->c.streams_size, st.streams.size);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct pollfd pf[2] = {{nfqueue_fd(&w->q), POLLIN, 0}, {w->stopfd, POLLIN, 0}};

	publish_flows(w);
	for (;;) {
		if (poll(pf, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			log_warn("queue %u: poll", w->queue);
			break;
		}
		if (pf[1].revents)
			break;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME_COARSE, &ts);
		w->now = ts.tv_sec;
		w->now_us = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
		if (nfqueue_recv_batch(&w->q, BATCH, on_packet, w) == -1 &&
		    w->q.c.recv_errors + w->q.c.send_errors == 1)
			log_warn("queue %u: netlink", w->queue);
		publish_flows(w);
	}
	return NULL;
}

int
worker_start(struct worker *w, unsigned index, uint16_t queue, const struct blockd_config *cfg,
    struct snapref *snaps, struct evlog *log, int stopfd, char *err, size_t errlen)
{
	memset(w, 0, sizeof(*w));
	w->index = index;
	w->queue = queue;
	w->cfg = cfg;
	w->snaps = snaps;
	w->log = log;
	w->stopfd = stopfd;
	w->block.sinkhole = cfg->dns_action == CFG_DNS_SINKHOLE;
	w->block.ttl = cfg->dns_ttl;
	w->block.ede = cfg->dns_ede;
	if (cfg->sinkhole_v4[0] && inet_pton(AF_INET, cfg->sinkhole_v4, w->sink4) == 1)
		w->block.v4 = w->sink4;
	if (cfg->sinkhole_v6[0] && inet_pton(AF_INET6, cfg->sinkhole_v6, w->sink6) == 1)
		w->block.v6 = w->sink6;

	if (webflow_open(w, err, errlen) == -1)
		return -1;
	if (inject_open(&w->inj, cfg->mark | cfg->mark_block, err, errlen) == -1) {
		webflow_close(w);
		return -1;
	}
	if (nfqueue_open(&w->q, queue, cfg->queue_maxlen, (size_t)cfg->rcvbuf_mb << 20,
		cfg->failure == CFG_FAIL_OPEN, err, errlen) == -1) {
		inject_close(&w->inj);
		webflow_close(w);
		return -1;
	}
	int rc = pthread_create(&w->thread, NULL, worker_main, w);
	if (rc != 0) {
		snprintf(err, errlen, "queue %u: thread: %s", queue, strerror(rc));
		nfqueue_close(&w->q);
		inject_close(&w->inj);
		webflow_close(w);
		return -1;
	}
	w->running = 1;
	return 0;
}

void
worker_join(struct worker *w)
{
	if (!w->running)
		return;
	pthread_join(w->thread, NULL);
	nfqueue_close(&w->q);
	inject_close(&w->inj);
	webflow_close(w);
	w->running = 0;
}

void
worker_counters_sum(const struct worker *w, unsigned n, struct counter_values *out)
{
	struct counter_values one;

	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; i < n; i++) {
		counters_read(&w[i].q.c, &w[i].c, &one);
		counters_add(out, &one);
	}
}
