#!/bin/sh
# Bad control requests (garbage, JSON, unknown commands, far too long, cut short, silent, slow,
# hundreds at once) each get an error or are cut off, never hold up other clients, and blockd keeps
# answering and enforcing. Bad configurations fail blockd -n naming file, line or key; one put in
# place under a running blockd changes nothing, since the configuration is read only at start.
set -u
. tests/lib/netns.sh

tb_setup
tb_start_unbound
tb_list "domain blocked.example CL-2026-000123"
tb_start_blockd
SOCK=$TB_DIR/control.sock
tb_wait_for test -S "$SOCK" || tb_fail "no control socket"

ctl() {
	"${BLOCKCTL:-build/blockctl}" -s "$SOCK" "$@"
}
raw() {
	python3 tests/lib/ctl_client.py "$@"
}
dns() {
	out=$(tb_client dig +time=2 +tries=1 @"$TB_RESOLVER4" "$1" A 2>&1)
	case $out in
	*"status: NXDOMAIN"*) echo blocked ;;
	*"status: NOERROR"*) echo resolves ;;
	*) echo timeout ;;
	esac
}
# intact WHAT: blockd alive, serial 1 in force, blocked.example blocked, allowed.example resolving.
intact() {
	tb_alive blockd || tb_fail "$1: blockd died"
	out=$(ctl status) || tb_fail "$1: blockctl status failed: $out"
	echo "$out" | grep -q "^list: serial 1 " || tb_fail "$1: serial 1 not in force: $out"
	got=$(dns blocked.example)
	[ "$got" = blocked ] || tb_fail "$1: blocked.example $got, want blocked"
	got=$(dns allowed.example)
	[ "$got" = resolves ] || tb_fail "$1: allowed.example $got, want resolves"
}
# expect WHAT ANSWER CMD...: the raw client CMD prints exactly ANSWER.
expect() {
	_what=$1
	_want=$2
	shift 2
	_got=$(raw "$@") || tb_fail "$_what: no answer: $_got"
	[ "$_got" = "$_want" ] || tb_fail "$_what: answer '$_got', want '$_want'"
	printf 'PASS %s: %s\n' "$_what" "$_got"
}
ms() {
	echo $(($(date +%s%N) / 1000000))
}
intact "start"

expect "garbage" 'ERR 2\nbyte 0 of the request is not printable ASCII\n' send "$SOCK" '\x00\xff\xfegarbage\n'
expect "JSON" 'ERR 2\nunknown command "{"command":"status"}"\n' send "$SOCK" '{"command":"status"}\n'
expect "unknown command" 'ERR 2\nunknown command "frobnicate"\n' send "$SOCK" 'frobnicate\n'
expect "extra words" 'ERR 2\nstatus takes 0 arguments\n' send "$SOCK" 'status now please\n'
expect "a bare newline" 'ERR 2\nempty request\n' send "$SOCK" '\n'
expect "1 MiB request" 'ERR 2\nrequest too long\n' big "$SOCK" 1048576
expect "request without a newline" 'ERR 2\nincomplete request (no newline within one second)\n' \
	send "$SOCK" 'status'
raw half "$SOCK" "sta" || tb_fail "truncated request: cannot connect"
raw half "$SOCK" "json stat" || tb_fail "truncated request: cannot connect"
intact "after bad requests"
echo "PASS truncated requests: the daemon keeps answering"

# Silent clients, fewer than the daemon serves at once: another client is answered at once, not
# after their second runs out; then each gets the error.
tb_spawn silent "$TB_NS_APPL" python3 tests/lib/ctl_client.py silent "$SOCK" 24 "$TB_DIR/silent.ready"
tb_wait_for test -e "$TB_DIR/silent.ready" || tb_fail "silent clients did not connect"
t0=$(ms)
out=$(ctl status) || tb_fail "status behind silent clients: $out"
took=$(($(ms) - t0))
[ "$took" -lt 900 ] || tb_fail "status took $took ms behind 24 silent clients"
echo "PASS status answered in $took ms while 24 clients sent nothing"
done_silent() {
	! tb_alive silent
}
tb_wait_for done_silent || tb_fail "silent clients not cut off"
wait "$(tb_pid silent)" || tb_fail "silent clients: $(cat "$TB_DIR/silent.log")"
grep -q "^24 cut off after at most [0-2]\.[0-9] s: ERR 2\\\\nincomplete request (no newline within one second)\\\\n$" \
	"$TB_DIR/silent.log" || tb_fail "silent clients: $(cat "$TB_DIR/silent.log")"
printf 'PASS %s\n' "$(cat "$TB_DIR/silent.log")"

# A slow client, a byte at a time, is cut off after its second, not after it stops.
out=$(raw trickle "$SOCK" 0.2) || tb_fail "slow client: $out"
printf '%s\n' "$out" | grep -q "^cut off after [12]\.[0-9] s: ERR 2\\\\nincomplete request" ||
	tb_fail "slow client: $out"
printf 'PASS slow client %s\n' "$out"

# More silent clients than the daemon serves at once: the rest wait their turn, none is lost.
tb_spawn silent "$TB_NS_APPL" python3 tests/lib/ctl_client.py silent "$SOCK" 100 "$TB_DIR/silent2.ready"
tb_wait_for -t 20 test -e "$TB_DIR/silent2.ready" || tb_fail "100 silent clients did not connect"
tb_wait_for -t 20 done_silent || tb_fail "100 silent clients not cut off"
wait "$(tb_pid silent)" || tb_fail "100 silent clients: $(cat "$TB_DIR/silent.log")"
printf 'PASS %s\n' "$(cat "$TB_DIR/silent.log")"

# Hundreds at once, each with a good request: every one is answered.
out=$(raw flood "$SOCK" 300 status) || tb_fail "300 clients at once: $out"
[ "$out" = "OK 300" ] || tb_fail "300 clients at once: $out"
out=$(raw flood "$SOCK" 100 "json lookup blocked.example") || tb_fail "100 lookups: $out"
[ "$out" = "OK 100" ] || tb_fail "100 lookups at once: $out"
echo "PASS 300 status and 100 lookup requests at once, all answered"
intact "after the control socket abuse"

# Configurations: blockd -n names file and line, or section and key; exit status 1 for an invalid
# file, 3 for one that cannot be read.
C=$TB_DIR/conf
mkdir -p "$C"
printf '[blockd]\nfrobnicate = 1\n' >"$C/unknown.conf"
printf '[netfilter]\nqueues = 65\n' >"$C/range.conf"
printf '[blockd]\nrules_dir\n' >"$C/malformed.conf"
printf '[blockd\n' >"$C/section.conf"
python3 tests/lib/all_bytes.py 4 >"$C/binary.conf"
head -c 4096 /dev/zero >"$C/zeroed.conf"
checkconf() {
	_f=$C/$1.conf
	"${BLOCKD:-build/blockd}" -n -f "$_f" >"$C/$1.out" 2>&1
	_rc=$?
	[ $_rc -eq "${3:-1}" ] ||
		tb_fail "blockd -n $1.conf: exit status $_rc, want ${3:-1}: $(cat "$C/$1.out")"
	grep -qF "$_f$2" "$C/$1.out" || tb_fail "blockd -n $1.conf: $(cat "$C/$1.out"), want '$_f$2'"
	echo "PASS blockd -n $1.conf: $(head -n 1 "$C/$1.out")"
}
checkconf unknown ": [blockd] frobnicate: unknown key"
checkconf range ": [netfilter] queues: 65 is out of range 0..64"
checkconf malformed ":2: syntax error: rules_dir"
checkconf section ":1: syntax error: [blockd"
checkconf binary ":1: byte 0x00 is not text"
checkconf zeroed ":1: byte 0x00 is not text"
rm -f "$C/missing.conf"
checkconf missing ": No such file or directory" 3
mkfifo "$C/fifo.conf"
checkconf fifo ": not a regular file" 3
# An empty file is a valid configuration, every key at its default. (Whether -n then passes
# depends on the list in the default rules_dir, which is the host's business.)
: >"$C/empty.conf"
"${BLOCKD:-build/blockd}" -n -v -f "$C/empty.conf" >"$C/empty.out" 2>&1
grep -q "^rules_dir = /etc/blockd/rules$" "$C/empty.out" || tb_fail "empty config: $(cat "$C/empty.out")"
echo "PASS blockd -n: an empty configuration is all defaults"

# The running daemon's own file replaced by junk, then SIGHUP: the list is reloaded, the
# configuration is not re-read, and blockd goes on with the one it started with.
cp "$TB_DIR/blockd.conf" "$C/good.conf"
cp "$C/zeroed.conf" "$TB_DIR/blockd.conf"
n=$(grep -c "SIGHUP: reloading the list" "$TB_DIR/blockd.log")
kill -HUP "$(tb_pid blockd)"
more_hup() {
	[ "$(grep -c "SIGHUP: reloading the list" "$TB_DIR/blockd.log")" -gt "$n" ]
}
tb_wait_for more_hup || tb_fail "SIGHUP not taken"
# Still the rules_dir it started with (the default, /etc/blockd/rules, would hold no list).
tb_wait_for grep -q "reload: $TB_DIR/rules/blocklist: serial 1 is already in force" \
	"$TB_DIR/blockd.log" || tb_fail "no reload on SIGHUP: $(tail -n 3 "$TB_DIR/blockd.log")"
intact "after SIGHUP with a junk configuration"
cp "$C/good.conf" "$TB_DIR/blockd.conf"
echo "PASS a junk configuration under a running blockd changes nothing"

tb_stop_blockd TERM
"${BLOCKCTL:-build/blockctl}" -f "$TB_DIR/blockd.conf" log verify >"$TB_DIR/verify.log" 2>&1 ||
	tb_fail "log verify: $(cat "$TB_DIR/verify.log")"
echo "PASS the log's chain verifies"
echo "t_bad_ctl: all passed"
