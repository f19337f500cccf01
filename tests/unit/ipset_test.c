/* Unit tests for ipset.c (the nft set transaction) and the IP chains of hooks.c. */
#include <criterion/criterion.h>
#include <stdint.h>

#include "base/config.h"
#include "kernel/hooks.h"
#include "kernel/ipset.h"
#include "match_testlist.h"

#define NOW 1000000

static char *
text_of(const struct tent *t, size_t n, const struct twin *win, size_t norders,
    const struct rule_entry *allow, size_t nallow, struct ipset_stats *st)
{
	struct rulelist *l = tl_make(t, n, win, norders, 7);
	char *out = NULL;
	size_t len = 0;
	cr_assert_eq(ipset_text(l, NULL, allow, nallow, NOW, &out, &len, st), 0);
	cr_assert_eq(strlen(out), len);
	rulelist_free(l);
	return out;
}

Test(ipset, one_transaction_flushes_and_fills_every_set)
{
	const struct tent t[] = {
	    {RULE_IPV4, "192.0.2.1", 0},
	    {RULE_IPV6, "2001:db8::/48", 0},
	    {RULE_IPV4, "198.51.100.0/24", 0},
	};
	struct ipset_stats st;
	char *s = text_of(t, 3, NULL, 1, NULL, 0, &st);
	const char *f4 = strstr(s, "flush set inet blockd block4\n");
	const char *a4 = strstr(s,
	    "add element inet blockd block4 { 192.0.2.1, "
	    "198.51.100.0-198.51.100.255 }\n");
	cr_assert_not_null(f4);
	cr_assert_not_null(a4);
	cr_assert_lt(f4, a4);
	cr_assert_not_null(strstr(s, "flush set inet blockd allow4\n"));
	cr_assert_not_null(strstr(s, "flush set inet blockd allow6\n"));
	cr_assert_not_null(strstr(s,
	    "add element inet blockd block6 { 2001:db8::-2001:db8:0:ffff:ffff:ffff:ffff:ffff }"));
	/* The allow sets are refilled before the block sets. */
	cr_assert_lt(strstr(s, "flush set inet blockd allow4"), f4);
	cr_assert_eq(st.block4, 2);
	cr_assert_eq(st.block6, 1);
	cr_assert_eq(st.entries, 3);
	cr_assert_eq(st.next_change, INT64_MAX);
	free(s);
}

Test(ipset, overlapping_and_adjacent_entries_merge)
{
	const struct tent t[] = {
	    {RULE_IPV4, "192.0.2.0/25", 0},
	    {RULE_IPV4, "192.0.2.5", 0},      /* inside the /25 */
	    {RULE_IPV4, "192.0.2.128/25", 0}, /* adjacent: one /24 in all */
	    {RULE_IPV4, "203.0.113.9", 0},
	    {RULE_IPV4, "203.0.113.11", 0}, /* not adjacent to .9 */
	    {RULE_IPV4, "255.255.255.255", 0},
	    {RULE_IPV4, "255.255.255.254", 0},
	};
	struct ipset_stats st;
	char *s = text_of(t, 7, NULL, 1, NULL, 0, &st);
	cr_assert_not_null(strstr(s,
			       "{ 192.0.2.0-192.0.2.255, 203.0.113.9, 203.0.113.11, "
			       "255.255.255.254-255.255.255.255 }"),
	    "%s", s);
	cr_assert_eq(st.block4, 4);
	free(s);
}

Test(ipset, only_orders_in_force_and_the_next_change)
{
	const struct tent t[] = {
	    {RULE_IPV4, "192.0.2.1", 0},
	    {RULE_IPV4, "192.0.2.2", 1},
	    {RULE_IPV4, "192.0.2.3", 2},
	};
	const struct twin w[] = {{NOW - 10, NOW + 50}, {NOW + 20, NOW + 100}, {NOW - 100, NOW}};
	struct ipset_stats st;
	char *s = text_of(t, 3, w, 3, NULL, 0, &st);
	cr_assert_not_null(strstr(s, "block4 { 192.0.2.1 }"), "%s", s);
	cr_assert_eq(st.entries, 1);
	cr_assert_eq(st.next_change, NOW + 20);
	free(s);
}

Test(ipset, allowlist_fills_the_allow_sets)
{
	const struct tent t[] = {{RULE_IPV6, "2001:db8::/32", 0}};
	struct rule_entry a[2] = {{0}, {0}};
	a[0].type = RULE_IPV6;
	tl_parse_addr(&a[0], "2001:db8:5::/48");
	a[1].type = RULE_DOMAIN; /* names are not for the IP sets */
	a[1].name = "x.example";
	struct ipset_stats st;
	char *s = text_of(t, 1, NULL, 1, a, 2, &st);
	cr_assert_not_null(strstr(s,
			       "add element inet blockd allow6 { "
			       "2001:db8:5::-2001:db8:5:ffff:ffff:ffff:ffff:ffff }"),
	    "%s", s);
	cr_assert_eq(st.allow6, 1);
	cr_assert_eq(st.allow4, 0);
	free(s);
}

Test(ipset, no_list_empties_the_sets)
{
	char *out = NULL;
	size_t len = 0;
	struct ipset_stats st;
	cr_assert_eq(ipset_text(NULL, NULL, NULL, 0, NOW, &out, &len, &st), 0);
	cr_assert_not_null(strstr(out, "flush set inet blockd block4\n"));
	cr_assert_not_null(strstr(out, "flush set inet blockd block6\n"));
	cr_assert_null(strstr(out, "add element"));
	free(out);
}

Test(ipset, large_sets_split_into_statements)
{
	size_t n = 70000;
	struct rulelist *l = tl_make(NULL, 0, NULL, 1, 1);
	free(l->entries);
	l->entries = calloc(n, sizeof(*l->entries));
	l->nentries = n;
	for (size_t i = 0; i < n; i++) {
		struct rule_entry *e = &l->entries[i];
		uint32_t v = 0x0a000000u + 2 * (uint32_t)i; /* never adjacent */
		e->type = RULE_IPV4;
		e->plen = 32;
		e->addr[0] = (uint8_t)(v >> 24);
		e->addr[1] = (uint8_t)(v >> 16);
		e->addr[2] = (uint8_t)(v >> 8);
		e->addr[3] = (uint8_t)v;
	}
	char *out = NULL;
	size_t len = 0, stmts = 0;
	struct ipset_stats st;
	cr_assert_eq(ipset_text(l, NULL, NULL, 0, NOW, &out, &len, &st), 0);
	for (const char *p = out; (p = strstr(p, "add element inet blockd block4 {")); p++)
		stmts++;
	cr_assert_eq(stmts, 2);
	cr_assert_eq(st.block4, n);
	free(out);
	rulelist_free(l);
}

Test(ipset, hooks_reject_chain_logs_new_flows_first)
{
	struct hooks_spec s = {.backend = CFG_BACKEND_IPTABLES,
	    .hook = CFG_HOOK_BOTH,
	    .mark = 0x100000,
	    .mark_block = 0x200000,
	    .ip_action = CFG_IP_REJECT,
	    .ip_log_rate = 100,
	    .nflog_group = 4242};
	char t[16384];
	cr_assert_gt(hooks_nft_ruleset(&s, t, sizeof(t)), 0);
	cr_assert_not_null(strstr(t, "set block4 {\n\t\ttype ipv4_addr; flags interval;"));
	cr_assert_not_null(strstr(t, "set allow6 {\n\t\ttype ipv6_addr; flags interval;"));
	cr_assert_not_null(
	    strstr(t, "chain ip_forward {\n\t\ttype filter hook forward priority -160;"));
	cr_assert_not_null(strstr(t, "chain ip_output {"));
	cr_assert_null(strstr(t, "chain ip_input"));
	/* Every packet: one lookup per family; only a blocked address goes on. */
	const char *fwd = strstr(t, "chain ip_forward {");
	cr_assert_not_null(strstr(fwd,
	    "priority -160; policy accept;\n\t\tip daddr @block4 jump ip_blocked4\n"
	    "\t\tip6 daddr @block6 jump ip_blocked6\n\t}\n"));
	const char *chain = strstr(t, "chain ip_blocked4 {");
	const char *inj = strstr(t, "meta mark & 0x300000 == 0x300000 return");
	const char *allow = strstr(t, "ip daddr @allow4 return");
	const char *log = strstr(t,
	    "ct state new counter name ip_new limit rate 100/second log group "
	    "4242");
	const char *rst = strstr(t, "meta l4proto tcp reject with tcp reset");
	const char *icmp = strstr(t, "reject with icmpx type admin-prohibited");
	const char *chain6 = strstr(t, "chain ip_blocked6 {");
	cr_assert(chain && inj && allow && log && rst && icmp && chain6);
	cr_assert(
	    chain < inj && inj < allow && allow < log && log < rst && rst < icmp && icmp < chain6);
	cr_assert_not_null(strstr(chain6, "ip6 daddr @allow6 return"));
	cr_assert_not_null(strstr(chain6, "meta l4proto tcp reject with tcp reset"));
	cr_assert_null(strstr(t, "\t\tdrop\n"));
}

Test(ipset, hooks_drop_action)
{
	struct hooks_spec s = {.backend = CFG_BACKEND_NFT,
	    .hook = CFG_HOOK_FORWARD,
	    .mark = 1,
	    .mark_block = 2,
	    .ip_action = CFG_IP_DROP,
	    .ip_log_rate = 5,
	    .nflog_group = 7};
	char t[16384];
	cr_assert_gt(hooks_nft_ruleset(&s, t, sizeof(t)), 0);
	cr_assert_not_null(strstr(t, "log group 7\n\t\tdrop\n\t}\n\tchain ip_blocked6"));
	cr_assert_not_null(strstr(strstr(t, "chain ip_blocked6"), "log group 7\n\t\tdrop\n"));
	cr_assert_null(strstr(t, "reject"));
	cr_assert_null(strstr(t, "chain ip_output"));
	cr_assert_not_null(strstr(t, "limit rate 5/second log group 7"));
}

Test(ipset, counter_packets_from_nft_output)
{
	uint64_t n = 0;
	const char *out = "table inet blockd {\n\tcounter ip_new {\n\t\tpackets 17 bytes 1020\n"
			  "\t}\n}\n";
	cr_assert_eq(ipset_counter_packets(out, &n), 0);
	cr_assert_eq(n, 17);
	cr_assert_eq(ipset_counter_packets("table inet blockd {\n}\n", &n), -1);
	cr_assert_eq(ipset_counter_packets("packets x", &n), -1);
	cr_assert_eq(ipset_counter_packets(NULL, &n), -1);
}

Test(ipset, held_entries_stay_out_of_the_block_sets)
{
	const struct tent t[] = {
	    {RULE_IPV4, "192.0.2.1", 0},
	    {RULE_IPV4, "192.0.2.7", 0},
	    {RULE_IPV6, "2001:db8::1", 0},
	};
	struct rulelist *l = tl_make(t, 3, NULL, 1, 7);
	const uint8_t held[1] = {0x06}; /* entries 1 and 2 */
	char *out = NULL;
	size_t len = 0;
	struct ipset_stats st;
	cr_assert_eq(ipset_text(l, held, NULL, 0, NOW, &out, &len, &st), 0);
	cr_assert_not_null(strstr(out, "192.0.2.1"));
	cr_assert_null(strstr(out, "192.0.2.7"));
	cr_assert_null(strstr(out, "2001:db8::1"));
	cr_assert_eq(st.entries, 1);
	free(out);
	rulelist_free(l);
}
