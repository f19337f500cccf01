/* Unit tests for the public suffix list, the allowlist parser and the overblocking safeguards. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allowlist.h"
#include "build.h"
#include "fileio.h"
#include "psl.h"
#include "rulefmt.h"
#include "safeguard.h"

static struct psl *
load_psl(const char *path)
{
	char err[256], *buf;
	struct psl *p;
	size_t len;

	cr_assert_eq(file_read_capped(path, 1 << 24, &buf, &len, err, sizeof err), 0, "%s", err);
	cr_assert_eq(psl_parse(buf, len, path, &p, err, sizeof err), 0, "%s", err);
	free(buf);
	return p;
}

#define IS(p, n)      psl_is_suffix(p, n, strlen(n))
#define COVERED(p, n) psl_covered(p, n, strlen(n))

Test(rules_safeguard, public_suffix_rules)
{
	struct psl *p = load_psl("../data/rules/psl.dat");

	cr_assert(IS(p, "uk"));
	cr_assert(IS(p, "co.uk"));
	cr_assert_not(IS(p, "bbc.co.uk"));
	cr_assert(IS(p, "anything"), "the implicit * rule makes every TLD a suffix");
	cr_assert(IS(p, "foo.ck"), "wildcard *.ck");
	cr_assert_not(IS(p, "www.ck"), "exception !www.ck");
	cr_assert_not(IS(p, "a.foo.ck"));
	cr_assert(IS(p, "xn--55qx5d.cn"), "U-label rule read as its A-label");
	cr_assert(IS(p, "pages.host.example"));
	cr_assert_not(IS(p, "x.example"));
	cr_assert_str_eq(COVERED(p, "host.example"), "pages.host.example");
	cr_assert_str_eq(COVERED(p, "cloud.test"), "s3.cloud.test");
	cr_assert_str_eq(COVERED(p, "ck"), "*.ck");
	cr_assert_null(COVERED(p, "x.example"));
	cr_assert_null(COVERED(p, "www.ck"));
	psl_free(p);
}

Test(rules_safeguard, debian_public_suffix_list)
{
	struct psl *p = load_psl(PSL_DEFAULT_PATH);

	cr_assert_gt(psl_rules(p), 5000);
	cr_assert(IS(p, "co.uk"));
	cr_assert(IS(p, "github.io"));
	cr_assert_not(IS(p, "example.co.uk"));
	cr_assert_not_null(COVERED(p, "amazonaws.com"));
	cr_assert(IS(p, "xn--55qx5d.cn"));
	psl_free(p);
}

Test(rules_safeguard, bad_public_suffix_list)
{
	struct psl *p;
	char err[256];

	cr_assert_eq(psl_parse("com\n*.a*b\n", 10, "p.dat", &p, err, sizeof err), -1);
	cr_assert_str_eq(err, "p.dat:2: not a public suffix rule");
	cr_assert_eq(psl_parse("// nothing\n", 11, "p.dat", &p, err, sizeof err), -1);
	cr_assert_str_eq(err, "p.dat: holds no rules");
}

static const char order_x[] = "order CL-1\nauthority Court\ndate 2026-01-01\nservice X\n"
			      "not-before 2026-01-01T00:00:00Z\nnot-after 2030-01-01T00:00:00Z\n"
			      "notice Blocked.\nnotice-url https://orders.example/CL-1\n";

/* A list from one order file: the order_x header with the given wide flag and entries. */
static struct rulelist *
list_of(const char *wide, const char *entries)
{
	struct build_header h = {"Regulator", "test", 1, 0, 4102444800, NULL};
	struct builder *b = builder_create();
	char text[4096], err[512], *out;
	struct rulelist *l;
	size_t len;

	snprintf(text, sizeof text, "%swide %s\n%s", order_x, wide, entries);
	cr_assert_eq(
	    builder_add_order(b, text, strlen(text), "o.order", err, sizeof err), 0, "%s", err);
	out = builder_finish(b, &h, &len, err, sizeof err);
	cr_assert_not_null(out, "%s", err);
	cr_assert_eq(rulelist_parse(out, len, "t.list", NULL, &l, err, sizeof err), 0, "%s", err);
	free(out);
	builder_free(b);
	return l;
}

static struct allowlist *
allow_of(const char *text)
{
	struct allowlist *a;
	char err[512];

	cr_assert_eq(
	    allowlist_parse(text, strlen(text), "allow", &a, err, sizeof err), 0, "%s", err);
	return a;
}

/* Runs the safeguards; returns the report, l keeps what survived. */
static struct safeguard_report
run(struct rulelist *l, const char *allow)
{
	struct psl *p = load_psl("../data/rules/psl.dat");
	struct safeguard_report rep = {NULL, 0};
	struct allowlist *a = allow_of(allow ? allow : "");

	cr_assert_eq(safeguard_apply(l, "t.list", p, a->entries, a->n, &rep), 0);
	allowlist_free(a);
	psl_free(p);
	return rep;
}

static int
has(const struct safeguard_report *rep, int reason, const char *text)
{
	size_t i;

	for (i = 0; i < rep->n; i++)
		if (rep->items[i].reason == reason && strstr(rep->items[i].msg, text))
			return 1;
	return 0;
}

Test(rules_safeguard, public_suffix_entries_refused)
{
	struct rulelist *l = list_of("no",
	    "suffix co.uk\nsuffix uk\ndomain co.uk\nsuffix foo.ck\n"
	    "suffix host.example\nurl co.uk/x\nsuffix bbc.co.uk\n"
	    "suffix www.ck\ndomain example\n");
	struct safeguard_report rep = run(l, NULL);

	cr_assert(has(&rep, SAFEGUARD_PUBLIC_SUFFIX,
	    "suffix co.uk (order CL-1): refused: co.uk is a public suffix"));
	cr_assert(has(&rep, SAFEGUARD_PUBLIC_SUFFIX, "suffix uk (order CL-1)"));
	cr_assert(has(&rep, SAFEGUARD_PUBLIC_SUFFIX, "domain co.uk"));
	cr_assert(has(&rep, SAFEGUARD_PUBLIC_SUFFIX, "suffix foo.ck"));
	cr_assert(has(&rep, SAFEGUARD_PUBLIC_SUFFIX, "url co.uk/x"));
	cr_assert(has(&rep, SAFEGUARD_PUBLIC_SUFFIX, "domain example"));
	cr_assert(has(&rep, SAFEGUARD_COVERS_SUFFIX,
	    "suffix host.example (order CL-1): refused: covers the public suffix "
	    "pages.host.example"));
	cr_assert_eq(rep.n, 7);
	cr_assert_eq(l->nentries, 2); /* bbc.co.uk and www.ck stay */
	cr_assert_str_eq(l->entries[0].name, "bbc.co.uk");
	cr_assert_str_eq(l->entries[1].name, "www.ck");
	safeguard_report_free(&rep);
	rulelist_free(l);
}

Test(rules_safeguard, wide_prefixes_need_the_order)
{
	struct rulelist *l = list_of("no",
	    "prefix 192.0.0.0/23\nprefix 198.51.100.0/24\n"
	    "prefix 2001:db8::/47\nprefix 2001:db8:1::/48\n");
	struct safeguard_report rep = run(l, NULL);

	cr_assert_eq(rep.n, 2);
	cr_assert(has(&rep, SAFEGUARD_WIDE_PREFIX,
	    "prefix 192.0.0.0/23 (order CL-1): refused: prefix wider than /24 and the order does "
	    "not say 'wide yes'"));
	cr_assert(has(&rep, SAFEGUARD_WIDE_PREFIX, "prefix 2001:db8::/47"));
	cr_assert_eq(l->nentries, 2);
	safeguard_report_free(&rep);
	rulelist_free(l);
	l = list_of("yes", "prefix 192.0.0.0/23\nprefix 2001:db8::/47\n");
	rep = run(l, NULL);
	cr_assert_eq(rep.n, 0);
	cr_assert_eq(l->nentries, 2);
	safeguard_report_free(&rep);
	rulelist_free(l);
}

Test(rules_safeguard, allowlist_overlaps_refused)
{
	struct rulelist *l = list_of("no",
	    "suffix x.example\ndomain a.cdn.example\n"
	    "domain safe.example\nsuffix safe.example\n"
	    "ip 192.0.2.5\nprefix 198.51.100.0/24\nip 203.0.113.9\n"
	    "url shop.cdn.example/x\ndomain other.example\n"
	    "ip 2001:db8::1\n");
	struct safeguard_report rep = run(l,
	    "# local services\n"
	    "domain mail.x.example\n"
	    "suffix cdn.example\n"
	    "domain safe.example\n"
	    "prefix 192.0.2.0/28\n"
	    "ip 198.51.100.77\n"
	    "prefix 2001:db8::/64\n");

	cr_assert(has(&rep, SAFEGUARD_ALLOWLIST,
	    "suffix x.example (order CL-1): refused: covers the local allowlist entry domain "
	    "mail.x.example (allowlist line 2)"));
	cr_assert(has(&rep, SAFEGUARD_ALLOWLIST,
	    "domain a.cdn.example (order CL-1): refused: overlaps the local allowlist entry suffix "
	    "cdn.example"));
	cr_assert(has(&rep, SAFEGUARD_ALLOWLIST, "domain safe.example"));
	cr_assert(has(&rep, SAFEGUARD_ALLOWLIST, "suffix safe.example"));
	cr_assert(has(&rep, SAFEGUARD_ALLOWLIST,
	    "ip 192.0.2.5 (order CL-1): refused: overlaps the local allowlist entry prefix "
	    "192.0.2.0/28 (allowlist line 5)"));
	cr_assert(has(&rep, SAFEGUARD_ALLOWLIST, "prefix 198.51.100.0/24"));
	cr_assert(has(&rep, SAFEGUARD_ALLOWLIST, "url shop.cdn.example/x"));
	cr_assert(has(&rep, SAFEGUARD_ALLOWLIST, "ip 2001:db8::1"));
	cr_assert_eq(rep.n, 8);
	cr_assert_eq(l->nentries, 2);
	cr_assert_str_eq(l->entries[0].name, "other.example");
	cr_assert_eq(l->entries[1].type, RULE_IPV4);
	cr_assert_eq(l->entries[1].addr[3], 9);
	safeguard_report_free(&rep);
	rulelist_free(l);
}

static void
allow_bad(const char *text, const char *want)
{
	struct allowlist *a = NULL;
	char err[512];

	cr_assert_eq(allowlist_parse(text, strlen(text), "allow", &a, err, sizeof err), -1,
	    "accepted: %s", text);
	cr_assert_null(a);
	cr_assert_not_null(strstr(err, want), "'%s' lacks '%s'", err, want);
}

Test(rules_safeguard, allowlist_parser)
{
	struct allowlist *a =
	    allow_of("# comment\n\n  domain a.example  \nsuffix b.example\n"
		     "prefix 192.0.2.0/24\nip 2001:db8::1\n\t# indented comment\n");

	cr_assert_eq(a->n, 4);
	cr_assert_eq(a->entries[0].type, RULE_DOMAIN);
	cr_assert_str_eq(a->entries[0].name, "a.example");
	cr_assert_eq(a->entries[0].line, 3);
	cr_assert_eq(a->entries[1].type, RULE_SUFFIX);
	cr_assert_eq(a->entries[2].plen, 24);
	cr_assert_eq(a->entries[3].type, RULE_IPV6);
	allowlist_free(a);
	allow_bad(
	    "domain a.example\nhost b.example\n", "allow:2: host b.example: unknown entry kind");
	allow_bad("domain A.example\n", "allow:1: domain A.example: uppercase 'A'");
	allow_bad(
	    "prefix 192.0.2.1/24\n", "allow:1: prefix 192.0.2.1/24: prefix has host bits set");
	allow_bad("domain a.example b.example\n", "allow:1: one entry a line");
	allow_bad("domain a.example # why\n", "allow:1: one entry a line");
	allow_bad("url a.example/x\n", "allow:1: url entries cannot be allowlisted");
	allow_bad("domain a.example\r\n", "allow:1: carriage return");
	allow_bad("domain\n", "allow:1: expected 'KIND VALUE'");
	allow_bad("domain b\xc3\xbc.example\n", "allow:1: control or non-ASCII byte");
}
