#!/bin/sh
# Bad lists and signatures put in rules_dir under a running blockd are refused on arrival, on SIGHUP
# and on blockctl reload, each time naming the file (and line); the list in force stays enforced.
# A rules_dir full of junk (files, directories, FIFOs, dangling links, unreadable files) neither
# hangs nor stops it, a good list put there afterwards is accepted, and the log's chain verifies.
set -u
. tests/lib/netns.sh

BR=${BLOCKRULES:-build/blockrules}
command -v minisign >/dev/null || tb_fail "minisign not installed (apt-get install minisign)"

tb_setup
# As a service user, so a file without read permission is one blockd cannot read.
chmod 0755 "$TB_DIR"
tb_start_unbound
tb_blockd_conf blockd.user=nobody blockd.max_list_bytes=16K
R=$TB_DIR/rules
S=$TB_DIR/stage
mkdir -p "$S" "$TB_DIR/keys"
"$BR" keygen -p "$TB_DIR/keys/regulator.pub" -s "$TB_DIR/regulator.key" >/dev/null ||
	tb_fail "blockrules keygen"
# A key blockd does not trust.
"$BR" keygen -p "$TB_DIR/rogue.pub" -s "$TB_DIR/rogue.key" >/dev/null || tb_fail "blockrules keygen"

# stage SERIAL NAME...: a signed list blocking each NAME (domain entries of one order), in $S as
# blocklist and blocklist.minisig; valid for 30 days, or over $LIFE (build options) if set.
stage() {
	_serial=$1
	shift
	rm -f "$S"/blocklist*
	{
		printf 'order CL-2026-000123\nauthority Test Court\ndate %s\n' "$(date -u +%Y-%m-%d)"
		printf 'service Service CL-2026-000123\nnot-before %s\nnot-after %s\n' \
			"$(date -u -d '-1 day' +%Y-%m-%dT%H:%M:%SZ)" \
			"$(date -u -d '+30 days' +%Y-%m-%dT%H:%M:%SZ)"
		printf 'notice Blocked by order CL-2026-000123.\n'
		printf 'notice-url https://orders.example/CL-2026-000123\n'
		for _n; do
			echo "domain $_n"
		done
	} >"$S/order"
	# shellcheck disable=SC2086
	"$BR" build -i "Test Regulator" -S "test bed" ${LIFE:--d 30} -n "$_serial" \
		-o "$S/blocklist" "$S/order" >"$S/log" 2>&1 &&
		"$BR" sign -s "$TB_DIR/regulator.key" "$S/blocklist" >>"$S/log" 2>&1 ||
		tb_fail "blockrules: $(cat "$S/log")"
}

# resign [KEY]: signs $S/blocklist as it is now (blockrules signs only good lists; minisign signs
# anything), with the regulator's key or KEY.
resign() {
	rm -f "$S/blocklist.minisig"
	minisign -S -s "${1:-$TB_DIR/regulator.key}" -m "$S/blocklist" -x "$S/blocklist.minisig" \
		>"$S/log" 2>&1 || tb_fail "minisign -S: $(cat "$S/log")"
}

# deliver: $S's files renamed into rules_dir, signatures first, as blockd-fetch does; signatures
# of an earlier delivery are removed first.
deliver() {
	rm -rf "$R"/blocklist.minisig*
	for _f in "$S"/blocklist.minisig*; do
		if [ -e "$_f" ] || [ -L "$_f" ]; then
			mv -f "$_f" "$R/"
		fi
	done
	mv -f "$S/blocklist" "$R/blocklist"
}

ctl() {
	"${BLOCKCTL:-build/blockctl}" -s "$TB_DIR/control.sock" "$@"
}

dns() {
	out=$(tb_client dig +time=2 +tries=1 @"$TB_RESOLVER4" "$1" A 2>&1)
	case $out in
	*"status: NXDOMAIN"*) echo blocked ;;
	*"status: NOERROR"*) echo resolves ;;
	*) echo timeout ;;
	esac
}

count() {
	grep -c -- "$1" "$TB_DIR/blockd.log"
}
more() {
	[ "$(count "$1")" -gt "$2" ]
}

# intact WHAT: serial $SERIAL is in force and enforced: blocked.example is blocked from the client,
# allowed.example resolves, and blockd answers blockctl.
intact() {
	tb_alive blockd || tb_fail "$1: blockd died"
	out=$(ctl status) || tb_fail "$1: blockctl status failed: $out"
	echo "$out" | grep -q "^list: serial $SERIAL " || tb_fail "$1: serial $SERIAL not in force: $out"
	got=$(dns blocked.example)
	[ "$got" = blocked ] || tb_fail "$1: blocked.example $got, want blocked"
	got=$(dns allowed.example)
	[ "$got" = resolves ] || tb_fail "$1: allowed.example $got, want resolves"
}

# refused WHAT REASON: what is staged, delivered to rules_dir, is refused on arrival, on SIGHUP and
# on blockctl reload, with a reason matching REASON (a grep pattern) each time in blockd's log, in
# blockctl reload's answer and in blockctl status, text and JSON; serial $SERIAL stays in force.
refused() {
	_pat="reload refused, serial $SERIAL stays in force: .*$2"
	_n=$(count "$_pat")
	_c=$(count "changed: reloading the list")
	deliver
	tb_wait_for more "changed: reloading the list" "$_c" || tb_fail "$1: no reload on arrival"
	tb_wait_for more "$_pat" "$_n" ||
		tb_fail "$1: not refused on arrival as '$2': $(tail -n 3 "$TB_DIR/blockd.log")"
	_h=$(count "SIGHUP: reloading the list")
	kill -HUP "$(tb_pid blockd)"
	tb_wait_for more "SIGHUP: reloading the list" "$_h" || tb_fail "$1: SIGHUP not taken"
	tb_wait_for more "$_pat" "$((_n + 1))" ||
		tb_fail "$1: not refused on SIGHUP as '$2': $(tail -n 3 "$TB_DIR/blockd.log")"
	out=$(ctl reload) && tb_fail "$1: blockctl reload accepted it: $out"
	echo "$out" | grep -q "^refused, serial $SERIAL stays in force: .*$2" ||
		tb_fail "$1: blockctl reload: $out"
	[ "$(count "$_pat")" -ge $((_n + 3)) ] || tb_fail "$1: blockctl reload's refusal not logged"
	out=$(ctl status)
	echo "$out" | grep -q "^last reload refused at [0-9TZ:-]*: .*$2" ||
		tb_fail "$1: blockctl status: $out"
	why=$(echo "$out" | sed -n 's/^last reload refused at [0-9TZ:-]*: //p')
	out=$(ctl -j status)
	echo "$out" | grep -q "\"last_refusal\":{\"time\":[0-9]*,\"reason\":\"[^\"]*$2" ||
		tb_fail "$1: blockctl -j status: $out"
	intact "$1"
	echo "PASS $1 refused three ways: $why"
}

SERIAL=1
stage 1 blocked.example other.test
deliver
tb_start_blockd
tb_wait_for test -S "$TB_DIR/control.sock" || tb_fail "no control socket"
intact "start"
SERIAL=2
stage 2 blocked.example other.test
deliver
tb_wait_for sh -c "'${BLOCKCTL:-build/blockctl}' -s '$TB_DIR/control.sock' status | grep -q '^list: serial 2 '" ||
	tb_fail "serial 2 not accepted on arrival: $(tail -n 3 "$TB_DIR/blockd.log")"
intact "serial 2"
echo "PASS serial 2 accepted on arrival"

L=$R/blocklist
# Damaged in transit: the list cut short or with a tail, under the whole list's signature.
stage 3 blocked.example exact.test
head -c 300 "$S/blocklist" >"$S/cut" && mv "$S/cut" "$S/blocklist"
refused "truncated list" "$L: signed by 0 distinct trusted keys, 1 required .*$L.minisig: not counted: key ID [0-9A-F]*: signature does not match the file"
stage 3 blocked.example exact.test
echo "domain exact.test CL-2026-000123" >>"$S/blocklist"
refused "list with a line appended" "$L.minisig: not counted: key ID [0-9A-F]*: signature does not match the file"
# Malformed but validly signed: the parser names the line.
stage 3 blocked.example exact.test
lines=$(wc -l <"$S/blocklist")
head -n $((lines - 1)) "$S/blocklist" >"$S/cut" && mv "$S/cut" "$S/blocklist"
resign
refused "signed truncated list" "$L:$((lines - 1)): file ends without the 'end 2' line"
stage 3 blocked.example exact.test
printf 'garbage\n' >>"$S/blocklist"
resign
refused "signed list with garbage appended" "$L:$((lines + 1)): text after the 'end' line"
{
	printf '\177ELF\002\001\001\000'
	head -c 2048 /dev/urandom
} >"$S/blocklist"
resign
refused "signed binary junk" "$L:1: control character 0x7f"
: >"$S/blocklist"
resign
refused "signed empty file" "$L:0: empty file"
rm -f "$S/blocklist.minisig"
: >"$S/blocklist"
refused "unsigned empty file" "$L: no signature file (expected $L.minisig)"
# Over max_list_bytes (16K): refused before it is read.
i=0
set --
while [ $i -lt 600 ]; do
	set -- "$@" "b$i.blocked.example"
	i=$((i + 1))
done
stage 3 "$@"
size=$(wc -c <"$S/blocklist")
refused "list over the size cap" "$L: $size bytes, more than the limit of 16384"
# Signatures.
stage 3 blocked.example exact.test
cp "$S/order" "$S/other"
minisign -S -s "$TB_DIR/regulator.key" -m "$S/other" -x "$S/blocklist.minisig" >/dev/null 2>&1 ||
	tb_fail "minisign -S"
refused "valid signature of another file" "$L.minisig: not counted: key ID [0-9A-F]*: signature does not match the file"
stage 3 blocked.example exact.test
head -c 100 "$S/blocklist.minisig" >"$S/cut" && mv "$S/cut" "$S/blocklist.minisig"
refused "truncated signature" "$L.minisig: not counted: not a minisign signature"
stage 3 blocked.example exact.test
head -c 300 /dev/urandom >"$S/blocklist.minisig"
refused "signature of binary junk" "$L.minisig: not counted: "
stage 3 blocked.example exact.test
head -c 20000 /dev/zero | tr '\0' x >>"$S/blocklist.minisig"
refused "oversized signature file" "$L.minisig: [0-9]* bytes, more than the limit of 16384"
stage 3 blocked.example exact.test
resign "$TB_DIR/rogue.key"
refused "signature by an untrusted key" "$L.minisig: not counted: key ID [0-9A-F]* is not a trusted key"
# Serial and expiry.
stage 1 blocked.example exact.test
refused "rolled-back serial" "$L: serial 1 is lower than the accepted serial 2 (rollback)"
LIFE="-t $(date -u -d '-40 days' +%Y-%m-%dT%H:%M:%SZ) -e $(date -u -d '-10 days' +%Y-%m-%dT%H:%M:%SZ)"
stage 3 blocked.example exact.test
LIFE=
refused "expired list" "$L: expired at [0-9TZ:-]* (ask the issuer for a current list)"

# Junk in rules_dir: hundreds of unrelated files, directories, a FIFO, a dangling symlink, an
# unreadable file. None of them is part of a list, so none is read; blockd keeps enforcing.
i=0
while [ $i -lt 300 ]; do
	echo "junk $i" >"$R/junk.$i"
	i=$((i + 1))
done
for d in 1 2 3 4 5 6 7 8 9 10; do
	mkdir "$R/dir.$d"
	echo junk >"$R/dir.$d/blocklist"
done
mkdir "$R/blocklist.d"
mkfifo "$R/fifo" "$R/blocklist.fifo"
ln -s "$R/nowhere" "$R/dangling"
echo secret >"$R/unreadable"
chmod 000 "$R/unreadable"
# The last bad list is still there: a reload reads only it and its signatures, past the junk.
stage 3 blocked.example exact.test
resign "$TB_DIR/rogue.key"
refused "junk around an untrusted signature" "$L.minisig: not counted: key ID [0-9A-F]* is not a trusted key"

# Junk under the names a list is made of: refused with the reason, never opened blocking.
stage 3 blocked.example exact.test
mkfifo "$S/blocklist.minisig.2"
refused "a FIFO as a signature file" "$L.minisig.2: not a regular file"
stage 3 blocked.example exact.test
mkdir "$S/blocklist.minisig.3"
refused "a directory as a signature file" "$L.minisig.3: not a regular file"
stage 3 blocked.example exact.test
chmod 000 "$S/blocklist.minisig"
refused "an unreadable signature file" "$L.minisig: Permission denied"
stage 3 blocked.example exact.test
chmod 000 "$S/blocklist"
refused "an unreadable list" "$L: Permission denied"
stage 3 blocked.example exact.test
rm -f "$S/blocklist"
mkfifo "$S/blocklist"
refused "a FIFO as the list" "$L: not a regular file"
# A dangling link as a further signature is no signature: the list is accepted without it.
stage 3 blocked.example exact.test
ln -s "$R/nowhere" "$S/blocklist.minisig.4"
SERIAL=3
deliver
tb_wait_for sh -c "'${BLOCKCTL:-build/blockctl}' -s '$TB_DIR/control.sock' status | grep -q '^list: serial 3 '" ||
	tb_fail "good list not accepted after the junk: $(tail -n 3 "$TB_DIR/blockd.log")"
intact "good list after the junk"
[ "$(dns exact.test)" = blocked ] || tb_fail "serial 3: exact.test not blocked"
[ "$(dns other.test)" = resolves ] || tb_fail "serial 3: other.test does not resolve"
set -- "$R"/junk.*
[ $# -eq 300 ] && [ -p "$R/fifo" ] && [ -d "$R/dir.1" ] || tb_fail "blockd touched the junk"
echo "PASS a good list among the junk is accepted: serial 3 in force"

# Every refusal is in the enforcement log, and its chain verifies.
refusals=$(count "reload refused")
records() {
	[ "$(grep -c '"state":"reload_refused"' "$TB_DIR/enforcement.jsonl")" -eq "$refusals" ]
}
tb_wait_for records || tb_fail "$refusals refusals logged, but $(grep -c '"state":"reload_refused"' "$TB_DIR/enforcement.jsonl") reload_refused records"
tb_stop_blockd TERM
"${BLOCKCTL:-build/blockctl}" -f "$TB_DIR/blockd.conf" log verify >"$TB_DIR/verify.log" 2>&1 ||
	tb_fail "log verify: $(cat "$TB_DIR/verify.log")"
echo "PASS $refusals refusals recorded, the log's chain verifies"
echo "t_bad_rules: all passed"
