#!/bin/sh
# Resource exhaustion: one client holding more HTTP connections than a worker has stream buffers
# cannot make later blocked requests pass. Each worker here has 64 buffers (one queue, [flows]
# streams = 64) and a client may hold 25% of them (client_share). Each case runs first as a
# control with blockd stopped (nginx serves the blocked name), then with blockd running.
#  1. 150 idle keep-alive connections (a buffer each, before): a blocked request is still
#     answered with the 451 notice, since idle connections give their buffers back. IPv4, IPv6.
#  2. 80 connections with half a request head each from one address: it holds its share (16),
#     so a blocked request from another address still finds a buffer and is blocked.
#  3. The same with client_share = 100: the pool is exhausted, so failure decides: open passes
#     the request unjudged, closed resets it; each counted, logged with reason no_buffer, and
#     shown by blockctl report as an "exhausted" coverage gap.
set -u
. tests/lib/netns.sh

tb_setup
tb_start_nginx
tb_list "suffix blocked.example CL-2026-000123"
CLIENT4B=192.0.2.11
tb_client ip addr add "$CLIENT4B/24" dev c0

fails=0
fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}

# get ADDR [SOURCE]: curl's answer to GET http://www.blocked.example/x through ADDR.
get() {
	case $1 in *:*) _a="[$1]" ;; *) _a=$1 ;; esac
	tb_client curl -s --max-time 5 ${2:+--interface "$2"} \
		--resolve "www.blocked.example:80:$_a" "http://www.blocked.example/x" 2>&1
	echo "exit $?"
}

# hold NAME ADDR N MODE [SOURCE]: connections held by tests/lib/http_hold.py, once all are set up.
hold() {
	tb_spawn "$1" "$TB_NS_CLIENT" python3 tests/lib/http_hold.py "$2" "$3" "$4" ${5:-}
	tb_wait_for -t 30 grep -q "^ready $3" "$TB_DIR/$1.log" ||
		tb_fail "$1: connections not set up: $(cat "$TB_DIR/$1.log")"
}

unhold() {
	kill "$(tb_pid "$1")" 2>/dev/null
}


start() {
	tb_blockd_conf netfilter.queues=1 flows.streams=64 "$@"
	tb_start_blockd
}

# Controls: without blockd, nginx serves the blocked name beside the held connections.
for addr in "$TB_SERVER4" "$TB_SERVER6"; do
	hold idle "$addr" 150 idle
	case $(get "$addr") in
	*"served www.blocked.example/x"*) echo "PASS control: nginx serves it beside 150 idle, $addr" ;;
	*) fail "control beside 150 idle connections, $addr: $(get "$addr")" ;;
	esac
	unhold idle
done
hold half "$TB_SERVER4" 80 half
case $(get "$TB_SERVER4" "$CLIENT4B") in
*"served www.blocked.example/x"*) echo "PASS control: nginx serves it beside 80 half requests" ;;
*) fail "control beside 80 half requests: $(get "$TB_SERVER4" "$CLIENT4B")" ;;
esac
unhold half

# 1. Idle keep-alive connections hold no buffer.
start
for addr in "$TB_SERVER4" "$TB_SERVER6"; do
	hold idle "$addr" 150 idle
	out=$(get "$addr")
	case $out in
	*"451"* | *"Unavailable For Legal Reasons"* | *"CL-2026-000123"*)
		echo "PASS blocked request beside 150 idle connections gets the notice, $addr" ;;
	*) fail "blocked request beside 150 idle connections, $addr: $out" ;;
	esac
	unhold idle
done
n=$(tb_stat streams_returned)
[ "$n" -ge 300 ] && echo "PASS buffers given back between requests ($n)" ||
	fail "streams_returned is $n, want at least 300"

# 2. One address holds its share at most; another still finds a buffer.
hold half "$TB_SERVER4" 80 half
out=$(get "$TB_SERVER4" "$CLIENT4B")
case $out in
*"CL-2026-000123"*) echo "PASS blocked request from another address beside 80 half requests" ;;
*) fail "blocked request from another address beside 80 half requests: $out" ;;
esac
n=$(tb_stat client_share_exceeded)
[ "$n" -ge 60 ] && echo "PASS client over its share counted ($n)" ||
	fail "client_share_exceeded is $n, want at least 60"
unhold half
tb_stop_blockd

# 3. No share: the pool runs out and failure decides, logged as a coverage gap.
for failure in open closed; do
	start flows.client_share=100 netfilter.failure=$failure
	hold half "$TB_SERVER4" 80 half
	out=$(get "$TB_SERVER4" "$CLIENT4B")
	if [ $failure = open ]; then
		case $out in
		*"served www.blocked.example/x"*) echo "PASS failure = open: exhausted, passed unjudged" ;;
		*) fail "failure = open, exhausted: $out" ;;
		esac
	else
		case $out in
		*"served"* | *"CL-2026-000123"*) fail "failure = closed, exhausted: $out" ;;
		*) echo "PASS failure = closed: exhausted, reset" ;;
		esac
	fi
	n=$(tb_stat unjudged_no_buffer)
	[ "$n" -ge 1 ] && echo "PASS unjudged_no_buffer counted ($n), failure = $failure" ||
		fail "unjudged_no_buffer is $n, failure = $failure"
	unhold half
	tb_stop_blockd
done
log="$TB_DIR/enforcement.jsonl"
grep -q '"action":"unjudged_pass","reason":"no_buffer"' "$log" ||
	fail "no unjudged_pass event with reason no_buffer in the log"
grep -q '"action":"unjudged_block","reason":"no_buffer"' "$log" ||
	fail "no unjudged_block event with reason no_buffer in the log"
day=$(date -u +%Y-%m-%d)
rep=$("${BLOCKCTL:-build/blockctl}" -f "$TB_DIR/blockd.conf" report --from "$day" \
	--to "$(date -u -d tomorrow +%Y-%m-%d)" --format csv "$log" 2>&1)
echo "$rep" | grep -q '^exhausted,' && echo "PASS report shows the exhausted period" ||
	fail "report shows no exhausted period: $rep"
echo "$rep" | grep -q "^$day,http,no_buffer,[1-9][0-9]*,[1-9]" &&
	echo "PASS report counts unjudged decisions per day and reason" ||
	fail "report has no unjudged row for http no_buffer: $rep"

[ "$fails" -eq 0 ] || exit 1
echo "t_flow_shares: all passed"
