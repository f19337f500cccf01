#!/bin/sh
# Prometheus metrics on a loopback address of the appliance: counters move with real traffic.
set -u
. tests/lib/netns.sh

tb_setup
tb_start_unbound
tb_start_nginx
tb_blockd_conf metrics.listen=127.0.0.1:9153 flows.max=4096
tb_list "suffix blocked.example CL-2026-000900"
tb_start_blockd

metric() {
	tb_appliance curl -s --max-time 2 http://127.0.0.1:9153/metrics |
		awk -v m="$1" '$1 == m { print $2 }'
}
# metric_is NAME TEST VALUE: NAME's value passes test(1)'s TEST against VALUE (read on each try).
metric_is() {
	_v=$(metric "$1")
	[ -n "$_v" ] && [ "$_v" "$2" "$3" ]
}
tb_wait_for metric_is blockd_list_serial -ge 0 || tb_fail "no metrics served"
[ "$(metric blockd_list_serial)" = 1 ] || tb_fail "list serial is not 1"
[ "$(metric 'blockd_blocked_total{method="dns"}')" = 0 ] || tb_fail "blocked before any query"

for i in 1 2 3; do
	tb_client dig +time=2 +tries=1 @"$TB_RESOLVER4" "n$i.blocked.example" A | grep -q NXDOMAIN ||
		tb_fail "query $i not blocked"
done
tb_client dig +time=2 +tries=1 +short @"$TB_RESOLVER4" allowed.example A | grep -q . ||
	tb_fail "allowed name not answered"

[ "$(metric 'blockd_blocked_total{method="dns"}')" = 3 ] || tb_fail "blocked DNS counter is not 3"
[ "$(metric 'blockd_passed_total{method="dns"}')" = 1 ] || tb_fail "passed DNS counter is not 1"
tb_wait_for metric_is blockd_log_records_written_total -ge 4 ||
	tb_fail "log records written did not reach 4"
exp=$(metric blockd_list_expiry_timestamp_seconds)
[ "$exp" -gt "$(date +%s)" ] || tb_fail "list expiry $exp is not in the future"

# metric_each NAME: the values of NAME{queue="..."}, one per line.
metric_each() {
	tb_appliance curl -s --max-time 2 http://127.0.0.1:9153/metrics |
		awk -v m="$1{queue=" 'index($1, m) == 1 { print $2 }'
}
caps=$(metric_each blockd_flow_capacity | sort -u)
[ "$caps" = 4096 ] || tb_fail "flow capacity per queue is not 4096: $caps"
flows_are() { [ "$(metric_each blockd_flows | awk '{ s += $1 } END { print s + 0 }')" = "$1" ]; }
# A client that sends the first bytes of a hello and waits holds a flow and a stream buffer.
tb_spawn halfhello "$TB_NS_CLIENT" python3 tests/lib/tls_half_hello.py "$TB_SERVER4"
tb_wait_for flows_are 1 || tb_fail "a held TLS flow is not in blockd_flows"
tb_wait_for metric_is blockd_flow_streams_in_use -ge 1 ||
	tb_fail "a held TLS flow holds no stream buffer"
kill "$(tb_pid halfhello)"
# Its FIN clears the flow.
tb_wait_for flows_are 0 || tb_fail "flow still counted after the client closed"
metric_is blockd_flow_streams_in_use = 0 || tb_fail "stream buffer still in use"

# A client trickling its request a byte at a time is cut off: scrapes still get answers.
tb_spawn trickle "$TB_NS_APPL" python3 tests/lib/http_trickle.py
tb_wait_for grep -q connected "$TB_DIR/trickle.log" || tb_fail "trickling client did not connect"
for i in 1 2 3; do
	[ "$(metric blockd_list_serial)" = 1 ] || tb_fail "scrape $i not answered beside a trickling client"
done

# Only GET is served.
code=$(tb_appliance curl -s -o /dev/null -w '%{http_code}' -X POST http://127.0.0.1:9153/)
[ "$code" = 405 ] || tb_fail "POST answered $code, not 405"
echo "PASS metrics"
