#!/bin/sh
# blockrules and the real minisign sign and verify each other's lists and keys; thresholds count keys.
set -eu
cd "$(dirname "$0")/../.."
BR=$PWD/build/blockrules
DATA=$PWD/tests/data/rules
SHARED=$PWD/packaging/shared-infrastructure
VERSION=$(cat VERSION)
command -v minisign >/dev/null || { echo "minisign not installed (apt-get install minisign)"; exit 1; }
[ -x "$BR" ] || { echo "build/blockrules missing: run make"; exit 1; }

T=$(mktemp -d /tmp/t_rules_minisign.XXXXXX)
trap 'rm -rf "$T"' EXIT INT TERM
cd "$T"

fail() { echo "FAIL: $*"; exit 1; }
# expect STATUS command...: runs it, output in out.txt, fails unless it exits with STATUS.
expect() {
	want=$1
	shift
	rc=0
	"$@" >out.txt 2>&1 || rc=$?
	[ "$rc" -eq "$want" ] || { cat out.txt; fail "'$*' exited $rc, expected $want"; }
}
grepq() { grep -q -- "$1" out.txt || { cat out.txt; fail "output lacks '$1'"; }; }

expect 0 "$BR" --version
grepq "^blockrules $VERSION$"
expect 2 "$BR"
grepq "usage: blockrules keygen"
expect 2 "$BR" frobnicate

# Keys: two from blockrules, one from minisign itself (unencrypted, -W).
expect 0 "$BR" keygen -p a.pub -s a.key
expect 0 "$BR" keygen -p b.pub -s b.key
expect 2 "$BR" keygen -p a.pub -s a.key
grepq "a.key exists"
minisign -G -W -p m.pub -s m.key >/dev/null 2>&1 || fail "minisign -G -W"
mkdir keys
cp a.pub b.pub m.pub keys/

expect 0 "$BR" build -i "Example Regulator" -S "test jurisdiction" -d 30 -n 1 -o list "$DATA/x.order"
grepq "list: serial 1, 1 orders, 5 entries"

# blockrules signs, minisign verifies.
expect 0 "$BR" sign -s a.key list
expect 0 minisign -V -p a.pub -m list
grepq "Signature and comment signature verified"
# minisign signs (as the second signer), blockrules verifies both.
expect 0 minisign -S -s m.key -m list -x list.minisig.2 -t "second signer"
expect 0 "$BR" verify -s "$SHARED" -t -k keys -n 2 list
grepq "list.minisig: good"
grepq "list.minisig.2: good"
grepq "serial 1 accepted: 5 of 5 entries"
# Keys cross over too: minisign signs with a blockrules key, blockrules with a minisign key.
expect 0 minisign -S -s b.key -m list -x list.minisig.3
expect 0 minisign -V -p b.pub -m list -x list.minisig.3
expect 0 "$BR" sign -s m.key -x m.sig list
expect 0 minisign -V -p m.pub -m list -x m.sig
expect 0 "$BR" verify -s "$SHARED" -t -k keys -n 3 list

# One key signing twice counts once.
rm -f list.minisig.*
expect 0 "$BR" sign -s a.key -x list.minisig.2 list
expect 1 "$BR" verify -s "$SHARED" -t -k keys -n 2 list
grepq "already signed (counts once)"
grepq "signed by 1 distinct trusted key, 2 required"
expect 1 "$BR" sign -s a.key list
grepq "already signed by key ID"

# A changed byte fails in both tools.
cp list tampered
cp list.minisig tampered.minisig
sed -i 's/^\tservice X$/\tservice Z/' tampered
cmp -s list tampered && fail "tampering changed nothing"
expect 1 "$BR" verify -s "$SHARED" -t -k keys tampered
grepq "signature does not match the file"
expect 1 minisign -V -p a.pub -m tampered

# Lint names file and line; diff shows the change per order; export writes a zone.
printf 'blocklist 1\nissuer A\nscope B\nserial 01\n' >bad.list
expect 1 "$BR" lint bad.list
grepq "bad.list:4: serial must be"
sed 's/^ip 192.0.2.10$/ip 192.0.2.11/' "$DATA/x.order" >y.order
expect 0 "$BR" build -i "Example Regulator" -S "test jurisdiction" -d 30 -P list -o list2 y.order
grepq "list2: serial 2"
grep -q "^previous [0-9a-f]\{128\}$" list2 || fail "previous digest missing"
expect 0 "$BR" diff list list2
grepq "^order CL-2026-000123:"
grepq "^+ ip 192.0.2.11"
grepq "^- ip 192.0.2.10"
expect 0 "$BR" export --rpz -s "$SHARED" -t -z rpz.test. -o zone list
grep -q "^\*\.x\.example CNAME \. ; order CL-2026-000123$" zone || fail "zone lacks *.x.example"
expect 0 "$BR" show list
grepq "order CL-2026-000123 (in force)"
echo "ok"
