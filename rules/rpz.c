/* The RPZ writer: CNAME . records for names, rpz-ip records for addresses. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpz.h"
#include "outbuf.h"
#include "rulefmt.h"
#include "strset.h"

char *
rpz_ip_owner(const struct rule_entry *e, char *buf, size_t bufsz)
{
	unsigned w[8], best = 0, bestlen = 0, run;
	size_t i;
	size_t o;

	if (e->type == RULE_IPV4) {
		snprintf(buf, bufsz, "%u.%u.%u.%u.%u.rpz-ip", e->plen, e->addr[3], e->addr[2],
		    e->addr[1], e->addr[0]);
		return buf;
	}
	for (i = 0; i < 8; i++)
		w[i] = (unsigned)e->addr[2 * i] << 8 | e->addr[2 * i + 1];
	/* The longest run of two or more zero words becomes "zz", as "::" would. */
	for (i = 0; i < 8; i += run ? run : 1) {
		for (run = 0; i + run < 8 && w[i + run] == 0; run++)
			;
		if (run > bestlen) {
			best = (unsigned)i;
			bestlen = run;
		}
	}
	if (bestlen < 2)
		bestlen = 0;
	o = (size_t)snprintf(buf, bufsz, "%u", e->plen);
	for (i = 8; i-- > 0 && o < bufsz;) {
		if (bestlen && i >= best && i < best + bestlen) {
			if (i == best)
				o += (size_t)snprintf(buf + o, bufsz - o, ".zz");
			continue;
		}
		o += (size_t)snprintf(buf + o, bufsz - o, ".%x", w[i]);
	}
	if (o < bufsz)
		snprintf(buf + o, bufsz - o, ".rpz-ip");
	return buf;
}

/* One owner once: a CNAME must be alone at its name. */
static void
record(struct outbuf *b, struct strset *seen, const char *owner, const char *ref)
{
	if (strset_get(seen, owner, strlen(owner), NULL)) {
		outbuf_printf(b, "; %s CNAME . ; order %s (owner already listed)\n", owner, ref);
		return;
	}
	if (strset_add(seen, owner, strlen(owner), 1, STRSET_NOAUX) != 0) {
		b->oom = 1;
		return;
	}
	outbuf_printf(b, "%s CNAME . ; order %s\n", owner, ref);
}

char *
rpz_format(const struct rulelist *l, const char *origin, int64_t now, size_t *lenp)
{
	struct outbuf b = {NULL, 0, 0, 0};
	struct strset *seen = strset_create();
	char t[32], owner[RULES_NAME_MAX + 8], v[RULES_URL_MAX + 1];
	const struct rule_entry *e;
	const char *ref;
	size_t i;

	b.cap = 4096 + l->nentries * 64;
	b.p = malloc(b.cap);
	if (b.p == NULL || seen == NULL) {
		free(b.p);
		strset_free(seen);
		return NULL;
	}
	outbuf_printf(&b,
	    "; Response policy zone from block list serial %llu, issued %s by %s (%s).\n",
	    (unsigned long long)l->serial, rules_time_format(l->issued, t, sizeof t), l->issuer,
	    l->scope);
	outbuf_printf(&b,
	    "; Written by blockrules export; orders not in force at %s are left out.\n",
	    rules_time_format(now, t, sizeof t));
	outbuf_printf(&b, "$ORIGIN %s\n$TTL 300\n", origin);
	outbuf_printf(&b, "@ SOA localhost. hostmaster.localhost. %lu 3600 600 86400 300\n",
	    (unsigned long)(l->serial & 0xffffffffu));
	outbuf_printf(&b, "@ NS localhost.\n");
	for (i = 0; i < l->norders; i++)
		if (!rule_order_active(&l->orders[i], now))
			outbuf_printf(&b, "; order %s is not in force: its entries are left out\n",
			    l->orders[i].ref);
	for (i = 0; i < l->nentries; i++) {
		e = &l->entries[i];
		ref = l->orders[e->order].ref;
		if (!rule_order_active(&l->orders[e->order], now))
			continue;
		switch (e->type) {
		case RULE_DOMAIN:
		case RULE_SUFFIX:
			record(&b, seen, e->name, ref);
			if (e->type == RULE_SUFFIX) {
				snprintf(owner, sizeof owner, "*.%s", e->name);
				record(&b, seen, owner, ref);
			}
			break;
		case RULE_IPV4:
		case RULE_IPV6:
			record(&b, seen, rpz_ip_owner(e, owner, sizeof owner), ref);
			break;
		default:
			outbuf_printf(&b, "; url %s ; order %s: RPZ cannot express URL entries\n",
			    rule_entry_value(e, v, sizeof v), ref);
		}
	}
	strset_free(seen);
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	*lenp = b.len;
	return b.p;
}
