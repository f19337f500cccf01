#!/bin/sh
# Evasion: a client that cuts, reorders, repeats, fragments and dresses up what it sends to
# slip a blocked name past blockd. Each case is blocked, or is a limit blockd documents
# (blockd(8), Evasion) and counts, and then the counter must move. IPv4 and IPv6.
set -u
. tests/lib/netns.sh

tb_setup
tb_start_unbound
tb_start_nginx
tb_blockd_conf
tb_list "suffix blocked.example CL-2026-000123"
tb_start_blockd
# Conntrack checks TCP checksums at its own cost unless told not to, as appliances often
# are; then a segment with a wrong one never reaches the queue rules. Turned off here so
# the fakes reach blockd, which must check them itself.
tb_appliance sysctl -qw net.netfilter.nf_conntrack_checksum=0 ||
	tb_fail "cannot turn off conntrack's checksum check"
# The server is one hop past the appliance, where the queue rules see a TTL already
# lowered: a fake sent with TTL 2 shows TTL 1 to blockd and would still reach the server.
# A hop further on it would expire: the server drops what arrives with TTL 1 as that hop would.
tb_server nft -f - <<'EOF' || tb_fail "cannot install the server's TTL filter"
table inet evasion {
	chain in {
		type filter hook prerouting priority -400; policy accept;
		ip ttl 1 drop
		ip6 hoplimit 1 drop
	}
}
EOF

fails=0
fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}
# The Debian python, which has scapy.
py=/usr/bin/python3

tb_client_raw_ports

# evade_tls ADDR CASE NAME...: evade.py's TLS cases, each from a source port never used before;
# the output in $ev_out (not called in a subshell, so the next port is remembered).
port=40000
evade_tls() {
	_a=$1
	shift
	ev_out=$(tb_client $py tests/lib/evade.py tls $port "$_a" "$@" 2>&1)
	port=$((port + $# / 2))
}

ctl() {
	"${BLOCKCTL:-build/blockctl}" -s "$TB_DIR/control.sock" "$@"
}
# expect WANT OUTPUT WHAT: every line of OUTPUT ("[CASE ...] RESULT") ends in WANT; one PASS
# line per case.
expect() {
	_bad=$(echo "$2" | awk -v w="$1" '$NF != w')
	if [ -z "$2" ] || [ -n "$_bad" ]; then
		fail "$3: want $1, got: $(echo "${_bad:-nothing}" | tr '\n' ';')"
		return 1
	fi
	echo "$2" | sed "s|^|PASS $3: |"
}

for addr in "$TB_SERVER4" "$TB_SERVER6"; do
	case $addr in *:*) fam=v6 res=$TB_RESOLVER6 ;; *) fam=v4 res=$TB_RESOLVER4 ;; esac

	# 1. The hello cut after each of its first 12 bytes (the record header, the handshake
	# header and the start of the version), and at every byte inside the name.
	for name in www.blocked.example allowed.example; do
		modes=$(seq 1 12 | sed 's/^/at/')
		modes="$modes $(seq 1 $((${#name} - 1)) | sed 's/^/sni/')"
		out=$(tb_client python3 tests/lib/tls_split.py "$addr" $name \
			"$(echo $modes | tr ' ' ',')" 2>&1)
		case $name in
		allowed.*) expect handshake "$out" "cut at every offset, $name passes, $fam" ;;
		*) expect reset "$out" "cut at every offset, $name reset, $fam" ;;
		esac
	done

	# 4. The hello over three records, one segment each, and over 3-byte records.
	expect reset "$(tb_client python3 tests/lib/tls_split.py "$addr" www.blocked.example \
		records3,tiny 2>&1)" "hello over 3 and over 3-byte records, blocked reset, $fam"
	expect handshake "$(tb_client python3 tests/lib/tls_split.py "$addr" allowed.example \
		records3,tiny 2>&1)" "hello over 3 and over 3-byte records, allowed passes, $fam"

	# 7. The server name in odd case and with a trailing dot.
	for name in WwW.BlOcKeD.ExAmPlE www.blocked.example. BLOCKED.EXAMPLE.; do
		expect reset "$(tb_client python3 tests/lib/tls_split.py "$addr" $name whole,insni \
			2>&1)" "server name $name reset, $fam"
	done
	expect handshake "$(tb_client python3 tests/lib/tls_split.py "$addr" AlLoWeD.ExAmPlE. \
		whole 2>&1)" "server name AlLoWeD.ExAmPlE. passes, $fam"

	# 2, 3, 5, 6. Segments out of order, copies that disagree, IP fragments, IPv6
	# extension headers: hand-made packets.
	ev0=$(tb_stat tls_evasive)
	cases="ooo blocked.example again blocked.example again allowed.example
		overlap blocked.example overlap allowed.example thrice blocked.example
		frag blocked.example"
	[ $fam = v6 ] && cases="$cases dstopt blocked.example"
	evade_tls "$addr" $cases
	expect reset "$ev_out" "out of order, disagreeing copies, fragments, options: reset, $fam"
	cases="ooo allowed.example frag allowed.example"
	[ $fam = v6 ] && cases="$cases dstopt allowed.example"
	evade_tls "$addr" $cases
	expect handshake "$ev_out" "out of order, fragments, options: allowed passes, $fam"
	# A copy in the middle, between two that agree, is not read: counted, no_sni decides.
	evade_tls "$addr" thrice allowed.example
	expect handshake "$ev_out" "three copies, the middle one blocked: passes, $fam"
	n=$(tb_stat tls_evasive)
	[ "$n" -ge $((ev0 + 6)) ] &&
		echo "PASS disagreeing copies counted in tls_evasive ($ev0 -> $n), $fam" ||
		fail "tls_evasive went from $ev0 to $n, want 6 more, $fam"

	# 9. Fakes the server never reads, as zapret and GoodbyeDPI send them: the hello naming
	# the other name first at the same sequence numbers, with a wrong TCP checksum (passed
	# unread), or with a TTL lower than the SYN's (read for a blocked name only: a low
	# copy naming the blocked name resets too). blockd goes by the SYN's TTL, not by
	# where the fake dies.
	cs0=$(tb_stat tcp_bad_checksum) tt0=$(tb_stat tcp_low_ttl)
	evade_tls "$addr" badsum blocked.example lowttl blocked.example lowttl allowed.example
	expect reset "$ev_out" "fake hello (bad checksum, low TTL) before the real one: reset, $fam"
	evade_tls "$addr" badsum allowed.example
	expect handshake "$ev_out" "fake blocked hello with a bad checksum is not read: passes, $fam"
	cs=$(tb_stat tcp_bad_checksum) tt=$(tb_stat tcp_low_ttl)
	[ "$cs" -ge $((cs0 + 2)) ] && [ "$tt" -ge $((tt0 + 2)) ] &&
		echo "PASS fakes counted: tcp_bad_checksum $cs0 -> $cs, tcp_low_ttl $tt0 -> $tt, $fam" ||
		fail "fakes: tcp_bad_checksum $cs0 -> $cs, tcp_low_ttl $tt0 -> $tt, want 2 more each, $fam"

	# A hello in 12 segments, or whole only after 10 more one-byte segments: undecided
	# flows stay queued for a byte budget, not 8 packets, so the whole hello is judged.
	expect reset "$(tb_client python3 tests/lib/tls_split.py "$addr" www.blocked.example \
		early,many 2>&1)" "hello in 12 segments, blocked reset, $fam"
	expect handshake "$(tb_client python3 tests/lib/tls_split.py "$addr" allowed.example \
		early,many 2>&1)" "hello in 12 segments, allowed passes, $fam"

	# 5, 6. DNS in IP fragments, and behind IPv6 extension headers.
	cases="frag blocked.example"
	[ $fam = v6 ] && cases="$cases ext blocked.example ext www.blocked.example"
	expect NXDOMAIN "$(tb_client $py tests/lib/evade.py dns "$res" $cases 2>&1)" \
		"DNS query in fragments, behind extension headers: NXDOMAIN, $fam"
	cases="frag allowed.example"
	[ $fam = v6 ] && cases="$cases ext allowed.example"
	expect NOERROR "$(tb_client $py tests/lib/evade.py dns "$res" $cases 2>&1)" \
		"DNS query in fragments, behind extension headers: allowed answered, $fam"

	# 7. DNS names in odd case, over TCP (UDP over IPv4 is in t_dns_block).
	out=$(tb_client dig +tcp +time=3 +tries=1 @"$res" BlOcKeD.ExAmPlE AAAA 2>&1)
	echo "$out" | grep -q "status: NXDOMAIN" && echo "PASS DNS odd case over TCP, $fam" ||
		fail "DNS odd case over TCP, $fam: not NXDOMAIN"

	# 8. HTTP: the Host field dressed up, the absolute form, pipelining.
	# Each line "CASE STATUS PAGE" becomes "CASE ok" when it is the notice and no page.
	out=$(tb_client python3 tests/lib/http_raw.py "$addr" hostcase hostport hostspace hostdot \
		absolute pipelined twohosts twohostsrev 2>&1 | awk '{ print $0, ($2 == "451" && $3 == "-") ? "ok" : "bad" }')
	expect ok "$out" "HTTP request dressed up: 451 and no page, $fam"
	out=$(tb_client python3 tests/lib/http_raw.py "$addr" allowed absallowed 2>&1 |
		awk '{ print $0, ($2 == "200" && $3 == "allowed.example/x") ? "ok" : "bad" }')
	expect ok "$out" "HTTP request for the allowed host dressed up: served, $fam"
	# A request after the 8th packet of a connection is judged too (a byte budget).
	out=$(tb_client python3 tests/lib/http_raw.py "$addr" late 2>&1)
	[ "$out" = "late 451 -" ] && echo "PASS HTTP request after the 8th packet: 451, $fam" ||
		fail "HTTP request after the 8th packet, $fam: $out"
done

# Every reset and notice of a blocked name is in the log under its order.
log="$TB_DIR/enforcement.jsonl"
has_events() {
	[ "$(grep -c '"method":"tls".*"order":"CL-2026-000123".*"action":"reset"' "$log")" -ge 99 ] &&
		[ "$(grep -c '"method":"http".*"action":"notice"' "$log")" -ge 16 ] &&
		[ "$(grep -c '"method":"dns".*"action":"nxdomain"' "$log")" -ge 6 ]
}
tb_wait_for has_events || fail "events missing from the log: $(grep -c . "$log") lines"

# Under no_sni = block and unjudged = block, what blockd cannot read is reset (the middle copy,
# no_sni), and a hello in many segments is still read whole within the byte budget.
tb_stop_blockd
tb_blockd_conf tls.no_sni=block flows.unjudged=block
tb_start_blockd
for addr in "$TB_SERVER4" "$TB_SERVER6"; do
	evade_tls "$addr" thrice allowed.example
	expect reset "$ev_out" \
		"no_sni = block: three disagreeing copies reset, $addr"
	expect handshake "$(tb_client python3 tests/lib/tls_split.py "$addr" allowed.example many 2>&1)" \
		"no_sni = block: allowed hello in 12 segments read whole, passes, $addr"
	expect handshake "$(tb_client python3 tests/lib/tls_split.py "$addr" allowed.example \
		at1,early 2>&1)" "no_sni = block: allowed hellos still pass, $addr"
done

[ "$fails" -eq 0 ] || exit 1
echo "t_evasion: all passed"
