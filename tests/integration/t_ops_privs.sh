#!/bin/sh
# Started as root with user = nobody, blockd runs as nobody with only CAP_NET_ADMIN and CAP_NET_RAW
# (also ambient, for nft), no_new_privs and a seccomp filter in every thread; DNS blocking, a reload
# through blockctl and the removal of its rules at stop all still work.
set -u
. tests/lib/netns.sh

tb_setup
# The dropped user must reach rules_dir and keys_dir under the run's directory.
chmod 0755 "$TB_DIR"
tb_start_unbound
tb_list "domain blocked.example CL-2026-000123"
tb_blockd_conf blockd.user=nobody
chmod -R a+rX "$TB_DIR/rules" "$TB_DIR/keys"
# A service manager's notification socket, recording every datagram on its own line.
tb_spawn notifyd "$TB_NS_APPL" python3 tests/lib/notify_sink.py "$TB_DIR/notify.sock" "$TB_DIR/notify.txt"
tb_wait_for test -S "$TB_DIR/notify.sock" || tb_fail "no notify socket"
NOTIFY_SOCKET=$TB_DIR/notify.sock WATCHDOG_USEC=1000000 tb_start_blockd
pid=$(tb_pid blockd)
tb_wait_for grep -q "^READY=1 STATUS=enforcing list serial 1$" "$TB_DIR/notify.txt" ||
	tb_fail "no READY=1 with the serial: $(cat "$TB_DIR/notify.txt")"
tb_wait_for grep -q "^WATCHDOG=1$" "$TB_DIR/notify.txt" || tb_fail "no watchdog ping"
echo "PASS READY=1 with the list serial, watchdog pings"
grep -q "running as uid 65534" "$TB_DIR/blockd.log" || tb_fail "no privilege drop in the log"

uid=$(id -u nobody)
gid=$(id -g nobody)
want_caps=0000000000003000 # CAP_NET_ADMIN (12) and CAP_NET_RAW (13)
field() {
	awk -v k="$1:" '$1 == k { $1 = ""; sub(/^ /, ""); print }' "$2"
}
n=0
for st in /proc/"$pid"/task/*/status; do
	for k in CapEff CapPrm CapBnd CapAmb CapInh; do
		v=$(field "$k" "$st")
		[ "$v" = "$want_caps" ] || tb_fail "$st: $k $v, want $want_caps"
	done
	v=$(field Uid "$st" | tr -s '\t ' ' ')
	[ "$v" = "$uid $uid $uid $uid" ] || tb_fail "$st: Uid $v"
	v=$(field Gid "$st" | tr -s '\t ' ' ')
	[ "$v" = "$gid $gid $gid $gid" ] || tb_fail "$st: Gid $v"
	v=$(field Groups "$st")
	[ -z "$v" ] || tb_fail "$st: supplementary groups $v kept"
	[ "$(field NoNewPrivs "$st")" = 1 ] || tb_fail "$st: NoNewPrivs not set"
	[ "$(field Seccomp "$st")" = 2 ] || tb_fail "$st: no seccomp filter"
	n=$((n + 1))
done
[ $n -ge 3 ] || tb_fail "only $n threads checked"
echo "PASS $n threads: uid $uid, caps $want_caps, no_new_privs, seccomp filter"

status() {
	out=$(tb_client dig +time=2 +tries=1 @"$TB_RESOLVER4" "$1" A 2>&1)
	case $out in
	*"status: NXDOMAIN"*) echo blocked ;;
	*"status: NOERROR"*) echo resolves ;;
	*) echo timeout ;;
	esac
}
[ "$(status blocked.example)" = blocked ] || tb_fail "blocked.example not blocked"
[ "$(status other.test)" = resolves ] || tb_fail "other.test does not resolve"
echo "PASS DNS blocking after the drop"

tb_list "domain blocked.example CL-2026-000123" "domain second.example CL-2026-000123"
chmod -R a+rX "$TB_DIR/rules"
out=$("${BLOCKCTL:-build/blockctl}" -s "$TB_DIR/control.sock" reload --override) ||
	tb_fail "blockctl reload after the drop: $out"
[ "$out" = "serial 2 in force" ] || tb_fail "blockctl reload: $out"
[ "$(status second.example)" = blocked ] || tb_fail "second.example not blocked after reload"
tb_wait_for grep -q "^READY=1 STATUS=enforcing list serial 2$" "$TB_DIR/notify.txt" ||
	tb_fail "no READY=1 after the reload: $(cat "$TB_DIR/notify.txt")"
grep -q "^RELOADING=1 MONOTONIC_USEC=[0-9]* STATUS=reloading$" "$TB_DIR/notify.txt" ||
	tb_fail "no RELOADING=1: $(cat "$TB_DIR/notify.txt")"
echo "PASS reload after the drop, RELOADING=1 then READY=1"

# The state directory was handed over: the accepted list was recorded there by nobody.
[ "$(stat -c %u "$TB_DIR/state")" = "$uid" ] || tb_fail "state_dir not owned by nobody"

tb_stop_blockd TERM
grep -q "rules removed" "$TB_DIR/blockd.log" || tb_fail "rules not removed at stop"
grep -q "^STOPPING=1" "$TB_DIR/notify.txt" || tb_fail "no STOPPING=1"
if tb_appliance nft list ruleset | grep -q "queue"; then
	tb_fail "queue rules left behind: $(tb_appliance nft list ruleset)"
fi
echo "PASS rules removed at stop by the unprivileged daemon"
# Nothing the daemon did was refused by the filter or by file permissions.
if grep -q "Operation not permitted\|Permission denied" "$TB_DIR/blockd.log"; then
	tb_fail "refused operations: $(grep "not permitted\|denied" "$TB_DIR/blockd.log")"
fi
echo "t_ops_privs: all passed"
