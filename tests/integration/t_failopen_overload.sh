#!/bin/sh
# A queue that fills up (blockd stopped with SIGSTOP, queue_maxlen 64): failure=open passes the
# excess unjudged, failure=closed drops it and the kernel's drop counter is logged.
set -u
. tests/lib/netns.sh

tb_setup
tb_start_unbound
tb_list "suffix blocked.example CL-2026-000123"
for i in $(seq 1 300); do echo "allowed.example A"; done >"$TB_DIR/q.txt"

# completed: how many of 300 queries (one socket, 20 in flight) got any answer within 1 s.
completed() {
	tb_client dnsperf -s "$TB_RESOLVER4" -d "$TB_DIR/q.txt" -n 1 -c 1 -q 20 -t 1 2>&1 |
		awk '/Queries completed/ { print $3 }'
}

tb_blockd_conf netfilter.failure=open netfilter.queue_maxlen=64 netfilter.queues=1
tb_start_blockd
kill -STOP "$(tb_pid blockd)"
n=$(completed)
tb_wait_for tb_appliance awk '$3 >= 64 { found = 1 } END { exit !found }' \
	/proc/net/netfilter/nfnetlink_queue || tb_fail "queue never filled"
kill -CONT "$(tb_pid blockd)"
[ "${n:-0}" -ge 200 ] || tb_fail "fail-open: only ${n:-0} of 300 answered with a full queue"
echo "PASS fail-open: $n of 300 answered while blockd was stopped"
tb_stop_blockd TERM

tb_blockd_conf netfilter.failure=closed netfilter.queue_maxlen=64 netfilter.queues=1
tb_start_blockd
kill -STOP "$(tb_pid blockd)"
n=$(completed)
kill -CONT "$(tb_pid blockd)"
[ "${n:-0}" -le 64 ] || tb_fail "fail-closed: $n of 300 answered with a full queue"
tb_wait_for grep -q "the kernel dropped [1-9][0-9]* packets (queue full)" "$TB_DIR/blockd.log" ||
	tb_fail "fail-closed: kernel drops not logged"
echo "PASS fail-closed: $n of 300 answered, drops logged"
tb_stop_blockd TERM
echo "t_failopen_overload: all passed"
