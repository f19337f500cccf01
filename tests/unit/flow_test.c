/* Unit tests for flow.c: lookup and insert, v4 and v6 keys, eviction, timeouts, stream buffers. */
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <string.h>

#include "wire/flow.h"

static void
key4(struct flow_key *k, unsigned n)
{
	uint8_t s[4] = {192, 0, 2, (uint8_t)(n & 0xff)}, d[4] = {198, 51, 100, 7};

	flow_key_v4(k, IPPROTO_TCP, s, (uint16_t)(40000 + (n >> 8)), d, 443);
}

Test(flow, insert_lookup_v4_v6)
{
	struct flow_table *t = flow_table_create(16, 4, 60, 42);
	struct flow_key a, b, c;
	uint8_t s6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1},
		d6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
	struct flow *f;
	int created;

	cr_assert_not_null(t);
	key4(&a, 1);
	flow_key_v6(&b, IPPROTO_UDP, s6, 5000, d6, 443);
	c = b;
	c.proto = IPPROTO_TCP;
	cr_assert_null(flow_lookup(t, &a, 0));
	f = flow_insert(t, &a, 0, &created);
	cr_assert_eq(created, 1);
	cr_assert_eq(f->verdict, FLOW_UNDECIDED);
	f->verdict = FLOW_BLOCKED;
	f->client_isn = 12345;
	f->flags |= FLOW_F_ISN;
	cr_assert_eq(flow_insert(t, &a, 1, &created), f);
	cr_assert_eq(created, 0);
	f = flow_insert(t, &b, 1, NULL);
	cr_assert_neq(f, flow_lookup(t, &a, 1));
	cr_assert_null(flow_lookup(t, &c, 1), "protocol is part of the key");
	cr_assert_eq(flow_lookup(t, &b, 2), f);
	f = flow_lookup(t, &a, 2);
	cr_assert_eq(f->verdict, FLOW_BLOCKED);
	cr_assert_eq(f->client_isn, 12345);
	flow_table_destroy(t);
}

Test(flow, lru_eviction_when_full)
{
	struct flow_table *t = flow_table_create(100, 10, 60, 1);
	struct flow_stats st;
	struct flow_key k;
	unsigned i;

	for (i = 0; i < 100; i++) {
		key4(&k, i);
		flow_insert(t, &k, 0, NULL);
	}
	/* touch flow 0 so flow 1 becomes the least recently used */
	key4(&k, 0);
	cr_assert_not_null(flow_lookup(t, &k, 1));
	key4(&k, 1000);
	flow_insert(t, &k, 1, NULL);
	key4(&k, 1);
	cr_assert_null(flow_lookup(t, &k, 1), "least recently used flow is evicted");
	key4(&k, 0);
	cr_assert_not_null(flow_lookup(t, &k, 1));
	key4(&k, 2);
	cr_assert_not_null(flow_lookup(t, &k, 1));
	flow_stats(t, &st);
	cr_assert_eq(st.evictions, 1);
	cr_assert_eq(st.active, 100);
	cr_assert_eq(st.inserts, 101);
	flow_table_destroy(t);
}

Test(flow, timeouts)
{
	struct flow_table *t = flow_table_create(64, 4, 30, 7);
	struct flow_stats st;
	struct flow_key k;
	unsigned i;

	for (i = 0; i < 10; i++) {
		key4(&k, i);
		flow_insert(t, &k, (int64_t)i, NULL);
	}
	key4(&k, 0);
	cr_assert_not_null(flow_lookup(t, &k, 29), "idle 29 s of 30: alive");
	key4(&k, 1);
	cr_assert_null(flow_lookup(t, &k, 31), "idle 30 s: expired on lookup");
	/* flows 2..9 were last seen at 2..9; at 36 those seen at <= 6 expire */
	cr_assert_eq(flow_expire(t, 36, 100), 5);
	key4(&k, 7);
	cr_assert_not_null(flow_lookup(t, &k, 36));
	cr_assert_eq(flow_expire(t, 1000, 1), 1, "max bounds the work");
	flow_stats(t, &st);
	cr_assert_eq(st.expirations, 7);
	cr_assert_eq(st.active, 3);
	flow_table_destroy(t);
}

Test(flow, full_table_reuses_expired_first)
{
	struct flow_table *t = flow_table_create(2, 2, 10, 7);
	struct flow_stats st;
	struct flow_key k;

	key4(&k, 1);
	flow_insert(t, &k, 0, NULL);
	key4(&k, 2);
	flow_insert(t, &k, 5, NULL);
	key4(&k, 3);
	flow_insert(t, &k, 12, NULL); /* flow 1 idle 12 s: expired, not evicted */
	flow_stats(t, &st);
	cr_assert_eq(st.expirations, 1);
	cr_assert_eq(st.evictions, 0);
	key4(&k, 4);
	flow_insert(t, &k, 12, NULL);
	flow_stats(t, &st);
	cr_assert_eq(st.evictions, 1);
	flow_table_destroy(t);
}

Test(flow, stream_buffers_from_pool)
{
	struct flow_table *t = flow_table_create(8, 2, 60, 3);
	struct flow *f[3];
	struct flow_key k;
	struct flow_stats st;
	unsigned i;

	for (i = 0; i < 3; i++) {
		key4(&k, i);
		f[i] = flow_insert(t, &k, 0, NULL);
	}
	cr_assert_not_null(flow_stream(t, f[0]));
	cr_assert_eq(flow_stream(t, f[0]), f[0]->stream, "same buffer on the second call");
	cr_assert_not_null(flow_stream(t, f[1]));
	cr_assert_null(flow_stream(t, f[2]));
	cr_assert(f[2]->flags & FLOW_F_NOSTREAM);
	flow_remove(t, f[0]); /* gives its buffer back */
	cr_assert_not_null(flow_stream(t, f[2]));
	flow_stream_release(t, f[1]);
	cr_assert_null(f[1]->stream);
	flow_stats(t, &st);
	cr_assert_eq(st.streams.exhausted, 1);
	cr_assert_eq(st.streams.in_use, 1);
	cr_assert_eq(st.removals, 1);
	cr_assert_eq(st.active, 2);
	flow_table_destroy(t);
}

Test(flow, alt_stream_copies_and_is_released_with_the_stream)
{
	struct flow_table *t = flow_table_create(8, 3, 60, 3);
	struct flow_key k;
	struct flow_stats st;
	struct flow *f;

	key4(&k, 1);
	f = flow_insert(t, &k, 0, NULL);
	cr_assert_null(flow_stream_alt(t, f), "no stream, no copy of it");
	reasm_add(flow_stream(t, f), 0, (const uint8_t *)"hello", 5);
	struct reasm *alt = flow_stream_alt(t, f);
	cr_assert_not_null(alt);
	cr_assert_eq(flow_stream_alt(t, f), alt, "same buffer on the second call");
	cr_assert_eq(reasm_contig(alt), 5);
	cr_assert_eq(memcmp(reasm_data(alt), "hello", 5), 0);
	cr_assert(alt->flags & REASM_F_LAST_WINS);
	flow_stats(t, &st);
	cr_assert_eq(st.streams.in_use, 2);
	flow_stream_release(t, f);
	cr_assert_null(f->alt);
	flow_stats(t, &st);
	cr_assert_eq(st.streams.in_use, 0);
	/* flow_remove() gives both back; an exhausted pool leaves the copy out */
	reasm_add(flow_stream(t, f), 0, (const uint8_t *)"x", 1);
	cr_assert_not_null(flow_stream_alt(t, f));
	key4(&k, 2);
	struct flow *g = flow_insert(t, &k, 0, NULL);
	cr_assert_not_null(flow_stream(t, g));
	cr_assert_null(flow_stream_alt(t, g));
	cr_assert(g->flags & FLOW_F_NOSTREAM);
	flow_remove(t, f);
	flow_stats(t, &st);
	cr_assert_eq(st.streams.in_use, 1);
	flow_table_destroy(t);
}

/* A key hashed once serves the lookup and the insert; a slot used again starts zeroed. */
Test(flow, hashed_calls_and_reused_slots)
{
	struct flow_table *t = flow_table_create(2, 4, 60, 7);
	struct flow_key a, b, c;

	cr_assert_not_null(t);
	key4(&a, 1);
	key4(&b, 2);
	key4(&c, 3);
	uint32_t h = flow_hash(t, &a);
	cr_assert_eq(h, flow_hash(t, &a), "the same key, the same hash");
	cr_assert_null(flow_lookup_h(t, &a, h, 0));
	struct flow *f = flow_add_h(t, &a, h, 0);
	cr_assert_eq(flow_lookup(t, &a, 1), f);
	cr_assert_eq(flow_lookup_h(t, &a, h, 1), f);
	f->verdict = FLOW_BLOCKED;
	f->app_state = 99;
	f->tcp.flags = 3;
	f->app_data[2] = 5;
	flow_remove(t, f);
	cr_assert_null(flow_lookup_h(t, &a, h, 2));
	struct flow *g = flow_add(t, &b, 2);
	cr_assert_eq(g, f, "the freed slot is taken again");
	cr_assert_eq(g->verdict, FLOW_UNDECIDED);
	cr_assert_eq(g->app_state, 0);
	cr_assert_eq(g->tcp.flags, 0);
	cr_assert_eq(g->app_data[2], 0);
	/* Full: the oldest is evicted, and its slot too starts zeroed. */
	struct flow *x = flow_add(t, &a, 3);
	x->flags = FLOW_F_EVASIVE;
	g->flags = FLOW_F_ISN;
	struct flow *y = flow_add(t, &c, 4);
	cr_assert_eq(y, g);
	cr_assert_eq(y->flags, 0);
	cr_assert_null(flow_lookup(t, &b, 4));
	cr_assert_eq(flow_lookup(t, &a, 4), x);
	cr_assert_eq(flow_lookup(t, &c, 4), y);
	flow_table_destroy(t);
}

Test(flow, churn_keeps_table_consistent)
{
	struct flow_table *t = flow_table_create(1000, 16, 5, 99);
	struct flow_stats st;
	struct flow_key k;
	unsigned i, seed = 5;

	for (i = 0; i < 200000; i++) {
		struct flow *f;

		seed = seed * 1103515245u + 12345u;
		key4(&k, (seed >> 8) % 3000);
		f = flow_insert(t, &k, i / 1000, NULL);
		cr_assert_eq(memcmp(&f->key, &k, sizeof(k)), 0);
		if ((seed >> 4) % 7 == 0)
			flow_remove(t, f);
		if (i % 5000 == 0)
			flow_expire(t, i / 1000, 100000);
	}
	flow_stats(t, &st);
	cr_assert_leq(st.active, 1000);
	cr_assert_eq(st.inserts - st.evictions - st.expirations - st.removals, st.active);
	flow_table_destroy(t);
}

Test(flow, bad_arguments)
{
	cr_assert_null(flow_table_create(0, 1, 1, 0));
	cr_assert_null(flow_table_create(1, 0, 1, 0));
	cr_assert_null(flow_table_create(1, 1, 0, 0));
	flow_table_destroy(NULL);
}

static void
count_drop(void *arg, const struct flow *f)
{
	(void)f;
	(*(int *)arg)++;
}

/* The drop hook sees every flow that goes: removed, evicted from a full table, expired. */
Test(flow, drop_hook)
{
	struct flow_table *t = flow_table_create(2, 2, 10, 7);
	struct flow_key k;
	int drops = 0;

	flow_table_on_drop(t, count_drop, &drops);
	key4(&k, 1);
	struct flow *f = flow_insert(t, &k, 100, NULL);
	flow_remove(t, f);
	cr_assert_eq(drops, 1);
	for (unsigned i = 2; i <= 4; i++) {
		key4(&k, i);
		flow_insert(t, &k, 100, NULL);
	}
	cr_assert_eq(drops, 2, "the third flow evicts one");
	cr_assert_eq(flow_expire(t, 200, 10), 2);
	cr_assert_eq(drops, 4);
	flow_table_destroy(t);
}

/* One stream in FLOW_LONG_SHARE may grow; a grown one gives its memory back with its buffer. */
Test(flow, long_streams_bounded_and_returned)
{
	struct flow_table *t = flow_table_create(8, FLOW_LONG_SHARE, 60, 1);
	struct flow_key a, b;
	struct flow_stats st;

	key4(&a, 1);
	key4(&b, 2);
	struct flow *fa = flow_insert(t, &a, 0, NULL), *fb = flow_insert(t, &b, 0, NULL);
	cr_assert_null(flow_stream_grow(t, fa), "no stream yet");
	cr_assert_not_null(flow_stream(t, fa));
	cr_assert_not_null(flow_stream(t, fb));
	cr_assert_eq(flow_stream_grow(t, fa), fa->stream);
	cr_assert_eq(reasm_size(fa->stream), REASM_LONG);
	cr_assert_eq(flow_stream_grow(t, fa), fa->stream, "grown already");
	cr_assert_null(flow_stream_grow(t, fb), "the one long block is in use");
	flow_stats(t, &st);
	cr_assert_eq(st.long_in_use, 1);
	cr_assert_eq(st.long_exhausted, 1);
	flow_remove(t, fa);
	cr_assert_eq(flow_stream_grow(t, fb), fb->stream);
	flow_stream_release(t, fb);
	flow_stats(t, &st);
	cr_assert_eq(st.long_in_use, 0);
	cr_assert_eq(st.long_gets, 2);
	flow_table_destroy(t);
}
