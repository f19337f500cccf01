#!/bin/sh
# Through the appliance, in one run on one machine: new TLS flows per second judged (each a TCP
# handshake, a 517-byte ClientHello and a reset; every other one naming a blocked name, which blockd
# resets), IPv4 and IPv6, with no queue, with the accept-all NFQUEUE program (build/bench/nfq_accept,
# fed by a copy of blockd's own hooks), and with blockd reading the flows of ports = 443 only and of
# ports = all; the same for flows of another protocol to another port (517 bytes no judged protocol
# starts with, to port 9000), which ports = all queues too: what reading every port costs. Then the
# same TLS flows with a 1,000,000-entry list beside the accept-all floor; and blockd with one queue
# and with two, all flows between one client address and one server address, with each worker's
# share of them. Each figure shows the CPU time of the generator and of the program on the queue
# (blockd or the floor), as shares of one core: the machine has two.
# QUIC: new flows each carrying one client Initial (QUIC v1, protected per RFC 9001; half of them
# naming the blocked name, which blockd drops), to UDP 443, IPv4, with no queue, the floor and blockd
# (ports = 443), by build/bench/quic_flows, from 32 client addresses so that no flow conntrack
# still holds is reused.
# Usage: b_flows.sh OUT.json   (root; everything runs in namespaces the test bed makes and removes)
set -u
cd "$(dirname "$0")/../.."
. tests/lib/netns.sh
json=${1:-build/bench/results/b_flows.json}
secs=${BENCH_SECONDS:-2}
rounds=${BENCH_ROUNDS:-3}
conc=${BENCH_FLOWS_CONCURRENT:-128}
entries=${BENCH_ENTRIES:-1000000}
gen=build/bench/tls_flows
qgen=build/bench/quic_flows
floor_bin=build/bench/nfq_accept
for b in "$gen" "$qgen" "$floor_bin" build/blockd build/blockctl build/blockrules; do
	[ -x "$b" ] || { echo "b_flows: $b missing (make bench builds it)" >&2; exit 1; }
done
stamp() { echo "b_flows: $*" >&2; }
hz=$(getconf CLK_TCK)

tb_setup
tb_spawn sink "$TB_NS_SERVER" "$gen" -l 443 9000
tb_wait_for grep -q listening "$TB_DIR/sink.log" || tb_fail "tls_flows -l: $(cat "$TB_DIR/sink.log")"
tb_list "suffix blocked.example CL-2026-000123"
# QUIC: the generator checks its Initials against RFC 9001 Appendix A before anything runs; the
# server answers UDP 443; the client gets 32 more addresses to send from.
"$qgen" --check >&2 || tb_fail "quic_flows --check failed"
tb_spawn qsink "$TB_NS_SERVER" "$qgen" -l 443
tb_wait_for grep -q listening "$TB_DIR/qsink.log" || tb_fail "quic_flows -l: $(cat "$TB_DIR/qsink.log")"
qsrc=""
for i in $(seq 100 131); do
	ip -n "$TB_NS_CLIENT" addr add "192.0.2.$i/24" dev c0 && qsrc="$qsrc 192.0.2.$i"
done

# The 1M list, serial 2 (after tb_list's serial 1): $entries names of another domain, and the same
# suffix blocked.example, written directly and signed with the run's regulator key.
mklist() { # OUT
	_nb=$(date -u -d '-1 day' +%Y-%m-%dT%H:%M:%SZ)
	_na=$(date -u -d '+30 days' +%Y-%m-%dT%H:%M:%SZ)
	mkdir -p "$TB_DIR/o1m"
	{
		printf 'order CL-2026-000900\nauthority Test Court\ndate %s\nservice Service bench\n' \
			"$(date -u +%Y-%m-%d)"
		printf 'not-before %s\nnot-after %s\nnotice Blocked by order CL-2026-000900.\n' "$_nb" "$_na"
		printf 'notice-url https://orders.example/CL-2026-000900\n'
		printf 'suffix blocked.example\n'
		awk -v n="$((entries - 1))" 'BEGIN { for (i = 0; i < n; i++) printf "domain b%07d.listed.example\n", i }'
	} >"$TB_DIR/o1m/bench.order"
	build/blockrules build -i "Test Regulator" -S "test bed" -d 30 -n 2 -o "$1" \
		"$TB_DIR/o1m/bench.order" >"$TB_DIR/blockrules.log" 2>&1 &&
		build/blockrules sign -s "$TB_DIR/regulator.key" "$1" >>"$TB_DIR/blockrules.log" 2>&1 ||
		tb_fail "blockrules: $(cat "$TB_DIR/blockrules.log")"
}
mkdir -p "$TB_DIR/l1m"
mklist "$TB_DIR/l1m/blocklist"

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

mode() { # none | floor | b443 | ball | b1m
	tb_appliance nft flush ruleset || tb_fail "nft flush ruleset"
	case $1 in
	none) return 0 ;;
	floor) _p=floor ;;
	b443 | b1m) _p=p443 ;;
	ball) _p=pall ;;
	esac
	tb_appliance nft -f "$TB_DIR/$_p.nft" || tb_fail "cannot load $_p.nft"
	if [ "$backend" = iptables ]; then
		tb_appliance iptables-nft-restore <"$TB_DIR/$_p.ipt4" &&
			tb_appliance ip6tables-nft-restore <"$TB_DIR/$_p.ipt6" ||
			tb_fail "cannot load $_p iptables rules"
	fi
}
# The CPU ticks (user and system) of the program on the queue in mode $_m: blockd or the floor.
ticks() {
	case $_m in
	floor) _pid=$(tb_pid floor) ;;
	none) echo 0; return 0 ;;
	*) _pid=$(tb_pid blockd) ;;
	esac
	awk '{ print $14 + $15 }' "/proc/$_pid/stat" 2>/dev/null || echo 0
}
# flows_run ADDR PORT [junk] -> flows/s; the generator's line, and the queue program's CPU seconds
# over the run, are kept in $TB_DIR/gen.$_tag.$_m.
flows_run() {
	_t0=$(ticks)
	_o=$(tb_client timeout $((secs + 20)) "$gen" "$1" "$2" "$secs" "$conc" \
		allowed.example www.blocked.example ${3:-})
	_t1=$(ticks)
	echo "$_o qcpu_s $(awk -v a="$_t0" -v b="$_t1" -v hz="$hz" 'BEGIN { printf "%.3f", (b - a) / hz }')" \
		>>"$TB_DIR/gen.$_tag.$_m"
	echo "$_o" | awk '{ print $6 }'
}
tls_run() { _tag=tls4 && flows_run "$TB_SERVER4" 443; }
tls6_run() { _tag=tls6 && flows_run "$TB_SERVER6" 443; }
other_run() { _tag=other && flows_run "$TB_SERVER4" 9000 junk; }
tls1m_run() { _tag=tls1m && flows_run "$TB_SERVER4" 443; }
median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : 0 }'; }
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
# cpu TAG MODE -> "generator queue_program us_per_flow": CPU shares of one core (medians over the
# rounds), and the queue program's CPU microseconds per flow.
cpu() {
	awk '{ for (i = 1; i < NF; i++) { if ($i == "seconds") s = $(i + 1); if ($i == "cpu_s") g = $(i + 1);
		if ($i == "qcpu_s") q = $(i + 1); if ($i == "flows") f = $(i + 1) }
		print g / s, q / s, f ? q * 1e6 / f : 0 }' "$TB_DIR/gen.$1.$2" |
		sort -n -k2 | awk '{ v[NR] = $0 } END { split(v[int((NR + 1) / 2)], x, " "); printf "%.3f %.3f %.1f", x[1], x[2], x[3] }'
}
cpu_json() { # TAG MODE -> {"generator":..,"queue_program":..,"us_per_flow":..}
	set -- $(cpu "$1" "$2")
	printf '{"generator":%s,"queue_program":%s,"us_per_flow":%s}' "$1" "$2" "$3"
}

modes="none floor b443 ball"
stamp "new TLS flows per second to port 443 over IPv4, half of them blocked ($rounds rounds of $secs s per mode)"
each tls_run tls
stamp "the same over IPv6"
each tls6_run tls6
stamp "new flows per second of another protocol to port 9000"
each other_run other
# QUIC Initials: each pair of new flows (one blocked, one allowed Initial) from the next source
# ports, $qstep further on for each run; conntrack's UDP timeouts cut to 5 s on the appliance, so
# that a port reused after a wrap is a new flow.
tb_appliance sysctl -qw net.netfilter.nf_conntrack_udp_timeout=5 \
	net.netfilter.nf_conntrack_udp_timeout_stream=5 2>/dev/null || true
qoff=0
qstep=400000
quic_run() {
	_tag=quic
	_t0=$(ticks)
	_o=$(tb_client timeout $((secs + 20)) "$qgen" "$TB_SERVER4" 443 "$secs" "$conc" \
		allowed.example www.blocked.example -o "$qoff" $qsrc)
	_t1=$(ticks)
	qoff=$(((qoff + qstep) % (32 * 64512)))
	echo "$_o qcpu_s $(awk -v a="$_t0" -v b="$_t1" -v hz="$hz" 'BEGIN { printf "%.3f", (b - a) / hz }')" \
		>>"$TB_DIR/gen.$_tag.$_m"
	echo "$_o" | awk '{ print $6 }'
}
modes="none floor b443"
stamp "new QUIC flows per second (one client Initial each) to UDP 443 over IPv4, half of them blocked"
# Not in a subshell: quic_run moves qoff on.
_r=0
for _m in $modes; do eval "_v_$_m=''"; done
while [ $_r -lt "$rounds" ]; do
	for _m in $modes; do
		mode "$_m"
		sleep 0.5
		quic_run >"$TB_DIR/quic.last"
		eval "_v_$_m=\"\$_v_$_m $(cat "$TB_DIR/quic.last")\""
	done
	_r=$((_r + 1))
done
for _m in $modes; do
	eval "quic_$_m=\$(echo \$_v_$_m | median)"
	eval "stamp \"quic $_m: \$_v_$_m\""
done
qleak() { awk '{ for (i = 1; i < NF; i++) if ($i == "leaked") s += $(i + 1) } END { print s + 0 }' "$TB_DIR/gen.quic.$1"; }
quic_leaked_blockd=$(qleak b443)
quic_leaked_floor=$(qleak floor)
build/blockctl -s "$TB_DIR/control.sock" stats >"$TB_DIR/qstats.txt" 2>&1

mode ball
# That blockd read and reset the blocked half: its counters, and the generator's resets.
build/blockctl -s "$TB_DIR/control.sock" stats >"$TB_DIR/stats.txt" 2>&1
sum() { awk -v k="$1" '$1 ~ "\\." k "$" { s += $2 } END { print s + 0 }' "$TB_DIR/stats.txt"; }
hellos=$(sum tls_hellos)
blocked=$(sum tls_blocked)
unrecognised=$(sum flows_unrecognised)
resets=$(awk '{ s += $10 } END { print s + 0 }' "$TB_DIR/gen.tls4.b443" "$TB_DIR/gen.tls4.ball")
qsum() { awk -v k="$1" '$1 ~ "\\." k "$" { s += $2 } END { print s + 0 }' "$TB_DIR/qstats.txt"; }
quic_initials=$(qsum quic_initials)
quic_blocked=$(qsum quic_blocked)
stamp "blockd: quic_initials $quic_initials quic_blocked $quic_blocked; blocked Initials answered: blockd $quic_leaked_blockd, floor $quic_leaked_floor"
[ "$quic_blocked" -gt 0 ] && [ "$quic_leaked_blockd" -eq 0 ] ||
	tb_fail "blockd did not block the QUIC Initials: $(cat "$TB_DIR/qstats.txt")"
stamp "blockd: tls_hellos $hellos tls_blocked $blocked flows_unrecognised $unrecognised; resets seen $resets"
[ "$blocked" -gt 0 ] && [ "$resets" -gt 0 ] || tb_fail "blockd blocked nothing: $(cat "$TB_DIR/stats.txt")"

# The 1M list, then the same TLS flows beside the floor and no queue, in the same rounds. (The
# small list is kept for the last part, which starts blockd afresh with it.)
mkdir -p "$TB_DIR/l10"
cp "$TB_DIR/rules/blocklist" "$TB_DIR/rules/blocklist.minisig" "$TB_DIR/l10/"
cp "$TB_DIR/l1m/blocklist" "$TB_DIR/l1m/blocklist.minisig" "$TB_DIR/rules/"
# It changes the list in force whole: accepted with the change override.
build/blockctl -s "$TB_DIR/control.sock" reload --override >"$TB_DIR/reload.txt" 2>&1
tb_wait_for sh -c "build/blockctl -s '$TB_DIR/control.sock' status 2>/dev/null | grep -q 'serial 2'" ||
	tb_fail "blockd did not take the $entries-entry list: $(tail -n 5 "$TB_DIR/blockd.log")"
modes="none floor b1m"
stamp "new TLS flows per second over IPv4 with $entries entries"
each tls1m_run tls1m
build/blockctl -s "$TB_DIR/control.sock" stats >"$TB_DIR/stats.txt" 2>&1
blocked1m=$(($(sum tls_blocked) - blocked))
tb_stop_blockd
kill "$(tb_pid floor)" 2>/dev/null

# One client address, one server address: blockd with one queue and with two (ports = 443, its
# own rules), and each worker's share of the flows judged (its tls_hellos).
scale_json=""
for nq in 1 2; do
	tb_appliance nft flush ruleset
	rm -rf "$TB_DIR/rules$nq" "$TB_DIR/state$nq"
	mkdir -p "$TB_DIR/rules$nq" "$TB_DIR/state$nq"
	cp "$TB_DIR/l10/blocklist" "$TB_DIR/l10/blocklist.minisig" "$TB_DIR/rules$nq/"
	tb_blockd_conf flows.ports=443 netfilter.queues=$nq blockd.rules_dir="$TB_DIR/rules$nq" \
		blockd.state_dir="$TB_DIR/state$nq"
	tb_start_blockd
	_m=scale$nq
	_tag=pair
	_v=""
	_r=0
	while [ $_r -lt "$rounds" ]; do
		_v="$_v $(flows_run "$TB_SERVER4" 443)"
		_r=$((_r + 1))
	done
	build/blockctl -s "$TB_DIR/control.sock" -j stats >"$TB_DIR/stats.$nq.json" 2>&1
	shares=$(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
n = [v["tls_hellos"] for k, v in sorted(d.items()) if k.startswith("queue") and isinstance(v, dict)]
print(",".join("%.3f" % (x / sum(n) if sum(n) else 0) for x in n))' "$TB_DIR/stats.$nq.json") ||
		tb_fail "blockctl stats: $(cat "$TB_DIR/stats.$nq.json")"
	med=$(echo $_v | median)
	stamp "one address pair, $nq queue(s): flows/s $_v; each worker's share of the hellos: $shares"
	scale_json="$scale_json${scale_json:+,}\"queues_$nq\":{\"flows_per_s\":$med,\"worker_shares\":[$shares],\"cpu\":$(cpu_json pair "$_m")}"
	tb_stop_blockd
done

mkdir -p "$(dirname "$json")"
cat >"$json" <<EOJ
{"bench":"flows","seconds":$secs,"rounds":$rounds,"concurrent":$conc,"blocked_share":0.5,"entries_large":$entries,
 "tls_flows_per_s":{"no_queue":$tls_none,"nfq_floor":$tls_floor,"blockd_443":$tls_b443,"blockd_all":$tls_ball},
 "tls6_flows_per_s":{"no_queue":$tls6_none,"nfq_floor":$tls6_floor,"blockd_443":$tls6_b443,"blockd_all":$tls6_ball},
 "other_flows_per_s":{"no_queue":$other_none,"nfq_floor":$other_floor,"blockd_443":$other_b443,"blockd_all":$other_ball},
 "tls_1m_flows_per_s":{"no_queue":$tls1m_none,"nfq_floor":$tls1m_floor,"blockd_443":$tls1m_b1m},
 "cpu":{"tls_floor":$(cpu_json tls4 floor),"tls_blockd_443":$(cpu_json tls4 b443),
  "tls6_blockd_443":$(cpu_json tls6 b443),"tls_1m_floor":$(cpu_json tls1m floor),"tls_1m_blockd":$(cpu_json tls1m b1m)},
 "one_pair":{$scale_json},
 "tls_hellos":$hellos,"tls_blocked":$blocked,"tls_blocked_1m":$blocked1m,"flows_unrecognised":$unrecognised,
 "quic_flows_per_s":{"no_queue":$quic_none,"nfq_floor":$quic_floor,"blockd_443":$quic_b443},
 "quic_cpu":{"floor":$(cpu_json quic floor),"blockd_443":$(cpu_json quic b443)},
 "quic_initials":$quic_initials,"quic_blocked":$quic_blocked,
 "quic_blocked_answered":{"blockd_443":$quic_leaked_blockd,"nfq_floor":$quic_leaked_floor},
 "hooks_backend":"$backend"}
EOJ
cat "$json"
