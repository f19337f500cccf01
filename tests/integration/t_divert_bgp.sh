#!/bin/sh
# Diversion by BGP over two appliances (tests/lib/bgpbed.sh), IPv4 and IPv6 alike: only traffic to
# the addresses a listed name resolves to (A and AAAA) reaches them, spread over both by the core's
# ECMP; each judges it with the subscriber's side alone (the server answers through the core);
# stopping one moves its flows to the other, and with both gone the traffic flows directly
# (fail-open by routing).
set -u
. tests/lib/netns.sh
. tests/lib/bgpbed.sh

FLOWS=24

bg_setup
tb_start_nginx
tb_unbound_conf
# A listed name a sinkhole answers for: special-use addresses only, which are never diverted.
printf 'server:\n\tlocal-data: "sinkholed.example. 300 IN %s"\n' "A 127.0.0.1" "AAAA ::1" \
	"AAAA fe80::1" >>"$TB_DIR/unbound.conf"
tb_spawn unbound "$TB_NS_RESOLVER" unbound -d -c "$TB_DIR/unbound.conf"
tb_wait_for tb_client dig +time=1 +tries=1 @"$TB_RESOLVER4" blocked.example A ||
	tb_fail "unbound does not answer the subscriber"
tb_wait_for tb_client dig +time=1 +tries=1 @"$TB_RESOLVER6" blocked.example AAAA ||
	tb_fail "unbound does not answer the subscriber over IPv6"
# The second web server: nginx's config again, on its own address and directory.
mkdir -p "$TB_DIR/web2"
sed -e "s|$TB_DIR/|$TB_DIR/web2/|g" -e "s|$TB_SERVER4|$BG_WEB2|g" -e "s|\[$TB_SERVER6\]|[$BG_WEB2_6]|g" \
	-e "s|ssl_certificate $TB_DIR/web2/|ssl_certificate $TB_DIR/|" \
	-e "s|ssl_certificate_key $TB_DIR/web2/|ssl_certificate_key $TB_DIR/|" \
	"$TB_DIR/nginx.conf" >"$TB_DIR/web2/nginx.conf"
mkdir -p "$TB_DIR/web2/nginx"
tb_spawn web2 "$BG_NS_WEB2" nginx -c "$TB_DIR/web2/nginx.conf" -p "$TB_DIR/web2/nginx"

# https NAME ADDRESS: the page (or nothing) and curl's status, "served ..." or "exit N"; over
# IPv6 to an IPv6 address.
https() {
	case $2 in
	*:*) _a="-6 --resolve $1:443:[$2]" ;;
	*) _a="-4 --resolve $1:443:$2" ;;
	esac
	# shellcheck disable=SC2086
	_out=$(tb_client curl -sk --max-time 3 $_a "https://$1/" 2>/dev/null)
	_rc=$?
	[ $_rc -eq 0 ] && echo "$_out" || echo "exit $_rc"
}
served() { https "$1" "$2" | grep -q "^served $1/ by the test bed"; }
refused() { ! https "$1" "$2" | grep -q "^served"; }

# Each appliance counts what reaches it from web1 (replies) and what goes to web2, of either
# family, and what goes to web1 over IPv6, in a table of the test's own.
for n in 1 2; do
	tb_in "$(bg_ns $n)" nft -f - <<EON || tb_fail "appliance $n: test counters"
table inet bgtest {
	counter to_web2 {}
	counter from_web1 {}
	counter to_web1_6 {}
	chain pre {
		type filter hook prerouting priority -400; policy accept;
		ip daddr $BG_WEB2 counter name to_web2
		ip6 daddr $BG_WEB2_6 counter name to_web2
		ip saddr $TB_SERVER4 tcp sport 443 counter name from_web1
		ip6 saddr $TB_SERVER6 tcp sport 443 counter name from_web1
		ip6 daddr $TB_SERVER6 tcp dport 443 counter name to_web1_6
	}
}
EON
done
count() { tb_in "$(bg_ns "$1")" nft list counter inet bgtest "$2" | awk '/packets/ { print $2 }'; }
# both CMD ARG...: CMD ARG... ADDRESS for web1's IPv4 address, then for its IPv6 one.
both() {
	"$@" "$TB_SERVER4" && "$@" "$TB_SERVER6"
}
# paths_both N: the core's routes to web1, IPv4 and IPv6, each go through N appliances.
paths_both() { bg_paths_are "$TB_SERVER4" "$1" && bg_paths_are "$TB_SERVER6" "$1"; }

# Control: no appliance in the path yet, and the servers accept every request as crafted, over
# IPv4 and IPv6.
for a in "$TB_SERVER4" "$TB_SERVER6"; do
	tb_wait_for served blocked.example "$a" || tb_fail "control: web1 does not serve blocked.example at $a"
	served allowed.example "$a" || tb_fail "control: web1 does not serve allowed.example at $a"
	[ "$(bg_paths "$a")" = 0 ] || tb_fail "control: the core routes $a via an appliance already"
done
for a in "$BG_WEB2" "$BG_WEB2_6"; do
	tb_wait_for served allowed.test "$a" || tb_fail "control: web2 does not serve allowed.test at $a"
done

bg_start_core
for n in 1 2; do
	bg_start_bird $n
	bg_start_blockd $n
done
# The fleet report's period starts once both appliances enforce.
from=$(date -u -d '+1 second' +%Y-%m-%dT%H:%M:%SZ)
# blocked.example resolves to web1 (A and AAAA): both its addresses are diverted, through both
# appliances; so are the list's IPv6 address and prefix and the order's prefixes.
tb_wait_for -t 15 paths_both 2 ||
	tb_fail "the core has no route to web1 via both appliances: $(ip -n "$BG_NS_CORE" route; ip -n "$BG_NS_CORE" -6 route)"
for p in $BG_LIST6 $BG_ORDER4 $BG_ORDER6; do
	tb_wait_for bg_paths_are "$p" 2 || tb_fail "$p is not routed via both appliances"
done
for a in "$BG_WEB2" "$BG_WEB2_6"; do
	[ "$(bg_paths "$a")" = 0 ] || tb_fail "web2 ($a) is diverted, but no listed name is on it"
done
grep -q "^	route $TB_SERVER6/128 via \"blockd0\";" "$BG_ROOT/ap1/divert.bird" ||
	tb_fail "no IPv6 route in BIRD's include: $(cat "$BG_ROOT/ap1/divert.bird")"
d=$(bg_as 1 "${BLOCKCTL:-build/blockctl}" -s "$BG_ROOT/ap1/control.sock" divert)
echo "$d" | grep -q "^divert announced via blockd0" || tb_fail "blockctl divert: $d"
for l in "$TB_SERVER4/32 resolved" "$TB_SERVER6/128 resolved" "${BG_LIST6% *}/128 list" \
	"${BG_LIST6#* } list" "$BG_ORDER4 order" "$BG_ORDER6 order"; do
	echo "$d" | grep -qx "$l" || tb_fail "blockctl divert lists no \"$l\": $d"
done
# Appliance 1 resolves over IPv4, appliance 2 over IPv6: each has both of web1's addresses.
for n in 1 2; do
	j=$(bg_as $n "${BLOCKCTL:-build/blockctl}" -j -s "$BG_ROOT/ap$n/control.sock" divert)
	echo "$j" | python3 -c '
import json, sys
d = json.load(sys.stdin)
want = [(sys.argv[1] + "/32", "resolved"), (sys.argv[2] + "/128", "resolved"),
	(sys.argv[3] + "/128", "list"), (sys.argv[4], "list"), (sys.argv[5], "order")]
have = [(p["prefix"], p["source"]) for p in d["set"]]
assert d["announced"] and d["names"] == 2 and d["names_resolved"] == 1, d
assert d["unroutable"] == 3, d
assert all(w in have for w in want), (want, have)
assert not any(p.startswith(("127.", "::1/", "fe80:")) for p, _ in have), have
' "$TB_SERVER4" "$TB_SERVER6" "${BG_LIST6% *}" "${BG_LIST6#* }" "$BG_ORDER6" ||
		tb_fail "blockctl -j divert on appliance $n: $j"
done

# Every flow to web1 is judged by one appliance or the other, replies going straight back.
i=0
while [ $i -lt $FLOWS ]; do
	for a in "$TB_SERVER4" "$TB_SERVER6"; do
		refused blocked.example "$a" || tb_fail "flow $i: blocked.example served at $a through the appliances"
		served allowed.example "$a" || tb_fail "flow $i: allowed.example not served at $a: $(https allowed.example "$a")"
	done
	for a in "$BG_WEB2" "$BG_WEB2_6"; do
		served allowed.test "$a" || tb_fail "flow $i: web2 not served at $a"
	done
	i=$((i + 1))
done
h1=$(bg_stat 1 tls_hellos)
h2=$(bg_stat 2 tls_hellos)
b=$(($(bg_stat 1 tls_blocked) + $(bg_stat 2 tls_blocked)))
tb_log "hellos judged: appliance 1 $h1, appliance 2 $h2 (of $((4 * FLOWS))); $b blocked"
[ $((h1 + h2)) -ge $((4 * FLOWS)) ] || tb_fail "only $((h1 + h2)) of $((4 * FLOWS)) hellos judged"
[ "$b" -ge $((2 * FLOWS)) ] || tb_fail "only $b of $((2 * FLOWS)) blocked hellos reset"
[ "$h1" -gt 0 ] && [ "$h2" -gt 0 ] || tb_fail "the flows did not spread over both appliances"
for n in 1 2; do
	[ "$(count $n to_web1_6)" -gt 0 ] || tb_fail "no IPv6 flow to web1 went through appliance $n"
	[ "$(count $n to_web2)" = 0 ] || tb_fail "appliance $n saw $(count $n to_web2) packets to web2"
	[ "$(count $n from_web1)" = 0 ] || tb_fail "appliance $n saw web1's replies"
done

# One appliance stops: its routes of both families go within seconds, the other takes every flow.
bg_as 1 tb_stop_blockd
tb_wait_for -t 5 paths_both 1 || tb_fail "appliance 1 stopped but the core still routes via it"
both bg_via 2 || tb_fail "the remaining routes are not via appliance 2"
grep -q '"state":"divert_withdrawn"' "$BG_ROOT/ap1/enforcement.jsonl" ||
	tb_fail "appliance 1's log does not record the withdrawal"
before=$(bg_stat 2 tls_blocked)
i=0
while [ $i -lt 8 ]; do
	both refused blocked.example || tb_fail "blocked.example served with one appliance left"
	i=$((i + 1))
done
[ "$(bg_stat 2 tls_blocked)" -ge $((before + 16)) ] || tb_fail "appliance 2 did not judge every flow"

# The other is killed outright: the kernel removes its interface, BIRD its routes; traffic
# flows directly (failure = open).
kill -KILL "$(cat "$BG_ROOT/ap2/blockd.pid")"
tb_wait_for -t 5 paths_both 0 || tb_fail "appliance 2 was killed but the core still routes via it"
tb_wait_for both served blocked.example || tb_fail "with no appliance, web1 is unreachable"

# Appliance 1 back: diverted again, blocked again.
bg_as 1 tb_start_blockd
tb_wait_for -t 15 paths_both 1 || tb_fail "appliance 1 restarted but announces nothing"
both refused blocked.example || tb_fail "blocked.example served after appliance 1 came back"
both served allowed.example || tb_fail "allowed.example not served after appliance 1 came back"

# The fleet's report over both logs, each chain verified on its own (appliance 2 back first, so its
# log shows the kill): appliance 1's stop is a gap of its own but not the fleet's (appliance 2
# took its flows); from appliance 2's kill to appliance 1's return no appliance enforced.
bg_start_blockd 2
tb_wait_for -t 15 paths_both 2 || tb_fail "appliance 2 restarted but announces nothing"
bg_as 2 tb_stop_blockd
to=$(date -u -d '+1 minute' +%Y-%m-%dT%H:%M:%SZ)
"${BLOCKCTL:-build/blockctl}" report --from "$from" --to "$to" \
	--appliance "$BG_ROOT/ap1/enforcement.jsonl" --appliance "$BG_ROOT/ap2/enforcement.jsonl" \
	>"$BG_ROOT/fleet.csv" 2>"$BG_ROOT/fleet.err" || tb_fail "fleet report: $(cat "$BG_ROOT/fleet.err")"
tr -d '\r' <"$BG_ROOT/fleet.csv" >"$BG_ROOT/fleet.txt"
grep -q "^[0-9-]*,CL-2026-000501,.*" "$BG_ROOT/fleet.txt" || tb_fail "fleet report: no row for the order"
grep -q "^tb-$TB_ID-ap1,\(down\|withdrawn\)," "$BG_ROOT/fleet.txt" ||
	tb_fail "fleet report: appliance 1's stop is not its gap: $(cat "$BG_ROOT/fleet.txt")"
fg=$(grep '^fleet,' "$BG_ROOT/fleet.txt" | grep -v ',yes,') || fg=""
[ "$(echo "$fg" | grep -c "ap1.*ap2")" = 1 ] ||
	tb_fail "fleet report: not one closed fleet gap naming both appliances: $(cat "$BG_ROOT/fleet.txt")"
tb_log "fleet report: $fg"

# failure = closed: blackhole routes that stay announced when blockd dies, whose traffic its
# rules, left behind, drop.
bg_as 1 tb_stop_blockd
tb_wait_for -t 5 paths_both 0 || tb_fail "appliance 1 stopped but the core still routes via it"
bg_start_blockd 1 netfilter.failure=closed
tb_wait_for -t 15 paths_both 1 || tb_fail "failure = closed: nothing announced"
for a in "$TB_SERVER4/32" "$TB_SERVER6/128"; do
	grep -q "route $a blackhole;" "$BG_ROOT/ap1/divert.bird" ||
		tb_fail "failure = closed: no blackhole route to $a"
done
both refused blocked.example || tb_fail "failure = closed: blocked.example served"
kill -KILL "$(cat "$BG_ROOT/ap1/blockd.pid")"
tb_wait_for both refused allowed.example ||
	tb_fail "failure = closed: traffic still served with blockd killed"
paths_both 1 || tb_fail "failure = closed: the routes went with blockd"
tb_log "ok"
