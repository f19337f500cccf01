/* The segments after an allowed TLS 1.3 hello through the worker: when a second hello is read. */
#include <criterion/criterion.h>
#include <ftw.h>
#include <netinet/in.h>
#include <linux/if_ether.h>
#include <linux/netfilter.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/config.h"
#include "daemon/webflow.h"
#include "daemon/worker.h"
#include "evlog/evlog.h"
#include "kernel/nfq.h"
#include "match/match.h"
#include "wire/flow.h"
#include "wire/pkt.h"
#include "hello_build.h"
#include "match_testlist.h"

#define ISN  1000000u
#define SISN 5000000u
#define TS   777u
#define TTL  60

static struct blockd_config cfg;
static struct worker w;
static struct evlog *evl;
static struct snapref *snaps;
static char dir[] = "/tmp/webflow_test.XXXXXX";
static uint32_t packet_id;

static const uint8_t client[4] = {192, 0, 2, 7}, server[4] = {198, 51, 100, 9};

static void
setup(void)
{
	char err[256], path[sizeof(dir) + 16];
	struct tent t[] = {{RULE_SUFFIX, "blocked.example", 0}};
	struct match_snapshot *snap;
	struct evlog_opts eo;

	config_defaults(&cfg);
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/events.log", dir);
	evlog_opts_config(&eo, &cfg);
	eo.path = path;
	eo.state_dir = dir;
	eo.manual = 1;
	cr_assert_not_null(evl = evlog_open(&eo));
	cr_assert_not_null(snaps = snapref_create(1));
	cr_assert_eq(
	    match_build(tl_make(t, 1, NULL, 1, 1), NULL, 0, &snap, err, sizeof(err)), 0, "%s", err);
	snapref_swap(snaps, snap);
	cr_assert_eq(worker_init(&w, 0, 0, &cfg, snaps, evl, -1, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(nfqueue_open_detached(&w.q, 0), 0);
	w.now = time(NULL);
	w.now_us = (uint64_t)w.now * 1000000u;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
teardown(void)
{
	nfqueue_close(&w.q);
	webflow_close(&w);
	snapref_destroy(snaps);
	evlog_close(evl);
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(webflow, .init = setup, .fini = teardown);

static void
put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

/* One client segment, as the worker is shown it: IPv4, a timestamp option, no checksum to check. */
struct seg {
	uint8_t flags;
	uint32_t seq;
	uint32_t ts;
	uint8_t ttl;
	uint16_t urg;
	const uint8_t *data;
	size_t len;
};

/* s handed to the worker; returns the verdict its flow has after it. */
static int
send_seg(const struct seg *s)
{
	static uint8_t b[20 + 32 + 4096];
	size_t total = 20 + 32 + s->len;
	struct flow_key k;

	cr_assert_leq(total, sizeof(b));
	memset(b, 0, 52);
	b[0] = 0x45;
	put16(b + 2, (unsigned)total);
	b[6] = 0x40;
	b[8] = s->ttl ? s->ttl : TTL;
	b[9] = IPPROTO_TCP;
	memcpy(b + 12, client, 4);
	memcpy(b + 16, server, 4);
	uint8_t *th = b + 20;
	put16(th, 40000);
	put16(th + 2, 443);
	put32(th + 4, s->seq);
	put32(th + 8, (s->flags & PKT_TCP_ACK) ? SISN + 1 : 0);
	th[12] = 8 << 4;
	th[13] = s->flags;
	put16(th + 14, 502);
	put16(th + 18, s->urg);
	th[20] = th[21] = 1;
	th[22] = 8;
	th[23] = 10;
	put32(th + 24, s->ts ? s->ts : TS);
	if (s->len > 0) /* a SYN has no data to copy */
		memcpy(th + 32, s->data, s->len);

	struct nfqueue_packet np = {.id = ++packet_id,
	    .hw_protocol = ETH_P_IP,
	    .hook = NF_INET_FORWARD,
	    .data = b,
	    .len = total};
	worker_packet(&w, &w.q, &np);
	(void)nfqueue_flush(&w.q);
	flow_key_v4(&k, IPPROTO_TCP, client, 40000, server, 443);
	struct flow *f = flow_lookup(w.flows, &k, w.now);
	cr_assert_not_null(f);
	return f->verdict;
}

/* The flow of the segments send_seg() makes. */
static struct flow *
the_flow(void)
{
	struct flow_key k;
	flow_key_v4(&k, IPPROTO_TCP, client, 40000, server, 443);
	return flow_lookup(w.flows, &k, w.now);
}

static uint8_t hs[4096], first[4096], rest[4096];
static size_t nfirst;

/*
 * The SYN, then a hello naming allowed.example that offers TLS 1.3 (and
 * early data, if early): the flow waits for a second.
 */
static void
start_with(int early)
{
	struct hello_opts o = {.sni = "www.allowed.example"};
	size_t hl = hello_build(hs, sizeof(hs), &o);

	if (early) {
		/* past legacy_version and random: session id, suites, compression */
		size_t e = 4 + 2 + 32;
		e += 1 + hs[e];
		e += 2 + ((size_t)hs[e] << 8 | hs[e + 1]);
		e += 1 + hs[e];
		put16(hs + e, ((unsigned)hs[e] << 8 | hs[e + 1]) + 4);
		put16(hs + hl, 42); /* early_data, empty */
		put16(hs + hl + 2, 0);
		hl += 4;
		hs[1] = (uint8_t)((hl - 4) >> 16);
		put16(hs + 2, (unsigned)(hl - 4));
	}
	nfirst = hello_records(first, sizeof(first), hs, hl, 16384);
	(void)send_seg(&(struct seg){.flags = PKT_TCP_SYN, .seq = ISN});
	uint64_t waits = atomic_load(&w.c.tls_hello_waits);
	cr_assert_eq(
	    send_seg(&(struct seg){PKT_TCP_ACK | PKT_TCP_PSH, ISN + 1, 0, 0, 0, first, nfirst}),
	    FLOW_UNDECIDED);
	/* Nothing past the hello: its buffer went back, the rules wait for the server's answer. */
	cr_assert_null(the_flow()->stream);
	cr_assert_eq(atomic_load(&w.c.tls_hello_waits), waits + 1);
}

static void
start(void)
{
	start_with(0);
}

/* The next byte of the stream after the first hello. */
#define NEXT (ISN + 1 + (uint32_t)nfirst)

/* A change_cipher_spec record at p; returns its length. */
static size_t
ccs(uint8_t *p)
{
	static const uint8_t r[] = {0x14, 3, 3, 0, 1, 1};
	memcpy(p, r, sizeof(r));
	return sizeof(r);
}

/* An application data record of n bytes at p; returns its length. */
static size_t
appdata(uint8_t *p, size_t n)
{
	p[0] = 0x17;
	p[1] = p[2] = 3;
	put16(p + 3, (unsigned)n);
	memset(p + 5, 0xa5, n);
	return 5 + n;
}

/* The second hello, naming a blocked name, as records at p; returns their length. */
static size_t
second(uint8_t *p)
{
	struct hello_opts o = {.sni = "www.blocked.example"};
	size_t hl = hello_build(hs, sizeof(hs), &o);
	return hello_records(p, 4096, hs, hl, 16384);
}

static struct seg
data(uint32_t seq, const uint8_t *d, size_t len)
{
	return (struct seg){PKT_TCP_ACK | PKT_TCP_PSH, seq, TS + 5, 0, 0, d, len};
}

static int
send_data(uint32_t seq, const uint8_t *d, size_t len)
{
	struct seg s = data(seq, d, len);
	return send_seg(&s);
}

/* The usual: change_cipher_spec and Finished (application data): allowed, the buffer let go. */
Test(webflow, next_records_allow)
{
	start();
	size_t n = ccs(rest);
	n += appdata(rest + n, 53);
	cr_assert_eq(send_data(NEXT, rest, n), FLOW_ALLOWED);
	struct flow_key k;
	flow_key_v4(&k, IPPROTO_TCP, client, 40000, server, 443);
	cr_assert_null(flow_lookup(w.flows, &k, w.now)->stream);
	cr_assert_eq(atomic_load(&w.c.tls_blocked), 0);
}

/*
 * The hello sent again after its buffer went back: the stream takes none of
 * its bytes (read already), the flow still waits, and a second hello after
 * it is read from where the first ended.
 */
Test(webflow, hello_again_then_second_hello_blocks)
{
	start();
	cr_assert_eq(send_data(ISN + 1, first, nfirst), FLOW_UNDECIDED);
	cr_assert_null(the_flow()->stream);
	size_t n = ccs(rest);
	n += second(rest + n);
	cr_assert_eq(send_data(NEXT, rest, n), FLOW_BLOCKED);
	cr_assert_eq(atomic_load(&w.c.tls_after_hello), 2);
}

/*
 * The first hello's bytes again, naming a blocked name: the first copy may
 * never have reached the server (too large for a link past the appliance,
 * say), so this one is read as its own, and resets.
 */
Test(webflow, other_copy_of_hello_blocks)
{
	start();
	size_t n = second(rest);
	cr_assert_eq(send_data(ISN + 1, rest, n), FLOW_BLOCKED);
	cr_assert_eq(atomic_load(&w.c.tls_blocked), 1);
}

/* The same copy in two segments: the first waits in a buffer, the second resets. */
Test(webflow, other_copy_of_hello_split_blocks)
{
	start();
	size_t n = second(rest);
	cr_assert_eq(send_data(ISN + 1, rest, 7), FLOW_UNDECIDED);
	cr_assert_not_null(the_flow()->stream);
	cr_assert_eq(send_data(ISN + 8, rest + 7, n - 7), FLOW_BLOCKED);
}

/* A copy that starts before the stream does and reaches into the hello is read too. */
Test(webflow, copy_from_before_start_blocks)
{
	start();
	static uint8_t pre[4096];
	pre[0] = 0x16;
	size_t n = second(pre + 1);
	cr_assert_eq(send_data(ISN, pre, n + 1), FLOW_BLOCKED);
}

/* A record that is no TLS after the hello: no second hello comes, as the reader says. */
Test(webflow, next_not_tls_allows)
{
	start();
	static const char junk[] = "GET / HTTP/1.1\r\n\r\n";
	cr_assert_eq(send_data(NEXT, (const uint8_t *)junk, sizeof(junk) - 1), FLOW_ALLOWED);
}

/* A second hello right after the first (after change_cipher_spec, or alone) is read and judged. */
Test(webflow, second_hello_blocks)
{
	start();
	size_t n = ccs(rest);
	n += second(rest + n);
	cr_assert_eq(send_data(NEXT, rest, n), FLOW_BLOCKED);
	cr_assert_eq(atomic_load(&w.c.tls_blocked), 1);
}

Test(webflow, second_hello_alone_blocks)
{
	start();
	size_t n = second(rest);
	cr_assert_eq(send_data(NEXT, rest, n), FLOW_BLOCKED);
}

/* A second hello split over segments, the first ending inside its record: waits, then blocks. */
Test(webflow, second_hello_split_blocks)
{
	start();
	size_t n = ccs(rest);
	n += second(rest + n);
	cr_assert_eq(send_data(NEXT, rest, 9), FLOW_UNDECIDED);
	cr_assert_eq(send_data(NEXT + 9, rest + 9, n - 9), FLOW_BLOCKED);
}

/* change_cipher_spec alone, then application data in the next segment: allowed there. */
Test(webflow, ccs_then_appdata_allows)
{
	start();
	size_t n = ccs(rest);
	cr_assert_eq(send_data(NEXT, rest, n), FLOW_UNDECIDED);
	size_t m = appdata(rest + n, 40);
	cr_assert_eq(send_data(NEXT + (uint32_t)n, rest + n, m), FLOW_ALLOWED);
}

/*
 * Out of order: the second hello comes first, then the change_cipher_spec
 * before it, in order but with bytes stored past it: the stream is read.
 */
Test(webflow, out_of_order_second_hello_blocks)
{
	start();
	size_t n = ccs(rest);
	size_t m = second(rest + n);
	cr_assert_eq(send_data(NEXT + (uint32_t)n, rest + n, m), FLOW_UNDECIDED);
	cr_assert_eq(send_data(NEXT, rest, n), FLOW_BLOCKED);
}

/*
 * An urgent byte in front of the second hello: the server's stack takes it
 * out and reads the hello; read from the segment's own bytes it would look
 * like no record at all.
 */
Test(webflow, urgent_byte_before_second_hello_blocks)
{
	start();
	rest[0] = 0x17;
	size_t n = 1 + second(rest + 1);
	struct seg s = data(NEXT, rest, n);
	s.flags |= PKT_TCP_URG;
	s.urg = 1;
	cr_assert_eq(send_seg(&s), FLOW_BLOCKED);
}

/* The same urgent byte, announced by the hello's segment before it came. */
Test(webflow, urgent_byte_announced_before_blocks)
{
	struct hello_opts o = {.sni = "www.allowed.example"};
	size_t hl = hello_build(hs, sizeof(hs), &o);

	nfirst = hello_records(first, sizeof(first), hs, hl, 16384);
	(void)send_seg(&(struct seg){.flags = PKT_TCP_SYN, .seq = ISN});
	struct seg h = data(ISN + 1, first, nfirst);
	h.flags |= PKT_TCP_URG;
	h.urg = (uint16_t)(nfirst + 1); /* the byte after the hello */
	cr_assert_eq(send_seg(&h), FLOW_UNDECIDED);
	rest[0] = 0x17;
	size_t n = 1 + second(rest + 1);
	cr_assert_eq(send_data(NEXT, rest, n), FLOW_BLOCKED);
}

/*
 * Segments the server may never take (below the flow's TTL, or an old
 * timestamp PAWS drops) decide nothing allowed: the second hello after
 * them still blocks.
 */
/* Next records (ChangeCipherSpec, application data) in the usual segment at NEXT. */
static struct seg
plain_next(void)
{
	size_t n = ccs(rest);
	n += appdata(rest + n, 53);
	return data(NEXT, rest, n);
}

/* s, a segment the server would not take, decides nothing: a second hello after it blocks. */
static void
second_after_ignored(const struct seg *s)
{
	cr_assert_eq(send_seg(s), FLOW_UNDECIDED);
	size_t n = ccs(rest);
	n += second(rest + n);
	cr_assert_eq(send_data(NEXT, rest, n), FLOW_BLOCKED);
}

Test(webflow, low_ttl_next_records_decide_nothing)
{
	start();
	struct seg s = plain_next();
	s.ttl = TTL - 5;
	second_after_ignored(&s);
}

Test(webflow, paws_next_records_decide_nothing)
{
	start();
	struct seg s = plain_next();
	s.ts = TS - 1000;
	second_after_ignored(&s);
	cr_assert_eq(atomic_load(&w.c.tcp_paws), 1);
}

/* Application data behind a second hello in one segment: the hello is read first, and blocks. */
Test(webflow, second_hello_then_appdata_blocks)
{
	start();
	size_t n = ccs(rest);
	n += second(rest + n);
	n += appdata(rest + n, 40);
	cr_assert_eq(send_data(NEXT, rest, n), FLOW_BLOCKED);
}

/*
 * Application data ahead of a gap decides nothing: what fills the gap may
 * be a second hello, and it blocks.
 */
Test(webflow, appdata_past_gap_decides_nothing)
{
	start();
	size_t n = ccs(rest);
	n += second(rest + n);
	size_t m = appdata(rest + n, 40);
	cr_assert_eq(send_data(NEXT + (uint32_t)n, rest + n, m), FLOW_UNDECIDED);
	cr_assert_eq(send_data(NEXT, rest, n), FLOW_BLOCKED);
}

/*
 * Application data in order over a second hello stored ahead of it (sent
 * out of order, overlapping): the stream keeps the hello's copy of those
 * bytes, so the hello is read, and blocks.
 */
Test(webflow, appdata_over_stored_hello_blocks)
{
	static uint8_t over[256];
	start();
	size_t n = ccs(rest);
	size_t m = second(rest + n);
	cr_assert_eq(send_data(NEXT + (uint32_t)n, rest + n, m), FLOW_UNDECIDED);
	size_t k = ccs(over);
	k += appdata(over + k, 53);
	cr_assert_eq(send_data(NEXT, over, k), FLOW_BLOCKED);
}

/*
 * A segment in order with the stream's last bytes, but starting where the
 * first hello ended: the copy the stream holds of its first bytes (the
 * start of a second hello) is what the server reads, not the segment's.
 */
Test(webflow, appdata_over_second_hello_start_waits)
{
	static uint8_t over[256];
	start();
	size_t n = ccs(rest);
	n += second(rest + n);
	cr_assert_eq(send_data(NEXT, rest, 26), FLOW_UNDECIDED);
	size_t k = ccs(over);
	k += appdata(over + k, 10);
	cr_assert_eq(send_data(NEXT, over, k), FLOW_UNDECIDED);
	cr_assert_eq(send_data(NEXT + 26, rest + 26, n - 26), FLOW_BLOCKED);
}

/* A first hello that offers early data: application data after it may be early data, not an answer. */
Test(webflow, early_data_then_second_hello_blocks)
{
	start_with(1);
	size_t n = ccs(rest);
	n += appdata(rest + n, 100);
	size_t m = n + second(rest + n);
	cr_assert_eq(send_data(NEXT, rest, n), FLOW_UNDECIDED);
	cr_assert_eq(send_data(NEXT + (uint32_t)n, rest + n, m - n), FLOW_BLOCKED);
}

Test(webflow, early_data_and_second_hello_in_one_blocks)
{
	start_with(1);
	size_t n = ccs(rest);
	n += appdata(rest + n, 100);
	n += second(rest + n);
	cr_assert_eq(send_data(NEXT, rest, n), FLOW_BLOCKED);
}

/*
 * Records after the first hello in its own segment: read at once, as in a
 * segment of their own. change_cipher_spec and application data allow.
 */
Test(webflow, hello_with_next_records_in_one_segment_allows)
{
	struct hello_opts o = {.sni = "www.allowed.example"};
	size_t hl = hello_build(hs, sizeof(hs), &o);
	size_t n = hello_records(first, sizeof(first), hs, hl, 16384);

	n += ccs(first + n);
	n += appdata(first + n, 40);
	(void)send_seg(&(struct seg){.flags = PKT_TCP_SYN, .seq = ISN});
	cr_assert_eq(send_data(ISN + 1, first, n), FLOW_ALLOWED);
}

/* A second hello in the first hello's segment is judged there. */
Test(webflow, hello_with_second_hello_in_one_segment_blocks)
{
	struct hello_opts o = {.sni = "www.allowed.example"};
	size_t hl = hello_build(hs, sizeof(hs), &o);
	size_t n = hello_records(first, sizeof(first), hs, hl, 16384);

	n += ccs(first + n);
	n += second(first + n);
	(void)send_seg(&(struct seg){.flags = PKT_TCP_SYN, .seq = ISN});
	cr_assert_eq(send_data(ISN + 1, first, n), FLOW_BLOCKED);
	cr_assert_eq(atomic_load(&w.c.tls_blocked), 1);
}

/* A record header cut short after the first hello: it waits, and the rest of the record decides. */
Test(webflow, hello_with_cut_record_header_waits)
{
	struct hello_opts o = {.sni = "www.allowed.example"};
	size_t hl = hello_build(hs, sizeof(hs), &o);
	size_t n = hello_records(first, sizeof(first), hs, hl, 16384);
	size_t m = ccs(first + n);

	(void)send_seg(&(struct seg){.flags = PKT_TCP_SYN, .seq = ISN});
	cr_assert_eq(send_data(ISN + 1, first, n + 3), FLOW_UNDECIDED);
	cr_assert_eq(send_data(ISN + 1 + (uint32_t)(n + 3), first + n + 3, m - 3), FLOW_UNDECIDED);
	m += appdata(first + n + m, 40);
	cr_assert_eq(send_data(ISN + 1 + (uint32_t)(n + 6), first + n + 6, m - 6), FLOW_ALLOWED);
}

/* The first hello whole in its segment, read where it lies: its outcomes as from a stream. */
static int
first_hello_seg(const struct hello_opts *o)
{
	size_t hl = hello_build(hs, sizeof(hs), o);
	size_t n = hello_records(first, sizeof(first), hs, hl, 16384);

	(void)send_seg(&(struct seg){.flags = PKT_TCP_SYN, .seq = ISN});
	return send_data(ISN + 1, first, n);
}

Test(webflow, hello_in_segment_blocked_resets)
{
	cr_assert_eq(
	    first_hello_seg(&(struct hello_opts){.sni = "www.blocked.example"}), FLOW_BLOCKED);
	cr_assert_eq(atomic_load(&w.c.tls_blocked), 1);
	cr_assert_eq(atomic_load(&w.c.tls_hello_waits), 0);
}

/* A repeated server_name is refused by the server as by the reader: no hello, allowed. */
Test(webflow, hello_in_segment_malformed_allows)
{
	cr_assert_eq(
	    first_hello_seg(&(struct hello_opts){.sni = "www.blocked.example", .dup_sni = 1}),
	    FLOW_ALLOWED);
	cr_assert_eq(atomic_load(&w.c.tls_not_tls), 1);
	cr_assert_eq(atomic_load(&w.c.tls_blocked), 0);
}

/* No server_name: no_sni decides, and under block the flow is reset. */
Test(webflow, hello_in_segment_no_sni_block)
{
	cfg.no_sni = CFG_NOSNI_BLOCK;
	cr_assert_eq(first_hello_seg(&(struct hello_opts){.sni = NULL}), FLOW_BLOCKED);
	cr_assert_eq(atomic_load(&w.c.tls_no_sni_blocked), 1);
}

Test(webflow, hello_in_segment_no_sni_passes_and_waits)
{
	cr_assert_eq(first_hello_seg(&(struct hello_opts){.sni = NULL}), FLOW_UNDECIDED);
	cr_assert_eq(atomic_load(&w.c.tls_no_sni), 1);
	cr_assert_eq(atomic_load(&w.c.tls_hello_waits), 1);
	cr_assert_null(the_flow()->stream);
}

/* A hello longer than its record (two records): read from the stream, the same verdict. */
Test(webflow, hello_in_two_records_blocks)
{
	struct hello_opts o = {.sni = "www.blocked.example"};
	size_t hl = hello_build(hs, sizeof(hs), &o);
	size_t n = hello_records(first, sizeof(first), hs, hl, 100);

	(void)send_seg(&(struct seg){.flags = PKT_TCP_SYN, .seq = ISN});
	cr_assert_eq(send_data(ISN + 1, first, n), FLOW_BLOCKED);
}
