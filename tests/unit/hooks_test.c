/* Unit tests for hooks.c and its backends: the rules blockd installs, and removing only its own. */
#include <criterion/criterion.h>
#include <string.h>

#include "base/config.h"
#include "kernel/hooks.h"
#include "kernel/hooks_backend.h"

static struct hooks_spec
spec(int backend, int hook, int fail_open, unsigned first, unsigned last)
{
	return (struct hooks_spec){.backend = backend,
	    .hook = hook,
	    .fail_open = fail_open,
	    .qfirst = first,
	    .qlast = last,
	    .mark = 0x100000,
	    .mark_block = 0x200000,
	    .mark_late = 0x400000,
	    .mark_hello = 0x800000,
	    .ports = {0, 2, {80, 443}}};
}

Test(hooks, nft_forward_fail_open)
{
	char t[32768];
	struct hooks_spec s = spec(CFG_BACKEND_NFT, CFG_HOOK_FORWARD, 1, 4200, 4201);
	cr_assert_gt(hooks_nft_ruleset(&s, t, sizeof(t)), 0);
	cr_assert_not_null(strstr(t, "table inet blockd {"));
	cr_assert_not_null(strstr(t, "type filter hook forward priority -150;"));
	/* Several queues: a flow's packets to one of them by a hash of addresses and ports. */
	cr_assert_not_null(
	    strstr(t, "udp dport 53 queue flags bypass to symhash mod 2 offset 4200\n"));
	cr_assert_null(strstr(t, "queue num 4200-4201"));
	/* TCP web flows: segments with SYN, FIN or RST, or data; not a bare ACK. */
	cr_assert_not_null(strstr(t,
	    "tcp dport { 80, 443 } ct original bytes <= 131071 tcp flags & (fin | syn | rst) != 0 "
	    "queue flags bypass to symhash mod 2 offset 4200\n"
	    "\t\ttcp dport { 80, 443 } ct original bytes <= 131071 @ih,0,8 & 0x0 == 0x0 "
	    "queue flags bypass to symhash mod 2 offset 4200\n"));
	cr_assert_not_null(strstr(t,
	    "udp dport { 80, 443 } ct original bytes <= 131071 queue flags bypass to symhash mod 2 "
	    "offset 4200\n"));
	/* Past its bytes a flow still undecided is queued too, marked late. */
	cr_assert_not_null(strstr(t,
	    "@ih,0,8 & 0x0 == 0x0 queue flags bypass to symhash mod 2 offset 4200\n"
	    "\t\ttcp dport { 80, 443 } ct original bytes > 131071 meta mark set meta mark | "
	    "0x400000 "
	    "queue flags bypass to symhash mod 2 offset 4200\n"));
	cr_assert_null(strstr(t, "udp dport 53 meta mark set"));
	cr_assert_null(strstr(t, "packets <="));
	cr_assert_not_null(strstr(t, "ct mark & 0x100000 != 0 return"));
	cr_assert_not_null(strstr(t, "ct mark & 0x200000 != 0 drop"));
	cr_assert_not_null(
	    strstr(t, "meta mark & 0x100000 == 0x100000 ct mark set ct mark | 0x100000"));
	/* Unmarked packets leave the mark chain after one test. */
	cr_assert_not_null(
	    strstr(t, "chain mark_forward {\n\t\ttype filter hook forward priority "));
	/* A packet blockd blocked marks its connection and goes no further. */
	cr_assert_not_null(
	    strstr(t, "meta mark & 0x200000 == 0x200000 ct mark set ct mark | 0x200000 drop\n"));
	/*
	 * A TLS flow whose first hello passed: the server's first record, a
	 * ServerHello and no HelloRetryRequest, marks it allowed; then packets
	 * without blockd's bits leave after one test.
	 */
	cr_assert_not_null(strstr(strstr(t, "chain mark_forward {"),
	    "policy accept;\n\t\tct mark & 0xb00000 == 0x800000 ct direction reply "
	    "@ih,0,16 0x1603 @ih,40,8 0x2 @ih,88,64 != 0xcf21ad74e59a6111 "
	    "fib saddr . iif oif exists counter ct mark set ct mark | 0x100000\n"
	    "\t\tct mark & 0xb00000 == 0x900000 ct direction reply "
	    "@ih,0,16 0x1603 @ih,40,8 0x2 @ih,88,64 0xcf21ad74e59a6111 "
	    "ct mark set ct mark & 0xffefffff\n"
	    "\t\tmeta mark & 0xb00000 == 0 return\n"));
	cr_assert_not_null(
	    strstr(t, "meta mark & 0x800000 == 0x800000 ct mark set ct mark | 0x800000\n"));
	cr_assert_null(strstr(t, "chain queue_output"));
	cr_assert_not_null(
	    strstr(t, "chain inject_output {\n\t\ttype filter hook output priority -300;"));
	cr_assert_not_null(strstr(t, "meta mark & 0x300000 == 0x300000 meta l4proto udp notrack"));
	cr_assert_not_null(strstr(t, "meta mark & 0x300000 == 0x300000 return"));
	cr_assert_null(strstr(t, "fanout")); /* flow hash, not CPU: a flow stays on one queue */
	/* QUIC v1 and v2 client Initials are queued also on flows decided allowed. */
	const char *qi = strstr(t,
	    "udp dport { 80, 443 } @th,64,40 & 0xb0ffffffff { 0x8000000001, "
	    "0x906b3343cf } queue flags bypass to symhash mod 2 offset 4200\n");
	cr_assert_not_null(qi);
	cr_assert_gt(strstr(t, "ct mark & 0x100000 != 0 return"), qi);
	cr_assert_lt(strstr(t, "ct direction != original return"), qi);
}

Test(hooks, nft_local_fail_closed_single_queue)
{
	char t[32768];
	struct hooks_spec s = spec(CFG_BACKEND_NFT, CFG_HOOK_LOCAL, 0, 7, 7);
	cr_assert_gt(hooks_nft_ruleset(&s, t, sizeof(t)), 0);
	cr_assert_not_null(strstr(t, "chain queue_output"));
	cr_assert_not_null(strstr(t, "chain queue_input"));
	cr_assert_null(strstr(t, "hook forward"));
	cr_assert_not_null(strstr(t, "udp dport 53 queue num 7\n"));
	cr_assert_null(strstr(t, "bypass"));
}

Test(hooks, iptables_backend_keeps_mark_chains_only_in_nft)
{
	char t[32768];
	struct hooks_spec s = spec(CFG_BACKEND_IPTABLES, CFG_HOOK_BOTH, 1, 0, 1);
	cr_assert_gt(hooks_nft_ruleset(&s, t, sizeof(t)), 0);
	cr_assert_null(strstr(t, "queue"));
	cr_assert_not_null(strstr(t, "chain inject_output"));
	cr_assert_not_null(strstr(t, "chain mark_forward"));
	cr_assert_not_null(strstr(t, "chain mark_output"));
	/* The server's answer comes in on forward and input; fib's iif cannot be read on output. */
	const char *mo = strstr(t, "chain mark_output"), *mi = strstr(t, "chain mark_input");
	cr_assert_not_null(mi);
	cr_assert_not_null(strstr(mi, "fib saddr . iif oif exists"));
	cr_assert(strstr(mo, "fib saddr") == NULL || strstr(mo, "fib saddr") > mi,
	    "no fib rule in mark_output");

	cr_assert_gt(hooks_ipt_rules(&s, t, sizeof(t)), 0);
	cr_assert_eq(strncmp(t, "*mangle\n:BLOCKD-FWD - [0:0]\n", 28), 0);
	cr_assert_not_null(strstr(t, "-A BLOCKD-FWD -m mark --mark 0x300000/0x300000 -j RETURN\n"));
	cr_assert_not_null(strstr(t, "-A BLOCKD-FWD -p udp --dport 53 -j BLOCKD-Q\n"));
	/* Two queues: by the low byte of the client's port, then by address where u32 cannot read it. */
	cr_assert_not_null(strstr(t,
	    ":BLOCKD-Q - [0:0]\n"
	    "-A BLOCKD-Q -m u32 --u32 \"0>>28=4&&0>>22&0x3C@0>>16&0xFF=0:127\" -j NFQUEUE "
	    "--queue-num 0 --queue-bypass\n"
	    "-A BLOCKD-Q -m u32 --u32 \"0>>28=4&&0>>22&0x3C@0>>16&0xFF=128:255\" -j NFQUEUE "
	    "--queue-num 1 --queue-bypass\n"
	    "-A BLOCKD-Q -m u32 --u32 \"0>>28=6&&6>>24=6,17&&40>>16&0xFF=0:127\" -j NFQUEUE "
	    "--queue-num 0 --queue-bypass\n"
	    "-A BLOCKD-Q -m u32 --u32 \"0>>28=6&&6>>24=6,17&&40>>16&0xFF=128:255\" -j NFQUEUE "
	    "--queue-num 1 --queue-bypass\n"
	    "-A BLOCKD-Q -j NFQUEUE --queue-balance 0:1 --queue-bypass\n"));
	cr_assert_null(strstr(t, "BLOCKD-Q --queue-bypass"));
	/* TCP web flows: SYN, FIN, RST, or data past the TCP header; never a bare ACK. */
	const char *cb =
	    "-A BLOCKD-OUT -p tcp -m multiport --dports 80,443 -m connbytes --connbytes "
	    "0:131071 --connbytes-dir original --connbytes-mode bytes ";
	char want[2048];
	snprintf(want, sizeof(want),
	    "%s! --tcp-flags SYN,FIN,RST NONE -j BLOCKD-Q\n"
	    "%s-m u32 --u32 \"0>>24=0x45&&32>>26&0x3C@17=0:0xFFFFFFFF\" -j BLOCKD-Q\n"
	    "%s-m u32 --u32 \"0>>24=0x46:0x4F\" -j BLOCKD-Q\n"
	    "%s-m u32 --u32 \"0>>28=6&&6>>24=6&&52>>26&0x3C@37=0:0xFFFFFFFF\" -j BLOCKD-Q\n"
	    "%s-m u32 --u32 \"0>>28=6&&6>>24=0:5,7:255\" -j BLOCKD-Q\n"
	    "-A BLOCKD-OUT -p tcp -m multiport --dports 80,443 -m connbytes --connbytes 131072 "
	    "--connbytes-dir original --connbytes-mode bytes -j MARK --or-mark 0x400000\n",
	    cb, cb, cb, cb, cb);
	cr_assert_not_null(strstr(t, want), "%s", t);
	cr_assert_not_null(strstr(t,
	    "-A BLOCKD-OUT -m mark --mark 0x400000/0x400000 -j BLOCKD-Q\n"
	    "-I OUTPUT 1 -j BLOCKD-OUT\n"));
	cr_assert_null(strstr(t, "--dport 53 -j MARK"));
	cr_assert_null(strstr(t, "connbytes-mode packets"));
	/* QUIC Initials (IPv4, IPv6, IPv6 with extension headers) before the allowed return. */
	const char *qi = strstr(t,
	    "-A BLOCKD-FWD -p udp -m multiport --dports 80,443 -m u32 --u32 "
	    "\"0>>28=4&&0>>22&0x3C@8&0xB0FFFFFF=0x80000000,0x906B3343&&"
	    "0>>22&0x3C@9=0x1,0x6B3343CF\" -j BLOCKD-Q");
	cr_assert_not_null(qi);
	cr_assert_not_null(strstr(t,
	    "--u32 \"0>>28=6&&6>>24=17&&48&0xB0FFFFFF="
	    "0x80000000,0x906B3343&&49=0x1,0x6B3343CF\" -j BLOCKD-Q"));
	cr_assert_not_null(strstr(t, "--u32 \"0>>28=6&&6>>24=0:16,18:255\" -j BLOCKD-Q"));
	cr_assert_gt(strstr(t, "-A BLOCKD-FWD -m connmark --mark 0x100000/0x100000 -j RETURN"), qi);
	cr_assert_not_null(strstr(t, "-I FORWARD 1 -j BLOCKD-FWD\n"));
	cr_assert_not_null(strstr(t, "-I INPUT 1 -j BLOCKD-IN\n"));
	cr_assert_not_null(strstr(t, "\nCOMMIT\n"));
	s.fail_open = 0;
	s.qfirst = s.qlast = 3;
	cr_assert_gt(hooks_ipt_rules(&s, t, sizeof(t)), 0);
	cr_assert_null(strstr(t, "bypass"));
	cr_assert_null(strstr(t, "BLOCKD-Q"));
	cr_assert_not_null(strstr(t, "-j NFQUEUE --queue-num 3\n"));
}

Test(hooks, one_port_all_ports_and_many_ports)
{
	char t[32768];
	struct hooks_spec s = spec(CFG_BACKEND_NFT, CFG_HOOK_FORWARD, 1, 0, 0);
	s.ports = (struct cfg_ports){0, 1, {443}};
	cr_assert_gt(hooks_nft_ruleset(&s, t, sizeof(t)), 0);
	cr_assert_not_null(strstr(t,
	    "\t\ttcp dport 443 ct original bytes <= 131071 tcp flags & (fin | syn | rst) != 0 "
	    "queue"));
	cr_assert_not_null(strstr(t,
	    "\t\tudp dport 443 ct original bytes > 131071 meta mark set meta mark | 0x400000 "
	    "queue"));
	s.ports = (struct cfg_ports){1, 0, {0}};
	cr_assert_gt(hooks_nft_ruleset(&s, t, sizeof(t)), 0);
	cr_assert_not_null(strstr(t,
	    "\t\tudp dport 53 queue num 0 bypass\n\t\ttcp dport 53 queue num 0 bypass\n"
	    "\t\tmeta l4proto tcp ct original bytes <= 131071 tcp flags & (fin | syn | rst) != 0 "
	    "queue num 0 bypass\n"
	    "\t\tmeta l4proto tcp ct original bytes <= 131071 @ih,0,8 & 0x0 == 0x0 queue num 0 "
	    "bypass\n"));
	s.backend = CFG_BACKEND_IPTABLES;
	cr_assert_gt(hooks_ipt_rules(&s, t, sizeof(t)), 0);
	cr_assert_not_null(strstr(t, "-A BLOCKD-FWD -p udp -m connbytes --connbytes 0:131071 "));
	cr_assert_not_null(strstr(t,
	    "-A BLOCKD-FWD -p udp -m connbytes --connbytes 131072 --connbytes-dir original "
	    "--connbytes-mode bytes -j MARK --or-mark 0x400000\n"));
	/* More than one multiport match takes: one rule per 15 ports. */
	s.ports.all = 0;
	s.ports.n = 20;
	for (unsigned i = 0; i < 20; i++)
		s.ports.port[i] = (uint16_t)(8000 + i);
	cr_assert_gt(hooks_ipt_rules(&s, t, sizeof(t)), 0);
	cr_assert_not_null(strstr(t,
	    "-p tcp -m multiport --dports "
	    "8000,8001,8002,8003,8004,8005,8006,8007,8008,8009,8010,"
	    "8011,8012,8013,8014 -m connbytes"));
	cr_assert_not_null(
	    strstr(t, "-p tcp -m multiport --dports 8015,8016,8017,8018,8019 -m connbytes"));
}

Test(hooks, small_buffer_refused)
{
	char t[64];
	struct hooks_spec s = spec(CFG_BACKEND_NFT, CFG_HOOK_BOTH, 1, 0, 1);
	cr_assert_eq(hooks_nft_ruleset(&s, t, sizeof(t)), 0);
	cr_assert_eq(hooks_ipt_rules(&s, t, sizeof(t)), 0);
}

Test(hooks, removal_touches_only_ours)
{
	const char *save = "# Generated by iptables-nft-save\n"
			   "*mangle\n"
			   ":PREROUTING ACCEPT [0:0]\n"
			   ":FORWARD ACCEPT [0:0]\n"
			   ":BLOCKD-FWD - [0:0]\n"
			   ":BLOCKD-OUT - [0:0]\n"
			   ":OTHER - [0:0]\n"
			   "-A FORWARD -j BLOCKD-FWD\n"
			   "-A FORWARD -p tcp -j OTHER\n"
			   "-A FORWARD -m comment --comment \"-j BLOCKD-FWD x\" -j ACCEPT\n"
			   "-A OUTPUT -j BLOCKD-OUT\n"
			   "-A BLOCKD-FWD -p udp --dport 53 -j NFQUEUE --queue-num 0\n"
			   "-A OTHER -j BLOCKD-FWD\n"
			   "COMMIT\n";
	char out[4096];
	cr_assert_gt(hooks_ipt_removal(save, out, sizeof(out)), 0);
	cr_assert_str_eq(out,
	    "*mangle\n"
	    "-D FORWARD -j BLOCKD-FWD\n"
	    "-D OUTPUT -j BLOCKD-OUT\n"
	    "-D OTHER -j BLOCKD-FWD\n"
	    "-F BLOCKD-FWD\n-F BLOCKD-OUT\n"
	    "-X BLOCKD-FWD\n-X BLOCKD-OUT\n"
	    "COMMIT\n");
	cr_assert_eq(
	    hooks_ipt_removal("*mangle\n:FORWARD ACCEPT [0:0]\nCOMMIT\n", out, sizeof(out)), 0);
}

Test(hooks, empty_mangle_table_detected)
{
	cr_assert(hooks_ipt_table_empty("# Generated by iptables-nft-save v1.8.9\n*mangle\n"
					":FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [3:180]\nCOMMIT\n"
					"# Completed\n"));
	cr_assert_not(hooks_ipt_table_empty("*mangle\n:FORWARD DROP [0:0]\nCOMMIT\n"));
	cr_assert_not(hooks_ipt_table_empty(
	    "*mangle\n:FORWARD ACCEPT [0:0]\n-A FORWARD -j ACCEPT\nCOMMIT\n"));
	cr_assert_not(
	    hooks_ipt_table_empty("*mangle\n:FORWARD ACCEPT [0:0]\n:MINE - [0:0]\nCOMMIT\n"));
	cr_assert_not(hooks_ipt_table_empty(""));
}

Test(hooks, one_way_paths)
{
	char t[16384];
	struct hooks_spec s = spec(CFG_BACKEND_IPTABLES, CFG_HOOK_FORWARD, 1, 0, 1);

	cr_assert_gt(hooks_nft_ruleset(&s, t, sizeof(t)), 0);
	cr_assert_null(strstr(t, "chain one_way"), "both paths: conntrack sees every SYN");
	cr_assert_not_null(strstr(t, "ct direction reply @ih,0,16 0x1603"));
	cr_assert_gt(hooks_ipt_rules(&s, t, sizeof(t)), 0);
	cr_assert_null(strstr(t, "UNTRACKED"));

	s.one_way = 1;
	cr_assert_gt(hooks_nft_ruleset(&s, t, sizeof(t)), 0);
	cr_assert_null(strstr(t, "ct direction reply"), "no server's answer to read");
	cr_assert_not_null(strstr(t,
	    "\tchain one_way {\n\t\ttype filter hook prerouting priority -300; policy accept;\n"
	    "\t\ttcp flags & (syn | ack) == syn tcp dport { 53, 80, 443 } notrack\n\t}\n"));
	cr_assert_not_null(strstr(t, "ct state { new, untracked } counter name ip_new"),
	    "an untracked SYN to a blocked address is logged like a new one");
	cr_assert_gt(hooks_ipt_rules(&s, t, sizeof(t)), 0);
	const char *u = strstr(t, "-A BLOCKD-FWD -m conntrack --ctstate UNTRACKED -j BLOCKD-Q\n");
	cr_assert_not_null(u, "%s", t);
	cr_assert_lt(u, strstr(t, "--ctdir REPLY"),
	    "queued before the reply test, which needs a connection");

	s.backend = CFG_BACKEND_NFT;
	s.ports.all = 1;
	cr_assert_gt(hooks_nft_ruleset(&s, t, sizeof(t)), 0);
	cr_assert_not_null(strstr(t, "\t\ttcp flags & (syn | ack) == syn notrack\n"));
	cr_assert_not_null(strstr(t, "\t\tct state untracked queue "), "%s", t);
}
