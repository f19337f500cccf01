/* The block list writer: a parsed or built list in its one normal form. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "outbuf.h"
#include "rulefmt.h"

char *
rulelist_format(const struct rulelist *l, size_t *lenp)
{
	struct outbuf b = {NULL, 0, 0, 0};
	char t1[32], t2[32], v[RULES_URL_MAX + 1];
	const struct rule_order *o;
	const struct rule_entry *e;
	size_t i;

	b.cap = 4096 + l->nentries * 48;
	b.p = malloc(b.cap);
	if (b.p == NULL)
		return NULL;
	outbuf_printf(&b, "blocklist %d\nissuer %s\nscope %s\nserial %llu\n", RULES_FORMAT_VERSION,
	    l->issuer, l->scope, (unsigned long long)l->serial);
	outbuf_printf(&b, "issued %s\nexpires %s\n", rules_time_format(l->issued, t1, sizeof t1),
	    rules_time_format(l->expires, t2, sizeof t2));
	if (l->previous)
		outbuf_printf(&b, "previous %s\n", l->previous);
	outbuf_printf(&b, "orders %zu\nentries %zu\n\n", l->norders, l->nentries);
	for (i = 0; i < l->norders; i++) {
		o = &l->orders[i];
		outbuf_printf(&b, "order %s\n\tauthority %s\n\tdate %s\n\tservice %s\n", o->ref,
		    o->authority, rules_date_format(o->date, t1, sizeof t1), o->service);
		outbuf_printf(
		    &b, "\tnot-before %s\n", rules_time_format(o->not_before, t1, sizeof t1));
		outbuf_printf(
		    &b, "\tnot-after %s\n", rules_time_format(o->not_after, t1, sizeof t1));
		outbuf_printf(&b, "\tnotice %s\n\tnotice-url %s\n\twide %s\n%s", o->notice,
		    o->notice_url, o->allow_wide ? "yes" : "no",
		    o->allow_shared ? "\tshared yes\n" : "");
		if (o->divert != NULL)
			outbuf_printf(&b, "\tdivert %s\n", o->divert);
		outbuf_printf(&b, "\n");
	}
	for (i = 0; i < l->nentries; i++) {
		e = &l->entries[i];
		outbuf_printf(&b, "%s %s %s\n", rule_entry_keyword(e),
		    rule_entry_value(e, v, sizeof v), l->orders[e->order].ref);
	}
	outbuf_printf(&b, "end %zu\n", l->nentries);
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	*lenp = b.len;
	return b.p;
}
