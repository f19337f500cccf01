#!/bin/sh
# The shipped alerts on a real Prometheus scraping blockd: a list that expires within days makes
# BlockdListExpiresSoon pending, a refused list fires BlockdListRefused, a healthy blockd fires
# nothing else. States are read from Prometheus's HTTP API, polled until they hold.
set -u
. tests/lib/netns.sh

command -v prometheus >/dev/null || tb_fail "prometheus is not installed (sh tests/lib/deps.sh)"
tb_setup
tb_start_unbound
tb_blockd_conf metrics.listen=127.0.0.1:9153
# Control: a list for 30 days raises no alert.
tb_list "suffix blocked.example CL-2026-000900"
tb_start_blockd

mkdir -p "$TB_DIR/prom"
cat >"$TB_DIR/prometheus.yml" <<EOP
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $(pwd)/packaging/blockd-alerts.yml
scrape_configs:
  - job_name: blockd
    static_configs:
      - targets: ['127.0.0.1:9153']
  - job_name: prometheus
    static_configs:
      - targets: ['127.0.0.1:9090']
EOP
promtool check config "$TB_DIR/prometheus.yml" >/dev/null || tb_fail "prometheus.yml does not check"
tb_spawn prometheus "$TB_NS_APPL" prometheus --config.file="$TB_DIR/prometheus.yml" \
	--storage.tsdb.path="$TB_DIR/prom" --web.listen-address=127.0.0.1:9090 \
	--storage.tsdb.retention.time=1h

api() {
	tb_appliance curl -s --max-time 2 "http://127.0.0.1:9090/api/v1/$1"
}
# query EXPR: the value of the first sample of instant query EXPR, or nothing.
query() {
	api "query?query=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$1")" |
		python3 -c 'import json, sys; r = json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")'
}
# alert_state NAME: pending, firing, or nothing while the alert is inactive.
alert_state() {
	api alerts | python3 -c '
import json, sys
for a in json.load(sys.stdin)["data"]["alerts"]:
    if a["labels"]["alertname"] == sys.argv[1]:
        print(a["state"])
        break' "$1"
}
alert_is() {
	_s=$(alert_state "$1")
	case " $2 " in *" $_s "*) [ -n "$_s" ] ;; *) return 1 ;; esac
}
scraped() { [ "$(query 'up{job="blockd"}')" = 1 ] && [ "$(query blockd_list_serial)" = "$1" ]; }
rules_loaded() { [ "$(api rules | grep -o '"name":"Blockd[A-Za-z]*"' | wc -l)" -ge 6 ]; }

tb_wait_for -t 30 rules_loaded || tb_fail "prometheus did not load the alert rules"
tb_wait_for -t 30 scraped 1 || tb_fail "prometheus does not scrape blockd (up, blockd_list_serial 1)"
# Two evaluations after a scrape: nothing is pending or firing for a healthy appliance.
ev() { query 'sum(prometheus_rule_group_iterations_total)'; }
evaluated_since() { _e=$(ev); [ "${_e:-0}" -ge $(($1 + 2)) ] 2>/dev/null; }
tb_wait_for -t 20 evaluated_since 0 || tb_fail "prometheus does not scrape itself"
e0=$(ev)
tb_wait_for -t 20 evaluated_since "$e0" || tb_fail "rules are not evaluated"
active=$(api alerts | grep -o '"alertname":"[A-Za-z]*"' || true)
[ -z "$active" ] || tb_fail "alerts active on a healthy appliance: $active"
echo "PASS control: scraped, rules loaded, no alert"

# A list that expires tomorrow: BlockdListExpiresSoon goes pending (for: 10m).
TB_LIFE="-d 1" tb_list "suffix blocked.example CL-2026-000900"
build/blockctl -s "$TB_DIR/control.sock" reload >/dev/null || tb_fail "reload of the 1-day list"
tb_wait_for -t 30 scraped 2 || tb_fail "serial 2 not scraped"
tb_wait_for -t 30 alert_is BlockdListExpiresSoon "pending firing" ||
	tb_fail "BlockdListExpiresSoon not pending: $(api alerts)"
echo "PASS list near expiry: BlockdListExpiresSoon $(alert_state BlockdListExpiresSoon)"

# A refused list (its signature does not match): BlockdListRefused fires.
echo "suffix tampered.example" >>"$TB_DIR/rules/blocklist"
build/blockctl -s "$TB_DIR/control.sock" reload >/dev/null && tb_fail "a tampered list was accepted"
tb_wait_for -t 30 alert_is BlockdListRefused firing || tb_fail "BlockdListRefused not firing: $(api alerts)"
[ "$(query 'blockd_reloads_total{result="refused"}')" -ge 1 ] || tb_fail "refused reloads not counted"
echo "PASS list refused: BlockdListRefused firing"
for a in BlockdFailingOpen BlockdNoList BlockdQueueOverrun BlockdLogEventsDropped; do
	[ -z "$(alert_state $a)" ] || tb_fail "$a is $(alert_state $a) on a working appliance"
done
echo "t_ops_alerts: all passed"
