#!/bin/sh
# blockctl probe from the client's namespace (a subscriber's vantage point) against a working
# appliance: every entry blocked by every method that applies, every control open; with TLS
# inspection off (443 not among [flows] ports) exactly the entries' TLS checks fail; with an
# overbroad local list (a suffix the appliance's own key signed, where the order names one
# domain) the control names next to it are reported overblocked. The report is signed and
# checked with minisign; --metrics writes what the shipped alerts read.
set -u
. tests/lib/netns.sh

BLOCKCTL=${BLOCKCTL:-build/blockctl}
tb_setup
tb_start_unbound
tb_start_nginx
# QUIC: the server answers every datagram on 443, so a QUIC check that gets through sees it.
tb_spawn echo "$TB_NS_SERVER" python3 tests/lib/udp_echo.py 443
tb_wait_for grep -q listening "$TB_DIR/echo.log" || tb_fail "udp echo did not start"

# The regulator's list, as the probe gets it (its own copy and the regulator's public key).
tb_list "domain exact.test CL-2026-000301" "suffix blocked.example CL-2026-000302" \
	"url allowed.example/secret CL-2026-000303" "ip 2001:db8:2::80 CL-2026-000304"
mkdir -p "$TB_DIR/probe/keys"
cp "$TB_DIR/rules/blocklist" "$TB_DIR/rules/blocklist.minisig" "$TB_DIR/probe/"
cp "$TB_DIR/keys/regulator.pub" "$TB_DIR/probe/keys/"
minisign -G -W -p "$TB_DIR/isp.pub" -s "$TB_DIR/isp.key" >/dev/null 2>&1 || tb_fail "minisign -G"

# probe [OPTIONS]: blockctl probe from the client namespace; report in $TB_DIR/probe.out.
probe() {
	tb_client "$BLOCKCTL" probe -l "$TB_DIR/probe/blocklist" -k "$TB_DIR/probe/keys" \
		-r "$TB_RESOLVER4" -t "$TB_SERVER4" --ip-port 443 --timeout 1500 --rate 50 \
		-c allowed.example -c sub.exact.test -c "$TB_SERVER4" --vantage "test bed" "$@" \
		>"$TB_DIR/probe.out" 2>"$TB_DIR/probe.err"
}
# verdicts: "METHOD TARGET VERDICT" for every check, sorted.
verdicts() {
	awk -F '\t' '$1 == "check" { print $4, $5, $8 }' "${1:-$TB_DIR/probe.out}" | sort
}

tb_blockd_conf
tb_start_blockd
probe -o "$TB_DIR/report.probe" --sign "$TB_DIR/isp.key" --metrics "$TB_DIR/probe.prom"
rc=$?
cp "$TB_DIR/report.probe" "$TB_DIR/probe.out"
cat "$TB_DIR/probe.out" >&2
[ $rc -eq 0 ] || tb_fail "probe of a working appliance exited $rc: $(cat "$TB_DIR/probe.err")"
[ "$(verdicts | awk '$3 != "pass"' | wc -l)" -eq 0 ] || tb_fail "checks not passing: $(verdicts | grep -v pass)"
# What each entry was tested by: names by DNS, TLS, HTTP and QUIC; the URL by HTTP; the address by TCP.
for want in "dns exact.test pass" "tls exact.test pass" "http exact.test pass" "quic exact.test pass" \
	"dns blocked.example pass" "tls blocked.example pass" "http allowed.example/secret pass" \
	"ip 2001:db8:2::80 pass" "dns allowed.example pass" "tls sub.exact.test pass" \
	"http www.exact.test pass" "ip $TB_SERVER4 pass"; do
	verdicts | grep -qx "$want" || tb_fail "no check \"$want\""
done
grep -q "^check	entry	CL-2026-000302	tls	blocked.example	$TB_SERVER4	blocked	pass	reset$" \
	"$TB_DIR/probe.out" || tb_fail "the TLS check of blocked.example does not say reset"
grep -q "	http	allowed.example/secret	.*	HTTP 451$" "$TB_DIR/probe.out" ||
	tb_fail "the URL entry did not get the 451 notice"
minisign -V -p "$TB_DIR/isp.pub" -m "$TB_DIR/report.probe" >/dev/null ||
	tb_fail "the probe's signed report does not verify with minisign"
grep -q '^blockd_probe_checks{vantage="test bed",result="pass"} [1-9]' "$TB_DIR/probe.prom" ||
	tb_fail "--metrics: no pass count"
grep -q '^blockd_probe_checks{vantage="test bed",result="fail"} 0$' "$TB_DIR/probe.prom" ||
	tb_fail "--metrics: fail count not 0"
probe --json --methods dns
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["summary"]["fail"] == 0 and all(c["method"] == "dns" for c in d["checks"]), d' \
	"$TB_DIR/probe.out" || tb_fail "--json --methods dns"
echo "PASS working appliance: every entry blocked and every control open, report signed"
tb_stop_blockd

# TLS inspection off: 443 is not among the ports blockd reads. QUIC shares 443, so it is left out.
tb_blockd_conf flows.ports=80,8080
tb_start_blockd
probe --methods dns,tls,http,ip
rc=$?
[ $rc -eq 1 ] || tb_fail "probe with TLS inspection off exited $rc, not 1"
failing=$(verdicts | awk '$3 != "pass" { print $1, $2, $3 }')
want=$(printf 'tls blocked.example fail\ntls exact.test fail')
[ "$failing" = "$want" ] || tb_fail "with TLS off, failing checks are: $failing"
echo "PASS TLS inspection off: exactly the entries' TLS checks fail"
tb_stop_blockd

# An overbroad local list: the appliance also trusts the ISP's own key, which signed a list
# blocking all of exact.test where the order names exact.test alone.
cp "$TB_DIR/isp.pub" "$TB_DIR/keys/isp.pub"
rm -f "$TB_DIR/rules/blocklist.minisig"
sed -i 's/^domain exact.test$/suffix exact.test/' "$TB_DIR/orders/CL-2026-000301.order"
build/blockrules build -i "Test Regulator" -S "test bed" -d 30 -n 9 -o "$TB_DIR/rules/blocklist" \
	"$TB_DIR/orders/"*.order >/dev/null 2>&1 || tb_fail "build of the overbroad list"
minisign -S -s "$TB_DIR/isp.key" -m "$TB_DIR/rules/blocklist" -x "$TB_DIR/rules/blocklist.minisig" \
	</dev/null >/dev/null 2>&1 || tb_fail "ISP's signature of the overbroad list"
tb_blockd_conf
tb_start_blockd
probe
rc=$?
[ $rc -eq 1 ] || tb_fail "probe of an overbroad appliance exited $rc, not 1"
over=$(verdicts | awk '$3 == "overblocked" { print $2 }' | sort -u | tr '\n' ' ')
[ "$over" = "sub.exact.test www.exact.test " ] || tb_fail "overblocked: '$over'"
[ "$(verdicts | awk '$3 == "fail"' | wc -l)" -eq 0 ] || tb_fail "entries failing on an overbroad appliance"
echo "PASS overbroad local list: the names next to exact.test are reported overblocked"
echo "t_probe: all passed"
