/* The overblocking safeguards: public suffixes, wide and special-use prefixes, shared infrastructure. */
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
	rep->items[rep->n].entry = (size_t)(e - l->entries);
	rep->items[rep->n].line = e->line;
	rep->items[rep->n].msg = msg;
	return 0;
}

/* Does any ancestor-or-self of sn carry flag in set? Sets *hit to the nearest one's index. */
static int
any_ancestor(const struct strset *set, const struct strset_name *sn, unsigned flag, unsigned *hit)
{
	for (unsigned i = 0; i < sn->n; i++) {
		if (strset_get_suffix(set, sn, i, NULL) & flag) {
			*hit = i;
			return 1;
		}
	}
	return 0;
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

/* Do prefixes a/alen and b/blen (bits, same family) share any address? */
static int
bits_overlap(const uint8_t *a, unsigned alen, const uint8_t *b, unsigned blen)
{
	unsigned plen = alen < blen ? alen : blen, i;

	for (i = 0; i < plen / 8; i++)
		if (a[i] != b[i])
			return 0;
	if (plen % 8 && ((a[i] ^ b[i]) & (0xff << (8 - plen % 8)) & 0xff))
		return 0;
	return 1;
}

static int
prefix_overlap(const struct rule_entry *a, const struct rule_entry *b)
{
	return a->type == b->type && bits_overlap(a->addr, a->plen, b->addr, b->plen);
}

/*
 * Special-use ranges (IANA's IPv4 and IPv6 Special-Purpose Address Registries,
 * RFC 6890 and later): no court order can mean them. The documentation ranges
 * are marked: test beds (and only they) may allow them.
 */
static const struct special {
	uint8_t type, plen, doc;
	uint8_t addr[16];
	const char *what;
} specials[] = {
    {RULE_IPV4, 8, 0, {0}, "0.0.0.0/8, \"this network\" (RFC 791)"},
    {RULE_IPV4, 8, 0, {10}, "10.0.0.0/8, private use (RFC 1918)"},
    {RULE_IPV4, 10, 0, {100, 64}, "100.64.0.0/10, shared address space (RFC 6598)"},
    {RULE_IPV4, 8, 0, {127}, "127.0.0.0/8, loopback (RFC 1122)"},
    {RULE_IPV4, 16, 0, {169, 254}, "169.254.0.0/16, link-local (RFC 3927)"},
    {RULE_IPV4, 12, 0, {172, 16}, "172.16.0.0/12, private use (RFC 1918)"},
    {RULE_IPV4, 24, 0, {192, 0, 0}, "192.0.0.0/24, IETF protocol assignments (RFC 6890)"},
    {RULE_IPV4, 24, 1, {192, 0, 2}, "192.0.2.0/24, documentation (RFC 5737)"},
    {RULE_IPV4, 16, 0, {192, 168}, "192.168.0.0/16, private use (RFC 1918)"},
    {RULE_IPV4, 15, 0, {198, 18}, "198.18.0.0/15, benchmarking (RFC 2544)"},
    {RULE_IPV4, 24, 1, {198, 51, 100}, "198.51.100.0/24, documentation (RFC 5737)"},
    {RULE_IPV4, 24, 1, {203, 0, 113}, "203.0.113.0/24, documentation (RFC 5737)"},
    {RULE_IPV4, 4, 0, {224}, "224.0.0.0/4, multicast (RFC 5771)"},
    {RULE_IPV4, 4, 0, {240}, "240.0.0.0/4, reserved and broadcast (RFC 1112, RFC 919)"},
    {RULE_IPV6, 128, 0, {0}, "::/128, unspecified (RFC 4291)"},
    {RULE_IPV6, 128, 0, {[15] = 1}, "::1/128, loopback (RFC 4291)"},
    {RULE_IPV6, 64, 0, {0x01}, "100::/64, discard-only (RFC 6666)"},
    {RULE_IPV6, 48, 0, {0x20, 0x01, 0x00, 0x02}, "2001:2::/48, benchmarking (RFC 5180)"},
    {RULE_IPV6, 32, 1, {0x20, 0x01, 0x0d, 0xb8}, "2001:db8::/32, documentation (RFC 3849)"},
    {RULE_IPV6, 20, 1, {0x3f, 0xff}, "3fff::/20, documentation (RFC 9637)"},
    {RULE_IPV6, 7, 0, {0xfc}, "fc00::/7, unique local (RFC 4193)"},
    {RULE_IPV6, 10, 0, {0xfe, 0x80}, "fe80::/10, link-local (RFC 4291)"},
    {RULE_IPV6, 8, 0, {0xff}, "ff00::/8, multicast (RFC 4291)"},
};

/*
 * IPv6 prefixes that carry IPv4 addresses: an entry inside one blocks (for the
 * subscribers who reach IPv4 through it) the IPv4 address it embeds, so that
 * address is checked as an IPv4 entry. v4at: the bit where it starts.
 */
static const struct embedding {
	uint8_t plen, v4at;
	uint8_t addr[16];
	const char *what;
} embeddings[] = {
    {96, 96, {[10] = 0xff, [11] = 0xff}, "IPv4-mapped prefix ::ffff:0:0/96 (RFC 4291)"},
    {96, 96, {0x00, 0x64, 0xff, 0x9b}, "NAT64 well-known prefix 64:ff9b::/96 (RFC 6052)"},
    {48, 96, {0x00, 0x64, 0xff, 0x9b, 0x00, 0x01},
	"NAT64 local-use prefix 64:ff9b:1::/48 (RFC 8215)"},
    {16, 16, {0x20, 0x02}, "6to4 prefix 2002::/16 (RFC 3056)"},
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const char *
safeguard_special_use(int type, const uint8_t addr[16], unsigned plen, int documentation)
{
	for (size_t i = 0; i < NELEM(specials); i++) {
		if (specials[i].type != type || (specials[i].doc && documentation) ||
		    !bits_overlap(addr, plen, specials[i].addr, specials[i].plen))
			continue;
		return specials[i].what;
	}
	return NULL;
}

/*
 * The IPv4 prefix that IPv6 entry e embeds through m. An entry as wide as the
 * embedding's start or wider covers every IPv4 address: 0.0.0.0/0.
 */
static void
embedded_v4(const struct rule_entry *e, const struct embedding *m, struct rule_entry *v4)
{
	unsigned i, bits;

	*v4 = *e;
	v4->type = RULE_IPV4;
	memset(v4->addr, 0, sizeof v4->addr);
	if (e->plen <= m->v4at) {
		v4->plen = 0;
		return;
	}
	bits = e->plen - m->v4at;
	v4->plen = (uint8_t)(bits > 32 ? 32 : bits);
	for (i = 0; i < v4->plen; i++) {
		unsigned from = m->v4at + i;

		if (e->addr[from / 8] & (0x80 >> (from % 8)))
			v4->addr[i / 8] |= (uint8_t)(0x80 >> (i % 8));
	}
}

/* The state one safeguard_apply() call shares between entries. */
struct sgctx {
	const struct rulelist *l;
	const char *fname;
	const struct safeguard_input *in;
	struct strset *allow_names;   /* the allowlist's names */
	struct strset *shared_above;  /* shared names and every name above them */
	struct strset *shared_suffix; /* shared names that also cover every name below */
	struct safeguard_report *rep;
	uint8_t reason;
};

/* A shared-infrastructure entry, from the aux value of shared_names. */
static const struct rule_entry *
shared_entry(const struct safeguard_input *in, uint32_t aux, const char **fname)
{
	const struct safeguard_source *src = &in->shared[aux >> 24];

	*fname = src->fname ? src->fname : "shared infrastructure";
	return &src->entries[aux & 0xffffffu];
}

/*
 * The shared names: every one marks itself and the names above it (in above);
 * a "suffix" one also covers the names below it (in below), a "domain" one
 * does not (names below it are one customer's: bucket.storage.example).
 */
static int
shared_names(const struct safeguard_input *in, struct strset **above, struct strset **below)
{
	struct strset *s = *above = strset_create();
	const struct rule_entry *e;
	const char *name, *dot;
	size_t i, j, n;

	*below = strset_create();
	if (s == NULL || *below == NULL)
		return -1;
	for (i = 0; i < in->nshared && i < SAFEGUARD_SHARED_MAX; i++) {
		for (j = 0; j < in->shared[i].n && j <= 0xffffffu; j++) {
			e = &in->shared[i].entries[j];
			if (e->type != RULE_DOMAIN && e->type != RULE_SUFFIX)
				continue;
			if (e->type == RULE_SUFFIX &&
			    strset_add(*below, e->name, e->namelen, A_SUFFIX,
				(uint32_t)(i << 24 | j)) != 0)
				return -1;
			for (name = e->name, n = e->namelen;;) {
				if (strset_add(s, name, n, A_BELOW, (uint32_t)(i << 24 | j)) != 0)
					return -1;
				dot = memchr(name, '.', n);
				if (dot == NULL)
					break;
				n -= (size_t)(dot + 1 - name);
				name = dot + 1;
			}
		}
	}
	return 0;
}

#define REFUSE(c, e, r, ...) \
	((c)->reason = (r), refuse((c)->rep, (c)->fname, (c)->l, (e), __VA_ARGS__) ? -1 : 1)

/*
 * The checks of one address prefix a (e itself, or the IPv4 prefix e embeds,
 * then via names the embedding). 1 if e is refused, 0 if not, -1 out of memory.
 */
static int
check_prefix(
    struct sgctx *c, const struct rule_entry *e, const struct rule_entry *a, const char *via)
{
	const struct rule_order *o = &c->l->orders[e->order];
	const struct safeguard_input *in = c->in;
	unsigned v4 = a->type == RULE_IPV4;
	char what[RULES_URL_MAX + 200], v[RULES_URL_MAX + 1];
	const struct rule_entry *s;
	const char *sp;
	size_t i, j;

	if (via)
		snprintf(what, sizeof what, "the IPv4 %s it embeds through the %s",
		    rule_entry_value(a, v, sizeof v), via);
	else
		snprintf(what, sizeof what, "it");
	if (a->plen < (v4 ? SAFEGUARD_V4_LIMIT : SAFEGUARD_V6_LIMIT))
		return REFUSE(c, e, SAFEGUARD_TOO_WIDE,
		    "%s is wider than /%d, which no order can pass", what,
		    v4 ? SAFEGUARD_V4_LIMIT : SAFEGUARD_V6_LIMIT);
	if ((sp = safeguard_special_use(a->type, a->addr, a->plen, in->documentation)) != NULL)
		return REFUSE(c, e, SAFEGUARD_SPECIAL_USE,
		    "%s overlaps the special-use range %s, which no order can mean", what, sp);
	if (!o->allow_wide && a->plen < (v4 ? SAFEGUARD_V4_FLOOR : SAFEGUARD_V6_FLOOR))
		return REFUSE(c, e, SAFEGUARD_WIDE_PREFIX,
		    "%s is wider than /%d and the order does not say 'wide yes'",
		    via ? what : "prefix", v4 ? SAFEGUARD_V4_FLOOR : SAFEGUARD_V6_FLOOR);
	for (i = 0; !o->allow_shared && i < in->nshared && i < SAFEGUARD_SHARED_MAX; i++) {
		for (j = 0; j < in->shared[i].n; j++) {
			s = &in->shared[i].entries[j];
			if (!prefix_overlap(a, s))
				continue;
			return REFUSE(c, e, SAFEGUARD_SHARED,
			    "%s overlaps the shared infrastructure %s %s (%s:%u); only an order "
			    "saying 'shared yes' may block it",
			    what, rule_entry_keyword(s), rule_entry_value(s, v, sizeof v),
			    in->shared[i].fname ? in->shared[i].fname : "shared infrastructure",
			    s->line);
		}
	}
	for (i = 0; i < in->nallow; i++) {
		s = &in->allow[i];
		if (!prefix_overlap(a, s))
			continue;
		return REFUSE(c, e, SAFEGUARD_ALLOWLIST,
		    "%s overlaps the local allowlist entry %s %s (allowlist line %u)", what,
		    rule_entry_keyword(s), rule_entry_value(s, v, sizeof v), s->line);
	}
	return 0;
}

static int
check_address(struct sgctx *c, const struct rule_entry *e)
{
	struct rule_entry v4;
	size_t i;
	int r;

	if ((r = check_prefix(c, e, e, NULL)) != 0 || e->type != RULE_IPV6)
		return r;
	for (i = 0; i < NELEM(embeddings); i++) {
		if (!bits_overlap(e->addr, e->plen, embeddings[i].addr, embeddings[i].plen))
			continue;
		embedded_v4(e, &embeddings[i], &v4);
		if ((r = check_prefix(c, e, &v4, embeddings[i].what)) != 0)
			return r;
	}
	return 0;
}

static int
check_name(struct sgctx *c, const struct rule_entry *e)
{
	const struct rule_entry *allow = c->in->allow, *s;
	const struct psl *psl = c->in->psl;
	const char *name = e->name, *covered, *sfile;
	size_t n = e->namelen;
	uint32_t ai = 0;
	unsigned flags, hit;
	struct strset_name sn;
	char v[RULES_URL_MAX + 1];

	if (e->type == RULE_URL)
		n = (size_t)((const char *)memchr(name, '/', n) - name);
	strset_name(&sn, name, n); /* every set below is asked about name and its parents */
	if (psl && psl_is_suffix_name(psl, &sn))
		return REFUSE(
		    c, e, SAFEGUARD_PUBLIC_SUFFIX, "%.*s is a public suffix", (int)n, name);
	if (psl && e->type == RULE_SUFFIX && (covered = psl_covered_name(psl, &sn)))
		return REFUSE(
		    c, e, SAFEGUARD_COVERS_SUFFIX, "covers the public suffix %s", covered);
	/* A URL entry names one path on a host, however shared the host is. */
	if (e->type != RULE_URL && !c->l->orders[e->order].allow_shared &&
	    ((strset_get_suffix(c->shared_above, &sn, 0, &ai) & A_BELOW) ||
		(any_ancestor(c->shared_suffix, &sn, A_SUFFIX, &hit) &&
		    strset_get_suffix(c->shared_suffix, &sn, hit, &ai)))) {
		s = shared_entry(c->in, ai, &sfile);
		return REFUSE(c, e, SAFEGUARD_SHARED,
		    "%s the shared infrastructure name %s (%s:%u), which carries unrelated "
		    "services; only an order saying 'shared yes' may block it",
		    s->namelen == n && memcmp(s->name, name, n) == 0 ? "is"
			: s->namelen < n                             ? "is below"
								     : "is above",
		    s->name, sfile, s->line);
	}
	if (strset_count(c->allow_names) == 0)
		return 0;
	if (any_ancestor(c->allow_names, &sn, A_SUFFIX, &hit))
		return REFUSE(c, e, SAFEGUARD_ALLOWLIST,
		    "overlaps the local allowlist entry suffix %.*s", (int)(n - sn.off[hit]),
		    name + sn.off[hit]);
	flags = strset_get_suffix(c->allow_names, &sn, 0, &ai);
	if (e->type != RULE_SUFFIX && (flags & A_DOMAIN))
		return REFUSE(c, e, SAFEGUARD_ALLOWLIST,
		    "overlaps the local allowlist entry domain %.*s", (int)n, name);
	if (e->type == RULE_SUFFIX && (flags & A_BELOW))
		return REFUSE(c, e, SAFEGUARD_ALLOWLIST,
		    "covers the local allowlist entry %s %s (allowlist line %u)",
		    rule_entry_keyword(&allow[ai]), rule_entry_value(&allow[ai], v, sizeof v),
		    allow[ai].line);
	return 0;
}

int
safeguard_check(const struct rulelist *l, const char *fname, const struct safeguard_input *in,
    struct safeguard_report *rep)
{
	struct sgctx c = {l, fname, in, allow_names(in->allow, in->nallow), NULL, NULL, rep, 0};
	const struct rule_entry *e;
	size_t i;
	int r = 0;

	if (shared_names(in, &c.shared_above, &c.shared_suffix) != 0 || c.allow_names == NULL) {
		strset_free(c.allow_names);
		strset_free(c.shared_above);
		strset_free(c.shared_suffix);
		return -1;
	}
	for (i = 0; i < l->nentries; i++) {
		e = &l->entries[i];
		r = e->type == RULE_IPV4 || e->type == RULE_IPV6 ? check_address(&c, e)
								 : check_name(&c, e);
		if (r < 0)
			break;
		if (r == 1) {
			rep->items[rep->n].reason = c.reason;
			rep->n++;
		}
	}
	strset_free(c.allow_names);
	strset_free(c.shared_above);
	strset_free(c.shared_suffix);
	return r < 0 ? -1 : 0;
}

void
safeguard_drop(struct rulelist *l, const struct safeguard_report *rep)
{
	size_t i, k = 0, keep = 0;

	if (rep->n == 0 || rep->items == NULL)
		return; /* nothing written: readers of l meanwhile see it unchanged */
	for (i = 0; i < l->nentries; i++) {
		if (k < rep->n && rep->items[k].entry == i) {
			k++;
			continue;
		}
		l->entries[keep++] = l->entries[i];
	}
	l->nentries = keep;
}

int
safeguard_apply(struct rulelist *l, const char *fname, const struct safeguard_input *in,
    struct safeguard_report *rep)
{
	/* On failure the unchecked rest is kept, so the list stays whole. */
	size_t n0 = rep->n;
	int r = safeguard_check(l, fname, in, rep);
	struct safeguard_report now = {rep->items ? rep->items + n0 : NULL, rep->n - n0};

	safeguard_drop(l, &now);
	return r;
}
