#!/bin/sh
# Through the appliance, in one run on one machine: new TLS flows per second judged (each a TCP
# handshake, a 517-byte ClientHello and a reset; every other one naming a blocked name, which blockd
# resets) with no queue, with the accept-all NFQUEUE program (build/bench/nfq_accept, fed by a copy
# of blockd's own hooks), and with blockd reading the flows of ports = 443 only and of ports = all;
# and the same for flows of another protocol to another port (517 bytes no judged protocol starts
# with, to port 9000), which ports = all queues too: what reading every port costs.
# Usage: b_flows.sh OUT.json   (root; everything runs in namespaces the test bed makes and removes)
set -u
cd "$(dirname "$0")/../.."
. tests/lib/netns.sh
json=${1:-build/bench/results/b_flows.json}
secs=${BENCH_SECONDS:-2}
rounds=${BENCH_ROUNDS:-3}
conc=${BENCH_FLOWS_CONCURRENT:-128}
gen=build/bench/tls_flows
floor_bin=build/bench/nfq_accept
for b in "$gen" "$floor_bin" build/blockd build/blockctl build/blockrules; do
	[ -x "$b" ] || { echo "b_flows: $b missing (make bench builds it)" >&2; exit 1; }
done
stamp() { echo "b_flows: $*" >&2; }

tb_setup
tb_spawn sink "$TB_NS_SERVER" "$gen" -l 443 9000
tb_wait_for grep -q listening "$TB_DIR/sink.log" || tb_fail "tls_flows -l: $(cat "$TB_DIR/sink.log")"
tb_list "suffix blocked.example CL-2026-000123"

# blockd's hooks for ports = 443 and ports = all, each saved as it installs them (nft, or
# iptables-nft where the kernel lacks the nft queue expression); blockd then keeps running with
# ports = all, and the modes swap the rules under it. For flows to port 443, which both read, its
# work is the same either way; what differs is what the rules send it.
save_hooks() { # NAME
	tb_appliance nft list table inet blockd >"$TB_DIR/$1.nft" || tb_fail "no nft table blockd"
	tb_appliance iptables-nft-save -t mangle >"$TB_DIR/$1.ipt4" 2>/dev/null
	tb_appliance ip6tables-nft-save -t mangle >"$TB_DIR/$1.ipt6" 2>/dev/null
}
tb_blockd_conf flows.ports=443
tb_start_blockd
save_hooks p443
tb_stop_blockd
tb_blockd_conf flows.ports=all
tb_start_blockd
save_hooks pall
backend=nft
grep -q NFQUEUE "$TB_DIR/p443.ipt4" && backend=iptables
for f in nft ipt4 ipt6; do
	sed -e 's/4200-4201/4300-4301/g; s/4200:4201/4300:4301/g; s/offset 4200/offset 4300/g' \
		-e 's/queue num 4200 /queue num 4300 /g; s/queue-num 420\([01]\)/queue-num 430\1/g' \
		"$TB_DIR/p443.$f" >"$TB_DIR/floor.$f"
done
grep -qE '420[01]' "$TB_DIR/floor.nft" "$TB_DIR/floor.ipt4" && tb_fail "queue numbers not as expected (4200-4201)"
tb_spawn floor "$TB_NS_APPL" "$floor_bin" -q 4300 -n 2 -m 8192 -r 16
tb_wait_for grep -q ready "$TB_DIR/floor.log" || tb_fail "nfq_accept: $(cat "$TB_DIR/floor.log")"

mode() { # none | floor | b443 | ball
	tb_appliance nft flush ruleset || tb_fail "nft flush ruleset"
	case $1 in
	none) return 0 ;;
	floor) _p=floor ;;
	b443) _p=p443 ;;
	ball) _p=pall ;;
	esac
	tb_appliance nft -f "$TB_DIR/$_p.nft" || tb_fail "cannot load $_p.nft"
	if [ "$backend" = iptables ]; then
		tb_appliance iptables-nft-restore <"$TB_DIR/$_p.ipt4" &&
			tb_appliance ip6tables-nft-restore <"$TB_DIR/$_p.ipt6" ||
			tb_fail "cannot load $_p iptables rules"
	fi
}
# flows_run PORT [junk] -> flows/s; the generator's line is kept in $TB_DIR/gen.$PORT.$_m.
flows_run() {
	_o=$(tb_client timeout $((secs + 20)) "$gen" "$TB_SERVER4" "$1" "$secs" "$conc" \
		allowed.example www.blocked.example ${2:-})
	echo "$_o" >>"$TB_DIR/gen.$1.$_m"
	echo "$_o" | awk '{ print $6 }'
}
tls_run() { flows_run 443; }
other_run() { flows_run 9000 junk; }
median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : 0 }'; }
modes="none floor b443 ball"
# each FUNCTION VAR_PREFIX: FUNCTION in every mode, round after round; VAR_PREFIX_MODE gets the median.
each() {
	_r=0
	for _m in $modes; do eval "_v_$_m=''"; done
	while [ $_r -lt "$rounds" ]; do
		for _m in $modes; do
			mode "$_m"
			sleep 0.5
			_x=$($1)
			eval "_v_$_m=\"\$_v_$_m $_x\""
		done
		_r=$((_r + 1))
	done
	for _m in $modes; do
		eval "$2_$_m=\$(echo \$_v_$_m | median)"
		eval "stamp \"$2 $_m: \$_v_$_m\""
	done
}

stamp "new TLS flows per second to port 443, half of them blocked ($rounds rounds of $secs s per mode)"
each tls_run tls
stamp "new flows per second of another protocol to port 9000"
each other_run other
mode ball
# That blockd read and reset the blocked half: its counters, and the generator's resets.
build/blockctl -s "$TB_DIR/control.sock" stats >"$TB_DIR/stats.txt" 2>&1
sum() { awk -v k="$1" '$1 ~ "\\." k "$" { s += $2 } END { print s + 0 }' "$TB_DIR/stats.txt"; }
hellos=$(sum tls_hellos)
blocked=$(sum tls_blocked)
unrecognised=$(sum flows_unrecognised)
resets=$(awk '{ s += $10 } END { print s + 0 }' "$TB_DIR/gen.443.b443" "$TB_DIR/gen.443.ball")
stamp "blockd: tls_hellos $hellos tls_blocked $blocked flows_unrecognised $unrecognised; resets seen $resets"
[ "$blocked" -gt 0 ] && [ "$resets" -gt 0 ] || tb_fail "blockd blocked nothing: $(cat "$TB_DIR/stats.txt")"
tb_stop_blockd

mkdir -p "$(dirname "$json")"
cat >"$json" <<EOJ
{"bench":"flows","seconds":$secs,"rounds":$rounds,"concurrent":$conc,"blocked_share":0.5,
 "tls_flows_per_s":{"no_queue":$tls_none,"nfq_floor":$tls_floor,"blockd_443":$tls_b443,"blockd_all":$tls_ball},
 "other_flows_per_s":{"no_queue":$other_none,"nfq_floor":$other_floor,"blockd_443":$other_b443,"blockd_all":$other_ball},
 "tls_hellos":$hellos,"tls_blocked":$blocked,"flows_unrecognised":$unrecognised,
 "hooks_backend":"$backend"}
EOJ
cat "$json"
