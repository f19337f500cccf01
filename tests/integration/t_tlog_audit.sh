#!/bin/sh
# blockrules audit: rebuilds the whole history of a log of 10,000 lists from its static files
# (every entry, tile, list and the checkpoint verified; when each order and entry entered and
# left the lists, in text and JSON), and detects one changed leaf: a rewritten entry bundle,
# a list file that is not the logged one, and a history rewritten and re-signed by the log key
# against the checkpoint an earlier audit saved. Also over HTTP. Root is not needed.
set -eu
cd "$(dirname "$0")/../.."
BR=$PWD/build/blockrules
[ -x "$BR" ] || { echo "build/blockrules missing: run make"; exit 1; }
T=$(mktemp -d /tmp/t_tlog_audit.XXXXXX)
HTTPD=
trap '[ -z "$HTTPD" ] || kill "$HTTPD" 2>/dev/null; rm -rf "$T"' EXIT INT TERM
cd "$T"
fail() { echo "FAIL: $*"; exit 1; }
N=${TLOG_AUDIT_LISTS:-10000}

# List i blocks d<i> and d<i+1>: each domain enters with one list and leaves with the next but one.
printf 'order CL-1\nauthority Test Court\ndate 2026-12-01\nservice Service\n' >t.order
printf 'not-before 2026-12-01T00:00:00Z\nnot-after 2027-06-01T00:00:00Z\n' >>t.order
printf 'notice Blocked.\nnotice-url https://orders.example/1\n' >>t.order
printf 'domain d00000.example\ndomain d00001.example\n' >>t.order
"$BR" build -i "Test Regulator" -S "test bed" -t 2026-12-01T00:00:00Z -d 60 -n 1 -o tmpl t.order >/dev/null
mkdir lists
python3 - "$N" <<'PY'
import datetime, sys
n = int(sys.argv[1])
t = open("tmpl").read()
base = datetime.datetime(2026, 12, 1)
for i in range(n):
    issued = (base + datetime.timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
    s = t.replace("serial 1\n", "serial %d\n" % (i + 1)).replace(
        "issued 2026-12-01T00:00:00Z", "issued " + issued).replace(
        "d00001.example", "d%05d.example" % (i + 1)).replace(
        "d00000.example", "d%05d.example" % i)
    open("lists/%05d" % i, "w").write(s)
PY
"$BR" log init -o log.example/lists -s log.sec -p log.pub log >/dev/null
cp log/checkpoint empty.checkpoint
(cd lists && ls | xargs "$BR" log append -P -s ../log.sec ../log) >append.out || fail "append: $(cat append.out)"
tail -n 1 append.out

# 1. The whole history, verified; the checkpoint saved for the next audit.
"$BR" audit -p log.pub -w audited.checkpoint log >audit.txt || fail "audit: $(tail -n 3 audit.txt)"
head -n 1 audit.txt | grep -q "^log log.example/lists: tree size $N, root .*: checkpoint, tiles, entries and lists verified$" ||
	fail "audit header: $(head -n 1 audit.txt)"
[ "$(grep -c '^list leaf ' audit.txt)" -eq "$N" ] || fail "not $N lists"
[ "$(grep -c '^entry domain ' audit.txt)" -eq $((N + 1)) ] || fail "not $((N + 1)) entries"
grep -q "^entry domain d00002.example (order CL-1): entered serial 2 (leaf 1, issued 2026-12-01T00:01:00Z), left serial 4 (leaf 3, issued 2026-12-01T00:03:00Z)$" audit.txt ||
	fail "d00002's span: $(grep d00002 audit.txt)"
grep -q "^entry domain d$(printf %05d "$N").example (order CL-1): entered serial $N .*, still listed$" audit.txt ||
	fail "the last domain is not still listed"
grep -q "^order CL-1 (Test Court; Service): entered serial 1 (leaf 0, issued 2026-12-01T00:00:00Z), still listed$" audit.txt ||
	fail "the order's span"
"$BR" audit -p log.pub -j log >audit.json
python3 - "$N" <<'PY' || fail "audit --json"
import json, sys
n = int(sys.argv[1])
a = json.load(open("audit.json"))
assert a["verified"] and a["size"] == n and len(a["lists"]) == n
e = [x for x in a["entries"] if x["value"] == "d00002.example"][0]
assert e["entered"]["serial"] == 2 and e["left"]["serial"] == 4, e
assert a["orders"][0]["left"] is None
PY
echo "PASS the audit rebuilds the history of $N lists: every list, order and entry, when each entered and left"

# 2. One changed leaf in an entry bundle: the tiles and the checkpoint no longer agree.
cp -r log tampered
python3 - <<'PY'
p = "tampered/tile/entries/x019/500"
import os
p = p if os.path.exists(p) else "tampered/tile/entries/019"
b = bytearray(open(p, "rb").read())
i = b.index(b"serial ")
b[i + 7] = ord("9") if b[i + 7] != ord("9") else ord("8")
open(p, "wb").write(bytes(b))
PY
out=$("$BR" audit -p log.pub tampered 2>&1) && fail "a changed leaf passed"
echo "$out" | grep -q "audit failed: the entries do not give the checkpoint's root hash: an entry was rewritten" ||
	fail "changed leaf: $out"
echo "PASS one changed leaf among $N is detected: $out"

# 3. A list file swapped for another behind its logged hash.
cp -r log swapped
cp lists/00001 "swapped/lists/$(sha256sum lists/00000 | cut -c1-64)"
out=$("$BR" audit -p log.pub swapped 2>&1) && fail "a swapped list passed"
echo "$out" | grep -q "audit failed: leaf 0: .*its SHA-256 is .*, not the logged one" || fail "swapped: $out"
echo "PASS a list file that is not the logged one is detected"

# 4. History rewritten by the log key itself: every file consistent and signed, one leaf changed.
mkdir rewritten
cp empty.checkpoint rewritten/checkpoint
sed -i 's/^scope test bed$/scope somewhere else/' lists/04999
(cd lists && ls | xargs "$BR" log append -P -s ../log.sec ../rewritten) >/dev/null
"$BR" audit -p log.pub rewritten >/dev/null || fail "the rewritten log does not verify on its own"
out=$("$BR" audit -p log.pub -S audited.checkpoint rewritten 2>&1) && fail "a rewritten history passed"
echo "$out" | grep -q "audit failed: the log's history was rewritten: its first $N entries now give root .*, but the log signed .* for them before" ||
	fail "rewritten: $out"
echo "PASS a history rewritten and re-signed by the log key is detected against the saved checkpoint"
out=$("$BR" audit -p log.pub -S audited.checkpoint log 2>&1 >/dev/null) || fail "the same log against its own checkpoint: $out"

# 5. Over HTTP (curl): the static files as any web server serves them.
port=$((20000 + $$ % 20000))
python3 -m http.server -d log -b 127.0.0.1 "$port" >http.log 2>&1 &
HTTPD=$!
i=0
until curl -sf "http://127.0.0.1:$port/checkpoint" >/dev/null; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "the web server did not start"
	sleep 0.1
done
rm -rf small && mkdir small && cp empty.checkpoint small/checkpoint
(cd lists && "$BR" log append -P -s ../log.sec ../small 00000 00001 00002 00003 00004) >/dev/null
kill "$HTTPD"; wait "$HTTPD" 2>/dev/null || true
python3 -m http.server -d small -b 127.0.0.1 "$port" >http.log 2>&1 &
HTTPD=$!
i=0
until curl -sf "http://127.0.0.1:$port/checkpoint" >/dev/null; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "the web server did not start"
	sleep 0.1
done
"$BR" audit -p log.pub "http://127.0.0.1:$port" >http.txt || fail "audit over HTTP: $(cat http.txt)"
grep -q "tree size 5, root" http.txt || fail "audit over HTTP: $(head -n 1 http.txt)"
echo "PASS the audit reads a log over HTTP"
