#!/bin/sh
# HTTP on port 80: curl gets the 451 notice (from the operator's template) for a blocked host and
# for a blocked URL prefix, and nginx's page otherwise; a blocked request later on a keep-alive
# connection still gets the notice; IPv4 and IPv6; each notice is in the enforcement log under
# its order.
set -u
. tests/lib/netns.sh

tb_setup
tb_start_nginx
# The operator's own page: every placeholder, and a line that tells it from the built-in page.
cat >"$TB_DIR/notice.html" <<'EOT'
<!DOCTYPE html>
<title>Operator notice</title>
<p>Operator notice page.</p>
<p>{{service}} / {{order}} / {{authority}}</p>
<p>{{notice}} <a href="{{notice_url}}">order</a> <a href="{{appeal_url}}">appeal</a></p>
EOT
tb_blockd_conf http.appeal_url=https://appeal.example/blockd http.notice_template="$TB_DIR/notice.html"
tb_list "suffix blocked.example CL-2026-000123" "url allowed.example/private CL-2026-000789"
tb_start_blockd

fails=0
fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}

# fetch ADDR URL...: curl's headers and bodies for URLs (one connection), host names resolved to ADDR.
fetch() {
	_addr=$1
	shift
	case $_addr in *:*) _a="[$_addr]" ;; *) _a=$_addr ;; esac
	tb_client curl -si --max-time 5 --resolve "blocked.example:80:$_a" \
		--resolve "www.blocked.example:80:$_a" --resolve "allowed.example:80:$_a" "$@" 2>&1
}

# notice OUT REF WHAT: OUT is the 451 page for order REF.
notice() {
	echo "$1" | grep -q "^HTTP/1.1 451" || {
		fail "$3: no 451: $(echo "$1" | head -3)"
		return
	}
	echo "$1" | grep -qi "^Link: <https://orders.example/$2>; rel=\"blocked-by\"" ||
		fail "$3: no Link rel=blocked-by to the notice"
	for want in "Operator notice page." "Service $2 / $2 / Test Court" "Blocked by order $2." \
		"https://orders.example/$2" "https://appeal.example/blockd"; do
		echo "$1" | grep -qF "$want" || fail "$3: the page lacks '$want'"
	done
	echo "$1" | grep -q "served" && fail "$3: nginx's page came too"
	echo "PASS notice $3"
}

for addr in "$TB_SERVER4" "$TB_SERVER6"; do
	notice "$(fetch "$addr" http://blocked.example/)" CL-2026-000123 "blocked host $addr"
	notice "$(fetch "$addr" http://www.blocked.example/a/b?c)" CL-2026-000123 "suffix $addr"
	notice "$(fetch "$addr" http://allowed.example/private/x)" CL-2026-000789 "url prefix $addr"
	notice "$(fetch "$addr" http://allowed.example/./%70rivate)" CL-2026-000789 "spelt $addr"
	out=$(fetch "$addr" http://allowed.example/public)
	echo "$out" | grep -q "served allowed.example/public" || fail "allowed via $addr: $out"
	echo "PASS allowed $addr"

	# Keep-alive: the first request is served, the second, on the same connection, blocked.
	out=$(fetch "$addr" -v http://allowed.example/one http://allowed.example/private/two)
	echo "$out" | grep -q "served allowed.example/one" || fail "keep-alive first via $addr"
	echo "$out" | grep -qi "re-using existing connection" ||
		fail "keep-alive via $addr: curl opened a second connection"
	notice "$(echo "$out" | sed -n '/private\/two/,$p')" CL-2026-000789 "keep-alive $addr"
done

log="$TB_DIR/enforcement.jsonl"
has_events() {
	[ "$(grep -c '"method":"http".*"order":"CL-2026-000123".*"action":"notice"' "$log")" -ge 4 ] &&
		[ "$(grep -c '"method":"http".*"order":"CL-2026-000789".*"action":"notice"' "$log")" -ge 6 ]
}
tb_wait_for has_events || fail "HTTP notice events missing from the log: $(grep -c http "$log")"
grep -q '"indicator":"allowed.example/private/x"' "$log" || fail "no event names host and path"

[ "$fails" -eq 0 ] || exit 1
echo "t_http_block: all passed"
