#!/bin/sh
# Resets that land: a ClientHello of about 2000 bytes sent in one write, as browsers send theirs
# (a full segment, then the rest, with segmentation offloads off on the client). The name is in
# the first segment, which blockd passes; the second completes the hello. The reset towards the
# server must go out after the first segment's verdict and at the sequence number the server then
# expects, so nginx drops the connection at once instead of keeping an ESTABLISHED socket with
# half a hello. Each case is first run with blockd stopped (nginx answers the same hello), then
# with blockd running: the client is reset and no socket for it is left on the server. IPv4, IPv6.
set -u
. tests/lib/netns.sh

tb_setup
tb_start_nginx
tb_blockd_conf
tb_list "suffix blocked.example CL-2026-000123"

fails=0
fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}

big() {
	tb_client python3 tests/lib/tls_two_segments.py "$1" "$2" 2>&1
}

# established PORT: the server holds an ESTABLISHED connection from the client's port PORT.
established() {
	tb_server ss -Htn state established "( sport = :443 and dport = :$1 )" | grep -q .
}

# Control: without blockd, nginx takes the big hello and answers it.
for addr in "$TB_SERVER4" "$TB_SERVER6"; do
	set -- $(big "$addr" www.blocked.example)
	[ "${1:-}" = handshake ] && echo "PASS control: nginx answers the two-segment hello via $addr" ||
		fail "control via $addr: nginx did not answer the two-segment hello: $*"
done

tb_start_blockd
for addr in "$TB_SERVER4" "$TB_SERVER6"; do
	for i in 1 2 3; do
		set -- $(big "$addr" www.blocked.example)
		if [ "${1:-}" != reset ] || [ -z "${2:-}" ]; then
			fail "blocked two-segment hello via $addr (try $i): $*"
			continue
		fi
		port=$2
		if tb_wait_for -t 2 sh -c "! ip netns exec $TB_NS_SERVER ss -Htn state established \
			'( sport = :443 and dport = :$port )' | grep -q ."; then
			echo "PASS reset via $addr (try $i): client reset, no socket left on the server"
		else
			fail "via $addr (try $i): the server still holds an ESTABLISHED socket for port $port"
		fi
	done
	set -- $(big "$addr" allowed.example)
	[ "${1:-}" = handshake ] && echo "PASS allowed two-segment hello via $addr" ||
		fail "allowed two-segment hello via $addr: $*"
done

log="$TB_DIR/enforcement.jsonl"
tb_wait_for sh -c "[ \$(grep -c '\"method\":\"tls\".*\"action\":\"reset\"' '$log') -ge 6 ]" ||
	fail "TLS reset events missing from the log: $(grep -c '"method":"tls"' "$log")"

[ "$fails" -eq 0 ] || exit 1
echo "t_tls_reset_lands: all passed"
