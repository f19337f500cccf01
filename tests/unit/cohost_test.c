/* Unit tests for cohost.c: names on one address grouped by registrable domain, and the hold decision. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cohost.h"
#include "fileio.h"
#include "psl.h"

static struct psl *
load_psl(void)
{
	const char *path = "../data/rules/psl.dat";
	char err[256], *buf;
	struct psl *p;
	size_t len;

	cr_assert_eq(file_read_capped(path, 1 << 20, &buf, &len, err, sizeof err), 0, "%s", err);
	cr_assert_eq(psl_parse(buf, len, path, &p, err, sizeof err), 0, "%s", err);
	free(buf);
	return p;
}

/* The normal form of s, or "-" if it is no host name. */
static const char *
norm(const char *s)
{
	static char out[1100];
	if (cohost_normalise(s, strlen(s), out, sizeof(out)) < 0)
		return "-";
	return out;
}

Test(cohost, normal_form_case_dot_port_idn)
{
	cr_assert_str_eq(norm("WWW.Example.COM"), "www.example.com");
	cr_assert_str_eq(norm("www.example.com."), "www.example.com");
	cr_assert_str_eq(norm("www.example.com:8080"), "www.example.com");
	cr_assert_str_eq(norm("b\xc3\xbc\x63her.example"), "xn--bcher-kva.example");
	cr_assert_str_eq(norm("XN--BCHER-KVA.example"), "xn--bcher-kva.example");
	cr_assert_str_eq(norm("B\xc3\xbc"
			      "CHER.example"),
	    "xn--bcher-kva.example", "ASCII letters of a U-label are folded before encoding");
	cr_assert_str_eq(norm("192.0.2.7"), "192.0.2.7");
	cr_assert_str_eq(norm("[2001:DB8::1]:443"), "[2001:db8::1]");
	cr_assert_str_eq(norm("a..example"), "-");
	cr_assert_str_eq(norm(".example"), "-");
	cr_assert_str_eq(norm(""), "-");
	cr_assert_str_eq(norm("a b.example"), "-");
	cr_assert_str_eq(norm("a.example:80x"), "-");
	cr_assert_str_eq(norm("[::1]x"), "-");
	cr_assert_str_eq(norm("\xff.example"), "-", "not UTF-8");
	char longlabel[80];
	memset(longlabel, 'a', 64);
	strcpy(longlabel + 64, ".example");
	cr_assert_str_eq(norm(longlabel), "-", "a label over 63 bytes");
}

static const char *
reg(const struct psl *p, const char *name)
{
	return name + cohost_registrable(p, name, strlen(name));
}

Test(cohost, registrable_domains)
{
	struct psl *p = load_psl();

	cr_assert_str_eq(reg(p, "www.bbc.co.uk"), "bbc.co.uk");
	cr_assert_str_eq(reg(p, "a.b.bbc.co.uk"), "bbc.co.uk");
	cr_assert_str_eq(reg(p, "bbc.co.uk"), "bbc.co.uk");
	cr_assert_str_eq(reg(p, "co.uk"), "co.uk", "a public suffix is its own group");
	cr_assert_str_eq(reg(p, "cdn.shop.com"), "shop.com");
	cr_assert_str_eq(reg(p, "x.y.foo.ck"), "y.foo.ck", "wildcard *.ck");
	cr_assert_str_eq(reg(p, "a.www.ck"), "www.ck", "exception !www.ck");
	cr_assert_str_eq(reg(p, "alice.pages.host.example"), "alice.pages.host.example",
	    "private suffixes: each tenant is its own domain");
	cr_assert_str_eq(reg(p, "www.xn--bcher-kva.example"), "xn--bcher-kva.example");
	cr_assert_str_eq(reg(p, "a.b.unknowntld"), "b.unknowntld", "the implicit * rule");
	cr_assert_str_eq(reg(p, "192.0.2.7"), "192.0.2.7");
	cr_assert_str_eq(reg(NULL, "a.b.bbc.co.uk"), "co.uk", "without a list: two labels");
	psl_free(p);
}

#define ADD(c, p, name, listed, sub) \
	cr_assert_eq(cohost_add(c, p, name, strlen(name), listed, sub), 0)

Test(cohost, grouping_counting_and_top)
{
	struct psl *p = load_psl();
	struct cohost c;

	cohost_init(&c, 0, 0);
	ADD(&c, p, "pirate.test", 1, 1);
	ADD(&c, p, "cdn.pirate.test", 0, 2); /* unlisted name of a listed domain */
	ADD(&c, p, "WWW.Shop.com", 0, 1);
	ADD(&c, p, "www.shop.com.", 0, 3);
	ADD(&c, p, "img.shop.com", 0, 3);
	ADD(&c, p, "news.co.uk", 0, 4);
	ADD(&c, p, "b\xc3\xbc\x63her.example", 0, 4);
	ADD(&c, p, "www.xn--bcher-kva.example", 0, 4);
	cr_assert_eq(cohost_add(&c, p, NULL, 0, 0, 5), 0, "a flow without a name");
	cr_assert_eq(cohost_add(&c, p, "bad name", 8, 0, 5), 0);

	cr_assert_eq(c.flows, 10);
	cr_assert_eq(c.unreadable, 1);
	cr_assert_eq(c.nnames, 7, "case and the trailing dot fold");
	cr_assert_eq(c.nsubs, 5);

	struct cohost_domain d[8];
	size_t n = cohost_domains(&c, 0, d, 8);
	cr_assert_eq(n, 4);
	cr_assert_str_eq(d[0].domain, "shop.com");
	cr_assert_eq(d[0].flows, 3);
	cr_assert_eq(d[0].names, 2);
	cr_assert_not(d[0].listed);
	cr_assert_str_eq(d[1].domain, "pirate.test");
	cr_assert(d[1].listed, "one listed name makes its domain listed");
	cr_assert_str_eq(
	    d[2].domain, "xn--bcher-kva.example", "U-label and A-label group together");
	cr_assert_str_eq(d[3].domain, "news.co.uk");

	cr_assert_eq(cohost_unlisted(&c), 3);
	n = cohost_domains(&c, 1, d, 2);
	cr_assert_eq(n, 3, "all unlisted domains are counted");
	cr_assert_str_eq(d[0].domain, "shop.com");
	cr_assert_str_eq(d[1].domain, "xn--bcher-kva.example");

	const struct cohost_name *t[4];
	cr_assert_eq(cohost_top(&c, 1, t, 4), 1);
	cr_assert_str_eq(t[0]->name, "pirate.test");
	cr_assert_eq(cohost_top(&c, 0, t, 2), 6);
	cr_assert_str_eq(t[0]->name, "www.shop.com");
	cr_assert_eq(t[0]->flows, 2);
	cohost_free(&c);
	psl_free(p);
}

Test(cohost, bounds)
{
	struct cohost c;
	char name[32];

	cohost_init(&c, 4, 3);
	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "s%d.example", i);
		ADD(&c, NULL, name, 0, (uint64_t)(i % 5) + 1);
	}
	ADD(&c, NULL, "s0.example", 0, 1);
	cr_assert_eq(c.nnames, 4);
	cr_assert_eq(c.names_over, 6);
	cr_assert_eq(c.names[0].flows, 2, "a kept name still counts past the cap");
	cr_assert_eq(c.nsubs, 3);
	cr_assert(c.subs_over);
	cr_assert_eq(c.flows, 11);
	cohost_free(&c);
}

Test(cohost, decision)
{
	struct psl *p = load_psl();
	struct cohost c;
	char name[32];

	cohost_init(&c, 0, 0);
	cr_assert_eq(cohost_decide(&c, 3, 0), COHOST_ENFORCE, "no traffic: nothing seen to spare");
	ADD(&c, p, "pirate.test", 1, 1);
	ADD(&c, p, "www.pirate.test", 0, 1);
	cr_assert_eq(cohost_decide(&c, 0, 0), COHOST_ENFORCE, "only the listed service");
	for (int i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "www.other%d.com", i);
		ADD(&c, p, name, 0, 2);
		snprintf(name, sizeof(name), "img.other%d.com", i);
		ADD(&c, p, name, 0, 2);
	}
	cr_assert_eq(cohost_unlisted(&c), 3);
	cr_assert_eq(cohost_decide(&c, 3, 0), COHOST_ENFORCE, "at the limit: enforced");
	ADD(&c, p, "www.other3.com", 0, 3);
	cr_assert_eq(cohost_decide(&c, 3, 0), COHOST_HOLD, "over the limit: held");
	cr_assert_eq(cohost_decide(&c, 3, 1), COHOST_ENFORCE, "the order says shared yes");
	cohost_free(&c);
	psl_free(p);
}
