#!/bin/sh
# TLS with no_sni = block: a ClientHello without server_name is reset, one with an allowed name
# still connects; IPv4 and IPv6.
set -u
. tests/lib/netns.sh

tb_setup
tb_start_nginx
tb_blockd_conf tls.no_sni=block
tb_list "suffix blocked.example CL-2026-000123"
tb_start_blockd

fails=0
fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}

for addr in "$TB_SERVER4" "$TB_SERVER6"; do
	for mode in whole at2 records; do
		out=$(tb_client python3 tests/lib/tls_split.py "$addr" - $mode 2>&1)
		[ "$out" = reset ] || fail "no SNI $mode via $addr: $out"
		out=$(tb_client python3 tests/lib/tls_split.py "$addr" allowed.example $mode 2>&1)
		[ "$out" = handshake ] || fail "allowed $mode via $addr: $out"
		echo "PASS no SNI $mode $addr"
	done
done

[ "$fails" -eq 0 ] || exit 1
echo "t_tls_nosni: all passed"
