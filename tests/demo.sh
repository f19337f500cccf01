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

say "The regulator makes a key, builds a list naming one service and its court order, and signs it"
tb_list "suffix blocked.example DEMO-2026-001"
show build/blockrules show "$TB_DIR/rules/blocklist"
show minisign -V -p "$TB_DIR/keys/regulator.pub" -m "$TB_DIR/rules/blocklist"

say "The ISP starts blockd on the appliance: it verifies the list before enforcing it"
tb_blockd_conf
tb_start_blockd
show build/blockctl -s "$TB_DIR/control.sock" status

say "The subscriber looks up a blocked name: NXDOMAIN, with an Extended DNS Error naming the order"
tb_client dig +time=3 +tries=1 www.blocked.example A | sed -n '/HEADER/p;/EDE/p;/ANSWER SECTION/,/^$/p'
say "... and an allowed one: the resolver's real answer"
tb_client dig +time=3 +tries=1 +short allowed.example A

say "Web requests: the allowed site loads; the blocked one does not resolve"
show tb_client curl -sS --max-time 5 http://allowed.example/
show tb_client curl -sS --max-time 5 http://www.blocked.example/

say "The enforcement log: one hash-chained record per block, subscribers pseudonymised"
sed 's/^/  /' "$TB_DIR/enforcement.jsonl"
show build/blockctl log verify "$TB_DIR/enforcement.jsonl"

say "Stopping blockd removes its rules; cleaning up every namespace and process"
tb_stop_blockd
