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
