#!/bin/sh
# Address sets into the kernel: blockd's netlink load of 1,000,000 IPv4 + 200,000 IPv6 addresses,
# a reload changing 1% of them and the stop with them in force, against nft -f and ipset restore +
# swap of the same addresses; the same rounds, medians.
# Usage: b_ipset.sh OUT.json   (root: each runs in a fresh network namespace)
set -eu
cd "$(dirname "$0")/../.."
out=${1:-build/bench/results/b_ipset.json}
bench=build/bench/ipset_bench
rounds=${BENCH_IPSET_ROUNDS:-3}
n4=${BENCH_IPSET_V4:-1000000}
n6=${BENCH_IPSET_V6:-200000}

for tool in nft ipset ip awk; do
	command -v "$tool" >/dev/null || { echo "b_ipset: $tool not found (make deps)" >&2; exit 1; }
done
[ -x "$bench" ] || { echo "b_ipset: $bench missing: run make build/bench/ipset_bench" >&2; exit 1; }

tmp=$(mktemp -d /tmp/b_ipset.XXXXXX)
ns=bips$$
cleanup() {
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
ip netns add "$ns"
in_ns() { ip netns exec "$ns" "$@"; }
ms() { echo $(($(date +%s%N) / 1000000)); }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# blockd: the list generated (random, fixed seed), built and loaded through netlink; its
# addresses written out for the baselines.
in_ns "$bench" --v4 "$n4" --v6 "$n6" --rounds "$rounds" --addrs "$tmp/addrs.txt" \
	--changed "$tmp/changed.txt" --json "$tmp/blockd.json"

# nft -f: the text blockd used to hand to nft, the same interval sets, one transaction.
# All IPv4 then all IPv6, 65536 elements a statement (as nft's parser prefers).
nft_text() {
	echo "flush set inet bench s4"
	echo "flush set inet bench s6"
	awk -v chunk=65536 '
	$1 != fam { if (open) printf " }\n"; fam = $1; k = 0; open = 0 }
	{ if (k % chunk == 0) { if (open) printf " }\n"; printf "add element inet bench s%s { %s", fam, $2; open = 1 }
	  else printf ", %s", $2; k++ }
	END { if (open) printf " }\n" }' "$1"
}
nft_text "$tmp/addrs.txt" >"$tmp/load.nft"
nft_text "$tmp/changed.txt" >"$tmp/reload.nft"
: >"$tmp/nft.ms"
: >"$tmp/nft_reload.ms"
for r in $(seq "$rounds"); do
	in_ns nft delete table inet bench 2>/dev/null || true
	in_ns nft -f - <<-NFT
		table inet bench {
			set s4 { type ipv4_addr; flags interval; }
			set s6 { type ipv6_addr; flags interval; }
		}
	NFT
	t0=$(ms)
	in_ns nft -f "$tmp/load.nft"
	t=$(($(ms) - t0))
	echo "$t" >>"$tmp/nft.ms"
	echo "round $r: nft -f $t ms"
	# The reload, in the first round only (it costs what a load does): every set flushed and
	# refilled, as nft has no difference to send.
	[ "$r" -eq 1 ] || continue
	t0=$(ms)
	in_ns nft -f "$tmp/reload.nft"
	t2=$(($(ms) - t0))
	echo "$t2" >>"$tmp/nft_reload.ms"
	echo "round $r: nft -f reload $t2 ms"
done
in_ns nft delete table inet bench

# ipset: restore into fresh sets, then swap them for the ones in force.
awk '$1 == 4 { print "add new4 " $2 } $1 == 6 { print "add new6 " $2 }' "$tmp/addrs.txt" >"$tmp/adds.ipset"
max=$((2 * (n4 > n6 ? n4 : n6) + 65536))
: >"$tmp/ipset.ms"
for r in $(seq "$rounds"); do
	in_ns ipset destroy 2>/dev/null || true
	in_ns ipset create cur4 hash:net family inet maxelem "$max"
	in_ns ipset create cur6 hash:net family inet6 maxelem "$max"
	{
		echo "create new4 hash:net family inet hashsize 1048576 maxelem $max"
		echo "create new6 hash:net family inet6 hashsize 262144 maxelem $max"
		cat "$tmp/adds.ipset"
	} >"$tmp/restore.ipset"
	t0=$(ms)
	in_ns ipset -exist restore -f "$tmp/restore.ipset" # random addresses repeat now and then
	in_ns ipset swap new4 cur4
	in_ns ipset swap new6 cur6
	t=$(($(ms) - t0))
	in_ns ipset destroy new4
	in_ns ipset destroy new6
	echo "$t" >>"$tmp/ipset.ms"
	echo "round $r: ipset restore + swap $t ms"
done
in_ns ipset destroy 2>/dev/null || true

nft_ms=$(median <"$tmp/nft.ms")
nft_reload_ms=$(median <"$tmp/nft_reload.ms")
ipset_ms=$(median <"$tmp/ipset.ms")
python3 - "$tmp/blockd.json" "$nft_ms" "$ipset_ms" "$nft_reload_ms" "$out" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))
r = {"v4": b["v4"], "v6": b["v6"], "rounds": b["rounds"], "blockd_load_ms": b["load_ms"],
     "blockd_reload_1pct_ms": b["reload_1pct_ms"], "blockd_stop_ms": b["stop_ms"],
     "blockd_load_cpu_ms": b["load_cpu_ms"], "blockd_reload_1pct_cpu_ms": b["reload_1pct_cpu_ms"],
     "blockd_load_kernel_cpu_ms": b["load_kernel_cpu_ms"],
     "nft_f_ms": float(sys.argv[2]), "ipset_restore_swap_ms": float(sys.argv[3]),
     "nft_f_reload_1pct_ms": float(sys.argv[4])}
json.dump(r, open(sys.argv[5], "w"), indent=1)
print("b_ipset: load: blockd %.0f ms, nft -f %.0f ms, ipset restore + swap %.0f ms; 1%% reload: "
      "blockd %.0f ms, nft -f %.0f ms; stop: blockd %.0f ms"
      % (r["blockd_load_ms"], r["nft_f_ms"], r["ipset_restore_swap_ms"],
         r["blockd_reload_1pct_ms"], r["nft_f_reload_1pct_ms"], r["blockd_stop_ms"]))
PY
