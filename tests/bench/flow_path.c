/* The packet-to-verdict path of new TLS flows, without the kernel: what the worker runs per packet kind. */
/*
 * Usage: flow_path [-n FLOWS] [-l ENTRIES] [--json FILE]
 * Builds a list of ENTRIES names (10 by default; blocked-N.example among
 * them), a worker as blockd's (worker_init(): the default configuration,
 * flow table and buffers, an enforcement log in a scratch directory), and
 * a detached queue (nfqueue_open_detached()). Then FLOWS new TLS flows to
 * port 443, IPv4 and IPv6 by turns, half of them naming a blocked name, go
 * through the code the worker's thread runs for each message it receives:
 * nfqueue_dispatch() (the NFQUEUE message as the kernel sends it) ->
 * worker_packet() (pkt, flow and webflow, the TLS reader, match, judge) ->
 * nfqueue_verdict() and nfqueue_flush() (the verdict batch). Only the
 * packets blockd's rules queue are handed over (queued_web_tcp()): the SYN,
 * the handshake's ACK if the rules queue it, the 517-byte ClientHello, and
 * for an allowed flow, whose TLS 1.3 hello leaves it undecided until the
 * server's answer shows no second hello comes, the client's next records:
 * the rules read that answer and keep them in the kernel where the
 * server's side passes the appliance (mark_hello), so b_flowpath.sh counts
 * them only for paths = one; they are handed over here all the same, to
 * count what they cost where they come. Flows go
 * in groups of 64, one kind of packet at a time (the allowed flows' hellos,
 * then the blocked ones', which also pay for the resets and the event); each
 * kind has its own function (drive_syn, drive_ack, drive_hello_allowed,
 * drive_hello_blocked, drive_next), so that
 * valgrind --tool=callgrind --toggle-collect='drive_*' gives instructions
 * per packet kind (tests/bench/b_flowpath.sh). Run alone it prints the CPU
 * time per flow.
 * With --json FILE (how make bench calls every bench program) it does
 * nothing: tests/bench/b_flowpath.sh runs it under callgrind.
 */
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <valgrind/callgrind.h>

#include "base/config.h"
#include "base/log.h"
#include "evlog/evlog.h"
#include "kernel/nfq.h"
#include "kernel/queued.h"
#include "match/match.h"
#include "wire/pkt.h"
#include "daemon/webflow.h"
#include "daemon/worker.h"
#include "rulelist.h"

#define GROUP     64
#define HELLO_LEN 517
#define NEXT_LEN  80 /* the client's ChangeCipherSpec and Finished records */
#define MSG_MAX   2048
#define NBLOCKED  8
#define NALLOWED  16
#define NCLIENTS  1024

enum kind { K_SYN, K_ACK, K_HELLO_ALLOWED, K_HELLO_BLOCKED, K_NEXT, K_N };
static const char *const kind_name[K_N] = {"syn", "ack", "hello_allowed", "hello_blocked", "next"};

/* One generated packet as a queue message, and whether the rules queue it. */
struct msg {
	uint8_t buf[MSG_MAX];
	size_t len;
	int queued;
};

static struct msg group[K_N][GROUP];
static uint32_t packet_id;

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t
rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static size_t
put16(uint8_t *p, size_t off, unsigned v)
{
	p[off] = (uint8_t)(v >> 8);
	p[off + 1] = (uint8_t)v;
	return off + 2;
}

/* A TLS 1.3 ClientHello record for name, padded to HELLO_LEN bytes, as tls_flows.c sends it. */
static void
hello(uint8_t *h, const char *name)
{
	size_t n = strlen(name), o = 0, ext;

	memset(h, 0, HELLO_LEN);
	h[o++] = 0x16;
	o = put16(h, o, 0x0301);
	o = put16(h, o, HELLO_LEN - 5);
	h[o++] = 1;
	h[o++] = 0;
	o = put16(h, o, HELLO_LEN - 9);
	o = put16(h, o, 0x0303);
	for (int i = 0; i < 32; i++)
		h[o++] = (uint8_t)rng();
	h[o++] = 32;
	for (int i = 0; i < 32; i++)
		h[o++] = (uint8_t)rng();
	o = put16(h, o, 6);
	o = put16(h, o, 0x1301);
	o = put16(h, o, 0x1302);
	o = put16(h, o, 0x1303);
	h[o++] = 1;
	h[o++] = 0;
	ext = o;
	o += 2;
	o = put16(h, o, 0);
	o = put16(h, o, (unsigned)n + 5);
	o = put16(h, o, (unsigned)n + 3);
	h[o++] = 0;
	o = put16(h, o, (unsigned)n);
	memcpy(h + o, name, n);
	o += n;
	o = put16(h, o, 43);
	o = put16(h, o, 3);
	h[o++] = 2;
	o = put16(h, o, 0x0304);
	o = put16(h, o, 10);
	o = put16(h, o, 4);
	o = put16(h, o, 2);
	o = put16(h, o, 29);
	o = put16(h, o, 13);
	o = put16(h, o, 4);
	o = put16(h, o, 2);
	o = put16(h, o, 0x0403);
	o = put16(h, o, 51);
	o = put16(h, o, 38);
	o = put16(h, o, 36);
	o = put16(h, o, 29);
	o = put16(h, o, 32);
	for (int i = 0; i < 32; i++)
		h[o++] = (uint8_t)rng();
	o = put16(h, o, 21);
	o = put16(h, o, (unsigned)(HELLO_LEN - o - 2));
	(void)put16(h, ext, (unsigned)(HELLO_LEN - ext - 2));
}

/* The client's records after its hello: ChangeCipherSpec, then one application data record. */
static void
next_records(uint8_t *r)
{
	size_t o = 0;

	r[o++] = 0x14;
	o = put16(r, o, 0x0303);
	o = put16(r, o, 1);
	r[o++] = 1;
	r[o++] = 0x17;
	o = put16(r, o, 0x0303);
	o = put16(r, o, NEXT_LEN - o - 2);
	while (o < NEXT_LEN)
		r[o++] = (uint8_t)rng();
}

static uint16_t
csum_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static uint32_t
csum_add(uint32_t s, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)b[i] << 8 | b[i + 1];
	if (n & 1)
		s += (uint32_t)b[n - 1] << 8;
	return s;
}

struct tuple {
	int family;
	uint8_t src[16], dst[16];
	uint16_t sport;
	uint32_t isn, sisn, ts;
};

/*
 * An IP packet of t's client, as Linux sends it: TCP options MSS, SACK
 * permitted, timestamp and window scale on the SYN, the timestamp on the
 * others; checksums right. Returns its length.
 */
static size_t
ip_packet(uint8_t *out, const struct tuple *t, uint8_t flags, uint32_t seq, uint32_t ack,
    const uint8_t *data, size_t len)
{
	size_t ihl = t->family == 4 ? 20 : 40;
	size_t thl = (flags & PKT_TCP_SYN) ? 40 : 32;
	size_t total = ihl + thl + len;
	uint8_t *th = out + ihl;
	uint32_t s = 0;

	memset(out, 0, ihl + thl);
	if (t->family == 4) {
		out[0] = 0x45;
		put16(out, 2, (unsigned)total);
		put16(out, 4, (unsigned)(rng() & 0xffff));
		out[6] = 0x40;
		out[8] = 63;
		out[9] = IPPROTO_TCP;
		memcpy(out + 12, t->src, 4);
		memcpy(out + 16, t->dst, 4);
		put16(out, 10, csum_fold(csum_add(0, out, 20)));
		s = csum_add(s, out + 12, 8);
	} else {
		out[0] = 0x60;
		put16(out, 4, (unsigned)(thl + len));
		out[6] = IPPROTO_TCP;
		out[7] = 63;
		memcpy(out + 8, t->src, 16);
		memcpy(out + 24, t->dst, 16);
		s = csum_add(s, out + 8, 32);
	}
	put16(th, 0, t->sport);
	put16(th, 2, 443);
	for (int i = 0; i < 4; i++) {
		th[4 + i] = (uint8_t)(seq >> (24 - 8 * i));
		th[8 + i] = (uint8_t)(ack >> (24 - 8 * i));
	}
	th[12] = (uint8_t)(thl / 4) << 4;
	th[13] = flags;
	put16(th, 14, (flags & PKT_TCP_SYN) ? 64240 : 502);
	uint8_t *o = th + 20;
	if (flags & PKT_TCP_SYN) {
		static const uint8_t syn_opts[] = {
		    2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 3, 7};
		_Static_assert(sizeof(syn_opts) == 20, "the SYN's options fill its 40-byte header");
		memcpy(o, syn_opts, sizeof(syn_opts));
		o += 8;
	} else {
		o[0] = o[1] = 1;
		o[2] = 8;
		o[3] = 10;
		o += 4;
	}
	for (int i = 0; i < 4; i++)
		o[i] = (uint8_t)(t->ts >> (24 - 8 * i));
	if (len > 0) /* the SYN and the ACK have no data, and no buffer */
		memcpy(th + thl, data, len);
	s += IPPROTO_TCP + (uint32_t)(thl + len);
	s = csum_add(s, th, thl + len);
	put16(th, 16, csum_fold(s));
	return total;
}

/* p (len bytes) as the kernel queues it from the forward hook: one NFQNL_MSG_PACKET message. */
static void
queue_msg(struct msg *m, int family, const uint8_t *p, size_t len, int queued)
{
	struct nlmsghdr *nlh = nfq_nlmsg_put((char *)m->buf, NFQNL_MSG_PACKET, 0);
	struct nfqnl_msg_packet_hdr ph = {0, htons(family == 4 ? ETH_P_IP : ETH_P_IPV6),
	    NF_INET_FORWARD}; /* id: number_group() */
	struct nfqnl_msg_packet_hw hw = {htons(6), 0, {2, 0, 0, 0, 0, 1, 0, 0}};

	nlh->nlmsg_seq = 0;
	mnl_attr_put(nlh, NFQA_PACKET_HDR, sizeof(ph), &ph);
	mnl_attr_put_u32(nlh, NFQA_IFINDEX_INDEV, htonl(2));
	mnl_attr_put_u32(nlh, NFQA_IFINDEX_OUTDEV, htonl(3));
	mnl_attr_put(nlh, NFQA_HWADDR, sizeof(hw), &hw);
	mnl_attr_put(nlh, NFQA_PAYLOAD, len, p);
	m->len = nlh->nlmsg_len;
	m->queued = queued;
}

static const char *blocked_names[NBLOCKED];
static const char *allowed_names[NALLOWED];

/* Flow number i's packets into slot g of each kind; even flows allowed, odd ones blocked. */
static void
gen_flow(unsigned long i, unsigned g)
{
	static uint8_t h[HELLO_LEN], nx[NEXT_LEN];
	uint8_t pkt[MSG_MAX];
	struct tuple t;
	unsigned c = (unsigned)(i % NCLIENTS);
	size_t n;

	memset(&t, 0, sizeof(t));
	t.family = (i / 2) % 2 ? 6 : 4;
	if (t.family == 4) {
		uint8_t s4[4] = {10, 64, (uint8_t)(c >> 8), (uint8_t)c}, d4[4] = {203, 0, 113, 10};
		memcpy(t.src, s4, 4);
		memcpy(t.dst, d4, 4);
	} else {
		t.src[0] = 0x20;
		t.src[1] = 0x01;
		t.src[2] = 0x0d;
		t.src[3] = 0xb8;
		t.src[6] = (uint8_t)(c >> 8); /* a /64 of its own, as a subscriber's */
		t.src[7] = (uint8_t)c;
		t.src[15] = 2;
		memcpy(t.dst, t.src, 4);
		t.dst[5] = 1;
		t.dst[15] = 10;
	}
	t.sport = (uint16_t)(32768 + (i / NCLIENTS) % 28000);
	t.isn = (uint32_t)rng();
	t.sisn = (uint32_t)rng();
	t.ts = (uint32_t)rng();
	int blocked = i % 2;
	hello(h, blocked ? blocked_names[(i / 2) % NBLOCKED] : allowed_names[(i / 2) % NALLOWED]);

	n = ip_packet(pkt, &t, PKT_TCP_SYN, t.isn, 0, NULL, 0);
	queue_msg(&group[K_SYN][g], t.family, pkt, n, queued_web_tcp(PKT_TCP_SYN, 0));
	t.ts += 1;
	n = ip_packet(pkt, &t, PKT_TCP_ACK, t.isn + 1, t.sisn + 1, NULL, 0);
	queue_msg(&group[K_ACK][g], t.family, pkt, n, queued_web_tcp(PKT_TCP_ACK, 0));
	n = ip_packet(pkt, &t, PKT_TCP_ACK | PKT_TCP_PSH, t.isn + 1, t.sisn + 1, h, HELLO_LEN);
	queue_msg(&group[K_HELLO_ALLOWED][g], t.family, pkt, n,
	    !blocked && queued_web_tcp(PKT_TCP_ACK | PKT_TCP_PSH, HELLO_LEN));
	queue_msg(&group[K_HELLO_BLOCKED][g], t.family, pkt, n,
	    blocked && queued_web_tcp(PKT_TCP_ACK | PKT_TCP_PSH, HELLO_LEN));
	/* The server's flight came (a few KB); the client's next records follow. */
	t.ts += 20;
	next_records(nx);
	n = ip_packet(
	    pkt, &t, PKT_TCP_ACK | PKT_TCP_PSH, t.isn + 1 + HELLO_LEN, t.sisn + 4001, nx, NEXT_LEN);
	queue_msg(&group[K_NEXT][g], t.family, pkt, n,
	    !blocked && queued_web_tcp(PKT_TCP_ACK | PKT_TCP_PSH, NEXT_LEN));
}

/*
 * The kernel numbers packets as they are queued, one after another: the
 * group's queued messages numbered in the order drive() hands them over.
 */
static void
number_group(unsigned n)
{
	for (int k = 0; k < K_N; k++)
		for (unsigned g = 0; g < n; g++) {
			struct msg *m = &group[k][g];
			uint32_t id;

			if (!m->queued)
				continue;
			id = htonl(++packet_id);
			memcpy(m->buf + NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg)) +
				NLA_HDRLEN,
			    &id, sizeof(id));
		}
}

static struct worker w;
static unsigned long handed[K_N];

/* The group's packets of one kind, each as one received message, then the batch's verdicts. */
static void
drive(enum kind k, unsigned n)
{
	for (unsigned g = 0; g < n; g++) {
		const struct msg *m = &group[k][g];
		if (m->queued)
			handed[k] += nfqueue_dispatch(&w.q, m->buf, m->len, worker_packet, &w);
	}
	(void)nfqueue_flush(&w.q);
}

/* One function per kind, so that callgrind counts each kind apart (--toggle-collect). */
__attribute__((noinline)) static void
drive_syn(unsigned n)
{
	drive(K_SYN, n);
}

__attribute__((noinline)) static void
drive_ack(unsigned n)
{
	drive(K_ACK, n);
}

__attribute__((noinline)) static void
drive_hello_allowed(unsigned n)
{
	drive(K_HELLO_ALLOWED, n);
}

__attribute__((noinline)) static void
drive_hello_blocked(unsigned n)
{
	drive(K_HELLO_BLOCKED, n);
}

__attribute__((noinline)) static void
drive_next(unsigned n)
{
	drive(K_NEXT, n);
}

/* The list: the blocked names and entries-NBLOCKED other names, as a parser hands it over. */
static struct rulelist *
gen_list(size_t entries)
{
	struct rulelist *l = calloc(1, sizeof(*l));
	size_t cap = entries * 32 + 64, used = 0;
	char *arena = malloc(cap);

	if (l == NULL || arena == NULL)
		return NULL;
	if (entries < NBLOCKED)
		entries = NBLOCKED;
	l->nentries = entries;
	l->entries = calloc(entries, sizeof(*l->entries));
	l->orders = calloc(1, sizeof(*l->orders));
	if (l->entries == NULL || l->orders == NULL)
		return NULL;
	l->norders = 1;
	l->serial = 1;
	l->orders[0].ref = arena;
	used = (size_t)sprintf(arena, "CL-2026-000123") + 1;
	l->orders[0].service = l->orders[0].authority = l->orders[0].notice =
	    l->orders[0].notice_url = arena + used - 1;
	l->orders[0].not_after = INT64_MAX;
	for (size_t i = 0; i < entries; i++) {
		struct rule_entry *e = &l->entries[i];
		char *p = arena + used;
		int n = i < NBLOCKED ? sprintf(p, "blocked-%zu.example", i)
				     : sprintf(p, "n%07zx.listed.example", rng() & 0xfffffff);
		e->name = p;
		e->namelen = (uint32_t)n;
		e->type = i < NBLOCKED || i % 3 ? RULE_SUFFIX : RULE_DOMAIN;
		e->line = (uint32_t)(i + 10);
		used += (size_t)n + 1;
	}
	l->arena = arena;
	return l;
}

static double
cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

int
main(int argc, char **argv)
{
	unsigned long flows = 20000;
	size_t entries = 10;
	static struct blockd_config cfg;
	static char bn[NBLOCKED][64], an[NALLOWED][64];
	char err[512], dir[] = "/tmp/flow_path.XXXXXX", path[sizeof(dir) + 16];

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			return 0;
		if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
			flows = strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "-l") == 0 && i + 1 < argc)
			entries = strtoul(argv[++i], NULL, 10);
		else {
			fprintf(stderr, "usage: flow_path [-n FLOWS] [-l ENTRIES] [--json FILE]\n");
			return 2;
		}
	}
	for (int i = 0; i < NBLOCKED; i++) {
		snprintf(bn[i], sizeof(bn[i]), "www.blocked-%d.example", i);
		blocked_names[i] = bn[i];
	}
	for (int i = 0; i < NALLOWED; i++) {
		snprintf(an[i], sizeof(an[i]), "www.allowed-%d.example", i);
		allowed_names[i] = an[i];
	}
	config_defaults(&cfg);
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/events.log", dir);
	struct evlog_opts eo;
	evlog_opts_config(&eo, &cfg);
	eo.path = path;
	eo.state_dir = dir;
	eo.manual = 1;
	struct evlog *log = evlog_open(&eo);
	struct snapref *snaps = snapref_create(1);
	struct rulelist *list = gen_list(entries);
	struct match_snapshot *snap;
	if (log == NULL || snaps == NULL || list == NULL ||
	    match_build(list, NULL, 0, &snap, err, sizeof(err)) != 0) {
		fprintf(stderr, "flow_path: setup: %s\n", err);
		return 1;
	}
	snapref_swap(snaps, snap);
	if (worker_init(&w, 0, 0, &cfg, snaps, log, -1, err, sizeof(err)) == -1 ||
	    nfqueue_open_detached(&w.q, 0) == -1) {
		fprintf(stderr, "flow_path: worker: %s\n", err);
		return 1;
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	w.now = ts.tv_sec;
	w.now_us = (uint64_t)ts.tv_sec * 1000000u;

	double gen_cpu = 0, t0 = cpu_s();
	CALLGRIND_START_INSTRUMENTATION;
	for (unsigned long i = 0; i < flows; i += GROUP) {
		unsigned n = flows - i < GROUP ? (unsigned)(flows - i) : GROUP;
		double g0 = cpu_s();
		for (unsigned g = 0; g < n; g++)
			gen_flow(i + g, g);
		number_group(n);
		gen_cpu += cpu_s() - g0;
		drive_syn(n);
		drive_ack(n);
		drive_hello_allowed(n);
		drive_hello_blocked(n);
		drive_next(n);
		if ((i / GROUP) % 16 == 15)
			(void)evlog_pump(log); /* the writer thread's work, not the worker's */
	}
	CALLGRIND_STOP_INSTRUMENTATION;
	double took = cpu_s() - t0 - gen_cpu;

	struct counter_values cv;
	worker_counters_sum(&w, 1, &cv);
	printf("flows %lu entries %zu", flows, entries);
	for (int k = 0; k < K_N; k++)
		printf(" %s %lu", kind_name[k], handed[k]);
	printf(" cpu_us_per_flow %.3f\n", took * 1e6 / (double)flows);
	static const char *const keys[] = {"received", "missed", "verdict_msgs", "tls_hellos",
	    "tls_blocked", "tls_no_sni", "client_share_exceeded", "flows_evicted", "events",
	    "events_lost"};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		printf("%s%s %llu", i ? " " : "", keys[i],
		    (unsigned long long)counters_stat(&cv, keys[i]));
	printf("\n");
	nfqueue_close(&w.q);
	webflow_close(&w);
	evlog_close(log);
	snapref_destroy(snaps);
	return 0;
}
