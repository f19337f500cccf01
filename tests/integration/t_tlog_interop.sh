#!/bin/sh
# Transparency log interoperability: Go's sumdb/note and sumdb/tlog (an independent implementation)
# verify blockrules' checkpoints, tiles, entries and proofs; blockrules' appliance check accepts a
# checkpoint and proof that Go made, and refuses Go's fork of the same size. Root is not needed.
set -eu
cd "$(dirname "$0")/../.."
BR=$PWD/build/blockrules
SRC=$PWD/tests/lib/tlog_interop.go
[ -x "$BR" ] || { echo "build/blockrules missing: run make"; exit 1; }
command -v go >/dev/null || { echo "go not installed (apt-get install golang-go)"; exit 1; }
[ -d /usr/share/gocode/src/golang.org/x/mod/sumdb/tlog ] ||
	{ echo "golang.org/x/mod missing (apt-get install golang-golang-x-mod-dev)"; exit 1; }

T=$(mktemp -d /tmp/t_tlog_interop.XXXXXX)
trap 'rm -rf "$T"' EXIT INT TERM
fail() { echo "FAIL: $*"; exit 1; }

# The Go side, built offline from Debian's packaged sources.
GOCACHE=$T/gocache GOPATH=/usr/share/gocode GO111MODULE=off GOFLAGS= GOPROXY=off \
	go build -o "$T/interop" "$SRC" || fail "go build of tests/lib/tlog_interop.go"
GO=$T/interop
cd "$T"

"$BR" keygen -p regulator.pub -s regulator.key >/dev/null
today=$(date -u +%Y-%m-%d)
printf 'order CL-2026-000001\nauthority Test Court\ndate %s\nservice Service\n' "$today" >o.order
printf 'not-before %s\nnot-after %s\n' "$(date -u -d '-1 day' +%Y-%m-%dT%H:%M:%SZ)" \
	"$(date -u -d '+60 days' +%Y-%m-%dT%H:%M:%SZ)" >>o.order
printf 'notice Blocked by order.\nnotice-url https://orders.example/1\ndomain blocked.example\n' >>o.order
# list N: list-N, serial N, signed.
list() {
	"$BR" build -i "Test Regulator" -S "test bed" -d 30 -n "$1" -o "list-$1" o.order >/dev/null
	"$BR" sign -s regulator.key "list-$1" >/dev/null
}

"$BR" log init -o log.example/blocklists -s log.sec -p log.pub log >/dev/null || fail "log init"
[ "$(stat -c %a log.sec)" = 600 ] || fail "the log's secret key is not mode 600"

# 1. 260 lists: a full tile and a partial one at level 0, one tile at level 1.
i=1
while [ $i -le 260 ]; do
	list $i
	"$BR" log append -s log.sec log "list-$i" >append.out 2>&1 || { cat append.out; fail "append $i"; }
	i=$((i + 1))
done
[ -f log/tile/0/000 ] && [ -f log/tile/0/001.p/4 ] && [ -f log/tile/1/000.p/1 ] &&
	[ -f log/tile/entries/000 ] && [ -f log/tile/entries/001.p/4 ] || fail "tiles: $(find log/tile -type f)"
"$GO" verify log.pub log list-260 || fail "Go refuses list 260's proof"
"$BR" log prove -p log.pub log list-7 >/dev/null || fail "log prove list-7"
"$GO" verify log.pub log list-7 || fail "Go refuses list 7's proof"
"$BR" log check -p log.pub list-7 | grep -q "^ok: list-7 is leaf 6 of log.example/blocklists, tree size 260" ||
	fail "log check list-7"
echo "PASS Go's note and tlog verify blockrules' checkpoint, tiles, entries and proofs (260 lists)"

# 2. A list changed after it was logged is not the logged list, for Go and for blockrules.
cp list-7 changed && cp list-7.minisig changed.minisig && cp list-7.tlog-proof changed.tlog-proof
sed -i 's/^scope test bed$/scope elsewhere/' changed
out=$("$BR" log check -p log.pub changed 2>&1) && fail "a changed list passed: $out"
echo "$out" | grep -q "the list is not in the log under this checkpoint" || fail "changed list: $out"
echo "PASS a list changed after logging is refused: $out"

# 3. The reverse: a log, checkpoint and proof made by Go; blockrules' check accepts them.
list 9000
"$GO" make go.example/log . list-9000 || fail "Go make"
out=$("$BR" log check -p log.vkey -S seen list-9000 2>&1) || fail "blockd's check refuses Go's proof: $out"
echo "$out" | grep -q "^ok: list-9000 is leaf 5 of go.example/log, tree size 9" || fail "$out"
echo "PASS blockd's check accepts Go's checkpoint, inclusion and consistency proofs: $out"
out=$("$BR" log check -p log.vkey -S fork list-9000 2>&1) && fail "a fork passed: $out"
echo "$out" | grep -q "split view: the log signed two different trees of size 9" || fail "fork: $out"
echo "PASS a Go-signed fork of the same size is refused: $out"
