#!/bin/sh
# DNS blocking end to end: dig and kdig from the client, UDP and TCP, IPv4 and IPv6, A, AAAA and
# HTTPS; blocked names get NXDOMAIN with EDE 16 naming the order, everything else Unbound's answer.
set -u
. tests/lib/netns.sh

tb_setup
tb_start_unbound
tb_blockd_conf
tb_list "suffix blocked.example CL-2026-000123" "domain exact.test CL-2026-000456"
tb_start_blockd

fails=0
fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}

# blocked TOOL TRANSPORT SERVER TYPE NAME REF
blocked() {
	case $1 in
	dig) out=$(tb_client dig "+$2" +time=3 +tries=1 @"$3" "$5" "$4" 2>&1) ;;
	kdig) out=$(tb_client kdig +edns "+$2" +time=3 +retry=0 @"$3" "$5" "$4" 2>&1) ;;
	esac
	echo "$out" | grep -q "status: NXDOMAIN" || {
		fail "$*: not NXDOMAIN"
		echo "$out" >&2
		return
	}
	echo "$out" | grep -q "EDE: 16 (Censored)" || fail "$*: no EDE 16"
	echo "$out" | grep -q "order $6" || fail "$*: EDE text lacks the order reference $6"
	echo "$out" | grep -qi "ANSWER: 0" || fail "$*: answer section not empty"
	echo "PASS blocked $*"
}

# resolves TRANSPORT SERVER TYPE NAME: Unbound's real answer comes back.
resolves() {
	out=$(tb_client dig "+$1" +time=3 +tries=1 +short @"$2" "$4" "$3" 2>&1)
	case $3 in
	A) want=$TB_SERVER4 ;;
	AAAA) want=$TB_SERVER6 ;;
	HTTPS) want="1 ." ;;
	esac
	[ "$out" = "$want" ] || fail "$*: got '$out', want '$want'"
	echo "PASS resolves $*"
}

for tool in dig kdig; do
	for tr in notcp tcp; do
		for srv in "$TB_RESOLVER4" "$TB_RESOLVER6"; do
			for t in A AAAA HTTPS; do
				blocked $tool $tr "$srv" $t blocked.example CL-2026-000123
			done
		done
	done
done

# Suffix entry: the name and every name below it.
for n in www.blocked.example deep.www.blocked.example; do
	blocked dig notcp "$TB_RESOLVER4" A $n CL-2026-000123
	blocked dig tcp "$TB_RESOLVER6" AAAA $n CL-2026-000123
done
# Exact entry: the name only.
blocked dig notcp "$TB_RESOLVER4" A exact.test CL-2026-000456
blocked dig tcp "$TB_RESOLVER6" HTTPS exact.test CL-2026-000456
resolves notcp "$TB_RESOLVER4" A sub.exact.test
resolves tcp "$TB_RESOLVER6" AAAA sub.exact.test

# Unblocked names, every transport and type.
for tr in notcp tcp; do
	for srv in "$TB_RESOLVER4" "$TB_RESOLVER6"; do
		for t in A AAAA HTTPS; do
			resolves $tr "$srv" $t allowed.example
		done
	done
done
resolves notcp "$TB_RESOLVER4" A other.test

# Case (0x20) and the trailing dot: still blocked, the question echoed as asked.
out=$(tb_client dig +time=3 +tries=1 @"$TB_RESOLVER4" WwW.BlOcKeD.ExAmPlE. A)
echo "$out" | grep -q "status: NXDOMAIN" || fail "mixed case name not blocked"
echo "$out" | grep -q "^;WwW.BlOcKeD.ExAmPlE.[[:space:]]" || fail "question case not echoed"
# Without EDNS: NXDOMAIN and no OPT record at all (RFC 6891 7).
out=$(tb_client dig +noedns +time=3 +tries=1 @"$TB_RESOLVER4" blocked.example A)
echo "$out" | grep -q "status: NXDOMAIN" || fail "no-EDNS query not blocked"
echo "$out" | grep -q "OPT PSEUDOSECTION" && fail "OPT record added to a query without EDNS"
# A TCP connection blocked mid-way: the answer is whole and the connection ends cleanly.
out=$(tb_client dig +tcp +keepopen +time=3 +tries=1 @"$TB_RESOLVER4" blocked.example A allowed.example A)
echo "$out" | grep -q "status: NXDOMAIN" || fail "TCP keepopen: blocked name not answered"

# A TCP query split across segments (the length alone, then the rest; or cut mid-name).
for cut in 2 2,9 20; do
	for srv in "$TB_RESOLVER4" "$TB_RESOLVER6"; do
		got=$(tb_client python3 tests/lib/dns_split.py "$srv" www.blocked.example $cut)
		[ "$got" = NXDOMAIN ] || fail "split TCP query (cut $cut, $srv): got $got"
		got=$(tb_client python3 tests/lib/dns_split.py "$srv" allowed.example $cut)
		[ "$got" = NOERROR ] || fail "split TCP query for an allowed name (cut $cut, $srv): got $got"
	done
done
echo "PASS split TCP queries"

# Many queries from one socket (one source port): each one is judged, none slips through.
for i in $(seq 1 50); do echo "blocked.example A"; echo "allowed.example AAAA"; done >"$TB_DIR/q.txt"
out=$(tb_client dnsperf -s "$TB_RESOLVER4" -d "$TB_DIR/q.txt" -c 1 -n 1 -t 3 2>&1)
echo "$out" | grep -q "NXDOMAIN 50 " || fail "same-port queries: $(echo "$out" | grep -i "response codes")"
echo "$out" | grep -q "NOERROR 50 " || fail "same-port queries: allowed answers missing"
echo "PASS same source port, 100 queries"

# Malformed queries of every kind: passed and counted, and blockd keeps blocking.
tb_client python3 tests/lib/dns_junk.py "$TB_RESOLVER4" 400
tb_client python3 tests/lib/dns_junk.py "$TB_RESOLVER6" 400
tb_alive blockd || tb_fail "blockd died on malformed queries"
blocked dig notcp "$TB_RESOLVER4" A blocked.example CL-2026-000123
blocked dig tcp "$TB_RESOLVER6" A blocked.example CL-2026-000123

# Every block was logged with its order.
n=$(grep -c "\"record\":\"block\".*\"order\":\"CL-2026-000123\"" "$TB_DIR/enforcement.jsonl")
[ "$n" -ge 24 ] || fail "expected at least 24 enforcement records for CL-2026-000123, got $n"

tb_stop_blockd
grep -q "dns_blocked=" "$TB_DIR/blockd.log" || fail "no counters logged at stop"
grep -q "dns_bad=[1-9]" "$TB_DIR/blockd.log" || fail "malformed queries not counted"

# Sinkhole answers: A and AAAA point at the notice addresses, other types get NODATA; ede=no
# keeps the OPT record but drops the Extended DNS Error.
tb_blockd_conf dns.action=sinkhole dns.sinkhole_v4=203.0.113.7 dns.sinkhole_v6=2001:db8:3::7 \
	dns.ttl=60 dns.ede=no
tb_start_blockd
for tr in notcp tcp; do
	out=$(tb_client dig +$tr +short +time=3 +tries=1 @"$TB_RESOLVER4" www.blocked.example A)
	[ "$out" = 203.0.113.7 ] || fail "sinkhole A over $tr: got '$out'"
	out=$(tb_client dig +$tr +short +time=3 +tries=1 @"$TB_RESOLVER6" www.blocked.example AAAA)
	[ "$out" = 2001:db8:3::7 ] || fail "sinkhole AAAA over $tr: got '$out'"
done
out=$(tb_client dig +time=3 +tries=1 @"$TB_RESOLVER4" blocked.example HTTPS)
echo "$out" | grep -q "status: NOERROR" || fail "sinkhole HTTPS: not NOERROR"
echo "$out" | grep -q "ANSWER: 0" || fail "sinkhole HTTPS: not NODATA"
echo "$out" | grep -q "EDE:" && fail "ede=no still sends an Extended DNS Error"
echo "$out" | grep -q "OPT PSEUDOSECTION" || fail "ede=no dropped the OPT record"
out=$(tb_client dig +time=3 +tries=1 @"$TB_RESOLVER4" blocked.example A)
echo "$out" | grep -q "blocked.example.[[:space:]]*60[[:space:]]*IN[[:space:]]*A[[:space:]]*203.0.113.7" ||
	fail "sinkhole record lacks ttl 60"
grep -q '"action":"sinkhole"' "$TB_DIR/enforcement.jsonl" || fail "no sinkhole record in the log"
tb_stop_blockd
echo "PASS sinkhole"
[ $fails -eq 0 ] || exit 1
echo "t_dns_block: all passed"
