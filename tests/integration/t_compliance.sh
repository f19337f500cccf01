#!/bin/sh
# Compliance across two ISPs, end to end: each runs blockd (ISP B with TLS inspection off) and the
# probe from its subscriber side, and signs its enforcement report and probe report with its own
# key; the regulator's blockrules reports verifies both ISPs' reports, aggregates them per order
# and day (B failing on TLS), and refuses a tampered copy and an unsigned one, naming each. The
# HTML pages (blockctl report's and the aggregate) are rendered in headless Chromium: the
# rendered DOM is checked and a screenshot kept in ${REPORT_PNG:-build/t_compliance.png}.
set -u
. tests/lib/netns.sh

BLOCKCTL=${BLOCKCTL:-build/blockctl}
BLOCKRULES=${BLOCKRULES:-build/blockrules}
command -v chromium >/dev/null || tb_fail "chromium is not installed (sh tests/lib/deps.sh)"
tb_setup
tb_start_unbound
tb_start_nginx
tb_spawn echo "$TB_NS_SERVER" python3 tests/lib/udp_echo.py 443
tb_wait_for grep -q listening "$TB_DIR/echo.log" || tb_fail "udp echo did not start"
tb_list "domain exact.test CL-2026-000401" "suffix blocked.example CL-2026-000402"
mkdir -p "$TB_DIR/probe/keys" "$TB_DIR/regulator/isp-keys" "$TB_DIR/inbox"
cp "$TB_DIR/rules/blocklist" "$TB_DIR/rules/blocklist.minisig" "$TB_DIR/probe/"
cp "$TB_DIR/keys/regulator.pub" "$TB_DIR/probe/keys/"
today=$(date -u +%Y-%m-%d)
tomorrow=$(date -u -d '+1 day' +%Y-%m-%d)

# isp NAME [KEY=VALUE ...]: NAME's appliance runs, is probed, stops; its signed enforcement
# report and probe report go into the regulator's inbox, its public key to the regulator.
isp() {
	_n=$1
	shift
	minisign -G -W -p "$TB_DIR/regulator/isp-keys/$_n.pub" -s "$TB_DIR/$_n.key" >/dev/null 2>&1 ||
		tb_fail "minisign -G for $_n"
	tb_blockd_conf blockd.appliance_id="$_n" log.path="$TB_DIR/$_n.jsonl" \
		blockd.state_dir="$TB_DIR/state-$_n" "$@"
	mkdir -p "$TB_DIR/state-$_n"
	tb_start_blockd
	tb_client "$BLOCKCTL" probe -l "$TB_DIR/probe/blocklist" -k "$TB_DIR/probe/keys" \
		-r "$TB_RESOLVER4" -t "$TB_SERVER4" --methods dns,tls,http --timeout 1500 --rate 50 \
		-c allowed.example --vantage "$_n subscriber" \
		-o "$TB_DIR/inbox/$_n-probe.txt" --sign "$TB_DIR/$_n.key" >/dev/null 2>"$TB_DIR/$_n-probe.err"
	tb_stop_blockd
	"$BLOCKCTL" report --from "$today" --to "$tomorrow" --format csv \
		-o "$TB_DIR/inbox/$_n-report.csv" --sign "$TB_DIR/$_n.key" "$TB_DIR/$_n.jsonl" ||
		tb_fail "$_n: blockctl report --sign"
	"$BLOCKCTL" report --from "$today" --to "$tomorrow" --format html \
		--probe "$TB_DIR/inbox/$_n-probe.txt" -o "$TB_DIR/$_n-report.html" "$TB_DIR/$_n.jsonl" ||
		tb_fail "$_n: blockctl report --format html"
}
isp isp-a
isp isp-b flows.ports=80,8080
grep -q "	tls	exact.test	.*	fail	" "$TB_DIR/inbox/isp-b-probe.txt" ||
	tb_fail "isp-b's probe does not show TLS failing"

# Control: both ISPs' reports verify and are aggregated.
"$BLOCKRULES" reports -k "$TB_DIR/regulator/isp-keys" --json "$TB_DIR/inbox/"*.csv "$TB_DIR/inbox/"*.txt >"$TB_DIR/agg.json" \
	2>"$TB_DIR/agg.err" || tb_fail "reports of two ISPs exited $?: $(cat "$TB_DIR/agg.err")"
python3 - "$TB_DIR/agg.json" "$today" <<'EOP' || tb_fail "aggregate: $(cat "$TB_DIR/agg.json")"
import json, sys
d = json.load(open(sys.argv[1]))
today = sys.argv[2]
assert d["reports"] == 4 and sorted(d["isps"]) == ["isp-a", "isp-b"] and d["refused"] == [], d
cell = {(e["order"], e["isp"]): e for e in d["enforcement"] if e["day"] == today}
a, b = cell[("CL-2026-000401", "isp-a")], cell[("CL-2026-000401", "isp-b")]
assert a["status"] == "enforced" and a["probe"]["fail"] == 0, a
assert b["status"] == "failing" and b["probe"]["fail"] == 1, b
# The probe's blocks are in each ISP's log: DNS, TLS (A only) and HTTP.
assert a["blocks"]["dns"] >= 1 and a["blocks"]["tls"] >= 1 and a["blocks"]["http"] >= 1, a
assert b["blocks"]["tls"] == 0 and b["blocks"]["http"] >= 1, b
fails = [p for p in d["probe_results"] if p["verdict"] == "fail"]
assert {(p["isp"], p["method"]) for p in fails} == {("isp-b", "tls")}, fails
assert all(g["kind"] in ("no_log", "down") for g in d["coverage"]), d["coverage"]
EOP
echo "PASS two ISPs' signed reports verified and aggregated (isp-b failing on TLS)"

# A tampered copy of isp-a's report (a count raised after signing) and an unsigned file.
cp "$TB_DIR/inbox/isp-a-report.csv" "$TB_DIR/tampered.csv"
cp "$TB_DIR/inbox/isp-a-report.csv.minisig" "$TB_DIR/tampered.csv.minisig"
sed -i '2s/^\([^,]*,[^,]*,[^,]*\),[0-9]*/\1,999/' "$TB_DIR/tampered.csv"
cmp -s "$TB_DIR/tampered.csv" "$TB_DIR/inbox/isp-a-report.csv" && tb_fail "the tampering changed nothing"
printf 'day,order\n' >"$TB_DIR/unsigned.csv"
"$BLOCKRULES" reports -k "$TB_DIR/regulator/isp-keys" "$TB_DIR/tampered.csv" "$TB_DIR/unsigned.csv" \
	"$TB_DIR/inbox/isp-b-report.csv" >"$TB_DIR/agg2.txt" 2>"$TB_DIR/agg2.err"
rc=$?
[ $rc -eq 4 ] || tb_fail "reports with a tampered one exited $rc, not 4"
grep -q "^blockrules: reports: $TB_DIR/tampered.csv: refused: the signature of isp-a .* does not verify" \
	"$TB_DIR/agg2.err" || tb_fail "tampered report not refused by name: $(cat "$TB_DIR/agg2.err")"
grep -q "$TB_DIR/unsigned.csv: refused: unsigned" "$TB_DIR/agg2.err" || tb_fail "unsigned report not refused"
grep -q "^Compliance across ISPs: 1 reports from 1 ISPs$" "$TB_DIR/agg2.txt" ||
	tb_fail "the refused reports were counted: $(head -1 "$TB_DIR/agg2.txt")"
grep -q "999" "$TB_DIR/agg2.txt" && tb_fail "the tampered count reached the aggregate"
echo "PASS a tampered and an unsigned report refused, each named with its reason"

# The pages: self-contained, every text escaped, rendered by Chromium.
"$BLOCKRULES" reports -k "$TB_DIR/regulator/isp-keys" --format html -t "Regulator <test> & co" \
	-o "$TB_DIR/agg.html" "$TB_DIR/inbox/"*.csv "$TB_DIR/inbox/"*.txt "$TB_DIR/tampered.csv" 2>/dev/null
[ $? -eq 4 ] || tb_fail "reports --format html with a tampered report did not exit 4"
for f in agg.html isp-a-report.html isp-b-report.html; do
	if grep -Eiq '<script|src=|href=|url\(|@import|@font-face' "$TB_DIR/$f"; then
		tb_fail "$f fetches or runs something"
	fi
done
# chrome PAGE WHAT...: headless Chromium on file PAGE, with a fresh profile in TB_DIR.
chrome() {
	_p=$1
	shift
	_u=$(mktemp -d "$TB_DIR/chromium.XXXXXX")
	timeout 90 chromium --headless --no-sandbox --disable-gpu --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$_u" --window-size=1000,1600 "$@" "file://$_p" 2>>"$TB_DIR/chromium.log"
}
chrome "$TB_DIR/agg.html" --dump-dom >"$TB_DIR/agg.dom" || tb_fail "chromium --dump-dom failed"
python3 - "$TB_DIR/agg.dom" <<'EOP' || tb_fail "the rendered aggregate is not as expected"
import sys
from html.parser import HTMLParser

class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.text, self.rects, self.stack = [], [], {}, []
        self.rows = []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if tag == "rect":
            for c in (a.get("class") or "").split():
                self.rects[c] = self.rects.get(c, 0) + 1
        if tag == "tr":
            self.rows.append([a.get("class") or "", ""])
    def handle_data(self, d):
        self.text.append(d)
        if self.rows:
            self.rows[-1][1] += d

p = P()
p.feed(open(sys.argv[1]).read())
text = "".join(p.text)
assert "script" not in p.tags, "a script element"
assert "Regulator <test> & co" in text, "the title, escaped and shown as text"
assert "svg" in p.tags and p.rects.get("bar", 0) >= 4, p.rects
for m in ("dns", "http"):
    assert p.rects.get(m, 0) >= 2, (m, p.rects)   # a bar per ISP
assert p.rects.get("gap", 0) >= 1, p.rects          # the stops shaded
assert "Order CL-2026-000401" in text and "Order CL-2026-000402" in text
fails = [r for r in p.rows if r[0] == "fail"]
assert fails and all("isp-b" in r[1] and "tls" in r[1] for r in fails), fails
assert "tampered.csv: the signature of isp-a" in text, "the refused report, named"
assert "999" not in text
EOP
echo "PASS the aggregate's rendered DOM: charts with bars and gaps, failures, the refusal"
png=${REPORT_PNG:-build/t_compliance.png}
mkdir -p "$(dirname "$png")"
chrome "$TB_DIR/agg.html" --screenshot="$TB_DIR/agg.png" >/dev/null || tb_fail "chromium --screenshot"
chrome "$TB_DIR/isp-b-report.html" --screenshot="$TB_DIR/isp-b.png" >/dev/null ||
	tb_fail "chromium --screenshot of isp-b's report"
python3 -c 'import sys; d = open(sys.argv[1], "rb").read(24); assert d[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(d[16:20], "big") == 1000, d' \
	"$TB_DIR/agg.png" || tb_fail "the screenshot is not a 1000-pixel-wide PNG"
cp "$TB_DIR/agg.png" "$png"
cp "$TB_DIR/isp-b.png" "${png%.png}-isp-b.png"
chrome "$TB_DIR/isp-b-report.html" --dump-dom >"$TB_DIR/b.dom" || tb_fail "chromium --dump-dom (isp-b)"
grep -q "blockd report: isp-b" "$TB_DIR/b.dom" || tb_fail "isp-b's page has no title"
grep -q 'class="fail"' "$TB_DIR/b.dom" || tb_fail "isp-b's page shows no failing probe check"
echo "PASS pages rendered: $png, ${png%.png}-isp-b.png"
echo "t_compliance: all passed"
