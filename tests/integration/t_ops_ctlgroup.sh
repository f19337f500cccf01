#!/bin/sh
# The control socket answers root and refuses a user outside control_group: the socket's mode stops
# it (exit 3), and with the mode opened blockd's own credential check does (exit 5). reload
# --override is narrower: root or override_group only, and the log records who overrode.
set -u
. tests/lib/netns.sh

tb_setup
chmod 0755 "$TB_DIR"
tb_list "domain blocked.example CL-2026-000123"
tb_blockd_conf blockd.control_group=nogroup blockd.override_group=daemon
tb_start_blockd
tb_wait_for test -S "$TB_DIR/control.sock" || tb_fail "no control socket"
ctl="${BLOCKCTL:-build/blockctl}"
chmod 0755 "$ctl" 2>/dev/null

out=$("$ctl" -s "$TB_DIR/control.sock" status) || tb_fail "root refused: $out"
echo "$out" | grep -q "list: serial 1 " || tb_fail "root's status: $out"
echo "PASS root gets answers"

# A list four times the size of the one in force needs the override (max_change 0.5).
tb_list "domain blocked.example CL-2026-000123" "domain b.example CL-2026-000123" \
	"domain c.example CL-2026-000123" "domain d.example CL-2026-000123"
# nobody, with the control group as its group: may use blockctl, may not override.
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$ctl" -s "$TB_DIR/control.sock" \
	reload --override 2>&1)
rc=$?
[ $rc -eq 5 ] || tb_fail "override by a control-group member: exit $rc, want 5: $out"
echo "$out" | grep -q "needs root or the override group" || tb_fail "override refusal: $out"
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$ctl" -s "$TB_DIR/control.sock" \
	status 2>&1) || tb_fail "a control-group member refused status: $out"
# daemon (uid 1) is in override_group (daemon): its override is accepted and recorded.
out=$(setpriv --reuid=daemon --regid=nogroup --clear-groups "$ctl" -s "$TB_DIR/control.sock" \
	reload --override 2>&1) || tb_fail "override by an override-group member refused: $out"
tb_wait_for grep -q "list serial $TB_SERIAL accepted with the override, by uid 1" \
	"$TB_DIR/enforcement.jsonl" || tb_fail "the override is not recorded with its uid"
echo "PASS reload --override: denied to the control group, allowed to override_group, recorded by uid"

# A user in neither root nor nogroup: daemon (uid 1) with its own group only.
uid=$(id -u daemon)
gid=$(id -g daemon)
nonmember() {
	setpriv --reuid="$uid" --regid="$gid" --clear-groups "$ctl" -s "$TB_DIR/control.sock" status 2>&1
}
# The socket's mode (0660, group nogroup) stops it first: it cannot connect.
out=$(nonmember)
rc=$?
[ $rc -eq 3 ] || tb_fail "non-member, socket mode: exit status $rc, want 3: $out"
echo "$out" | grep -q "Permission denied" || tb_fail "non-member, socket mode: $out"
# With the mode opened up, blockd itself checks the peer's credentials; it reads the request
# before refusing, so the refusal arrives every time (never a broken pipe).
chmod 0666 "$TB_DIR/control.sock"
for _try in 1 2 3 4 5 6 7 8 9 10; do
	out=$(nonmember)
	rc=$?
	[ $rc -eq 5 ] || tb_fail "non-member, try $_try: exit status $rc, want 5: $out"
	echo "$out" | grep -q "permission denied" || tb_fail "non-member, try $_try: $out"
done
echo "PASS a non-member is refused (socket mode: exit 3; blockd's own check: exit 5)"

tb_stop_blockd TERM
echo "t_ops_ctlgroup: all passed"
