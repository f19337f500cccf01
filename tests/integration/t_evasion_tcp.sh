#!/bin/sh
# Evasion by TCP itself: urgent bytes, data on the SYN, decoys the server's stack drops (an
# MD5 signature, an old timestamp, no ACK, two IPv6 Hop-by-Hop headers), a RST that does not
# land, names past a flow's 8th packet, and overlapping copies that disagree, either copy the
# one the server keeps; DNS over TCP cut out of order, in overlapping copies that disagree,
# and pipelined. Each case is first sent with blockd stopped: the real server (nginx,
# Unbound) must take the stream and serve the blocked name, or the case proves nothing. Then
# with blockd running: blocked. IPv4 and IPv6.
set -u
. tests/lib/netns.sh

tb_setup
tb_start_unbound
tb_start_nginx

fails=0
fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}
py=/usr/bin/python3 # the Debian python, which has scapy

tb_client_raw_ports

port=40000
# evade KIND ADDR CASE NAME...: evade_tcp.py's cases, each from a port never used before.
evade() {
	_k=$1 _a=$2
	shift 2
	ev_out=$(tb_client $py tests/lib/evade_tcp.py "$_k" $port "$_a" "$@" 2>&1)
	port=$((port + $# / 2))
}
expect() {
	_bad=$(echo "$2" | awk -v w="$1" '$NF != w')
	if [ -z "$2" ] || [ -n "$_bad" ]; then
		fail "$3: want $1, got: $(echo "${_bad:-nothing}" | tr '\n' ';')"
		return 1
	fi
	echo "$2" | sed "s|^|PASS $3: |"
}

# cases PHASE: every case against both address families; PHASE is control or blocked.
cases() {
	for addr in "$TB_SERVER4" "$TB_SERVER6"; do
		case $addr in *:*) fam=v6 res=$TB_RESOLVER6 ;; *) fam=v4 res=$TB_RESOLVER4 ;; esac
		if [ "$1" = control ]; then
			tls=handshake http=served:blocked.example/x pad="200 blocked.example/x"
			dns=answered
		else
			tls=reset http=451 pad="451 -" dns=NXDOMAIN
		fi
		list="syn blocked.example md5 blocked.example paws blocked.example
			noack blocked.example fin blocked.example
			ovlast blocked.example ovfirst blocked.example"
		[ $fam = v6 ] && list="$list hbh2 blocked.example"
		evade tls "$addr" urg blocked.example $list
		expect $tls "$ev_out" "$1: TLS, $fam"
		# A whole hello for the other name that a link past the appliance drops (too big for
		# it: the server's side drops TCP packets over 1280 bytes), then the real one at the
		# same place: read as a copy of its own.
		tb_server nft -f - <<'EOT' || tb_fail "cannot narrow the server's link"
table inet narrow {
	chain in {
		type filter hook prerouting priority -400; policy accept;
		meta l4proto tcp meta length > 1280 counter drop
	}
}
EOT
		evade tls "$addr" bigfirst blocked.example
		dropped=$(tb_server nft list chain inet narrow in | grep -o 'packets [0-9]*')
		tb_server nft delete table inet narrow
		# The first copy must not have reached the server, or the case proves nothing.
		[ "$dropped" != "packets 0" ] || fail "$1: bigfirst: the first copy was not dropped"
		expect $tls "$ev_out" "$1: TLS, first copy dropped past the appliance, $fam"
		# (Urgent data in a request: nginx stops reading at the urgent byte and never
		# answers, so the case proves nothing for HTTP.)
		evade http "$addr" $list
		expect $http "$ev_out" "$1: HTTP, $fam"
		# Length: a hello in 12 segments, a request head of 12 KiB.
		expect $tls "$(tb_client python3 tests/lib/tls_split.py "$addr" blocked.example \
			many 2>&1)" "$1: hello in 12 segments, $fam"
		out=$(tb_client python3 tests/lib/http_raw.py "$addr" padded 2>&1)
		[ "$out" = "padded $pad" ] && echo "PASS $1: request padded to 12 KiB, $fam" ||
			fail "$1: request padded to 12 KiB, $fam: want $pad, got $out"
		# The same tricks for the allowed name: served either way.
		# The same tricks for the allowed name, where the decoy names the blocked one: a
		# request behind a decoy the server drops is served; a TLS decoy is a copy
		# blockd reads too, so only urgent bytes are tried there.
		evade http "$addr" md5 allowed.example paws allowed.example noack allowed.example
		expect served:allowed.example/x "$ev_out" "$1: HTTP, allowed name served, $fam"
		evade tls "$addr" urg allowed.example fin allowed.example
		expect handshake "$ev_out" "$1: TLS, allowed name passes, $fam"
		# DNS over TCP to Unbound: out of order, disagreeing copies either way round,
		# a blocked query pipelined behind an allowed one.
		evade dns "$res" rev blocked.example ovlast blocked.example \
			ovfirst blocked.example pipe blocked.example
		expect $dns "$ev_out" "$1: DNS over TCP, $fam"
		evade dns "$res" rev allowed.example pipe allowed.example
		expect answered "$ev_out" "$1: DNS over TCP, allowed name answered, $fam"
	done
}

# Segments without ACK are INVALID to conntrack, which the queue rules never queue: the
# server drops them too, so tcp_bad_ack is not checked here (unit tests cover it).

# Control: no blockd, the server reads every crafted stream as meant.
cases control

tb_blockd_conf
tb_list "suffix blocked.example CL-2026-000123"
tb_start_blockd
c0=""
for k in tcp_md5 tcp_paws tcp_urgent tcp_syn_data dns_evasive http_evasive; do
	c0="$c0 $(tb_stat $k)"
done
cases blocked
set -- $c0
for k in tcp_md5 tcp_paws tcp_urgent tcp_syn_data dns_evasive http_evasive; do
	n=$(tb_stat $k)
	[ "$n" -ge $(($1 + 4)) ] && echo "PASS $k counted ($1 -> $n)" ||
		fail "$k went from $1 to $n, want 4 more"
	shift
done

[ "$fails" -eq 0 ] || exit 1
echo "t_evasion_tcp: all passed"
