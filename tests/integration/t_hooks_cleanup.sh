#!/bin/sh
# blockd's netfilter rules: installed at start, gone after stop, nobody else's rule touched;
# on_stop=keep leaves them (and says so); hook=local blocks the appliance's own lookups.
set -u
. tests/lib/netns.sh

tb_setup
tb_start_unbound
tb_list "suffix blocked.example CL-2026-000123"

# Somebody else's rules, in nft and through iptables-nft, in the very table blockd also uses.
tb_appliance nft -f - <<'EON'
table inet foreign {
	chain guard {
		type filter hook forward priority 0; policy accept;
		udp dport 9999 counter accept
	}
}
EON
tb_appliance iptables-nft -t mangle -A FORWARD -p udp --dport 9998 -j ACCEPT
tb_appliance ip6tables-nft -t mangle -A FORWARD -p udp --dport 9998 -j ACCEPT

foreign_intact() {
	tb_appliance nft list table inet foreign | grep -q "udp dport 9999 counter" ||
		tb_fail "$1: the foreign nft rule changed"
	tb_appliance iptables-nft-save -t mangle | grep -q -- "-A FORWARD -p udp -m udp --dport 9998 -j ACCEPT" ||
		tb_fail "$1: the foreign iptables rule changed"
	tb_appliance ip6tables-nft-save -t mangle | grep -q -- "--dport 9998 -j ACCEPT" ||
		tb_fail "$1: the foreign ip6tables rule changed"
}

no_traces() {
	if tb_appliance nft list ruleset | grep -qi blockd; then
		tb_appliance nft list ruleset >&2
		tb_fail "$1: blockd rules left in nft list ruleset"
	fi
	for t in iptables-nft-save ip6tables-nft-save; do
		tb_appliance $t | grep -qi blockd && tb_fail "$1: blockd rules left in $t"
	done
	return 0
}

tb_blockd_conf
tb_start_blockd
tb_appliance nft list table inet blockd | grep -q "hook forward" || tb_fail "no mark chain installed"
tb_appliance iptables-nft-save -t mangle | grep -q -- "-A FORWARD -j BLOCKD-FWD" ||
	tb_fail "no jump into BLOCKD-FWD"
foreign_intact "running"
out=$(tb_client dig +time=2 +tries=1 @"$TB_RESOLVER4" blocked.example A)
echo "$out" | grep -q "status: NXDOMAIN" || tb_fail "not blocking while running"
tb_stop_blockd TERM
no_traces "after SIGTERM"
foreign_intact "after SIGTERM"
echo "PASS rules removed, foreign rules intact"

# on_stop=keep: the rules stay, the log says what that means.
tb_blockd_conf netfilter.on_stop=keep netfilter.failure=open
tb_start_blockd
tb_stop_blockd TERM
tb_appliance nft list ruleset | grep -q "BLOCKD-FWD" || tb_fail "on_stop=keep removed the rules"
grep -q "state fail-open rules kept at stop" "$TB_DIR/blockd.log" ||
	tb_fail "no fail-open state record for kept rules"
out=$(tb_client dig +short +time=2 +tries=1 @"$TB_RESOLVER4" allowed.example A)
[ "$out" = "$TB_SERVER4" ] || tb_fail "kept fail-open rules do not let traffic through"
echo "PASS on_stop=keep"

# hook=local: the appliance's own lookups are judged; a start replaces the kept rules.
tb_blockd_conf netfilter.hook=local
tb_start_blockd
tb_appliance iptables-nft-save -t mangle | grep -q -- "-A FORWARD -j BLOCKD-FWD" &&
	tb_fail "hook=local left the forward rules of the earlier run"
tb_appliance iptables-nft-save -t mangle | grep -q -- "-A OUTPUT -j BLOCKD-OUT" ||
	tb_fail "hook=local installed no output rules"
out=$(tb_appliance dig +time=2 +tries=1 @"$TB_RESOLVER4" blocked.example A)
echo "$out" | grep -q "status: NXDOMAIN" || tb_fail "hook=local: local lookup not blocked"
out=$(tb_appliance dig +tcp +time=2 +tries=1 @"$TB_RESOLVER6" blocked.example AAAA)
echo "$out" | grep -q "status: NXDOMAIN" || tb_fail "hook=local: local TCP/IPv6 lookup not blocked"
out=$(tb_appliance dig +short +time=2 +tries=1 @"$TB_RESOLVER4" allowed.example A)
[ "$out" = "$TB_SERVER4" ] || tb_fail "hook=local: allowed name does not resolve"
tb_stop_blockd TERM
no_traces "hook=local stopped"
foreign_intact "hook=local stopped"
echo "PASS hook=local"

# backend=nft where the kernel lacks nft queue: a clear failure and nothing left; else it works.
tb_blockd_conf netfilter.backend=nft netfilter.hook=both
if tb_appliance nft -f - <<'EON' 2>/dev/null; then
table inet tbprobe { chain c { udp dport 9 queue num 0 bypass; } }
EON
	tb_appliance nft delete table inet tbprobe
	tb_start_blockd
	out=$(tb_client dig +time=2 +tries=1 @"$TB_RESOLVER4" blocked.example A)
	echo "$out" | grep -q "status: NXDOMAIN" || tb_fail "backend=nft: not blocking"
	tb_stop_blockd TERM
	echo "PASS backend=nft"
else
	if tb_appliance "${BLOCKD:-build/blockd}" -d -f "$TB_DIR/blockd.conf" >"$TB_DIR/nft.log" 2>&1; then
		tb_fail "backend=nft started on a kernel without nft queue"
	fi
	grep -q "nft" "$TB_DIR/nft.log" || tb_fail "backend=nft failure does not say why"
	echo "PASS backend=nft refused: $(tail -n 1 "$TB_DIR/nft.log")"
fi
no_traces "after backend=nft"
foreign_intact "at the end"
echo "t_hooks_cleanup: all passed"
