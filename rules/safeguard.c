/* The overblocking safeguards: public suffixes, wide prefixes and the local allowlist. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rulefmt.h"
#include "safeguard.h"
#include "strset.h"

#define A_DOMAIN 1u /* allowlisted exactly */
#define A_SUFFIX 2u /* allowlisted with every name below */
#define A_BELOW  4u /* some allowlisted name is at or below this one */

void
safeguard_report_free(struct safeguard_report *rep)
{
	size_t i;

	for (i = 0; i < rep->n; i++)
		free(rep->items[i].msg);
	free(rep->items);
	rep->items = NULL;
	rep->n = 0;
}

static int __attribute__((format(printf, 5, 6))) refuse(struct safeguard_report *rep,
    const char *fname, const struct rulelist *l, const struct rule_entry *e, const char *fmt, ...)
{
	char v[RULES_URL_MAX + 1], why[512], *msg;
	struct safeguard_refusal *ni;
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	n = asprintf(&msg, "%s:%u: %s %s (order %s): refused: %s", fname, e->line,
	    rule_entry_keyword(e), rule_entry_value(e, v, sizeof v), l->orders[e->order].ref, why);
	if (n < 0)
		return -1;
	if ((rep->n & (rep->n - 1)) == 0 || rep->n == 0) {
		ni = realloc(rep->items, (rep->n ? rep->n * 2 : 1) * sizeof *ni);
		if (ni == NULL) {
			free(msg);
			return -1;
		}
		rep->items = ni;
	}
	rep->items[rep->n].line = e->line;
	rep->items[rep->n].msg = msg;
	return 0;
}

/* Does any ancestor-or-self of name carry flag in set? Sets *hit to it. */
static int
any_ancestor(const struct strset *set, const char *name, size_t n, unsigned flag, const char **hit,
    size_t *hitlen)
{
	const char *dot;

	for (;;) {
		if (strset_get(set, name, n, NULL) & flag) {
			*hit = name;
			*hitlen = n;
			return 1;
		}
		dot = memchr(name, '.', n);
		if (dot == NULL)
			return 0;
		n -= (size_t)(dot + 1 - name);
		name = dot + 1;
	}
}

static int
prefix_overlap(const struct rule_entry *a, const struct rule_entry *b)
{
	unsigned plen = a->plen < b->plen ? a->plen : b->plen, i;

	if (a->type != b->type)
		return 0;
	for (i = 0; i < plen / 8; i++)
		if (a->addr[i] != b->addr[i])
			return 0;
	if (plen % 8 && ((a->addr[i] ^ b->addr[i]) & (0xff << (8 - plen % 8)) & 0xff))
		return 0;
	return 1;
}

static struct strset *
allow_names(const struct rule_entry *allow, size_t nallow)
{
	struct strset *s = strset_create();
	const char *name, *dot;
	size_t i, n;

	for (i = 0; s && i < nallow; i++) {
		if (allow[i].type != RULE_DOMAIN && allow[i].type != RULE_SUFFIX)
			continue;
		name = allow[i].name;
		n = allow[i].namelen;
		if (strset_add(s, name, n, allow[i].type == RULE_DOMAIN ? A_DOMAIN : A_SUFFIX,
			(uint32_t)i) != 0)
			goto oom;
		for (;;) {
			if (strset_add(s, name, n, A_BELOW, (uint32_t)i) != 0)
				goto oom;
			dot = memchr(name, '.', n);
			if (dot == NULL)
				break;
			n -= (size_t)(dot + 1 - name);
			name = dot + 1;
		}
	}
	return s;
oom:
	strset_free(s);
	return NULL;
}

/* 1 and a reason if entry e must be refused, 0 if it stays, -1 when out of memory. */
static int
check(const struct rulelist *l, const char *fname, const struct rule_entry *e,
    const struct psl *psl, const struct strset *an, const struct rule_entry *allow, size_t nallow,
    struct safeguard_report *rep, uint8_t *reason)
{
	const char *name = e->name, *hit, *covered;
	size_t n = e->namelen, hitlen, i;
	uint32_t ai = 0;
	unsigned flags;
	char v[RULES_URL_MAX + 1];

	if (e->type == RULE_URL)
		n = (size_t)((const char *)memchr(name, '/', n) - name);
	if (e->type == RULE_DOMAIN || e->type == RULE_SUFFIX || e->type == RULE_URL) {
		if (psl && psl_is_suffix(psl, name, n)) {
			*reason = SAFEGUARD_PUBLIC_SUFFIX;
			return refuse(rep, fname, l, e, "%.*s is a public suffix", (int)n, name)
			    ? -1
			    : 1;
		}
		if (psl && e->type == RULE_SUFFIX && (covered = psl_covered(psl, name, n))) {
			*reason = SAFEGUARD_COVERS_SUFFIX;
			return refuse(rep, fname, l, e, "covers the public suffix %s", covered) ? -1
												: 1;
		}
		*reason = SAFEGUARD_ALLOWLIST;
		if (strset_count(an) == 0)
			return 0;
		if (any_ancestor(an, name, n, A_SUFFIX, &hit, &hitlen))
			return refuse(rep, fname, l, e,
				   "overlaps the local allowlist entry suffix %.*s", (int)hitlen,
				   hit)
			    ? -1
			    : 1;
		flags = strset_get(an, name, n, &ai);
		if (e->type != RULE_SUFFIX && (flags & A_DOMAIN))
			return refuse(rep, fname, l, e,
				   "overlaps the local allowlist entry domain %.*s", (int)n, name)
			    ? -1
			    : 1;
		if (e->type == RULE_SUFFIX && (flags & A_BELOW))
			return refuse(rep, fname, l, e,
				   "covers the local allowlist entry %s %s (allowlist line %u)",
				   rule_entry_keyword(&allow[ai]),
				   rule_entry_value(&allow[ai], v, sizeof v), allow[ai].line)
			    ? -1
			    : 1;
		return 0;
	}
	if (!l->orders[e->order].allow_wide &&
	    e->plen < (e->type == RULE_IPV4 ? SAFEGUARD_V4_FLOOR : SAFEGUARD_V6_FLOOR)) {
		*reason = SAFEGUARD_WIDE_PREFIX;
		return refuse(rep, fname, l, e,
			   "prefix wider than /%d and the order does not say 'wide yes'",
			   e->type == RULE_IPV4 ? SAFEGUARD_V4_FLOOR : SAFEGUARD_V6_FLOOR)
		    ? -1
		    : 1;
	}
	for (i = 0; i < nallow; i++) {
		if ((allow[i].type == RULE_IPV4 || allow[i].type == RULE_IPV6) &&
		    prefix_overlap(e, &allow[i])) {
			*reason = SAFEGUARD_ALLOWLIST;
			return refuse(rep, fname, l, e,
				   "overlaps the local allowlist entry %s %s (allowlist line %u)",
				   rule_entry_keyword(&allow[i]),
				   rule_entry_value(&allow[i], v, sizeof v), allow[i].line)
			    ? -1
			    : 1;
		}
	}
	return 0;
}

int
safeguard_apply(struct rulelist *l, const char *fname, const struct psl *psl,
    const struct rule_entry *allow, size_t nallow, struct safeguard_report *rep)
{
	struct strset *an = allow_names(allow, nallow);
	size_t i, keep = 0;
	uint8_t reason = 0;
	int r = 0;

	if (an == NULL)
		return -1;
	for (i = 0; i < l->nentries; i++) {
		r = check(l, fname, &l->entries[i], psl, an, allow, nallow, rep, &reason);
		if (r < 0)
			break;
		if (r == 1) {
			rep->items[rep->n].reason = reason;
			rep->n++;
			continue;
		}
		l->entries[keep++] = l->entries[i];
	}
	/* On failure keep the unchecked rest, so the list stays whole. */
	for (; r < 0 && i < l->nentries; i++)
		l->entries[keep++] = l->entries[i];
	l->nentries = keep;
	strset_free(an);
	return r < 0 ? -1 : 0;
}
