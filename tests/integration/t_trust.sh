#!/bin/sh
# Trust in the list, end to end: blockd and blockrules verify give the same answers for shared
# infrastructure, special-use and NAT64-embedded entries, a serial jump (which only the override
# passes, recorded), a validity beyond max_validity and an issue time in the future.
set -u
. tests/lib/netns.sh

BR=${BLOCKRULES:-build/blockrules}
CTL=${BLOCKCTL:-build/blockctl}
SHARED=$(pwd)/packaging/shared-infrastructure

tb_setup
tb_blockd_conf
L=$TB_DIR/rules/blocklist
five() {
	tb_list "domain deepfakes.example CL-2026-000123" "domain a.example CL-2026-000123" \
		"domain b.example CL-2026-000123" "domain c.example CL-2026-000123" \
		"domain d.example CL-2026-000123"
}
five
tb_start_blockd
tb_wait_for grep -q "list serial 1 in force" "$TB_DIR/blockd.log" || tb_fail "serial 1 not in force"

# reload_refused WHY: after SIGHUP the list in rules_dir is refused for WHY, and verify agrees.
reload_refused() {
	kill -HUP "$(tb_pid blockd)"
	tb_wait_for grep -q "reload refused, serial [0-9]* stays in force: .*$1" "$TB_DIR/blockd.log" ||
		tb_fail "not refused for '$1': $(tail -n 3 "$TB_DIR/blockd.log")"
	out=$("$BR" verify -k "$TB_DIR/keys" -s "$SHARED" -t -D "$TB_DIR/state" "$L" 2>&1)
	echo "$out" | grep -q "refused: .*$1" || tb_fail "blockrules verify disagrees on '$1': $out"
	echo "PASS refused by blockd and by blockrules verify: $1"
}

# 1. Entries refused one by one: the same entries, the same words, from both.
tb_list "domain deepfakes.example CL-2026-000123" "domain google.com CL-2026-000123" \
	"ip 64:ff9b::808:808 CL-2026-000123" "prefix 64:ff9b::/96 CL-2026-000123" \
	"ip 127.0.0.1 CL-2026-000123"
kill -HUP "$(tb_pid blockd)"
tb_wait_for grep -q "list serial 2 in force" "$TB_DIR/blockd.log" || tb_fail "serial 2 not in force"
grep -o "$L:[0-9]*: .* refused: .*" "$TB_DIR/blockd.log" | sort -u >"$TB_DIR/daemon.refused"
"$BR" verify -k "$TB_DIR/keys" -s "$SHARED" -t "$L" >"$TB_DIR/verify.out" 2>&1
rc=$?
[ $rc -eq 4 ] || tb_fail "verify exited $rc, want 4 (accepted with refusals): $(cat "$TB_DIR/verify.out")"
grep -o "$L:[0-9]*: .* refused: .*" "$TB_DIR/verify.out" | sort -u >"$TB_DIR/verify.refused"
cat "$TB_DIR/daemon.refused"
[ "$(wc -l <"$TB_DIR/daemon.refused")" -eq 4 ] || tb_fail "blockd refused $(wc -l <"$TB_DIR/daemon.refused") entries, want 4"
cmp -s "$TB_DIR/daemon.refused" "$TB_DIR/verify.refused" ||
	tb_fail "blockd and verify differ: $(diff "$TB_DIR/daemon.refused" "$TB_DIR/verify.refused")"
grep -q "google.com .*shared infrastructure name google.com" "$TB_DIR/daemon.refused" || tb_fail "google.com"
grep -q "64:ff9b::808:808 .*IPv4 8.8.8.8 it embeds" "$TB_DIR/daemon.refused" || tb_fail "NAT64 8.8.8.8"
grep -q "64:ff9b::/96 .*0.0.0.0/0 .*no order can pass" "$TB_DIR/daemon.refused" || tb_fail "NAT64 prefix"
grep -q "127.0.0.1 .*special-use range 127.0.0.0/8" "$TB_DIR/daemon.refused" || tb_fail "loopback"
echo "PASS four entries refused, the same four with the same reasons from blockd and verify"

# 2. A serial jump: refused; the override passes it and the log says who overrode.
TB_SERIAL=2000000001
five
reload_refused "serial 2000000002 jumps 2000000000 past the accepted serial 2, more than max_serial_jump"
out=$("$CTL" -s "$TB_DIR/control.sock" reload --override 2>&1) || tb_fail "reload --override: $out"
tb_wait_for grep -q "list serial 2000000002 accepted with the override, by uid 0" "$TB_DIR/enforcement.jsonl" ||
	tb_fail "the override is not recorded"
echo "PASS the override passes the jump, recorded with uid 0"

# 3. Valid for 400 days, and 4. issued an hour from now.
TB_LIFE="-d 400"
five
reload_refused "valid for 400 days from its issue time, more than max_validity (366 days)"
TB_LIFE="-t $(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ) -d 30"
five
reload_refused "more than 300 s ahead of this appliance's clock"
TB_LIFE=""
tb_stop_blockd TERM
echo "t_trust: all passed"
