#!/bin/sh
# Runs every fuzz harness in build/fuzz/ for SECONDS each on a copy of its seed corpus.
#
# usage: tests/fuzz/run.sh SECONDS [NAME ...]   (NAME: rulelist, minisign, ...; default all)
# FUZZ_JOBS harnesses run at a time (default 2); FUZZ_BIN names the directory of the
# binaries (default build/fuzz). Fails if any harness finds a crash, leak or timeout;
# the input that did it is kept in build/fuzz/artifacts/ and each run's log in
# build/fuzz/logs/ (the grown corpus in build/fuzz/corpus/). The checked-in corpora are never written to.

set -u
secs=${1:-60}
[ $# -gt 0 ] && shift
jobs=${FUZZ_JOBS:-2}
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=${FUZZ_BIN:-$top/build/fuzz}
art=$top/build/fuzz/artifacts
logs=$top/build/fuzz/logs
mkdir -p "$art" "$logs"
work=$(mktemp -d /tmp/blockd-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM

if [ $# -gt 0 ]; then
	names="$*"
else
	names=$(cd "$top/tests/fuzz" && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//')
fi

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# run NAME: one harness, its log in $work/NAME.log, its exit status in $work/NAME.rc.
run() {
	n=$1
	mkdir -p "$work/corpus-$n"
	if [ -d "$top/tests/fuzz/corpus/$n" ]; then
		cp "$top/tests/fuzz/corpus/$n"/* "$work/corpus-$n"/ 2>/dev/null
	fi
	"$bin/fuzz_$n" -max_total_time="$secs" -timeout=5 -rss_limit_mb=2048 \
		-max_len=65536 -print_final_stats=1 -artifact_prefix="$art/$n-" \
		"$work/corpus-$n" >"$work/$n.log" 2>&1
	echo $? >"$work/$n.rc"
	cp "$work/$n.log" "$logs/$n.log"
	# The grown corpus, to look at (never copied back into tests/fuzz/corpus).
	rm -rf "$top/build/fuzz/corpus/$n"
	mkdir -p "$top/build/fuzz/corpus"
	mv "$work/corpus-$n" "$top/build/fuzz/corpus/$n"
}

fail=0
set -- $names
while [ $# -gt 0 ]; do
	pids=
	i=0
	while [ $i -lt "$jobs" ] && [ $# -gt 0 ]; do
		if [ ! -x "$bin/fuzz_$1" ]; then
			echo "fuzz $1: no build/fuzz/fuzz_$1 (make fuzz-build)"
			fail=1
		else
			run "$1" &
			pids="$pids $!"
		fi
		shift
		i=$((i + 1))
	done
	for p in $pids; do wait "$p"; done
done

for n in $names; do
	[ -f "$work/$n.log" ] || continue
	rc=$(cat "$work/$n.rc")
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$n.log")
	cov=$(grep -E '^#[0-9]+' "$work/$n.log" | grep -o 'cov: [0-9]*' | tail -1)
	ft=$(grep -E '^#[0-9]+' "$work/$n.log" | grep -o 'ft: [0-9]*' | tail -1)
	corp=$(grep -E '^#[0-9]+' "$work/$n.log" | grep -o 'corp: [0-9]*' | tail -1)
	if [ "$rc" -eq 0 ]; then
		printf 'fuzz %-10s ok    %10s execs in %ss, %s, %s, %s\n' "$n" "${execs:-?}" \
			"$secs" "${cov:-cov: ?}" "${ft:-ft: ?}" "${corp:-corp: ?}"
	else
		printf 'fuzz %-10s FAIL  (exit %s) after %s execs; log follows\n' "$n" "$rc" \
			"${execs:-?}"
		grep -v '^#[0-9]' "$work/$n.log" | tail -60
		fail=1
	fi
done
exit $fail
