/* IP sets: the list's address and prefix entries as sorted, merged intervals, and what changed. */
#include <stdlib.h>
#include <string.h>

#include "hooks.h"
#include "ipset.h"

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

/* Inclusive intervals while building: IPv4 as numbers, IPv6 as two 64-bit halves each. */
struct r4 {
	uint32_t lo, hi;
};

struct r6 {
	uint64_t lo[2], hi[2];
};

static uint64_t
be64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void
put_be(uint8_t *p, uint64_t v, int bytes)
{
	for (int i = bytes; i-- > 0; v >>= 8)
		p[i] = (uint8_t)v;
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

/* Sorted by first address: two passes of a 16-bit radix sort (tmp holds n). */
static void
sort4(struct r4 *r, struct r4 *tmp, size_t n)
{
	size_t *count = calloc(65536, sizeof(*count));
	struct r4 *from = r, *to = tmp;

	if (count == NULL) { /* a slower sort, but a sort */
		for (size_t i = 1; i < n; i++) {
			struct r4 x = r[i];
			size_t j = i;
			for (; j > 0 && r[j - 1].lo > x.lo; j--)
				r[j] = r[j - 1];
			r[j] = x;
		}
		return;
	}
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
		struct r4 *t = from;
		from = to;
		to = t;
	}
	free(count);
}

static int
cmp6(const void *a, const void *b)
{
	const struct r6 *x = a, *y = b;
	if (x->lo[0] != y->lo[0])
		return x->lo[0] < y->lo[0] ? -1 : 1;
	if (x->lo[1] != y->lo[1])
		return x->lo[1] < y->lo[1] ? -1 : 1;
	return 0;
}

/* Sorted by first address: a 16-bit radix sort on the first half, else qsort. */
static void
sort6(struct r6 *r, size_t n)
{
	size_t *count = calloc(65536, sizeof(*count));
	struct r6 *tmp = malloc(n * sizeof(*tmp)), *from = r, *to = tmp;

	if (count == NULL || tmp == NULL) {
		free(count);
		free(tmp);
		qsort(r, n, sizeof(*r), cmp6);
		return;
	}
	/* The first 64 bits alone, then the rare runs that share them put in order. */
	for (int pass = 0; pass < 4; pass++) {
		int half = 0, shift = 16 * pass;
		memset(count, 0, 65536 * sizeof(*count));
		for (size_t i = 0; i < n; i++)
			count[from[i].lo[half] >> shift & 0xffff]++;
		size_t sum = 0;
		for (size_t d = 0; d < 65536; d++) {
			size_t c = count[d];
			count[d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			to[count[from[i].lo[half] >> shift & 0xffff]++] = from[i];
		struct r6 *t = from;
		from = to;
		to = t;
	}
	free(count);
	free(tmp); /* an even number of passes: the result is back in r */
	for (size_t i = 1; i < n; i++) {
		struct r6 x = r[i];
		size_t j = i;
		for (; j > 0 && cmp6(&r[j - 1], &x) > 0; j--)
			r[j] = r[j - 1];
		r[j] = x;
	}
}

static inline int
wanted(const struct rule_entry *e, size_t i, int type, const struct rulelist *l,
    const uint8_t *held, int64_t now)
{
	if (e[i].type != type)
		return 0;
	if (held && (held[i / 8] & 1u << (i % 8)))
		return 0;
	return l == NULL ||
	    (e[i].order < l->norders && rule_order_active(&l->orders[e[i].order], now));
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

/* The addresses of the entries wanted: IPv4 and IPv6 apart, in one pass over the entries. */
struct gathered {
	struct r4 *r4;
	struct r6 *r6;
	size_t k4, k6, cap6;
};

static int
gather(const struct rule_entry *e, size_t n, const struct rulelist *l, const uint8_t *held,
    int64_t now, struct gathered *g)
{
	memset(g, 0, sizeof(*g));
	if ((g->r4 = malloc((n ? n : 1) * sizeof(*g->r4))) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (e[i].type != RULE_IPV4 && e[i].type != RULE_IPV6)
			continue;
		if (!wanted(e, i, e[i].type, l, held, now))
			continue;
		if (e[i].type == RULE_IPV4) {
			uint32_t a = (uint32_t)e[i].addr[0] << 24 | (uint32_t)e[i].addr[1] << 16 |
			    (uint32_t)e[i].addr[2] << 8 | e[i].addr[3];
			uint32_t h = (uint32_t)host_mask(e[i].plen, 32);
			g->r4[g->k4].lo = a & ~h;
			g->r4[g->k4++].hi = a | h;
			continue;
		}
		if (g->k6 == g->cap6) {
			size_t cap = g->cap6 ? 2 * g->cap6 : 1024;
			struct r6 *r = realloc(g->r6, cap * sizeof(*r));
			if (r == NULL)
				return -1; /* the caller frees g */
			g->r6 = r;
			g->cap6 = cap;
		}
		struct r6 *r = &g->r6[g->k6++];
		for (int half = 0; half < 2; half++) {
			uint64_t a = be64(e[i].addr + (size_t)8 * (size_t)half);
			unsigned p =
			    e[i].plen > 64u * (unsigned)half ? e[i].plen - 64u * (unsigned)half : 0;
			uint64_t h = host_mask(p, 64);
			r->lo[half] = a & ~h;
			r->hi[half] = a | h;
		}
	}
	return 0;
}

/*
 * The k IPv4 intervals r (freed here) sorted and merged: single addresses
 * into hosts (may be NULL: everything into out), longer intervals into out.
 * Returns 0, or -1 (out of memory).
 */
static int
merge4(struct r4 *r, size_t k, struct ipset_ivs *out, struct ipset_ivs *hosts)
{
	struct r4 *tmp = NULL;
	size_t m = 0;

	if (k > 1 && (tmp = malloc(k * sizeof(*tmp))) == NULL) {
		free(r);
		return -1;
	}
	if (k > 1)
		sort4(r, tmp, k);
	free(tmp);
	/* Merge: b joins a when it starts at most one past a's end. */
	for (size_t i = 1; i < k; i++) {
		if ((uint64_t)r[i].lo <= (uint64_t)r[m].hi + 1) {
			if (r[i].hi > r[m].hi)
				r[m].hi = r[i].hi;
		} else {
			r[++m] = r[i];
		}
	}
	size_t nr = 0, nh = 0, m1 = k ? m + 1 : 0;
	for (size_t i = 0; i < m1; i++)
		*(hosts && r[i].lo == r[i].hi ? &nh : &nr) += 1;
	if (alloc_ivs(out, 4, nr) == -1 || (hosts && alloc_ivs(hosts, 4, nh) == -1)) {
		free(r);
		return -1;
	}
	for (size_t i = 0; i < m1; i++) {
		struct ipset_ivs *to = hosts && r[i].lo == r[i].hi ? hosts : out;
		uint8_t *p = to->v + 8 * to->n++;
		put_be(p, r[i].lo, 4);
		put_be(p + 4, (uint64_t)r[i].hi + 1, 4); /* 2^32 wraps to 0 */
	}
	free(r);
	return 0;
}

/* Does b (sorted after a) start at most one past a's end? */
static int
touches6(const struct r6 *a, const struct r6 *b)
{
	uint64_t n1 = a->hi[1] + 1, n0 = a->hi[0] + (n1 == 0);
	if (n1 == 0 && n0 == 0)
		return 1; /* a runs to the last address */
	return b->lo[0] < n0 || (b->lo[0] == n0 && b->lo[1] <= n1);
}

static int
is_host6(const struct r6 *r)
{
	return r->lo[0] == r->hi[0] && r->lo[1] == r->hi[1];
}

/* The same for IPv6. */
static int
merge6(struct r6 *r, size_t k, struct ipset_ivs *out, struct ipset_ivs *hosts)
{
	size_t m = 0;

	if (k > 1)
		sort6(r, k);
	for (size_t i = 1; i < k; i++) {
		if (touches6(&r[m], &r[i])) {
			if (r[i].hi[0] > r[m].hi[0] ||
			    (r[i].hi[0] == r[m].hi[0] && r[i].hi[1] > r[m].hi[1])) {
				r[m].hi[0] = r[i].hi[0];
				r[m].hi[1] = r[i].hi[1];
			}
		} else {
			r[++m] = r[i];
		}
	}
	size_t nr = 0, nh = 0, m1 = k ? m + 1 : 0;
	for (size_t i = 0; i < m1; i++)
		*(hosts && is_host6(&r[i]) ? &nh : &nr) += 1;
	if (alloc_ivs(out, 16, nr) == -1 || (hosts && alloc_ivs(hosts, 16, nh) == -1)) {
		free(r);
		return -1;
	}
	for (size_t i = 0; i < m1; i++) {
		struct ipset_ivs *to = hosts && is_host6(&r[i]) ? hosts : out;
		uint8_t *p = to->v + 32 * to->n++;
		uint64_t e1 = r[i].hi[1] + 1, e0 = r[i].hi[0] + (e1 == 0);
		put_be(p, r[i].lo[0], 8);
		put_be(p + 8, r[i].lo[1], 8);
		put_be(p + 16, e0, 8); /* 2^128 wraps to 0 */
		put_be(p + 24, e1, 8);
	}
	free(r);
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
}

int
ipset_build(const struct rulelist *list, const uint8_t *held, const struct rule_entry *allow,
    size_t nallow, int64_t now, struct ipset_build *out, struct ipset_stats *st)
{
	size_t ne = list ? list->nentries : 0;
	const struct rule_entry *ents = list ? list->entries : NULL;

	memset(out, 0, sizeof(*out));
	ipset_build_free(out);
	memset(st, 0, sizeof(*st));
	st->next_change = INT64_MAX;
	for (size_t i = 0; list && i < list->norders; i++) {
		const struct rule_order *o = &list->orders[i];
		if (o->not_before > now && o->not_before < st->next_change)
			st->next_change = o->not_before;
		if (o->not_after > now && o->not_after < st->next_change)
			st->next_change = o->not_after;
	}
	struct ipset_ivs *s = out->set;
	struct gathered a, b;
	int rc = gather(allow, nallow, NULL, NULL, now, &a);
	if (rc == 0)
		rc = gather(ents, ne, list, held, now, &b);
	else
		memset(&b, 0, sizeof(b));
	if (rc == -1) {
		free(a.r4);
		free(a.r6);
		free(b.r4);
		free(b.r6);
		ipset_build_free(out);
		return -1;
	}
	st->entries = b.k4 + b.k6;
	/* merge4() and merge6() free what they are given, whatever they return. */
	rc = merge4(a.r4, a.k4, &s[IPSET_ALLOW4], NULL);
	rc |= merge6(a.r6, a.k6, &s[IPSET_ALLOW6], NULL);
	rc |= merge4(b.r4, b.k4, &s[IPSET_BLOCK4], &s[IPSET_HOST4]);
	rc |= merge6(b.r6, b.k6, &s[IPSET_BLOCK6], &s[IPSET_HOST6]);
	if (rc != 0) {
		ipset_build_free(out);
		return -1;
	}
	st->allow4 = out->set[IPSET_ALLOW4].n;
	st->allow6 = out->set[IPSET_ALLOW6].n;
	st->block4 = out->set[IPSET_BLOCK4].n + out->set[IPSET_HOST4].n;
	st->block6 = out->set[IPSET_BLOCK6].n + out->set[IPSET_HOST6].n;
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
static int
diff_one(const struct ipset_ivs *o, const struct ipset_ivs *n, struct ipset_ivs *gone,
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
		if (diff_one(&old->set[s], &new->set[s], &gone->set[s], &came->set[s]) == -1)
			goto fail;
	}
	return 0;
fail:
	ipset_build_free(gone);
	ipset_build_free(came);
	return -1;
}
