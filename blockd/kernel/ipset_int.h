/* IP sets' internals shared by the full build (ipset.c) and the patch of a kept build (ipset_update.c). */
#ifndef BLOCKD_IPSET_INT_H
#define BLOCKD_IPSET_INT_H

#include <stddef.h>
#include <stdint.h>

#include "ipset.h"

/* An address of either family as a number (IPv4 in the low 32 bits). */
typedef unsigned __int128 ipset_u128;

/* Raw intervals (struct ipset_raw's elements), inclusive: IPv4 as numbers, IPv6 as two halves. */
struct ipset_r4 {
	uint32_t lo, hi;
};

struct ipset_r6 {
	uint64_t lo[2], hi[2];
};

/* An inclusive interval of either family. */
struct ipset_span {
	ipset_u128 lo, hi;
};

/* A growing array of spans; free v. */
struct ipset_spans {
	struct ipset_span *v;
	size_t n, cap;
};

/* ipset_spans_push(): one more at the end. Returns 0, or -1 (out of memory). */
int ipset_spans_push(struct ipset_spans *, ipset_u128 lo, ipset_u128 hi);

/* The last address of a family of w bytes. */
static inline ipset_u128
ipset_top(unsigned w)
{
	return w == 4 ? (ipset_u128)UINT32_MAX : ~(ipset_u128)0;
}

/* Raw interval i of family v6 (0 or 1). */
static inline struct ipset_span
ipset_raw_get(const struct ipset_raw *r, int v6, size_t i)
{
	struct ipset_span s;
	if (v6) {
		const struct ipset_r6 *x = (const struct ipset_r6 *)r->v + i;
		s.lo = (ipset_u128)x->lo[0] << 64 | x->lo[1];
		s.hi = (ipset_u128)x->hi[0] << 64 | x->hi[1];
	} else {
		const struct ipset_r4 *x = (const struct ipset_r4 *)r->v + i;
		s.lo = x->lo;
		s.hi = x->hi;
	}
	return s;
}

/* The raw intervals' order: by first address, the wider first. <0, 0 or >0. */
static inline int
ipset_span_cmp(const struct ipset_span *a, const struct ipset_span *b)
{
	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	if (a->hi != b->hi)
		return a->hi > b->hi ? -1 : 1;
	return 0;
}

/* The same order on each family's raw intervals. */
static inline int
ipset_r4_cmp(const struct ipset_r4 *a, const struct ipset_r4 *b)
{
	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	return a->hi == b->hi ? 0 : a->hi > b->hi ? -1 : 1;
}

static inline int
ipset_r6_cmp(const struct ipset_r6 *a, const struct ipset_r6 *b)
{
	for (int h = 0; h < 2; h++)
		if (a->lo[h] != b->lo[h])
			return a->lo[h] < b->lo[h] ? -1 : 1;
	for (int h = 0; h < 2; h++)
		if (a->hi[h] != b->hi[h])
			return a->hi[h] > b->hi[h] ? -1 : 1;
	return 0;
}

/* Interval i of a set as a span. */
struct ipset_span ipset_ivs_get(const struct ipset_ivs *s, size_t i);

/* ipset_ivs_put(): appends span x to s (room reserved by the caller). */
void ipset_ivs_put(struct ipset_ivs *s, const struct ipset_span *x);

/*
 * ipset_gather(): the raw intervals of list's block entries wanted at now
 * (not held, their order in force), per family into raw (sorted), their
 * number into *entries. reuse (two, or NULL) lends its memory and is left
 * empty. Returns 0, or -1 (out of memory; raw then empty).
 */
int ipset_gather(const struct rulelist *list, const uint8_t *held, int64_t now,
    struct ipset_raw raw[2], size_t *entries, struct ipset_raw *reuse);

/*
 * ipset_build_rest(): out's allow sets from the allowlist, and st from
 * list and out's sets (st->entries is the caller's). Returns 0, or -1 (out
 * of memory).
 */
int ipset_build_rest(const struct rulelist *list, const struct rule_entry *allow, size_t nallow,
    int64_t now, struct ipset_build *out, struct ipset_stats *st);

/* ipset_diff_set(): one set of ipset_diff(). Returns 0, or -1 (out of memory). */
int ipset_diff_set(const struct ipset_ivs *o, const struct ipset_ivs *n, struct ipset_ivs *gone,
    struct ipset_ivs *came);

#endif
