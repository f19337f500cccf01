#!/bin/sh
# Staged address entries: a new ip entry is observed before it is enforced. One web address serves
# twenty unrelated sites and is held for them (its unlisted names listed in blockctl collateral,
# the log and the report); another serves only the blocked service and is enforced after the
# window; an order that says "shared yes" enforces the shared one.
set -u
. tests/lib/netns.sh

SHARED=198.51.100.90
DEDICATED=198.51.100.91
tb_setup
for _a in $SHARED/24 $DEDICATED/24; do
	ip -n "$TB_NS_SERVER" addr add "$_a" dev s0
done
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=test bed" \
	-addext "subjectAltName=DNS:*.example,DNS:*.test" \
	-keyout "$TB_DIR/nginx.key" -out "$TB_DIR/nginx.crt" >/dev/null 2>&1 ||
	tb_fail "openssl could not make the certificate"
mkdir -p "$TB_DIR/nginx"
# Every name on both addresses: the page says which host served it.
cat >"$TB_DIR/nginx.conf" <<EON
daemon off;
master_process off;
worker_processes 1;
pid $TB_DIR/nginx.pid;
error_log $TB_DIR/nginx-error.log;
events { worker_connections 256; }
http {
	access_log off;
	client_body_temp_path $TB_DIR/nginx/body;
	proxy_temp_path $TB_DIR/nginx/proxy;
	fastcgi_temp_path $TB_DIR/nginx/fastcgi;
	uwsgi_temp_path $TB_DIR/nginx/uwsgi;
	scgi_temp_path $TB_DIR/nginx/scgi;
	default_type text/plain;
	server {
		listen $SHARED:443 ssl;
		listen $DEDICATED:443 ssl;
		ssl_certificate $TB_DIR/nginx.crt;
		ssl_certificate_key $TB_DIR/nginx.key;
		location / { return 200 "served \$host\n"; }
	}
}
EON
tb_spawn nginx "$TB_NS_SERVER" nginx -c "$TB_DIR/nginx.conf" -p "$TB_DIR/nginx"
tb_wait_for tb_server curl -sk --max-time 1 "https://$SHARED/" ||
	tb_fail "nginx does not answer (see $TB_DIR/nginx-error.log)"

fails=0
fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}
# get NAME ADDRESS: an HTTPS request for NAME to ADDRESS from the client; prints the page.
get() {
	tb_client curl -sk --max-time 3 --resolve "$1:443:$2" "https://$1/"
}
ctl() { "${BLOCKCTL:-build/blockctl}" -s "$TB_DIR/control.sock" "$@"; }
refused() { ! get "$1" "$2" >/dev/null; }

tb_blockd_conf safeguards.observe=6s safeguards.collateral_max=3 metrics.listen=127.0.0.1:9153
tb_list "ip $SHARED CL-2026-000301" "domain listed.example CL-2026-000301" \
	"ip $DEDICATED CL-2026-000302"
tb_start_blockd
tb_wait_for grep -q "ip sets (start): serial 1" "$TB_DIR/blockd.log" || tb_fail "no IP set load"

# During the window both addresses answer; each flow the workers read is an observe event.
out=$(ctl collateral)
echo "$out" | grep -q "ip $SHARED/32 of order CL-2026-000301 .*: observing" ||
	fail "collateral does not show the shared address observed: $out"
names=""
for i in 01 02 03 04 05 06 07 08 09 10 11 12 13 14 15 16 17 18 19 20; do
	names="$names www.shop$i.example"
done
for n in $names; do
	[ "$(get "$n" $SHARED)" = "served $n" ] || fail "$n on $SHARED during observation"
done
[ "$(get pirate.test $DEDICATED)" = "served pirate.test" ] ||
	fail "pirate.test on $DEDICATED during observation"
get listed.example $SHARED >/dev/null && fail "a listed name passed: the name still blocks"
tb_wait_for grep -q '"indicator":"www.shop07.example".*"action":"observe"' \
	"$TB_DIR/enforcement.jsonl" || fail "no observe event for a flow to $SHARED"
echo "PASS observed: both addresses answer, flows logged as observe"

# The window ends: the shared address is held, the dedicated one enforced.
tb_wait_for -t 15 grep -q '"state":"held"' "$TB_DIR/enforcement.jsonl" ||
	tb_fail "no held record"
grep '"state":"held"' "$TB_DIR/enforcement.jsonl" | grep -q "$SHARED/32 CL-2026-000301: 20 registrable domains the list does not name" ||
	fail "the held record does not name the unlisted domains: $(grep held "$TB_DIR/enforcement.jsonl")"
tb_wait_for grep -q "\"state\":\"observed\".*$DEDICATED/32" "$TB_DIR/enforcement.jsonl" ||
	fail "no observed record for $DEDICATED"
tb_wait_for refused pirate.test $DEDICATED || fail "$DEDICATED still answers after its window"
[ "$(get www.shop03.example $SHARED)" = "served www.shop03.example" ] ||
	fail "the held address is blocked"
echo "PASS decided: $SHARED held, $DEDICATED enforced"

out=$(ctl collateral $SHARED)
echo "$out" | grep -q ": held: not enforced, 20 unlisted registrable domains (limit 3)" ||
	fail "collateral $SHARED: $out"
echo "$out" | grep -q "unlisted names: 20: www.shop" || fail "no unlisted names: $out"
echo "$out" | grep -q "listed names: 1: listed.example (1)" || fail "no listed names: $out"
echo "$out" | grep -q "subscribers 1" || fail "subscribers: $out"
out=$(ctl -j collateral $DEDICATED)
echo "$out" | grep -q '"decision":"enforced"' || fail "collateral -j $DEDICATED: $out"
echo "$out" | grep -q '"unlisted":\[{"name":"pirate.test","flows":1}\]' ||
	fail "collateral -j $DEDICATED names: $out"
ctl collateral 203.0.113.1 >/dev/null && fail "collateral of an unknown entry exits 0"
ctl status | grep -q "0 under observation, 1 held" || fail "status: $(ctl status)"
ctl -j status | grep -q '"collateral":{"observing":0,"held":1}' || fail "status -j"
m=$(tb_appliance curl -s --max-time 2 http://127.0.0.1:9153/metrics)
echo "$m" | grep -q 'blockd_collateral_entries{state="held"} 1' || fail "metrics: held"
echo "$m" | grep -q 'blockd_observed_total [1-9]' || fail "metrics: observed"
echo "PASS blockctl collateral, status and metrics"

# The regulator's order says the address is shared: it is enforced at the reload.
TB_SHARED=CL-2026-000301 tb_list "ip $SHARED CL-2026-000301" \
	"domain listed.example CL-2026-000301" "ip $DEDICATED CL-2026-000302"
kill -HUP "$(tb_pid blockd)"
tb_wait_for grep -q "ip sets (reload): serial 2" "$TB_DIR/blockd.log" || tb_fail "no reload"
tb_wait_for refused www.shop03.example $SHARED || fail "$SHARED answers with shared yes"
refused pirate.test $DEDICATED || fail "$DEDICATED answers after the reload"
grep -q "\"state\":\"observed\".*its order says shared yes" "$TB_DIR/enforcement.jsonl" ||
	fail "no record of the shared order's entry enforced"
echo "PASS shared yes enforces the shared address"

tb_stop_blockd
"${BLOCKCTL:-build/blockctl}" -f "$TB_DIR/blockd.conf" log verify >"$TB_DIR/verify.out" 2>&1 ||
	fail "log verify: $(cat "$TB_DIR/verify.out")"
day=$(date -u +%Y-%m-%d)
next=$(date -u -d '+1 day' +%Y-%m-%d)
rep=$("${BLOCKCTL:-build/blockctl}" -f "$TB_DIR/blockd.conf" report --from "$day" --to "$next")
echo "$rep" | grep -q "^held,.*$SHARED/32 CL-2026-000301: 20 registrable domains" ||
	fail "the report does not list the held entry: $rep"
echo "$rep" | grep -q "^enforced,.*$DEDICATED/32" || fail "the report: $DEDICATED"
echo "$rep" | grep -q "^observed,,,2[0-9] flows" || fail "the report's observe count: $rep"
echo "PASS log verify and report"

[ $fails -eq 0 ] || tb_fail "$fails checks failed"
echo "t_collateral: all passed"
