#!/bin/sh
# Transparency end to end: blockd with [transparency] enforces a list only from the public log,
# cosigned by a trusted witness and consistent with every checkpoint it saw. Controls first: two
# logged, cosigned lists are accepted (the second with its consistency proof) and the enforcement
# log names their checkpoints. Then the log key signs a second tree of the same size: the witness
# that saw the first refuses to cosign it, and blockd, which saw the first, refuses it as a split
# view; a list absent from the log, a truncated proof, a checkpoint without enough cosignatures
# and a rolled-back tree are each refused with their reason; the list in force stays, and the
# next honest list is accepted, also across a restart.
set -u
. tests/lib/netns.sh

BR=${BLOCKRULES:-build/blockrules}
W=${BLOCKD_WITNESS:-build/blockd-witness}
[ -x "$W" ] || tb_fail "$W missing: run make"

tb_setup
tb_blockd_conf
D=$TB_DIR
mkdir -p "$D/stage"
"$BR" keygen -p "$D/keys/regulator.pub" -s "$D/regulator.key" >/dev/null || tb_fail "keygen"
"$BR" log init -o log.example/blocklists -s "$D/log.sec" -p "$D/log.pub" "$D/log" >/dev/null ||
	tb_fail "log init"
for w in w1 w2 w3; do
	"$W" keygen -n "witness.example/$w" -s "$D/$w.sec" -p "$D/$w.pub" >/dev/null || tb_fail "witness keygen"
	mkdir -p "$D/$w.state"
done
{
	echo "[transparency]"
	echo "log_key = $(cat "$D/log.pub")"
	echo "witnesses = $(cat "$D/w1.pub") $(cat "$D/w2.pub") $(cat "$D/w3.pub")"
	echo "witnesses_required = 1"
} >>"$D/blockd.conf"
printf 'order CL-2026-000123\nauthority Test Court\ndate %s\nservice Service\n' "$(date -u +%Y-%m-%d)" >"$D/o.order"
printf 'not-before %s\nnot-after %s\n' "$(date -u -d '-1 day' +%Y-%m-%dT%H:%M:%SZ)" \
	"$(date -u -d '+60 days' +%Y-%m-%dT%H:%M:%SZ)" >>"$D/o.order"
printf 'notice Blocked.\nnotice-url https://orders.example/1\n' >>"$D/o.order"

# stage NAME SERIAL DOMAIN: a signed list D/stage/NAME blocking DOMAIN.
stage() {
	cp "$D/o.order" "$D/stage/$1.order"
	echo "domain $3" >>"$D/stage/$1.order"
	"$BR" build -i "Test Regulator" -S "test bed" -d 30 -n "$2" -o "$D/stage/$1" "$D/stage/$1.order" >/dev/null ||
		tb_fail "build $1"
	"$BR" sign -s "$D/regulator.key" "$D/stage/$1" >/dev/null || tb_fail "sign $1"
}
# logged LOG NAME WITNESS OLD: appends stage/NAME to LOG, has WITNESS cosign from size OLD (none:
# "-"), and writes NAME's proof files with the (co)signed checkpoint.
logged() {
	"$BR" log append -s "$D/log.sec" "$D/$1" "$D/stage/$2" >/dev/null || tb_fail "append $2 to $1"
	if [ "$3" != - ]; then
		"$BR" log request -p "$D/log.pub" "$D/$1" "$4" >"$D/req" || tb_fail "request"
		"$W" cosign -s "$D/$3.sec" -l "$D/log.pub" -d "$D/$3.state" -o "$D/cosig" "$D/req" ||
			tb_fail "$3 refused to cosign $2"
		"$BR" log cosign -p "$D/log.pub" "$D/$1" "$D/cosig" >/dev/null || tb_fail "log cosign"
	fi
	"$BR" log prove -p "$D/log.pub" "$D/$1" "$D/stage/$2" >/dev/null || tb_fail "prove $2"
}
# deliver NAME: the proofs and signature, then the list, into rules_dir (as blockd-fetch does).
deliver() {
	rm -f "$D/rules/blocklist".*
	for s in .minisig .tlog-proof .tlog-consistency; do
		[ -f "$D/stage/$1$s" ] && cp "$D/stage/$1$s" "$D/rules/blocklist$s"
	done
	cp "$D/stage/$1" "$D/rules/.blocklist.tmp" && mv "$D/rules/.blocklist.tmp" "$D/rules/blocklist"
}
# refused WHY: after SIGHUP the list is refused for WHY; the enforced serial stays.
refused() {
	# inotify may reload while the files arrive; the reload after SIGHUP sees them all.
	kill -HUP "$(tb_pid blockd)"
	tb_wait_for sh -c "grep 'reload refused' '$D/blockd.log' | tail -n 1 |
		grep -qF 'serial $2 stays in force: transparency: ' && grep 'reload refused' '$D/blockd.log' |
		tail -n 1 | grep -qF '$1'" ||
		tb_fail "not refused for '$1': $(grep 'reload refused' "$D/blockd.log" | tail -n 1)"
	grep -q "list serial [0-9]* in force" "$D/blockd.log" &&
		[ "$(grep -o 'list serial [0-9]* in force' "$D/blockd.log" | tail -n 1)" = "list serial $2 in force" ] ||
		tb_fail "the list in force changed"
	echo "PASS refused: $(grep 'reload refused' "$D/blockd.log" | tail -n 1 | sed 's/.*transparency: //')"
}
accepted() {
	kill -HUP "$(tb_pid blockd)"
	tb_wait_for grep -q "list serial $1 in force: .*transparency log log.example/blocklists leaf $2 of tree size $3" "$D/blockd.log" ||
		tb_fail "serial $1 not in force: $(tail -n 3 "$D/blockd.log")"
}

# 1. Controls: serial 1 at start; serial 2 after SIGHUP, consistent with the checkpoint seen.
stage s1 1 one.example
logged log s1 w1 0
cp -r "$D/log" "$D/log-at-1"
deliver s1
tb_start_blockd
tb_wait_for grep -q "list serial 1 in force: .*transparency log log.example/blocklists leaf 0 of tree size 1, root .*, cosigned by 1" "$D/blockd.log" ||
	tb_fail "serial 1 not in force: $(tail -n 5 "$D/blockd.log")"
stage s2 2 two.example
logged log s2 w1 1
cp -r "$D/log" "$D/log-at-2"
deliver s2
accepted 2 1 2
tb_wait_for grep -q '"state":"reload","serial":2,.*list serial 2 accepted, transparency log log.example/blocklists leaf 1 of tree size 2, root ' "$D/enforcement.jsonl" ||
	tb_fail "the enforcement log does not name the checkpoint: $(tail -n 2 "$D/enforcement.jsonl")"
cmp -s "$D/state/rules.tlog" "$D/stage/s2.tlog-proof" 2>/dev/null && tb_fail "rules.tlog is the proof file"
tb_wait_for grep -q "^2$" "$D/state/rules.tlog" || tb_fail "state_dir/rules.tlog is not the checkpoint of size 2"
echo "PASS controls: logged, cosigned lists accepted; the enforcement log names their checkpoints"
stage s3 3 three.example
logged log s3 w1 2
deliver s3
accepted 3 2 3

# 2. Split view: the log key signs another tree of size 3 (from size 2, with serial 4 in it).
stage f4 4 fork.example
logged log-at-2 f4 - 0
"$BR" log request -p "$D/log.pub" "$D/log-at-2" 3 >"$D/req"
out=$("$W" cosign -s "$D/w1.sec" -l "$D/log.pub" -d "$D/w1.state" "$D/req" 2>&1) &&
	tb_fail "the witness cosigned a second tree of size 3"
echo "$out" | grep -q "refused: split view: the log signed two different trees of size 3" || tb_fail "witness: $out"
echo "PASS the witness that saw the first tree of size 3 refuses the second: $out"
"$BR" log request -p "$D/log.pub" "$D/log-at-2" 0 >"$D/req"
"$W" cosign -s "$D/w2.sec" -l "$D/log.pub" -d "$D/w2.state" -o "$D/cosig" "$D/req" || tb_fail "w2 (which saw nothing) refused"
"$BR" log cosign -p "$D/log.pub" "$D/log-at-2" "$D/cosig" >/dev/null
"$BR" log prove -p "$D/log.pub" "$D/log-at-2" "$D/stage/f4" >/dev/null
deliver f4
refused "split view: the log signed two different trees of size 3" 3

# 3. A list absent from the log, with the proof of a logged one.
stage s5 5 five.example
cp "$D/stage/s3.tlog-proof" "$D/stage/s5.tlog-proof"
cp "$D/stage/s3.tlog-consistency" "$D/stage/s5.tlog-consistency"
deliver s5
refused "the list is not in the log under this checkpoint (leaf 2 of 3): the inclusion proof does not lead to the root hash" 3

# 4. Too few cosignatures: logged, but not (yet) cosigned.
logged log s5 - 3
deliver s5
refused "the checkpoint is cosigned by 0 trusted witnesses, 1 required" 3

# 5. A truncated proof: the last hash left out.
"$BR" log request -p "$D/log.pub" "$D/log" 3 >"$D/req"
"$W" cosign -s "$D/w1.sec" -l "$D/log.pub" -d "$D/w1.state" -o "$D/cosig" "$D/req" || tb_fail "w1 refused size 4"
"$BR" log cosign -p "$D/log.pub" "$D/log" "$D/cosig" >/dev/null
"$BR" log prove -p "$D/log.pub" "$D/log" "$D/stage/s5" >/dev/null
cp "$D/stage/s5.tlog-proof" "$D/s5.good"
awk 'BEGIN{h=0} /^index /{print; h=1; next} h==1 && /^$/ {h=0} h==1 {last=$0; if (n++ > 0) print prev; prev=$0; next} {print}' \
	"$D/s5.good" >"$D/stage/s5.tlog-proof"
[ "$(wc -l <"$D/stage/s5.tlog-proof")" -eq $(($(wc -l <"$D/s5.good") - 1)) ] || tb_fail "truncating the proof"
deliver s5
refused "the inclusion proof is too short for the tree size" 3

# 6. A rolled-back tree: a checkpoint of size 2 (from size 1, a new list in it) after size 3.
stage r6 6 six.example
logged log-at-1 r6 w3 0
deliver r6
refused "the log was rolled back: its checkpoint of size 2 is older than the newest seen (size 3)" 3

# 7. The honest list, cosigned, whole: accepted; and again after a restart, from state_dir.
cp "$D/s5.good" "$D/stage/s5.tlog-proof"
deliver s5
accepted 5 3 4
tb_wait_for grep -q "^4$" "$D/state/rules.tlog" || tb_fail "rules.tlog is not the checkpoint of size 4"
tb_stop_blockd TERM
mv "$D/blockd.log" "$D/blockd.1.log"
tb_start_blockd
tb_wait_for grep -q "list serial 5 in force: .*transparency log log.example/blocklists leaf 3 of tree size 4" "$D/blockd.log" ||
	tb_fail "serial 5 not in force after a restart: $(tail -n 5 "$D/blockd.log")"
echo "PASS the honest list is accepted after every refusal, and again after a restart"
"$BR" audit -p "$D/log.pub" "$D/log" >"$D/audit.txt" || tb_fail "audit: $(cat "$D/audit.txt")"
grep -q "^entry domain five.example (order CL-2026-000123): entered serial 5 (leaf 3, .*still listed" "$D/audit.txt" ||
	tb_fail "audit: $(cat "$D/audit.txt")"
echo "PASS the public audit shows what the appliance enforces"
