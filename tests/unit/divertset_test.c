/* Unit tests for divertset.c: the divert set normalised and capped, and BIRD's routes for it. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "divertset.h"

static struct divert_prefix
pfx(const char *s, int source)
{
	struct divert_prefix p;
	char err[128];

	cr_assert_eq(divertset_prefix_parse(s, &p, err, sizeof(err)), 0, "%s: %s", s, err);
	p.source = (uint8_t)source;
	return p;
}

static const char *
text(const struct divert_prefix *p)
{
	static char buf[8][64];
	static int k;

	k = (k + 1) % 8;
	return divertset_prefix_text(p, buf[k], sizeof(buf[k]));
}

Test(divertset, parse_forms_and_errors)
{
	struct divert_prefix p;
	char err[128];

	p = pfx("192.0.2.77/24", DIVERT_LIST);
	cr_assert_str_eq(text(&p), "192.0.2.0/24", "host bits are cleared");
	p = pfx("2001:db8::1", DIVERT_LIST);
	cr_assert_str_eq(text(&p), "2001:db8::1/128");
	p = pfx("0.0.0.0/0", DIVERT_LIST);
	cr_assert_str_eq(text(&p), "0.0.0.0/0");
	cr_assert_eq(divertset_prefix_parse("192.0.2.1/33", &p, err, sizeof(err)), -1);
	cr_assert(strstr(err, "length") != NULL, "%s", err);
	cr_assert_eq(divertset_prefix_parse("192.0.2.1/", &p, err, sizeof(err)), -1);
	cr_assert_eq(divertset_prefix_parse("192.0.2.1/-1", &p, err, sizeof(err)), -1);
	cr_assert_eq(divertset_prefix_parse("example.org", &p, err, sizeof(err)), -1);
	cr_assert_eq(divertset_prefix_parse("", &p, err, sizeof(err)), -1);
	cr_assert_eq(divertset_prefix_parse("2001:db8::/129", &p, err, sizeof(err)), -1);
}

Test(divertset, normalise_sorts_merges_covered)
{
	struct divert_prefix p[] = {
	    pfx("2001:db8:1::5", DIVERT_RESOLVED),
	    pfx("198.51.100.80", DIVERT_RESOLVED),
	    pfx("192.0.2.0/24", DIVERT_CONFIG),
	    pfx("192.0.2.9", DIVERT_LIST),
	    pfx("198.51.100.80", DIVERT_LIST),
	    pfx("198.51.100.81", DIVERT_RESOLVED),
	    pfx("2001:db8::/32", DIVERT_RESOLVED),
	    pfx("10.0.0.0/8", DIVERT_RESOLVED),
	    pfx("10.1.0.0/16", DIVERT_LIST),
	};
	size_t n = divertset_normalise(p, sizeof(p) / sizeof(p[0]));

	cr_assert_eq(n, 5);
	cr_assert_str_eq(text(&p[0]), "10.0.0.0/8");
	cr_assert_eq(
	    p[0].source, DIVERT_LIST, "the covering prefix takes the covered one's source");
	cr_assert_str_eq(text(&p[1]), "192.0.2.0/24");
	cr_assert_eq(p[1].source, DIVERT_LIST);
	cr_assert_str_eq(text(&p[2]), "198.51.100.80/32");
	cr_assert_eq(p[2].source, DIVERT_LIST, "a duplicate keeps the list's source");
	cr_assert_str_eq(text(&p[3]), "198.51.100.81/32");
	cr_assert_eq(p[3].source, DIVERT_RESOLVED);
	cr_assert_str_eq(text(&p[4]), "2001:db8::/32");
	cr_assert_eq(divertset_normalise(p, 0), 0);
}

Test(divertset, normalise_keeps_neighbours_apart)
{
	struct divert_prefix p[] = {
	    pfx("192.0.2.0/25", DIVERT_LIST),
	    pfx("192.0.2.128/25", DIVERT_LIST),
	    pfx("192.0.2.127", DIVERT_RESOLVED),
	    pfx("192.0.3.0", DIVERT_RESOLVED),
	};
	size_t n = divertset_normalise(p, 4);

	cr_assert_eq(n, 3);
	cr_assert_str_eq(text(&p[0]), "192.0.2.0/25");
	cr_assert_str_eq(text(&p[1]), "192.0.2.128/25");
	cr_assert_str_eq(text(&p[2]), "192.0.3.0/32");
}

Test(divertset, cap_keeps_list_first)
{
	struct divert_prefix p[] = {
	    pfx("192.0.2.1", DIVERT_RESOLVED),
	    pfx("192.0.2.2", DIVERT_LIST),
	    pfx("192.0.2.3", DIVERT_RESOLVED),
	    pfx("192.0.2.4", DIVERT_CONFIG),
	    pfx("192.0.2.5", DIVERT_LIST),
	    pfx("192.0.2.6", DIVERT_RESOLVED),
	};
	size_t dropped, n;

	n = divertset_cap(p, 6, 0, &dropped);
	cr_assert_eq(n, 6);
	cr_assert_eq(dropped, 0);
	n = divertset_cap(p, 6, 4, &dropped);
	cr_assert_eq(n, 4);
	cr_assert_eq(dropped, 2);
	cr_assert_str_eq(text(&p[0]), "192.0.2.1/32", "the first resolved one is kept, in order");
	cr_assert_str_eq(text(&p[1]), "192.0.2.2/32");
	cr_assert_str_eq(text(&p[2]), "192.0.2.4/32");
	cr_assert_str_eq(text(&p[3]), "192.0.2.5/32");
	n = divertset_cap(p, 4, 1, &dropped);
	cr_assert_eq(n, 1);
	cr_assert_eq(dropped, 3);
	cr_assert_str_eq(text(&p[0]), "192.0.2.2/32", "list entries before any other");
}

Test(divertset, bird_routes)
{
	struct divert_prefix p[] = {
	    pfx("198.51.100.80", DIVERT_LIST),
	    pfx("2001:db8:2::80", DIVERT_RESOLVED),
	};
	char *t = divertset_bird(p, 2, "blockd_divert", "blockd0", "version 3\nserial 7");

	cr_assert_not_null(t);
	cr_assert_str_eq(t,
	    "# version 3\n# serial 7\n"
	    "protocol static blockd_divert4 {\n\tipv4;\n"
	    "\troute 198.51.100.80/32 via \"blockd0\";\n}\n"
	    "protocol static blockd_divert6 {\n\tipv6;\n"
	    "\troute 2001:db8:2::80/128 via \"blockd0\";\n}\n");
	free(t);
	t = divertset_bird(p, 1, "blockd_divert", NULL, NULL);
	cr_assert_not_null(t);
	cr_assert(strstr(t, "\troute 198.51.100.80/32 blackhole;\n") != NULL, "%s", t);
	cr_assert(strstr(t, "protocol static blockd_divert6 {\n\tipv6;\n}\n") != NULL, "%s", t);
	free(t);
	cr_assert_null(divertset_bird(p, 1, "bad name", NULL, NULL));
	cr_assert_null(divertset_bird(p, 1, "ok", "if\"0", NULL));
	cr_assert_str_eq(divert_source_name(DIVERT_RESOLVED), "resolved");
	cr_assert_str_eq(divert_source_name(99), "?");
}

Test(divertset, bird_routes_by_family)
{
	struct divert_prefix p[] = {
	    pfx("2001:db8:98::/48", DIVERT_LIST),
	    pfx("203.0.113.128/25", DIVERT_ORDER),
	    pfx("2001:db8:2::80", DIVERT_RESOLVED),
	    pfx("198.51.100.80", DIVERT_RESOLVED),
	};
	size_t n = divertset_normalise(p, 4);
	char *t = divertset_bird(p, n, "bd", NULL, NULL);
	const char *six;

	cr_assert_not_null(t);
	six = strstr(t, "protocol static bd6 {\n\tipv6;\n");
	cr_assert_not_null(six, "%s", t);
	cr_assert(strstr(t, "protocol static bd4 {\n\tipv4;\n") < six, "%s", t);
	cr_assert(strstr(six, "\troute 2001:db8:2::80/128 blackhole;\n") != NULL, "%s", t);
	cr_assert(strstr(six, "\troute 2001:db8:98::/48 blackhole;\n") != NULL, "%s", t);
	cr_assert(strstr(six, "198.51.100.80") == NULL, "no IPv4 route among the IPv6 ones: %s", t);
	cr_assert(strstr(t, "\troute 203.0.113.128/25 blackhole;\n") < six, "%s", t);
	free(t);
}

Test(divertset, unroutable_resolved_addresses)
{
	struct {
		const char *a;
		int doc, out;
	} c[] = {
	    {"2001:db8:2::80", 1, 0},
	    {"2001:db8:2::80", 0, 1}, /* documentation, outside test beds */
	    {"2a00:1450:4009::1", 0, 0},
	    {"::", 0, 1},
	    {"::1", 0, 1},
	    {"fe80::1", 0, 1},
	    {"fd12:3456::1", 0, 1},
	    {"ff02::1", 0, 1},
	    {"::ffff:192.0.2.1", 1, 1},  /* IPv4-mapped: never on the wire */
	    {"64:ff9b::c000:201", 0, 0}, /* NAT64 (a DNS64 resolver's answer): routed */
	    {"192.0.2.1", 1, 0},
	    {"8.8.4.4", 0, 0},
	    {"0.0.0.0", 0, 1},
	    {"127.0.0.1", 0, 1},
	    {"10.1.2.3", 0, 1},
	    {"224.0.0.1", 0, 1},
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct divert_prefix p = pfx(c[i].a, DIVERT_RESOLVED);
		const char *why = divertset_unroutable(p.family, p.addr, c[i].doc);
		cr_assert_eq(why != NULL, c[i].out, "%s (documentation %d): %s", c[i].a, c[i].doc,
		    why ? why : "routable");
	}
}

/* addrs(): up to 8 textual addresses of one family into 16-byte slots. */
static int
addrs(uint8_t (*out)[16], const char *const *s, int n)
{
	for (int i = 0; i < n; i++) {
		struct divert_prefix p = pfx(s[i], DIVERT_RESOLVED);
		memcpy(out[i], p.addr, 16);
	}
	return n;
}

Test(divertset, answer_per_family)
{
	static const char *const v6[] = {
	    "2001:db8:2::81", "fe80::1", "2001:db8:2::80", "2001:db8:2::81"};
	static const char *const v6b[] = {"2001:db8:2::80", "2001:db8:2::81"};
	static const char *const v4[] = {"198.51.100.80"};
	struct divert_addrs a;
	uint8_t got[16][16];
	size_t skipped = 0;
	int n;

	memset(&a, 0, sizeof(a));
	n = addrs(got, v4, 1);
	cr_assert_eq(divertset_answer(&a, 4, (const uint8_t(*)[16])got, n, 1, &skipped), 1);
	cr_assert_eq(a.n4, 1);
	cr_assert_eq(a.n6, 0);
	n = addrs(got, v6, 4);
	cr_assert_eq(divertset_answer(&a, 6, (const uint8_t(*)[16])got, n, 1, &skipped), 1);
	cr_assert_eq(a.n6, 2, "link-local left out, the duplicate once");
	cr_assert_eq(skipped, 1);
	cr_assert_eq(a.a6[0][15], 0x80, "sorted");
	cr_assert_eq(a.a6[1][15], 0x81);
	cr_assert_eq(a.n4, 1, "an AAAA answer leaves the IPv4 addresses alone");
	n = addrs(got, v6b, 2);
	cr_assert_eq(divertset_answer(&a, 6, (const uint8_t(*)[16])got, n, 1, NULL), 0,
	    "the same addresses in another order change nothing");
	cr_assert_eq(divertset_answer(&a, 6, (const uint8_t(*)[16])got, -1, 1, NULL), 0);
	cr_assert_eq(a.n6, 2, "no answer keeps what was known");
	cr_assert_eq(divertset_answer(&a, 4, (const uint8_t(*)[16])got, 0, 1, NULL), 1);
	cr_assert_eq(a.n4, 0, "an empty answer (no data) clears the family");
	cr_assert_eq(a.n6, 2);
}

Test(divertset, answer_cap_keeps_lowest)
{
	struct divert_addrs a;
	uint8_t got[12][16];

	memset(&a, 0, sizeof(a));
	memset(got, 0, sizeof(got));
	for (int i = 0; i < 12; i++) {
		got[i][0] = 198;
		got[i][1] = 51;
		got[i][2] = 100;
		got[i][3] = (uint8_t)(100 - i);
	}
	cr_assert_eq(divertset_answer(&a, 4, (const uint8_t(*)[16])got, 12, 1, NULL), 1);
	cr_assert_eq(a.n4, DIVERT_ADDRS_MAX);
	cr_assert_eq(a.a4[0][3], 89);
	cr_assert_eq(a.a4[DIVERT_ADDRS_MAX - 1][3], 96);
}
