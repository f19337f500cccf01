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
#include "strset.h"

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

/* A list from one order file: the order_x header with the given fields and entries. */
static struct rulelist *
list_with(const char *fields, const char *entries)
{
	struct build_header h = {"Regulator", "test", 1, 0, 4102444800, NULL};
	struct builder *b = builder_create();
	char text[4096], err[512], *out;
	struct rulelist *l;
	size_t len;

	snprintf(text, sizeof text, "%s%s%s", order_x, fields, entries);
	cr_assert_eq(
	    builder_add_order(b, text, strlen(text), "o.order", err, sizeof err), 0, "%s", err);
	out = builder_finish(b, &h, &len, err, sizeof err);
	cr_assert_not_null(out, "%s", err);
	cr_assert_eq(rulelist_parse(out, len, "t.list", NULL, &l, err, sizeof err), 0, "%s", err);
	free(out);
	builder_free(b);
	return l;
}

/* The same with only the wide flag given. */
static struct rulelist *
list_of(const char *wide, const char *entries)
{
	char fields[32];

	snprintf(fields, sizeof fields, "wide %s\n", wide);
	return list_with(fields, entries);
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

/*
 * Runs the safeguards with the allowlist and shared-infrastructure texts given
 * (NULL for none) and documentation ranges allowed or not; returns the report,
 * l keeps what survived.
 */
static struct safeguard_report
run_with(struct rulelist *l, const char *allow, const char *shared, int documentation)
{
	struct psl *p = load_psl("../data/rules/psl.dat");
	struct safeguard_report rep = {NULL, 0};
	struct allowlist *a = allow_of(allow ? allow : "");
	struct allowlist *sh = shared ? allow_of(shared) : NULL;
	struct safeguard_input in = {
	    .psl = p, .allow = a->entries, .nallow = a->n, .documentation = documentation};

	if (sh) {
		in.shared[0] = (struct safeguard_source){"shared", sh->entries, sh->n};
		in.nshared = 1;
	}
	cr_assert_eq(safeguard_apply(l, "t.list", &in, &rep), 0);
	allowlist_free(a);
	allowlist_free(sh);
	psl_free(p);
	return rep;
}

/* The test lists' addresses are documentation addresses: allowed here. */
static struct safeguard_report
run(struct rulelist *l, const char *allow)
{
	return run_with(l, allow, NULL, 1);
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
	    "prefix 203.0.112.0/23\nprefix 198.51.100.0/24\n"
	    "prefix 2001:db8::/47\nprefix 2001:db8:1::/48\n");
	struct safeguard_report rep = run(l, NULL);

	cr_assert_eq(rep.n, 2);
	cr_assert(has(&rep, SAFEGUARD_WIDE_PREFIX,
	    "prefix 203.0.112.0/23 (order CL-1): refused: prefix is wider than /24 and the order "
	    "does not say 'wide yes'"));
	cr_assert(has(&rep, SAFEGUARD_WIDE_PREFIX, "prefix 2001:db8::/47"));
	cr_assert_eq(l->nentries, 2);
	safeguard_report_free(&rep);
	rulelist_free(l);
	l = list_of("yes", "prefix 203.0.112.0/23\nprefix 2001:db8::/47\n");
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
	    "ip 192.0.2.5 (order CL-1): refused: it overlaps the local allowlist entry prefix "
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

Test(rules_safeguard, special_use_ranges_refused_whatever_the_order)
{
	struct rulelist *l = list_with("wide yes\nshared yes\n",
	    "ip 127.0.0.1\nprefix 10.0.0.0/8\nip 169.254.1.1\nip 224.0.0.251\n"
	    "ip 255.255.255.255\nip 100.64.0.1\nip ::1\nprefix fe80::/64\nprefix fd00::/48\n"
	    "ip ff02::1\nip 192.0.2.1\nip 2001:db8::1\nip 4.4.4.4\n");
	struct safeguard_report rep = run_with(l, NULL, NULL, 0);

	cr_assert(has(&rep, SAFEGUARD_SPECIAL_USE,
	    "ip 127.0.0.1 (order CL-1): refused: it overlaps the special-use range 127.0.0.0/8, "
	    "loopback (RFC 1122), which no order can mean"));
	cr_assert(has(&rep, SAFEGUARD_SPECIAL_USE, "prefix 10.0.0.0/8"));
	cr_assert(has(&rep, SAFEGUARD_SPECIAL_USE, "ip 169.254.1.1"));
	cr_assert(has(&rep, SAFEGUARD_SPECIAL_USE, "ip 224.0.0.251"));
	cr_assert(has(&rep, SAFEGUARD_SPECIAL_USE, "ip 255.255.255.255"));
	cr_assert(has(&rep, SAFEGUARD_SPECIAL_USE, "ip 100.64.0.1"));
	cr_assert(has(&rep, SAFEGUARD_SPECIAL_USE, "ip ::1"));
	cr_assert(has(&rep, SAFEGUARD_SPECIAL_USE, "prefix fe80::/64"));
	cr_assert(has(&rep, SAFEGUARD_SPECIAL_USE, "prefix fd00::/48"));
	cr_assert(has(&rep, SAFEGUARD_SPECIAL_USE, "ip ff02::1"));
	cr_assert(has(&rep, SAFEGUARD_SPECIAL_USE,
	    "ip 192.0.2.1 (order CL-1): refused: it "
	    "overlaps the special-use range 192.0.2.0/24, "
	    "documentation"));
	cr_assert(has(&rep, SAFEGUARD_SPECIAL_USE, "ip 2001:db8::1"));
	cr_assert_eq(rep.n, 12);
	cr_assert_eq(l->nentries, 1, "only 4.4.4.4 stays");
	safeguard_report_free(&rep);
	rulelist_free(l);

	/* A test bed may allow the documentation ranges, and only those. */
	l = list_of("no", "ip 192.0.2.1\nip 2001:db8::1\nip 127.0.0.1\n");
	rep = run_with(l, NULL, NULL, 1);
	cr_assert_eq(rep.n, 1);
	cr_assert(has(&rep, SAFEGUARD_SPECIAL_USE, "ip 127.0.0.1"));
	safeguard_report_free(&rep);
	rulelist_free(l);
}

Test(rules_safeguard, absolute_limit_no_order_passes)
{
	struct rulelist *l = list_of("yes",
	    "prefix 0.0.0.0/0\nprefix ::/0\nprefix 4.0.0.0/7\nprefix 2a00::/15\n"
	    "prefix 4.0.0.0/8\nprefix 2a00::/16\n");
	struct safeguard_report rep = run_with(l, NULL, NULL, 0);

	cr_assert(has(&rep, SAFEGUARD_TOO_WIDE,
	    "prefix 0.0.0.0/0 (order CL-1): refused: it is wider than /8, which no order can "
	    "pass"));
	cr_assert(has(&rep, SAFEGUARD_TOO_WIDE,
	    "prefix ::/0 (order CL-1): refused: it is wider "
	    "than /16"));
	cr_assert(has(&rep, SAFEGUARD_TOO_WIDE, "prefix 4.0.0.0/7"));
	cr_assert(has(&rep, SAFEGUARD_TOO_WIDE, "prefix 2a00::/15"));
	cr_assert_eq(rep.n, 4);
	cr_assert_eq(l->nentries, 2, "a /8 and a /16 pass with 'wide yes'");
	safeguard_report_free(&rep);
	rulelist_free(l);
}

Test(rules_safeguard, embedded_ipv4_checked_as_ipv4)
{
	/* 198.51.100.5 is c633:6405; 203.0.113.7 is cb00:7107; 8.8.8.8 is 808:808. */
	struct rulelist *l = list_of("no",
	    "prefix 64:ff9b::/96\nprefix 64:ff9b:1::/48\nip 64:ff9b::c633:6405\n"
	    "ip ::ffff:198.51.100.5\nprefix 2002:c633:6405::/48\nprefix 64:ff9b::c633:0/112\n"
	    "ip 64:ff9b::808:808\nip 64:ff9b::7f00:1\nip 64:ff9b::cb00:7107\n"
	    "ip 2002:cb00:7107::1\n");
	struct safeguard_report rep = run_with(l, "ip 198.51.100.5\n", "prefix 8.8.8.0/24\n", 1);

	cr_assert(has(&rep, SAFEGUARD_TOO_WIDE,
	    "prefix 64:ff9b::/96 (order CL-1): refused: the IPv4 0.0.0.0/0 it embeds through the "
	    "NAT64 well-known prefix 64:ff9b::/96 (RFC 6052) is wider than /8"));
	cr_assert(has(&rep, SAFEGUARD_TOO_WIDE,
	    "prefix 64:ff9b:1::/48 (order CL-1): refused: "
	    "the IPv4 0.0.0.0/0 it embeds through the NAT64 "
	    "local-use prefix"));
	cr_assert(has(&rep, SAFEGUARD_ALLOWLIST,
	    "ip 64:ff9b::c633:6405 (order CL-1): refused: the IPv4 198.51.100.5 it embeds "
	    "through the NAT64 well-known prefix 64:ff9b::/96 (RFC 6052) overlaps the local "
	    "allowlist entry ip 198.51.100.5"));
	cr_assert(has(&rep, SAFEGUARD_ALLOWLIST,
	    "ip ::ffff:198.51.100.5 (order CL-1): refused: "
	    "the IPv4 198.51.100.5 it embeds through the "
	    "IPv4-mapped prefix"));
	cr_assert(has(&rep, SAFEGUARD_ALLOWLIST,
	    "prefix 2002:c633:6405::/48 (order CL-1): "
	    "refused: the IPv4 198.51.100.5 it embeds "
	    "through the 6to4 prefix"));
	cr_assert(has(&rep, SAFEGUARD_WIDE_PREFIX,
	    "prefix 64:ff9b::c633:0/112 (order CL-1): refused: the IPv4 198.51.0.0/16 it embeds "
	    "through the NAT64 well-known prefix 64:ff9b::/96 (RFC 6052) is wider than /24"));
	cr_assert(has(&rep, SAFEGUARD_SHARED,
	    "ip 64:ff9b::808:808 (order CL-1): refused: the "
	    "IPv4 8.8.8.8 it embeds"));
	cr_assert(has(&rep, SAFEGUARD_SPECIAL_USE,
	    "ip 64:ff9b::7f00:1 (order CL-1): refused: the "
	    "IPv4 127.0.0.1 it embeds"));
	cr_assert_eq(rep.n, 8);
	cr_assert_eq(l->nentries, 2, "203.0.113.7 through NAT64 and 6to4 stays");
	safeguard_report_free(&rep);
	rulelist_free(l);
}

Test(rules_safeguard, shared_infrastructure_needs_the_order)
{
	static const char shared[] = "# CDN and storage\nsuffix google.com\n"
				     "domain storage.googleapis.com\nprefix 104.16.0.0/13\n"
				     "prefix 2606:4700::/32\n";
	static const char entries[] = "domain google.com\nsuffix drive.google.com\n"
				      "domain storage.googleapis.com\nsuffix googleapis.com\n"
				      "domain bucket.storage.googleapis.com\n"
				      "url drive.google.com/file/d/x\nip 104.16.1.1\n"
				      "prefix 104.0.0.0/8\nip 2606:4700::6810:1\nip 4.4.4.4\n";
	struct rulelist *l = list_of("yes", entries);
	struct safeguard_report rep = run_with(l, NULL, shared, 0);

	cr_assert(has(&rep, SAFEGUARD_SHARED,
	    "domain google.com (order CL-1): refused: is the shared infrastructure name "
	    "google.com (shared:2), which carries unrelated services; only an order saying "
	    "'shared yes' may block it"));
	cr_assert(has(&rep, SAFEGUARD_SHARED,
	    "suffix drive.google.com (order CL-1): refused: is below the shared infrastructure "
	    "name google.com (shared:2)"));
	cr_assert(has(&rep, SAFEGUARD_SHARED, "domain storage.googleapis.com"));
	cr_assert(has(&rep, SAFEGUARD_SHARED,
	    "suffix googleapis.com (order CL-1): refused: is above the shared infrastructure name "
	    "storage.googleapis.com (shared:3)"));
	cr_assert(has(&rep, SAFEGUARD_SHARED,
	    "ip 104.16.1.1 (order CL-1): refused: it overlaps the shared infrastructure prefix "
	    "104.16.0.0/13 (shared:4)"));
	cr_assert(has(&rep, SAFEGUARD_SHARED, "prefix 104.0.0.0/8"));
	cr_assert(has(&rep, SAFEGUARD_SHARED, "ip 2606:4700::6810:1"));
	cr_assert_eq(rep.n, 7);
	cr_assert_eq(l->nentries, 3, "one bucket, one URL and 4.4.4.4 stay");
	safeguard_report_free(&rep);
	rulelist_free(l);

	l = list_with("wide yes\nshared yes\n", entries);
	rep = run_with(l, NULL, shared, 0);
	cr_assert_eq(rep.n, 0, "'shared yes': the regulator accepts it");
	cr_assert_eq(l->nentries, 10);
	cr_assert(l->orders[0].allow_shared);
	safeguard_report_free(&rep);
	rulelist_free(l);
}

Test(rules_safeguard, shipped_shared_infrastructure_list)
{
	char err[512], *buf;
	struct allowlist *a;
	size_t len;

	cr_assert_eq(file_read_capped("../../packaging/shared-infrastructure", 1 << 20, &buf, &len,
			 err, sizeof err),
	    0, "%s", err);
	cr_assert_eq(
	    allowlist_parse(buf, len, "shared-infrastructure", &a, err, sizeof err), 0, "%s", err);
	free(buf);
	cr_assert_gt(a->n, 50);
	allowlist_free(a);
	{
		struct rulelist *l = list_of("no",
		    "domain drive.google.com\nip 1.1.1.1\nip 8.8.8.8\nsuffix windows.net\n"
		    "domain cloudflare.net\nip 104.16.132.229\nip 2001:4860:4860::8888\n"
		    "domain deepfakes.example.org\n");
		struct safeguard_report rep;

		cr_assert_eq(file_read_capped("../../packaging/shared-infrastructure", 1 << 20,
				 &buf, &len, err, sizeof err),
		    0);
		cr_assert_eq(allowlist_parse(buf, len, "s", &a, err, sizeof err), 0);
		free(buf);
		{
			struct psl *p = load_psl("../data/rules/psl.dat");
			struct safeguard_input in = {.psl = p};

			in.shared[0] = (struct safeguard_source){"s", a->entries, a->n};
			in.nshared = 1;
			rep = (struct safeguard_report){NULL, 0};
			cr_assert_eq(safeguard_apply(l, "t.list", &in, &rep), 0);
			psl_free(p);
		}
		cr_assert_eq(rep.n, 7, "every shared name and resolver refused");
		cr_assert_eq(l->nentries, 1);
		cr_assert_str_eq(l->entries[0].name, "deepfakes.example.org");
		safeguard_report_free(&rep);
		rulelist_free(l);
		allowlist_free(a);
	}
}

/*
 * A name's suffixes hashed in one pass (strset_name()) are the names the
 * memchr walk finds, longest first, and each looks up what strset_get() of
 * that suffix alone does: in a set of some of them, for odd names too.
 */
Test(rules_safeguard, suffix_hashes_match_one_by_one)
{
	static const char *const names[] = {"b0000001.blocked.example", "com", "a.b.c.d.e.f",
	    "a..b", "a.", ".a", "", "xn--bcher-kva.example", "x.co.uk", "..."};
	struct strset *set = strset_create();
	struct strset_name sn;
	unsigned r = 1;

	cr_assert_not_null(set);
	for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
		const char *name = names[k];
		size_t n = strlen(name), i = 0;
		const char *at = name, *dot;

		strset_name(&sn, name, n);
		for (;;) {
			size_t off = (size_t)(at - name);

			cr_assert_lt(i, sn.n, "%s: suffix %zu missing", name, i);
			cr_assert_eq(sn.off[i], off, "%s: suffix %zu at %u, not %zu", name, i,
			    sn.off[i], off);
			/* Every other suffix goes into the set, with a flag of its own. */
			if ((r = r * 1103515245u + 12345u) & 0x10000)
				cr_assert_eq(
				    strset_add(set, at, n - off, 1u << (i % 8), (uint32_t)k), 0);
			cr_assert_eq(strset_get_suffix(set, &sn, (unsigned)i, NULL),
			    strset_get(set, at, n - off, NULL), "%s: suffix %zu", name, i);
			i++;
			if ((dot = memchr(at, '.', n - off)) == NULL)
				break;
			at = dot + 1;
		}
		cr_assert_eq(sn.n, i, "%s: %u suffixes, not %zu", name, sn.n, i);
	}
	strset_free(set);
}
