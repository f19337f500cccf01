#!/bin/sh
# Losing state_dir opens no door to a rollback: the enforcement log's highest accepted serial is a
# floor too, and the mismatch between the two is recorded.
set -u
. tests/lib/netns.sh

tb_setup
tb_blockd_conf
mkdir -p "$TB_DIR/old"

# Serial 1, kept aside (a validly signed list an attacker could replay), then serial 2 in force.
tb_list "domain a.example CL-2026-000123"
cp "$TB_DIR/rules/blocklist" "$TB_DIR/rules/blocklist.minisig" "$TB_DIR/old/"
tb_start_blockd
tb_wait_for grep -q "list serial 1 in force" "$TB_DIR/blockd.log" || tb_fail "serial 1 not in force"
tb_list "domain b.example CL-2026-000123"
kill -HUP "$(tb_pid blockd)"
tb_wait_for grep -q "list serial 2 in force" "$TB_DIR/blockd.log" || tb_fail "serial 2 not in force"
tb_stop_blockd TERM

# The state directory is lost; the old list is put back in rules_dir.
rm -rf "$TB_DIR/state"
mkdir -p "$TB_DIR/state"
cp "$TB_DIR/old/blocklist" "$TB_DIR/old/blocklist.minisig" "$TB_DIR/rules/"
mv "$TB_DIR/blockd.log" "$TB_DIR/blockd.1.log"
tb_start_blockd
grep -q "serial 1 is lower than serial 2, which .* shows accepted (rollback)" "$TB_DIR/blockd.log" ||
	tb_fail "serial 1 not refused as a rollback: $(cat "$TB_DIR/blockd.log")"
grep -q "list serial 1 in force" "$TB_DIR/blockd.log" && tb_fail "serial 1 was enforced"
tb_wait_for grep -q '"state":"serial_floor","serial":2' "$TB_DIR/enforcement.jsonl" ||
	tb_fail "no serial_floor record in the log"
echo "PASS state_dir lost: serial 1 refused as a rollback, the floor recorded"
tb_stop_blockd TERM

# Control: with the log gone too, nothing remembers serial 2 and serial 1 is accepted, so the
# refusal above came from the log.
rm -rf "$TB_DIR/state" "$TB_DIR/enforcement.jsonl"*
mkdir -p "$TB_DIR/state"
mv "$TB_DIR/blockd.log" "$TB_DIR/blockd.2.log"
tb_start_blockd
tb_wait_for grep -q "list serial 1 in force" "$TB_DIR/blockd.log" ||
	tb_fail "control: serial 1 not accepted without the log: $(cat "$TB_DIR/blockd.log")"
echo "PASS control: without the log, serial 1 is accepted"
tb_stop_blockd TERM
echo "t_serial_floor: all passed"
