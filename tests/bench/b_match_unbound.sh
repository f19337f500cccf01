#!/bin/sh
# The match snapshot against Unbound's RPZ on the same million names: load time; and, for reference,
# what the names and the snapshot add to a test program's resident memory. That is not a process
# against a process: b_start.sh compares blockd's whole daemon with Unbound's whole process.
# Usage: b_match_unbound.sh OUT.json   (root: Unbound runs on loopback in a fresh network namespace)
set -eu
cd "$(dirname "$0")/../.."
out=${1:-build/bench/results/b_match_unbound.json}
bench=build/bench/match_bench
deadline=300 # seconds Unbound may take to answer

for tool in unbound dig ip awk; do
	command -v "$tool" >/dev/null || { echo "b_match_unbound: $tool not found (make deps)" >&2; exit 1; }
done
[ -x "$bench" ] || { echo "b_match_unbound: $bench missing: run make build/bench/match_bench" >&2; exit 1; }

tmp=$(mktemp -d /tmp/b_match_unbound.XXXXXX)
ns=bmu$$
pid=
cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

now() { date +%s.%N; }

# Our side: the generated list written out, then loaded back from text and built.
"$bench" --build-only --names "$tmp/names.txt" --json "$tmp/match.json" >"$tmp/match.out"
cat "$tmp/match.out"
count=$(wc -l <"$tmp/names.txt")
first=$(awk 'NR == 1 { print $1 }' "$tmp/names.txt")

# The same names as an RPZ zone: an exact entry is one QNAME trigger, a suffix entry two.
awk 'BEGIN {
	print "$TTL 60"
	print "@ SOA localhost. hostmaster.localhost. 1 3600 600 86400 60"
	print "@ NS localhost."
}
{ print $1 " CNAME ."; if ($2 == "suffix") print "*." $1 " CNAME ." }' \
    "$tmp/names.txt" >"$tmp/rpz.zone"
cat >"$tmp/unbound.conf" <<CONF
server:
	interface: 127.0.0.1
	port: 53
	do-daemonize: no
	username: ""
	chroot: ""
	directory: "$tmp"
	pidfile: ""
	use-syslog: no
	logfile: "$tmp/unbound.log"
	verbosity: 1
	num-threads: 1
	module-config: "respip iterator"
	access-control: 127.0.0.0/8 allow
remote-control:
	control-enable: no
rpz:
	name: "rpz.test."
	zonefile: "$tmp/rpz.zone"
CONF

ip netns add "$ns"
ip -n "$ns" link set lo up
t0=$(now)
ip netns exec "$ns" unbound -d -c "$tmp/unbound.conf" &
pid=$!
answered=0
while :; do
	if ip netns exec "$ns" dig @127.0.0.1 +time=1 +tries=1 "$first" A 2>/dev/null |
	    grep -q 'status: NXDOMAIN'; then
		answered=1
		break
	fi
	kill -0 "$pid" 2>/dev/null || break
	elapsed=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { print int(b - a) }')
	[ "$elapsed" -lt "$deadline" ] || break
	sleep 0.2
done
t1=$(now)
if [ "$answered" != 1 ]; then
	echo "b_match_unbound: Unbound gave no RPZ answer for $first within ${deadline}s" >&2
	tail -5 "$tmp/unbound.log" >&2 || true
	exit 1
fi
rss_kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")
hwm_kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status")

awk -v t0="$t0" -v t1="$t1" -v rss="$rss_kb" -v hwm="$hwm_kb" -v n="$count" -v out="$out" \
    -v js="$(cat "$tmp/match.json")" 'BEGIN {
	ub_s = t1 - t0; ub_rss = rss * 1024; ub_hwm = hwm * 1024
	match(js, /"text_load_s":[0-9.]+/); our_s = substr(js, RSTART + 14, RLENGTH - 14) + 0
	match(js, /"text_load_rss_bytes":[0-9]+/); our_rss = substr(js, RSTART + 22, RLENGTH - 22) + 0
	match(js, /"build_cpu_s":[0-9.]+/); build_s = substr(js, RSTART + 14, RLENGTH - 14) + 0
	match(js, /"snapshot_rss_bytes":[0-9]+/); snap = substr(js, RSTART + 21, RLENGTH - 21) + 0
	load_x = ub_s / our_s; mem_x = ub_rss / our_rss
	printf "unbound 1.17 RPZ, %d names: first answer after %.1f s, RSS %.0f MB (peak %.0f MB)\n", n, ub_s, ub_rss / 1e6, ub_hwm / 1e6
	printf "blockd match, same names from text: %.2f s, RSS %.0f MB (snapshot alone %.0f MB)\n", our_s, our_rss / 1e6, snap / 1e6
	printf "ratios: %.0fx faster to load (floor 10x); list + snapshot growth against the whole Unbound process %.1fx (not like for like: see b_start)\n", load_x, mem_x
	ok = load_x >= 10
	printf "{\"bench\":\"match_unbound\",\"names\":%d,\"unbound_load_s\":%.3f,\"unbound_rss_bytes\":%d,\"unbound_peak_rss_bytes\":%d,\"match_text_load_s\":%.4f,\"match_text_load_rss_bytes\":%d,\"match_build_cpu_s\":%.4f,\"match_snapshot_rss_bytes\":%d,\"load_ratio\":%.1f,\"growth_vs_unbound_process\":%.2f,\"floors_met\":%s}\n", n, ub_s, ub_rss, ub_hwm, our_s, our_rss, build_s, snap, load_x, mem_x, ok ? "true" : "false" > out
	exit ok ? 0 : 1
}'
