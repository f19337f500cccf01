#!/bin/sh
# A fleet report over two appliances' logs (blockctl report --appliance): one subscriber's lookups
# are blocked through each appliance, whose pseudonym key is the other's copy, so the subscriber
# counts once; one appliance stopped for a while is a gap of its own but not of the fleet (the
# other enforced), both stopped is a fleet gap; blockrules reports reads the signed fleet report;
# a log whose chain is broken is refused, naming its file and line.
#
#   client ── a0 appliance A (blockd fleet-a) ── resolver (Unbound), as in tests/lib/netns.sh
#          └─ c2 ─ a2 appliance B (blockd fleet-b) ── d0 (a veth to nowhere: nothing answers
#                                                        203.0.113.53 but blockd)
set -u
. tests/lib/netns.sh

BLOCKCTL=${BLOCKCTL:-build/blockctl}
BLOCKRULES=${BLOCKRULES:-build/blockrules}
NS_B="tb-ab-$TB_ID"
RESOLVER_B=203.0.113.53

tb_setup
tb_start_unbound
tb_list "suffix blocked.example CL-2026-000123"

# Appliance B: the client reaches 203.0.113.53 through it, from its own address 192.0.2.10.
_tb_ns "$NS_B"
ip link add c2 netns "$TB_NS_CLIENT" type veth peer name a2 netns "$NS_B"
ip -n "$NS_B" link add d0 type veth peer name d1
ip -n "$TB_NS_CLIENT" addr add 10.98.0.2/30 dev c2
ip -n "$NS_B" addr add 10.98.0.1/30 dev a2
for _l in a2 d0 d1; do ip -n "$NS_B" link set "$_l" up; done
ip -n "$TB_NS_CLIENT" link set c2 up
ip -n "$TB_NS_CLIENT" route add "$RESOLVER_B/32" via 10.98.0.1 dev c2 src "$TB_CLIENT4"
ip -n "$NS_B" route add 203.0.113.0/24 dev d0
ip -n "$NS_B" route add "$TB_CLIENT4/32" via 10.98.0.2
ip netns exec "$NS_B" sysctl -qw net.ipv4.ip_forward=1
tb_client sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.c2.rp_filter=0

LOG_A="$TB_DIR/enforcement.jsonl"
LOG_B="$TB_DIR/b/enforcement.jsonl"
mkdir -p "$TB_DIR/b" "$TB_DIR/state-b"
# B's config: its own state, socket and log; the same rules and keys.
tb_blockd_conf blockd.appliance_id=fleet-b blockd.state_dir="$TB_DIR/state-b" \
	blockd.control_socket="$TB_DIR/b.sock" log.path="$LOG_B"
mv "$TB_DIR/blockd.conf" "$TB_DIR/b.conf"
tb_blockd_conf blockd.appliance_id=fleet-a

# start_b, stop_b: as tb_start_blockd and tb_stop_blockd, for appliance B.
start_b() {
	tb_spawn blockd-b "$NS_B" "${BLOCKD:-build/blockd}" -d -v -f "$TB_DIR/b.conf"
	tb_wait_for grep -q "state start" "$TB_DIR/blockd-b.log" ||
		tb_fail "blockd B did not start: $(tail -5 "$TB_DIR/blockd-b.log")"
}
stop_b() {
	_pb=$(tb_pid blockd-b)
	kill -TERM "$_pb" 2>/dev/null
	tb_wait_for sh -c "! kill -0 $_pb" || tb_fail "blockd B did not exit"
	wait "$_pb" 2>/dev/null
	return 0
}

# q RESOLVER NAME: the status of a lookup, or "timeout".
q() {
	out=$(tb_client dig +notcp +time=1 +tries=1 @"$1" "$2" A 2>&1)
	case $out in
	*"status: NXDOMAIN"*) echo nxdomain ;;
	*"status: NOERROR"*) echo noerror ;;
	*) echo timeout ;;
	esac
}
expect() {
	got=$(q "$1" "$2")
	[ "$got" = "$3" ] || tb_fail "$4: $2 via $1 gave $got, want $3"
	echo "PASS $4: $2 via $1 -> $3"
}
blocks() { grep -c '"record":"block"' "$1" 2>/dev/null || echo 0; }
# wait_blocks LOG N: until LOG holds N block records.
wait_blocks() { tb_wait_for sh -c "[ \$(grep -c '\"record\":\"block\"' '$1') -ge $2 ]"; }
# next_second: the next whole UTC second, once the clock has passed it.
next_second() {
	_sec=$(($(date +%s) + 1))
	tb_wait_for sh -c "[ \$(date +%s) -gt $_sec ]" >/dev/null
	date -u -d "@$_sec" +%Y-%m-%dT%H:%M:%SZ
}

# Controls: A's path reaches the resolver; nothing answers on B's path without blockd.
expect "$TB_RESOLVER4" allowed.example noerror "control, no blockd"
expect "$TB_RESOLVER4" blocked.example noerror "control, no blockd"
expect "$RESOLVER_B" blocked.example timeout "control, no blockd on B"

tb_start_blockd
# The fleet shares the pseudonym key: B starts with a copy of A's.
tb_wait_for test -s "$TB_DIR/state/pseudonym.key" || tb_fail "A made no pseudonym key"
cp -p "$TB_DIR/state/pseudonym.key" "$TB_DIR/state-b/pseudonym.key"
start_b
from=$(next_second)

expect "$TB_RESOLVER4" allowed.example noerror "A running"
expect "$TB_RESOLVER4" blocked.example nxdomain "A running"
expect "$RESOLVER_B" blocked.example nxdomain "B running"
wait_blocks "$LOG_A" 1 || tb_fail "no block in A's log"
wait_blocks "$LOG_B" 1 || tb_fail "no block in B's log"

# A down for a while; B enforces meanwhile.
tb_stop_blockd TERM
expect "$RESOLVER_B" blocked.example nxdomain "A stopped, B running"
wait_blocks "$LOG_B" 2 || tb_fail "B's second block not logged"
next_second >/dev/null
tb_start_blockd
expect "$TB_RESOLVER4" blocked.example nxdomain "A running again"
wait_blocks "$LOG_A" 2 || tb_fail "A's second block not logged"
to=$(date -u -d '+10 minutes' +%Y-%m-%dT%H:%M:%SZ)

report() {
	"$BLOCKCTL" -f "$TB_DIR/blockd.conf" report --from "$from" --to "$to" \
		--appliance "$LOG_A" --appliance "$LOG_B" "$@"
}
report -o "$TB_DIR/fleet1.csv" 2>"$TB_DIR/report.err" || tb_fail "fleet report: $(cat "$TB_DIR/report.err")"
tr -d '\r' <"$TB_DIR/fleet1.csv" >"$TB_DIR/fleet1.txt"
cat "$TB_DIR/fleet1.txt"
row=$(grep '^[0-9-]*,CL-2026-000123,' "$TB_DIR/fleet1.txt") || tb_fail "no row for the order"
n=$(($(blocks "$LOG_A") + $(blocks "$LOG_B")))
[ "$(echo "$row" | cut -d, -f4)" = "$n" ] || tb_fail "dns blocks: $row, the logs hold $n"
[ "$(echo "$row" | cut -d, -f10)" = 1 ] || tb_fail "one subscriber through both appliances: $row"
echo "PASS $n blocks across the fleet, one subscriber"
grep -q '^fleet-a,down,.*,no,0,[0-9]*,clean stop$' "$TB_DIR/fleet1.txt" ||
	tb_fail "A's own down period missing"
grep -q '^fleet-b,[a-z]' "$TB_DIR/fleet1.txt" && tb_fail "B has a gap of its own"
grep -q '^fleet,' "$TB_DIR/fleet1.txt" && tb_fail "a fleet gap while B enforced"
grep -q '^fleet-a,[0-9]*,[0-9]*,1,[0-9]*$' "$TB_DIR/fleet1.txt" || tb_fail "A's chain row"
echo "PASS A down alone: its own gap, none of the fleet"

# Both stopped: the fleet enforced nothing from the second stop on.
stop_b
tb_stop_blockd TERM
mkdir -p "$TB_DIR/isp-keys"
minisign -G -W -p "$TB_DIR/isp-keys/isp-a.pub" -s "$TB_DIR/isp-a.key" >/dev/null 2>&1 ||
	tb_fail "minisign -G"
report -o "$TB_DIR/fleet2.csv" --sign "$TB_DIR/isp-a.key" 2>"$TB_DIR/report.err" ||
	tb_fail "fleet report: $(cat "$TB_DIR/report.err")"
tr -d '\r' <"$TB_DIR/fleet2.csv" >"$TB_DIR/fleet2.txt"
grep '^fleet,' "$TB_DIR/fleet2.txt" | grep -q ',yes,0,0,no appliance enforced: fleet-a down; fleet-b down$' ||
	tb_fail "no open fleet gap with both stopped: $(grep '^fleet,' "$TB_DIR/fleet2.txt")"
echo "PASS both stopped: $(grep '^fleet,' "$TB_DIR/fleet2.txt")"

# The regulator's tool takes the signed fleet report; the fleet's gap is the ISP's.
"$BLOCKRULES" reports -k "$TB_DIR/isp-keys" --json "$TB_DIR/fleet2.csv" >"$TB_DIR/agg.json" ||
	tb_fail "blockrules reports refused the fleet report"
grep -q '"kind":"fleet"' "$TB_DIR/agg.json" || tb_fail "blockrules reports shows no fleet gap"
grep -q '"kind":"down"' "$TB_DIR/agg.json" && tb_fail "an appliance's own gap counted as the ISP's"
echo "PASS blockrules reports reads the fleet report"

# A broken chain: B's second record edited in a copy; refused, naming the file and line.
mkdir -p "$TB_DIR/broken"
sed '2s/"appliance":"fleet-b"/"appliance":"fleet-x"/' "$LOG_B" >"$TB_DIR/broken/enforcement.jsonl"
rc=0
"$BLOCKCTL" -f "$TB_DIR/blockd.conf" report --from "$from" --to "$to" --appliance "$LOG_A" \
	--appliance "$TB_DIR/broken/enforcement.jsonl" >"$TB_DIR/broken.out" 2>"$TB_DIR/broken.err" || rc=$?
cat "$TB_DIR/broken.err"
[ "$rc" -eq 1 ] || tb_fail "broken chain: exit $rc, want 1"
[ -s "$TB_DIR/broken.out" ] && tb_fail "a report was written for a broken chain"
grep -q "$TB_DIR/broken/enforcement.jsonl:2: " "$TB_DIR/broken.err" || tb_fail "file and line not named"
echo "PASS broken chain refused"
echo "t_fleet_report: all passed"
