#!/bin/sh
# Diversion by BGP over two appliances (tests/lib/bgpbed.sh): only traffic to the address a
# listed name resolves to reaches them, spread over both by the core's ECMP; each judges it with
# the subscriber's side alone (the server answers through the core); stopping one moves its flows
# to the other, and with both gone the traffic flows directly (fail-open by routing).
set -u
. tests/lib/netns.sh
. tests/lib/bgpbed.sh

FLOWS=24

bg_setup
tb_start_nginx
tb_unbound_conf
tb_spawn unbound "$TB_NS_RESOLVER" unbound -d -c "$TB_DIR/unbound.conf"
tb_wait_for tb_client dig +time=1 +tries=1 @"$TB_RESOLVER4" blocked.example A ||
	tb_fail "unbound does not answer the subscriber"
# The second web server: nginx's config again, on its own address and directory.
mkdir -p "$TB_DIR/web2"
sed -e "s|$TB_DIR/|$TB_DIR/web2/|g" -e "s|$TB_SERVER4|$BG_WEB2|g" -e "/\[$TB_SERVER6\]/d" \
	-e "s|ssl_certificate $TB_DIR/web2/|ssl_certificate $TB_DIR/|" \
	-e "s|ssl_certificate_key $TB_DIR/web2/|ssl_certificate_key $TB_DIR/|" \
	"$TB_DIR/nginx.conf" >"$TB_DIR/web2/nginx.conf"
mkdir -p "$TB_DIR/web2/nginx"
tb_spawn web2 "$BG_NS_WEB2" nginx -c "$TB_DIR/web2/nginx.conf" -p "$TB_DIR/web2/nginx"

# https NAME ADDRESS: the page (or nothing) and curl's status, "served ..." or "exit N".
https() {
	_out=$(tb_client curl -sk --max-time 3 --resolve "$1:443:$2" "https://$1/" 2>/dev/null)
	_rc=$?
	[ $_rc -eq 0 ] && echo "$_out" || echo "exit $_rc"
}
served() { https "$1" "$2" | grep -q "^served $1/ by the test bed"; }
refused() { ! https "$1" "$2" | grep -q "^served"; }

# Each appliance counts what reaches it from web1 (replies) and what goes to web2, in a table of
# the test's own.
for n in 1 2; do
	tb_in "$(bg_ns $n)" nft -f - <<EON || tb_fail "appliance $n: test counters"
table ip bgtest {
	counter to_web2 {}
	counter from_web1 {}
	chain pre {
		type filter hook prerouting priority -400; policy accept;
		ip daddr $BG_WEB2 counter name to_web2
		ip saddr $TB_SERVER4 tcp sport 443 counter name from_web1
	}
}
EON
done
count() { tb_in "$(bg_ns "$1")" nft list counter ip bgtest "$2" | awk '/packets/ { print $2 }'; }

# Control: no appliance in the path yet, and the servers accept every request as crafted.
tb_wait_for served blocked.example "$TB_SERVER4" || tb_fail "control: web1 does not serve blocked.example"
served allowed.example "$TB_SERVER4" || tb_fail "control: web1 does not serve allowed.example"
tb_wait_for served allowed.test "$BG_WEB2" || tb_fail "control: web2 does not serve allowed.test"
[ "$(bg_paths "$TB_SERVER4")" = 0 ] || tb_fail "control: the core routes web1 via an appliance already"

bg_start_core
for n in 1 2; do
	bg_start_bird $n
	bg_start_blockd $n
done
# blocked.example resolves to web1: its address is diverted, through both appliances.
tb_wait_for -t 15 bg_paths_are "$TB_SERVER4" 2 ||
	tb_fail "the core has no route to $TB_SERVER4 via both appliances: $(ip -n "$BG_NS_CORE" route)"
[ "$(bg_paths "$BG_WEB2")" = 0 ] || tb_fail "web2 is diverted, but no listed name is on it"
d=$(bg_as 1 "${BLOCKCTL:-build/blockctl}" -s "$BG_ROOT/ap1/control.sock" divert)
echo "$d" | grep -q "^divert announced via blockd0" || tb_fail "blockctl divert: $d"
echo "$d" | grep -q "^$TB_SERVER4/32 resolved$" || tb_fail "blockctl divert lists no $TB_SERVER4: $d"
echo "$d" | grep -q "^203.0.113.128/25 order$" || tb_fail "blockctl divert lists not the order's prefix: $d"
tb_wait_for bg_paths_are 203.0.113.128/25 2 || tb_fail "the order's prefix is not routed via both appliances"
j=$(bg_as 1 "${BLOCKCTL:-build/blockctl}" -j -s "$BG_ROOT/ap1/control.sock" divert)
echo "$j" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["announced"] and d["names"] == 1 and d["names_resolved"] == 1 and {"prefix": "198.51.100.80/32", "source": "resolved"} in d["set"], d' ||
	tb_fail "blockctl -j divert: $j"

# Every flow to web1 is judged by one appliance or the other, replies going straight back.
i=0
while [ $i -lt $FLOWS ]; do
	refused blocked.example "$TB_SERVER4" || tb_fail "flow $i: blocked.example served through the appliances"
	served allowed.example "$TB_SERVER4" || tb_fail "flow $i: allowed.example not served: $(https allowed.example "$TB_SERVER4")"
	served allowed.test "$BG_WEB2" || tb_fail "flow $i: web2 not served"
	i=$((i + 1))
done
h1=$(bg_stat 1 tls_hellos)
h2=$(bg_stat 2 tls_hellos)
tb_log "hellos judged: appliance 1 $h1, appliance 2 $h2 (of $((2 * FLOWS)))"
[ $((h1 + h2)) -ge $((2 * FLOWS)) ] || tb_fail "only $((h1 + h2)) of $((2 * FLOWS)) hellos judged"
[ "$h1" -gt 0 ] && [ "$h2" -gt 0 ] || tb_fail "the flows did not spread over both appliances"
for n in 1 2; do
	[ "$(count $n to_web2)" = 0 ] || tb_fail "appliance $n saw $(count $n to_web2) packets to web2"
	[ "$(count $n from_web1)" = 0 ] || tb_fail "appliance $n saw web1's replies"
done

# One appliance stops: its routes go within seconds, the other takes every flow.
bg_as 1 tb_stop_blockd
tb_wait_for -t 5 bg_paths_are "$TB_SERVER4" 1 || tb_fail "appliance 1 stopped but the core still routes via it"
ip -n "$BG_NS_CORE" route show "$TB_SERVER4/32" | grep -q "via 203.0.113.6" ||
	tb_fail "the remaining route is not via appliance 2"
grep -q '"state":"divert_withdrawn"' "$BG_ROOT/ap1/enforcement.jsonl" ||
	tb_fail "appliance 1's log does not record the withdrawal"
before=$(bg_stat 2 tls_blocked)
i=0
while [ $i -lt 8 ]; do
	refused blocked.example "$TB_SERVER4" || tb_fail "blocked.example served with one appliance left"
	i=$((i + 1))
done
[ "$(bg_stat 2 tls_blocked)" -ge $((before + 8)) ] || tb_fail "appliance 2 did not judge every flow"

# The other is killed outright: the kernel removes its interface, BIRD its routes; traffic
# flows directly (failure = open).
kill -KILL "$(cat "$BG_ROOT/ap2/blockd.pid")"
tb_wait_for -t 5 bg_paths_are "$TB_SERVER4" 0 || tb_fail "appliance 2 was killed but the core still routes via it"
tb_wait_for served blocked.example "$TB_SERVER4" || tb_fail "with no appliance, web1 is unreachable"

# Appliance 1 back: diverted again, blocked again.
bg_as 1 tb_start_blockd
tb_wait_for -t 15 bg_paths_are "$TB_SERVER4" 1 || tb_fail "appliance 1 restarted but announces nothing"
refused blocked.example "$TB_SERVER4" || tb_fail "blocked.example served after appliance 1 came back"
served allowed.example "$TB_SERVER4" || tb_fail "allowed.example not served after appliance 1 came back"

# failure = closed: blackhole routes that stay announced when blockd dies, whose traffic its
# rules, left behind, drop.
bg_as 1 tb_stop_blockd
tb_wait_for -t 5 bg_paths_are "$TB_SERVER4" 0 || tb_fail "appliance 1 stopped but the core still routes via it"
bg_start_blockd 1 netfilter.failure=closed
tb_wait_for -t 15 bg_paths_are "$TB_SERVER4" 1 || tb_fail "failure = closed: nothing announced"
grep -q "blackhole" "$BG_ROOT/ap1/divert.bird" || tb_fail "failure = closed: not blackhole routes"
refused blocked.example "$TB_SERVER4" || tb_fail "failure = closed: blocked.example served"
kill -KILL "$(cat "$BG_ROOT/ap1/blockd.pid")"
tb_wait_for refused allowed.example "$TB_SERVER4" ||
	tb_fail "failure = closed: traffic still served with blockd killed"
[ "$(bg_paths "$TB_SERVER4")" = 1 ] || tb_fail "failure = closed: the route went with blockd"
tb_log "ok"
