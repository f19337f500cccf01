/* Unit tests for ipset_update.c: a build patched from the last one equals a full build of the new list. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/ipset.h"
#include "match_testlist.h"
#include "rulefmt.h"

#define NOW    1000000
#define ORDERS 4

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

/*
 * A random address entry in a small space, so that entries overlap, touch
 * and merge: IPv4 in 10.0.0.0/22 and at both ends of the address space,
 * IPv6 in 2001:db8::/118, in ::ffff:10.0.0.0/118 (IPv4-mapped) and at the
 * top.
 */
static void
random_entry(struct rule_entry *e, uint64_t *s)
{
	uint64_t r = rnd(s);
	memset(e, 0, sizeof(*e));
	e->order = (uint32_t)(r % ORDERS);
	r >>= 8;
	int v6 = r & 1, where = (int)(r >> 1 & 15);
	unsigned host = (unsigned)(r >> 8 & 1023);
	e->type = v6 ? RULE_IPV6 : RULE_IPV4;
	/* Half of them single addresses, the rest prefixes up to 8 bits wide. */
	unsigned bits = (unsigned)(r >> 21) % 9 * (unsigned)(r >> 20 & 1);
	uint32_t mask = ~(uint32_t)((1ull << bits) - 1);
	uint32_t low = where == 1 ? 0xffffffffu - (host & 31) : host;
	if (!v6) {
		uint32_t a = where == 0 ? 0 : where == 1 ? low : 0x0a000000u | host;
		a &= mask;
		e->plen = (uint8_t)(32 - bits);
		e->addr[0] = (uint8_t)(a >> 24);
		e->addr[1] = (uint8_t)(a >> 16);
		e->addr[2] = (uint8_t)(a >> 8);
		e->addr[3] = (uint8_t)a;
		return;
	}
	e->plen = (uint8_t)(128 - bits);
	if (where == 1) {
		memset(e->addr, 0xff, 12);
	} else if (where < 6) { /* ::ffff:10.0.x.y */
		e->addr[10] = e->addr[11] = 0xff;
		low |= 0x0a000000u;
	} else {
		e->addr[0] = 0x20;
		e->addr[1] = 0x01;
		e->addr[2] = 0x0d;
		e->addr[3] = 0xb8;
	}
	low &= mask;
	e->addr[12] = (uint8_t)(low >> 24);
	e->addr[13] = (uint8_t)(low >> 16);
	e->addr[14] = (uint8_t)(low >> 8);
	e->addr[15] = (uint8_t)low;
}

static const struct rule_order *cmp_orders;

static int
cmp_entries(const void *a, const void *b)
{
	return rule_entry_cmp(a, b, cmp_orders);
}

/* A list of the n entries e (copied), in the normal form unless shuffled, duplicates dropped. */
static struct rulelist *
list_of(const struct rule_entry *e, size_t n, const struct rule_order *orders, int sorted)
{
	struct rulelist *l = calloc(1, sizeof(*l));
	cr_assert_not_null(l);
	l->orders = calloc(ORDERS, sizeof(*l->orders));
	l->entries = calloc(n ? n : 1, sizeof(*l->entries));
	l->arena = malloc(1);
	cr_assert(l->orders && l->entries && l->arena);
	memcpy(l->orders, orders, ORDERS * sizeof(*orders));
	l->norders = ORDERS;
	if (n)
		memcpy(l->entries, e, n * sizeof(*e));
	cmp_orders = l->orders;
	qsort(l->entries, n, sizeof(*e), cmp_entries);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (k == 0 || rule_entry_cmp(&l->entries[k - 1], &l->entries[i], l->orders) != 0)
			l->entries[k++] = l->entries[i];
	l->nentries = k;
	if (!sorted)
		for (size_t i = k; i > 1; i--) {
			size_t j = (size_t)rand() % i;
			struct rule_entry t = l->entries[i - 1];
			l->entries[i - 1] = l->entries[j];
			l->entries[j] = t;
		}
	return l;
}

static void
assert_same_sets(
    const struct ipset_build *a, const struct ipset_build *b, const char *what, unsigned seed)
{
	for (int s = 0; s < IPSET_NSETS; s++) {
		cr_assert_eq(a->set[s].n, b->set[s].n, "seed %u: %s: set %s holds %zu, not %zu",
		    seed, what, ipset_name(s), a->set[s].n, b->set[s].n);
		cr_assert_eq(a->set[s].w, b->set[s].w);
		if (a->set[s].n)
			cr_assert_eq(
			    memcmp(a->set[s].v, b->set[s].v, a->set[s].n * 2 * a->set[s].w), 0,
			    "seed %u: %s: set %s differs", seed, what, ipset_name(s));
	}
}

/* The held bitmap over l's entries: each bit set with probability 1 in odds (0: none). */
static uint8_t *
held_of(const struct rulelist *l, unsigned odds, uint64_t *s)
{
	if (odds == 0)
		return NULL;
	uint8_t *h = calloc(l->nentries / 8 + 1, 1);
	cr_assert_not_null(h);
	for (size_t i = 0; i < l->nentries; i++)
		if (rnd(s) % odds == 0)
			h[i / 8] |= (uint8_t)(1u << (i % 8));
	return h;
}

/*
 * One step: old built (or patched) from the previous list; the new list,
 * held bits and allowlist patched in, compared with a full build and with
 * ipset_diff() of the two full builds. new is left with the patched build.
 */
static void
check_step(const struct ipset_build *old, const struct ipset_build *old_full,
    const struct rulelist *l, const uint8_t *held, const struct rule_entry *allow, size_t nallow,
    struct ipset_build *patched, unsigned seed)
{
	struct ipset_build full, gone, came, dg, dc;
	struct ipset_stats st, stf;

	struct ipset_build spare;
	cr_assert_eq(ipset_build(l, held, allow, nallow, NOW, &full, &stf), 0);
	/* Every other seed lends the memory of a stale build: nothing of it may show through. */
	cr_assert_eq(ipset_build(l, NULL, NULL, 0, NOW + 20, &spare, &st), 0);
	cr_assert_eq(ipset_update(old, l, held, allow, nallow, NOW, patched, &st, &gone, &came,
			 seed % 2 ? &spare : NULL),
	    0);
	for (int s = 0; s < IPSET_NSETS; s++)
		cr_assert(seed % 2 == 0 || (spare.set[s].v == NULL && spare.set[s].n == 0));
	ipset_build_free(&spare);
	assert_same_sets(patched, &full, "patched against full", seed);
	cr_assert_eq(memcmp(&st, &stf, sizeof(st)), 0, "seed %u: stats differ", seed);
	for (int f = 0; f < 2; f++)
		cr_assert_eq(patched->raw[f].n, full.raw[f].n);
	cr_assert_eq(ipset_diff(old_full, &full, &dg, &dc), 0);
	assert_same_sets(&gone, &dg, "gone", seed);
	assert_same_sets(&came, &dc, "came", seed);
	ipset_build_free(&full);
	ipset_build_free(&gone);
	ipset_build_free(&came);
	ipset_build_free(&dg);
	ipset_build_free(&dc);
}

Test(ipset_update, patched_builds_equal_full_builds_over_many_seeds)
{
	enum { STEPS = 4, MAXN = 400 };
	struct rule_entry *pool = calloc(MAXN, sizeof(*pool));
	cr_assert_not_null(pool);

	for (unsigned seed = 1; seed <= 300; seed++) {
		uint64_t s = seed * 0x9e3779b97f4a7c15ull;
		struct rule_order orders[ORDERS];
		char refs[ORDERS][8];
		memset(orders, 0, sizeof(orders));
		for (int o = 0; o < ORDERS; o++) {
			snprintf(refs[o], sizeof(refs[o]), "o%d", o);
			orders[o].ref = refs[o];
			orders[o].not_after = INT64_MAX;
		}
		size_t n = seed % 7 == 0 ? 0 : (size_t)(rnd(&s) % MAXN);
		for (size_t i = 0; i < n; i++)
			random_entry(&pool[i], &s);
		srand(seed);
		struct rulelist *l = list_of(pool, n, orders, seed % 5 != 0);
		uint8_t *held = held_of(l, seed % 3 ? 0 : 5, &s);
		struct ipset_build cur, cur_full;
		struct ipset_stats st;
		cr_assert_eq(ipset_build(l, held, NULL, 0, NOW, &cur, &st), 0);
		cr_assert_eq(ipset_build(l, held, NULL, 0, NOW, &cur_full, &st), 0);
		free(held);
		rulelist_free(l);
		for (int step = 0; step < STEPS; step++) {
			/* Some entries replaced, some dropped, some added; an order may start or end. */
			size_t change =
			    (size_t)(rnd(&s) % 4 == 0 ? rnd(&s) % (n + 1) : rnd(&s) % 8);
			for (size_t k = 0; k < change && n > 0; k++) {
				size_t i = (size_t)(rnd(&s) % n);
				if (rnd(&s) % 3 == 0)
					pool[i] = pool[--n];
				else
					random_entry(&pool[i], &s);
			}
			for (size_t k = rnd(&s) % 6; k > 0 && n < MAXN; k--)
				random_entry(&pool[n++], &s);
			if (rnd(&s) % 4 == 0) {
				int o = (int)(rnd(&s) % ORDERS);
				orders[o].not_before = orders[o].not_before ? 0 : NOW + 10;
			}
			struct rule_entry allow[3];
			size_t nallow = (size_t)(rnd(&s) % 4);
			for (size_t k = 0; k < nallow; k++)
				random_entry(&allow[k], &s);
			l = list_of(pool, n, orders, (seed + (unsigned)step) % 5 != 0);
			held = held_of(l, rnd(&s) % 2 ? 0 : 4, &s);
			struct ipset_build next;
			check_step(&cur, &cur_full, l, held, allow, nallow, &next, seed);
			ipset_build_free(&cur);
			cur = next;
			ipset_build_free(&cur_full);
			cr_assert_eq(ipset_build(l, held, allow, nallow, NOW, &cur_full, &st), 0);
			free(held);
			rulelist_free(l);
		}
		ipset_build_free(&cur);
		ipset_build_free(&cur_full);
	}
	free(pool);
}

/* Builds of the entries t (n of them); the held bitmap and allowlist may be NULL. */
static void
build_of(const struct tent *t, size_t n, const uint8_t *held, const struct rule_entry *allow,
    size_t nallow, struct rulelist **l, struct ipset_build *b)
{
	struct ipset_stats st;
	*l = tl_make(t, n, NULL, 1, 7);
	cr_assert_eq(ipset_build(*l, held, allow, nallow, NOW, b, &st), 0);
}

/* old's list patched to t2's: equal to a full build, and gone and came as ipset_diff() says. */
static void
patch_to(const struct tent *t1, size_t n1, const uint8_t *held1, const struct tent *t2, size_t n2,
    const uint8_t *held2, const struct rule_entry *allow, size_t nallow, struct ipset_build *gone,
    struct ipset_build *came)
{
	struct rulelist *l1, *l2;
	struct ipset_build a, b, p, dg, dc;
	struct ipset_stats st;

	build_of(t1, n1, held1, NULL, 0, &l1, &a);
	build_of(t2, n2, held2, allow, nallow, &l2, &b);
	cr_assert_eq(ipset_update(&a, l2, held2, allow, nallow, NOW, &p, &st, gone, came, NULL), 0);
	assert_same_sets(&p, &b, "patched against full", 0);
	cr_assert_eq(ipset_diff(&a, &b, &dg, &dc), 0);
	assert_same_sets(gone, &dg, "gone", 0);
	assert_same_sets(came, &dc, "came", 0);
	ipset_build_free(&a);
	ipset_build_free(&b);
	ipset_build_free(&p);
	ipset_build_free(&dg);
	ipset_build_free(&dc);
	rulelist_free(l1);
	rulelist_free(l2);
}

static size_t
changed(const struct ipset_build *b)
{
	size_t n = 0;
	for (int s = 0; s < IPSET_NSETS; s++)
		n += b->set[s].n;
	return n;
}

Test(ipset_update, an_entry_merged_with_a_neighbour_goes)
{
	/* .1 and .2 merged into one interval; .2 goes: the interval goes, .1 comes as a host. */
	const struct tent t1[] = {{RULE_IPV4, "192.0.2.1", 0}, {RULE_IPV4, "192.0.2.2", 0},
	    {RULE_IPV4, "198.51.100.0/25", 0}, {RULE_IPV4, "198.51.100.128/25", 0}};
	const struct tent t2[] = {{RULE_IPV4, "192.0.2.1", 0}, {RULE_IPV4, "198.51.100.0/25", 0},
	    {RULE_IPV4, "198.51.100.128/25", 0}};
	struct ipset_build gone, came;

	patch_to(t1, 4, NULL, t2, 3, NULL, NULL, 0, &gone, &came);
	cr_assert_eq(gone.set[IPSET_BLOCK4].n, 1);
	cr_assert_eq(came.set[IPSET_HOST4].n, 1);
	cr_assert_eq(changed(&gone) + changed(&came), 2, "the /24 stays untouched");
	ipset_build_free(&gone);
	ipset_build_free(&came);
	/* One half of a merged /24 goes: the /24 goes, the other half comes. */
	const struct tent t3[] = {{RULE_IPV4, "192.0.2.1", 0}, {RULE_IPV4, "192.0.2.2", 0},
	    {RULE_IPV4, "198.51.100.128/25", 0}};
	patch_to(t1, 4, NULL, t3, 3, NULL, NULL, 0, &gone, &came);
	cr_assert_eq(changed(&gone) + changed(&came), 2);
	ipset_build_free(&gone);
	ipset_build_free(&came);
}

Test(ipset_update, an_address_inside_a_prefix_changes_nothing)
{
	/* The same address listed alone and inside a prefix, by two orders: one going changes nothing. */
	const struct tent t1[] = {{RULE_IPV4, "192.0.2.7", 0}, {RULE_IPV4, "192.0.2.0/24", 0},
	    {RULE_IPV6, "2001:db8::1", 0}, {RULE_IPV6, "2001:db8::1", 0}};
	const struct tent t2[] = {{RULE_IPV4, "192.0.2.0/24", 0}, {RULE_IPV6, "2001:db8::1", 0}};
	struct ipset_build gone, came;

	patch_to(t1, 4, NULL, t2, 2, NULL, NULL, 0, &gone, &came);
	cr_assert_eq(changed(&gone) + changed(&came), 0);
	ipset_build_free(&gone);
	ipset_build_free(&came);
}

Test(ipset_update, a_new_allowlist_entry_inside_a_prefix)
{
	/* The prefix stays whole in the block set; the allow set, checked first, carves the address out. */
	const struct tent t[] = {
	    {RULE_IPV4, "198.51.100.0/24", 0}, {RULE_IPV6, "2001:db8::/64", 0}};
	struct rule_entry allow[2];
	struct ipset_build gone, came;

	memset(allow, 0, sizeof(allow));
	allow[0].type = RULE_IPV4;
	tl_parse_addr(&allow[0], "198.51.100.77");
	allow[1].type = RULE_IPV6;
	tl_parse_addr(&allow[1], "2001:db8::5/128");
	patch_to(t, 2, NULL, t, 2, NULL, allow, 2, &gone, &came);
	cr_assert_eq(changed(&gone), 0);
	cr_assert_eq(came.set[IPSET_ALLOW4].n, 1);
	cr_assert_eq(came.set[IPSET_ALLOW6].n, 1);
	cr_assert_eq(changed(&came), 2);
	ipset_build_free(&gone);
	ipset_build_free(&came);
}

Test(ipset_update, empty_old_and_new_lists)
{
	const struct tent t[] = {{RULE_IPV4, "192.0.2.1", 0}, {RULE_IPV4, "203.0.113.0/24", 0},
	    {RULE_IPV6, "2001:db8::1", 0}, {RULE_IPV6, "::ffff:192.0.2.9", 0},
	    {RULE_IPV4, "255.255.255.255", 0}, {RULE_IPV6, "ffff:ffff:ffff:ffff::/64", 0}};
	struct ipset_build gone, came;

	patch_to(t, 0, NULL, t, 6, NULL, NULL, 0, &gone, &came);
	cr_assert_eq(changed(&gone), 0);
	cr_assert_eq(changed(&came), 6);
	ipset_build_free(&gone);
	ipset_build_free(&came);
	patch_to(t, 6, NULL, t, 0, NULL, NULL, 0, &gone, &came);
	cr_assert_eq(changed(&gone), 6);
	cr_assert_eq(changed(&came), 0);
	ipset_build_free(&gone);
	ipset_build_free(&came);
	patch_to(t, 0, NULL, t, 0, NULL, NULL, 0, &gone, &came);
	cr_assert_eq(changed(&gone) + changed(&came), 0);
	ipset_build_free(&gone);
	ipset_build_free(&came);
}

Test(ipset_update, held_entries_released_and_held_again)
{
	/* .2 held keeps .1 and .3 apart; released, the three merge into one interval. */
	const struct tent t[] = {{RULE_IPV4, "192.0.2.1", 0}, {RULE_IPV4, "192.0.2.2", 0},
	    {RULE_IPV4, "192.0.2.3", 0}, {RULE_IPV6, "2001:db8::/127", 0}};
	uint8_t held[1] = {0x02 | 0x08}, none[1] = {0};
	struct ipset_build gone, came;

	patch_to(t, 4, held, t, 4, none, NULL, 0, &gone, &came);
	cr_assert_eq(gone.set[IPSET_HOST4].n, 2);
	cr_assert_eq(came.set[IPSET_BLOCK4].n, 1);
	cr_assert_eq(came.set[IPSET_BLOCK6].n, 1);
	ipset_build_free(&gone);
	ipset_build_free(&came);
	patch_to(t, 4, none, t, 4, held, NULL, 0, &gone, &came);
	cr_assert_eq(came.set[IPSET_HOST4].n, 2);
	cr_assert_eq(gone.set[IPSET_BLOCK4].n, 1);
	cr_assert_eq(gone.set[IPSET_BLOCK6].n, 1);
	ipset_build_free(&gone);
	ipset_build_free(&came);
}

Test(ipset_update, a_build_without_raw_intervals_is_built_afresh)
{
	const struct tent t[] = {{RULE_IPV4, "192.0.2.1", 0}, {RULE_IPV4, "192.0.2.9", 0}};
	struct rulelist *l;
	struct ipset_build a, p, gone, came;
	struct ipset_stats st;

	build_of(t, 2, NULL, NULL, 0, &l, &a);
	free(a.raw[0].v); /* what ipset_diff() gives: sets alone */
	a.raw[0].v = NULL;
	a.raw[0].n = 0;
	cr_assert_eq(ipset_update(&a, l, NULL, NULL, 0, NOW, &p, &st, &gone, &came, NULL), 0);
	assert_same_sets(&p, &a, "afresh", 0);
	cr_assert_eq(changed(&gone) + changed(&came), 0);
	ipset_build_free(&a);
	ipset_build_free(&p);
	ipset_build_free(&gone);
	ipset_build_free(&came);
	rulelist_free(l);
}
