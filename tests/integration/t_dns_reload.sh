#!/bin/sh
# Lists change under a running blockd: SIGHUP swaps in a new signed list, a bad one is refused and
# the list in force stays, and a restart without a list in rules_dir enforces the last accepted.
set -u
. tests/lib/netns.sh

tb_setup
tb_start_unbound
tb_blockd_conf

status() {
	out=$(tb_client dig +time=2 +tries=1 @"$TB_RESOLVER4" "$1" A 2>&1)
	case $out in
	*"status: NXDOMAIN"*) echo blocked ;;
	*"status: NOERROR"*) echo resolves ;;
	*) echo timeout ;;
	esac
}

expect() {
	got=$(status "$1")
	[ "$got" = "$2" ] || tb_fail "$3: $1 $got, want $2"
	echo "PASS $3: $1 $2"
}

# blockd also reloads by itself once rules_dir settles; SIGHUP makes sure, and either may log first.
reload_and_wait() {
	kill -HUP "$(tb_pid blockd)"
	tb_wait_for grep -q "$1" "$TB_DIR/blockd.log" || tb_fail "no '$1' in the log after SIGHUP"
}

# No list at all: blockd starts and passes everything.
tb_start_blockd
grep -q "no block list" "$TB_DIR/blockd.log" || tb_fail "no warning about the missing list"
expect blocked.example resolves "no list"

tb_list "suffix blocked.example CL-2026-000123"
reload_and_wait "serial 1 in force"
expect blocked.example blocked "serial 1"
expect exact.test resolves "serial 1"

tb_list "domain exact.test CL-2026-000456"
reload_and_wait "serial 2 in force"
expect blocked.example resolves "serial 2"
expect exact.test blocked "serial 2"

# A tampered list is refused; serial 2 stays in force, and the log says why.
sed -i 's/exact.test/other.test/' "$TB_DIR/rules/blocklist"
reload_and_wait "reload refused"
grep -q "reload refused, serial 2 stays in force: .*blocklist" "$TB_DIR/blockd.log" ||
	tb_fail "refusal does not name the list"
expect exact.test blocked "tampered list refused"
expect other.test resolves "tampered list refused"
grep -q '"state":"reload_refused"' "$TB_DIR/enforcement.jsonl" || tb_fail "no reload_refused record"
grep -q '"state":"reload","serial":2' "$TB_DIR/enforcement.jsonl" || tb_fail "no reload record"

# The same through blockctl: lookup names the order, reload answers with the outcome.
ctl() {
	"${BLOCKCTL:-build/blockctl}" -s "$TB_DIR/control.sock" "$@"
}
tb_wait_for test -S "$TB_DIR/control.sock" || tb_fail "no control socket"
out=$(ctl lookup sub.exact.test) && tb_fail "lookup: sub.exact.test reported blocked: $out"
out=$(ctl lookup EXACT.test.) || tb_fail "lookup: exact.test not blocked: $out"
echo "$out" | grep -q "blocked by domain exact.test (line [0-9]*) of order CL-2026-000456" ||
	tb_fail "lookup answer: $out"
out=$(ctl -j status) || tb_fail "status failed"
echo "$out" | grep -q '"serial":2' || tb_fail "status: $out"
out=$(ctl reload) && tb_fail "blockctl reload accepted the tampered list: $out"
echo "$out" | grep -q "refused, serial 2 stays in force: .*signed by 0 distinct trusted keys" ||
	tb_fail "blockctl reload: $out"
tb_list "domain exact.test CL-2026-000456" "domain other.test CL-2026-000456"
# One entry to two is a change above max_change (50 %): refused unless overridden.
out=$(ctl reload) && tb_fail "blockctl reload accepted a change above max_change: $out"
echo "$out" | grep -q "a change of more than 50 %" || tb_fail "blockctl reload: $out"
out=$(ctl reload --override) || tb_fail "blockctl reload --override refused: $out"
[ "$out" = "serial 3 in force" ] || tb_fail "blockctl reload --override: $out"
expect other.test blocked "blockctl reload"
out=$(ctl stats) || tb_fail "stats failed"
echo "$out" | grep -q "dns_blocked [1-9]" || tb_fail "stats show no blocks: $out"
echo "PASS blockctl lookup, status, reload, stats"

# Restart with no list in rules_dir: the last accepted one (serial 2) is enforced.
tb_stop_blockd TERM
rm -f "$TB_DIR/rules/blocklist"*
tb_start_blockd
grep -q "list serial 3 in force.*(last accepted)" "$TB_DIR/blockd.log" ||
	tb_fail "restart did not restore the last accepted list"
expect exact.test blocked "restored"

# blockd -n checks the config and the list it would enforce.
tb_list "suffix blocked.example CL-2026-000123"
"${BLOCKD:-build/blockd}" -n -f "$TB_DIR/blockd.conf" 2>"$TB_DIR/check.log" ||
	tb_fail "blockd -n refused a good setup: $(cat "$TB_DIR/check.log")"
grep -q "list serial 4: 1 entries" "$TB_DIR/check.log" || tb_fail "-n does not report the list"
echo garbage >>"$TB_DIR/rules/blocklist"
if "${BLOCKD:-build/blockd}" -n -f "$TB_DIR/blockd.conf" 2>"$TB_DIR/check.log"; then
	tb_fail "blockd -n accepted a tampered list"
fi
grep -q "blocklist: .*signed by 0 distinct trusted keys" "$TB_DIR/check.log" ||
	tb_fail "blockd -n does not say why: $(cat "$TB_DIR/check.log")"
echo "PASS blockd -n"
tb_stop_blockd TERM
echo "t_dns_reload: all passed"
