#!/bin/sh
# QUIC on UDP 443: client Initials (v1, protected as RFC 9001 says) for blocked names are dropped,
# and so is the rest of their flow; allowed names pass; a ClientHello spread over two Initials is
# still caught, and so is one whose CRYPTO bytes are repeated naming an allowed name; IPv4 and
# IPv6; each drop is in the enforcement log under its order.
set -u
. tests/lib/netns.sh

tb_setup
tb_spawn echo "$TB_NS_SERVER" python3 tests/lib/udp_echo.py 443
tb_wait_for grep -q listening "$TB_DIR/echo.log" || tb_fail "UDP echo did not start"
tb_blockd_conf
tb_list "suffix blocked.example CL-2026-000123" "domain exact.test CL-2026-000456"
tb_start_blockd

fails=0
fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}

# quic ADDR NAME MODE WANT: the echo's fate for each datagram is WANT.
quic() {
	out=$(tb_client python3 tests/lib/quic_initial.py "$1" "$2" "$3" 2>&1)
	if [ "$out" = "$4" ]; then
		echo "PASS quic $*"
	else
		fail "quic $1 $2 $3: got '$out', want '$4'"
	fi
}

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

# Eight Initials that cannot be opened, then the hello: still within the flow's byte budget, so
# the hello is judged. Sixty of them in a burst spend the budget first: the flow is decided
# without a name by unjudged (pass, by default), counted and logged.
for addr in "$TB_SERVER4" "$TB_SERVER6"; do
	quic "$addr" blocked.example late "passed passed passed passed passed passed passed passed dropped"
	quic "$addr" blocked.example past "passed passed"
done
n=$("${BLOCKCTL:-build/blockctl}" -s "$TB_DIR/control.sock" stats |
	awk '$1 ~ /quic_unfinished$/ { s += $2 } END { print s + 0 }')
[ "$n" -eq 2 ] && echo "PASS quic_unfinished counted ($n)" || fail "quic_unfinished is $n, want 2"

# The repeated, disagreeing CRYPTO bytes are counted.
n=$("${BLOCKCTL:-build/blockctl}" -s "$TB_DIR/control.sock" stats |
	awk '$1 ~ /quic_evasive$/ { s += $2 } END { print s + 0 }')
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

# Under unjudged = block the datagram that spends the budget blocks the flow, and the hello
# behind it never reaches the server. (Datagrams before it pass while the flow is undecided, so
# an echo of one may come back: what counts is the server's log, where the hello alone is 1306
# bytes long.) In flood, the worker is held (SIGSTOP) once the flow has begun, and 120 more
# Initials go past the bytes the rules queue: past them the undecided flow is still queued
# (marked late), not let through, so once blockd reads on the hello is dropped with its flow.
tb_stop_blockd
tb_blockd_conf flows.unjudged=block
tb_start_blockd
: >"$TB_DIR/echo.log"
for addr in "$TB_SERVER4" "$TB_SERVER6"; do
	out=$(tb_client python3 tests/lib/quic_initial.py "$addr" blocked.example past 2>&1)
	echo "quic $addr blocked.example past: $out"
	out=$(tb_client python3 tests/lib/quic_initial.py "$addr" blocked.example flood \
		"$(tb_pid blockd)" 2>&1)
	kill -CONT "$(tb_pid blockd)"
	echo "quic $addr blocked.example flood: $out"
	quic "$addr" allowed.example whole "passed passed"
done
sleep 1
n=$(grep -c "^got 1306$" "$TB_DIR/echo.log")
[ "$n" -eq 0 ] && echo "PASS no hello behind a spent budget reached the server" ||
	fail "$n hellos behind a spent budget reached the server while their flows were undecided"
n=$("${BLOCKCTL:-build/blockctl}" -s "$TB_DIR/control.sock" stats |
	awk '$1 ~ /flows_late_packets$/ { s += $2 } END { print s + 0 }')
[ "$n" -gt 0 ] && echo "PASS late packets judged ($n)" || fail "flows_late_packets is $n, want > 0"

[ "$fails" -eq 0 ] || exit 1
echo "t_quic_block: all passed"
