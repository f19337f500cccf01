/* Unit tests for event.c: events filled from hits, entries rendered as written, strings truncated. */
#include <criterion/criterion.h>
#include <netinet/in.h>

#include "evlog/event.h"
#include "match/match.h"
#include "match_testlist.h"

static struct match_snapshot *snap;

static void
setup(void)
{
	static const struct tent t[] = {
	    {RULE_IPV4, "198.51.100.0/24", 0},
	    {RULE_IPV4, "192.0.2.1", 1},
	    {RULE_IPV6, "2001:db8::/32", 0},
	    {RULE_IPV6, "2001:db8:1::7", 0},
	    {RULE_URL, "evil.test/videos/", 1},
	    {RULE_SUFFIX, "deepfake.example", 2},
	};
	static char longservice[200], utf8service[200];
	struct rulelist *l = tl_make(t, 6, NULL, 3, 42);
	char err[128];
	int i;

	memset(longservice, 'S', 150);
	for (i = 0; i < 60; i++)
		memcpy(utf8service + 2 * i, "\xc3\xa9", 2); /* U+00E9, two bytes */
	l->orders[1].service = longservice;
	l->orders[2].service = utf8service;
	cr_assert_eq(match_build(l, NULL, 0, &snap, err, sizeof(err)), 0, "%s", err);
}

static void
teardown(void)
{
	match_free(snap);
}

static void
fill_addr(struct event *ev, int family, const char *text)
{
	uint8_t a[16] = {0}, client[16] = {0x20, 0x01, 0x0d, 0xb8, 9};
	struct match_hit hit;

	cr_assert_eq(inet_pton(family == 4 ? AF_INET : AF_INET6, text, a), 1);
	cr_assert_eq(match_addr(snap, family, a, 1, &hit), MATCH_BLOCK);
	event_fill(ev, snap, &hit, EV_IP, EV_REJECT, family, IPPROTO_TCP, client, 443, text,
	    strlen(text), 1700000000000000ull);
}

Test(event, addresses_render_as_written, .init = setup, .fini = teardown)
{
	struct event ev;

	fill_addr(&ev, 4, "198.51.100.20");
	cr_assert_str_eq(ev.value, "198.51.100.0/24");
	cr_assert_str_eq(ev.indicator, "198.51.100.20");
	cr_assert_str_eq(ev.order_ref, "CL-TEST-000");
	cr_assert_str_eq(ev.service, "Service 0");
	cr_assert_eq(ev.entry_type, RULE_IPV4);
	cr_assert_eq(ev.entry_line, 100);
	cr_assert_eq(ev.serial, 42);
	cr_assert_eq(ev.time_us, 1700000000000000ull);
	cr_assert_eq(ev.method, EV_IP);
	cr_assert_eq(ev.action, EV_REJECT);
	cr_assert_eq(ev.family, 4);
	cr_assert_eq(ev.proto, IPPROTO_TCP);
	cr_assert_eq(ev.dport, 443);
	cr_assert_eq(ev.client[0], 0x20);
	cr_assert_eq(ev.client[4], 0, "only four bytes of an IPv4 client are copied");

	fill_addr(&ev, 4, "192.0.2.1");
	cr_assert_str_eq(ev.value, "192.0.2.1", "a /32 renders as an address");
	fill_addr(&ev, 6, "2001:db8:ffff::1");
	cr_assert_str_eq(ev.value, "2001:db8::/32");
	fill_addr(&ev, 6, "2001:db8:1::7");
	cr_assert_str_eq(ev.value, "2001:db8:1::7");
	cr_assert_eq(ev.client[4], 9);
}

Test(event, names_urls_and_truncation, .init = setup, .fini = teardown)
{
	struct event ev;
	struct match_hit hit;
	char ind[700];
	size_t n;

	memset(ind, 'x', sizeof(ind));
	cr_assert_eq(match_url(snap, "evil.test", 9, "/videos/1", 9, 1, &hit), MATCH_BLOCK);
	event_fill(
	    &ev, snap, &hit, EV_HTTP, EV_NOTICE, 4, IPPROTO_TCP, NULL, 80, ind, sizeof(ind), 1);
	cr_assert_str_eq(ev.value, "evil.test/videos/");
	cr_assert_eq(strlen(ev.indicator), EV_INDICATOR_MAX - 1);
	n = strlen(ev.service);
	cr_assert_eq(n, EV_SERVICE_MAX - 1, "long service cut to fit");
	cr_assert_str_eq(ev.order_ref, "CL-TEST-001");

	cr_assert_eq(match_domain(snap, "a.DeepFake.example.", 19, 1, &hit), MATCH_BLOCK);
	event_fill(&ev, snap, &hit, EV_DNS, EV_NXDOMAIN, 6, IPPROTO_UDP, NULL, 53,
	    "a.DeepFake.example.\0junk", 24, 1);
	cr_assert_str_eq(ev.value, "deepfake.example");
	cr_assert_str_eq(ev.indicator, "a.DeepFake.example.", "stops at a NUL");
	n = strlen(ev.service);
	cr_assert_eq(n % 2, 0, "a cut never splits a UTF-8 sequence");
	cr_assert_geq(n, EV_SERVICE_MAX - 3);
	cr_assert_eq(memcmp(ev.service + n - 2, "\xc3\xa9", 2), 0);

	event_fill(&ev, snap, NULL, EV_DNS, EV_NXDOMAIN, 4, IPPROTO_UDP, NULL, 53, NULL, 0, 1);
	cr_assert_str_eq(ev.indicator, "");
	cr_assert_str_eq(ev.value, "");
}
