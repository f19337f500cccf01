#!/bin/sh
# -h and --help on every program and every command: that command's usage on stdout, exit status 0.
set -u
cd "$(dirname "$0")/../.."
B=${BUILD:-build}
for p in blockd blockctl blockrules blockd-witness; do
	[ -x "$B/$p" ] || { echo "$B/$p missing: run make"; exit 1; }
done

tmp=$(mktemp /tmp/t_help.XXXXXX)
trap 'rm -f "$tmp"' EXIT INT TERM
fails=0
# check WANT CMD...: CMD exits 0 and prints a usage naming WANT on stdout, nothing on stderr.
check() {
	want=$1
	shift
	rc=0
	out=$("$@" 2>"$tmp") || rc=$?
	err=$(cat "$tmp")
	if [ "$rc" -ne 0 ]; then
		echo "FAIL '$*': exit status $rc, want 0: $err"
		fails=$((fails + 1))
	elif ! printf '%s\n' "$out" | head -n 1 | grep -q "^usage: .*$want"; then
		echo "FAIL '$*': no usage naming '$want' on stdout: $out"
		fails=$((fails + 1))
	elif [ -n "$err" ]; then
		echo "FAIL '$*': wrote to stderr: $err"
		fails=$((fails + 1))
	fi
}

for h in -h --help; do
	check blockd "$B/blockd" $h
	check blockctl "$B/blockctl" $h
	for c in status reload lookup stats log report probe; do
		check "blockctl .*$c" "$B/blockctl" $c $h
	done
	check "blockctl .*log verify" "$B/blockctl" log verify $h
	check "blockctl .*report" "$B/blockctl" report --from 2026-01-01 $h
	check blockrules "$B/blockrules" $h
	for c in keygen build sign verify lint diff show export reports log audit; do
		check "blockrules $c" "$B/blockrules" $c $h
	done
	check "blockrules export" "$B/blockrules" export --rpz $h
	check "blockrules log" "$B/blockrules" log append $h
	check blockd-witness "$B/blockd-witness" $h
	check blockd-witness "$B/blockd-witness" cosign $h
	check blockd-fetch sh packaging/blockd-fetch $h
done

# Wrong usage is still exit status 2, with the usage on stderr.
for cmd in "$B/blockd -x" "$B/blockctl -x" "$B/blockctl frobnicate" "$B/blockrules frobnicate" \
	"$B/blockrules sign" "$B/blockctl probe -l x" "$B/blockrules reports" \
	"$B/blockrules log" "$B/blockrules log frobnicate" "$B/blockrules audit" \
	"$B/blockd-witness" "$B/blockd-witness frobnicate" "$B/blockd-witness cosign"; do
	rc=0
	$cmd >/dev/null 2>&1 || rc=$?
	[ "$rc" -eq 2 ] || { echo "FAIL '$cmd': exit status $rc, want 2"; fails=$((fails + 1)); }
done

[ "$fails" -eq 0 ] || exit 1
echo "t_help: all passed"
