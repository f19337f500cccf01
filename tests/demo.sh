#!/bin/sh
# make demo: a regulator signs a list, blockd enforces it, a subscriber sees what is blocked and what is not.
set -u
cd "$(dirname "$0")/.."
. tests/lib/netns.sh

say() {
	printf '\n\033[1m== %s\033[0m\n' "$*"
}
# show CMD...: print a command as the person would type it, then run it.
show() {
	printf '$ %s\n' "$*"
	"$@" 2>&1 | sed 's/^/  /'
}

[ "$(id -u)" -eq 0 ] || {
	echo "demo: needs root for network namespaces: sudo make demo" >&2
	exit 1
}

say "A small network: subscriber -- ISP appliance (blockd) -- resolver (Unbound), web server (nginx)"
tb_setup
tb_start_unbound
tb_start_nginx
tb_client_resolver "$TB_RESOLVER4"
echo "namespaces: $TB_NAMESPACES"

say "The regulator makes a key, writes down a court order, builds the list and signs it"
mkdir -p "$TB_DIR/orders" "$TB_DIR/rules" "$TB_DIR/keys"
cat >"$TB_DIR/orders/DEMO-2026-001.order" <<EOO
order DEMO-2026-001
authority High Court of Justice (demo)
date $(date -u +%Y-%m-%d)
service Deepfake Studio
not-before $(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)
not-after $(date -u -d '+90 days' +%Y-%m-%dT%H:%M:%SZ)
notice This service is blocked in the demo jurisdiction by order of the court.
notice-url https://orders.example/DEMO-2026-001
suffix blocked.example
EOO
show cat "$TB_DIR/orders/DEMO-2026-001.order"
show build/blockrules keygen -p "$TB_DIR/keys/regulator.pub" -s "$TB_DIR/regulator.key"
show build/blockrules build -i "Demo Regulator" -S "demo jurisdiction" -d 30 -n 1 \
	-o "$TB_DIR/rules/blocklist" "$TB_DIR/orders/DEMO-2026-001.order"
show build/blockrules sign -s "$TB_DIR/regulator.key" "$TB_DIR/rules/blocklist"
say "Anyone can check the signature with the stock minisign tool"
show minisign -V -p "$TB_DIR/keys/regulator.pub" -m "$TB_DIR/rules/blocklist"

say "The ISP starts blockd on the appliance: it verifies the list before enforcing it"
tb_blockd_conf
tb_start_blockd
show build/blockctl -s "$TB_DIR/control.sock" status
show build/blockctl -s "$TB_DIR/control.sock" lookup www.blocked.example

say "The subscriber looks up a blocked name: NXDOMAIN, with an Extended DNS Error naming the order"
tb_client dig +time=3 +tries=1 www.blocked.example A | sed -n '/HEADER/p;/EDE/p;/ANSWER SECTION/,/^$/p'
say "... and an allowed one: the resolver's real answer"
tb_client dig +time=3 +tries=1 +short allowed.example A

say "Web requests: the allowed site loads over HTTP and HTTPS; the blocked one does not resolve"
show tb_client curl -sS --max-time 5 http://allowed.example/
show tb_client curl -sSk --max-time 5 https://allowed.example/
show tb_client curl -sS --max-time 5 http://www.blocked.example/

say "A subscriber who bypasses the resolver still meets the block: HTTP gets a 451 notice..."
show tb_client curl -sS -i --max-time 5 --resolve "www.blocked.example:80:$TB_SERVER4" \
	http://www.blocked.example/
say "... and HTTPS is reset at the TLS ClientHello, by the name the client asked for"
show tb_client curl -sSk --max-time 5 --resolve "www.blocked.example:443:$TB_SERVER4" \
	https://www.blocked.example/

say "The enforcement log: one hash-chained record per block, subscribers pseudonymised"
sed 's/^/  /' "$TB_DIR/enforcement.jsonl"
show build/blockctl log verify "$TB_DIR/enforcement.jsonl"

say "Stopping blockd removes its rules"
tb_stop_blockd
printf '$ iptables-save; nft list ruleset (in the appliance): blockd rules left: '
tb_appliance sh -c 'iptables-save; ip6tables-save; nft list ruleset' 2>/dev/null | grep -ci blockd
say "Cleaning up every namespace and process"
