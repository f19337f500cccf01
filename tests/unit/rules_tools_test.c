/* Unit tests for what blockrules builds on: the builder, the diff and the RPZ writer. */
#include <criterion/criterion.h>
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "diff.h"
#include "rpz.h"
#include "rulefmt.h"

static const char order_a[] = "# an order\norder CL-2\nauthority Court\ndate 2026-01-01\n"
			      "service X\nnot-before 2026-01-01T00:00:00Z\n"
			      "not-after 2030-01-01T00:00:00Z\nnotice Blocked.\n"
			      "notice-url https://orders.example/CL-2\n\n"
			      "suffix x.example\nip 2001:db8::10\ndomain b.x.example\n"
			      "prefix 2001:db8:100::/48\nip 192.0.2.10\nurl x.example/a%20b\n";
static const char order_b[] =
    "order AB-1\nauthority Regulator\ndate 2026-02-01\nservice Y\n"
    "not-before 2026-02-01T00:00:00Z\nnot-after 2026-03-01T00:00:00Z\n"
    "notice Blocked too.\nnotice-url https://orders.example/AB-1\n"
    "wide yes\ndomain y.example\nsuffix x.example\nprefix 198.51.0.0/16\n";

static char *
build2(const char *a, const char *b, uint64_t serial, const char *prev, size_t *len)
{
	struct build_header h = {"Regulator", "test", serial, 1767225600, 1893456000, prev};
	struct builder *bl = builder_create();
	char err[512], *out;

	cr_assert_eq(builder_add_order(bl, a, strlen(a), "a.order", err, sizeof err), 0, "%s", err);
	if (b)
		cr_assert_eq(
		    builder_add_order(bl, b, strlen(b), "b.order", err, sizeof err), 0, "%s", err);
	out = builder_finish(bl, &h, len, err, sizeof err);
	cr_assert_not_null(out, "%s", err);
	builder_free(bl);
	return out;
}

static struct rulelist *
parse(const char *text, size_t len)
{
	struct rulelist *l;
	char err[512];

	cr_assert_eq(rulelist_parse(text, len, "t.list", NULL, &l, err, sizeof err), 0, "%s", err);
	return l;
}

Test(rules_tools, builder_sorts_into_normal_form)
{
	size_t len;
	char *t = build2(order_a, order_b, 3, NULL, &len);
	struct rulelist *l = parse(t, len);
	const char *want = "domain b.x.example CL-2\n"
			   "domain y.example AB-1\n"
			   "suffix x.example AB-1\n"
			   "suffix x.example CL-2\n"
			   "ip 192.0.2.10 CL-2\n"
			   "ip 2001:db8::10 CL-2\n"
			   "prefix 198.51.0.0/16 AB-1\n"
			   "prefix 2001:db8:100::/48 CL-2\n"
			   "url x.example/a%20b CL-2\n"
			   "end 9\n";

	cr_assert_not_null(strstr(t, want), "%s", t);
	const char *head = "blocklist 1\nissuer Regulator\nscope test\nserial 3\n"
			   "issued 2026-01-01T00:00:00Z\nexpires 2030-01-01T00:00:00Z\n"
			   "orders 2\nentries 9\n\norder AB-1\n";

	cr_assert_eq(strncmp(t, head, strlen(head)), 0, "%s", t);
	cr_assert_str_eq(l->orders[0].ref, "AB-1");
	rulelist_free(l);
	free(t);
}

/* An order file's "divert" key: any separators and order in, the normal form out, and back. */
Test(rules_tools, builder_divert_field)
{
	static const char with[] =
	    "order CL-3\nauthority Court\ndate 2026-01-01\nservice Z\n"
	    "not-before 2026-01-01T00:00:00Z\nnot-after 2030-01-01T00:00:00Z\nnotice Blocked.\n"
	    "notice-url https://orders.example/CL-3\ndivert 203.0.113.9/24, 2001:db8::/32 "
	    "192.0.2.0/25\n"
	    "domain z.example\n";
	size_t len;
	char *t = build2(with, NULL, 4, NULL, &len);
	struct rulelist *l = parse(t, len);

	cr_assert_not_null(
	    strstr(t, "\twide no\n\tdivert 192.0.2.0/25 203.0.113.0/24 2001:db8::/32\n\n"), "%s",
	    t);
	cr_assert_str_eq(l->orders[0].divert, "192.0.2.0/25 203.0.113.0/24 2001:db8::/32");
	rulelist_free(l);
	free(t);
}

static void
build_bad(const char *text, const char *want)
{
	struct builder *b = builder_create();
	char err[512];

	cr_assert_eq(builder_add_order(b, text, strlen(text), "o.order", err, sizeof err), -1);
	cr_assert_not_null(strstr(err, want), "'%s' lacks '%s'", err, want);
	builder_free(b);
}

Test(rules_tools, builder_refuses_bad_input)
{
	struct build_header h = {"Regulator", "test", 3, 1767225600, 1893456000, NULL};
	struct builder *b;
	char err[512], *t;
	size_t len;

	build_bad("order CL-1\n", "o.order: missing 'authority VALUE'");
	build_bad("order CL-1\norder CL-2\n", "o.order:2: 'order' given twice");
	build_bad("domain Bad.example\n", "o.order:1: domain Bad.example: uppercase 'B'");
	build_bad("wide perhaps\n", "o.order:1: wide: wide must be 'yes' or 'no'");
	build_bad("divert 0.0.0.0/0\n", "o.order:1: divert: 0.0.0.0/0: shorter than /8");
	build_bad("divert 203.0.113.0/24 bad\n", "o.order:1: divert: \"bad\" is not an address");
	build_bad("notice caf\xc3\xa9\n", "o.order:1: control or non-ASCII byte");
	t = strdup(order_a);
	*strstr(t, "\nsuffix") = '\0';
	build_bad(t, "o.order: order CL-2 has no entries");
	free(t);
	/* The same entry twice, and the same order in two files. */
	b = builder_create();
	t = malloc(sizeof order_a + 32);
	snprintf(t, sizeof order_a + 32, "%sdomain b.x.example\n", order_a);
	cr_assert_eq(builder_add_order(b, t, strlen(t), "a.order", err, sizeof err), 0, "%s", err);
	cr_assert_null(builder_finish(b, &h, &len, err, sizeof err));
	cr_assert_not_null(
	    strstr(err, "duplicate entry domain b.x.example (also a.order:13)"), "%s", err);
	builder_free(b);
	free(t);
	b = builder_create();
	cr_assert_eq(builder_add_order(b, order_a, strlen(order_a), "a.order", err, sizeof err), 0);
	cr_assert_eq(builder_add_order(b, order_a, strlen(order_a), "c.order", err, sizeof err), 0);
	cr_assert_null(builder_finish(b, &h, &len, err, sizeof err));
	cr_assert_str_eq(err, "order CL-2 is in both a.order and c.order");
	builder_free(b);
}

Test(rules_tools, diff_per_order)
{
	size_t la, lb, add, del;
	char *ta = build2(order_a, NULL, 3, NULL, &la);
	char *tb = build2(order_a, order_b, 4, NULL, &lb);
	struct rulelist *a = parse(ta, la), *b = parse(tb, lb);
	char *d = rulelist_diff(a, b, &add, &del);

	cr_assert_eq(add, 3);
	cr_assert_eq(del, 0);
	cr_assert_not_null(strstr(d, "~ serial 3 -> 4\n"), "%s", d);
	cr_assert_not_null(strstr(d, "+ order AB-1 (Y, Regulator)\n"), "%s", d);
	cr_assert_not_null(strstr(d,
			       "order AB-1:\n+ domain y.example\n+ suffix x.example\n"
			       "+ prefix 198.51.0.0/16\n"),
	    "%s", d);
	free(d);
	d = rulelist_diff(b, a, &add, &del);
	cr_assert_eq(add, 0);
	cr_assert_eq(del, 3);
	cr_assert_not_null(strstr(d, "- order AB-1"), "%s", d);
	free(d);
	d = rulelist_diff(a, a, &add, &del);
	cr_assert_str_eq(d, "");
	free(d);
	rulelist_free(a);
	rulelist_free(b);
	free(ta);
	free(tb);
}

Test(rules_tools, rpz_ip_owners)
{
	struct rule_entry e;
	char buf[128], why[128];

	memset(&e, 0, sizeof e);
	cr_assert_eq(rule_entry_parse_value("ip", 2, "192.0.2.10", 10, &e, why, sizeof why), 0);
	cr_assert_str_eq(rpz_ip_owner(&e, buf, sizeof buf), "32.10.2.0.192.rpz-ip");
	cr_assert_eq(
	    rule_entry_parse_value("prefix", 6, "2001:db8::/32", 13, &e, why, sizeof why), 0);
	cr_assert_str_eq(rpz_ip_owner(&e, buf, sizeof buf), "32.zz.db8.2001.rpz-ip");
	cr_assert_eq(
	    rule_entry_parse_value("ip", 2, "2001:db8:0:1:0:0:0:1", 20, &e, why, sizeof why),
	    -1); /* not normal form */
	cr_assert_eq(
	    rule_entry_parse_value("ip", 2, "2001:db8:0:1::1", 15, &e, why, sizeof why), 0);
	cr_assert_str_eq(rpz_ip_owner(&e, buf, sizeof buf), "128.1.zz.1.0.db8.2001.rpz-ip");
}

Test(rules_tools, rpz_zone_loads_in_ldns)
{
	size_t len, zlen;
	char *t = build2(order_a, order_b, 3, NULL, &len);
	struct rulelist *l = parse(t, len);
	/* 2026-06-01: AB-1 has lapsed, so its entries are left out. */
	char *z = rpz_format(l, "rpz.test.", 1780272000, &zlen);
	ldns_zone *zone = NULL;
	ldns_rr *soa;
	FILE *f;

	cr_assert_not_null(z);
	cr_assert_not_null(strstr(z, "b.x.example CNAME . ; order CL-2\n"), "%s", z);
	cr_assert_not_null(strstr(z, "*.x.example CNAME . ; order CL-2\n"), "%s", z);
	cr_assert_not_null(strstr(z, "; order AB-1 is not in force"), "%s", z);
	cr_assert_null(strstr(z, "y.example"), "%s", z);
	cr_assert_not_null(strstr(z, "32.10.2.0.192.rpz-ip CNAME . ; order CL-2\n"), "%s", z);
	cr_assert_not_null(strstr(z, "48.zz.100.db8.2001.rpz-ip CNAME ."), "%s", z);
	cr_assert_not_null(strstr(z, "; url x.example/a%20b ; order CL-2"), "%s", z);
	f = fmemopen(z, zlen, "r");
	cr_assert_eq(
	    ldns_zone_new_frm_fp(&zone, f, NULL, 0, LDNS_RR_CLASS_IN), LDNS_STATUS_OK, "%s", z);
	fclose(f);
	soa = ldns_zone_soa(zone);
	cr_assert_not_null(soa);
	cr_assert_eq(ldns_rdf2native_int32(ldns_rr_rdf(soa, 2)), 3);
	/* NS, 2 for the suffix, 1 domain, 4 addresses. */
	cr_assert_eq(ldns_zone_rr_count(zone), 7, "%zu", ldns_zone_rr_count(zone));
	ldns_zone_deep_free(zone);
	free(z);
	rulelist_free(l);
	free(t);
}

Test(rules_tools, entry_types_one_vocabulary)
{
	static const struct {
		const char *kw, *value, *keyword, *name;
	} cases[] = {
	    {"domain", "a.example", "domain", "domain"},
	    {"suffix", "a.example", "suffix", "suffix"},
	    {"ip", "192.0.2.1", "ip", "ipv4"},
	    {"prefix", "192.0.2.0/24", "prefix", "ipv4"},
	    {"ip", "2001:db8::1", "ip", "ipv6"},
	    {"prefix", "2001:db8::/32", "prefix", "ipv6"},
	    {"url", "a.example/p", "url", "url"},
	};
	struct rule_entry e;
	char why[256];

	cr_assert_eq(RULE_NTYPES, 6);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&e, 0, sizeof e);
		cr_assert_eq(rule_entry_parse_value(cases[i].kw, strlen(cases[i].kw),
				 cases[i].value, strlen(cases[i].value), &e, why, sizeof why),
		    0, "%s %s: %s", cases[i].kw, cases[i].value, why);
		cr_assert_str_eq(rule_entry_keyword(&e), cases[i].keyword);
		cr_assert_str_eq(rule_type_name(e.type), cases[i].name);
	}
	cr_assert_null(rule_type_name(RULE_NONE));
	cr_assert_null(rule_type_name(RULE_NTYPES));
	e.type = RULE_NTYPES;
	cr_assert_str_eq(rule_entry_keyword(&e), "?");
	cr_assert_eq(rule_entry_parse_value("host", 4, "a.example", 9, &e, why, sizeof why), -1);
	cr_assert_str_eq(why, "unknown entry kind (domain, suffix, ip, prefix, url)");
	cr_assert_eq(rule_entry_parse_value("i", 1, "192.0.2.1", 9, &e, why, sizeof why), -1);
	cr_assert_eq(rule_entry_parse_value("ipv4", 4, "192.0.2.1", 9, &e, why, sizeof why), -1);
}
