/* The prefix tables: IPv4 and IPv6 prefixes flattened into sorted disjoint intervals. */
#include <stdlib.h>
#include <string.h>

#include "match_int.h"

typedef unsigned __int128 u128;

static int
item_cmp(const void *a, const void *b)
{
	const struct pfx_item *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	if (x->hi != y->hi) /* the wider prefix first: it contains the other */
		return x->hi > y->hi ? -1 : 1;
	if (x->ref != y->ref) /* list entries before allowlist ones, each in list order */
		return x->ref < y->ref ? -1 : 1;
	return 0;
}

struct sweep {
	u128 *start;
	uint32_t *node;
	size_t n;
};

/* Append interval [start, ...) covered by node, merging with what came before. */
static void
emit(struct sweep *w, u128 start, uint32_t node)
{
	if (w->n > 0 && w->start[w->n - 1] == start) {
		w->node[w->n - 1] = node;
		if (w->n > 1 && w->node[w->n - 2] == node)
			w->n--;
		return;
	}
	if (w->n > 0 && w->node[w->n - 1] == node)
		return;
	w->start[w->n] = start;
	w->node[w->n++] = node;
}

int
pfx_table_build(struct pfx_table *t, int family, struct pfx_item *it, size_t n)
{
	struct sweep w = {0};
	uint32_t *stack = NULL;
	u128 *nlo = NULL, *nhi = NULL;
	u128 max = family == 4 ? (u128)0xffffffffu : ~(u128)0;
	size_t i, nn = 0, sp = 0;

	memset(t, 0, sizeof(*t));
	t->family = family;
	if (n == 0)
		return 0;
	qsort(it, n, sizeof(*it), item_cmp);

	t->nodes = calloc(n + 1, sizeof(*t->nodes));
	t->members = malloc(n * sizeof(*t->members));
	nlo = malloc((n + 1) * sizeof(*nlo));
	nhi = malloc((n + 1) * sizeof(*nhi));
	stack = malloc((n + 1) * sizeof(*stack));
	w.start = malloc((2 * n + 1) * sizeof(*w.start));
	w.node = malloc((2 * n + 1) * sizeof(*w.node));
	if (t->nodes == NULL || t->members == NULL || nlo == NULL || nhi == NULL || stack == NULL ||
	    w.start == NULL || w.node == NULL)
		goto fail;

	/* One node per distinct prefix; its members in sorted order. */
	for (i = 0; i < n; i++) {
		if (nn == 0 || it[i].lo != nlo[nn] || it[i].hi != nhi[nn]) {
			nn++;
			nlo[nn] = it[i].lo;
			nhi[nn] = it[i].hi;
			t->nodes[nn].first = (uint32_t)i;
		}
		t->nodes[nn].n++;
		t->members[i].ref = it[i].ref;
		t->members[i].order = it[i].order;
	}
	t->nnodes = nn;
	t->nmembers = n;

	/* Prefixes nest or are disjoint: a stack of the open ones gives each interval's node. */
	emit(&w, 0, 0);
	for (i = 1; i <= nn; i++) {
		while (sp > 0 && nhi[stack[sp - 1]] < nlo[i]) {
			uint32_t top = stack[--sp];

			emit(&w, nhi[top] + 1, sp > 0 ? stack[sp - 1] : 0);
		}
		t->nodes[i].parent = sp > 0 ? stack[sp - 1] : 0;
		emit(&w, nlo[i], (uint32_t)i);
		stack[sp++] = (uint32_t)i;
	}
	while (sp > 0) {
		uint32_t top = stack[--sp];

		if (nhi[top] == max)
			break; /* it and every enclosing prefix run to the end */
		emit(&w, nhi[top] + 1, sp > 0 ? stack[sp - 1] : 0);
	}

	t->nint = w.n;
	t->leaves = malloc(w.n * sizeof(*t->leaves));
	if (t->leaves == NULL)
		goto fail;
	for (i = 0; i < w.n; i++) {
		const struct pfx_node *nd = &t->nodes[w.node[i]];
		struct pfx_leaf *lf = &t->leaves[i];

		lf->node = w.node[i];
		lf->ref = lf->order = 0;
		if (lf->node != 0) {
			lf->ref = t->members[nd->first].ref | (nd->n > 1 ? PFX_MORE : 0);
			lf->order = t->members[nd->first].order;
		}
	}
	if (family == 4) {
		size_t k, j = 0;

		t->starts4 = malloc(w.n * sizeof(*t->starts4));
		t->bucket4 = malloc(65537 * sizeof(*t->bucket4));
		if (t->starts4 == NULL || t->bucket4 == NULL)
			goto fail;
		for (i = 0; i < w.n; i++)
			t->starts4[i] = (uint32_t)w.start[i];
		/* bucket4[k]: the interval holding k << 16, so a lookup searches a short run. */
		for (k = 0; k < 65536; k++) {
			while (j + 1 < w.n && t->starts4[j + 1] <= (uint32_t)(k << 16))
				j++;
			t->bucket4[k] = (uint32_t)j;
		}
		t->bucket4[65536] = (uint32_t)(w.n - 1);
	} else {
		t->starts6 = malloc(w.n * sizeof(*t->starts6));
		if (t->starts6 == NULL)
			goto fail;
		memcpy(t->starts6, w.start, w.n * sizeof(*t->starts6));
	}
	free(w.start);
	free(w.node);
	free(stack);
	free(nlo);
	free(nhi);
	return 0;
fail:
	free(w.start);
	free(w.node);
	free(stack);
	free(nlo);
	free(nhi);
	pfx_table_free(t);
	return -1;
}

void
pfx_table_free(struct pfx_table *t)
{
	free(t->starts4);
	free(t->starts6);
	free(t->bucket4);
	free(t->leaves);
	free(t->nodes);
	free(t->members);
	memset(t, 0, sizeof(*t));
}

size_t
pfx_table_bytes(const struct pfx_table *t)
{
	size_t b = t->nint * sizeof(*t->leaves) +
	    (t->nodes ? (t->nnodes + 1) * sizeof(*t->nodes) : 0) +
	    t->nmembers * sizeof(*t->members);

	if (t->starts4)
		b += t->nint * sizeof(*t->starts4) + 65537 * sizeof(*t->bucket4);
	if (t->starts6)
		b += t->nint * sizeof(*t->starts6);
	return b;
}

const struct pfx_leaf *
pfx_table_find4(const struct pfx_table *t, uint32_t a)
{
	uint32_t lo, hi;

	if (t->nint == 0)
		return NULL;
	lo = t->bucket4[a >> 16];
	hi = t->bucket4[(a >> 16) + 1];
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo + 1) / 2;

		if (t->starts4[mid] <= a)
			lo = mid;
		else
			hi = mid - 1;
	}
	return &t->leaves[lo];
}

const struct pfx_leaf *
pfx_table_find6(const struct pfx_table *t, u128 a)
{
	size_t lo = 0, hi;

	if (t->nint == 0)
		return NULL;
	hi = t->nint - 1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo + 1) / 2;

		if (t->starts6[mid] <= a)
			lo = mid;
		else
			hi = mid - 1;
	}
	return &t->leaves[lo];
}
