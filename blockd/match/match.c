/* The match snapshot: built once from a list and the allowlist, then looked up lock-free. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "match_int.h"

typedef unsigned __int128 u128;

static void errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Deep copy of the allowlist, names lowercased, in one block. */
static int
copy_allow(struct match_snapshot *s, const struct rule_entry *allow, size_t nallow, char *err,
    size_t errlen)
{
	size_t i, bytes = nallow * sizeof(*allow);
	char *p;

	if (nallow == 0)
		return 0;
	for (i = 0; i < nallow; i++)
		if (rule_type_bits(allow[i].type) == 0 && allow[i].name)
			bytes += allow[i].namelen + 1;
	s->allow = malloc(bytes);
	if (s->allow == NULL) {
		errf(err, errlen, "allowlist: out of memory");
		return -1;
	}
	s->nallow = nallow;
	p = (char *)(s->allow + nallow);
	for (i = 0; i < nallow; i++) {
		struct rule_entry *e = &s->allow[i];
		char buf[NAME_BUF];
		int n;

		*e = allow[i];
		e->order = 0;
		switch (e->type) {
		case RULE_DOMAIN:
		case RULE_SUFFIX:
			n = e->name ? match_name_normalize(e->name, e->namelen, buf) : -1;
			if (n < 0) {
				errf(err, errlen,
				    "allowlist entry %zu (line %u): not a valid domain name", i + 1,
				    e->line);
				return -1;
			}
			memcpy(p, buf, (size_t)n + 1);
			e->name = p;
			e->namelen = (uint32_t)n;
			p += n + 1;
			break;
		case RULE_IPV4:
		case RULE_IPV6:
			if (e->plen > (e->type == RULE_IPV4 ? 32 : 128)) {
				errf(err, errlen,
				    "allowlist entry %zu (line %u): prefix length %u too long",
				    i + 1, e->line, e->plen);
				return -1;
			}
			break;
		default:
			errf(err, errlen,
			    "allowlist entry %zu (line %u): only domain, suffix and address "
			    "entries "
			    "are allowed",
			    i + 1, e->line);
			return -1;
		}
	}
	return 0;
}

/* A list entry's name must already be in the form lookups produce. */
static int
name_is_canonical(const char *name, size_t len)
{
	char buf[NAME_BUF];

	return name != NULL && match_name_normalize(name, len, buf) == (int)len &&
	    memcmp(buf, name, len) == 0;
}

static void
pfx_range(const struct rule_entry *e, struct pfx_item *it)
{
	unsigned bits = e->type == RULE_IPV4 ? 32 : 128;
	u128 v = 0, host;
	unsigned i;

	for (i = 0; i < bits / 8; i++)
		v = v << 8 | e->addr[i];
	if (e->plen >= bits)
		host = 0;
	else if (e->plen == 0 && bits == 128)
		host = ~(u128)0; /* a shift by 128 is undefined */
	else
		host = ((u128)1 << (bits - e->plen)) - 1;
	/* Host bits below the prefix length are ignored, not rejected. */
	it->lo = v & ~host;
	it->hi = it->lo | host;
}

/* A URL entry while sorting: its length and index. */
struct url_key {
	uint32_t len, ref;
};

static int
url_cmp(const void *a, const void *b)
{
	const struct url_key *x = a, *y = b;

	/* Same host: the longer entry (the longer path) first, then list order. */
	if (x->len != y->len)
		return x->len > y->len ? -1 : 1;
	return x->ref < y->ref ? -1 : x->ref > y->ref;
}

/*
 * The keys go to the table as entry indexes (4 bytes each), not copies; a
 * list in canonical order (domains, then suffixes, from its first entry) not
 * even those: only the allowlist's are listed.
 */
static int
build_names(struct match_snapshot *s, char *err, size_t errlen)
{
	const struct rulelist *l = s->list;
	struct name_src src = {l->entries, s->allow, NULL, 0, 0, 0};
	size_t nd = s->counts[RULE_DOMAIN], ns = s->counts[RULE_SUFFIX];
	struct url_key *uk;
	uint32_t *refs;
	size_t i, n = 0, pass;

	for (i = 0; i < nd + ns && l->entries[i].type == (i < nd ? RULE_DOMAIN : RULE_SUFFIX); i++)
		;
	if (i == nd + ns) {
		src.nlist = nd + ns;
		src.sfx = nd;
	}
	refs = malloc(((src.nlist ? 0 : nd + ns) + s->nallow + 1) * sizeof(*refs));
	if (refs == NULL) {
		errf(err, errlen, "match: out of memory for %zu entries", l->nentries);
		return -1;
	}
	src.refs = refs;
	/* Exact entries first, then suffixes, then the allowlist: the first active member wins. */
	for (pass = RULE_DOMAIN; pass <= RULE_SUFFIX && src.nlist == 0; pass++) {
		for (i = 0; i < l->nentries; i++) {
			if (l->entries[i].type == pass)
				refs[n++] = (uint32_t)i | (pass == RULE_SUFFIX ? MREF_SUFFIX : 0);
		}
	}
	for (i = 0; i < s->nallow; i++) {
		const struct rule_entry *e = &s->allow[i];

		if (e->type != RULE_DOMAIN && e->type != RULE_SUFFIX)
			continue;
		refs[n++] = (uint32_t)i | MREF_ALLOW | (e->type == RULE_SUFFIX ? MREF_SUFFIX : 0);
		s->names_allow = 1;
	}
	if (name_table_build(&s->names, &src, src.nlist + n) < 0) {
		free(refs);
		errf(err, errlen, "match: out of memory for %zu names", src.nlist + n);
		return -1;
	}
	free(refs);

	n = s->counts[RULE_URL];
	refs = malloc((n + 1) * sizeof(*refs));
	uk = malloc((n + 1) * sizeof(*uk));
	if (refs == NULL || uk == NULL) {
		free(refs);
		free(uk);
		errf(err, errlen, "match: out of memory for %zu URL entries", n);
		return -1;
	}
	for (i = 0, n = 0; i < l->nentries; i++) {
		if (l->entries[i].type == RULE_URL)
			uk[n++] = (struct url_key){l->entries[i].namelen, (uint32_t)i};
	}
	qsort(uk, n, sizeof(*uk), url_cmp);
	for (i = 0; i < n; i++)
		refs[i] = uk[i].ref;
	free(uk);
	src.refs = refs;
	src.nlist = src.sfx = 0;
	src.hosts = 1;
	if (name_table_build(&s->urls, &src, n) < 0) {
		free(refs);
		errf(err, errlen, "match: out of memory for %zu URL entries", n);
		return -1;
	}
	free(refs);
	return 0;
}

static int
build_prefixes(struct match_snapshot *s, int family, char *err, size_t errlen)
{
	const struct rulelist *l = s->list;
	uint8_t type = family == 4 ? RULE_IPV4 : RULE_IPV6;
	struct pfx_table *t = family == 4 ? &s->v4 : &s->v6;
	struct pfx_item *it;
	size_t i, n = 0;
	int rc;

	it = malloc((s->counts[type] + s->nallow + 1) * sizeof(*it));
	if (it == NULL) {
		errf(err, errlen, "match: out of memory for %zu entries", l->nentries);
		return -1;
	}
	for (i = 0; i < l->nentries && s->counts[type] > 0; i++) {
		if (l->entries[i].type != type)
			continue;
		pfx_range(&l->entries[i], &it[n]);
		it[n].ref = (uint32_t)i;
		it[n].order = l->entries[i].order;
		n++;
	}
	for (i = 0; i < s->nallow; i++) {
		if (s->allow[i].type != type)
			continue;
		pfx_range(&s->allow[i], &it[n]);
		it[n].ref = (uint32_t)i | MREF_ALLOW;
		it[n].order = 0;
		if (family == 4)
			s->v4_allow = 1;
		else
			s->v6_allow = 1;
		n++;
	}
	rc = pfx_table_build(t, family, it, n);
	free(it);
	if (rc < 0)
		errf(err, errlen, "match: out of memory for %zu IPv%d prefixes", n, family);
	return rc;
}

/* Every entry is checked before anything is built: a bad one names its line. */
static int
check_entries(const struct rulelist *l, size_t *counts, char *err, size_t errlen)
{
	size_t i;

	if (l->nentries > MATCH_MAX_REFS) {
		errf(err, errlen, "match: %zu entries is more than the %u supported", l->nentries,
		    MATCH_MAX_REFS);
		return -1;
	}
	for (i = 0; i < l->nentries; i++) {
		const struct rule_entry *e = &l->entries[i];
		const char *slash;

		if (e->order >= l->norders) {
			errf(err, errlen, "line %u: entry names order %u of %zu", e->line, e->order,
			    l->norders);
			return -1;
		}
		switch (e->type) {
		case RULE_DOMAIN:
		case RULE_SUFFIX:
			if (!name_is_canonical(e->name, e->namelen)) {
				errf(err, errlen,
				    "line %u: entry is not a lowercase domain name without a "
				    "trailing dot",
				    e->line);
				return -1;
			}
			break;
		case RULE_URL:
			slash = e->name ? memchr(e->name, '/', e->namelen) : NULL;
			if (slash == NULL ||
			    !name_is_canonical(e->name, (size_t)(slash - e->name))) {
				errf(err, errlen,
				    "line %u: URL entry is not a lowercase host followed by a path",
				    e->line);
				return -1;
			}
			break;
		case RULE_IPV4:
		case RULE_IPV6:
			if (e->plen > (e->type == RULE_IPV4 ? 32 : 128)) {
				errf(err, errlen, "line %u: prefix length %u is too long", e->line,
				    e->plen);
				return -1;
			}
			break;
		default:
			errf(err, errlen, "line %u: unknown entry type %u", e->line, e->type);
			return -1;
		}
		counts[e->type]++;
	}
	return 0;
}

static void
snapshot_free(struct match_snapshot *s)
{
	name_table_free(&s->names);
	name_table_free(&s->urls);
	pfx_table_free(&s->v4);
	pfx_table_free(&s->v6);
	free(s->allow);
	free(s->win);
	free(s);
}

int
match_build(struct rulelist *list, const struct rule_entry *allow, size_t nallow,
    struct match_snapshot **out, char *err, size_t errlen)
{
	struct match_snapshot *s;

	*out = NULL;
	if (list == NULL) {
		errf(err, errlen, "match: no list");
		return -1;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		errf(err, errlen, "match: out of memory");
		return -1;
	}
	s->list = list;
	if (nallow > MATCH_MAX_REFS) {
		errf(err, errlen, "allowlist: %zu entries is too many", nallow);
		goto fail;
	}
	s->win = malloc((list->norders ? list->norders : 1) * sizeof(*s->win));
	if (s->win == NULL) {
		errf(err, errlen, "match: out of memory");
		goto fail;
	}
	for (size_t i = 0; i < list->norders; i++) {
		s->win[i].not_before = list->orders[i].not_before;
		s->win[i].not_after = list->orders[i].not_after;
	}
	if (check_entries(list, s->counts, err, errlen) < 0 ||
	    copy_allow(s, allow, nallow, err, errlen) < 0 || build_names(s, err, errlen) < 0 ||
	    build_prefixes(s, 4, err, errlen) < 0 || build_prefixes(s, 6, err, errlen) < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	snapshot_free(s); /* the list stays the caller's */
	return -1;
}

void
match_free(struct match_snapshot *s)
{
	if (s == NULL)
		return;
	rulelist_free(s->list);
	snapshot_free(s);
}

struct rulelist *
match_disown(struct match_snapshot *s)
{
	struct rulelist *l = s ? s->list : NULL;

	if (s != NULL)
		snapshot_free(s);
	return l;
}

const struct rulelist *
match_list(const struct match_snapshot *s)
{
	return s->list;
}

const struct rule_entry *
match_allowlist(const struct match_snapshot *s, size_t *n)
{
	*n = s->nallow;
	return s->allow;
}

void
match_counts(const struct match_snapshot *s, size_t counts[RULE_NTYPES])
{
	memcpy(counts, s->counts, sizeof(s->counts));
}

static inline int
order_active(const struct match_snapshot *s, uint32_t order, int64_t now)
{
	/* Same test as rule_order_active(), on the snapshot's compact copy. */
	return now >= s->win[order].not_before && now < s->win[order].not_after;
}

static inline void
set_hit(struct match_hit *hit, const struct mmember *m, uint8_t type)
{
	if (hit == NULL)
		return;
	hit->entry = m->ref & MREF_INDEX;
	hit->order = m->order;
	hit->type = type;
}

/*
 * The suffixes of a normalized name, most specific first; only those the
 * Bloom filter cannot rule out are probed. With allow_only, only reports
 * whether the allowlist covers the name. Inline in the lookups of every
 * name (match_domain(), match_domain_labels()); URLs call it through
 * domain_scan_url().
 */
static inline __attribute__((always_inline)) int
domain_scan(const struct match_snapshot *s, const char *buf, int n, const uint8_t *lab, int nlab,
    int64_t now, struct match_hit *hit, int allow_only)
{
	uint64_t hs[RULES_NAME_MAX / 2 + 1], ch[RULES_NAME_MAX / 2 + 1];
	uint8_t at[RULES_NAME_MAX / 2 + 1], ca[RULES_NAME_MAX / 2 + 1];
	int j, nl = 0, nc = 0, found = 0, allowed = 0;

	if (s->names.bloom == NULL)
		return MATCH_NONE;
	/*
	 * Hash the suffixes in one pass from the right (match_int.h), and
	 * start loading each one's filter word; they are then tried most
	 * specific first. Suffixes with more labels than any listed name, or
	 * fewer, cannot match: their words are mixed, but they are not probed.
	 */
	int first = nlab > s->names.max_labels ? nlab - s->names.max_labels : 0;
	uint64_t h = NAME_HASH_SEED, w;
	const char *end = buf + n, *q = end; /* the words from q to the end are mixed into h */

	for (j = nlab - s->names.min_labels; j >= first; j--, nl++) { /* hs[0] is the shortest */
		const char *sfx = buf + lab[j];

		for (; q - sfx >= 8; q -= 8) {
			__builtin_memcpy(&w, q - 8, 8);
			h = name_mix(h, w);
		}
		hs[nl] = name_hash_end(h, sfx, (size_t)(q - sfx), (size_t)(end - sfx));
		__builtin_prefetch(name_bloom_word(&s->names, hs[nl]));
		at[nl] = lab[j];
	}
	for (j = nl - 1; j >= 0; j--) {
		if (!name_table_maybe(&s->names, hs[j]))
			continue;
		/* Only now the bucket: memory bandwidth goes to suffixes that may be listed. */
		__builtin_prefetch(name_home(&s->names, hs[j]));
		__builtin_prefetch(name_home(&s->names, hs[j]) + 64);
		ch[nc] = hs[j];
		ca[nc++] = at[j];
	}
	for (j = 0; j < nc; j++) {
		struct name_rec r;
		uint32_t k;

		if (!name_table_find(&s->names, ch[j], buf + ca[j], (size_t)(n - ca[j]), &r))
			continue;
		for (k = 0; k < r.nmemb; k++) {
			struct mmember m = name_rec_member(&r, k);

			if (ca[j] != 0 && !(m.ref & MREF_SUFFIX))
				continue; /* an exact entry covers only its own name */
			if (m.ref & MREF_ALLOW)
				allowed = 1;
			else if (!found && !allow_only && order_active(s, m.order, now)) {
				set_hit(hit, &m, m.ref & MREF_SUFFIX ? RULE_SUFFIX : RULE_DOMAIN);
				found = 1;
			}
		}
		if (allow_only ? allowed : found && (allowed || !s->names_allow))
			break;
	}
	if (allow_only)
		return allowed;
	if (!found)
		return MATCH_NONE;
	return allowed ? MATCH_ALLOW : MATCH_BLOCK;
}

static __attribute__((noinline)) int
domain_scan_url(const struct match_snapshot *s, const char *buf, int n, const uint8_t *lab,
    int nlab, int64_t now, struct match_hit *hit, int allow_only)
{
	return domain_scan(s, buf, n, lab, nlab, now, hit, allow_only);
}

int
match_domain(const struct match_snapshot *s, const char *name, size_t len, int64_t now,
    struct match_hit *hit)
{
	char buf[NAME_BUF];
	uint8_t lab[RULES_NAME_MAX + 2];
	int n, nlab;

	if (s == NULL || name == NULL)
		return MATCH_NONE;
	n = match_name_split(name, len, buf, lab, &nlab);
	if (n < 0)
		return MATCH_NONE;
	return domain_scan(s, buf, n, lab, nlab, now, hit, 0);
}

_Static_assert(MATCH_NAME_SLACK >= NAME_BUF_PAD, "a caller's slack covers the words read");

int
match_domain_labels(const struct match_snapshot *s, const char *name, size_t len,
    const uint8_t *lab, int nlab, int64_t now, struct match_hit *hit)
{
	if (s == NULL || name == NULL || len == 0 || len > RULES_NAME_MAX || nlab < 1 ||
	    nlab > RULES_NAME_MAX / 2 + 1)
		return MATCH_NONE;
	return domain_scan(s, name, (int)len, lab, nlab, now, hit, 0);
}

/*
 * A request path in the form list entries are written in (RFC 3986 6.2.2):
 * percent-encoded unreserved characters decoded, other percent-encodings in
 * uppercase hex, so "/vid%65os" cannot slip past "/videos". Writes at most
 * cap bytes: enough for any entry's path, which is all a prefix compares.
 */
static size_t
url_path_normalize(const char *p, size_t n, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i = 0, o = 0;

	while (i < n && o < cap) {
		int hi, lo, v;

		if (p[i] != '%' || i + 2 >= n || (hi = hexval(p[i + 1])) < 0 ||
		    (lo = hexval(p[i + 2])) < 0) {
			out[o++] = p[i++];
			continue;
		}
		v = hi * 16 + lo;
		if ((v >= 'a' && v <= 'z') || (v >= 'A' && v <= 'Z') || (v >= '0' && v <= '9') ||
		    v == '-' || v == '.' || v == '_' || v == '~')
			out[o++] = (char)v;
		else {
			if (o + 3 > cap)
				break;
			out[o++] = '%';
			out[o++] = hex[hi];
			out[o++] = hex[lo];
		}
		i += 3;
	}
	return o;
}

int
match_url(const struct match_snapshot *s, const char *host, size_t hostlen, const char *path,
    size_t pathlen, int64_t now, struct match_hit *hit)
{
	char buf[NAME_BUF];
	uint8_t lab[RULES_NAME_MAX + 2];
	int n, nlab;

	if (s == NULL || host == NULL)
		return MATCH_NONE;
	n = match_name_split(host, hostlen, buf, lab, &nlab);
	if (n < 0)
		return MATCH_NONE;
	if (s->urls.bloom != NULL && path != NULL) {
		struct name_rec r;

		if (name_table_find(&s->urls, name_hash(buf, (size_t)n), buf, (size_t)n, &r)) {
			uint32_t k;

			char np[RULES_URL_MAX];
			size_t nplen = url_path_normalize(path, pathlen, np, sizeof(np));

			/* Members run from the longest path down: the first active match wins. */
			for (k = 0; k < r.nmemb; k++) {
				struct mmember m = name_rec_member(&r, k);
				const struct rule_entry *e = &s->list->entries[m.ref & MREF_INDEX];
				size_t plen = e->namelen - (size_t)n;

				if (plen <= nplen && memcmp(e->name + n, np, plen) == 0 &&
				    order_active(s, m.order, now)) {
					set_hit(hit, &m, RULE_URL);
					if (s->names_allow &&
					    domain_scan_url(s, buf, n, lab, nlab, now, NULL, 1))
						return MATCH_ALLOW;
					return MATCH_BLOCK;
				}
			}
		}
	}
	return domain_scan_url(s, buf, n, lab, nlab, now, hit, 0);
}

static int
prefix_walk(const struct match_snapshot *s, const struct pfx_table *t, uint32_t node, int has_allow,
    int64_t now, struct match_hit *hit)
{
	int found = 0, allowed = 0;

	/* From the most specific prefix out to its enclosing ones. */
	while (node != 0) {
		const struct pfx_node *nd = &t->nodes[node];
		const struct mmember *m = &t->members[nd->first];
		uint32_t k;

		for (k = 0; k < nd->n; k++) {
			if (m[k].ref & MREF_ALLOW)
				allowed = 1;
			else if (!found && order_active(s, m[k].order, now)) {
				set_hit(hit, &m[k], t->family == 4 ? RULE_IPV4 : RULE_IPV6);
				found = 1;
			}
		}
		if (found && (allowed || !has_allow))
			break;
		node = nd->parent;
	}
	if (!found)
		return MATCH_NONE;
	return allowed ? MATCH_ALLOW : MATCH_BLOCK;
}

/* The common case in the interval itself: one entry on the prefix, in force, no allowlist. */
static inline int
prefix_lookup(const struct match_snapshot *s, const struct pfx_table *t, const struct pfx_leaf *lf,
    int has_allow, int64_t now, struct match_hit *hit)
{
	if (lf == NULL || lf->node == 0)
		return MATCH_NONE;
	if (!has_allow && !(lf->ref & (PFX_MORE | MREF_ALLOW)) && order_active(s, lf->order, now)) {
		struct mmember m = {lf->ref, lf->order};

		set_hit(hit, &m, t->family == 4 ? RULE_IPV4 : RULE_IPV6);
		return MATCH_BLOCK;
	}
	return prefix_walk(s, t, lf->node, has_allow, now, hit);
}

int
match_addr(const struct match_snapshot *s, int family, const uint8_t *addr, int64_t now,
    struct match_hit *hit)
{
	if (s == NULL || addr == NULL)
		return MATCH_NONE;
	if (family == 4) {
		uint32_t a = (uint32_t)addr[0] << 24 | (uint32_t)addr[1] << 16 |
		    (uint32_t)addr[2] << 8 | addr[3];

		return prefix_lookup(s, &s->v4, pfx_table_find4(&s->v4, a), s->v4_allow, now, hit);
	}
	if (family == 6) {
		u128 a = 0;
		int i;

		for (i = 0; i < 16; i++)
			a = a << 8 | addr[i];
		return prefix_lookup(s, &s->v6, pfx_table_find6(&s->v6, a), s->v6_allow, now, hit);
	}
	return MATCH_NONE;
}
