/* Unit tests for ipset.c (intervals built from the list, and what changed) and the IP chains of hooks.c. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdint.h>

#include "base/config.h"
#include "kernel/hooks.h"
#include "kernel/ipset.h"
#include "match_testlist.h"

#define NOW 1000000

static void
build_of(const struct tent *t, size_t n, const struct twin *win, size_t norders,
    const uint8_t *held, const struct rule_entry *allow, size_t nallow, struct ipset_build *b,
    struct ipset_stats *st)
{
	struct rulelist *l = tl_make(t, n, win, norders, 7);
	cr_assert_eq(ipset_build(l, held, allow, nallow, NOW, b, st), 0);
	rulelist_free(l);
}

/* Interval i of set s as text: "a-b" (inclusive last address), "a" for a host, "a-" to the top. */
static void
iv_text(const struct ipset_build *b, int s, size_t i, char *out, size_t len)
{
	const struct ipset_ivs *v = &b->set[s];
	int af = v->w == 4 ? AF_INET : AF_INET6;
	uint8_t last[16];
	char lo[INET6_ADDRSTRLEN], hi[INET6_ADDRSTRLEN];
	int top = 1;

	cr_assert_lt(i, v->n);
	memcpy(last, ipset_end(v, i), v->w);
	for (unsigned k = 0; k < v->w; k++)
		top &= last[k] == 0;
	for (unsigned k = v->w; k-- > 0;) /* the exclusive end minus one */
		if (last[k]-- != 0)
			break;
	inet_ntop(af, ipset_start(v, i), lo, sizeof(lo));
	inet_ntop(af, last, hi, sizeof(hi));
	if (top)
		snprintf(out, len, "%s-", lo);
	else if (memcmp(ipset_start(v, i), last, v->w) == 0)
		snprintf(out, len, "%s", lo);
	else
		snprintf(out, len, "%s-%s", lo, hi);
}

static void
assert_set(const struct ipset_build *b, int s, const char *const *want, size_t n)
{
	char got[2 * INET6_ADDRSTRLEN + 2];
	cr_assert_eq(
	    b->set[s].n, n, "set %s holds %zu intervals, not %zu", ipset_name(s), b->set[s].n, n);
	for (size_t i = 0; i < n; i++) {
		iv_text(b, s, i, got, sizeof(got));
		cr_assert_str_eq(got, want[i], "set %s interval %zu", ipset_name(s), i);
	}
}

Test(ipset, prefixes_go_to_interval_sets_and_addresses_to_host_sets)
{
	const struct tent t[] = {
	    {RULE_IPV4, "192.0.2.1", 0},
	    {RULE_IPV6, "2001:db8::/48", 0},
	    {RULE_IPV4, "198.51.100.0/24", 0},
	    {RULE_IPV6, "2001:db8:1::1", 0},
	};
	struct ipset_build b;
	struct ipset_stats st;
	build_of(t, 4, NULL, 1, NULL, NULL, 0, &b, &st);
	assert_set(&b, IPSET_BLOCK4, (const char *const[]){"198.51.100.0-198.51.100.255"}, 1);
	assert_set(&b, IPSET_HOST4, (const char *const[]){"192.0.2.1"}, 1);
	assert_set(&b, IPSET_BLOCK6,
	    (const char *const[]){"2001:db8::-2001:db8:0:ffff:ffff:ffff:ffff:ffff"}, 1);
	assert_set(&b, IPSET_HOST6, (const char *const[]){"2001:db8:1::1"}, 1);
	cr_assert_eq(b.set[IPSET_ALLOW4].n + b.set[IPSET_ALLOW6].n, 0);
	cr_assert_eq(st.block4, 2);
	cr_assert_eq(st.block6, 2);
	cr_assert_eq(st.entries, 4);
	cr_assert_eq(st.next_change, INT64_MAX);
	cr_assert_str_eq(ipset_name(IPSET_HOST4), "block4h");
	cr_assert_eq(ipset_width(IPSET_HOST6), 16);
	ipset_build_free(&b);
}

Test(ipset, overlapping_and_adjacent_entries_merge)
{
	const struct tent t[] = {
	    {RULE_IPV4, "192.0.2.0/25", 0},
	    {RULE_IPV4, "192.0.2.5", 0},      /* inside the /25 */
	    {RULE_IPV4, "192.0.2.128/25", 0}, /* adjacent: one /24 in all */
	    {RULE_IPV4, "203.0.113.9", 0},
	    {RULE_IPV4, "203.0.113.11", 0}, /* not adjacent to .9 */
	    {RULE_IPV4, "203.0.113.12", 0}, /* adjacent to .11: a run of two */
	    {RULE_IPV4, "255.255.255.255", 0},
	    {RULE_IPV4, "255.255.255.254", 0},
	    {RULE_IPV4, "0.0.0.0/8", 0},
	};
	struct ipset_build b;
	struct ipset_stats st;
	build_of(t, 9, NULL, 1, NULL, NULL, 0, &b, &st);
	assert_set(&b, IPSET_BLOCK4,
	    (const char *const[]){"0.0.0.0-0.255.255.255", "192.0.2.0-192.0.2.255",
		"203.0.113.11-203.0.113.12", "255.255.255.254-"},
	    4);
	assert_set(&b, IPSET_HOST4, (const char *const[]){"203.0.113.9"}, 1);
	cr_assert_eq(st.block4, 5);
	ipset_build_free(&b);
}

Test(ipset, ipv6_merges_across_the_halves_and_to_the_top)
{
	const struct tent t[] = {
	    {RULE_IPV6, "2001:db8::ffff:ffff:ffff:ffff", 0},
	    {RULE_IPV6, "2001:db8:0:1::/64", 0}, /* adjacent across the 64-bit halves */
	    {RULE_IPV6, "ffff::/16", 0},
	    {RULE_IPV6, "::/128", 0},
	    {RULE_IPV6, "::1", 0},
	};
	struct ipset_build b;
	struct ipset_stats st;
	build_of(t, 5, NULL, 1, NULL, NULL, 0, &b, &st);
	assert_set(&b, IPSET_BLOCK6,
	    (const char *const[]){"::-::1",
		"2001:db8::ffff:ffff:ffff:ffff-2001:db8:0:1:ffff:ffff:ffff:ffff", "ffff::-"},
	    3);
	cr_assert_eq(b.set[IPSET_HOST6].n, 0);
	ipset_build_free(&b);
}

Test(ipset, only_orders_in_force_and_the_next_change)
{
	const struct tent t[] = {
	    {RULE_IPV4, "192.0.2.1", 0},
	    {RULE_IPV4, "192.0.2.2", 1},
	    {RULE_IPV4, "192.0.2.3", 2},
	};
	const struct twin w[] = {{NOW - 10, NOW + 50}, {NOW + 20, NOW + 100}, {NOW - 100, NOW}};
	struct ipset_build b;
	struct ipset_stats st;
	build_of(t, 3, w, 3, NULL, NULL, 0, &b, &st);
	assert_set(&b, IPSET_HOST4, (const char *const[]){"192.0.2.1"}, 1);
	cr_assert_eq(st.entries, 1);
	cr_assert_eq(st.next_change, NOW + 20);
	ipset_build_free(&b);
}

Test(ipset, held_entries_stay_out_of_the_block_sets)
{
	const struct tent t[] = {
	    {RULE_IPV4, "192.0.2.1", 0},
	    {RULE_IPV4, "192.0.2.2", 0}, /* held: .1 and .3 are no longer a run */
	    {RULE_IPV4, "192.0.2.3", 0}, {RULE_IPV6, "2001:db8::/32", 0},
	    {RULE_DOMAIN, "x.example", 0}, {RULE_IPV4, "198.51.100.0/24", 0},
	    {RULE_IPV4, "203.0.113.0/24", 0}, {RULE_IPV4, "203.0.113.7", 0},
	    {RULE_IPV6, "2001:db8:1::1", 0}, /* entry 8: held, in the second byte */
	};
	uint8_t held[2] = {1u << 1 | 1u << 3 | 1u << 6, 1u << 0};
	struct ipset_build b;
	struct ipset_stats st;
	build_of(t, 9, NULL, 1, held, NULL, 0, &b, &st);
	assert_set(
	    &b, IPSET_HOST4, (const char *const[]){"192.0.2.1", "192.0.2.3", "203.0.113.7"}, 3);
	assert_set(&b, IPSET_BLOCK4, (const char *const[]){"198.51.100.0-198.51.100.255"}, 1);
	cr_assert_eq(b.set[IPSET_BLOCK6].n + b.set[IPSET_HOST6].n, 0);
	cr_assert_eq(st.entries, 4);
	ipset_build_free(&b);
	/* NULL: nothing held. */
	build_of(t, 9, NULL, 1, NULL, NULL, 0, &b, &st);
	assert_set(&b, IPSET_BLOCK4,
	    (const char *const[]){
		"192.0.2.1-192.0.2.3", "198.51.100.0-198.51.100.255", "203.0.113.0-203.0.113.255"},
	    3);
	cr_assert_eq(st.entries, 8);
	ipset_build_free(&b);
}

Test(ipset, allowlist_fills_the_allow_sets)
{
	const struct tent t[] = {{RULE_IPV6, "2001:db8::/32", 0}};
	struct rule_entry a[3] = {{0}, {0}, {0}};
	a[0].type = RULE_IPV6;
	tl_parse_addr(&a[0], "2001:db8:5::/48");
	a[1].type = RULE_DOMAIN; /* names are not for the IP sets */
	a[1].name = "x.example";
	a[2].type = RULE_IPV4; /* a single allowed address stays in the interval set */
	tl_parse_addr(&a[2], "192.0.2.9");
	struct ipset_build b;
	struct ipset_stats st;
	build_of(t, 1, NULL, 1, NULL, a, 3, &b, &st);
	assert_set(&b, IPSET_ALLOW6,
	    (const char *const[]){"2001:db8:5::-2001:db8:5:ffff:ffff:ffff:ffff:ffff"}, 1);
	assert_set(&b, IPSET_ALLOW4, (const char *const[]){"192.0.2.9"}, 1);
	cr_assert_eq(st.allow6, 1);
	cr_assert_eq(st.allow4, 1);
	ipset_build_free(&b);
}

Test(ipset, no_list_empties_the_sets)
{
	struct ipset_build b;
	struct ipset_stats st;
	cr_assert_eq(ipset_build(NULL, NULL, NULL, 0, NOW, &b, &st), 0);
	for (int s = 0; s < IPSET_NSETS; s++) {
		cr_assert_eq(b.set[s].n, 0);
		cr_assert_eq(b.set[s].w, ipset_width(s));
	}
	ipset_build_free(&b);
}

/* A large random list comes out sorted, disjoint, never adjacent, and covering every entry. */
Test(ipset, large_lists_sort_and_merge)
{
	size_t n = 200000;
	struct rulelist *l = tl_make(NULL, 0, NULL, 1, 1);
	uint64_t x = 88172645463325252ull;
	free(l->entries);
	l->entries = calloc(n, sizeof(*l->entries));
	l->nentries = n;
	for (size_t i = 0; i < n; i++) {
		struct rule_entry *e = &l->entries[i];
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		e->type = i % 4 ? RULE_IPV4 : RULE_IPV6;
		e->plen = e->type == RULE_IPV4 ? (uint8_t)(i % 7 ? 32 : 20 + x % 12)
					       : (uint8_t)(i % 3 ? 128 : 40 + x % 80);
		memcpy(e->addr, &x, 8);
		memcpy(e->addr + 8, &x, 8);
		e->addr[0] &= 0x3f; /* dense enough to overlap now and then */
	}
	struct ipset_build b;
	struct ipset_stats st;
	cr_assert_eq(ipset_build(l, NULL, NULL, 0, NOW, &b, &st), 0);
	cr_assert_eq(st.entries, n);
	for (int s = IPSET_BLOCK4; s < IPSET_NSETS; s++) {
		const struct ipset_ivs *v = &b.set[s];
		for (size_t i = 0; i < v->n; i++) {
			if (i + 1 < v->n) /* the next one starts after this one's end */
				cr_assert_lt(memcmp(ipset_end(v, i), ipset_start(v, i + 1), v->w),
				    0, "set %d interval %zu", s, i);
		}
	}
	/* Every entry's first address is in its family's sets. */
	for (size_t i = 0; i < n; i += 97) {
		const struct rule_entry *e = &l->entries[i];
		int v4 = e->type == RULE_IPV4, found = 0;
		unsigned w = v4 ? 4 : 16;
		uint8_t a[16];
		memcpy(a, e->addr, 16);
		for (unsigned k = 0; k < w; k++) { /* the prefix's first address */
			unsigned bits = e->plen >= 8 * (k + 1) ? 8
			    : e->plen > 8 * k                  ? e->plen - 8 * k
							       : 0;
			a[k] &= bits ? (uint8_t)(0xff << (8 - bits)) : 0;
		}
		for (int s = v4 ? IPSET_BLOCK4 : IPSET_BLOCK6; s < IPSET_NSETS; s += 2) {
			const struct ipset_ivs *v = &b.set[s];
			size_t lo = 0, hi = v->n; /* the last interval starting at or before a */
			while (hi - lo > 1) {
				size_t mid = (lo + hi) / 2;
				if (memcmp(ipset_start(v, mid), a, w) <= 0)
					lo = mid;
				else
					hi = mid;
			}
			if (v->n && memcmp(ipset_start(v, lo), a, w) <= 0) {
				const uint8_t *end = ipset_end(v, lo);
				int top = 1;
				for (unsigned k = 0; k < w; k++)
					top &= end[k] == 0;
				found |= top || memcmp(a, end, w) < 0;
			}
		}
		cr_assert(found, "entry %zu not in the sets", i);
	}
	ipset_build_free(&b);
	rulelist_free(l);
}

Test(ipset, diff_names_what_went_and_what_came)
{
	const struct tent t1[] = {
	    {RULE_IPV4, "192.0.2.1", 0},
	    {RULE_IPV4, "192.0.2.10", 0},
	    {RULE_IPV4, "198.51.100.0/24", 0},
	    {RULE_IPV6, "2001:db8::1", 0},
	};
	const struct tent t2[] = {
	    {RULE_IPV4, "192.0.2.10", 0},      /* stays */
	    {RULE_IPV4, "192.0.2.20", 0},      /* came; .1 went */
	    {RULE_IPV4, "198.51.100.0/23", 0}, /* bounds changed: gone and came */
	    {RULE_IPV6, "2001:db8::1", 0},
	};
	struct ipset_build a, b, gone, came;
	struct ipset_stats st;
	build_of(t1, 4, NULL, 1, NULL, NULL, 0, &a, &st);
	build_of(t2, 4, NULL, 1, NULL, NULL, 0, &b, &st);
	cr_assert_eq(ipset_diff(&a, &b, &gone, &came), 0);
	assert_set(&gone, IPSET_HOST4, (const char *const[]){"192.0.2.1"}, 1);
	assert_set(&came, IPSET_HOST4, (const char *const[]){"192.0.2.20"}, 1);
	assert_set(&gone, IPSET_BLOCK4, (const char *const[]){"198.51.100.0-198.51.100.255"}, 1);
	assert_set(&came, IPSET_BLOCK4, (const char *const[]){"198.51.100.0-198.51.101.255"}, 1);
	cr_assert_eq(gone.set[IPSET_HOST6].n + came.set[IPSET_HOST6].n, 0);
	ipset_build_free(&gone);
	ipset_build_free(&came);
	/* Against itself: nothing; against nothing: everything came. */
	cr_assert_eq(ipset_diff(&b, &b, &gone, &came), 0);
	for (int s = 0; s < IPSET_NSETS; s++)
		cr_assert_eq(gone.set[s].n + came.set[s].n, 0);
	ipset_build_free(&gone);
	ipset_build_free(&came);
	struct ipset_build none;
	cr_assert_eq(ipset_build(NULL, NULL, NULL, 0, NOW, &none, &st), 0);
	cr_assert_eq(ipset_diff(&none, &b, &gone, &came), 0);
	for (int s = 0; s < IPSET_NSETS; s++) {
		cr_assert_eq(gone.set[s].n, 0);
		cr_assert_eq(came.set[s].n, b.set[s].n);
	}
	ipset_build_free(&gone);
	ipset_build_free(&came);
	ipset_build_free(&none);
	ipset_build_free(&a);
	ipset_build_free(&b);
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
	    "\t\tip6 daddr @block6 jump ip_blocked6\n\t\tjump ip_hosts\n\t}\n"));
	/* The host sets' first generation, a fixed-size hash each, and the chain using it. */
	cr_assert_not_null(strstr(t, "set block4h_0 {\n\t\ttype ipv4_addr; size 65536;\n\t}"));
	cr_assert_not_null(strstr(t, "set block6h_0 {\n\t\ttype ipv6_addr; size 65536;\n\t}"));
	cr_assert_not_null(strstr(t,
	    "chain ip_hosts {\n\t\tip daddr @block4h_0 jump ip_blocked4\n"
	    "\t\tip6 daddr @block6h_0 jump ip_blocked6\n\t}\n"));
	cr_assert_lt(strstr(t, "chain ip_hosts {"), fwd);
	const char *chain = strstr(t, "chain ip_blocked4 {");
	const char *inj = strstr(t, "meta mark & 0x300000 == 0x300000 return");
	const char *allow = strstr(t, "ip daddr @allow4 return");
	const char *log = strstr(t,
	    "ct state { new, untracked } counter name ip_new limit rate 100/second log group "
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
