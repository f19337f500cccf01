/* Comparing two lists entry by entry, grouped by order, for reviewers. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "outbuf.h"
#include "rulefmt.h"

struct change {
	const char *ref;
	const struct rule_entry *e;
	size_t seq;
	char sign;
};

/* rule_entry_cmp() across two lists: the reference strings break ties. */
static int
cmp2(const struct rulelist *la, const struct rule_entry *a, const struct rulelist *lb,
    const struct rule_entry *b)
{
	struct rule_entry x = *a, y = *b;
	int c;

	x.order = y.order = 0;
	c = rule_entry_cmp(&x, &y, la->orders);
	if (c != 0)
		return c;
	return strcmp(la->orders[a->order].ref, lb->orders[b->order].ref);
}

static int
cmp_change(const void *pa, const void *pb)
{
	const struct change *a = pa, *b = pb;
	int c = strcmp(a->ref, b->ref);

	if (c != 0)
		return c;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static const struct rule_order *
find(const struct rulelist *l, const char *ref)
{
	size_t i;

	for (i = 0; i < l->norders; i++)
		if (strcmp(l->orders[i].ref, ref) == 0)
			return &l->orders[i];
	return NULL;
}

static void
field(struct outbuf *b, const char *ref, const char *name, const char *x, const char *y)
{
	if (strcmp(x, y) != 0)
		outbuf_printf(b, "~ order %s %s: %s -> %s\n", ref, name, x, y);
}

static void
orders(struct outbuf *b, const struct rulelist *a, const struct rulelist *l2)
{
	const struct rule_order *x, *y;
	char t1[32], t2[32];
	size_t i;

	for (i = 0; i < a->norders; i++)
		if (find(l2, a->orders[i].ref) == NULL)
			outbuf_printf(b, "- order %s (%s, %s)\n", a->orders[i].ref,
			    a->orders[i].service, a->orders[i].authority);
	for (i = 0; i < l2->norders; i++) {
		y = &l2->orders[i];
		x = find(a, y->ref);
		if (x == NULL) {
			outbuf_printf(b, "+ order %s (%s, %s)\n", y->ref, y->service, y->authority);
			continue;
		}
		field(b, y->ref, "authority", x->authority, y->authority);
		field(b, y->ref, "date", rules_date_format(x->date, t1, sizeof t1),
		    rules_date_format(y->date, t2, sizeof t2));
		field(b, y->ref, "service", x->service, y->service);
		field(b, y->ref, "not-before", rules_time_format(x->not_before, t1, sizeof t1),
		    rules_time_format(y->not_before, t2, sizeof t2));
		field(b, y->ref, "not-after", rules_time_format(x->not_after, t1, sizeof t1),
		    rules_time_format(y->not_after, t2, sizeof t2));
		field(b, y->ref, "notice", x->notice, y->notice);
		field(b, y->ref, "notice-url", x->notice_url, y->notice_url);
		field(
		    b, y->ref, "wide", x->allow_wide ? "yes" : "no", y->allow_wide ? "yes" : "no");
		field(b, y->ref, "shared", x->allow_shared ? "yes" : "no",
		    y->allow_shared ? "yes" : "no");
		field(
		    b, y->ref, "divert", x->divert ? x->divert : "-", y->divert ? y->divert : "-");
	}
}

char *
rulelist_diff(const struct rulelist *a, const struct rulelist *l2, size_t *nadd, size_t *ndel)
{
	struct outbuf b = {NULL, 0, 4096, 0};
	struct change *ch = malloc((a->nentries + l2->nentries + 1) * sizeof *ch);
	char t1[32], t2[32], v[RULES_URL_MAX + 1], n1[24], n2[24];
	size_t i = 0, j = 0, n = 0, k;
	const char *last = NULL;
	int c;

	*nadd = *ndel = 0;
	b.p = malloc(b.cap);
	if (b.p == NULL || ch == NULL) {
		free(b.p);
		free(ch);
		return NULL;
	}
	b.p[0] = '\0';
	snprintf(n1, sizeof n1, "%llu", (unsigned long long)a->serial);
	snprintf(n2, sizeof n2, "%llu", (unsigned long long)l2->serial);
	if (strcmp(n1, n2) != 0)
		outbuf_printf(&b, "~ serial %s -> %s\n", n1, n2);
	if (strcmp(a->issuer, l2->issuer) != 0)
		outbuf_printf(&b, "~ issuer %s -> %s\n", a->issuer, l2->issuer);
	if (strcmp(a->scope, l2->scope) != 0)
		outbuf_printf(&b, "~ scope %s -> %s\n", a->scope, l2->scope);
	if (a->issued != l2->issued)
		outbuf_printf(&b, "~ issued %s -> %s\n",
		    rules_time_format(a->issued, t1, sizeof t1),
		    rules_time_format(l2->issued, t2, sizeof t2));
	if (a->expires != l2->expires)
		outbuf_printf(&b, "~ expires %s -> %s\n",
		    rules_time_format(a->expires, t1, sizeof t1),
		    rules_time_format(l2->expires, t2, sizeof t2));
	orders(&b, a, l2);
	while (i < a->nentries || j < l2->nentries) {
		c = i == a->nentries    ? 1
		    : j == l2->nentries ? -1
					: cmp2(a, &a->entries[i], l2, &l2->entries[j]);
		if (c == 0) {
			i++;
			j++;
			continue;
		}
		ch[n].seq = n;
		if (c < 0) {
			ch[n].sign = '-';
			ch[n].e = &a->entries[i];
			ch[n].ref = a->orders[a->entries[i++].order].ref;
			(*ndel)++;
		} else {
			ch[n].sign = '+';
			ch[n].e = &l2->entries[j];
			ch[n].ref = l2->orders[l2->entries[j++].order].ref;
			(*nadd)++;
		}
		n++;
	}
	qsort(ch, n, sizeof *ch, cmp_change);
	for (k = 0; k < n; k++) {
		if (last == NULL || strcmp(last, ch[k].ref) != 0) {
			outbuf_printf(&b, "order %s:\n", ch[k].ref);
			last = ch[k].ref;
		}
		outbuf_printf(&b, "%c %s %s\n", ch[k].sign, rule_entry_keyword(ch[k].e),
		    rule_entry_value(ch[k].e, v, sizeof v));
	}
	free(ch);
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p;
}
