#!/bin/sh
# IP enforcement in the kernel: connections to listed addresses and prefixes, IPv4 and IPv6, are
# refused (TCP reset, ICMP administratively prohibited), others pass; each blocked flow's first
# packet becomes an enforcement event naming its order; blockctl lookup reports the kernel set;
# nothing of blockd's stays in the kernel after it stops.
set -u
. tests/lib/netns.sh

tb_setup
# The server answers HTTP on every address it has; the extra ones are the blocked hosts.
for _a in 198.51.100.81/24 198.51.100.100/24 198.51.100.82/24; do
	ip -n "$TB_NS_SERVER" addr add "$_a" dev s0
done
for _a in 2001:db8:2::81/64 2001:db8:2::1:0:0:5/64 2001:db8:2::82/64; do
	ip -n "$TB_NS_SERVER" addr add "$_a" dev s0 nodad
done
mkdir -p "$TB_DIR/www" && echo hello >"$TB_DIR/www/index.html"
tb_spawn http "$TB_NS_SERVER" /usr/bin/python3 -m http.server --bind :: --directory "$TB_DIR/www" 8080
tb_wait_for tb_client curl -sf --max-time 2 "http://$TB_SERVER4:8080/" ||
	tb_fail "the test HTTP server does not answer"

tb_blockd_conf
tb_list "ip 198.51.100.81 CL-2026-000201" "prefix 198.51.100.96/28 CL-2026-000202" \
	"ip 2001:db8:2::81 CL-2026-000203" "prefix 2001:db8:2:0:1::/80 CL-2026-000204"
tb_start_blockd
tb_wait_for grep -q "ip sets (start): serial 1" "$TB_DIR/blockd.log" ||
	tb_fail "no IP set load in the log"

fails=0
fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}

url() {
	case $1 in
	*:*) echo "http://[$1]:8080/" ;;
	*) echo "http://$1:8080/" ;;
	esac
}

# probe tcp|udp ADDRESS: what the client's socket sees: "ok", or the error's name (a UDP datagram
# to port 9 is answered by the server's port unreachable, or by the appliance's admin-prohibited).
probe() {
	tb_client /usr/bin/python3 tests/lib/probe.py "$1" "$2"
}

# refused ADDRESS ORDER: TCP reset, UDP and ping answered with admin-prohibited, event logged.
refused() {
	out=$(probe tcp "$1")
	[ "$out" = ECONNREFUSED ] || fail "tcp to $1: $out, want ECONNREFUSED (reset)"
	# ICMP admin-prohibited: EHOSTUNREACH for IPv4, EACCES for IPv6 (not the server's ECONNREFUSED).
	out=$(probe udp "$1")
	case $out in
	EHOSTUNREACH | EACCES) echo "PASS refused $1 (tcp reset, udp $out)" ;;
	*) fail "udp to $1: $out, want admin-prohibited" ;;
	esac
	tb_wait_for grep -q "\"order\":\"$2\"" "$TB_DIR/enforcement.jsonl" ||
		fail "no event naming $2 for $1"
	grep "\"order\":\"$2\"" "$TB_DIR/enforcement.jsonl" | grep -q '"method":"ip"' ||
		fail "event for $1 is not an IP event"
}

passes() {
	out=$(tb_client curl -sS --max-time 3 "$(url "$1")" 2>&1)
	[ "$out" = hello ] || fail "tcp to $1: '$out', want hello"
	out=$(probe udp "$1")
	[ "$out" = ECONNREFUSED ] || fail "udp to $1: $out, want the server's port unreachable"
	echo "PASS passes $1"
}

refused 198.51.100.81 CL-2026-000201
refused 198.51.100.100 CL-2026-000202
refused 2001:db8:2::81 CL-2026-000203
refused 2001:db8:2::1:0:0:5 CL-2026-000204
passes "$TB_SERVER4"
passes 198.51.100.82
passes "$TB_SERVER6"
passes 2001:db8:2::82

ctl() { "${BLOCKCTL:-build/blockctl}" -s "$TB_DIR/control.sock" "$@"; }
out=$(ctl lookup 198.51.100.101)
echo "$out" | grep -q "CL-2026-000202" || fail "lookup does not name the order: $out"
echo "$out" | grep -q "in the kernel's block set (built from serial 1)" ||
	fail "lookup does not report the kernel set: $out"
out=$(ctl -j lookup 2001:db8:2::82)
echo "$out" | grep -q '"kernel_set":false' || fail "lookup of an unlisted address: $out"

# Every descriptor blockd opens (NFLOG and queue sockets, raw sockets, the log) is close-on-exec,
# so none leaks into the nft children a reload spawns. Those it inherited from this shell are not
# its own.
pid=$(tb_pid blockd)
leaked=""
for f in /proc/"$pid"/fdinfo/*; do
	n=${f##*/}
	[ "$n" -gt 2 ] || continue
	[ "$(readlink "/proc/$pid/fd/$n")" = "$(readlink "/proc/$$/fd/$n")" ] && continue
	fl=$(sed -n 's/^flags:[[:space:]]*//p' "$f" 2>/dev/null)
	[ -n "$fl" ] || continue # closed meanwhile
	[ $((fl & 0x80000)) -ne 0 ] || leaked="$leaked $n=$(readlink "/proc/$pid/fd/$n")"
done
[ -z "$leaked" ] || fail "descriptors without close-on-exec:$leaked"
[ -n "$leaked" ] || echo "PASS every descriptor close-on-exec"

# A reload that drops an entry: the kernel lets it through at once.
tb_list "ip 198.51.100.81 CL-2026-000201" "ip 2001:db8:2::81 CL-2026-000203"
kill -HUP "$(tb_pid blockd)"
tb_wait_for grep -q "ip sets (reload): serial 2" "$TB_DIR/blockd.log" || tb_fail "no reload of the sets"
passes 198.51.100.100
passes 2001:db8:2::1:0:0:5
refused 198.51.100.81 CL-2026-000201

tb_stop_blockd
grep -q "nflog group .*events=[1-9]" "$TB_DIR/blockd.log" || fail "no NFLOG events counted"
grep -q "ip: [1-9][0-9]* new flows blocked in the kernel" "$TB_DIR/blockd.log" ||
	fail "the kernel's count of blocked flows is not logged"
tb_appliance nft list tables | grep -q blockd && fail "table inet blockd left after stop"
passes 198.51.100.81

[ $fails -eq 0 ] || tb_fail "$fails checks failed"
echo "t_ip_block: all passed"
