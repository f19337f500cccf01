#!/bin/sh
# make bench: every build/bench/* program, then every tests/bench/b_*.sh, each with its own time
# cap; results in build/bench/results/, then one summary table and summary.json.
set -u
cd "$(dirname "$0")/../.."
out=build/bench/results
mkdir -p "$out"
rm -f "$out"/*.json
rc=0
t0=$(date +%s)
# Seconds each may take before it is stopped; the whole run stays under 10 minutes.
cap() {
	case $1 in
	b_dns) echo 400 ;;
	b_match_unbound) echo 200 ;;
	b_ipset) echo 500 ;;
	*) echo 60 ;;
	esac
}
for b in build/bench/*; do
	[ -f "$b" ] && [ -x "$b" ] || continue
	name=${b##*/}
	case $name in
	nfq_accept | dns_latency | dns_transit | ipset_bench) continue ;; # helpers b_*.sh start themselves
	esac
	echo "== $name"
	timeout "$(cap "$name")" "$b" --json "$out/$name.json" || rc=1
done
for s in tests/bench/b_*.sh; do
	[ -e "$s" ] || continue
	name=${s##*/}
	name=${name%.sh}
	echo "== $name"
	# TERM first, so the test bed's trap removes its namespaces.
	timeout -k 20 "$(cap "$name")" sh "$s" "$out/$name.json" || rc=1
done
echo "== summary ($(($(date +%s) - t0)) s)"
python3 tests/bench/summary.py "$out" || rc=1
exit $rc
