#!/bin/sh
# The enforcement log survives SIGKILL under load and a power-loss torn line:
# verify names the torn tail (not tampering), the next start cuts it, records
# a gap and continues the chain, and verify then passes over every file.
set -eu
cd "$(dirname "$0")/../.."

make -s all build/bench/evlog_bench
bench=build/bench/evlog_bench
dir=$(mktemp -d /tmp/t_evlog_crash.XXXXXX)
pid=""
cleanup() {
	if [ -n "$pid" ]; then
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

fail() {
	echo "FAIL: $*"
	exit 1
}

live=$dir/enforcement.jsonl
files() {
	# Rotated files sort by their UTC timestamp; the live file comes last.
	ls "$live".2* 2>/dev/null || true
	echo "$live"
}
logbytes() {
	cat "$live" "$live".2* 2>/dev/null | wc -c
}

"$bench" --crash "$dir" &
pid=$!
# From the writer's start (the first record is durable) ...
deadline=$(($(date +%s) + 10))
until [ -s "$live" ]; do
	kill -0 "$pid" 2>/dev/null || fail "writer exited early"
	[ "$(date +%s)" -lt "$deadline" ] || fail "no log file $live after 10 s"
	sleep 0.01
done

# ... under load through a few hundred samples, until at least 2 MB are
# written (rotations at 512 KiB). Rotation never takes the live name away:
# it is there at every sample.
deadline=$(($(date +%s) + 120))
samples=0
while :; do
	for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		[ -f "$live" ] || fail "no current log file $live while the writer runs"
	done
	samples=$((samples + 20))
	kill -0 "$pid" 2>/dev/null || fail "writer exited early"
	[ "$samples" -ge 400 ] || continue
	[ "$(date +%s)" -lt "$deadline" ] || fail "log did not grow to 2 MB in 120 s"
	[ "$(logbytes)" -ge 2000000 ] && break
done
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
pid=""
[ -f "$live" ] || fail "no current log file $live after SIGKILL"
echo "killed the writer after $(logbytes) bytes in $(files | wc -l) files;" \
	"the live file was there at all $samples samples"

# Mimic power loss as well: cut the live file in the middle of its last line.
size=$(stat -c %s "$live")
torn=0
if [ "$size" -gt 200 ]; then
	truncate -s $((size - 37)) "$live"
	torn=1
fi

rc=0
# shellcheck disable=SC2046
"$bench" --verify $(files) >"$dir/verify1.out" || rc=$?
cat "$dir/verify1.out"
if [ "$torn" -eq 1 ]; then
	[ "$rc" -eq 2 ] || fail "verify after the crash: exit $rc, want 2 (torn tail)"
	grep -q "torn tail" "$dir/verify1.out" || fail "verify did not name the torn tail"
else
	[ "$rc" -eq 0 ] || fail "verify after the crash: exit $rc, want 0"
fi
# The chain's last seq (its summary line: "N records, seq 1..LAST: ...").
last_seq() {
	sed -n 's/^[0-9]* records, seq [0-9]*\.\.\([0-9]*\).*/\1/p' "$1"
}
last_before=$(last_seq "$dir/verify1.out")

# The next start repairs, records the gap and continues the chain.
"$bench" --restart "$dir" 2>"$dir/restart.err" || fail "restart failed: $(cat "$dir/restart.err")"
cat "$dir/restart.err"
rc=0
# shellcheck disable=SC2046
"$bench" --verify $(files) >"$dir/verify2.out" || rc=$?
cat "$dir/verify2.out"
[ "$rc" -eq 0 ] || fail "verify after restart: exit $rc, want 0"
# The gap record is the first written at restart; it lands in a rotated file
# if the live file was due for rotation (killed in the middle of one).
# shellcheck disable=SC2046
gap=$(grep -h '"state":"gap"' $(files)) || fail "no gap record after the crash"
echo "$gap" | grep -q "\"last_seq\":" || fail "gap record without last_seq"
tail -n 1 "$live" | grep -q '"state":"stop"' || fail "no stop record at the end"
if [ "$torn" -eq 1 ]; then
	ls "$dir"/evlog.torn-* >/dev/null 2>&1 || fail "torn fragment not kept"
	echo "$gap" | grep -q '"torn_bytes":[1-9]' || fail "gap record without torn_bytes"
fi
[ "$(last_seq "$dir/verify2.out")" -gt "$last_before" ] || fail "nothing written after restart"
# The operator's tools agree: blockctl verifies the chain, and its report
# counts every block record that survived the crash.
: >"$dir/blockd.conf"
# shellcheck disable=SC2046
build/blockctl -f "$dir/blockd.conf" log verify $(files) || fail "blockctl log verify"
from=$(date -u -d yesterday +%Y-%m-%d)
to=$(date -u -d '2 days' +%Y-%m-%d)
# shellcheck disable=SC2046
build/blockctl -f "$dir/blockd.conf" report --from "$from" --to "$to" --format csv $(files) \
	>"$dir/report.csv" || fail "blockctl report"
# shellcheck disable=SC2046,SC2002
blocks=$(cat $(files) | grep -c '"record":"block"')
reported=$(awk -F, '$1 == "total" { print $9 }' "$dir/report.csv" | tr -d '\r')
[ "$blocks" = "$reported" ] || fail "report counts $reported events, the log holds $blocks"
grep -q '^down,' "$dir/report.csv" || fail "report shows no down period for the crash"
echo "report: $reported events, coverage: $(grep -c '^down,' "$dir/report.csv") down periods"

# Losses under load (if any) are recorded, never silent.
# shellcheck disable=SC2046
if grep -q '"state":"dropped"' $(files); then
	echo "losses under load recorded as dropped records"
fi
echo "PASS"
