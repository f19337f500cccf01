#!/bin/sh
# blockd-witness: cosigns a growing log (first checkpoint, then with a consistency proof), refuses a
# second tree of one size signed by the log key, a shrinking tree and a proof from the wrong size;
# its state survives; blockrules log check counts its cosignature. Root is not needed.
set -eu
cd "$(dirname "$0")/../.."
BR=$PWD/build/blockrules
W=$PWD/build/blockd-witness
[ -x "$BR" ] && [ -x "$W" ] || { echo "build/blockrules or build/blockd-witness missing: run make"; exit 1; }
T=$(mktemp -d /tmp/t_tlog_witness.XXXXXX)
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

"$BR" keygen -p regulator.pub -s regulator.key >/dev/null
printf 'order CL-1\nauthority Test Court\ndate %s\nservice Service\n' "$(date -u +%Y-%m-%d)" >o.order
printf 'not-before %s\nnot-after %s\n' "$(date -u -d '-1 day' +%Y-%m-%dT%H:%M:%SZ)" \
	"$(date -u -d '+60 days' +%Y-%m-%dT%H:%M:%SZ)" >>o.order
printf 'notice Blocked.\nnotice-url https://orders.example/1\ndomain blocked.example\n' >>o.order
list() {
	"$BR" build -i "Test Regulator" -S "$2" -d 30 -n "$1" -o "$3" o.order >/dev/null
	"$BR" sign -s regulator.key "$3" >/dev/null
}

expect 0 "$W" --help
grepq "usage: blockd-witness keygen"
expect 2 "$W"
expect 0 "$W" keygen -n witness.example/w1 -s w1.sec -p w1.pub
grepq "^witness.example/w1+[0-9a-f]\{8\}+"
[ "$(stat -c %a w1.sec)" = 600 ] || fail "the witness's secret key is not mode 600"
"$BR" log init -o log.example/lists -s log.sec -p log.pub log >/dev/null
mkdir state

# 1. The first checkpoint (old 0), then a larger one with its consistency proof.
list 1 "test bed" a.list
"$BR" log append -s log.sec log a.list >/dev/null
"$BR" log request -p log.pub log 0 >req1
expect 0 "$W" cosign -s w1.sec -l log.pub -d state -o cosig1 req1
grep -q "^— witness.example/w1 " cosig1 || fail "no cosignature line: $(cat cosig1)"
cp -r log log-at-1
list 2 "test bed" b.list
"$BR" log append -s log.sec log b.list >/dev/null
list 3 "test bed" c.list
"$BR" log append -s log.sec log c.list >/dev/null
"$BR" log request -p log.pub log 1 >req3
expect 0 "$W" cosign -s w1.sec -l log.pub -d state -o cosig3 req3
"$BR" log cosign -p log.pub log cosig3 >/dev/null
"$BR" log prove -p log.pub log c.list >/dev/null
expect 0 "$BR" log check -p log.pub -w w1.pub -q 1 c.list
grepq "tree size 3, cosigned by 1"
echo "PASS the witness cosigned sizes 1 and 3; blockrules log check counts its cosignature"

# 2. The witness's state: a second cosign of the same tree is fine; of size 3 from old 1 is not.
"$BR" log request -p log.pub log 3 >req3b
expect 0 "$W" cosign -s w1.sec -l log.pub -d state req3b
expect 1 "$W" cosign -s w1.sec -l log.pub -d state req3
grepq "refused: the proof is from size 1, but the last checkpoint cosigned has size 3"
echo "PASS a proof from an older size than the one last cosigned is refused: $(cat out.txt)"

# 3. Split view: the log key signs another tree of size 3 (a fork from size 1).
cp -r log-at-1 fork
list 2 "elsewhere" x.list
"$BR" log append -s log.sec fork x.list >/dev/null
list 3 "elsewhere" y.list
"$BR" log append -s log.sec fork y.list >/dev/null
"$BR" log request -p log.pub fork 3 >reqfork
sed -i '1,/^$/d' reqfork
printf 'old 3\n\n' | cat - reqfork >reqfork3
expect 1 "$W" cosign -s w1.sec -l log.pub -d state reqfork3
grepq "refused: split view: the log signed two different trees of size 3"
echo "PASS the witness refuses a second tree of size 3: $(cat out.txt)"
"$BR" log request -p log.pub fork 1 >reqfork1
expect 1 "$W" cosign -s w1.sec -l log.pub -d state reqfork1
grepq "refused: split view"

# 4. A shrinking tree: the checkpoint of size 1 after size 3.
"$BR" log request -p log.pub log-at-1 0 >req-old
sed -i '1s/.*/old 3/' req-old
expect 1 "$W" cosign -s w1.sec -l log.pub -d state req-old
grepq "refused: the log shrank: size 1 after size 3 was cosigned"
echo "PASS the witness refuses a shrinking tree: $(cat out.txt)"

# 5. A checkpoint not signed by the log key.
"$BR" log init -o log.example/lists -s other.sec -p other.pub other >/dev/null
"$BR" log request -p other.pub other 0 >req-other
expect 1 "$W" cosign -s w1.sec -l log.pub -d state req-other
grepq "not signed by the log key log.example/lists"
echo "PASS a checkpoint the log key did not sign is refused"

# 6. Too few cosignatures for the appliance's policy.
expect 0 "$W" keygen -n witness.example/w2 -s w2.sec -p w2.pub
expect 1 "$BR" log check -p log.pub -w w1.pub -w w2.pub -q 2 c.list
grepq "the checkpoint is cosigned by 1 trusted witness, 2 required"
echo "PASS a checkpoint with too few cosignatures is refused: $(cat out.txt)"
