#!/bin/sh
# make bench: every build/bench/* program, then every tests/bench/b_*.sh, each with its own time
# cap; results in build/bench/results/, then one summary table and summary.json.
set -u
cd "$(dirname "$0")/../.."
out=build/bench/results
mkdir -p "$out"
# BENCH_ONLY="b_flows ..." runs only those scripts (no bench program) and keeps the other results.
only=${BENCH_ONLY:-}
[ -n "$only" ] || rm -f "$out"/*.json
rc=0
t0=$(date +%s)
# Seconds each may take before it is stopped; the whole run stays under 10 minutes.
cap() {
	case $1 in
	b_dns) echo 460 ;; # three reload rounds, each with its own run without a reload
	b_match_unbound) echo 200 ;;
	b_ipset) echo 500 ;;
	b_flows) echo 340 ;; # QUIC Initials add some 25 s
	b_flowpath) echo 150 ;;
	b_start) echo 300 ;;
	*) echo 60 ;;
	esac
}
for b in build/bench/*; do
	[ -f "$b" ] && [ -x "$b" ] && [ -z "$only" ] || continue
	name=${b##*/}
	case $name in
	nfq_accept | dns_latency | dns_transit | ipset_bench | tls_flows | quic_flows | flow_path) continue ;; # helpers the b_*.sh start
	esac
	echo "== $name"
	timeout "$(cap "$name")" "$b" --json "$out/$name.json" || rc=1
done
for s in tests/bench/b_*.sh; do
	[ -e "$s" ] || continue
	name=${s##*/}
	name=${name%.sh}
	case " $only " in
	"  " | *" $name "*) ;;
	*) continue ;;
	esac
	echo "== $name"
	# TERM first, so the test bed's trap removes its namespaces.
	timeout -k 20 "$(cap "$name")" sh "$s" "$out/$name.json" || rc=1
done
echo "== summary ($(($(date +%s) - t0)) s)"
python3 tests/bench/summary.py "$out" || rc=1
exit $rc
