#!/bin/sh
# Through the appliance, in one run on one machine: DNS queries per second with blockd inspecting
# (a 1,000,000-entry list, one query in ten blocked) against an accept-all NFQUEUE floor
# (build/bench/nfq_accept, same queues and flags, fed by a copy of blockd's own hooks) and against no
# queue; added latency at half of blockd's maximum rate (each query's time inside the appliance,
# stamped by the kernel as it arrives and leaves, and the client's round trip); TCP throughput on
# port 443 and how many
# of its packets reached user space; TLS handshakes per second; a 1M-entry reload under load, in
# several rounds, each beside a run of the same load without a reload.
# Usage: b_dns.sh OUT.json   (root; everything runs in namespaces the test bed makes and removes)
set -u
cd "$(dirname "$0")/../.."
. tests/lib/netns.sh
json=${1:-build/bench/results/b_dns.json}
secs=${BENCH_SECONDS:-2}
entries=${BENCH_ENTRIES:-1000000}
floor_bin=build/bench/nfq_accept
lat_bin=build/bench/dns_latency
transit_bin=build/bench/dns_transit
for b in "$floor_bin" "$lat_bin" "$transit_bin" build/blockd build/blockctl build/blockrules; do
	[ -x "$b" ] || { echo "b_dns: $b missing (make bench builds it)" >&2; exit 1; }
done
for t in dnsperf iperf3 nginx nft python3; do
	command -v "$t" >/dev/null || { echo "b_dns: $t not found (make deps)" >&2; exit 1; }
done

stamp() { echo "b_dns: $*" >&2; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

tb_setup
tb_start_unbound
tb_start_nginx
tb_blockd_conf

# The list: $entries names bNNNNNNN.blocked.example (tb_biglist); the reload list differs in
# 1,000 names and has a higher serial.
mklist() { tb_biglist "$1" "$entries" "$2" "$3"; }
t0=$(now_ms)
mklist 1 0 "$TB_DIR/rules/blocklist"
# One list for each reload round, serials 2, 3, ..., each 1,000 names shifted from the last.
reload_rounds=${BENCH_RELOAD_ROUNDS:-3}
r=1
while [ "$r" -le "$reload_rounds" ]; do
	mkdir -p "$TB_DIR/next$r"
	mklist $((r + 1)) $((r % 2 * 1000)) "$TB_DIR/next$r/blocklist"
	r=$((r + 1))
done
stamp "$((reload_rounds + 1)) lists of $entries entries built and signed in $(($(now_ms) - t0)) ms"

# Queries: nine in ten for a name the list does not hold, one in ten for a listed name.
awk -v n="$entries" 'BEGIN { srand(7); for (i = 0; i < 1000; i++) {
	if (i % 10 == 9) printf "b%07d.blocked.example A\n", int(rand() * n)
	else if (i % 2) print "allowed.example A"; else print "other.test AAAA" } }' >"$TB_DIR/queries.txt"

# dnsperf [-Q RATE] for SECS seconds; leaves its report in $TB_DIR/dnsperf.out.
dnsperf_run() { # SECS [dnsperf options]
	_s=$1
	shift
	tb_client timeout $((_s + 20)) dnsperf -s "$TB_RESOLVER4" -d "$TB_DIR/queries.txt" -l "$_s" \
		-c 8 -q 400 -t 2 "$@" >"$TB_DIR/dnsperf.out" 2>&1
}
field() { awk -v k="$1" 'index($0, k) { sub(/.*: */, ""); sub(/ .*/, ""); print; exit }' "$TB_DIR/dnsperf.out"; }
qps_max() {
	dnsperf_run "$secs"
	v=$(field "Queries per second")
	printf '%.0f' "${v:-0}"
}
latency() { # RATE -> "p50 p99 lost"
	tb_client timeout 30 "$lat_bin" "$TB_RESOLVER4" "$1" "$secs" |
		awk '{ print $8, $10, $6 }'
}
queued() { tb_appliance awk '{ s += $8 } END { print s + 0 }' /proc/net/netfilter/nfnetlink_queue; }
a0_rx() { tb_appliance cat /sys/class/net/a0/statistics/rx_packets; }
bulk_run() { # -> "Mbit/s packets_of_flow packets_queued"
	_q=$(queued)
	_r=$(a0_rx)
	_m=$(iperf_run)
	echo "$_m $(($(a0_rx) - _r)) $(($(queued) - _q))"
}
iperf_run() { # -> Mbit/s
	tb_client timeout 20 iperf3 -c "$bulk4" -p 443 -t "$secs" -J 2>/dev/null |
		python3 -c 'import json,sys; print("%.0f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e6))' 2>/dev/null || echo 0
}
tls_run() { # -> handshakes/s
	tb_client timeout 30 python3 tests/bench/tls_rate.py "$TB_SERVER4" 443 allowed.example "$secs" 2 |
		awk '{ print $6 }'
}
# nginx holds 198.51.100.80:443; the bulk flow goes to iperf3 on port 443 of a second address.
bulk4=198.51.100.81
tb_server ip addr add "$bulk4/24" dev s0
tb_spawn iperf "$TB_NS_SERVER" iperf3 -s -B "$bulk4" -p 443
tb_wait_for tb_server sh -c "ss -ltn | grep -q '$bulk4:443 '" || tb_fail "iperf3 server"

# blockd with the 1M list; its hooks (nft, or iptables-nft where the kernel lacks the nft queue
# expression) are saved so the three modes can be switched in a moment while blockd keeps running:
# blockd (its own rules), floor (the same rules sending to nfq_accept's queues 4300-4301) and
# none (no rules). The modes take turns, round after round, and each figure is the median of its
# rounds, so a machine that gets busier during the run does not favour one of them.
t0=$(now_ms)
tb_start_blockd
start_ms=$(($(now_ms) - t0))
grep -q "serial 1" "$TB_DIR/blockd.log" || tb_fail "blockd did not load serial 1"
tb_appliance nft list table inet blockd >"$TB_DIR/hooks.nft" || tb_fail "no nft table blockd"
tb_appliance iptables-nft-save -t mangle >"$TB_DIR/hooks.ipt4" 2>/dev/null
tb_appliance ip6tables-nft-save -t mangle >"$TB_DIR/hooks.ipt6" 2>/dev/null
backend=nft
grep -q NFQUEUE "$TB_DIR/hooks.ipt4" && backend=iptables
for f in nft ipt4 ipt6; do
	sed -e 's/4200-4201/4300-4301/g; s/4200:4201/4300:4301/g; s/offset 4200/offset 4300/g' \
		-e 's/queue num 4200 /queue num 4300 /g; s/queue-num 420\([01]\)/queue-num 430\1/g' \
		"$TB_DIR/hooks.$f" >"$TB_DIR/floor.$f"
done
grep -qE '420[01]' "$TB_DIR/floor.nft" "$TB_DIR/floor.ipt4" && tb_fail "queue numbers not as expected (4200-4201)"
tb_spawn floor "$TB_NS_APPL" "$floor_bin" -q 4300 -n 2 -m 8192 -r 16
tb_wait_for grep -q ready "$TB_DIR/floor.log" || tb_fail "nfq_accept: $(cat "$TB_DIR/floor.log")"

mode() { # none | floor | blockd (the appliance namespace is the bench's own: nothing else is in it)
	tb_appliance nft flush ruleset || tb_fail "nft flush ruleset"
	case $1 in
	none) return 0 ;;
	floor) _p=floor ;;
	blockd) _p=hooks ;;
	esac
	tb_appliance nft -f "$TB_DIR/$_p.nft" || tb_fail "cannot load $_p.nft"
	if [ "$backend" = iptables ]; then
		tb_appliance iptables-nft-restore <"$TB_DIR/$_p.ipt4" &&
			tb_appliance ip6tables-nft-restore <"$TB_DIR/$_p.ipt6" ||
			tb_fail "cannot load $_p iptables rules"
	fi
}
median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : 0 }'; }
rounds=${BENCH_ROUNDS:-5}
modes="none floor blockd"
# each FUNCTION VAR_PREFIX: runs FUNCTION in every mode, rounds times; VAR_PREFIX_MODE gets the median.
each() {
	_r=0
	for _m in $modes; do eval "_v_$_m=''"; done
	while [ $_r -lt "$rounds" ]; do
		for _m in $modes; do
			mode "$_m"
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

stamp "DNS queries per second, one in ten blocked ($rounds rounds of $secs s per mode)"
each qps_max qps
rate=$((qps_blockd / 2))
[ "$rate" -ge 100 ] || tb_fail "blockd answered $qps_blockd queries/s"
stamp "latency at $rate queries/s"
# One run gives four figures: the transit p50 goes through each(); the transit p99 and the round
# trip's p50 and p99 go to a file per mode ($_m is each()'s mode). dns_transit watches the
# subscriber side (a0) and the resolver side (ar) of the appliance while dns_latency sends.
lat_run() {
	tb_spawn transit "$TB_NS_APPL" "$transit_bin" a0 ar $((secs + 1))
	tb_wait_for grep -q ready "$TB_DIR/transit.log" || tb_fail "dns_transit did not start"
	set -- $(latency "$rate")
	echo "${1:-0}" >>"$TB_DIR/rtt50.$_m"
	echo "${2:-0}" >>"$TB_DIR/rtt99.$_m"
	tb_wait_for -t $((secs + 10)) sh -c "! kill -0 $(tb_pid transit) 2>/dev/null" ||
		tb_fail "dns_transit did not finish"
	set -- $(awk '$1 == "passed" { print $8, $10 }' "$TB_DIR/transit.log")
	echo "${2:-0}" >>"$TB_DIR/p99.$_m"
	echo "${1:-0}"
}
each lat_run p50
for m in $modes; do
	eval "p99_$m=\$(median <\"\$TB_DIR/p99.$m\")"
	eval "rtt50_$m=\$(median <\"\$TB_DIR/rtt50.$m\")"
	eval "rtt99_$m=\$(median <\"\$TB_DIR/rtt99.$m\")"
done
stamp "transit p99: none $p99_none floor $p99_floor blockd $p99_blockd"
stamp "round trip p50/p99: none $rtt50_none/$rtt99_none floor $rtt50_floor/$rtt99_floor blockd $rtt50_blockd/$rtt99_blockd"
# Bulk twice: as a Linux router receives it by default (receive offload merging a flow's segments
# before netfilter, as physical NICs do), and one segment at a time, the test bed's worst case,
# where every 1500-byte packet pays for connection tracking and the rules on its own.
stamp "TCP 443 bulk, receive offload on"
tb_appliance ethtool -K a0 gro on >/dev/null 2>&1 || tb_fail "ethtool -K a0 gro on"
each iperf_run mbps
mode blockd
set -- $(bulk_run)
pk_flow=$2 pk_user=$3
tb_appliance ethtool -K a0 gro off >/dev/null 2>&1 || tb_fail "ethtool -K a0 gro off"
stamp "TCP 443 bulk, one segment at a time"
each iperf_run mbps_seg
stamp "TLS handshakes"
each tls_run tls
mode blockd
# That the TLS rounds were inspected: blockd counts every ClientHello it read.
build/blockctl -s "$TB_DIR/control.sock" stats >"$TB_DIR/stats.txt" 2>&1
sni=false
grep -Eq 'tls_hellos +[1-9]' "$TB_DIR/stats.txt" && sni=true

# Reload under load, reload_rounds times: each round first the load without a reload (the losses
# it has anyway, its own baseline at the same rate), then the same load with the next serial (1M
# entries, 2,000 of them changed) put in place and reloaded mid-run. Medians and every round.
stamp "reload of $entries entries under $rate queries/s ($reload_rounds rounds)"
rl_ms='' rl_lost='' rl_sent='' rl_clost='' rl_csent='' rl_rounds=''
r=1
while [ "$r" -le "$reload_rounds" ]; do
	dnsperf_run $((secs * 4)) -Q "$rate"
	c_lost=$(field "Queries lost")
	c_sent=$(field "Queries sent")
	dnsperf_run $((secs * 4)) -Q "$rate" &
	dp=$!
	sleep $((secs * 2))
	# The list put in place and the reload asked for at once: the directory's watch, which
	# fires 200 ms after the files settle, then finds the same list in force.
	t0=$(now_ms)
	cp "$TB_DIR/next$r/blocklist" "$TB_DIR/next$r/blocklist.minisig" "$TB_DIR/rules/"
	reload_out=$(build/blockctl -s "$TB_DIR/control.sock" reload 2>&1)
	ms=$(($(now_ms) - t0))
	wait "$dp"
	lost=$(field "Queries lost")
	sent=$(field "Queries sent")
	case $reload_out in
	*"serial $((r + 1)) in force"*) ;;
	*) tb_fail "reload: $reload_out" ;;
	esac
	stamp "reload round $r: $ms ms, $lost of $sent queries lost; without a reload $c_lost of $c_sent"
	rl_ms="$rl_ms $ms" rl_lost="$rl_lost ${lost:-0}" rl_sent="$rl_sent ${sent:-0}"
	rl_clost="$rl_clost ${c_lost:-0}" rl_csent="$rl_csent ${c_sent:-0}"
	rl_rounds="$rl_rounds${rl_rounds:+,}{\"ms\":$ms,\"queries_sent\":${sent:-0},\"queries_lost\":${lost:-0},\"control_queries_sent\":${c_sent:-0},\"control_queries_lost\":${c_lost:-0}}"
	r=$((r + 1))
done
build/blockctl -s "$TB_DIR/control.sock" status 2>&1 | grep -q "serial $((reload_rounds + 1))" ||
	tb_fail "status does not show serial $((reload_rounds + 1))"
tb_stop_blockd

mkdir -p "$(dirname "$json")"
cat >"$json" <<EOJ
{"bench":"appliance","seconds":$secs,"rounds":$rounds,"list_entries":$entries,"blocked_share":0.1,
 "dns_qps":{"blockd":$qps_blockd,"nfq_floor":$qps_floor,"no_queue":$qps_none},
 "dns_transit_us":{"rate_qps":$rate,"blockd":{"p50":$p50_blockd,"p99":$p99_blockd},
   "nfq_floor":{"p50":$p50_floor,"p99":$p99_floor},"no_queue":{"p50":$p50_none,"p99":$p99_none}},
 "dns_latency_us":{"rate_qps":$rate,"blockd":{"p50":$rtt50_blockd,"p99":$rtt99_blockd},
   "nfq_floor":{"p50":$rtt50_floor,"p99":$rtt99_floor},"no_queue":{"p50":$rtt50_none,"p99":$rtt99_none}},
 "tcp443_mbps":{"blockd":$mbps_blockd,"nfq_floor":$mbps_floor,"no_queue":$mbps_none},
 "tcp443_mbps_per_segment":{"blockd":$mbps_seg_blockd,"nfq_floor":$mbps_seg_floor,"no_queue":$mbps_seg_none},
 "tcp443_packets":{"flow":$pk_flow,"to_user_space":$pk_user},
 "tls_handshakes_per_s":{"blockd":${tls_blockd:-0},"nfq_floor":${tls_floor:-0},"no_queue":${tls_none:-0}},
 "reload":{"entries":$entries,"rounds":$reload_rounds,"load_qps":$rate,"ms":$(echo $rl_ms | median),
   "queries_sent":$(echo $rl_sent | median),"queries_lost":$(echo $rl_lost | median),
   "control_queries_sent":$(echo $rl_csent | median),"control_queries_lost":$(echo $rl_clost | median),
   "per_round":[$rl_rounds]},
 "hooks_backend":"$backend","tls_sni_inspected":$sni,
 "blockd_start_ms":$start_ms}
EOJ
cat "$json"
