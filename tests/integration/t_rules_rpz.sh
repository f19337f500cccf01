#!/bin/sh
# Resolver-side enforcement: a list exported with `blockrules export --rpz` loads into a real
# Unbound as a response policy zone, which then refuses the listed names and answers the rest.
set -u
. tests/lib/netns.sh

tb_setup
br=build/blockrules
"$br" keygen -p "$TB_DIR/r.pub" -s "$TB_DIR/r.key" >/dev/null || tb_fail "keygen"
cat >"$TB_DIR/o.order" <<EOO
order RPZ-2026-7
authority Test Court
date $(date -u +%Y-%m-%d)
service Deepfake Studio
not-before $(date -u -d '-1 day' +%Y-%m-%dT%H:%M:%SZ)
not-after $(date -u -d '+30 days' +%Y-%m-%dT%H:%M:%SZ)
notice Blocked by order RPZ-2026-7.
notice-url https://orders.example/RPZ-2026-7
suffix blocked.example
domain exact.test
EOO
"$br" build -i "Test Regulator" -S "test bed" -d 30 -n 1 -o "$TB_DIR/list" "$TB_DIR/o.order" \
	>/dev/null || tb_fail "build"
"$br" export --rpz -s packaging/shared-infrastructure -t -o "$TB_DIR/blocked.rpz" "$TB_DIR/list" || tb_fail "export --rpz"
grep -q '; order RPZ-2026-7' "$TB_DIR/blocked.rpz" || tb_fail "records do not name the order"

# Unbound answers the test names from auth zones through its iterator, which is where RPZ
# applies (local-data answers would bypass it), with the exported zone as a response policy.
for z in example test; do
	{
		printf '$ORIGIN %s.\n$TTL 300\n' "$z"
		printf '@ SOA ns.%s. hostmaster.%s. 1 3600 600 86400 300\n@ NS ns.%s.\nns A %s\n' \
			"$z" "$z" "$z" "$TB_RESOLVER4"
		for n in blocked www.blocked deep.www.blocked allowed; do
			[ "$z" = example ] && printf '%s A %s\n%s AAAA %s\n' "$n" "$TB_SERVER4" "$n" "$TB_SERVER6"
		done
		for n in exact sub.exact other; do
			[ "$z" = test ] && printf '%s A %s\n%s AAAA %s\n' "$n" "$TB_SERVER4" "$n" "$TB_SERVER6"
		done
	} >"$TB_DIR/$z.zone"
done
cat >"$TB_DIR/unbound.conf" <<EOU
server:
	do-daemonize: no
	chroot: ""
	username: ""
	directory: "$TB_DIR"
	pidfile: "$TB_DIR/unbound.pid"
	use-syslog: no
	logfile: ""
	module-config: "respip iterator"
	interface: $TB_RESOLVER4
	access-control: 192.0.2.0/24 allow
	access-control: 198.51.100.0/24 allow
	# test. is one of Unbound's default NXDOMAIN zones (RFC 6761); here it is served.
	local-zone: "test." nodefault
auth-zone:
	name: "example."
	zonefile: "$TB_DIR/example.zone"
	for-downstream: no
	for-upstream: yes
auth-zone:
	name: "test."
	zonefile: "$TB_DIR/test.zone"
	for-downstream: no
	for-upstream: yes
rpz:
	name: rpz.blockd.
	zonefile: "$TB_DIR/blocked.rpz"
	rpz-log: yes
remote-control:
	control-enable: no
EOU
unbound-checkconf "$TB_DIR/unbound.conf" >/dev/null || tb_fail "unbound-checkconf"
tb_spawn unbound "$TB_NS_RESOLVER" unbound -d -c "$TB_DIR/unbound.conf"
tb_wait_for tb_client dig +time=1 +tries=1 @"$TB_RESOLVER4" allowed.example A ||
	tb_fail "unbound does not answer"

fails=0
status() {
	tb_client dig +time=2 +tries=1 @"$TB_RESOLVER4" "$1" "$2" | sed -n 's/.*status: \([A-Z]*\).*/\1/p'
}
expect() {
	got=$(status "$1" "$2")
	if [ "$got" = "$3" ]; then
		echo "PASS $1 $2: $got"
	else
		echo "FAIL $1 $2: got $got, want $3"
		fails=$((fails + 1))
	fi
}
expect blocked.example A NXDOMAIN
expect www.blocked.example AAAA NXDOMAIN
expect deep.www.blocked.example A NXDOMAIN
expect exact.test A NXDOMAIN
expect sub.exact.test A NOERROR
expect allowed.example A NOERROR
expect other.test AAAA NOERROR
[ "$(tb_client dig +short +time=2 +tries=1 @"$TB_RESOLVER4" allowed.example A)" = "$TB_SERVER4" ] ||
	{ echo "FAIL allowed.example: not the real answer"; fails=$((fails + 1)); }
[ "$fails" -eq 0 ]
