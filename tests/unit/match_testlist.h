/* Building rule lists in memory for the match tests, with rulelist_free()'s four blocks. */
#ifndef MATCH_TESTLIST_H
#define MATCH_TESTLIST_H

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rulelist.h"

/* One entry as a test writes it: a name, "host/path", or an address with optional /plen. */
struct tent {
	uint8_t type;
	const char *text;
	uint32_t order;
};

/* One order's window; {0, 0} means always in force. */
struct twin {
	int64_t not_before, not_after;
};

static inline void
tl_parse_addr(struct rule_entry *e, const char *text)
{
	char buf[64];
	char *slash;
	int v6 = e->type == RULE_IPV6;

	snprintf(buf, sizeof(buf), "%s", text);
	slash = strchr(buf, '/');
	e->plen = v6 ? 128 : 32;
	if (slash != NULL) {
		*slash = '\0';
		e->plen = (uint8_t)atoi(slash + 1);
	}
	if (inet_pton(v6 ? AF_INET6 : AF_INET, buf, e->addr) != 1)
		abort();
}

/* A list of n entries over norders orders (windows may be NULL: all in force). */
static inline struct rulelist *
tl_make(const struct tent *t, size_t n, const struct twin *win, size_t norders, uint64_t serial)
{
	struct rulelist *l = calloc(1, sizeof(*l));
	size_t i, bytes = 0;
	char *p;

	for (i = 0; i < n; i++)
		bytes += strlen(t[i].text) + 1;
	bytes += norders * 64;
	l->arena = p = malloc(bytes + 1);
	l->orders = calloc(norders ? norders : 1, sizeof(*l->orders));
	l->entries = calloc(n ? n : 1, sizeof(*l->entries));
	l->norders = norders;
	l->nentries = n;
	l->serial = serial;
	l->version = RULES_FORMAT_VERSION;
	for (i = 0; i < norders; i++) {
		struct rule_order *o = &l->orders[i];

		o->ref = p;
		p += sprintf(p, "CL-TEST-%03zu", i) + 1;
		o->service = p;
		p += sprintf(p, "Service %zu", i) + 1;
		o->authority = o->notice = o->notice_url = "";
		o->not_before =
		    win && (win[i].not_before || win[i].not_after) ? win[i].not_before : INT64_MIN;
		o->not_after =
		    win && (win[i].not_before || win[i].not_after) ? win[i].not_after : INT64_MAX;
		o->line = (uint32_t)(i + 1);
	}
	for (i = 0; i < n; i++) {
		struct rule_entry *e = &l->entries[i];

		e->type = t[i].type;
		e->order = t[i].order;
		e->line = (uint32_t)(100 + i);
		e->name = p;
		e->namelen = (uint32_t)strlen(t[i].text);
		memcpy(p, t[i].text, e->namelen + 1);
		p += e->namelen + 1;
		if (e->type == RULE_IPV4 || e->type == RULE_IPV6)
			tl_parse_addr(e, t[i].text);
	}
	return l;
}

#endif
