/* The block list writer: a parsed or built list in its one normal form. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rulefmt.h"

struct buf {
	char *p;
	size_t len, cap;
	int oom;
};

static void __attribute__((format(printf, 2, 3))) put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *np;

	if (b->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = 1;
			return;
		}
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		np = realloc(b->p, b->cap * 2 + (size_t)n);
		if (np == NULL) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = b->cap * 2 + (size_t)n;
	}
}

char *
rulelist_format(const struct rulelist *l, size_t *lenp)
{
	struct buf b = {NULL, 0, 0, 0};
	char t1[32], t2[32], v[RULES_URL_MAX + 1];
	const struct rule_order *o;
	const struct rule_entry *e;
	size_t i;

	b.cap = 4096 + l->nentries * 48;
	b.p = malloc(b.cap);
	if (b.p == NULL)
		return NULL;
	put(&b, "blocklist %d\nissuer %s\nscope %s\nserial %llu\n", RULES_FORMAT_VERSION, l->issuer,
	    l->scope, (unsigned long long)l->serial);
	put(&b, "issued %s\nexpires %s\n", rules_time_format(l->issued, t1, sizeof t1),
	    rules_time_format(l->expires, t2, sizeof t2));
	if (l->previous)
		put(&b, "previous %s\n", l->previous);
	put(&b, "orders %zu\nentries %zu\n\n", l->norders, l->nentries);
	for (i = 0; i < l->norders; i++) {
		o = &l->orders[i];
		put(&b, "order %s\n\tauthority %s\n\tdate %s\n\tservice %s\n", o->ref, o->authority,
		    rules_date_format(o->date, t1, sizeof t1), o->service);
		put(&b, "\tnot-before %s\n", rules_time_format(o->not_before, t1, sizeof t1));
		put(&b, "\tnot-after %s\n", rules_time_format(o->not_after, t1, sizeof t1));
		put(&b, "\tnotice %s\n\tnotice-url %s\n\twide %s\n\n", o->notice, o->notice_url,
		    o->allow_wide ? "yes" : "no");
	}
	for (i = 0; i < l->nentries; i++) {
		e = &l->entries[i];
		put(&b, "%s %s %s\n", rule_entry_keyword(e), rule_entry_value(e, v, sizeof v),
		    l->orders[e->order].ref);
	}
	put(&b, "end %zu\n", l->nentries);
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	*lenp = b.len;
	return b.p;
}
