#!/bin/sh
# Evasion by spelling: TLS, HTTP and DNS streams that nginx, OpenSSL and Unbound accept although
# they differ from the plain form (empty records, odd server names, a second ClientHello, lenient
# request lines and fields, bytes after a DNS question; a ServerHello forged from the client's side
# between two ClientHellos). Each case is first a control with blockd
# stopped: the real server must serve (or answer) the blocked name, or the case proves nothing and
# the test fails. Then with blockd running the name is blocked. IPv4 and IPv6.
set -u
. tests/lib/netns.sh

tb_setup
tb_start_unbound
tb_start_nginx
# nginx 1.22 offers TLS 1.3 only when told to; a HelloRetryRequest needs it.
kill "$(tb_pid nginx)" && tb_wait_for sh -c "! kill -0 $(tb_pid nginx)" ||
	tb_fail "cannot stop nginx to turn on TLS 1.3"
sed -i 's/^\(\t*\)ssl_certificate_key .*;$/&\n\1ssl_protocols TLSv1.2 TLSv1.3;/' "$TB_DIR/nginx.conf"
tb_spawn nginx "$TB_NS_SERVER" nginx -c "$TB_DIR/nginx.conf" -p "$TB_DIR/nginx"
tb_wait_for tb_server curl -sk --max-time 1 --tlsv1.3 "https://$TB_SERVER4/" ||
	tb_fail "nginx does not answer TLS 1.3 (see $TB_DIR/nginx-error.log)"
tb_blockd_conf
tb_list "suffix blocked.example CL-2026-000123"
tb_client_raw_ports
port=40000
# The appliance routes a forged segment back out where it came from and tells its source, the
# server's address, to reach the client directly (an ICMP redirect): the server must not.
tb_server sysctl -qw net.ipv4.conf.all.accept_redirects=0 net.ipv6.conf.all.accept_redirects=0 \
	net.ipv6.conf.s0.accept_redirects=0

fails=0
fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}
# Every case names blocked.example or a name below it (readers.py says how each is made).
# Cases the servers refuse, left out (checked by hand against nginx 1.22, OpenSSL 3.0):
# TLS alert records before or inside the hello (OpenSSL aborts), "Host :" and a folded Host
# (nginx answers 400), QDCOUNT 2 (Unbound answers FORMERR).
tls_cases="empty underscore port hrr"
http_cases="blanklines spaces v12 v09 badname ctlvalue nocolon portjunk scheme upgrade"
dns_cases="trail1 trailjunk optnocount"

# run KIND ADDR CASES: readers.py's "CASE RESULT" lines.
run() {
	_k=$1 _a=$2
	shift 2
	tb_client python3 tests/lib/readers.py "$_k" "$_a" "$@" 2>&1
}
# expect PATTERN OUTPUT WHAT: every line's result matches PATTERN (a shell case pattern).
expect() {
	_n=0
	while read -r _case _res; do
		_n=$((_n + 1))
		# shellcheck disable=SC2254
		case $_res in
		$1) echo "PASS $3: $_case $_res" ;;
		*) fail "$3: $_case: want $1, got $_res" ;;
		esac
	done <<EOF
$2
EOF
	[ "$_n" -gt 0 ] || fail "$3: no result"
}

for phase in control blockd; do
	if [ $phase = blockd ]; then
		tb_start_blockd
		want_tls=reset want_http=status:451 want_dns=NXDOMAIN
	else
		want_tls="*:*blocked.example" want_http="served:*blocked.example/*" want_dns=answer
	fi
	for fam in 4 6; do
		if [ $fam = 4 ]; then
			addr=$TB_SERVER4 res=$TB_RESOLVER4
		else
			addr=$TB_SERVER6 res=$TB_RESOLVER6
		fi
		# shellcheck disable=SC2086
		{
			expect "$want_tls" "$(run tls "$addr" $tls_cases)" "TLS, $phase, IPv$fam"
			expect "$want_http" "$(run http "$addr" $http_cases)" "HTTP, $phase, IPv$fam"
			expect "$want_dns" "$(run dns "$res" $dns_cases)" "DNS, $phase, IPv$fam"
		}
		# A ServerHello forged from the client's side after a HelloRetryRequest: the rules
		# take a server's answer only from where the route to the server leads.
		out=$(tb_client /usr/bin/python3 tests/lib/evade_tcp.py tls $port "$addr" \
			hrrforge blocked.example 2>&1)
		port=$((port + 1))
		case $phase:$out in
		control:"hrrforge blocked.example handshake" | blockd:"hrrforge blocked.example reset")
			echo "PASS TLS, $phase, IPv$fam: $out" ;;
		*) fail "TLS, $phase, IPv$fam: forged ServerHello: $out" ;;
		esac
	done
done

# The HelloRetryRequest cases: the rules kept the client's packets queued after the server's
# answer, and blockd read the second hello from where the first ended.
[ "$(tb_stat tls_after_hello)" -ge 2 ] || fail "no client segment after a first hello reached blockd"
[ "$fails" -eq 0 ] || exit 1
echo "t_evasion_readers: all passed"
