#!/bin/sh
# A large address list through netlink: 300,000 addresses and prefixes replace a small list;
# blockctl status answers while the sets load and shows the load under way; afterwards a listed
# address (single, and inside a prefix) is refused and an unlisted one connects; SIGTERM stops
# blockd within a few seconds with the big sets in force, and no table of blockd's is left.
set -u
. tests/lib/netns.sh

BIG4=${TB_IP_BIG_V4:-250000}
BIG6=${TB_IP_BIG_V6:-50000}
LISTED4=45.0.3.4     # one of the single addresses
INPREFIX4=46.0.7.9   # inside a listed /24
UNLISTED4=45.0.3.5   # between two listed addresses
LISTED6=2001:db8:ff00::1:4

tb_setup
for _a in $LISTED4 $INPREFIX4 $UNLISTED4; do
	ip -n "$TB_NS_SERVER" addr add "$_a/32" dev s0
	ip -n "$TB_NS_APPL" route add "$_a/32" via "$TB_SERVER4"
done
ip -n "$TB_NS_SERVER" addr add "$LISTED6/128" dev s0 nodad
ip -n "$TB_NS_APPL" route add "$LISTED6/128" via "$TB_SERVER6"
tb_spawn tcp "$TB_NS_SERVER" /usr/bin/python3 tests/lib/tcp_ok.py
tb_wait_for tb_client curl -s --max-time 2 "telnet://$TB_SERVER4:8080" ||
	tb_fail "the test TCP server does not answer"

tb_blockd_conf
tb_list "ip 198.51.100.81 CL-2026-000401"
tb_start_blockd
tb_wait_for grep -q "ip sets (start): serial 1" "$TB_DIR/blockd.log" || tb_fail "no IP sets at start"

connects() { tb_client curl -s --max-time 2 "telnet://$1:8080" >/dev/null 2>&1; }
# Before: nothing of the big list is blocked yet.
tb_wait_for connects "$LISTED4" || tb_fail "$LISTED4 does not connect before the big list"

# Serial 2: BIG4 IPv4 addresses 45.a.b.c two apart (never adjacent: each stays a single address),
# one /24, and BIG6 IPv6 addresses under 2001:db8:ff00::/48, also two apart.
tb_list "ip 198.51.100.81 CL-2026-000401" "prefix 46.0.7.0/24 CL-2026-000402"
awk -v n4="$BIG4" -v n6="$BIG6" 'BEGIN {
	for (i = 0; i < n4; i++) { j = 2 * i
		printf "ip 45.%d.%d.%d\n", int(j / 65536) % 256, int(j / 256) % 256, j % 256 }
	for (i = 0; i < n6; i++) { j = 2 * i
		printf "ip 2001:db8:ff00::%x:%x\n", int(j / 65536) + 1, j % 65536 } }' \
	>>"$TB_DIR/orders/CL-2026-000402.order"
grep -q "^ip $LISTED4\$" "$TB_DIR/orders/CL-2026-000402.order" || tb_fail "$LISTED4 not in the list"
grep -q "^ip $UNLISTED4\$" "$TB_DIR/orders/CL-2026-000402.order" && tb_fail "$UNLISTED4 in the list"
grep -q "^ip $LISTED6\$" "$TB_DIR/orders/CL-2026-000402.order" || tb_fail "$LISTED6 not in the list"
rm -f "$TB_DIR/rules/blocklist" "$TB_DIR/rules/blocklist.minisig"
_br=${BLOCKRULES:-build/blockrules}
"$_br" build -i "Test Regulator" -S "test bed" -d 30 -n 2 -o "$TB_DIR/rules/blocklist" \
	"$TB_DIR/orders/"*.order >"$TB_DIR/blockrules.log" 2>&1 || tb_fail "blockrules build (big)"
"$_br" sign -s "$TB_DIR/regulator.key" "$TB_DIR/rules/blocklist" >>"$TB_DIR/blockrules.log" 2>&1 ||
	tb_fail "blockrules sign (big)"

# The rules directory's watch sees the new files first and refuses the list (it grows by more
# than max_change); once it has read them whole, the override reload below is the only one.
tb_wait_for -t 60 grep -q "$((BIG4 + BIG6 + 2)) entries against 1 in the accepted serial 1" \
	"$TB_DIR/blockd.log" || tb_fail "the watch did not look at the big list"

# The reload, and status asked over and over on the control socket until the sets of serial 2
# are loaded: every answer must come, and one must show the load under way.
tb_spawn poll "$TB_NS_APPL" python3 -c '
import socket, sys, os
sock, stop = sys.argv[1], sys.argv[2]
n = 0
while not os.path.exists(stop):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(sock)
    s.sendall(b"status\n")
    a = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        a += d
    s.close()
    n += 1
    if n == 1:
        print("polling", flush=True)
    if b"loading" in a:
        print(a.decode().strip().replace("\n", " | "), flush=True)
print("answers", n, flush=True)
' "$TB_DIR/control.sock" "$TB_DIR/poll.stop"
tb_wait_for grep -q polling "$TB_DIR/poll.log" || tb_fail "the status poller does not run"
"${BLOCKCTL:-build/blockctl}" -s "$TB_DIR/control.sock" reload --override >"$TB_DIR/ctl.log" 2>&1 &
reload_pid=$!
tb_wait_for -t 120 grep -q "ip sets (reload): serial 2" "$TB_DIR/blockd.log" ||
	tb_fail "the big sets did not load"
touch "$TB_DIR/poll.stop"
tb_wait_for grep -q "^answers" "$TB_DIR/poll.log" || tb_fail "the status poller did not finish"
wait "$reload_pid"
grep "ip sets (reload)" "$TB_DIR/blockd.log"
fails=0
fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}
grep -q "ip sets: serial 1 in the kernel, serial 2 loading" "$TB_DIR/poll.log" &&
	echo "PASS status answered during the load ($(grep -c loading "$TB_DIR/poll.log") of $(sed -n 's/^answers //p' "$TB_DIR/poll.log") answers)" ||
	fail "no status answer showed the load under way ($(tail -n 1 "$TB_DIR/poll.log"))"
"${BLOCKCTL:-build/blockctl}" -s "$TB_DIR/control.sock" status | grep -q "ip sets: serial 2 in the kernel$" ||
	fail "status does not show serial 2's sets after the load"

# In force: the listed ones refused, the unlisted one between them connects.
for a in "$LISTED4" "$INPREFIX4" "$LISTED6"; do
	case $a in *:*) u="[$a]" ;; *) u=$a ;; esac
	if tb_client curl -s --max-time 2 "telnet://$u:8080" >/dev/null 2>&1; then
		fail "$a connected"
	else
		echo "PASS refused $a"
	fi
done
connects "$UNLISTED4" && echo "PASS passes $UNLISTED4" || fail "$UNLISTED4 does not connect"
out=$("${BLOCKCTL:-build/blockctl}" -s "$TB_DIR/control.sock" lookup "$LISTED4")
echo "$out" | grep -q "in the kernel's block set (built from serial 2)" ||
	fail "lookup of $LISTED4: $out"

# The stop, with the big sets in force: within a few seconds, and nothing left in the kernel.
t0=$(date +%s%N)
pid=$(tb_pid blockd)
kill -TERM "$pid"
tb_wait_for -t 10 sh -c "! kill -0 $pid" || fail "blockd did not stop within 10 s"
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ms" -lt 5000 ] && echo "PASS stopped in $ms ms" || fail "stopping took $ms ms"
tb_appliance nft list tables | grep -q "blockd" && fail "a table of blockd's is left: $(tb_appliance nft list tables)"
grep -q "rules removed" "$TB_DIR/blockd.log" || fail "no 'rules removed' in the log"
[ $fails -eq 0 ] || tb_fail "$fails checks failed"
echo "t_ip_big: all passed"
