#!/bin/sh
# t_fetch: blockd-fetch against an HTTPS server (nginx) in a namespace: conditional GET, atomic all-or-nothing updates, caps.
set -eu
export LC_ALL=C
cd "$(dirname "$0")/../.."

fetch=$PWD/packaging/blockd-fetch
ns=bf$$
hv=bfh$$
sv=bfs$$
host_ip=198.51.100.1
srv_ip=198.51.100.2
name=lists.regulator.example
tmp=$(mktemp -d /tmp/t_fetch.XXXXXX)
chmod 0755 "$tmp"
www=$tmp/www
rules=$tmp/rules
cache=$tmp/cache
nginx_pid=""

fail() {
	echo "FAIL: $*"
	[ -f "$tmp/nginx/access.log" ] && tail -n 20 "$tmp/nginx/access.log"
	exit 1
}
ok() { echo "ok: $*"; }

cleanup() {
	rc=$?
	[ -z "$nginx_pid" ] || kill "$nginx_pid" 2>/dev/null || true
	ip netns del "$ns" 2>/dev/null || true
	ip link del "$hv" 2>/dev/null || true
	rm -rf "$tmp"
	exit $rc
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

# --- an HTTPS server for lists.regulator.example in its own namespace ---------
ip netns add "$ns"
ip link add "$hv" type veth peer name "$sv"
ip link set "$sv" netns "$ns"
ip addr add $host_ip/24 dev "$hv"
ip link set "$hv" up
ip -n "$ns" addr add $srv_ip/24 dev "$sv"
ip -n "$ns" link set "$sv" up
ip -n "$ns" link set lo up

mkdir -p "$www" "$rules" "$cache" "$tmp/nginx"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj "/CN=$name" -addext "subjectAltName=DNS:$name" \
	-keyout "$tmp/nginx/key.pem" -out "$tmp/nginx/cert.pem" 2>/dev/null
cat >"$tmp/nginx/nginx.conf" <<EOF
daemon off;
user root root;
worker_processes 1;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log;
events { worker_connections 64; }
http {
	log_format t '\$status \$request_uri port=\$server_port inm=\$http_if_none_match ims=\$http_if_modified_since';
	access_log $tmp/nginx/access.log t;
	server {
		listen $srv_ip:443 ssl;
		listen $srv_ip:80;
		server_name $name;
		ssl_certificate $tmp/nginx/cert.pem;
		ssl_certificate_key $tmp/nginx/key.pem;
		root $www;
		location = /to-http.list { return 302 http://$name/uk.list; }
		# No Content-Length: the size cap must hold while streaming.
		location /stream/ { ssi on; ssi_types *; }
	}
}
EOF
ip netns exec "$ns" nginx -c "$tmp/nginx/nginx.conf" -p "$tmp/nginx" &
nginx_pid=$!
deadline=$(($(date +%s) + 20))
until curl -s -o /dev/null --resolve $name:443:$srv_ip --cacert "$tmp/nginx/cert.pem" "https://$name/"; do
	[ "$(date +%s)" -lt $deadline ] || fail "nginx did not come up: $(cat "$tmp/nginx/error.log")"
	kill -0 "$nginx_pid" 2>/dev/null || fail "nginx exited: $(cat "$tmp/nginx/error.log")"
	sleep 0.2
done

# conf [VAR=value...]: a defaults file for blockd-fetch.
conf() {
	{
		echo "BLOCKD_FETCH_RULES_DIR=$rules"
		echo "BLOCKD_FETCH_CACHE_DIR=$cache"
		echo "BLOCKD_FETCH_CURL_OPTS=\"--resolve $name:443:$srv_ip --resolve $name:80:$srv_ip --cacert $tmp/nginx/cert.pem\""
		for v in "$@"; do echo "$v"; done
	} >"$tmp/defaults"
}
run() { "$fetch" -c "$tmp/defaults" >"$tmp/out" 2>&1; }
no_temps() {
	left=$(find "$rules" "$cache" -name '.blockd-fetch.*')
	[ -z "$left" ] || fail "temporary files left: $left"
}
# publish LIST-CONTENT: a new list and signature on the server, each with a
# later time than the last (nginx's ETag is made of size and time).
stamp=$(($(date +%s) - 1000))
publish() {
	stamp=$((stamp + 10))
	printf '%s\n' "$1" >"$www/uk.list.new"
	printf 'sig of %s\n' "$1" >"$www/uk.list.minisig"
	touch -d "@$stamp" "$www/uk.list.new" "$www/uk.list.minisig"
	mv "$www/uk.list.new" "$www/uk.list"
}
same() { cmp -s "$1" "$2" || fail "$1 differs from $2"; }

# --- first fetch: list and signature arrive --------------------------------------
publish "list one"
conf "BLOCKD_FETCH_URL=https://$name/uk.list"
run || fail "first fetch: $(cat "$tmp/out")"
grep -q 'blocklist updated' "$tmp/out" || fail "first fetch said: $(cat "$tmp/out")"
same "$rules/blocklist" "$www/uk.list"
same "$rules/blocklist.minisig" "$www/uk.list.minisig"
[ "$(stat -c %a "$rules/blocklist")" = 644 ] || fail "blocklist mode $(stat -c %a "$rules/blocklist"), want 644"
[ -s "$cache/blocklist.etag" ] || fail "no ETag saved"
no_temps
ok "first fetch: $(cat "$tmp/out")"

# --- unchanged: 304 via If-None-Match, nothing rewritten ---------------------------
ino=$(stat -c %i "$rules/blocklist")
run || fail "second fetch: $(cat "$tmp/out")"
grep -q 'blocklist unchanged' "$tmp/out" || fail "second fetch said: $(cat "$tmp/out")"
[ "$(stat -c %i "$rules/blocklist")" = "$ino" ] || fail "unchanged list was rewritten"
tail -n 1 "$tmp/nginx/access.log" | grep -q '^304 /uk.list port=443 inm=[^-]' || fail "no 304 with If-None-Match"
tail -n 1 "$tmp/nginx/access.log" | grep -q 'ims=[A-Z]' || fail "no If-Modified-Since sent"
no_temps
ok "unchanged list: 304 with If-None-Match and If-Modified-Since, file untouched"

# --- a new list replaces the old one ------------------------------------------------
publish "list two"
run || fail "fetch of list two: $(cat "$tmp/out")"
same "$rules/blocklist" "$www/uk.list"
same "$rules/blocklist.minisig" "$www/uk.list.minisig"
ok "new list fetched with its signature"

# --- a list without its signature changes nothing ---------------------------------
cp "$rules/blocklist" "$tmp/keep.list"
cp "$rules/blocklist.minisig" "$tmp/keep.sig"
publish "list three"
rm "$www/uk.list.minisig"
run && fail "fetch succeeded without a signature"
[ $? = 3 ] || fail "missing signature: exit status not 3 (the server failed)"
grep -q 'uk.list.minisig: HTTP 404' "$tmp/out" || fail "missing signature said: $(cat "$tmp/out")"
same "$rules/blocklist" "$tmp/keep.list"
same "$rules/blocklist.minisig" "$tmp/keep.sig"
no_temps
ok "missing signature: refused, rules directory as it was ($(cat "$tmp/out"))"

# --- every configured signer's signature is required --------------------------------
publish "list four"
printf 'sig 2\n' >"$www/uk.list.minisig.2"
conf "BLOCKD_FETCH_URL=https://$name/uk.list" 'BLOCKD_FETCH_SIGNATURES=".minisig .minisig.2 .minisig.3"'
if run; then fail "fetch succeeded with a signer's file missing"; fi
same "$rules/blocklist" "$tmp/keep.list"
[ ! -e "$rules/blocklist.minisig.2" ] || fail "a partial set of signatures was installed"
printf 'sig 3\n' >"$www/uk.list.minisig.3"
run || fail "fetch with three signatures: $(cat "$tmp/out")"
for s in .minisig .minisig.2 .minisig.3; do same "$rules/blocklist$s" "$www/uk.list$s"; done
same "$rules/blocklist" "$www/uk.list"
no_temps
ok "three signers: all or nothing"

# --- a list deleted locally is fetched again despite the saved ETag ------------------
rm "$rules/blocklist"
conf "BLOCKD_FETCH_URL=https://$name/uk.list"
run || fail "refetch: $(cat "$tmp/out")"
same "$rules/blocklist" "$www/uk.list"
ok "deleted list fetched again"

# --- transparency: the proof is required, the consistency proofs fetched if published -
publish "list logged"
conf "BLOCKD_FETCH_URL=https://$name/uk.list" BLOCKD_FETCH_TRANSPARENCY=yes
if run; then fail "a list without its tlog-proof was installed"; fi
grep -q "uk.list.tlog-proof: HTTP 404" "$tmp/out" || fail "missing proof said: $(cat "$tmp/out")"
cmp -s "$rules/blocklist" "$www/uk.list" && fail "the list changed without its proof"
printf 'c2sp.org/tlog-proof@v1\nindex 0\n\n' >"$www/uk.list.tlog-proof"
run || fail "fetch with a proof: $(cat "$tmp/out")"
same "$rules/blocklist.tlog-proof" "$www/uk.list.tlog-proof"
[ -f "$rules/blocklist.tlog-consistency" ] && [ ! -s "$rules/blocklist.tlog-consistency" ] ||
	fail "no empty tlog-consistency when the server has none"
same "$rules/blocklist" "$www/uk.list"
publish "list logged again"
printf 'old 1\n\n' >"$www/uk.list.tlog-consistency"
run || fail "fetch with consistency proofs: $(cat "$tmp/out")"
same "$rules/blocklist.tlog-consistency" "$www/uk.list.tlog-consistency"
grep -q "proof: blocklist.tlog-proof" "$tmp/out" || fail "said: $(cat "$tmp/out")"
conf "BLOCKD_FETCH_URL=https://$name/uk.list" BLOCKD_FETCH_TRANSPARENCY=maybe
if run; then fail "BLOCKD_FETCH_TRANSPARENCY=maybe accepted"; fi
no_temps
ok "transparency: the list only with its proof, consistency proofs when published"

# --- size caps, announced and streamed ----------------------------------------------
cp "$rules/blocklist" "$tmp/keep.list"
head -c 300000 /dev/zero | tr '\0' a >"$www/uk.list"
conf "BLOCKD_FETCH_URL=https://$name/uk.list" BLOCKD_FETCH_MAX_BYTES=100000
run && fail "oversized list accepted"
[ $? = 1 ] || fail "oversized list: exit status not 1 (refused)"
grep -q 'larger than 100000 bytes' "$tmp/out" || fail "oversized list said: $(cat "$tmp/out")"
same "$rules/blocklist" "$tmp/keep.list"
no_temps
ok "oversized list with Content-Length refused ($(cat "$tmp/out"))"
mkdir -p "$www/stream"
cp "$www/uk.list" "$www/stream/uk.list"
printf 'sig\n' >"$www/stream/uk.list.minisig"
conf "BLOCKD_FETCH_URL=https://$name/stream/uk.list" BLOCKD_FETCH_MAX_BYTES=100000
if run; then fail "oversized streamed list accepted"; fi
grep -q 'larger than 100000 bytes' "$tmp/out" || fail "oversized stream said: $(cat "$tmp/out")"
[ ! -e "$rules/blocklist" ] || cmp -s "$rules/blocklist" "$tmp/keep.list" || fail "streamed oversize replaced the list"
no_temps
ok "oversized list without Content-Length refused ($(cat "$tmp/out"))"

# --- HTTPS only, redirects included; bad settings named ------------------------------
conf "BLOCKD_FETCH_URL=http://$name/uk.list"
if run; then fail "http:// URL accepted"; fi
grep -q 'only https:// URLs' "$tmp/out" || fail "http URL said: $(cat "$tmp/out")"
conf "BLOCKD_FETCH_URL=https://$name/to-http.list"
if run; then fail "redirect to http:// followed"; fi
grep -q '^302 /to-http.list' "$tmp/nginx/access.log" || fail "redirect not requested"
if grep -q ' port=80 ' "$tmp/nginx/access.log"; then fail "a plain HTTP request was made"; fi
conf "BLOCKD_FETCH_URL=https://$name/uk.list" BLOCKD_FETCH_MAX_BYTES=lots
run && fail "BLOCKD_FETCH_MAX_BYTES=lots accepted"
[ $? = 1 ] || fail "bad setting: exit status not 1"
grep -q 'BLOCKD_FETCH_MAX_BYTES: lots' "$tmp/out" || fail "bad max said: $(cat "$tmp/out")"
conf "BLOCKD_FETCH_URL=https://$name/uk.list" BLOCKD_FETCH_NAME=../blocklist
if run; then fail "BLOCKD_FETCH_NAME=../blocklist accepted"; fi
grep -q 'BLOCKD_FETCH_NAME: "../blocklist"' "$tmp/out" || fail "bad name said: $(cat "$tmp/out")"
"$fetch" -c "$tmp/defaults" extra >"$tmp/out" 2>&1 && fail "a stray argument accepted"
[ $? = 2 ] || fail "usage error: exit status not 2"
no_temps
ok "http:// refused, redirect to http:// refused, bad settings named; exit statuses as blockctl(8)'s table"
echo "t_fetch: all checks passed"
