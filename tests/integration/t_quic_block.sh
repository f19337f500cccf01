#!/bin/sh
# QUIC on UDP 443: client Initials (v1, protected as RFC 9001 says) for blocked names are dropped,
# and so is the rest of their flow; allowed names pass; a ClientHello spread over two Initials is
# still caught, and so is one whose CRYPTO bytes are repeated naming an allowed name; each
# connection (DCID) is judged, not the address pair, and only client Initials decide (each case
# first run with blockd stopped); IPv4 and IPv6; each drop is in the enforcement log under its
# order.
set -u
. tests/lib/netns.sh

tb_setup
tb_spawn echo "$TB_NS_SERVER" python3 tests/lib/udp_echo.py 443
tb_wait_for grep -q listening "$TB_DIR/echo.log" || tb_fail "UDP echo did not start"
tb_blockd_conf
tb_list "suffix blocked.example CL-2026-000123" "domain exact.test CL-2026-000456"

fails=0
fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}

# quic ADDR NAME MODE WANT: the echo's fate for each datagram is WANT (a shell pattern).
quic() {
	# shellcheck disable=SC2086 # MODE may carry "real"
	out=$(tb_client python3 tests/lib/quic_initial.py "$1" "$2" $3 2>&1)
	case "$out" in
	$4) echo "PASS quic $*" ;;
	*) fail "quic $1 $2 $3: got '$out', want '$4'" ;;
	esac
}

# Controls, with blockd stopped: every datagram of each case reaches the server.
for addr in "$TB_SERVER4" "$TB_SERVER6"; do
	for mode in decoy handshake zerortt version short junk; do
		quic "$addr" blocked.example "$mode" "passed passed"
	done
	quic "$addr" blocked.example second "passed passed passed passed"
	quic "$addr" blocked.example resend "passed passed passed passed"
	quic "$addr" blocked.example spent "passed passed"
done

# The same cases against a real QUIC server (Caddy, HTTP/3): with blockd stopped it answers the
# last hello of each; with blockd running, that hello for a blocked name is dropped and it is
# silent. Then the echo again for the rest.
kill "$(tb_pid echo)"
wait "$(tb_pid echo)" 2>/dev/null
mkdir -p "$TB_DIR/caddy"
cat >"$TB_DIR/Caddyfile" <<EOF
{
	admin off
	skip_install_trust
	auto_https disable_redirects
	storage file_system $TB_DIR/caddy
}
https://blocked.example, https://allowed.example {
	tls internal
	respond "ok"
}
EOF
tb_spawn caddy "$TB_NS_SERVER" env HOME="$TB_DIR/caddy" XDG_DATA_HOME="$TB_DIR/caddy" \
    XDG_CONFIG_HOME="$TB_DIR/caddy" caddy run --config "$TB_DIR/Caddyfile" --adapter caddyfile
caddy_up() { ip netns exec "$TB_NS_SERVER" ss -Hlun 'sport = :443' | grep -q .; }
tb_wait_for caddy_up || tb_fail "Caddy did not listen on UDP 443"
real_cases() {
	for addr in "$TB_SERVER4" "$TB_SERVER6"; do
		for mode in whole decoy handshake zerortt version short junk second; do
			quic "$addr" blocked.example "$mode real" "$1"
		done
		quic "$addr" allowed.example "second real" answered
	done
}
real_cases answered
tb_start_blockd
real_cases silent
tb_stop_blockd
kill "$(tb_pid caddy)"
wait "$(tb_pid caddy)" 2>/dev/null
tb_spawn echo "$TB_NS_SERVER" python3 tests/lib/udp_echo.py 443
tb_wait_for grep -q listening "$TB_DIR/echo.log" || tb_fail "UDP echo did not start"

tb_start_blockd

for addr in "$TB_SERVER4" "$TB_SERVER6"; do
	quic "$addr" blocked.example whole "dropped dropped"
	quic "$addr" www.blocked.example whole "dropped dropped"
	quic "$addr" exact.test whole "dropped dropped"
	quic "$addr" www.blocked.example split "passed dropped"
	quic "$addr" allowed.example whole "passed passed"
	quic "$addr" sub.exact.test split "passed passed"
	# A burst of retransmissions, more than the rules queue: none gets through.
	quic "$addr" blocked.example many "dropped dropped"
	# CRYPTO bytes repeated with another name: the first copy's blocked name is judged.
	quic "$addr" blocked.example again "passed dropped"
done

# QUIC is judged per connection (its DCID): a decoy connection for an allowed name, even one
# that authenticates, does not decide the one after it on the same ports, nor does an allowed
# connection decide the next; datagrams that are no client Initial (Handshake, 0-RTT, another
# version, a short header, junk) pass and decide nothing. An allowed connection's retransmitted
# hello and its acknowledgements still pass.
for addr in "$TB_SERVER4" "$TB_SERVER6"; do
	for mode in decoy handshake zerortt version short junk; do
		quic "$addr" blocked.example "$mode" "passed dropped"
	done
	quic "$addr" blocked.example second "passed passed passed dropped"
	quic "$addr" allowed.example resend "passed passed passed passed"
	quic "$addr" blocked.example resend "dropped dropped dropped dropped"
done

# Initials that cannot be opened never decide, however many: eight or sixty of them, then the
# hello, which is judged. Sixty that open but leave a gap before their CRYPTO bytes spend the
# connection's byte budget: unjudged (pass, by default) decides it, counted and logged; the
# hello sent whole after them is still read, and dropped.
for addr in "$TB_SERVER4" "$TB_SERVER6"; do
	quic "$addr" blocked.example late "passed passed passed passed passed passed passed passed dropped"
	quic "$addr" blocked.example past "passed dropped"
	quic "$addr" blocked.example spent "passed dropped"
done
n=$(tb_stat quic_unfinished)
[ "$n" -eq 2 ] && echo "PASS quic_unfinished counted ($n)" || fail "quic_unfinished is $n, want 2"

# The repeated, disagreeing CRYPTO bytes are counted.
n=$(tb_stat quic_evasive)
[ "$n" -ge 2 ] && echo "PASS quic_evasive counted ($n)" || fail "quic_evasive is $n, want 2"

log="$TB_DIR/enforcement.jsonl"
has_events() {
	[ "$(grep -c '"method":"quic".*"order":"CL-2026-000123".*"action":"drop"' "$log")" -ge 8 ] &&
		[ "$(grep -c '"method":"quic".*"order":"CL-2026-000456".*"action":"drop"' "$log")" -ge 2 ]
}
tb_wait_for has_events || fail "QUIC drop events missing from the log: $(grep -c quic "$log")"
grep -q '"indicator":"www.blocked.example".*"family":"v6"' "$log" || fail "no IPv6 QUIC event"

tb_wait_for grep -q '"method":"quic".*"action":"unjudged_pass","reason":"queue_end"' "$log" &&
	echo "PASS unjudged QUIC flows logged" || fail "no unjudged_pass event for QUIC in the log"

# Under unjudged = block, Initials that cannot be opened still decide nothing; the connection
# whose budget is spent blocks the flow, and the hello behind it is dropped by the kernel because
# blockd marked the connection. (Datagrams before it pass while the flow is undecided, so an echo
# of one may come back: what counts is the server's log, where the hello alone is 1306 bytes
# long.) In flood, the worker is held (SIGSTOP) once the flow has begun, and 120 short headers go
# past the bytes the rules queue: past them the undecided flow is still queued (marked late), not
# let through, so once blockd reads on the hello is dropped with its flow.
tb_stop_blockd
tb_blockd_conf flows.unjudged=block
tb_start_blockd
: >"$TB_DIR/echo.log"
for addr in "$TB_SERVER4" "$TB_SERVER6"; do
	quic "$addr" blocked.example past "passed dropped"
	quic "$addr" blocked.example spent "* dropped"
	out=$(tb_client python3 tests/lib/quic_initial.py "$addr" blocked.example flood \
		"$(tb_pid blockd)" 2>&1)
	kill -CONT "$(tb_pid blockd)"
	echo "quic $addr blocked.example flood: $out"
	quic "$addr" allowed.example whole "passed passed"
	quic "$addr" allowed.example second "passed passed passed passed"
done
tb_wait_for grep -q '"method":"quic".*"action":"unjudged_block","reason":"queue_end"' "$log" &&
	echo "PASS unjudged QUIC connections blocked and logged" ||
	fail "no unjudged_block event for QUIC in the log"
# The allowed connections above were echoed after them, so the log holds every earlier datagram.
n=$(grep -c "^got 1306$" "$TB_DIR/echo.log")
[ "$n" -eq 0 ] && echo "PASS no hello behind a spent budget reached the server" ||
	fail "$n hellos behind a spent budget reached the server while their flows were undecided"
n=$(tb_stat flows_late_packets)
[ "$n" -gt 0 ] && echo "PASS late packets judged ($n)" || fail "flows_late_packets is $n, want > 0"

[ "$fails" -eq 0 ] || exit 1
echo "t_quic_block: all passed"
