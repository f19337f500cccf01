/* The strict block list parser: raw bytes in, struct rulelist out, no I/O and no repairs. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "divertset.h"
#include "hugemem.h"
#include "rulefmt.h"

struct cursor {
	const char *p, *end;
	const char *fname;
	uint32_t line;
	char *err;
	size_t errlen;
	char *arena;
	size_t used;
};

static int __attribute__((format(printf, 2, 3))) bad(struct cursor *c, const char *fmt, ...)
{
	char msg[RULES_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(c->err, c->errlen, "%s:%u: %s", c->fname, c->line, msg);
	return -1;
}

/*
 * The next line without its LF; 0, 1 at end of input, -1 on a byte the
 * format forbids. One pass over the bytes finds the LF and checks them.
 */
static int
next_line(struct cursor *c, const char **s, size_t *n)
{
	const char *p = c->p, *start = c->p;
	unsigned char b;

	*s = c->p;
	*n = 0;
	if (p == c->end)
		return 1;
	c->line++;
	for (; p < c->end; p++) {
		b = (unsigned char)*p;
		if (b > 0x20 && b < 0x7f)
			continue;
		if (b == '\n')
			break;
		if (b == ' ') {
			if (p == start)
				return bad(
				    c, "leading space (order fields are indented by one tab)");
			if (p[-1] == ' ')
				return bad(
				    c, "two spaces in a row (fields are separated by one space)");
			if (p + 1 < c->end && p[1] == '\n')
				return bad(c, "trailing space");
			continue;
		}
		if (b == '\r')
			return bad(c, "carriage return (lines end with LF only)");
		if (b >= 0x80)
			return bad(c, "non-ASCII byte 0x%02x (names are A-labels, texts ASCII)", b);
		if (b != '\t')
			return bad(c, "control character 0x%02x", b);
		if (p != start)
			return bad(c, "tab inside a line (fields are separated by one space)");
	}
	if (p == c->end)
		return bad(c, "last line does not end with a newline");
	*n = (size_t)(p - start);
	c->p = p + 1;
	return 0;
}

/*
 * A string into the arena. Parsing in place (rulelist_parse_owned()), the arena
 * is the input itself: every string saved is shorter than the line it came from,
 * so the arena never reaches the line being read; the copy may overlap it.
 */
static const char *
save(struct cursor *c, const char *s, size_t n)
{
	char *d = c->arena + c->used;

	memmove(d, s, n);
	d[n] = '\0';
	c->used += n + 1;
	return d;
}

/* A count or serial: decimal, no sign, no leading zero. */
static int
parse_u64(const char *s, size_t n, uint64_t *v)
{
	size_t i;

	if (n == 0 || n > 20 || (n > 1 && s[0] == '0'))
		return -1;
	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (*v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		*v = *v * 10 + (uint64_t)(s[i] - '0');
	}
	return 0;
}

/* Splits "key value" at the first space; value may be empty if there is none. */
static void
split(const char *s, size_t n, const char **k, size_t *kn, const char **v, size_t *vn)
{
	const char *sp = memchr(s, ' ', n);

	*k = s;
	*kn = sp ? (size_t)(sp - s) : n;
	*v = sp ? sp + 1 : s + n;
	*vn = sp ? n - *kn - 1 : 0;
}

static int
keyis(const char *k, size_t kn, const char *want)
{
	return strlen(want) == kn && memcmp(k, want, kn) == 0;
}

enum { H_ISSUER, H_SCOPE, H_SERIAL, H_ISSUED, H_EXPIRES, H_PREVIOUS, H_ORDERS, H_ENTRIES, H_N };
static const char *const header_keys[H_N] = {
    "issuer", "scope", "serial", "issued", "expires", "previous", "orders", "entries"};

static int
parse_header(struct cursor *c, struct rulelist *l, uint64_t *norders, uint64_t *nentries)
{
	const char *s, *k, *v;
	size_t n, kn, vn;
	int want = H_ISSUER, i, r, found;
	char why[RULES_ERR_MAX];
	uint64_t u;

	r = next_line(c, &s, &n);
	if (r == 1)
		return bad(c, "empty file (a list starts with 'blocklist 1')");
	if (r < 0)
		return -1;
	if (n < 10 || memcmp(s, "blocklist ", 10) != 0)
		return bad(c, "first line must be 'blocklist 1'");
	if (n != 11 || s[10] != '1')
		return bad(c, "unsupported format version '%.*s' (this blockd reads 1)",
		    (int)n - 10, s + 10);
	l->version = RULES_FORMAT_VERSION;
	while (want < H_N) {
		r = next_line(c, &s, &n);
		if (r == 1)
			return bad(
			    c, "file ends inside the header (missing '%s')", header_keys[want]);
		if (r < 0)
			return -1;
		if (n == 0)
			return bad(c, "header ends before '%s'", header_keys[want]);
		split(s, n, &k, &kn, &v, &vn);
		for (i = 0, found = -1; i < H_N; i++)
			if (keyis(k, kn, header_keys[i]))
				found = i;
		if (found < 0)
			return bad(c, "unknown header key '%.*s'", (int)kn, k);
		if (found < want)
			return bad(c, "duplicate or misplaced header key '%s'", header_keys[found]);
		if (found > want && !(want == H_PREVIOUS && found == H_ORDERS))
			return bad(c, "header key '%s' out of order: expected '%s'",
			    header_keys[found], header_keys[want]);
		if (vn == 0)
			return bad(c, "header key '%s' without a value", header_keys[found]);
		switch (found) {
		case H_ISSUER:
		case H_SCOPE:
			if (rules_check_text(v, vn, why, sizeof why) != 0)
				return bad(c, "%s: %s", header_keys[found], why);
			*(found == H_ISSUER ? &l->issuer : &l->scope) = save(c, v, vn);
			break;
		case H_SERIAL:
			if (parse_u64(v, vn, &l->serial) != 0 || l->serial == 0)
				return bad(c,
				    "serial must be a decimal integer from 1 to "
				    "18446744073709551615 "
				    "without leading zeros");
			break;
		case H_ISSUED:
		case H_EXPIRES:
			if (rules_time_parse(v, vn, found == H_ISSUED ? &l->issued : &l->expires))
				return bad(c, "%s must be a UTC time like 2026-01-31T12:00:00Z",
				    header_keys[found]);
			if (found == H_EXPIRES && l->expires <= l->issued)
				return bad(c, "expires is not after issued");
			break;
		case H_PREVIOUS:
			if (vn != 128 || strspn(v, "0123456789abcdef") < 128)
				return bad(
				    c, "previous must be 128 lowercase hex digits (BLAKE2b-512)");
			l->previous = save(c, v, vn);
			break;
		case H_ORDERS:
		case H_ENTRIES:
			if (parse_u64(v, vn, &u) != 0)
				return bad(c, "%s must be a decimal count without leading zeros",
				    header_keys[found]);
			*(found == H_ORDERS ? norders : nentries) = u;
			break;
		}
		want = found + 1;
	}
	r = next_line(c, &s, &n);
	if (r == 1)
		return bad(c, "file ends after the header");
	if (r < 0)
		return -1;
	if (n != 0)
		return bad(c, "expected an empty line after the header");
	return 0;
}

enum {
	F_AUTHORITY,
	F_DATE,
	F_SERVICE,
	F_NOT_BEFORE,
	F_NOT_AFTER,
	F_NOTICE,
	F_NOTICE_URL,
	F_WIDE,
	F_N
};
static const char *const order_keys[F_N] = {
    "authority", "date", "service", "not-before", "not-after", "notice", "notice-url", "wide"};

static int
parse_order(
    struct cursor *c, const char *s, size_t n, struct rule_order *o, const struct rule_order *prev)
{
	const char *k, *v;
	size_t kn, vn;
	int f, i, found, r;
	char why[RULES_ERR_MAX];

	split(s, n, &k, &kn, &v, &vn);
	if (!keyis(k, kn, "order"))
		return bad(c, "expected 'order REFERENCE' (the header says more orders follow)");
	if (rules_check_ref(v, vn, why, sizeof why) != 0)
		return bad(c, "%s", why);
	o->ref = save(c, v, vn);
	o->line = c->line;
	if (prev && strcmp(prev->ref, o->ref) >= 0)
		return bad(c,
		    strcmp(prev->ref, o->ref) == 0 ? "duplicate order '%s'"
						   : "order '%s' out of canonical order (orders "
						     "are sorted by reference)",
		    o->ref);
	for (f = 0; f < F_N; f++) {
		r = next_line(c, &s, &n);
		if (r == 1)
			return bad(c, "file ends inside order '%s'", o->ref);
		if (r < 0)
			return -1;
		if (n == 0 || s[0] != '\t')
			return bad(c,
			    "order '%s': missing field '%s' (fields are indented by one tab)",
			    o->ref, order_keys[f]);
		split(s + 1, n - 1, &k, &kn, &v, &vn);
		for (i = 0, found = -1; i < F_N; i++)
			if (keyis(k, kn, order_keys[i]))
				found = i;
		if (found < 0)
			return bad(c, "unknown order field '%.*s'", (int)kn, k);
		if (found < f)
			return bad(c, "duplicate or misplaced order field '%s'", order_keys[found]);
		if (found > f)
			return bad(c, "order field '%s' out of order: expected '%s'",
			    order_keys[found], order_keys[f]);
		if (vn == 0)
			return bad(c, "order field '%s' without a value", order_keys[f]);
		switch (f) {
		case F_AUTHORITY:
		case F_SERVICE:
		case F_NOTICE:
		case F_NOTICE_URL:
			if ((f == F_NOTICE_URL ? rules_check_notice_url(v, vn, why, sizeof why)
					       : rules_check_text(v, vn, why, sizeof why)) != 0)
				return bad(c, "%s: %s", order_keys[f], why);
			*(f == F_AUTHORITY       ? &o->authority
				: f == F_SERVICE ? &o->service
				: f == F_NOTICE  ? &o->notice
						 : &o->notice_url) = save(c, v, vn);
			break;
		case F_DATE:
			if (rules_date_parse(v, vn, &o->date) != 0)
				return bad(c, "date must be a day like 2026-01-31");
			break;
		case F_NOT_BEFORE:
		case F_NOT_AFTER:
			if (rules_time_parse(
				v, vn, f == F_NOT_BEFORE ? &o->not_before : &o->not_after))
				return bad(c, "%s must be a UTC time like 2026-01-31T12:00:00Z",
				    order_keys[f]);
			if (f == F_NOT_AFTER && o->not_after <= o->not_before)
				return bad(c, "not-after is not after not-before");
			break;
		case F_WIDE:
			if (keyis(v, vn, "yes"))
				o->allow_wide = 1;
			else if (keyis(v, vn, "no"))
				o->allow_wide = 0;
			else
				return bad(c, "wide must be 'yes' or 'no'");
			break;
		}
	}
	r = next_line(c, &s, &n);
	/* Optional last field: "shared yes"; an order without it does not accept shared
	   infrastructure, and the normal form has one spelling for that: no field. */
	if (r == 0 && n > 0 && s[0] == '\t') {
		split(s + 1, n - 1, &k, &kn, &v, &vn);
		if (keyis(k, kn, "shared")) {
			if (!keyis(v, vn, "yes"))
				return bad(c, "shared must be 'yes' (leave the field out for no)");
			o->allow_shared = 1;
			r = next_line(c, &s, &n);
		}
	}
	/* Optional, last: "divert" and the prefixes the order has diverted, in normal form. */
	if (r == 0 && n > 0 && s[0] == '\t') {
		char norm[DIVERT_ORDER_MAX * 48];
		split(s + 1, n - 1, &k, &kn, &v, &vn);
		if (keyis(k, kn, "divert")) {
			if (divertset_order_field(v, vn, norm, sizeof norm, why, sizeof why) != 0)
				return bad(c, "divert: %s", why);
			if (strlen(norm) != vn || memcmp(norm, v, vn) != 0)
				return bad(c, "divert not in normal form: expected '%s'", norm);
			o->divert = save(c, v, vn);
			r = next_line(c, &s, &n);
		}
	}
	if (r == 1)
		return bad(c, "file ends after order '%s'", o->ref);
	if (r < 0)
		return -1;
	if (n != 0)
		return bad(c,
		    n > 0 && s[0] == '\t'
			? "unknown order field after 'wide' (only 'shared yes', then 'divert', may "
			  "follow)"
			: "expected an empty line after order '%s'",
		    o->ref);
	return 0;
}

static int
find_order(const struct rule_order *orders, size_t n, const char *ref, size_t len)
{
	size_t lo = 0, hi = n, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strncmp(orders[mid].ref, ref, len);
		if (c == 0 && orders[mid].ref[len] != '\0')
			c = 1;
		if (c == 0)
			return (int)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* Entry e against the one before it: canonical order, no duplicates. */
static int
check_pair(struct cursor *c, const struct rulelist *l, const struct rule_entry *e)
{
	char sbuf[RULES_URL_MAX + 1];
	int cmp;

	cmp = rule_entry_cmp(e - 1, e, l->orders);
	if (cmp == 0)
		return bad(c, "duplicate entry %s %s for order %s", rule_entry_keyword(e),
		    rule_entry_value(e, sbuf, sizeof sbuf), l->orders[e->order].ref);
	if (cmp > 0)
		return bad(c,
		    "entry out of canonical order: %s %s must come before line %u "
		    "(see blockd-rules(5))",
		    rule_entry_keyword(e), rule_entry_value(e, sbuf, sizeof sbuf), (e - 1)->line);
	return 0;
}

/*
 * Entry lines into l->entries from index *np on, up to the 'end' line, or up
 * to stop (a line start; NULL: none). An entry at index first is checked
 * against no earlier one (the caller checks it across a seam). Returns 0
 * after the 'end' line, 1 at stop, -1 with the message. Writes only
 * l->entries[*np..], *np and used[]: two runs over disjoint ranges may go at once.
 */
static int
parse_entries(struct cursor *c, const struct rulelist *l, uint64_t want, uint8_t *used,
    size_t first, size_t *np, const char *stop)
{
	const char *s, *k, *v, *ref, *sp;
	size_t n, kn, vn, rn;
	char why[RULES_ERR_MAX];
	struct rule_entry *e;
	uint64_t endn;
	int o, r;

	for (;;) {
		if (c->p == stop)
			return 1;
		r = next_line(c, &s, &n);
		if (r == 1)
			return bad(
			    c, "file ends without the 'end %llu' line", (unsigned long long)want);
		if (r < 0)
			return -1;
		if (n == 0)
			return bad(c, "empty line among the entries");
		if (n > 0 && s[0] == '\t')
			return bad(c, "indented line among the entries");
		split(s, n, &k, &kn, &v, &vn);
		if (keyis(k, kn, "end"))
			break;
		if (keyis(k, kn, "order"))
			return bad(c, "more orders than the header's 'orders %zu'", l->norders);
		if (*np >= want)
			return bad(c, "more entries than the header's 'entries %llu'",
			    (unsigned long long)want);
		sp = memchr(v, ' ', vn);
		if (sp == NULL)
			return bad(c, "expected 'KIND VALUE ORDER'");
		ref = sp + 1;
		rn = vn - (size_t)(ref - v);
		vn = (size_t)(sp - v);
		if (memchr(ref, ' ', rn) != NULL)
			return bad(c, "expected 'KIND VALUE ORDER' (too many fields)");
		e = &l->entries[*np];
		memset(e, 0, sizeof *e); /* the array is not zeroed ahead: each thread its own */
		if (rule_entry_parse_value(k, kn, v, vn, e, why, sizeof why) != 0)
			return bad(c, "%.*s %.*s: %s", (int)kn, k, (int)vn, v, why);
		o = find_order(l->orders, l->norders, ref, rn);
		if (o < 0)
			return bad(c, "entry names order '%.*s', which the list does not hold",
			    (int)rn, ref);
		e->order = (uint32_t)o;
		e->line = c->line;
		if (rule_type_bits(e->type) == 0) { /* the value is a name */
			e->name = save(c, v, vn);
			e->namelen = (uint32_t)vn;
		}
		if (*np > first && check_pair(c, l, e) != 0)
			return -1;
		used[o] = 1;
		(*np)++;
	}
	if (parse_u64(v, vn, &endn) != 0)
		return bad(c, "expected 'end N' with N the number of entries");
	if (endn != *np || *np != want)
		return bad(c,
		    "count mismatch: header says %llu entries, 'end' says %llu, file holds %zu",
		    (unsigned long long)want, (unsigned long long)endn, *np);
	if (c->p != c->end) {
		c->line++;
		return bad(c, "text after the 'end' line");
	}
	return 0;
}

/*
 * The second half of the entry lines, on a thread of its own. Its strings go
 * to the arena from its own offset on, where they never reach the line being
 * read; its entries follow the first half's: index and line numbers start
 * after the lines of the first half.
 */
struct half {
	struct cursor c;
	const struct rulelist *l;
	uint64_t want;
	uint8_t *used;
	size_t first, n;
	int rc;
};

/* The LFs in [p, end), eight bytes at a time (a byte is LF when x ^ LFs has it 0). */
static size_t
count_lf(const char *p, const char *end)
{
	const uint64_t ones = 0x0101010101010101ull, low7 = 0x7f7f7f7f7f7f7f7full;
	uint64_t x, t;
	size_t n = 0;

	for (; end - p >= 8; p += 8) {
		memcpy(&x, p, 8);
		x ^= ones * '\n';
		t = ((x & low7) + low7) | x; /* a byte's top bit: set unless the byte is 0 */
		n += (((~t >> 7) & ones) * ones) >> 56;
	}
	for (; p < end; p++)
		n += *p == '\n';
	return n;
}

static void *
second_half(void *arg)
{
	struct half *h = arg;

	h->rc = parse_entries(&h->c, h->l, h->want, h->used, h->first, &h->n, NULL);
	return NULL;
}

/*
 * The entry lines from c->p in two halves at once, split after the first LF
 * from split bytes in (0: the middle): the same list and the same message as
 * parse_entries() over them all. -2: no seam; nothing was read.
 */
static int
parse_entries_2(struct cursor *c, struct rulelist *l, uint64_t want, uint8_t *used, size_t split,
    const char *buf)
{
	struct half h;
	const char *seam, *from;
	size_t rest = (size_t)(c->end - c->p), i, off, n1 = 0;
	pthread_t tid;
	int r, started;
	char *s2;

	from = c->p + (split ? (split < rest ? split : rest) : rest / 2);
	seam = memchr(from, '\n', (size_t)(c->end - from));
	if (seam == NULL || seam + 1 >= c->end)
		return -2;
	seam++;
	off = (size_t)(seam - buf);
	memset(&h, 0, sizeof h);
	h.c = (struct cursor){seam, c->end, c->fname, c->line, malloc(c->errlen ? c->errlen : 1),
	    c->errlen, c->arena + off, 0};
	h.l = l;
	/* Counted before the first half starts: parsed in place, it overwrites its lines. */
	h.first = count_lf(c->p, seam);
	h.n = h.first;
	h.c.line += (uint32_t)h.first;
	h.want = want;
	h.used = calloc(l->norders ? l->norders : 1, 1);
	if (h.c.err == NULL || h.used == NULL) {
		free(h.c.err);
		free(h.used);
		snprintf(c->err, c->errlen, "%s: out of memory", c->fname);
		return -1;
	}
	started = pthread_create(&tid, NULL, second_half, &h) == 0;
	/* The first half counts apart from l, whose cache line the other thread reads all along. */
	r = parse_entries(c, l, want, used, 0, &n1, seam);
	if (started)
		pthread_join(tid, NULL);
	else
		second_half(&h);
	l->nentries = n1;
	/* The 'end' line before the seam leaves text after it: r is 1 or an error. */
	if (r != 1)
		goto out;
	r = -1;
	/* The seam: the second half's first entry against the first half's last. */
	if (h.n > h.first) {
		c->line = l->entries[h.first].line;
		if (check_pair(c, l, &l->entries[h.first]) != 0)
			goto out;
	}
	if (h.rc != 0) {
		snprintf(c->err, c->errlen, "%s", h.c.err);
		goto out;
	}
	/* Joined: the second half's strings follow the first's, as one pass leaves them. */
	s2 = c->arena + off;
	memmove(c->arena + c->used, s2, h.c.used);
	for (i = h.first; i < h.n; i++)
		if (rule_type_bits(l->entries[i].type) == 0)
			l->entries[i].name = c->arena + c->used + (l->entries[i].name - s2);
	c->used += h.c.used;
	for (i = 0; i < l->norders; i++)
		used[i] |= h.used[i];
	l->nentries = h.n;
	c->p = h.c.p;
	c->line = h.c.line;
	r = 0;
out:
	free(h.c.err);
	free(h.used);
	return r;
}

/* The parse proper, into arena (len + 1 bytes, or buf itself); the list frees arena. */
static int
parse(const char *buf, size_t len, char *arena, const char *fname, const uint8_t *digest,
    const struct rules_parse_tuning *t, struct rulelist **out, size_t *arena_used, char *err,
    size_t errlen)
{
	struct cursor c = {buf, buf + len, fname, 0, err, errlen, arena, 0};
	struct rulelist *l;
	uint64_t norders = 0, nentries = 0, i;
	uint8_t *used = NULL;
	const char *s;
	size_t n;
	int r;

	*out = NULL;
	l = calloc(1, sizeof *l);
	if (l == NULL || c.arena == NULL) {
		free(l);
		free(c.arena);
		snprintf(err, errlen, "%s: out of memory", fname);
		return -1;
	}
	l->arena = c.arena;
	if (parse_header(&c, l, &norders, &nentries) != 0)
		goto fail;
	/* Counts bound the allocations: every order and entry takes some bytes of input. */
	if ((norders == 0) != (nentries == 0)) {
		bad(&c,
		    "orders %llu with entries %llu: every order needs entries and every entry an "
		    "order",
		    (unsigned long long)norders, (unsigned long long)nentries);
		goto fail;
	}
	if (norders > len / 64 + 1 || nentries > len / 8 + 1) {
		bad(&c,
		    "header counts (orders %llu, entries %llu) cannot match a file of %zu bytes",
		    (unsigned long long)norders, (unsigned long long)nentries, len);
		goto fail;
	}
	l->orders = calloc(norders ? norders : 1, sizeof *l->orders);
	/* 32 MB for a million entries, each zeroed as it is parsed (nentries is bounded above) */
	l->entries = huge_alloc((size_t)(nentries ? nentries : 1) * sizeof *l->entries);
	used = calloc(norders ? norders : 1, 1);
	if (l->orders == NULL || l->entries == NULL || used == NULL) {
		snprintf(err, errlen, "%s: out of memory", fname);
		goto fail;
	}
	for (i = 0; i < norders; i++) {
		r = next_line(&c, &s, &n);
		if (r == 1) {
			bad(&c, "file ends before order %llu of %llu", (unsigned long long)i + 1,
			    (unsigned long long)norders);
			goto fail;
		}
		if (r < 0)
			goto fail;
		if (n >= 4 && memcmp(s, "end ", 4) == 0) {
			bad(&c, "fewer orders than the header's 'orders %llu'",
			    (unsigned long long)norders);
			goto fail;
		}
		if (parse_order(&c, s, n, &l->orders[i], i ? &l->orders[i - 1] : NULL) != 0)
			goto fail;
		l->norders++;
	}
	/* A large list's entry lines in two halves at once, a small one's in one pass. */
	r = -2;
	if ((size_t)(c.end - c.p) >= t->parallel_min)
		r = parse_entries_2(&c, l, nentries, used, t->split, buf);
	if (r == -2)
		r = parse_entries(&c, l, nentries, used, 0, &l->nentries, NULL);
	if (r != 0)
		goto fail;
	for (i = 0; i < norders; i++) {
		if (!used[i]) {
			c.line = l->orders[i].line;
			bad(&c, "order '%s' has no entries (remove it, or add its entries)",
			    l->orders[i].ref);
			goto fail;
		}
	}
	free(used);
	if (digest)
		memcpy(l->digest, digest, sizeof l->digest);
	else if (rules_blake2b512(buf, len, l->digest) != 0) {
		snprintf(err, errlen, "%s: BLAKE2b-512 failed", fname);
		rulelist_free(l);
		return -1;
	}
	*out = l;
	*arena_used = c.used;
	return 0;
fail:
	free(used);
	rulelist_free(l);
	return -1;
}

static const struct rules_parse_tuning tuning_default = {RULES_PARSE_PARALLEL_MIN, 0};

int
rulelist_parse_tuned(const char *buf, size_t len, const char *fname, const uint8_t *digest,
    const struct rules_parse_tuning *t, struct rulelist **out, char *err, size_t errlen)
{
	size_t used;

	return parse(buf, len, malloc(len + 1), fname, digest, t, out, &used, err, errlen);
}

int
rulelist_parse(const char *buf, size_t len, const char *fname, const uint8_t *digest,
    struct rulelist **out, char *err, size_t errlen)
{
	return rulelist_parse_tuned(buf, len, fname, digest, &tuning_default, out, err, errlen);
}

/* Moves every string pointer of l by the arena's move from old to now. */
static void
rebase(struct rulelist *l, uintptr_t old, char *now)
{
#define REBASE(p) ((p) = (p) ? now + ((uintptr_t)(p)-old) : NULL)
	size_t i;

	REBASE(l->issuer);
	REBASE(l->scope);
	REBASE(l->previous);
	for (i = 0; i < l->norders; i++) {
		REBASE(l->orders[i].ref);
		REBASE(l->orders[i].authority);
		REBASE(l->orders[i].service);
		REBASE(l->orders[i].notice);
		REBASE(l->orders[i].notice_url);
		REBASE(l->orders[i].divert);
	}
	for (i = 0; i < l->nentries; i++)
		if (rule_type_bits(l->entries[i].type) == 0)
			REBASE(l->entries[i].name);
#undef REBASE
}

int
rulelist_parse_owned_tuned(char *buf, size_t len, const char *fname, const uint8_t *digest,
    const struct rules_parse_tuning *t, struct rulelist **out, char *err, size_t errlen)
{
	uintptr_t old = (uintptr_t)buf;
	size_t used;
	char *arena;

	if (digest == NULL) {
		free(buf);
		*out = NULL;
		snprintf(err, errlen, "%s: parsed in place without its digest", fname);
		return -1;
	}
	if (parse(buf, len, buf, fname, digest, t, out, &used, err, errlen) != 0)
		return -1;
	/* What is left of the text past the strings goes back to the system. */
	arena = realloc(buf, used ? used : 1);
	if (arena != NULL && (uintptr_t)arena != old) {
		(*out)->arena = arena;
		rebase(*out, old, arena);
	}
	return 0;
}

int
rulelist_parse_owned(char *buf, size_t len, const char *fname, const uint8_t *digest,
    struct rulelist **out, char *err, size_t errlen)
{
	return rulelist_parse_owned_tuned(
	    buf, len, fname, digest, &tuning_default, out, err, errlen);
}
