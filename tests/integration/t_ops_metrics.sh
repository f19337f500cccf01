#!/bin/sh
# Prometheus metrics on a loopback address of the appliance: counters move with real traffic.
set -u
. tests/lib/netns.sh

tb_setup
tb_start_unbound
tb_blockd_conf metrics.listen=127.0.0.1:9153
tb_list "suffix blocked.example CL-2026-000900"
tb_start_blockd

metric() {
	tb_appliance curl -s --max-time 2 http://127.0.0.1:9153/metrics |
		awk -v m="$1" '$1 == m { print $2 }'
}
tb_wait_for test -n "$(metric blockd_list_serial)" || tb_fail "no metrics served"
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
tb_wait_for test "$(metric 'blockd_log_records_written_total')" -ge 4 ||
	tb_fail "log records written did not reach 4"
exp=$(metric blockd_list_expiry_timestamp_seconds)
[ "$exp" -gt "$(date +%s)" ] || tb_fail "list expiry $exp is not in the future"
# Only GET is served.
code=$(tb_appliance curl -s -o /dev/null -w '%{http_code}' -X POST http://127.0.0.1:9153/)
[ "$code" = 405 ] || tb_fail "POST answered $code, not 405"
echo "PASS metrics"
