#!/bin/sh
# Ports: TLS and HTTP are recognised by their bytes, not their port. With ports = all and with an
# explicit list, curl is reset for a blocked name over HTTPS on port 8443 and gets the 451 notice
# over HTTP on port 8080 (and on port 443, HTTP where TLS was expected), nginx's page for an
# allowed one; a hello cut after its first byte or two is waited for, not taken for another
# protocol; a flow of no judged protocol is allowed and counted; on a port not listed nothing is
# judged. IPv4 and IPv6.
set -u
. tests/lib/netns.sh

tb_setup
tb_start_nginx
tb_list "suffix blocked.example CL-2026-000123"

fails=0
fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}

# get ADDR SCHEME PORT NAME: curl's headers and body (or nothing) and its exit status.
get() {
	case $1 in *:*) _a="[$1]" ;; *) _a=$1 ;; esac
	tb_client curl -ski --max-time 5 --resolve "$4:$3:$_a" "$2://$4:$3/x" 2>&1
	echo "exit $?"
}

# judged ADDR: blocked names are reset (TLS) or get the notice (HTTP) on 8443, 8080 and 443.
judged() {
	out=$(get "$1" https 8443 www.blocked.example)
	case $out in
	*"served"*) fail "https 8443 blocked via $1 reached nginx" ;;
	*"exit 0" | *"exit 28") fail "https 8443 blocked via $1 was not reset: $out" ;;
	*) echo "PASS https 8443 blocked reset $1" ;;
	esac
	for port in 8080 443; do
		out=$(get "$1" http $port blocked.example)
		case $out in
		"HTTP/1.1 451"*) echo "PASS http $port blocked notice $1" ;;
		*) fail "http $port blocked via $1: $(echo "$out" | head -1)" ;;
		esac
	done
	out=$(tb_client env TLS_PORT=8443 python3 tests/lib/tls_split.py "$1" blocked.example at1,at2 2>&1)
	[ "$out" = "at1 reset
at2 reset" ] && echo "PASS hello cut at byte 1 and 2 on 8443 reset $1" ||
		fail "hello cut at byte 1 or 2 on 8443 via $1: $out"
}

# passes ADDR: allowed names reach nginx on 8443 and 8080.
passes() {
	out=$(get "$1" https 8443 allowed.example)
	case $out in
	*"served allowed.example/x"*) echo "PASS https 8443 allowed $1" ;;
	*) fail "https 8443 allowed via $1: $out" ;;
	esac
	out=$(get "$1" http 8080 allowed.example)
	case $out in
	*"served allowed.example/x"*) echo "PASS http 8080 allowed $1" ;;
	*) fail "http 8080 allowed via $1: $out" ;;
	esac
	out=$(tb_client env TLS_PORT=8443 python3 tests/lib/tls_split.py "$1" allowed.example at1 2>&1)
	[ "$out" = "handshake" ] && echo "PASS hello cut at byte 1 on 8443 allowed $1" ||
		fail "allowed hello cut at byte 1 on 8443 via $1: $out"
}

# junk ADDR PORT: a flow of no judged protocol reaches nginx (which answers 400 to it).
junk() {
	out=$(tb_client python3 -c '
import socket, sys
a = sys.argv[1]
s = socket.create_connection((a, int(sys.argv[2])), timeout=5)
s.sendall(b"\x00\x01\x02 not a protocol blockd judges\r\n\r\n")
print("answered" if s.recv(100) else "closed")' "$1" "$2" 2>&1)
	[ "$out" = "answered" ] && echo "PASS junk to $2 passes $1" || fail "junk to $2 via $1: $out"
}

stat() {
	"${BLOCKCTL:-build/blockctl}" -s "$TB_DIR/control.sock" stats |
		awk -v k="$1" '$1 ~ "\\." k "$" { s += $2 } END { print s + 0 }'
}

for ports in all 80,443,8080,8443; do
	tb_blockd_conf flows.ports=$ports
	tb_start_blockd
	echo "== ports = $ports"
	for addr in "$TB_SERVER4" "$TB_SERVER6"; do
		judged "$addr"
		passes "$addr"
		junk "$addr" 8080
	done
	n=$(stat flows_unrecognised)
	[ "$n" -ge 2 ] && echo "PASS flows_unrecognised counted ($n)" ||
		fail "flows_unrecognised is $n, want >= 2"
	tb_stop_blockd
done

# Ports not listed are not read: a blocked name passes on 8443 and 8080.
tb_blockd_conf flows.ports=80,443
tb_start_blockd
echo "== ports = 80, 443"
for addr in "$TB_SERVER4" "$TB_SERVER6"; do
	out=$(get "$addr" https 8443 www.blocked.example)
	case $out in
	*"served www.blocked.example/x"*) echo "PASS https 8443 not listed passes $addr" ;;
	*) fail "https 8443 not listed via $addr: $out" ;;
	esac
	out=$(get "$addr" http 8080 blocked.example)
	case $out in
	*"served blocked.example/x"*) echo "PASS http 8080 not listed passes $addr" ;;
	*) fail "http 8080 not listed via $addr: $(echo "$out" | head -1)" ;;
	esac
	out=$(get "$addr" http 443 blocked.example)
	case $out in
	"HTTP/1.1 451"*) echo "PASS http 443 blocked notice $addr" ;;
	*) fail "http 443 blocked via $addr: $(echo "$out" | head -1)" ;;
	esac
done

[ "$fails" -eq 0 ] || exit 1
echo "t_ports: all passed"
