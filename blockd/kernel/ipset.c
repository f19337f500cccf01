/* IP sets: the list's address and prefix entries as sorted, merged intervals, and what changed. */
#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "hooks.h"
#include "ipset.h"
#include "ipset_int.h"

static const char *const names[IPSET_NSETS] = {
    [IPSET_ALLOW4] = HOOKS_SET_ALLOW4,
    [IPSET_ALLOW6] = HOOKS_SET_ALLOW6,
    [IPSET_BLOCK4] = HOOKS_SET_BLOCK4,
    [IPSET_BLOCK6] = HOOKS_SET_BLOCK6,
    [IPSET_HOST4] = HOOKS_SET_HOST4,
    [IPSET_HOST6] = HOOKS_SET_HOST6,
};

const char *
ipset_name(int set)
{
	return names[set];
}

unsigned
ipset_width(int set)
{
	return set == IPSET_ALLOW4 || set == IPSET_BLOCK4 || set == IPSET_HOST4 ? 4 : 16;
}

/* Addresses as numbers: w bytes in network order, and back. */
static ipset_u128
rd(const uint8_t *p, unsigned w)
{
	uint64_t a, b;
	uint32_t v;

	if (w == 4) {
		memcpy(&v, p, 4);
		return be32toh(v);
	}
	memcpy(&a, p, 8);
	memcpy(&b, p + 8, 8);
	return (ipset_u128)be64toh(a) << 64 | be64toh(b);
}

static void
wr(uint8_t *p, ipset_u128 x, unsigned w)
{
	uint64_t a = htobe64((uint64_t)(x >> 64)), b = htobe64((uint64_t)x);
	uint32_t v = htobe32((uint32_t)x);

	if (w == 4) {
		memcpy(p, &v, 4);
		return;
	}
	memcpy(p, &a, 8);
	memcpy(p + 8, &b, 8);
}

struct ipset_span
ipset_ivs_get(const struct ipset_ivs *s, size_t i)
{
	struct ipset_span x;
	ipset_u128 e = rd(ipset_end(s, i), s->w);
	x.lo = rd(ipset_start(s, i), s->w);
	x.hi = e == 0 ? ipset_top(s->w) : e - 1;
	return x;
}

void
ipset_ivs_put(struct ipset_ivs *s, const struct ipset_span *x)
{
	uint8_t *p = s->v + (size_t)2 * s->w * s->n++;
	wr(p, x->lo, s->w);
	wr(p + s->w, x->hi + 1, s->w); /* the end of the address space wraps to 0 */
}

int
ipset_spans_push(struct ipset_spans *a, ipset_u128 lo, ipset_u128 hi)
{
	if (a->n == a->cap) {
		size_t cap = a->cap ? 2 * a->cap : 256;
		struct ipset_span *v = realloc(a->v, cap * sizeof(*v));
		if (v == NULL)
			return -1;
		a->v = v;
		a->cap = cap;
	}
	a->v[a->n].lo = lo;
	a->v[a->n++].hi = hi;
	return 0;
}

static uint64_t
be64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return be64toh(v);
}

/* The host part of a prefix of plen bits out of bits: all ones below the prefix. */
static uint64_t
host_mask(unsigned plen, unsigned bits)
{
	if (plen >= bits)
		return 0;
	unsigned h = bits - plen;
	return h >= 64 ? UINT64_MAX : ((uint64_t)1 << h) - 1;
}

static int
qcmp6(const void *a, const void *b)
{
	return ipset_r6_cmp(a, b);
}

/*
 * Where the order breaks in r (n elements of size sz): the number of
 * breaks, and where the last one is. A list in the normal form gives each
 * family two sorted runs (addresses, then prefixes).
 */
static size_t
breaks(const void *r, size_t n, int v6, size_t *at)
{
	size_t k = 0;
	*at = 0;
	for (size_t i = 1; i < n; i++) {
		int c = v6 ? ipset_r6_cmp(
				 (const struct ipset_r6 *)r + i - 1, (const struct ipset_r6 *)r + i)
			   : ipset_r4_cmp((const struct ipset_r4 *)r + i - 1,
				 (const struct ipset_r4 *)r + i);
		if (c > 0) {
			k++;
			*at = i;
		}
	}
	return k;
}

/* Two sorted runs, r[0, at) and r[at, n), merged into out. */
static void
merge_runs4(const struct ipset_r4 *r, size_t n, size_t at, struct ipset_r4 *out)
{
	size_t i = 0, j = at, k = 0;

	while (i < at && j < n)
		out[k++] = ipset_r4_cmp(&r[i], &r[j]) <= 0 ? r[i++] : r[j++];
	while (i < at)
		out[k++] = r[i++];
	while (j < n)
		out[k++] = r[j++];
}

static void
merge_runs6(const struct ipset_r6 *r, size_t n, size_t at, struct ipset_r6 *out)
{
	size_t i = 0, j = at, k = 0;

	while (i < at && j < n)
		out[k++] = ipset_r6_cmp(&r[i], &r[j]) <= 0 ? r[i++] : r[j++];
	while (i < at)
		out[k++] = r[i++];
	while (j < n)
		out[k++] = r[j++];
}

/* Sorted by first address, the wider first: two passes of a 16-bit radix sort, then ties. */
static void
radix4(struct ipset_r4 *r, struct ipset_r4 *tmp, size_t n, size_t *count)
{
	struct ipset_r4 *from = r, *to = tmp;

	for (int shift = 0; shift < 32; shift += 16) {
		memset(count, 0, 65536 * sizeof(*count));
		for (size_t i = 0; i < n; i++)
			count[from[i].lo >> shift & 0xffff]++;
		size_t sum = 0;
		for (size_t d = 0; d < 65536; d++) {
			size_t c = count[d];
			count[d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			to[count[from[i].lo >> shift & 0xffff]++] = from[i];
		struct ipset_r4 *t = from;
		from = to;
		to = t;
	}
	/* An even number of passes: the result is back in r; equal first addresses put in order. */
	for (size_t i = 1; i < n; i++) {
		struct ipset_r4 x = r[i];
		size_t j = i;
		for (; j > 0 && ipset_r4_cmp(&r[j - 1], &x) > 0; j--)
			r[j] = r[j - 1];
		r[j] = x;
	}
}

/* The same for IPv6: the first 64 bits alone, then the rare runs that share them put in order. */
static void
radix6(struct ipset_r6 *r, struct ipset_r6 *tmp, size_t n, size_t *count)
{
	struct ipset_r6 *from = r, *to = tmp;

	for (int shift = 0; shift < 64; shift += 16) {
		memset(count, 0, 65536 * sizeof(*count));
		for (size_t i = 0; i < n; i++)
			count[from[i].lo[0] >> shift & 0xffff]++;
		size_t sum = 0;
		for (size_t d = 0; d < 65536; d++) {
			size_t c = count[d];
			count[d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			to[count[from[i].lo[0] >> shift & 0xffff]++] = from[i];
		struct ipset_r6 *t = from;
		from = to;
		to = t;
	}
	for (size_t i = 1; i < n; i++) {
		struct ipset_r6 x = r[i];
		size_t j = i;
		for (; j > 0 && ipset_r6_cmp(&r[j - 1], &x) > 0; j--)
			r[j] = r[j - 1];
		r[j] = x;
	}
}

/*
 * r->v (n elements of family v6) sorted: as it is when already sorted, two
 * runs merged (a list in the normal form), else a radix sort. Returns 0, or
 * -1 (out of memory; r is left as it was).
 */
static int
sort_raw(struct ipset_raw *r, int v6)
{
	size_t at, sz = v6 ? sizeof(struct ipset_r6) : sizeof(struct ipset_r4);
	size_t k = breaks(r->v, r->n, v6, &at);
	void *tmp;
	size_t *count;

	if (k == 0)
		return 0;
	if ((tmp = malloc(r->n * sz)) == NULL)
		return -1;
	if (k == 1) {
		if (v6)
			merge_runs6(r->v, r->n, at, tmp);
		else
			merge_runs4(r->v, r->n, at, tmp);
		free(r->v);
		r->v = tmp;
		return 0;
	}
	if ((count = malloc(65536 * sizeof(*count))) == NULL) {
		free(tmp);
		if (!v6)
			return -1;
		qsort(r->v, r->n, sz, qcmp6);
		return 0;
	}
	if (v6)
		radix6(r->v, tmp, r->n, count);
	else
		radix4(r->v, tmp, r->n, count);
	free(count);
	free(tmp);
	return 0;
}

static inline int
wanted(const struct rule_entry *e, size_t i, const struct rulelist *l, const uint8_t *held,
    int64_t now)
{
	if (held && (held[i / 8] & 1u << (i % 8)))
		return 0;
	return l == NULL ||
	    (e[i].order < l->norders && rule_order_active(&l->orders[e[i].order], now));
}

/*
 * The addresses of the n entries e wanted (l NULL: all of them), IPv4 and
 * IPv6 apart, in one pass, then sorted. reuse (may be NULL) lends its
 * memory, and is left empty. Returns 0, or -1 (out of memory; raw is then
 * empty).
 */
static int
gather(const struct rule_entry *e, size_t n, const struct rulelist *l, const uint8_t *held,
    int64_t now, struct ipset_raw raw[2], struct ipset_raw *reuse)
{
	void *v4 = reuse ? reuse[0].v : NULL;
	struct ipset_r6 *r6 = reuse ? reuse[1].v : NULL;
	size_t k4 = 0, k6 = 0, cap6 = r6 ? reuse[1].n : 0;

	memset(raw, 0, 2 * sizeof(*raw));
	if (reuse)
		memset(reuse, 0, 2 * sizeof(*reuse));
	/* Pages already touched are taken over by realloc(), not faulted in again. */
	struct ipset_r4 *r4 = realloc(v4, (n ? n : 1) * sizeof(*r4));
	if (r4 == NULL) {
		free(v4);
		free(r6);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (e[i].type != RULE_IPV4 && e[i].type != RULE_IPV6)
			continue;
		if (!wanted(e, i, l, held, now))
			continue;
		if (e[i].type == RULE_IPV4) {
			uint32_t a;
			memcpy(&a, e[i].addr, 4);
			a = be32toh(a);
			uint32_t h = (uint32_t)host_mask(e[i].plen, 32);
			r4[k4].lo = a & ~h;
			r4[k4++].hi = a | h;
			continue;
		}
		if (k6 == cap6) {
			size_t cap = cap6 ? 2 * cap6 : 1024;
			struct ipset_r6 *r = realloc(r6, cap * sizeof(*r));
			if (r == NULL)
				goto fail;
			r6 = r;
			cap6 = cap;
		}
		struct ipset_r6 *r = &r6[k6++];
		for (int half = 0; half < 2; half++) {
			uint64_t a = be64(e[i].addr + (size_t)8 * (size_t)half);
			unsigned p =
			    e[i].plen > 64u * (unsigned)half ? e[i].plen - 64u * (unsigned)half : 0;
			uint64_t h = host_mask(p, 64);
			r->lo[half] = a & ~h;
			r->hi[half] = a | h;
		}
	}
	/* Kept with the build: no more room than it needs. */
	if (k4 == 0) {
		free(r4);
		r4 = NULL;
	} else if (k4 < n) {
		struct ipset_r4 *r = realloc(r4, k4 * sizeof(*r4));
		r4 = r ? r : r4;
	}
	raw[0] = (struct ipset_raw){k4, r4};
	raw[1] = (struct ipset_raw){k6, r6};
	if (sort_raw(&raw[0], 0) == 0 && sort_raw(&raw[1], 1) == 0)
		return 0;
	r4 = raw[0].v;
	r6 = raw[1].v;
fail:
	free(r4);
	free(r6);
	memset(raw, 0, 2 * sizeof(*raw));
	return -1;
}

int
ipset_gather(const struct rulelist *list, const uint8_t *held, int64_t now, struct ipset_raw raw[2],
    size_t *entries, struct ipset_raw *reuse)
{
	if (list == NULL) {
		memset(raw, 0, 2 * sizeof(*raw));
		*entries = 0;
		return 0;
	}
	if (gather(list->entries, list->nentries, list, held, now, raw, reuse) == -1)
		return -1;
	*entries = raw[0].n + raw[1].n;
	return 0;
}

/* Room for n intervals of w bytes' addresses in s (empty). Returns 0, or -1. */
static int
alloc_ivs(struct ipset_ivs *s, unsigned w, size_t n)
{
	s->w = w;
	s->n = 0;
	s->v = n ? malloc(n * 2 * w) : NULL;
	return n && s->v == NULL ? -1 : 0;
}

/*
 * The raw intervals r of family v6 merged (overlapping and adjacent ones
 * joined): single addresses into hosts (may be NULL: everything into out),
 * longer intervals into out. Counted first, then written. Returns 0, or -1
 * (out of memory).
 */
static int
merge_raw(const struct ipset_raw *r, int v6, struct ipset_ivs *out, struct ipset_ivs *hosts)
{
	unsigned w = v6 ? 16 : 4;
	ipset_u128 top = ipset_top(w);

	for (int pass = 0; pass < 2; pass++) {
		size_t nr = 0, nh = 0;
		struct ipset_span cur = {0, 0};
		for (size_t i = 0; i <= r->n; i++) {
			struct ipset_span x = {0, 0};
			if (i < r->n) {
				x = ipset_raw_get(r, v6, i);
				/* x joins cur when it starts at most one past cur's end. */
				if (i > 0 && (cur.hi == top || x.lo <= cur.hi + 1)) {
					if (x.hi > cur.hi)
						cur.hi = x.hi;
					continue;
				}
			}
			if (i > 0) {
				int host = hosts && cur.lo == cur.hi;
				if (pass == 0)
					*(host ? &nh : &nr) += 1;
				else
					ipset_ivs_put(host ? hosts : out, &cur);
			}
			cur = x;
		}
		if (pass == 0 &&
		    (alloc_ivs(out, w, nr) == -1 || (hosts && alloc_ivs(hosts, w, nh) == -1)))
			return -1;
	}
	return 0;
}

void
ipset_build_free(struct ipset_build *b)
{
	for (int i = 0; i < IPSET_NSETS; i++) {
		free(b->set[i].v);
		b->set[i].v = NULL;
		b->set[i].n = 0;
		b->set[i].w = ipset_width(i);
	}
	for (int f = 0; f < 2; f++) {
		free(b->raw[f].v);
		b->raw[f].v = NULL;
		b->raw[f].n = 0;
	}
}

int
ipset_build_rest(const struct rulelist *list, const struct rule_entry *allow, size_t nallow,
    int64_t now, struct ipset_build *out, struct ipset_stats *st)
{
	struct ipset_raw a[2];
	size_t entries = st->entries;

	memset(st, 0, sizeof(*st));
	st->entries = entries;
	st->next_change = INT64_MAX;
	for (size_t i = 0; list && i < list->norders; i++) {
		const struct rule_order *o = &list->orders[i];
		if (o->not_before > now && o->not_before < st->next_change)
			st->next_change = o->not_before;
		if (o->not_after > now && o->not_after < st->next_change)
			st->next_change = o->not_after;
	}
	if (gather(allow, nallow, NULL, NULL, now, a, NULL) == -1)
		return -1;
	int rc = merge_raw(&a[0], 0, &out->set[IPSET_ALLOW4], NULL);
	if (rc == 0)
		rc = merge_raw(&a[1], 1, &out->set[IPSET_ALLOW6], NULL);
	free(a[0].v);
	free(a[1].v);
	st->allow4 = out->set[IPSET_ALLOW4].n;
	st->allow6 = out->set[IPSET_ALLOW6].n;
	st->block4 = out->set[IPSET_BLOCK4].n + out->set[IPSET_HOST4].n;
	st->block6 = out->set[IPSET_BLOCK6].n + out->set[IPSET_HOST6].n;
	return rc;
}

int
ipset_build(const struct rulelist *list, const uint8_t *held, const struct rule_entry *allow,
    size_t nallow, int64_t now, struct ipset_build *out, struct ipset_stats *st)
{
	struct ipset_ivs *s = out->set;

	memset(out, 0, sizeof(*out));
	ipset_build_free(out);
	memset(st, 0, sizeof(*st));
	if (ipset_gather(list, held, now, out->raw, &st->entries, NULL) == -1 ||
	    merge_raw(&out->raw[0], 0, &s[IPSET_BLOCK4], &s[IPSET_HOST4]) == -1 ||
	    merge_raw(&out->raw[1], 1, &s[IPSET_BLOCK6], &s[IPSET_HOST6]) == -1 ||
	    ipset_build_rest(list, allow, nallow, now, out, st) == -1) {
		ipset_build_free(out);
		return -1;
	}
	return 0;
}

/* Appends interval i of from to to (room reserved by the caller). */
static void
take(struct ipset_ivs *to, const struct ipset_ivs *from, size_t i)
{
	size_t sz = (size_t)2 * from->w;
	memcpy(to->v + sz * to->n++, from->v + sz * i, sz);
}

/* One set: a merge walk over two sorted, disjoint lists. */
int
ipset_diff_set(const struct ipset_ivs *o, const struct ipset_ivs *n, struct ipset_ivs *gone,
    struct ipset_ivs *came)
{
	size_t w = n->w, i = 0, j = 0;

	gone->w = came->w = n->w;
	gone->n = came->n = 0;
	gone->v = o->n ? malloc(o->n * 2 * w) : NULL;
	came->v = n->n ? malloc(n->n * 2 * w) : NULL;
	if ((o->n && gone->v == NULL) || (n->n && came->v == NULL))
		return -1;
	while (i < o->n || j < n->n) {
		int c = i == o->n ? 1
		    : j == n->n   ? -1
				  : memcmp(ipset_start(o, i), ipset_start(n, j), w);
		if (c == 0 && memcmp(ipset_end(o, i), ipset_end(n, j), w) == 0) {
			i++, j++; /* unchanged */
		} else if (c == 0) {
			take(gone, o, i++);
			take(came, n, j++);
		} else if (c < 0) {
			take(gone, o, i++);
		} else {
			take(came, n, j++);
		}
	}
	return 0;
}

int
ipset_diff(const struct ipset_build *old, const struct ipset_build *new, struct ipset_build *gone,
    struct ipset_build *came)
{
	memset(gone, 0, sizeof(*gone));
	memset(came, 0, sizeof(*came));
	for (int s = 0; s < IPSET_NSETS; s++) {
		if (old->set[s].n && old->set[s].w != new->set[s].w)
			goto fail;
		if (ipset_diff_set(&old->set[s], &new->set[s], &gone->set[s], &came->set[s]) == -1)
			goto fail;
	}
	return 0;
fail:
	ipset_build_free(gone);
	ipset_build_free(came);
	return -1;
}
