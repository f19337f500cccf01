#!/bin/sh
# Signals during reloads of a 200,000-entry list: SIGHUP, SIGUSR1 (after the log was renamed, as
# logrotate does) and blockctl reload arrive without pause while new lists are delivered. blockd
# ends with the newest list in force, answers every query consistently meanwhile (never a
# half-swapped list), and loses no log record. SIGTERM during a reload stops it cleanly: rules
# removed, log chain intact, and a restart restores a whole accepted list.
set -u
. tests/lib/netns.sh

BR=${BLOCKRULES:-build/blockrules}
ENTRIES=200000

tb_setup
tb_start_unbound
tb_blockd_conf
S=$TB_DIR/stage
mkdir -p "$S" "$TB_DIR/keys"
"$BR" keygen -p "$TB_DIR/keys/regulator.pub" -s "$TB_DIR/regulator.key" >/dev/null ||
	tb_fail "blockrules keygen"

# stage SERIAL NAME...: a signed list of $ENTRIES names bNNNNNNN.blocked.example and each NAME
# (domain entries of one order), in $S as blocklist and blocklist.minisig.
stage() {
	_serial=$1
	shift
	{
		printf 'order CL-2026-000900\nauthority Test Court\ndate %s\n' "$(date -u +%Y-%m-%d)"
		printf 'service Service bench\nnot-before %s\nnot-after %s\n' \
			"$(date -u -d '-1 day' +%Y-%m-%dT%H:%M:%SZ)" \
			"$(date -u -d '+30 days' +%Y-%m-%dT%H:%M:%SZ)"
		printf 'notice Blocked by order CL-2026-000900.\n'
		printf 'notice-url https://orders.example/CL-2026-000900\n'
		awk -v n="$ENTRIES" 'BEGIN { for (i = 0; i < n; i++) printf "domain b%07d.blocked.example\n", i }'
		for _n; do
			echo "domain $_n"
		done
	} >"$S/order"
	"$BR" build -i "Test Regulator" -S "test bed" -d 30 -n "$_serial" -o "$S/blocklist" \
		"$S/order" >"$S/log" 2>&1 &&
		"$BR" sign -s "$TB_DIR/regulator.key" "$S/blocklist" >>"$S/log" 2>&1 ||
		tb_fail "blockrules: $(cat "$S/log")"
}
# deliver: renamed into rules_dir, signature first, as blockd-fetch does.
deliver() {
	mv -f "$S/blocklist.minisig" "$TB_DIR/rules/blocklist.minisig"
	mv -f "$S/blocklist" "$TB_DIR/rules/blocklist"
}
ctl() {
	"${BLOCKCTL:-build/blockctl}" -s "$TB_DIR/control.sock" "$@"
}
serial_is() {
	ctl status | grep -q "^list: serial $1 "
}
lines() {
	wc -l <"$1"
}
grown() { # FILE N: FILE has more than N lines
	[ "$(lines "$1")" -gt "$2" ]
}

stage 1 blocked.example
deliver
tb_start_blockd
tb_wait_for test -S "$TB_DIR/control.sock" || tb_fail "no control socket"
serial_is 1 || tb_fail "serial 1 not in force: $(ctl status)"
pid=$(tb_pid blockd)

# The client asks all along: one line per answer.
tb_spawn digloop "$TB_NS_CLIENT" sh -c '
while [ ! -e "$1/digstop" ]; do
	for n in blocked.example exact.test other.test allowed.example; do
		out=$(dig +time=2 +tries=1 @"$2" "$n" A 2>&1)
		case $out in
		*"status: NXDOMAIN"*) echo "$n NXDOMAIN" ;;
		*"status: NOERROR"*"ANSWER SECTION"*) echo "$n NOERROR" ;;
		*) echo "$n LOST" ;;
		esac
	done
done' sh "$TB_DIR" "$TB_RESOLVER4"
tb_wait_for grep -q "allowed.example NOERROR" "$TB_DIR/digloop.log" || tb_fail "the dig loop gets no answers"

# The storm: SIGHUP, the log renamed and SIGUSR1, blockctl reload, again and again, no pause.
tb_spawn storm "$TB_NS_APPL" sh -c '
log=$2/enforcement.jsonl
while [ ! -e "$2/stormstop" ]; do
	kill -HUP "$1"
	mv "$log" "$log.$(date -u +%Y%m%dT%H%M%S.%6NZ)" 2>/dev/null
	kill -USR1 "$1"
	out=$("$3" -s "$2/control.sock" reload 2>&1)
	echo "$? $out"
done' sh "$pid" "$TB_DIR" "${BLOCKCTL:-build/blockctl}"
tb_wait_for grep -q "^0 serial 1 in force" "$TB_DIR/storm.log" || tb_fail "the storm gets no answers"

stage 2 blocked.example exact.test
deliver
tb_wait_for -t 30 serial_is 2 || tb_fail "serial 2 not in force under the storm: $(ctl status)"
n=$(lines "$TB_DIR/storm.log")
tb_wait_for -t 30 grown "$TB_DIR/storm.log" $((n + 3)) || tb_fail "the storm stalled"
stage 3 blocked.example exact.test other.test
deliver
tb_wait_for -t 30 serial_is 3 || tb_fail "serial 3 not in force under the storm: $(ctl status)"
n=$(lines "$TB_DIR/storm.log")
tb_wait_for -t 30 grown "$TB_DIR/storm.log" $((n + 3)) || tb_fail "the storm stalled"
touch "$TB_DIR/stormstop"
tb_wait_for -t 30 sh -c "! kill -0 $(tb_pid storm)" || tb_fail "the storm did not stop"
n=$(lines "$TB_DIR/digloop.log")
tb_wait_for grown "$TB_DIR/digloop.log" $((n + 8)) || tb_fail "the dig loop stalled"
touch "$TB_DIR/digstop"
tb_wait_for sh -c "! kill -0 $(tb_pid digloop)" || tb_fail "the dig loop did not stop"

tb_alive blockd || tb_fail "blockd died in the storm"
serial_is 3 || tb_fail "serial 3 not in force after the storm: $(ctl status)"
# Every blockctl reload was answered: the list in force, or (between the signature's and the
# list's renames) a refusal that kept it.
bad=$(grep -v "^0 serial [123] in force$" "$TB_DIR/storm.log" |
	grep -v "^1 refused, serial [123] stays in force: " | head -n 3)
[ -z "$bad" ] || tb_fail "blockctl reload under the storm: $bad"
# Serials in force only ever went up.
awk '$1 == 0 { if ($3 < last) exit 1; last = $3 }' "$TB_DIR/storm.log" ||
	tb_fail "a reload answered an older serial: $(cat "$TB_DIR/storm.log")"
reloads=$(lines "$TB_DIR/storm.log")
hups=$(grep -c "SIGHUP: reloading the list" "$TB_DIR/blockd.log")
[ "$hups" -ge 3 ] || tb_fail "only $hups SIGHUPs taken"
# Never a half-swapped list: each name's answer changes at most once, and only one way.
grep -q LOST "$TB_DIR/digloop.log" && tb_fail "queries lost: $(grep -c LOST "$TB_DIR/digloop.log")"
grep -q "blocked.example NOERROR" "$TB_DIR/digloop.log" && tb_fail "blocked.example answered"
grep -q "allowed.example NXDOMAIN" "$TB_DIR/digloop.log" && tb_fail "allowed.example blocked"
for name in exact.test other.test; do
	sed -n "/^$name NXDOMAIN/,\$p" "$TB_DIR/digloop.log" | grep -q "^$name NOERROR" &&
		tb_fail "$name answered again after it was blocked"
	grep -q "^$name NXDOMAIN" "$TB_DIR/digloop.log" || tb_fail "$name never blocked"
done
echo "PASS $reloads blockctl reloads and $hups SIGHUP reloads with SIGUSR1 between, serial 3 in force," \
	"$(lines "$TB_DIR/digloop.log") queries answered consistently"

# Every accepted and refused reload is in the log, across the renamed files.
records() {
	cat "$TB_DIR"/enforcement.jsonl* | grep -c "\"state\":\"$1\""
}
# The first "in force" line is the start's, which is a start record, not a reload record.
records_ok() {
	[ "$(records reload)" -eq $(($(grep -c "list serial [0-9]* in force: " "$TB_DIR/blockd.log") - 1)) ] &&
		[ "$(records reload_refused)" -eq "$(grep -c "reload refused" "$TB_DIR/blockd.log")" ]
}
tb_wait_for records_ok || tb_fail "records lost: $(records reload) reload and $(records reload_refused) reload_refused records"
set -- "$TB_DIR"/enforcement.jsonl*
files=$#
"${BLOCKCTL:-build/blockctl}" -f "$TB_DIR/blockd.conf" log verify >"$TB_DIR/verify.log" 2>&1 ||
	tb_fail "log verify after the storm: $(cat "$TB_DIR/verify.log")"
echo "PASS every reload recorded, the chain verifies across $files files"

# SIGTERM while a reload is under way: it ends cleanly.
stage 4 blocked.example exact.test other.test www.blocked.example
c=$(grep -c "changed: reloading the list" "$TB_DIR/blockd.log")
deliver
reloading() {
	[ "$(grep -c "changed: reloading the list" "$TB_DIR/blockd.log")" -gt "$c" ]
}
tb_wait_for reloading || tb_fail "no reload on delivery"
kill -TERM "$pid"
tb_wait_for -t 30 sh -c "! kill -0 $pid" || tb_fail "blockd did not stop after SIGTERM"
wait "$pid"
rc=$?
[ $rc -eq 0 ] || tb_fail "blockd exited $rc after SIGTERM during a reload"
grep -q "stopped" "$TB_DIR/blockd.log" || tb_fail "no clean stop"
# The reload under way when SIGTERM came was finished first: its outcome is logged before the stop.
awk '/changed: reloading the list/ { r = 1; next }
	r && /list serial [0-9]* in force|reload refused/ { r = 0 }
	/SIGTERM: stopping/ { exit r }' "$TB_DIR/blockd.log" ||
	tb_fail "stopped in the middle of a reload: $(tail -n 12 "$TB_DIR/blockd.log")"
if tb_appliance nft list ruleset | grep -qi blockd; then
	tb_fail "nft rules left: $(tb_appliance nft list ruleset)"
fi
if tb_appliance iptables-nft-save -t mangle | grep -q BLOCKD; then
	tb_fail "iptables chains left"
fi
"${BLOCKCTL:-build/blockctl}" -f "$TB_DIR/blockd.conf" log verify >"$TB_DIR/verify.log" 2>&1 ||
	tb_fail "log verify after SIGTERM: $(cat "$TB_DIR/verify.log")"
echo "PASS SIGTERM during a reload: exit 0, rules removed, chain verifies"

# A restart without a list in rules_dir restores the last accepted one, whole: 3, or 4 if that
# reload finished before the stop.
rm -f "$TB_DIR/rules/blocklist"*
last=$(sed -n 's/^serial //p' "$TB_DIR/state/rules.serial")
case $last in 3 | 4) ;; *) tb_fail "state holds serial '$last'" ;; esac
tb_start_blockd
grep -q "list serial $last in force: $((ENTRIES + last)) entries, 1 orders (last accepted)" \
	"$TB_DIR/blockd.log" || tb_fail "serial $last not restored: $(grep "in force" "$TB_DIR/blockd.log")"
serial_is "$last" || tb_fail "serial $last not in force after restart: $(ctl status)"
out=$(tb_client dig +time=2 +tries=1 @"$TB_RESOLVER4" www.blocked.example A 2>&1)
case $last:$out in
4:*"status: NXDOMAIN"* | 3:*"status: NOERROR"*) ;;
*) tb_fail "serial $last restored, but www.blocked.example: $out" ;;
esac
tb_stop_blockd TERM
"${BLOCKCTL:-build/blockctl}" -f "$TB_DIR/blockd.conf" log verify >"$TB_DIR/verify.log" 2>&1 ||
	tb_fail "log verify after the restart: $(cat "$TB_DIR/verify.log")"
echo "PASS restart restores serial $last whole; the chain verifies"
echo "t_reload_signals: all passed"
