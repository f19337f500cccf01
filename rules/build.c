/* The list builder: order input files, checked and sorted into the one normal form. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "divertset.h"
#include "rulefmt.h"

struct border {
	struct rule_order o;
	char *file;
	char *strs[6]; /* ref, authority, service, notice, notice-url, divert */
};

struct builder {
	struct border *orders;
	size_t norders, caporders;
	struct rule_entry *entries;
	char **files; /* per entry: the input file */
	size_t nentries, capentries;
};

struct builder *
builder_create(void)
{
	return calloc(1, sizeof(struct builder));
}

void
builder_free(struct builder *b)
{
	size_t i, j;

	if (b == NULL)
		return;
	for (i = 0; i < b->norders; i++) {
		free(b->orders[i].file);
		for (j = 0; j < 6; j++)
			free(b->orders[i].strs[j]);
	}
	for (i = 0; i < b->nentries; i++)
		if (rule_type_bits(b->entries[i].type) == 0)
			free((char *)b->entries[i].name);
	free(b->orders);
	free(b->entries);
	free(b->files);
	free(b);
}

/*
 * An order file's keys: those before "wide" are required; "wide" and "shared" default to no,
 * "divert" to none.
 */
static const char *const okeys[] = {"order", "authority", "date", "service", "not-before",
    "not-after", "notice", "notice-url", "wide", "shared", "divert"};
#define OKEYS_REQUIRED 8
#define OKEYS_N        11

static int
add_entry(struct builder *b, const struct rule_entry *e, const char *v, size_t vn, char *file)
{
	struct rule_entry *ne;
	char **nf;

	if (b->nentries == b->capentries) {
		b->capentries = b->capentries ? b->capentries * 2 : 256;
		ne = realloc(b->entries, b->capentries * sizeof *ne);
		if (ne == NULL)
			return -1;
		b->entries = ne;
		nf = realloc(b->files, b->capentries * sizeof *nf);
		if (nf == NULL)
			return -1;
		b->files = nf;
	}
	b->entries[b->nentries] = *e;
	if (rule_type_bits(e->type) == 0) { /* the value is a name */
		b->entries[b->nentries].name = strndup(v, vn);
		b->entries[b->nentries].namelen = (uint32_t)vn;
		if (b->entries[b->nentries].name == NULL)
			return -1;
	}
	b->files[b->nentries] = file;
	b->nentries++;
	return 0;
}

int
builder_add_order(
    struct builder *b, const char *buf, size_t len, const char *fname, char *err, size_t errlen)
{
	const char *s = buf, *end = buf + len, *nl, *v, *k;
	size_t n, kn, vn, i, first = b->nentries;
	unsigned line = 0, seen = 0, idx;
	char why[RULES_ERR_MAX];
	struct border *bo, *nb;
	struct rule_entry e;
	int key;

	if (b->norders == b->caporders) {
		b->caporders = b->caporders ? b->caporders * 2 : 16;
		nb = realloc(b->orders, b->caporders * sizeof *nb);
		if (nb == NULL) {
			snprintf(err, errlen, "%s: out of memory", fname);
			return -1;
		}
		b->orders = nb;
	}
	bo = &b->orders[b->norders];
	memset(bo, 0, sizeof *bo);
	bo->file = strdup(fname);
	if (bo->file == NULL) {
		snprintf(err, errlen, "%s: out of memory", fname);
		return -1;
	}
	b->norders++; /* owned from here on, even if the file is bad */
	while (s < end) {
		line++;
		nl = memchr(s, '\n', (size_t)(end - s));
		n = nl ? (size_t)(nl - s) : (size_t)(end - s);
		k = s;
		s = nl ? nl + 1 : end;
		for (i = 0; i < n; i++)
			if ((unsigned char)k[i] < 0x20 || (unsigned char)k[i] > 0x7e) {
				snprintf(err, errlen, "%s:%u: %s", fname, line,
				    k[i] == '\r' ? "carriage return (lines end with LF only)"
					: k[i] == '\t'
					? "tab (separate key and value by one space)"
					: "control or non-ASCII byte (texts are ASCII, "
					  "names A-labels)");
				return -1;
			}
		if (n == 0 || k[0] == '#')
			continue;
		v = memchr(k, ' ', n);
		if (v == NULL) {
			snprintf(err, errlen, "%s:%u: expected 'KEY VALUE'", fname, line);
			return -1;
		}
		kn = (size_t)(v - k);
		v++;
		vn = n - kn - 1;
		for (key = 0; key < OKEYS_N; key++)
			if (strlen(okeys[key]) == kn && memcmp(okeys[key], k, kn) == 0)
				break;
		if (key == OKEYS_N) {
			memset(&e, 0, sizeof e);
			if (rule_entry_parse_value(k, kn, v, vn, &e, why, sizeof why) != 0) {
				snprintf(err, errlen, "%s:%u: %.*s %.*s: %s", fname, line, (int)kn,
				    k, (int)vn, v, why);
				return -1;
			}
			e.line = line;
			e.order = (uint32_t)(b->norders - 1);
			if (add_entry(b, &e, v, vn, bo->file) != 0) {
				snprintf(err, errlen, "%s: out of memory", fname);
				return -1;
			}
			continue;
		}
		if (seen & (1u << key)) {
			snprintf(err, errlen, "%s:%u: '%s' given twice", fname, line, okeys[key]);
			return -1;
		}
		seen |= 1u << key;
		why[0] = '\0';
		switch (key) {
		case 0:
			if (rules_check_ref(v, vn, why, sizeof why) == 0)
				bo->o.ref = bo->strs[0] = strndup(v, vn);
			if (bo->o.line == 0)
				bo->o.line = line;
			break;
		case 1:
		case 3:
		case 6:
		case 7:
			idx = key == 1 ? 1 : key == 3 ? 2 : key == 6 ? 3 : 4;
			if ((key == 7 ? rules_check_notice_url(v, vn, why, sizeof why)
				      : rules_check_text(v, vn, why, sizeof why)) == 0)
				bo->strs[idx] = strndup(v, vn);
			break;
		case 2:
			if (rules_date_parse(v, vn, &bo->o.date) != 0)
				snprintf(why, sizeof why, "date must be a day like 2026-01-31");
			break;
		case 4:
		case 5:
			if (rules_time_parse(
				v, vn, key == 4 ? &bo->o.not_before : &bo->o.not_after))
				snprintf(why, sizeof why,
				    "%s must be a UTC time like 2026-01-31T12:00:00Z", okeys[key]);
			break;
		case 8:
		case 9:
			if (vn == 3 && memcmp(v, "yes", 3) == 0)
				*(key == 8 ? &bo->o.allow_wide : &bo->o.allow_shared) = 1;
			else if (!(vn == 2 && memcmp(v, "no", 2) == 0))
				snprintf(why, sizeof why, "%s must be 'yes' or 'no'", okeys[key]);
			break;
		case 10: {
			char norm[DIVERT_ORDER_MAX * 48];
			if (divertset_order_field(v, vn, norm, sizeof norm, why, sizeof why) == 0 &&
			    (bo->strs[5] = strdup(norm)) == NULL)
				snprintf(why, sizeof why, "out of memory");
			bo->o.divert = bo->strs[5];
			break;
		}
		}
		if (why[0]) {
			snprintf(err, errlen, "%s:%u: %s: %s", fname, line, okeys[key], why);
			return -1;
		}
	}
	for (key = 0; key < OKEYS_REQUIRED; key++) {
		if (!(seen & (1u << key))) {
			snprintf(err, errlen, "%s: missing '%s %s'", fname, okeys[key],
			    key == 0 ? "REFERENCE" : "VALUE");
			return -1;
		}
	}
	if (bo->o.not_after <= bo->o.not_before) {
		snprintf(err, errlen, "%s: not-after is not after not-before", fname);
		return -1;
	}
	if (b->nentries == first) {
		snprintf(err, errlen, "%s: order %s has no entries", fname, bo->o.ref);
		return -1;
	}
	bo->o.authority = bo->strs[1];
	bo->o.service = bo->strs[2];
	bo->o.notice = bo->strs[3];
	bo->o.notice_url = bo->strs[4];
	for (i = 0; i < 5; i++)
		if (bo->strs[i] == NULL) {
			snprintf(err, errlen, "%s: out of memory", fname);
			return -1;
		}
	return 0;
}

static int
cmp_order(const void *a, const void *b)
{
	return strcmp(((const struct rule_order *)a)->ref, ((const struct rule_order *)b)->ref);
}

static int
cmp_entry(const void *a, const void *b, void *orders)
{
	return rule_entry_cmp(a, b, orders);
}

char *
builder_finish(
    struct builder *b, const struct build_header *h, size_t *lenp, char *err, size_t errlen)
{
	struct rulelist l;
	struct rule_order *orders = NULL;
	struct rule_entry *entries = NULL;
	uint32_t *map = NULL;
	char why[RULES_ERR_MAX], v[RULES_URL_MAX + 1], *out = NULL;
	size_t i;

	if (b->norders == 0) {
		snprintf(err, errlen, "no order files given");
		return NULL;
	}
	if (rules_check_text(h->issuer, strlen(h->issuer), why, sizeof why) != 0 ||
	    rules_check_text(h->scope, strlen(h->scope), why, sizeof why) != 0) {
		snprintf(err, errlen, "issuer or scope: %s", why);
		return NULL;
	}
	if (h->serial == 0 || h->expires <= h->issued) {
		snprintf(err, errlen,
		    h->serial == 0 ? "serial must be at least 1" : "expires must be after issued");
		return NULL;
	}
	orders = malloc(b->norders * sizeof *orders);
	entries = malloc(b->nentries * sizeof *entries);
	map = malloc(b->norders * sizeof *map);
	if (orders == NULL || entries == NULL || map == NULL) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	/* Sort the orders, remembering where each went (line holds the input index). */
	for (i = 0; i < b->norders; i++) {
		orders[i] = b->orders[i].o;
		orders[i].line = (uint32_t)i;
	}
	qsort(orders, b->norders, sizeof *orders, cmp_order);
	for (i = 0; i < b->norders; i++) {
		map[orders[i].line] = (uint32_t)i;
		if (i > 0 && strcmp(orders[i - 1].ref, orders[i].ref) == 0) {
			snprintf(err, errlen, "order %s is in both %s and %s", orders[i].ref,
			    b->orders[orders[i - 1].line].file, b->orders[orders[i].line].file);
			goto done;
		}
	}
	for (i = 0; i < b->nentries; i++) {
		entries[i] = b->entries[i];
		entries[i].order = map[b->entries[i].order];
		entries[i].line = (uint32_t)i; /* index, for messages */
	}
	qsort_r(entries, b->nentries, sizeof *entries, cmp_entry, orders);
	for (i = 1; i < b->nentries; i++) {
		if (rule_entry_cmp(&entries[i - 1], &entries[i], orders) == 0) {
			snprintf(err, errlen, "%s:%u: duplicate entry %s %s (also %s:%u)",
			    b->files[entries[i].line], b->entries[entries[i].line].line,
			    rule_entry_keyword(&entries[i]),
			    rule_entry_value(&entries[i], v, sizeof v),
			    b->files[entries[i - 1].line], b->entries[entries[i - 1].line].line);
			goto done;
		}
	}
	memset(&l, 0, sizeof l);
	l.version = RULES_FORMAT_VERSION;
	l.issuer = h->issuer;
	l.scope = h->scope;
	l.serial = h->serial;
	l.issued = h->issued;
	l.expires = h->expires;
	l.previous = h->previous;
	l.orders = orders;
	l.norders = b->norders;
	l.entries = entries;
	l.nentries = b->nentries;
	out = rulelist_format(&l, lenp);
	if (out == NULL)
		snprintf(err, errlen, "out of memory");
done:
	free(orders);
	free(entries);
	free(map);
	return out;
}
