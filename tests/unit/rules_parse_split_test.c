/* The entry lines parsed in two halves give the very list, or the very message, of one pass. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rulefmt.h"

static const struct rules_parse_tuning one_pass = {SIZE_MAX, 0};

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

struct text {
	char *p;
	size_t len, cap;
};

static void __attribute__((format(printf, 2, 3))) put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->p == NULL) {
		t->cap = 4096;
		t->p = malloc(t->cap);
		cr_assert_not_null(t->p);
	}
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		cr_assert_geq(n, 0);
		if ((size_t)n < t->cap - t->len)
			break;
		t->cap = t->cap * 2 + (size_t)n + 64;
		t->p = realloc(t->p, t->cap);
		cr_assert_not_null(t->p);
	}
	t->len += (size_t)n;
}

static const char *const refs[] = {"A-1", "B-2", "C-3"};

/*
 * A valid list of n entries in canonical order: domains, suffixes, IPv4
 * addresses and prefixes, URLs; some values twice (two orders); C-3 names
 * one entry only, anywhere, so that its use may fall in either half.
 */
static void
gen_valid(struct text *t, uint64_t *s, size_t n)
{
	size_t i, only = (size_t)(rnd(s) % n), count = 0;
	struct text body = {0};
	unsigned o;

	for (i = 0; i < n; i++) {
		unsigned kind = (unsigned)(i * 5 / n);
		const char *ref = i == only ? refs[2] : refs[rnd(s) % 2];
		int twice = i != only && rnd(s) % 8 == 0;

		for (o = 0; o < (twice ? 2u : 1u); o++) {
			if (twice)
				ref = refs[o];
			switch (kind) {
			case 0:
				put(&body, "domain d%06zu.example %s\n", i, ref);
				break;
			case 1:
				put(&body, "suffix s%06zu.example %s\n", i, ref);
				break;
			case 2:
				put(&body, "ip 10.%zu.%zu.%zu %s\n", i >> 16 & 255, i >> 8 & 255,
				    i & 255, ref);
				break;
			case 3:
				put(&body, "prefix 11.%zu.%zu.0/24 %s\n", i >> 8 & 255, i & 255,
				    ref);
				break;
			default:
				put(&body, "url u%06zu.example/p/%zu %s\n", i, i, ref);
				break;
			}
			count++;
		}
	}
	put(t,
	    "blocklist 1\nissuer Example Regulator\nscope test\nserial 7\n"
	    "issued 2026-11-20T10:00:00Z\nexpires 2027-01-01T00:00:00Z\norders 3\nentries %zu\n\n",
	    count);
	for (o = 0; o < 3; o++)
		put(t,
		    "order %s\n\tauthority Court %u\n\tdate 2026-11-01\n\tservice S%u\n"
		    "\tnot-before 2026-11-02T00:00:00Z\n\tnot-after 2027-11-02T00:00:00Z\n"
		    "\tnotice Blocked.\n\tnotice-url https://orders.example/%s\n\twide no\n%s\n",
		    refs[o], o, o, refs[o], o == 1 ? "\tshared yes\n" : "");
	put(t, "%.*s", (int)body.len, body.p);
	put(t, "end %zu\n", count);
	free(body.p);
}

/* Where the entry lines begin: after the last order, which no error touches. */
static size_t
entries_start(const struct text *t)
{
	static const char last[] = "orders.example/C-3\n\twide no\n\n";
	const char *p = strstr(t->p, last);

	cr_assert_not_null(p);
	return (size_t)(p - t->p) + strlen(last);
}

/* The byte offsets of the entry lines' starts (the last one is 'end'). */
static size_t
entry_lines(const struct text *t, size_t *at, size_t max)
{
	const char *p = t->p + entries_start(t);
	size_t n = 0;

	while (p < t->p + t->len && n < max) {
		at[n++] = (size_t)(p - t->p);
		p = memchr(p, '\n', (size_t)(t->p + t->len - p));
		if (p == NULL)
			break;
		p++;
	}
	return n;
}

/* Replaces len bytes at off with s. */
static void
splice(struct text *t, size_t off, size_t len, const char *s)
{
	size_t n = strlen(s);

	if (t->len + n + 1 > t->cap) {
		t->cap = t->len + n + 64;
		t->p = realloc(t->p, t->cap);
		cr_assert_not_null(t->p);
	}
	memmove(t->p + off + n, t->p + off + len, t->len - off - len);
	memcpy(t->p + off, s, n);
	t->len = t->len - len + n;
	t->p[t->len] = '\0';
}

static size_t
line_len(const struct text *t, size_t off)
{
	const char *e = memchr(t->p + off, '\n', t->len - off);

	return e ? (size_t)(e - (t->p + off)) + 1 : t->len - off;
}

/* One error of some kind at entry line i (of n, the last being 'end'). */
static void
inject(struct text *t, uint64_t *s, size_t i, size_t n)
{
	static const char *const lines[] = {"domain X.example A-1\n", "\n",
	    "\tdomain x.example A-1\n", "order A-1\n", "domain x.example NOPE\n",
	    "domain a.example A-1 more\n", "domain  a.example A-1\n", "domain a.example\n",
	    "domain \xc3\xa9.example A-1\n", "ip 300.1.1.1 A-1\n", "end 3\n",
	    "domain a.example A-1 \n"};
	size_t at[8192] = {0}, m = entry_lines(t, at, 8192), off, len;
	char copy[256];

	cr_assert_eq(m, n);
	off = at[i];
	len = line_len(t, off);
	switch (rnd(s) % 8) {
	case 0: /* a bad line in its place */
		splice(t, off, len, lines[rnd(s) % (sizeof lines / sizeof *lines)]);
		break;
	case 1: /* the line twice */
		if (len < sizeof copy) {
			memcpy(copy, t->p + off, len);
			copy[len] = '\0';
			splice(t, off, 0, copy);
		}
		break;
	case 2: /* swapped with the next */
		if (i + 2 < n && len < sizeof copy) {
			memcpy(copy, t->p + off, len);
			copy[len] = '\0';
			splice(t, off, len, "");
			splice(t, off + line_len(t, off), 0, copy);
		}
		break;
	case 3: /* gone */
		splice(t, off, len, "");
		break;
	case 4: /* CRLF */
		if (len > 0 && t->p[off + len - 1] == '\n')
			splice(t, off + len - 1, 0, "\r");
		break;
	case 5: /* no final newline, or text after 'end' */
		if (rnd(s) % 2)
			t->len--, t->p[t->len] = '\0';
		else
			splice(t, t->len, 0, "domain late.example A-1\n");
		break;
	case 6: /* an 'end' line early */
		splice(t, off, 0, "end 1\n");
		break;
	default: /* the header counts fewer entries */
		snprintf(copy, sizeof copy, "entries %zu\n", i);
		off = (size_t)(strstr(t->p, "\nentries ") + 1 - t->p);
		splice(t, off, line_len(t, off), copy);
		break;
	}
}

static void
same_list(const struct rulelist *a, const struct rulelist *b)
{
	size_t i;

	cr_assert_eq(a->serial, b->serial);
	cr_assert_str_eq(a->issuer, b->issuer);
	cr_assert_str_eq(a->scope, b->scope);
	cr_assert_eq(a->issued, b->issued);
	cr_assert_eq(a->expires, b->expires);
	cr_assert_eq(memcmp(a->digest, b->digest, sizeof a->digest), 0);
	cr_assert_eq(a->norders, b->norders);
	for (i = 0; i < a->norders; i++) {
		cr_assert_str_eq(a->orders[i].ref, b->orders[i].ref);
		cr_assert_str_eq(a->orders[i].notice_url, b->orders[i].notice_url);
		cr_assert_eq(a->orders[i].line, b->orders[i].line);
		cr_assert_eq(a->orders[i].allow_shared, b->orders[i].allow_shared);
	}
	cr_assert_eq(a->nentries, b->nentries);
	for (i = 0; i < a->nentries; i++) {
		const struct rule_entry *x = &a->entries[i], *y = &b->entries[i];

		cr_assert_eq(x->order, y->order, "entry %zu", i);
		cr_assert_eq(x->line, y->line, "entry %zu", i);
		cr_assert_eq(x->type, y->type, "entry %zu", i);
		cr_assert_eq(x->plen, y->plen, "entry %zu", i);
		if (rule_type_bits(x->type) == 0) {
			cr_assert_eq(x->namelen, y->namelen, "entry %zu", i);
			cr_assert_str_eq(x->name, y->name, "entry %zu", i);
			/* the strings lie in the arena as one pass leaves them */
			cr_assert_eq(x->name - (const char *)a->arena,
			    y->name - (const char *)b->arena, "entry %zu", i);
		} else
			cr_assert_eq(memcmp(x->addr, y->addr, 16), 0, "entry %zu", i);
	}
}

/* text parsed in one pass and split at split bytes into the entries, copied and in place. */
static int
compare(const struct text *t, size_t split)
{
	struct rules_parse_tuning two = {0, split};
	struct rulelist *l1 = NULL, *l2 = NULL, *l3 = NULL, *l4 = NULL;
	char e1[RULES_ERR_MAX * 2], e2[sizeof e1], e3[sizeof e1], e4[sizeof e1];
	uint8_t digest[RULES_DIGEST_SIZE] = {1};
	char *own3 = malloc(t->len + 1), *own4 = malloc(t->len + 1);
	int r1, r2, r3, r4;

	cr_assert(own3 != NULL && own4 != NULL);
	memcpy(own3, t->p, t->len);
	memcpy(own4, t->p, t->len);
	r1 = rulelist_parse_tuned(t->p, t->len, "t.list", digest, &one_pass, &l1, e1, sizeof e1);
	r2 = rulelist_parse_tuned(t->p, t->len, "t.list", digest, &two, &l2, e2, sizeof e2);
	r3 = rulelist_parse_owned_tuned(
	    own3, t->len, "t.list", digest, &one_pass, &l3, e3, sizeof e3);
	r4 = rulelist_parse_owned_tuned(own4, t->len, "t.list", digest, &two, &l4, e4, sizeof e4);
	cr_assert_eq(r1, r2, "split %zu: %s", split, r1 ? e1 : e2);
	cr_assert_eq(r1, r3);
	cr_assert_eq(r1, r4, "split %zu: %s", split, r1 ? e1 : e4);
	if (r1 != 0) {
		cr_assert_str_eq(e1, e2, "split %zu", split);
		cr_assert_str_eq(e1, e3);
		cr_assert_str_eq(e1, e4, "split %zu", split);
	} else {
		same_list(l1, l2);
		same_list(l1, l3);
		same_list(l3, l4);
	}
	rulelist_free(l1);
	rulelist_free(l2);
	rulelist_free(l3);
	rulelist_free(l4);
	return r1;
}

Test(rules_parse_split, same_list_or_same_message)
{
	uint64_t s = 0x9e3779b97f4a7c15ull;
	size_t round, bad = 0, good = 0;

	for (round = 0; round < 1500; round++) {
		struct text t = {0};
		size_t at[8192] = {0}, n, i, entries_at, rest, split;
		int errors = (int)(rnd(&s) % 3), k;

		gen_valid(&t, &s, 8 + (size_t)(rnd(&s) % 200));
		for (k = 0; k < errors; k++) {
			n = entry_lines(&t, at, 8192);
			inject(&t, &s, (size_t)(rnd(&s) % n), n);
		}
		entries_at = entries_start(&t);
		rest = t.len - entries_at;
		/* the seam at a random place, and on each of a few lines around an error */
		for (i = 0; i < 6; i++) {
			split = (size_t)(rnd(&s) % (rest + 2));
			if (compare(&t, split))
				bad++;
			else
				good++;
		}
		compare(&t, 0);
		free(t.p);
	}
	cr_assert_gt(good, 1000);
	cr_assert_gt(bad, 1000);
}

/* Every line of a list with an error in the middle as the seam. */
Test(rules_parse_split, every_seam)
{
	uint64_t s = 42;
	size_t at[8192] = {0}, n, i, j, entries_at, round;

	for (round = 0; round < 40; round++) {
		struct text t = {0};

		gen_valid(&t, &s, 60);
		n = entry_lines(&t, at, 8192);
		if (round > 0)
			inject(&t, &s, n / 2 - 2 + round % 5, n);
		n = entry_lines(&t, at, 8192);
		entries_at = at[0];
		for (i = 0; i < n; i++)
			for (j = 0; j < 2; j++) /* seam after line i-1, and after line i */
				compare(&t, at[i] - entries_at + (j ? 1 : 0) - (i && !j ? 1 : 0));
		free(t.p);
	}
}

/* A list above the threshold, through the entry points blockd calls. */
Test(rules_parse_split, large_list_default)
{
	struct rulelist *l1 = NULL, *l2 = NULL;
	char err[RULES_ERR_MAX * 2];
	uint8_t digest[RULES_DIGEST_SIZE] = {0};
	struct text t = {0};
	uint64_t s = 7;
	char *own;

	gen_valid(&t, &s, 6000);
	cr_assert_gt(t.len, 2 * RULES_PARSE_PARALLEL_MIN);
	cr_assert_eq(
	    rulelist_parse_tuned(t.p, t.len, "t.list", digest, &one_pass, &l1, err, sizeof err), 0,
	    "%s", err);
	own = malloc(t.len);
	memcpy(own, t.p, t.len);
	cr_assert_eq(
	    rulelist_parse_owned(own, t.len, "t.list", digest, &l2, err, sizeof err), 0, "%s", err);
	same_list(l1, l2);
	rulelist_free(l2);
	cr_assert_eq(rulelist_parse(t.p, t.len, "t.list", digest, &l2, err, sizeof err), 0);
	same_list(l1, l2);
	rulelist_free(l2);
	rulelist_free(l1);
	/* a line twice at the middle, where the default seam falls: the same message */
	{
		char e1[sizeof err], line[128];
		const char *mid = (const char *)memchr(t.p + t.len / 2, '\n', t.len / 2) + 1;
		size_t n = line_len(&t, (size_t)(mid - t.p));

		memcpy(line, mid, n);
		line[n] = '\0';
		splice(&t, (size_t)(mid - t.p), 0, line);
		cr_assert_eq(rulelist_parse_tuned(
				 t.p, t.len, "t.list", digest, &one_pass, &l1, e1, sizeof e1),
		    -1);
		cr_assert_eq(
		    rulelist_parse(t.p, t.len, "t.list", digest, &l2, err, sizeof err), -1);
		cr_assert_str_eq(err, e1);
		cr_assert_not_null(strstr(err, "duplicate entry"), "%s", err);
	}
	free(t.p);
}
