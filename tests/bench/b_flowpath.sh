#!/bin/sh
# Instructions per new TLS flow in user space, counted by callgrind on the packet-to-verdict path
# (build/bench/flow_path: the NFQUEUE message as received, pkt, flow and webflow, the TLS reader,
# match, judge, the verdict batch), so the figure compares across machines: per packet kind (SYN,
# handshake ACK, 517-byte ClientHello of an allowed and of a blocked flow, the latter with its
# resets and event, and the client's next records, which come to blockd only where the rules do
# not read the server's answer for it: paths = one, or after a HelloRetryRequest) and per
# flow (allowed, blocked, and the half-blocked mix), with a 10-entry and a 1,000,000-entry list; a
# kind the rules do not queue counts 0. Also the CPU time per flow of the same path run natively (noisy on a shared machine).
# Usage: b_flowpath.sh OUT.json   (no root needed)
set -u
cd "$(dirname "$0")/../.."
json=${1:-build/bench/results/b_flowpath.json}
bin=build/bench/flow_path
flows=${BENCH_FLOWPATH_FLOWS:-20000}
[ -x "$bin" ] || { echo "b_flowpath: $bin missing (make bench builds it)" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "b_flowpath: valgrind missing (apt-get install valgrind)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

kinds="syn ack hello_allowed hello_blocked next"
# one ENTRIES -> "$kinds" instructions per packet handed over (0: not queued)
count() {
	valgrind --tool=callgrind --instr-atstart=no --collect-atstart=no --toggle-collect='drive_*' \
		--callgrind-out-file="$tmp/cg.$1" "$bin" -l "$1" -n "$flows" >"$tmp/run.$1" 2>"$tmp/vg.$1" ||
		{ cat "$tmp/vg.$1" >&2; exit 1; }
	callgrind_annotate --inclusive=yes "$tmp/cg.$1" 2>/dev/null >"$tmp/ann.$1"
	for k in $kinds; do
		n=$(awk -v k="$k" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' "$tmp/run.$1")
		ir=$(awk -v f=":drive_$k" 'index($0, f " ") { gsub(",", "", $1); print $1; exit }' "$tmp/ann.$1")
		awk -v ir="${ir:-0}" -v n="${n:-0}" 'BEGIN { printf "%d ", n ? ir / n : 0 }'
	done
	echo
}
native() { # ENTRIES -> CPU us per flow, best of 3
	for i in 1 2 3; do "$bin" -l "$1" -n "$flows" 2>/dev/null | awk '/cpu_us_per_flow/ { print $NF }'; done |
		sort -n | head -1
}
set -- $(count 10)
s10=$1 a10=$2 ha10=$3 hb10=$4 n10=$5
set -- $(count 1000000)
s1m=$1 a1m=$2 ha1m=$3 hb1m=$4 n1m=$5
u10=$(native 10)
u1m=$(native 1000000)
# Per flow: an allowed one (SYN, ACK, hello: the rules let it go at the server's ServerHello), the
# same where the server's side does not pass the appliance (paths = one: the client's next records
# are queued too), a blocked one (SYN, ACK, hello with its resets and event), and the mix of the
# run, half of each allowed and blocked.
pf() { awk -v s="$1" -v a="$2" -v ha="$3" -v hb="$4" -v n="$5" \
	'BEGIN { al = s + a + ha; bl = s + a + hb; printf "%d %d %d %d", al, al + n, bl, (al + bl) / 2 }'; }
set -- $(pf "$s10" "$a10" "$ha10" "$hb10" "$n10")
fa10=$1 fo10=$2 fb10=$3 f10=$4
set -- $(pf "$s1m" "$a1m" "$ha1m" "$hb1m" "$n1m")
fa1m=$1 fo1m=$2 fb1m=$3 f1m=$4
for l in 10 1m; do
	eval "echo \"b_flowpath: instructions per packet ($l entries): syn \$s$l ack \$a$l hello (allowed) \$ha$l hello (blocked) \$hb$l next \$n$l; per flow: allowed \$fa$l (paths = one \$fo$l), blocked \$fb$l, half of each \$f$l\"" >&2
done
echo "b_flowpath: CPU us per flow, natively: $u10 (10 entries), $u1m (1M entries)" >&2
mkdir -p "$(dirname "$json")"
cat >"$json" <<EOJ
{"bench":"flowpath","flows":$flows,"blocked_share":0.5,"families":"IPv4 and IPv6",
 "instructions":{
  "list_10":{"syn":$s10,"ack":$a10,"hello_allowed":$ha10,"hello_blocked":$hb10,"next":$n10,
   "per_flow_allowed":$fa10,"per_flow_allowed_one_path":$fo10,"per_flow_blocked":$fb10,"per_flow":$f10},
  "list_1m":{"syn":$s1m,"ack":$a1m,"hello_allowed":$ha1m,"hello_blocked":$hb1m,"next":$n1m,
   "per_flow_allowed":$fa1m,"per_flow_allowed_one_path":$fo1m,"per_flow_blocked":$fb1m,"per_flow":$f1m}},
 "cpu_us_per_flow":{"list_10":$u10,"list_1m":$u1m}}
EOJ
cat "$json"
