/* Packet workers: one thread per queue, each queued packet handed to its handler for a verdict. */
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
#include "dnsflow.h"
#include "webflow.h"
#include "worker.h"

#define BATCH         64
#define CNT(w, field) counter_add(&(w)->c.field, 1)

/* handle() of the kinds but TLS. */
static int
handle_other(struct worker *w, const struct match_snapshot *snap, int kind, const struct pkt *p,
    int verdict, uint32_t *flowmark)
{
	switch (kind) {
	case QUEUED_DNS_UDP:
		return dnsflow_udp(w, snap, p);
	case QUEUED_DNS_TCP:
		return dnsflow_tcp(w, snap, p);
	case QUEUED_QUIC:
		return webflow_quic(w, snap, p, flowmark);
	case QUEUED_HTTP:
		return webflow_http(w, snap, p, flowmark);
	default:
		CNT(w, other); /* nothing the hooks send here otherwise: passed and counted */
		return verdict;
	}
}

/*
 * p judged by its handler, the snapshot held meanwhile (a packet with none
 * holds none); returns its verdict, or verdict when no handler takes it.
 */
static int
handle(struct worker *w, int kind, const struct pkt *p, int verdict, uint32_t *flowmark)
{
	const struct match_snapshot *snap = snapref_enter(w->snaps, w->index);

	/* TLS first, the most of them: one test before the others' table. */
	if (kind == QUEUED_TLS)
		verdict = webflow_tls(w, snap, p, flowmark);
	else
		verdict = handle_other(w, snap, kind, p, verdict, flowmark);
	snapref_leave(w->snaps, w->index);
	return verdict;
}

void
worker_packet(void *arg, struct nfqueue *q, const struct nfqueue_packet *np)
{
	struct worker *w = arg;
	struct pkt *p = &w->pkt;

	if (np->truncated || np->data == NULL) {
		CNT(w, pkt_truncated);
		nfqueue_verdict(q, np->id, NF_ACCEPT, 0, 0);
		return;
	}
	int st = pkt_parse(np->data, np->len, p);
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
	 * Who judges it, by protocol and port: most packets go where the one
	 * before went, and the [flows] ports never change while the worker runs.
	 */
	if (p->proto != w->kind_proto || p->dport != w->kind_port) {
		w->kind = queued_kind(&w->cfg->ports, p->proto, p->dport);
		w->kind_proto = p->proto;
		w->kind_port = p->dport;
	}
	int kind = w->kind;
	/*
	 * A TCP segment the server's stack will throw away (a fake sent to
	 * mislead what reads the stream) must not move a flow: passed unread.
	 */
	if (p->proto == IPPROTO_TCP && kind != QUEUED_NONE && nfqueue_csum_unchecked(np) &&
	    !pkt_tcp_csum_ok(p)) {
		CNT(w, tcp_bad_checksum);
		nfqueue_verdict(q, np->id, NF_ACCEPT, 0, 0);
		return;
	}
	/* A flow on a [flows] port: its own handler, or the one its first bytes pick. */
	int picked = 0;
	w->verdict = NF_ACCEPT;
	w->flowmark = 0;
	w->picked = NULL;
	w->key_of = NULL;
	if (kind == QUEUED_WEB) {
		int late = (np->mark & w->cfg->mark_late) != 0;
		kind = webflow_pick(w, p, late, &w->verdict, &w->flowmark);
		picked = kind == QUEUED_NONE; /* decided there */
	}
	if (kind != QUEUED_NONE)
		w->verdict = handle(w, kind, p, w->verdict, &w->flowmark);
	else if (!picked)
		CNT(w, other); /* nothing the hooks send here otherwise: passed and counted */
	/* The mark read only now: fewer values kept across the handlers. */
	nfqueue_verdict(q, np->id, w->verdict, w->flowmark != 0, np->mark | w->flowmark);
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
		if (nfqueue_recv_batch(&w->q, BATCH, worker_packet, w) == -1 &&
		    w->q.c.recv_errors + w->q.c.send_errors == 1)
			log_warn("queue %u: netlink", w->queue);
		publish_flows(w);
	}
	return NULL;
}

int
worker_init(struct worker *w, unsigned index, uint16_t queue, const struct blockd_config *cfg,
    struct snapref *snaps, struct evlog *log, int stopfd, char *err, size_t errlen)
{
	memset(w, 0, sizeof(*w));
	w->index = index;
	w->queue = queue;
	w->cfg = cfg;
	w->snaps = snaps;
	w->log = log;
	w->stopfd = stopfd;
	w->inj.fd4 = w->inj.fd6 = -1;
	w->block.sinkhole = cfg->dns_action == CFG_DNS_SINKHOLE;
	w->block.ttl = cfg->dns_ttl;
	w->block.ede = cfg->dns_ede;
	if (cfg->sinkhole_v4[0] && inet_pton(AF_INET, cfg->sinkhole_v4, w->sink4) == 1)
		w->block.v4 = w->sink4;
	if (cfg->sinkhole_v6[0] && inet_pton(AF_INET6, cfg->sinkhole_v6, w->sink6) == 1)
		w->block.v6 = w->sink6;
	return webflow_open(w, err, errlen);
}

int
worker_start(struct worker *w, unsigned index, uint16_t queue, const struct blockd_config *cfg,
    struct snapref *snaps, struct evlog *log, int stopfd, char *err, size_t errlen)
{
	if (worker_init(w, index, queue, cfg, snaps, log, stopfd, err, errlen) == -1)
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
