/* IP sets patched from the last build: only the merged intervals that entries which came or went touch are merged again. */
#include <stdlib.h>
#include <string.h>

#include "ipset.h"
#include "ipset_int.h"

/*
 * Why a patch equals a full build. The merged intervals M (old's block and
 * host sets of one family) are disjoint and never adjacent. Each raw
 * interval that went or came makes a window: itself and every interval of
 * M it overlaps or touches; windows that overlap or touch are one. No
 * interval of M then touches a window without lying inside it, and every
 * raw interval of the new list lies inside one window or inside an interval
 * of M that no window touches. So outside the windows the new merge is M,
 * and inside each window it is the merge of the new raw intervals there.
 */
struct win {
	struct ipset_span w;
	size_t h0, h1, b0, b1; /* old's intervals inside it: hosts [h0, h1), blocks [b0, b1) */
	size_t n0, n1;         /* its new merged intervals: [n0, n1) of the spans made */
};

struct wins {
	struct win *v;
	size_t n, cap;
};

static int
wins_push(struct wins *a, const struct ipset_span *w)
{
	if (a->n == a->cap) {
		size_t cap = a->cap ? 2 * a->cap : 64;
		struct win *v = realloc(a->v, cap * sizeof(*v));
		if (v == NULL)
			return -1;
		a->v = v;
		a->cap = cap;
	}
	memset(&a->v[a->n], 0, sizeof(a->v[a->n]));
	a->v[a->n++].w = *w;
	return 0;
}

/*
 * The first interval of s from i on whose last address is x or above (s->n
 * if none): galloping from i, as the windows come in order and close
 * together.
 */
static size_t
last_from(const struct ipset_ivs *s, size_t i, ipset_u128 x)
{
	size_t step = 1, lo = i, hi;

	while (lo < s->n && ipset_ivs_get(s, lo).hi < x) {
		i = lo + 1;
		lo += step;
		step *= 2;
	}
	hi = lo < s->n ? lo : s->n; /* the answer is in [i, hi] */
	while (i < hi) {
		size_t mid = i + (hi - i) / 2;
		if (ipset_ivs_get(s, mid).hi < x)
			i = mid + 1;
		else
			hi = mid;
	}
	return i;
}

/* The first raw interval of r from i on starting at x or above, galloping the same way. */
static size_t
raw_from(const struct ipset_raw *r, int v6, size_t i, ipset_u128 x)
{
	size_t step = 1, lo = i, hi;

	while (lo < r->n && ipset_raw_get(r, v6, lo).lo < x) {
		i = lo + 1;
		lo += step;
		step *= 2;
	}
	hi = lo < r->n ? lo : r->n;
	while (i < hi) {
		size_t mid = i + (hi - i) / 2;
		if (ipset_raw_get(r, v6, mid).lo < x)
			i = mid + 1;
		else
			hi = mid;
	}
	return i;
}

/*
 * w grown by every interval of s that overlaps or touches it, from *i on
 * (those before end below w's start); *first is where they begin, *i is
 * left after the last.
 */
static void
grow(const struct ipset_ivs *s, size_t *i, size_t *first, struct ipset_span *w, ipset_u128 top)
{
	*i = *first = last_from(s, *i, w->lo ? w->lo - 1 : 0);
	for (; *i < s->n; ++*i) {
		struct ipset_span x = ipset_ivs_get(s, *i);
		if (w->hi != top && x.lo > w->hi + 1)
			break;
		if (x.lo < w->lo)
			w->lo = x.lo;
		if (x.hi > w->hi)
			w->hi = x.hi;
	}
}

/*
 * The raw intervals that went (in o, not in n) or came (in n, not in o),
 * as multisets: one pass over both, in order. Returns 0, or -1.
 */
static int
changes(const struct ipset_raw *o, const struct ipset_raw *n, int v6, struct ipset_spans *c)
{
	size_t i = 0, j = 0;

	const struct ipset_r4 *o4 = o->v, *n4 = n->v;
	const struct ipset_r6 *o6 = o->v, *n6 = n->v;

	while (i < o->n || j < n->n) {
		int x = i == o->n ? 1
		    : j == n->n   ? -1
		    : v6          ? ipset_r6_cmp(&o6[i], &n6[j])
				  : ipset_r4_cmp(&o4[i], &n4[j]);
		if (x == 0) {
			i++, j++;
			continue;
		}
		struct ipset_span y = x < 0 ? ipset_raw_get(o, v6, i++) : ipset_raw_get(n, v6, j++);
		if (ipset_spans_push(c, y.lo, y.hi) == -1)
			return -1;
	}
	return 0;
}

/*
 * The windows of the changes c (sorted) against old's hosts h and blocks
 * b, with old's intervals inside each. Returns 0, or -1.
 */
static int
windows(const struct ipset_spans *c, const struct ipset_ivs *h, const struct ipset_ivs *b,
    ipset_u128 top, struct wins *out)
{
	size_t ih = 0, ib = 0;

	for (size_t k = 0; k < c->n; k++) {
		struct ipset_span w = c->v[k];
		size_t h0, b0;
		/* Intervals consumed by an earlier window are inside it: this one joins it if it touches. */
		grow(h, &ih, &h0, &w, top);
		grow(b, &ib, &b0, &w, top);
		struct win *last = out->n ? &out->v[out->n - 1] : NULL;
		if (last && (last->w.hi == top || w.lo <= last->w.hi + 1)) {
			if (w.lo < last->w.lo)
				last->w.lo = w.lo;
			if (w.hi > last->w.hi)
				last->w.hi = w.hi;
		} else if (wins_push(out, &w) == -1) {
			return -1;
		} else {
			last = &out->v[out->n - 1];
			last->h0 = h0;
			last->b0 = b0;
		}
		last->h1 = ih;
		last->b1 = ib;
	}
	return 0;
}

/* The raw intervals r[from, to) (sorted, inside one window) merged onto out. Returns 0, or -1. */
static int
merge_window(const struct ipset_raw *r, int v6, size_t from, size_t to, ipset_u128 top,
    struct ipset_spans *out)
{
	struct ipset_span cur = {0, 0};

	for (size_t i = from; i < to; i++) {
		struct ipset_span x = ipset_raw_get(r, v6, i);
		if (i > from && (cur.hi == top || x.lo <= cur.hi + 1)) {
			if (x.hi > cur.hi)
				cur.hi = x.hi;
			continue;
		}
		if (i > from && ipset_spans_push(out, cur.lo, cur.hi) == -1)
			return -1;
		cur = x;
	}
	return from < to ? ipset_spans_push(out, cur.lo, cur.hi) : 0;
}

/* What changed, per kind: [0] hosts, [1] blocks. */
struct delta {
	struct ipset_spans gone[2], came[2];
};

static int
put(struct ipset_spans *kind, const struct ipset_span *x)
{
	return ipset_spans_push(&kind[x->lo == x->hi ? 0 : 1], x->lo, x->hi);
}

/*
 * One window: old's intervals in it (hosts h[h0, h1) and blocks b[b0,
 * b1), in one order) against the new ones ns[n0, n1); an interval whose
 * bounds changed went and came. Returns 0, or -1.
 */
static int
compare(const struct win *wn, const struct ipset_ivs *h, const struct ipset_ivs *b,
    const struct ipset_spans *ns, struct delta *d)
{
	size_t i = wn->h0, j = wn->b0, k = wn->n0;

	while (i < wn->h1 || j < wn->b1 || k < wn->n1) {
		struct ipset_span o = {0, 0};
		int have_o = i < wn->h1 || j < wn->b1;
		if (have_o) {
			struct ipset_span x = i < wn->h1 ? ipset_ivs_get(h, i) : o;
			struct ipset_span y = j < wn->b1 ? ipset_ivs_get(b, j) : o;
			int from_h = i < wn->h1 && (j == wn->b1 || x.lo < y.lo);
			o = from_h ? x : y;
			if (k < wn->n1 && ns->v[k].lo < o.lo) {
				if (put(d->came, &ns->v[k++]) == -1)
					return -1;
				continue;
			}
			*(from_h ? &i : &j) += 1;
			if (k < wn->n1 && ns->v[k].lo == o.lo && ns->v[k].hi == o.hi) {
				k++;
				continue;
			}
			if (put(d->gone, &o) == -1)
				return -1;
			continue;
		}
		if (put(d->came, &ns->v[k++]) == -1)
			return -1;
	}
	return 0;
}

/* spans into a set of w bytes' addresses. Returns 0, or -1. */
static int
to_ivs(const struct ipset_spans *sp, unsigned w, struct ipset_ivs *s)
{
	s->w = w;
	s->n = 0;
	s->v = sp->n ? malloc(sp->n * 2 * w) : NULL;
	if (sp->n && s->v == NULL)
		return -1;
	for (size_t i = 0; i < sp->n; i++)
		ipset_ivs_put(s, &sp->v[i]);
	return 0;
}

/*
 * One set of the new build: old's intervals outside the windows copied,
 * the windows' new ones of this kind (host or not) in their place.
 */
static int
patch_set(const struct ipset_ivs *old, int host, const struct wins *ws,
    const struct ipset_spans *ns, struct ipset_ivs *out, struct ipset_ivs *reuse)
{
	size_t n = old->n, prev = 0, sz = (size_t)2 * old->w;

	for (size_t k = 0; k < ws->n; k++) {
		const struct win *wn = &ws->v[k];
		n -= host ? wn->h1 - wn->h0 : wn->b1 - wn->b0;
		for (size_t i = wn->n0; i < wn->n1; i++)
			n += (ns->v[i].lo == ns->v[i].hi) == host;
	}
	out->w = old->w;
	out->n = 0;
	out->v = n ? realloc(reuse->v, n * sz) : NULL;
	if (n && out->v == NULL)
		return -1;
	if (n == 0)
		free(reuse->v);
	reuse->v = NULL;
	reuse->n = 0;
	for (size_t k = 0; k < ws->n; k++) {
		const struct win *wn = &ws->v[k];
		size_t from = host ? wn->h0 : wn->b0, to = host ? wn->h1 : wn->b1;
		if (from > prev)
			memcpy(out->v + sz * out->n, old->v + sz * prev, sz * (from - prev));
		out->n += from - prev;
		for (size_t i = wn->n0; i < wn->n1; i++)
			if ((ns->v[i].lo == ns->v[i].hi) == host)
				ipset_ivs_put(out, &ns->v[i]);
		prev = to;
	}
	if (old->n > prev)
		memcpy(out->v + sz * out->n, old->v + sz * prev, sz * (old->n - prev));
	out->n += old->n - prev;
	return 0;
}

/* One family: out's hosts and blocks, and their changes, from old and out's raw intervals. */
static int
family(const struct ipset_build *old, int v6, struct ipset_build *out, struct ipset_build *gone,
    struct ipset_build *came, struct ipset_build *spare)
{
	int hs = v6 ? IPSET_HOST6 : IPSET_HOST4, bs = v6 ? IPSET_BLOCK6 : IPSET_BLOCK4;
	const struct ipset_ivs *h = &old->set[hs], *b = &old->set[bs];
	const struct ipset_raw *r = &out->raw[v6];
	unsigned w = v6 ? 16 : 4;
	ipset_u128 top = ipset_top(w);
	struct ipset_spans c = {NULL, 0, 0}, ns = {NULL, 0, 0};
	struct wins ws = {NULL, 0, 0};
	struct delta d;
	int rc = -1;

	memset(&d, 0, sizeof(d));
	if (changes(&old->raw[v6], r, v6, &c) == -1 || windows(&c, h, b, top, &ws) == -1)
		goto done;
	size_t r1 = 0;
	for (size_t k = 0; k < ws.n; k++) {
		struct win *wn = &ws.v[k];
		size_t r0 = raw_from(r, v6, r1, wn->w.lo);
		for (r1 = r0; r1 < r->n && ipset_raw_get(r, v6, r1).lo <= wn->w.hi; r1++)
			;
		wn->n0 = ns.n;
		if (merge_window(r, v6, r0, r1, top, &ns) == -1)
			goto done;
		wn->n1 = ns.n;
		if (compare(wn, h, b, &ns, &d) == -1)
			goto done;
	}
	if (patch_set(h, 1, &ws, &ns, &out->set[hs], &spare->set[hs]) == -1 ||
	    patch_set(b, 0, &ws, &ns, &out->set[bs], &spare->set[bs]) == -1 ||
	    to_ivs(&d.gone[0], w, &gone->set[hs]) == -1 ||
	    to_ivs(&d.gone[1], w, &gone->set[bs]) == -1 ||
	    to_ivs(&d.came[0], w, &came->set[hs]) == -1 ||
	    to_ivs(&d.came[1], w, &came->set[bs]) == -1)
		goto done;
	rc = 0;
done:
	free(c.v);
	free(ns.v);
	free(ws.v);
	for (int i = 0; i < 2; i++) {
		free(d.gone[i].v);
		free(d.came[i].v);
	}
	return rc;
}

/* Does old keep the raw intervals its sets were merged from? */
static int
patchable(const struct ipset_build *old)
{
	for (int f = 0; f < 2; f++) {
		size_t merged = old->set[f ? IPSET_HOST6 : IPSET_HOST4].n +
		    old->set[f ? IPSET_BLOCK6 : IPSET_BLOCK4].n;
		if (merged > 0 && old->raw[f].n == 0)
			return 0;
	}
	return 1;
}

int
ipset_update(const struct ipset_build *old, const struct rulelist *list, const uint8_t *held,
    const struct rule_entry *allow, size_t nallow, int64_t now, struct ipset_build *out,
    struct ipset_stats *st, struct ipset_build *gone, struct ipset_build *came,
    struct ipset_build *spare)
{
	struct ipset_build sp;

	memset(&sp, 0, sizeof(sp));
	if (spare) {
		sp = *spare;
		memset(spare, 0, sizeof(*spare));
		ipset_build_free(spare);
	}
	memset(out, 0, sizeof(*out));
	memset(gone, 0, sizeof(*gone));
	memset(came, 0, sizeof(*came));
	ipset_build_free(out);
	ipset_build_free(gone);
	ipset_build_free(came);
	if (!patchable(old)) {
		ipset_build_free(&sp);
		if (ipset_build(list, held, allow, nallow, now, out, st) == -1)
			return -1;
		if (ipset_diff(old, out, gone, came) == -1)
			goto fail;
		return 0;
	}
	memset(st, 0, sizeof(*st));
	if (ipset_gather(list, held, now, out->raw, &st->entries, sp.raw) == -1 ||
	    family(old, 0, out, gone, came, &sp) == -1 ||
	    family(old, 1, out, gone, came, &sp) == -1 ||
	    ipset_build_rest(list, allow, nallow, now, out, st) == -1)
		goto fail;
	for (int s = IPSET_ALLOW4; s <= IPSET_ALLOW6; s++)
		if (ipset_diff_set(&old->set[s], &out->set[s], &gone->set[s], &came->set[s]) == -1)
			goto fail;
	ipset_build_free(&sp);
	return 0;
fail:
	ipset_build_free(&sp);
	ipset_build_free(out);
	ipset_build_free(gone);
	ipset_build_free(came);
	return -1;
}
