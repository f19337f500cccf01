/* Unit tests for nflog.c: a logged packet becomes an event naming its entry and order. */
#include <criterion/criterion.h>
#include <netinet/in.h>

#include "evlog/event.h"
#include "match/match.h"
#include "match_testlist.h"
#include "kernel/nflog.h"

#define NOW 1000000

static struct match_snapshot *
snap(void)
{
	const struct tent t[] = {
	    {RULE_IPV4, "192.0.2.1", 0},
	    {RULE_IPV4, "203.0.113.0/24", 1},
	    {RULE_IPV6, "2001:db8:9::/48", 1},
	};
	struct rulelist *l = tl_make(t, 3, NULL, 2, 42);
	struct match_snapshot *s = NULL;
	char err[256];
	cr_assert_eq(match_build(l, NULL, 0, &s, err, sizeof(err)), 0, "%s", err);
	return s;
}

/* An IPv4 TCP SYN from 198.51.100.7:40000 to dst:443. */
static size_t
tcp4(uint8_t *b, const uint8_t dst[4])
{
	memset(b, 0, 40);
	b[0] = 0x45;
	b[3] = 40;
	b[8] = 64;
	b[9] = IPPROTO_TCP;
	b[12] = 198, b[13] = 51, b[14] = 100, b[15] = 7;
	memcpy(b + 16, dst, 4);
	b[20] = 40000 >> 8, b[21] = 40000 & 0xff;
	b[22] = 443 >> 8, b[23] = 443 & 0xff;
	b[32] = 5 << 4;
	b[33] = 0x02;
	return 40;
}

Test(nflog, tcp_to_a_listed_address_names_entry_and_order)
{
	struct match_snapshot *s = snap();
	uint8_t b[64];
	struct event ev;
	size_t n = tcp4(b, (const uint8_t[]){192, 0, 2, 1});
	cr_assert_eq(nflog_event(s, b, n, EV_REJECT, NOW, 123, &ev), NFLOG_MATCHED);
	cr_assert_eq(ev.method, EV_IP);
	cr_assert_eq(ev.action, EV_REJECT);
	cr_assert_eq(ev.family, 4);
	cr_assert_eq(ev.proto, IPPROTO_TCP);
	cr_assert_eq(ev.dport, 443);
	cr_assert_str_eq(ev.indicator, "192.0.2.1");
	cr_assert_str_eq(ev.order_ref, "CL-TEST-000");
	cr_assert_eq(ev.serial, 42);
	cr_assert_eq(ev.entry_line, 100);
	cr_assert_eq(memcmp(ev.client, (const uint8_t[]){198, 51, 100, 7}, 4), 0);
	cr_assert_eq(ev.time_us, 123);
	match_free(s);
}

Test(nflog, icmpv6_to_a_listed_prefix)
{
	struct match_snapshot *s = snap();
	uint8_t b[48] = {0};
	struct event ev;
	b[0] = 0x60;
	b[5] = 8; /* payload length */
	b[6] = IPPROTO_ICMPV6;
	b[7] = 64;
	b[8] = 0x20, b[9] = 0x01, b[10] = 0x0d, b[11] = 0xb8, b[23] = 0x10;
	b[24] = 0x20, b[25] = 0x01, b[26] = 0x0d, b[27] = 0xb8, b[29] = 0x09, b[39] = 0x05;
	b[40] = 128; /* echo request */
	cr_assert_eq(nflog_event(s, b, sizeof(b), EV_DROP, NOW, 1, &ev), NFLOG_MATCHED);
	cr_assert_eq(ev.family, 6);
	cr_assert_eq(ev.action, EV_DROP);
	cr_assert_eq(ev.proto, IPPROTO_ICMPV6);
	cr_assert_eq(ev.dport, 0);
	cr_assert_str_eq(ev.indicator, "2001:db8:9::5");
	cr_assert_str_eq(ev.order_ref, "CL-TEST-001");
	match_free(s);
}

Test(nflog, unlisted_destination_or_no_list_is_unmatched)
{
	struct match_snapshot *s = snap();
	uint8_t b[64];
	struct event ev;
	size_t n = tcp4(b, (const uint8_t[]){192, 0, 2, 2});
	cr_assert_eq(nflog_event(s, b, n, EV_REJECT, NOW, 1, &ev), NFLOG_UNMATCHED);
	n = tcp4(b, (const uint8_t[]){192, 0, 2, 1});
	cr_assert_eq(nflog_event(NULL, b, n, EV_REJECT, NOW, 1, &ev), NFLOG_UNMATCHED);
	match_free(s);
}

Test(nflog, garbage_is_bad)
{
	struct match_snapshot *s = snap();
	uint8_t b[64];
	struct event ev;
	size_t n = tcp4(b, (const uint8_t[]){192, 0, 2, 1});
	cr_assert_eq(nflog_event(s, b, 10, EV_REJECT, NOW, 1, &ev), NFLOG_BAD);
	b[0] = 0x75; /* version 7 */
	cr_assert_eq(nflog_event(s, b, n, EV_REJECT, NOW, 1, &ev), NFLOG_BAD);
	cr_assert_eq(nflog_event(s, b, 0, EV_REJECT, NOW, 1, &ev), NFLOG_BAD);
	match_free(s);
}
