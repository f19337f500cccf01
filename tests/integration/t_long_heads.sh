#!/bin/sh
# Hellos and request heads longer than a stream buffer: a ClientHello padded to 20 KB or 40 KB
# before its server_name, a request whose Host comes after 24 KB of other fields. Each is first
# sent with blockd stopped: nginx must take it and serve the blocked name, or the case proves
# nothing. Then with blockd: read whole within the flow's byte budget and blocked. A hello whose
# name lies past the budget is decided by unjudged (pass and block), counted and logged. IPv4
# and IPv6. (40 KB, not more: the budget counts IP packets whole, retransmissions too, so a hello
# read within it keeps a margin on a busy machine.)
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

# tls ADDR NAME MODES WANT: tls_split.py's lines for MODES are WANT.
tls() {
	out=$(tb_client python3 tests/lib/tls_split.py "$1" "$2" "$3" 2>&1 | tr '\n' ' ')
	[ "$out" = "$4 " ] && echo "PASS tls $*" || fail "tls $1 $2 $3: got '$out', want '$4'"
}
# http ADDR CASES WANT: http_raw.py's lines for CASES are WANT.
http() {
	_a=$1 _w=$3
	out=$(tb_client python3 tests/lib/http_raw.py "$_a" $2 2>&1 | tr '\n' ' ')
	[ "$out" = "$_w " ] && echo "PASS http $_a $2" || fail "http $_a $2: got '$out', want '$_w'"
}

for addr in "$TB_SERVER4" "$TB_SERVER6"; do
	tls "$addr" blocked.example pad20000,pad40000,pad64500 \
		"pad20000 handshake pad40000 handshake pad64500 handshake"
	http "$addr" "long longok" "long 200 blocked.example/x longok 200 allowed.example/x"
done
echo "PASS controls: nginx takes every case with blockd stopped"

tb_blockd_conf
tb_start_blockd
for addr in "$TB_SERVER4" "$TB_SERVER6"; do
	tls "$addr" blocked.example pad20000,pad40000 "pad20000 reset pad40000 reset"
	tls "$addr" allowed.example pad20000,pad40000 "pad20000 handshake pad40000 handshake"
	http "$addr" "long longok" "long 451 - longok 200 allowed.example/x"
	# Its name past the byte budget: unjudged = pass lets it through, counted.
	tls "$addr" blocked.example pad64500 "handshake"
done
n=$(tb_stat streams_grown)
[ "$n" -ge 10 ] && echo "PASS streams_grown counted ($n)" || fail "streams_grown is $n, want >= 10"
log="$TB_DIR/enforcement.jsonl"
tb_wait_for grep -q '"method":"tls".*"action":"unjudged_pass","reason":"queue_end"' "$log" &&
	echo "PASS unjudged TLS hello logged" || fail "no unjudged_pass event for the long hello"

tb_stop_blockd
tb_blockd_conf flows.unjudged=block
tb_start_blockd
for addr in "$TB_SERVER4" "$TB_SERVER6"; do
	tls "$addr" blocked.example pad64500 "reset"
	tls "$addr" allowed.example pad64500 "reset"
	tls "$addr" allowed.example pad20000 "handshake"
done
tb_wait_for grep -q '"method":"tls".*"action":"unjudged_block","reason":"queue_end"' "$log" &&
	echo "PASS unjudged_block logged" || fail "no unjudged_block event for the long hello"

[ "$fails" -eq 0 ] || exit 1
echo "t_long_heads: all passed"
