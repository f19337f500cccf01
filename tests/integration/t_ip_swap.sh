#!/bin/sh
# A reload that swaps a large IP set under traffic: while connections to an allowed and to a
# blocked address run in a loop, a list with 200,000 more addresses replaces the old one; the
# allowed address never fails and the blocked one never connects, before, during or after.
set -u
. tests/lib/netns.sh

BIG=${TB_IP_SWAP_ENTRIES:-200000}
BLOCKED6=2001:db8:2::81
BLOCKED4=198.51.100.81

tb_setup
ip -n "$TB_NS_SERVER" addr add "$BLOCKED4/24" dev s0
ip -n "$TB_NS_SERVER" addr add "$BLOCKED6/64" dev s0 nodad
tb_spawn http "$TB_NS_SERVER" /usr/bin/python3 tests/lib/tcp_ok.py
tb_wait_for tb_client curl -s --max-time 2 "telnet://$TB_SERVER4:8080" ||
	tb_fail "the test TCP server does not answer"

tb_blockd_conf
tb_list "ip $BLOCKED6 CL-2026-000301" "ip $BLOCKED4 CL-2026-000301"
tb_start_blockd
tb_wait_for grep -q "ip sets (start): serial 1" "$TB_DIR/blockd.log" || tb_fail "no IP sets at start"

# The client's loop: one TCP connection after another to each address, counting outcomes, until
# the stop file appears; then one summary line.
tb_spawn loop "$TB_NS_CLIENT" /usr/bin/python3 tests/lib/connect_loop.py \
	"$TB_DIR/stop" "$TB_SERVER6" "$BLOCKED6" "$TB_SERVER4" "$BLOCKED4"
tb_wait_for grep -q running "$TB_DIR/loop.log" || tb_fail "the client loop does not run"

# Serial 3: the same two entries, plus BIG addresses under 2001:db8:ff00::/48, none adjacent
# (adjacent ones would merge into one interval).
tb_list "ip $BLOCKED6 CL-2026-000301" "ip $BLOCKED4 CL-2026-000301" "ip 2001:db8:ff00::1 CL-2026-000302"
awk -v n="$BIG" 'BEGIN { for (i = 65536; i < 65536 + n; i++) { j = 2 * i
	printf "ip 2001:db8:ff00::%x:%x\n", int(j / 65536), j % 65536 } }' \
	>>"$TB_DIR/orders/CL-2026-000302.order"
rm -f "$TB_DIR/rules/blocklist" "$TB_DIR/rules/blocklist.minisig"
_br=${BLOCKRULES:-build/blockrules}
"$_br" build -i "Test Regulator" -S "test bed" -d 30 -n 3 -o "$TB_DIR/rules/blocklist" \
	"$TB_DIR/orders/"*.order >"$TB_DIR/blockrules.log" 2>&1 || tb_fail "blockrules build (big)"
"$_br" sign -s "$TB_DIR/regulator.key" "$TB_DIR/rules/blocklist" >>"$TB_DIR/blockrules.log" 2>&1 ||
	tb_fail "blockrules sign (big)"

"${BLOCKCTL:-build/blockctl}" -s "$TB_DIR/control.sock" reload --override >"$TB_DIR/ctl.log" 2>&1 &
tb_wait_for -t 300 grep -q "ip sets (reload): serial 3" "$TB_DIR/blockd.log" ||
	tb_fail "the big set did not load"
grep "ip sets (reload)" "$TB_DIR/blockd.log"
touch "$TB_DIR/stop"
tb_wait_for grep -q "=" "$TB_DIR/loop.log" || tb_fail "the client loop did not finish"
res=$(tail -n 1 "$TB_DIR/loop.log")
echo "connections ok/failed: $res"

fails=0
for kv in $res; do
	a=${kv%%=*}
	ok=${kv#*=}
	ok=${ok%/*}
	bad=${kv#*/}
	case $a in
	"$BLOCKED6" | "$BLOCKED4")
		[ "$ok" -eq 0 ] || { echo "FAIL: $a connected $ok times" >&2; fails=$((fails + 1)); }
		[ "$bad" -gt 0 ] || { echo "FAIL: $a never tried" >&2; fails=$((fails + 1)); }
		;;
	*)
		[ "$bad" -eq 0 ] || { echo "FAIL: $a failed $bad times" >&2; fails=$((fails + 1)); }
		[ "$ok" -gt 0 ] || { echo "FAIL: $a never tried" >&2; fails=$((fails + 1)); }
		;;
	esac
done
out=$("${BLOCKCTL:-build/blockctl}" -s "$TB_DIR/control.sock" lookup 2001:db8:ff00::4:d40)
echo "$out" | grep -q "in the kernel's block set (built from serial 3)" ||
	{ echo "FAIL: lookup of a new entry: $out" >&2; fails=$((fails + 1)); }
[ $fails -eq 0 ] || tb_fail "$fails checks failed"
echo "t_ip_swap: all passed"
