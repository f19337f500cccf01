#!/bin/sh
# A signed list renamed into rules_dir is enforced without SIGHUP while queries keep flowing, none
# lost; a junk list put there is refused, the list in force stays, and blockctl status says why.
set -u
. tests/lib/netns.sh

tb_setup
tb_start_unbound
tb_list_atomic "domain blocked.example CL-2026-000123" "domain www.blocked.example CL-2026-000123" \
	"domain deep.www.blocked.example CL-2026-000123"
tb_start_blockd
ctl() {
	"${BLOCKCTL:-build/blockctl}" -s "$TB_DIR/control.sock" "$@"
}

# Queries in a loop from the client: one line per answer (or timeout) until told to stop.
tb_spawn digloop "$TB_NS_CLIENT" sh -c '
while [ ! -e "$1/digstop" ]; do
	for n in exact.test allowed.example; do
		out=$(dig +time=2 +tries=1 @"$2" "$n" A 2>&1)
		case $out in
		*"status: NXDOMAIN"*) echo "$n NXDOMAIN" ;;
		*"status: NOERROR"*"ANSWER SECTION"*) echo "$n NOERROR" ;;
		*) echo "$n LOST" ;;
		esac
	done
done' sh "$TB_DIR" "$TB_RESOLVER4"
tb_wait_for grep -q "exact.test NOERROR" "$TB_DIR/digloop.log" || tb_fail "the dig loop gets no answers"

tb_list_atomic "domain blocked.example CL-2026-000123" "domain www.blocked.example CL-2026-000123" \
	"domain deep.www.blocked.example CL-2026-000123" "domain exact.test CL-2026-000456"
tb_wait_for grep -q "exact.test NXDOMAIN" "$TB_DIR/digloop.log" ||
	tb_fail "exact.test not blocked after the new list arrived: $(tail -5 "$TB_DIR/blockd.log")"
n=$(wc -l <"$TB_DIR/digloop.log")
tb_wait_for sh -c "[ \$(wc -l <'$TB_DIR/digloop.log') -ge $((n + 6)) ]" || tb_fail "the loop stalled"
touch "$TB_DIR/digstop"
tb_wait_for sh -c "! kill -0 $(tb_pid digloop)" || tb_fail "the dig loop did not stop"
grep -q "changed: reloading the list" "$TB_DIR/blockd.log" || tb_fail "no reload on the change"
grep -q "list serial 2 in force" "$TB_DIR/blockd.log" || tb_fail "serial 2 not in force"
if grep -q "LOST" "$TB_DIR/digloop.log"; then
	tb_fail "queries lost: $(grep -c LOST "$TB_DIR/digloop.log")"
fi
if grep -q "allowed.example NXDOMAIN" "$TB_DIR/digloop.log"; then
	tb_fail "allowed.example blocked"
fi
# Once blocked, exact.test stays blocked.
if sed -n '/exact.test NXDOMAIN/,$p' "$TB_DIR/digloop.log" | grep -q "exact.test NOERROR"; then
	tb_fail "exact.test answered again after it was blocked"
fi
echo "PASS new list enforced on arrival, $(wc -l <"$TB_DIR/digloop.log") queries, none lost"

# Junk renamed into place: refused, serial 2 stays, and status names the reason.
printf 'junk\n' >"$TB_DIR/rules/.blocklist.partial"
mv "$TB_DIR/rules/.blocklist.partial" "$TB_DIR/rules/blocklist"
tb_wait_for sh -c "'${BLOCKCTL:-build/blockctl}' -s '$TB_DIR/control.sock' status | grep -q 'last reload refused'" ||
	tb_fail "status does not report the refusal: $(ctl status)"
out=$(ctl status)
echo "$out" | grep -q "list: serial 2 " || tb_fail "serial 2 not in force after junk: $out"
echo "$out" | grep -q "last reload refused at .*: .*blocklist" || tb_fail "refusal reason: $out"
out=$(ctl -j status)
echo "$out" | grep -q '"last_refusal":{"time":[0-9]*,"reason":"' || tb_fail "json status: $out"
grep -q '"state":"reload_refused"' "$TB_DIR/enforcement.jsonl" || tb_fail "no reload_refused record"
out=$(tb_client dig +time=2 +tries=1 @"$TB_RESOLVER4" exact.test A 2>&1)
case $out in *"status: NXDOMAIN"*) ;; *) tb_fail "exact.test not blocked after the junk list" ;; esac
echo "PASS junk list refused, serial 2 in force, blockctl status says why"
tb_stop_blockd TERM
echo "t_ops_inotify: all passed"
