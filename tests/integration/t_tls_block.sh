#!/bin/sh
# TLS over TCP 443: curl and openssl s_client are reset for blocked names and reach nginx
# otherwise; ClientHellos split at byte 1, at byte 2, inside the name and over two records are
# still caught; IPv4 and IPv6; each reset is in the enforcement log under its order.
set -u
. tests/lib/netns.sh

tb_setup
tb_start_nginx
tb_blockd_conf
tb_list "suffix blocked.example CL-2026-000123" "domain exact.test CL-2026-000456"
tb_start_blockd

fails=0
fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}

# curl_https ADDR NAME: curl's output (nginx's page, or nothing) with its exit code appended.
curl_https() {
	case $1 in *:*) _a="[$1]" ;; *) _a=$1 ;; esac
	tb_client curl -sk --max-time 5 --resolve "$2:443:$_a" "https://$2/x" 2>&1
	echo "exit $?"
}

for addr in "$TB_SERVER4" "$TB_SERVER6"; do
	case $addr in *:*) hp="[$addr]:443" ;; *) hp="$addr:443" ;; esac
	for name in blocked.example www.blocked.example exact.test; do
		out=$(curl_https "$addr" $name)
		case $out in
		*"served"*) fail "curl $name via $addr reached nginx" ;;
		*"exit 0") fail "curl $name via $addr succeeded" ;;
		*"exit 28") fail "curl $name via $addr timed out: the reset did not reach it" ;;
		*) echo "PASS curl reset $name $addr" ;;
		esac
		out=$(tb_client openssl s_client -connect "$hp" -servername $name \
			</dev/null 2>&1)
		if echo "$out" | grep -q "BEGIN CERTIFICATE\|Server certificate"; then
			fail "openssl s_client $name via $addr got the certificate"
		else
			echo "PASS s_client reset $name $addr"
		fi
	done
	for name in allowed.example sub.exact.test; do
		out=$(curl_https "$addr" $name)
		case $out in
		*"served $name/x"*) echo "PASS curl allowed $name $addr" ;;
		*) fail "curl $name via $addr: $out" ;;
		esac
		out=$(tb_client openssl s_client -connect "$hp" -servername $name </dev/null 2>&1)
		echo "$out" | grep -q "Server certificate" || fail "openssl s_client $name via $addr"
	done
	for mode in whole at1 at2 insni records; do
		out=$(tb_client python3 tests/lib/tls_split.py "$addr" www.blocked.example $mode 2>&1)
		[ "$out" = reset ] || fail "split $mode blocked via $addr: $out"
		out=$(tb_client python3 tests/lib/tls_split.py "$addr" allowed.example $mode 2>&1)
		[ "$out" = handshake ] || fail "split $mode allowed via $addr: $out"
		echo "PASS split $mode $addr"
	done
	# No server_name: passed under the default no_sni = pass.
	out=$(tb_client python3 tests/lib/tls_split.py "$addr" - whole 2>&1)
	[ "$out" = handshake ] || fail "no SNI via $addr: $out"
done

# An allowed hello that offers TLS 1.3 waits for a second one until the server answers: the rules
# read that answer (a ServerHello, no HelloRetryRequest) and let the flow go, so the client's
# next records never reach blockd. Per flow: one wait handed to the rules, one let go by them.
w0=$(tb_stat tls_hello_waits) k0=$(tb_server_hellos) a0=$(tb_stat tls_after_hello)
for i in 1 2 3 4; do
	out=$(curl_https "$TB_SERVER4" allowed.example)
	case $out in *"served allowed.example/x"*) ;; *) fail "curl allowed.example, round $i: $out" ;; esac
done
w1=$(tb_stat tls_hello_waits) k1=$(tb_server_hellos) a1=$(tb_stat tls_after_hello)
[ $((w1 - w0)) -eq 4 ] || fail "hellos handed to the rules: $((w1 - w0)), want 4"
[ $((k1 - k0)) -eq 4 ] || fail "flows the rules let go at the ServerHello: $((k1 - k0)), want 4"
echo "PASS 4 allowed flows left to the rules at the ServerHello (client segments read after: $((a1 - a0)))"

log="$TB_DIR/enforcement.jsonl"
has_events() {
	[ "$(grep -c '"method":"tls".*"order":"CL-2026-000123".*"action":"reset"' "$log")" -ge "$1" ] &&
		grep -q '"method":"tls".*"order":"CL-2026-000456".*"action":"reset"' "$log"
}
# Per family: two names of CL-2026-000123 by curl and s_client, five split hellos.
tb_wait_for has_events 18 || fail "TLS reset events missing from the log: $(grep -c tls "$log")"
grep -q '"indicator":"www.blocked.example"' "$log" || fail "no event names www.blocked.example"
grep -q '"family":"v6"' "$log" || fail "no IPv6 TLS event"

[ "$fails" -eq 0 ] || exit 1
echo "t_tls_block: all passed"
