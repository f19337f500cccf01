/* The match snapshot over a list and an allowlist as the rules parsers hand them over. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "allowlist.h"
#include "evlog/event.h"
#include "match/match.h"
#include "rulefmt.h"

static const char list_text[] = "blocklist 1\n"
				"issuer Example Regulator\n"
				"scope test jurisdiction\n"
				"serial 7\n"
				"issued 2026-11-20T10:00:00Z\n"
				"expires 2027-01-01T00:00:00Z\n"
				"orders 2\n"
				"entries 7\n"
				"\n"
				"order CL-2026-000123\n"
				"\tauthority High Court of Justice\n"
				"\tdate 2026-11-01\n"
				"\tservice Deepfake Service\n"
				"\tnot-before 2026-11-02T00:00:00Z\n"
				"\tnot-after 2027-11-02T00:00:00Z\n"
				"\tnotice Access to this service is blocked by court order.\n"
				"\tnotice-url https://orders.example/CL-2026-000123\n"
				"\twide no\n"
				"\n"
				"order OSA-7\n"
				"\tauthority Example Regulator\n"
				"\tdate 2026-10-15\n"
				"\tservice Other Service\n"
				"\tnot-before 2026-10-16T00:00:00Z\n"
				"\tnot-after 2026-12-01T00:00:00Z\n"
				"\tnotice Blocked under the Online Safety Act.\n"
				"\tnotice-url https://orders.example/OSA-7\n"
				"\twide no\n"
				"\n"
				"domain cdn.x-media.example CL-2026-000123\n"
				"domain www.x.example OSA-7\n"
				"suffix x.example CL-2026-000123\n"
				"ip 192.0.2.10 CL-2026-000123\n"
				"prefix 198.51.100.0/24 OSA-7\n"
				"prefix 2001:db8:100::/48 CL-2026-000123\n"
				"url share.example/x/ CL-2026-000123\n"
				"end 7\n";

static const char allow_text[] = "# local exceptions\n"
				 "domain status.x.example\n"
				 "ip 198.51.100.53\n";

/* 2026-11-20 and 2026-12-20, UTC. */
#define BOTH_IN_FORCE 1795132800
#define ONLY_FIRST    1797724800

Test(match_parsed, parser_output_builds_and_matches)
{
	struct rulelist *l = NULL;
	struct allowlist *al = NULL;
	struct match_snapshot *s = NULL;
	struct match_hit hit;
	struct event ev;
	char err[512];
	uint8_t a[16];

	cr_assert_eq(
	    rulelist_parse(list_text, strlen(list_text), "t.list", NULL, &l, err, sizeof(err)), 0,
	    "%s", err);
	cr_assert_eq(
	    allowlist_parse(allow_text, strlen(allow_text), "allow", &al, err, sizeof(err)), 0,
	    "%s", err);
	cr_assert_eq(match_build(l, al->entries, al->n, &s, err, sizeof(err)), 0, "%s", err);
	allowlist_free(al); /* the snapshot keeps its own copy */

	cr_assert_eq(match_domain(s, "WWW.X.example.", 14, BOTH_IN_FORCE, &hit), MATCH_BLOCK);
	cr_assert_eq(hit.type, RULE_DOMAIN);
	cr_assert_str_eq(match_list(s)->orders[hit.order].ref, "OSA-7");
	cr_assert_eq(match_domain(s, "www.x.example", 13, ONLY_FIRST, &hit), MATCH_BLOCK);
	cr_assert_eq(hit.type, RULE_SUFFIX, "the expired order falls through to the suffix");
	cr_assert_eq(match_domain(s, "status.x.example", 16, BOTH_IN_FORCE, &hit), MATCH_ALLOW);
	cr_assert_eq(match_domain(s, "x-media.example", 15, BOTH_IN_FORCE, &hit), MATCH_NONE);

	inet_pton(AF_INET, "198.51.100.53", a);
	cr_assert_eq(match_addr(s, 4, a, BOTH_IN_FORCE, &hit), MATCH_ALLOW);
	inet_pton(AF_INET, "198.51.100.54", a);
	cr_assert_eq(match_addr(s, 4, a, BOTH_IN_FORCE, &hit), MATCH_BLOCK);
	cr_assert_eq(match_addr(s, 4, a, ONLY_FIRST, &hit), MATCH_NONE);
	inet_pton(AF_INET6, "2001:db8:100:5::1", a);
	cr_assert_eq(match_addr(s, 6, a, BOTH_IN_FORCE, &hit), MATCH_BLOCK);
	event_fill(
	    &ev, s, &hit, EV_IP, EV_REJECT, 6, IPPROTO_TCP, a, 443, "2001:db8:100:5::1", 17, 1);
	cr_assert_str_eq(ev.value, "2001:db8:100::/48");
	cr_assert_str_eq(ev.order_ref, "CL-2026-000123");
	cr_assert_str_eq(ev.service, "Deepfake Service");
	cr_assert_eq(ev.serial, 7);

	cr_assert_eq(
	    match_url(s, "share.example", 13, "/x/1", 4, BOTH_IN_FORCE, &hit), MATCH_BLOCK);
	event_fill(
	    &ev, s, &hit, EV_HTTP, EV_NOTICE, 4, IPPROTO_TCP, NULL, 80, "share.example/x/1", 17, 1);
	cr_assert_str_eq(ev.value, "share.example/x/");
	match_free(s);
}
