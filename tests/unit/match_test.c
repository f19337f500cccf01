/* Unit tests for match.c: domain, address and URL lookups over snapshots built in memory. */
#include <criterion/criterion.h>

#include "match/match.h"
#include "match/match_int.h"
#include "match_testlist.h"

#define NOW 1000000

static struct match_snapshot *
build(const struct tent *t, size_t n, const struct twin *win, size_t norders,
    const struct rule_entry *allow, size_t nallow)
{
	struct rulelist *l = tl_make(t, n, win, norders, 1);
	struct match_snapshot *s = NULL;
	char err[256] = "";

	if (match_build(l, allow, nallow, &s, err, sizeof(err)) != 0)
		cr_assert_fail("match_build: %s", err);
	return s;
}

static struct rule_entry
allow_entry(uint8_t type, const char *text)
{
	struct rule_entry e = {0};

	e.type = type;
	e.name = text;
	e.namelen = (uint32_t)strlen(text);
	if (type == RULE_IPV4 || type == RULE_IPV6)
		tl_parse_addr(&e, text);
	return e;
}

/*
 * match_domain(), and for a name in the lookup form match_domain_labels() of
 * it too: both must give the same result and hit, over every name the tests ask.
 */
static int
dom(const struct match_snapshot *s, const char *name, struct match_hit *hit)
{
	struct match_hit h1, h2;
	char buf[NAME_BUF];
	uint8_t lab[RULES_NAME_MAX + 2];
	int nlab, r1 = match_domain(s, name, strlen(name), NOW, &h1);
	int n = match_name_split(name, strlen(name), buf, lab, &nlab);

	if (n >= 0) {
		int r2 = match_domain_labels(s, buf, (size_t)n, lab, nlab, NOW, &h2);
		cr_assert_eq(r1, r2, "%s: match_domain %d, match_domain_labels %d", name, r1, r2);
		if (r1 != MATCH_NONE)
			cr_assert(
			    h1.entry == h2.entry && h1.order == h2.order && h1.type == h2.type,
			    "%s: hits differ", name);
	}
	if (hit != NULL)
		*hit = h1;
	return r1;
}

/* The entry index a name matches with, -1 for MATCH_NONE; must be MATCH_BLOCK otherwise. */
static int
dom_entry(const struct match_snapshot *s, const char *name)
{
	struct match_hit hit;
	int r = dom(s, name, &hit);

	if (r == MATCH_NONE)
		return -1;
	cr_assert_eq(r, MATCH_BLOCK, "%s: result %d", name, r);
	return (int)hit.entry;
}

static int
addr_entry(const struct match_snapshot *s, const char *text, int64_t now)
{
	uint8_t a[16];
	struct match_hit hit;
	int v6 = strchr(text, ':') != NULL, r;

	cr_assert_eq(inet_pton(v6 ? AF_INET6 : AF_INET, text, a), 1);
	r = match_addr(s, v6 ? 6 : 4, a, now, &hit);
	if (r == MATCH_NONE)
		return -1;
	cr_assert_eq(r, MATCH_BLOCK, "%s: result %d", text, r);
	cr_assert_eq(hit.type, v6 ? RULE_IPV6 : RULE_IPV4);
	return (int)hit.entry;
}

Test(match, exact_and_suffix)
{
	static const struct tent t[] = {
	    {RULE_DOMAIN, "exact.test", 0},
	    {RULE_SUFFIX, "suf.test", 0},
	};
	struct match_snapshot *s = build(t, 2, NULL, 1, NULL, 0);
	struct match_hit hit;

	cr_assert_eq(dom(s, "exact.test", &hit), MATCH_BLOCK);
	cr_assert_eq(hit.entry, 0);
	cr_assert_eq(hit.type, RULE_DOMAIN);
	cr_assert_eq(hit.order, 0);
	cr_assert_eq(dom_entry(s, "www.exact.test"), -1);
	cr_assert_eq(dom(s, "suf.test", &hit), MATCH_BLOCK);
	cr_assert_eq(hit.type, RULE_SUFFIX);
	cr_assert_eq(dom_entry(s, "a.b.suf.test"), 1);
	cr_assert_eq(dom_entry(s, "xsuf.test"), -1, "suffixes match whole labels only");
	cr_assert_eq(dom_entry(s, "test"), -1);
	cr_assert_eq(dom_entry(s, "suf.test.example"), -1);
	cr_assert_eq(dom_entry(s, "exact.tes"), -1);
	match_free(s);
}

Test(match, most_specific_wins)
{
	static const struct tent t[] = {
	    {RULE_SUFFIX, "example.test", 0},
	    {RULE_SUFFIX, "sub.example.test", 0},
	    {RULE_DOMAIN, "sub.example.test", 0},
	    {RULE_DOMAIN, "example.test", 0},
	};
	struct match_snapshot *s = build(t, 4, NULL, 1, NULL, 0);

	cr_assert_eq(dom_entry(s, "sub.example.test"), 2);
	cr_assert_eq(dom_entry(s, "a.sub.example.test"), 1);
	cr_assert_eq(dom_entry(s, "b.example.test"), 0);
	cr_assert_eq(dom_entry(s, "example.test"), 3);
	cr_assert_eq(dom_entry(s, "x.y.z.example.test"), 0);
	match_free(s);
}

Test(match, case_and_trailing_dot)
{
	static const struct tent t[] = {{RULE_SUFFIX, "example.test", 0}};
	struct match_snapshot *s = build(t, 1, NULL, 1, NULL, 0);

	cr_assert_eq(dom_entry(s, "WwW.ExAmPlE.TeSt."), 0);
	cr_assert_eq(dom_entry(s, "EXAMPLE.TEST"), 0);
	cr_assert_eq(dom_entry(s, "example.test."), 0);
	cr_assert_eq(dom_entry(s, "example.test.."), -1);
	cr_assert_eq(dom_entry(s, ".example.test"), -1);
	cr_assert_eq(dom_entry(s, "a..example.test"), -1);
	cr_assert_eq(dom_entry(s, "."), -1);
	cr_assert_eq(dom_entry(s, ""), -1);
	cr_assert_eq(match_domain(s, "example.test", 0, NOW, NULL), MATCH_NONE);
	/* Only len bytes count: the rest of the buffer is not part of the name. */
	cr_assert_eq(match_domain(s, "example.testing", 12, NOW, NULL), MATCH_BLOCK);
	match_free(s);
}

Test(match, length_and_label_limits)
{
	static const struct tent t[] = {
	    {RULE_SUFFIX, "example.test", 0},
	    {RULE_SUFFIX, "t", 0},
	};
	struct match_snapshot *s = build(t, 2, NULL, 1, NULL, 0);
	char name[1200];
	char big[10000];
	int i;

	/* 63+1+63+1+63+1+48+1 + 12 = 253 bytes. */
	memset(name, 'a', 63);
	name[63] = '.';
	memset(name + 64, 'b', 63);
	name[127] = '.';
	memset(name + 128, 'c', 63);
	name[191] = '.';
	memset(name + 192, 'd', 48);
	name[240] = '.';
	strcpy(name + 241, "example.test");
	cr_assert_eq(strlen(name), 253);
	cr_assert_eq(dom_entry(s, name), 0);
	strcat(name, ".");
	cr_assert_eq(dom_entry(s, name), 0, "253 bytes and a trailing dot");
	name[253] = '\0';
	memmove(name + 1, name, 254);
	name[0] = 'e';
	cr_assert_eq(strlen(name), 254);
	cr_assert_eq(dom_entry(s, name), -1, "254 bytes is too long");

	/* A label of 64 bytes. */
	memset(name, 'a', 64);
	strcpy(name + 64, ".example.test");
	cr_assert_eq(dom_entry(s, name), -1);
	memset(name, 'a', 63);
	strcpy(name + 63, ".example.test");
	cr_assert_eq(dom_entry(s, name), 0, "a label of 63 bytes");

	/* 127 labels of one byte: the most a 253-byte name holds. */
	for (i = 0; i < 126; i++) {
		name[2 * i] = 'a';
		name[2 * i + 1] = '.';
	}
	strcpy(name + 252, "t");
	cr_assert_eq(strlen(name), 253);
	cr_assert_eq(dom_entry(s, name), 1);

	memset(big, 'a', sizeof(big));
	for (i = 1; i < (int)sizeof(big); i += 2)
		big[i] = '.';
	cr_assert_eq(match_domain(s, big, sizeof(big), NOW, NULL), MATCH_NONE);
	match_free(s);
}

Test(match, non_ldh_and_idn)
{
	static const struct tent t[] = {
	    {RULE_SUFFIX, "example.test", 0},
	    {RULE_DOMAIN, "xn--bcher-kva.test", 0},
	};
	struct match_snapshot *s = build(t, 2, NULL, 1, NULL, 0);
	static const char nul[] = "a\0b.example.test";

	cr_assert_eq(dom_entry(s, "ex ample.example.test"), -1);
	cr_assert_eq(dom_entry(s,
			 "b\xc3\xbc"
			 "cher.example.test"),
	    -1);
	cr_assert_eq(dom_entry(s, "a/b.example.test"), -1);
	cr_assert_eq(dom_entry(s, "a\\.example.test"), -1);
	cr_assert_eq(match_domain(s, nul, sizeof(nul) - 1, NOW, NULL), MATCH_NONE);
	cr_assert_eq(dom_entry(s, "\xff"), -1);
	cr_assert_eq(dom_entry(s, "XN--BCHER-KVA.test"), 1);
	cr_assert_eq(dom_entry(s,
			 "b\xc3\xbc"
			 "cher.test"),
	    -1, "U-labels are not decoded");
	cr_assert_eq(dom_entry(s, "_dmarc.example.test"), 0, "underscore labels are names too");
	cr_assert_eq(dom_entry(s, "-x-.example.test"), 0);
	match_free(s);
}

Test(match, allowlist_overrides)
{
	static const struct tent t[] = {
	    {RULE_SUFFIX, "cdn.test", 0},
	    {RULE_DOMAIN, "x.safe.test", 0},
	    {RULE_IPV4, "198.51.100.0/24", 0},
	    {RULE_IPV6, "2001:db8::/32", 0},
	    {RULE_URL, "x.safe.test/bad", 0},
	};
	struct rule_entry allow[] = {
	    allow_entry(RULE_DOMAIN, "Good.CDN.test."),
	    allow_entry(RULE_SUFFIX, "safe.test"),
	    allow_entry(RULE_SUFFIX, "unrelated.test"),
	    allow_entry(RULE_IPV4, "198.51.100.7"),
	    allow_entry(RULE_IPV6, "2001:db8:1::/48"),
	};
	struct match_snapshot *s = build(t, 5, NULL, 1, allow, 5);
	struct match_hit hit = {0};
	uint8_t a[16];

	/* The allowlist was copied: the caller's strings may go. */
	memset(allow, 0, sizeof(allow));
	cr_assert_eq(dom(s, "good.cdn.test", &hit), MATCH_ALLOW);
	cr_assert_eq(hit.entry, 0, "the overridden entry is reported");
	cr_assert_eq(dom(s, "bad.cdn.test", NULL), MATCH_BLOCK);
	cr_assert_eq(dom(s, "a.good.cdn.test", NULL), MATCH_BLOCK, "exact allow covers one name");
	cr_assert_eq(
	    dom(s, "x.safe.test", NULL), MATCH_ALLOW, "a wider allow beats a narrow block");
	cr_assert_eq(dom(s, "unrelated.test", NULL), MATCH_NONE);
	cr_assert_eq(match_url(s, "x.safe.test", 11, "/bad", 4, NOW, &hit), MATCH_ALLOW);
	inet_pton(AF_INET, "198.51.100.7", a);
	cr_assert_eq(match_addr(s, 4, a, NOW, NULL), MATCH_ALLOW);
	inet_pton(AF_INET, "198.51.100.8", a);
	cr_assert_eq(match_addr(s, 4, a, NOW, NULL), MATCH_BLOCK);
	inet_pton(AF_INET6, "2001:db8:1::5", a);
	cr_assert_eq(match_addr(s, 6, a, NOW, NULL), MATCH_ALLOW);
	inet_pton(AF_INET6, "2001:db8:2::5", a);
	cr_assert_eq(match_addr(s, 6, a, NOW, NULL), MATCH_BLOCK);
	match_free(s);
}

Test(match, order_expiry_falls_through)
{
	static const struct twin win[] = {{0, 0}, {100, 200}, {300, 400}};
	static const struct tent t[] = {
	    {RULE_SUFFIX, "example.test", 0},
	    {RULE_DOMAIN, "a.example.test", 1},
	    {RULE_DOMAIN, "b.example.test", 1},
	    {RULE_DOMAIN, "b.example.test", 2},
	    {RULE_SUFFIX, "only.test", 1},
	    {RULE_IPV4, "192.0.2.0/24", 0},
	    {RULE_IPV4, "192.0.2.1", 1},
	};
	struct match_snapshot *s = build(t, 7, win, 3, NULL, 0);
	struct match_hit hit;

	cr_assert_eq(match_domain(s, "a.example.test", 14, 150, &hit), MATCH_BLOCK);
	cr_assert_eq(hit.entry, 1);
	cr_assert_eq(hit.order, 1);
	cr_assert_eq(match_domain(s, "a.example.test", 14, 200, &hit), MATCH_BLOCK);
	cr_assert_eq(hit.entry, 0, "not_after is exclusive; falls to the suffix");
	cr_assert_eq(match_domain(s, "a.example.test", 14, 99, &hit), MATCH_BLOCK);
	cr_assert_eq(hit.entry, 0);
	cr_assert_eq(match_domain(s, "b.example.test", 14, 350, &hit), MATCH_BLOCK);
	cr_assert_eq(hit.entry, 3, "a second order on the same name");
	cr_assert_eq(match_domain(s, "b.example.test", 14, 150, &hit), MATCH_BLOCK);
	cr_assert_eq(hit.entry, 2);
	cr_assert_eq(match_domain(s, "x.only.test", 11, 150, &hit), MATCH_BLOCK);
	cr_assert_eq(match_domain(s, "x.only.test", 11, 250, &hit), MATCH_NONE);
	cr_assert_eq(addr_entry(s, "192.0.2.1", 150), 6);
	cr_assert_eq(addr_entry(s, "192.0.2.1", 250), 5);
	match_free(s);
}

Test(match, many_entries_one_name)
{
	struct tent t[300];
	struct twin win[300];
	struct match_snapshot *s;
	struct match_hit hit;
	int i;

	for (i = 0; i < 300; i++) {
		t[i] = (struct tent){RULE_DOMAIN, "dup.example.test", (uint32_t)i};
		win[i] = (struct twin){i * 10, i * 10 + 10};
	}
	s = build(t, 300, win, 300, NULL, 0);
	cr_assert_eq(match_domain(s, "dup.example.test", 16, 2995, &hit), MATCH_BLOCK);
	cr_assert_eq(hit.entry, 299);
	cr_assert_eq(match_domain(s, "dup.example.test", 16, 1234, &hit), MATCH_BLOCK);
	cr_assert_eq(hit.entry, 123);
	cr_assert_eq(match_domain(s, "dup.example.test", 16, 3000, &hit), MATCH_NONE);
	match_free(s);
}

Test(match, ipv4_lpm_edges)
{
	static const struct tent t[] = {
	    {RULE_IPV4, "0.0.0.0/0", 0},          /* 0 */
	    {RULE_IPV4, "192.0.0.0/8", 0},        /* 1 */
	    {RULE_IPV4, "192.0.2.0/24", 0},       /* 2 */
	    {RULE_IPV4, "192.0.2.0/25", 0},       /* 3 */
	    {RULE_IPV4, "192.0.2.128/25", 0},     /* 4 */
	    {RULE_IPV4, "192.0.2.77", 0},         /* 5 */
	    {RULE_IPV4, "255.255.255.255/32", 0}, /* 6 */
	    {RULE_IPV4, "0.0.0.0/32", 0},         /* 7 */
	    {RULE_IPV4, "198.51.100.9/24", 0},    /* 8: host bits are ignored */
	    {RULE_IPV4, "203.0.113.0/31", 0},     /* 9 */
	};
	struct match_snapshot *s = build(t, 10, NULL, 1, NULL, 0);

	cr_assert_eq(addr_entry(s, "10.1.2.3", NOW), 0);
	cr_assert_eq(addr_entry(s, "0.0.0.0", NOW), 7);
	cr_assert_eq(addr_entry(s, "0.0.0.1", NOW), 0);
	cr_assert_eq(addr_entry(s, "255.255.255.255", NOW), 6);
	cr_assert_eq(addr_entry(s, "255.255.255.254", NOW), 0);
	cr_assert_eq(addr_entry(s, "192.0.0.0", NOW), 1);
	cr_assert_eq(addr_entry(s, "192.0.1.255", NOW), 1);
	cr_assert_eq(addr_entry(s, "192.0.2.0", NOW), 3);
	cr_assert_eq(addr_entry(s, "192.0.2.76", NOW), 3);
	cr_assert_eq(addr_entry(s, "192.0.2.77", NOW), 5);
	cr_assert_eq(addr_entry(s, "192.0.2.78", NOW), 3);
	cr_assert_eq(addr_entry(s, "192.0.2.127", NOW), 3);
	cr_assert_eq(addr_entry(s, "192.0.2.128", NOW), 4);
	cr_assert_eq(addr_entry(s, "192.0.2.255", NOW), 4);
	cr_assert_eq(addr_entry(s, "192.0.3.0", NOW), 1);
	cr_assert_eq(addr_entry(s, "192.255.255.255", NOW), 1);
	cr_assert_eq(addr_entry(s, "193.0.0.0", NOW), 0);
	cr_assert_eq(addr_entry(s, "198.51.100.0", NOW), 8);
	cr_assert_eq(addr_entry(s, "198.51.100.255", NOW), 8);
	cr_assert_eq(addr_entry(s, "198.51.101.0", NOW), 0);
	cr_assert_eq(addr_entry(s, "203.0.113.1", NOW), 9);
	cr_assert_eq(addr_entry(s, "203.0.113.2", NOW), 0);
	match_free(s);
}

Test(match, ipv4_without_default)
{
	static const struct tent t[] = {
	    {RULE_IPV4, "192.0.2.0/24", 0},
	    {RULE_IPV4, "192.0.2.255", 0},
	    {RULE_IPV4, "192.0.3.0", 0},
	    {RULE_IPV4, "255.255.255.255", 0},
	    {RULE_DOMAIN, "v4.test", 0},
	};
	struct match_snapshot *s = build(t, 5, NULL, 1, NULL, 0);
	uint8_t a[16] = {0};

	cr_assert_eq(addr_entry(s, "192.0.1.255", NOW), -1);
	cr_assert_eq(addr_entry(s, "192.0.2.254", NOW), 0);
	cr_assert_eq(addr_entry(s, "192.0.2.255", NOW), 1);
	cr_assert_eq(addr_entry(s, "192.0.3.0", NOW), 2, "adjacent, not nested");
	cr_assert_eq(addr_entry(s, "192.0.3.1", NOW), -1);
	cr_assert_eq(addr_entry(s, "255.255.255.255", NOW), 3);
	cr_assert_eq(addr_entry(s, "255.255.255.254", NOW), -1);
	cr_assert_eq(addr_entry(s, "2001:db8::1", NOW), -1, "no IPv6 entries");
	cr_assert_eq(match_addr(s, 5, a, NOW, NULL), MATCH_NONE);
	match_free(s);
}

Test(match, ipv6_lpm_edges)
{
	static const struct tent t[] = {
	    {RULE_IPV6, "::/0", 0},                                    /* 0 */
	    {RULE_IPV6, "2001:db8::/32", 0},                           /* 1 */
	    {RULE_IPV6, "2001:db8::1", 0},                             /* 2 */
	    {RULE_IPV6, "2001:db8:0:1::/64", 0},                       /* 3 */
	    {RULE_IPV6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0}, /* 4 */
	    {RULE_IPV6, "2001:db8:8000::/33", 0},                      /* 5 */
	    {RULE_IPV6, "2001:db8:0:1:8000::/65", 0},                  /* 6 */
	};
	struct match_snapshot *s = build(t, 7, NULL, 1, NULL, 0);

	cr_assert_eq(addr_entry(s, "::", NOW), 0);
	cr_assert_eq(addr_entry(s, "2001:db8::", NOW), 1);
	cr_assert_eq(addr_entry(s, "2001:db8::1", NOW), 2);
	cr_assert_eq(addr_entry(s, "2001:db8::2", NOW), 1);
	cr_assert_eq(addr_entry(s, "2001:db8:0:1::", NOW), 3);
	cr_assert_eq(addr_entry(s, "2001:db8:0:1:7fff:ffff:ffff:ffff", NOW), 3);
	cr_assert_eq(addr_entry(s, "2001:db8:0:1:8000::", NOW), 6);
	cr_assert_eq(addr_entry(s, "2001:db8:0:2::", NOW), 1);
	cr_assert_eq(addr_entry(s, "2001:db8:7fff:ffff:ffff:ffff:ffff:ffff", NOW), 1);
	cr_assert_eq(addr_entry(s, "2001:db8:8000::", NOW), 5);
	cr_assert_eq(
	    addr_entry(s, "2001:db9::", NOW), 0, "got %d", addr_entry(s, "2001:db9::", NOW));
	cr_assert_eq(addr_entry(s, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", NOW), 4);
	cr_assert_eq(addr_entry(s, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", NOW), 0);
	cr_assert_eq(addr_entry(s, "192.0.2.1", NOW), -1, "no IPv4 entries");
	match_free(s);
}

/* Random nested prefixes against a brute-force longest-prefix match. */
static uint64_t
xs(uint64_t *st)
{
	*st ^= *st << 13;
	*st ^= *st >> 7;
	*st ^= *st << 17;
	return *st;
}

Test(match, lpm_against_brute_force)
{
	enum { N = 400, Q = 20000 };
	struct rulelist *l;
	struct tent *t = calloc(N, sizeof(*t));
	char(*txt)[64] = calloc(N, 64);
	struct twin win[2] = {{0, 0}, {0, 10}};
	struct match_snapshot *s = NULL;
	uint64_t st = 88172645463325252ull;
	char err[128];
	int fam, i, q;

	for (fam = 4; fam <= 6; fam += 2) {
		int bits = fam == 4 ? 32 : 128;

		for (i = 0; i < N; i++) {
			uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8};
			int plen = (int)(xs(&st) % (unsigned)(bits + 1)), k;

			/* Concentrate on a narrow range so prefixes nest and touch. */
			for (k = fam == 4 ? 2 : 4; k < bits / 8; k++)
				a[k] = (uint8_t)(xs(&st) & (k == (fam == 4 ? 2 : 4) ? 3 : 0xff));
			if (fam == 4) {
				a[0] = 198;
				a[1] = 51;
			}
			if (i % 50 == 0)
				plen = (int)(xs(&st) % 9);
			inet_ntop(fam == 4 ? AF_INET : AF_INET6, a, txt[i], 48);
			sprintf(txt[i] + strlen(txt[i]), "/%d", plen);
			t[i] = (struct tent){
			    fam == 4 ? RULE_IPV4 : RULE_IPV6, txt[i], (uint32_t)(i % 7 == 0)};
		}
		l = tl_make(t, N, win, 2, 1);
		cr_assert_eq(match_build(l, NULL, 0, &s, err, sizeof(err)), 0, "%s", err);
		for (q = 0; q < Q; q++) {
			uint8_t a[16];
			struct match_hit hit;
			int best = -1, bestlen = -1, r;

			memcpy(a, l->entries[xs(&st) % N].addr, 16);
			a[bits / 8 - 1 - (int)(xs(&st) % 3)] ^= (uint8_t)xs(&st);
			for (i = 0; i < N; i++) {
				const struct rule_entry *e = &l->entries[i];
				int k, ok = 1;

				if (e->order == 1)
					continue; /* its order has expired at NOW */
				for (k = 0; k < e->plen && ok; k++)
					ok = ((a[k / 8] ^ e->addr[k / 8]) & (0x80 >> (k % 8))) == 0;
				if (ok && e->plen > bestlen) {
					best = i;
					bestlen = e->plen;
				}
			}
			r = match_addr(s, fam, a, NOW, &hit);
			if (best < 0)
				cr_assert_eq(r, MATCH_NONE);
			else {
				cr_assert_eq(r, MATCH_BLOCK);
				cr_assert_eq(l->entries[hit.entry].plen, bestlen);
			}
		}
		match_free(s);
	}
	free(t);
	free(txt);
}

Test(match, url_prefixes)
{
	static const struct tent t[] = {
	    {RULE_URL, "evil.test/videos/", 0},    /* 0 */
	    {RULE_URL, "evil.test/videos/bad", 0}, /* 1 */
	    {RULE_URL, "evil.test/Upper", 0},      /* 2 */
	    {RULE_URL, "whole.test/", 0},          /* 3 */
	    {RULE_SUFFIX, "other.test", 0},        /* 4 */
	    {RULE_URL, "evil.test/expired", 1},    /* 5 */
	    {RULE_URL, "x.other.test/p", 0},       /* 6 */
	    {RULE_URL, "x.other.test/a%2Fb", 0},   /* 7 */
	};
	static const struct twin win[] = {{0, 0}, {0, 10}};
	struct match_snapshot *s = build(t, sizeof(t) / sizeof(t[0]), win, 2, NULL, 0);
	struct match_hit hit;

#define URL(h, p) match_url(s, h, strlen(h), p, strlen(p), NOW, &hit)
	cr_assert_eq(URL("evil.test", "/videos/1"), MATCH_BLOCK);
	cr_assert_eq(hit.entry, 0);
	cr_assert_eq(hit.type, RULE_URL);
	cr_assert_eq(URL("EVIL.test.", "/videos/bad/x?y=1"), MATCH_BLOCK);
	cr_assert_eq(hit.entry, 1, "longest path prefix wins");
	cr_assert_eq(URL("evil.test", "/videos"), MATCH_NONE);
	cr_assert_eq(URL("evil.test", "/"), MATCH_NONE);
	cr_assert_eq(URL("evil.test", "/upper"), MATCH_NONE, "paths are case-sensitive");
	cr_assert_eq(URL("evil.test", "/Upper/1"), MATCH_BLOCK);
	cr_assert_eq(URL("evil.test", "/expired"), MATCH_NONE);
	cr_assert_eq(URL("www.evil.test", "/videos/1"), MATCH_NONE, "URL entries are per host");
	cr_assert_eq(URL("whole.test", "/anything"), MATCH_BLOCK);
	cr_assert_eq(hit.entry, 3);
	cr_assert_eq(URL("a.other.test", "/x"), MATCH_BLOCK);
	cr_assert_eq(hit.entry, 4);
	cr_assert_eq(hit.type, RULE_SUFFIX);
	cr_assert_eq(URL("x.other.test", "/p/q"), MATCH_BLOCK);
	cr_assert_eq(hit.entry, 6);
	cr_assert_eq(URL("x.other.test", "/q"), MATCH_BLOCK);
	cr_assert_eq(hit.entry, 4);
	cr_assert_eq(URL("x.other.test", "/a%2fb"), MATCH_BLOCK);
	cr_assert_eq(hit.entry, 7);
	cr_assert_eq(URL("x.other.test", "/a/b"), MATCH_BLOCK);
	cr_assert_eq(hit.entry, 4, "a decoded slash is another path");
	cr_assert_eq(URL("bad host.test", "/"), MATCH_NONE);
	/* Request paths are compared in the normal form entries are written in. */
	cr_assert_eq(URL("evil.test", "/vid%65os/1"), MATCH_BLOCK, "encoded unreserved byte");
	cr_assert_eq(hit.entry, 0);
	cr_assert_eq(URL("evil.test", "/%76%69%64%65%6F%73/bad"), MATCH_BLOCK);
	cr_assert_eq(hit.entry, 1);
	cr_assert_eq(
	    URL("evil.test", "/videos%2fbad"), MATCH_NONE, "an encoded slash is no separator");
	cr_assert_eq(URL("evil.test", "/%55pper"), MATCH_BLOCK);
	cr_assert_eq(hit.entry, 2);
	cr_assert_eq(URL("evil.test", "/videos%"), MATCH_NONE, "a stray percent is kept");
	cr_assert_eq(URL("evil.test", "/Upper%zz"), MATCH_BLOCK);
	cr_assert_eq(match_domain(s, "evil.test", 9, NOW, NULL), MATCH_NONE,
	    "a URL entry does not block the name");
#undef URL
	match_free(s);
}

Test(match, build_rejects_bad_entries)
{
	static const struct tent upper[] = {{RULE_DOMAIN, "Example.test", 0}};
	static const struct tent dot[] = {{RULE_SUFFIX, "example.test.", 0}};
	static const struct tent badorder[] = {{RULE_DOMAIN, "example.test", 3}};
	static const struct tent noslash[] = {{RULE_URL, "example.test", 0}};
	static const struct tent badtype[] = {{9, "example.test", 0}};
	static const struct tent *cases[] = {upper, dot, badorder, noslash, badtype};
	struct rule_entry allow = allow_entry(RULE_URL, "example.test/x");
	struct match_snapshot *s = (void *)1;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rulelist *l = tl_make(cases[i], 1, NULL, 1, 1);

		err[0] = '\0';
		cr_assert_eq(match_build(l, NULL, 0, &s, err, sizeof(err)), -1, "case %zu", i);
		cr_assert_null(s);
		cr_assert(strstr(err, "line 100") != NULL, "message names the line: %s", err);
		rulelist_free(l); /* still the caller's */
	}
	{
		static const struct tent ok[] = {{RULE_DOMAIN, "example.test", 0}};
		struct rulelist *l = tl_make(ok, 1, NULL, 1, 1);

		cr_assert_eq(match_build(l, &allow, 1, &s, err, sizeof(err)), -1);
		cr_assert(strstr(err, "allowlist") != NULL, "%s", err);
		rulelist_free(l);
	}
}

Test(match, empty_list_and_counts)
{
	static const struct tent t[] = {
	    {RULE_DOMAIN, "a.test", 0},
	    {RULE_SUFFIX, "b.test", 0},
	    {RULE_SUFFIX, "c.test", 0},
	    {RULE_IPV4, "192.0.2.0/24", 0},
	    {RULE_IPV6, "2001:db8::/32", 0},
	    {RULE_URL, "d.test/x", 0},
	};
	struct match_snapshot *s = build(t, 0, NULL, 0, NULL, 0);
	size_t c[6];
	uint8_t a[16] = {0};

	cr_assert_eq(dom(s, "a.test", NULL), MATCH_NONE);
	cr_assert_eq(match_addr(s, 4, a, NOW, NULL), MATCH_NONE);
	cr_assert_eq(match_addr(s, 6, a, NOW, NULL), MATCH_NONE);
	cr_assert_eq(match_url(s, "d.test", 6, "/x", 2, NOW, NULL), MATCH_NONE);
	match_free(s);

	s = build(t, 6, NULL, 1, NULL, 0);
	match_counts(s, c);
	cr_assert_eq(c[RULE_DOMAIN], 1);
	cr_assert_eq(c[RULE_SUFFIX], 2);
	cr_assert_eq(c[RULE_IPV4], 1);
	cr_assert_eq(c[RULE_IPV6], 1);
	cr_assert_eq(c[RULE_URL], 1);
	cr_assert_eq(match_list(s)->nentries, 6);
	match_free(s);
}

/* Many names: every listed one is found, near misses are not (exercises probing and tags). */
Test(match, many_names)
{
	enum { N = 20000 };
	struct tent *t = calloc(N, sizeof(*t));
	char(*txt)[40] = calloc(N, 40);
	struct match_snapshot *s;
	char q[64];
	int i;

	for (i = 0; i < N; i++) {
		sprintf(txt[i], "n%d.example.test", i);
		t[i] = (struct tent){i % 2 ? RULE_SUFFIX : RULE_DOMAIN, txt[i], 0};
	}
	s = build(t, N, NULL, 1, NULL, 0);
	for (i = 0; i < N; i++) {
		cr_assert_eq(dom_entry(s, txt[i]), i);
		sprintf(q, "w.n%d.example.test", i);
		cr_assert_eq(dom_entry(s, q), i % 2 ? i : -1);
		sprintf(q, "n%dx.example.test", i);
		cr_assert_eq(dom_entry(s, q), -1);
	}
	match_free(s);
	free(t);
	free(txt);
}

/* A random name over a tiny alphabet, so that names and suffixes collide often. */
static size_t
tiny_name(uint64_t *st, char *p)
{
	static const char *labels[] = {"a", "b", "c", "ab", "xn--ab"};
	size_t n = 0, k, nl = 1 + xs(st) % 4;

	for (k = 0; k < nl; k++) {
		const char *l = labels[xs(st) % 5];

		if (k > 0)
			p[n++] = '.';
		memcpy(p + n, l, strlen(l));
		n += strlen(l);
	}
	p[n] = '\0';
	return n;
}

Test(match, domains_against_brute_force)
{
	enum { N = 300, Q = 20000 };
	static const struct twin win[] = {{0, 0}, {0, 10}, {0, 0}};
	struct tent *t = calloc(N, sizeof(*t));
	char(*txt)[32] = calloc(N, 32);
	struct match_snapshot *s;
	uint64_t st = 0x2545f4914f6cdd1dull;
	char q[40];
	int i, k;

	for (i = 0; i < N; i++) {
		tiny_name(&st, txt[i]);
		t[i] = (struct tent){
		    xs(&st) % 2 ? RULE_SUFFIX : RULE_DOMAIN, txt[i], (uint32_t)(xs(&st) % 3)};
	}
	s = build(t, N, win, 3, NULL, 0);
	for (k = 0; k < Q; k++) {
		size_t qn = tiny_name(&st, q), j;
		int best = -1, got;

		/* The most specific entry in force: longest name, exact before suffix, list order. */
		for (i = 0; i < N; i++) {
			size_t en = strlen(txt[i]);
			int covers;

			if (t[i].order == 1)
				continue;
			covers = en == qn && memcmp(txt[i], q, qn) == 0;
			if (!covers && t[i].type == RULE_SUFFIX && en < qn)
				covers =
				    q[qn - en - 1] == '.' && memcmp(q + qn - en, txt[i], en) == 0;
			if (!covers)
				continue;
			if (best < 0 || en > strlen(txt[best]) ||
			    (en == strlen(txt[best]) && t[i].type == RULE_DOMAIN &&
				t[best].type == RULE_SUFFIX))
				best = i;
		}
		for (j = 0; j < qn; j++) /* DNS 0x20 */
			if (xs(&st) % 2 && q[j] >= 'a' && q[j] <= 'z')
				q[j] ^= 0x20;
		got = dom_entry(s, q);
		cr_assert_eq(got, best, "%s: got entry %d, want %d", q, got, best);
	}
	match_free(s);
	free(t);
	free(txt);
}

/* Random bytes never crash a lookup, and anything that is not a name is refused. */
Test(match, random_input_is_refused_or_matched)
{
	static const struct tent t[] = {
	    {RULE_SUFFIX, "a", 0},
	    {RULE_URL, "a/x", 0},
	};
	struct match_snapshot *s = build(t, 2, NULL, 1, NULL, 0);
	uint64_t st = 0x9e3779b97f4a7c15ull;
	char buf[300];
	int k;

	for (k = 0; k < 200000; k++) {
		size_t n = xs(&st) % sizeof(buf), i;
		int r;

		for (i = 0; i < n; i++) {
			uint64_t x = xs(&st);

			/* Mostly name-like bytes, with dots and anything else mixed in. */
			buf[i] = x % 4 == 0 ? '.' : x % 7 == 0 ? (char)(x >> 8) : "aA0-_"[x % 5];
		}
		if (n > 0 && xs(&st) % 2)
			buf[n - 1] = 'a';
		r = match_domain(s, buf, n, NOW, NULL);
		cr_assert(r == MATCH_NONE || r == MATCH_BLOCK);
		r = match_url(s, buf, n, buf, n, NOW, NULL);
		cr_assert(r == MATCH_NONE || r == MATCH_BLOCK);
	}
	match_free(s);
}
