# Network-namespace test bed shared by the integration tests and the demo (sourced, POSIX sh).
#
#   client (subscriber)                appliance (forwards, runs blockd)          resolver (Unbound)
#   192.0.2.10/24      c0 ---- a0      192.0.2.1/24    br0  -------- r0        198.51.100.53/24
#   2001:db8:1::10/64                  2001:db8:1::1   198.51.100.1/24         2001:db8:2::53/64
#                                                      2001:db8:2::1 -- s0     server
#                                                                              198.51.100.80, 2001:db8:2::80
#
# Every name carries TB_ID (pid + random tag), so two runs never collide. Call tb_setup first; it
# registers tb_cleanup on EXIT INT TERM, which kills what tb_spawn started, deletes the
# namespaces and the run's temporary directory.

TB_ID="$$$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')"
TB_NS_CLIENT="tb-cl-$TB_ID"
TB_NS_APPL="tb-ap-$TB_ID"
TB_NS_RESOLVER="tb-rs-$TB_ID"
TB_NS_SERVER="tb-sv-$TB_ID"
TB_CLIENT4=192.0.2.10
TB_CLIENT6=2001:db8:1::10
TB_GW4_CLIENT=192.0.2.1
TB_GW6_CLIENT=2001:db8:1::1
TB_GW4_SERVERS=198.51.100.1
TB_GW6_SERVERS=2001:db8:2::1
TB_RESOLVER4=198.51.100.53
TB_RESOLVER6=2001:db8:2::53
TB_SERVER4=198.51.100.80
TB_SERVER6=2001:db8:2::80
TB_DIR=""
TB_PIDS=""
TB_NAMESPACES=""

tb_log() {
	echo "tb: $*" >&2
}

tb_fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# tb_in NS CMD...: run CMD inside namespace NS.
tb_in() {
	_ns=$1
	shift
	ip netns exec "$_ns" "$@"
}

tb_client() { tb_in "$TB_NS_CLIENT" "$@"; }
tb_appliance() { tb_in "$TB_NS_APPL" "$@"; }
tb_resolver() { tb_in "$TB_NS_RESOLVER" "$@"; }
tb_server() { tb_in "$TB_NS_SERVER" "$@"; }

# tb_wait_for [-t SECONDS] CMD...: poll CMD (every 50 ms) until it succeeds; fail after the deadline.
tb_wait_for() {
	_t=10
	if [ "$1" = "-t" ]; then
		_t=$2
		shift 2
	fi
	_end=$(($(date +%s) + _t))
	while ! "$@" >/dev/null 2>&1; do
		if [ "$(date +%s)" -ge "$_end" ]; then
			tb_log "timed out after ${_t}s waiting for: $*"
			return 1
		fi
		sleep 0.05
	done
	return 0
}

# tb_spawn NAME NS CMD...: start CMD in NS in the background, output in $TB_DIR/NAME.log;
# its pid is stored in $TB_DIR/NAME.pid and killed by tb_cleanup.
tb_spawn() {
	_name=$1
	_ns=$2
	shift 2
	# Truncated here, not in the background child, so no one reads the last run's log.
	: >"$TB_DIR/$_name.log"
	ip netns exec "$_ns" "$@" >>"$TB_DIR/$_name.log" 2>&1 &
	_pid=$!
	echo "$_pid" >"$TB_DIR/$_name.pid"
	TB_PIDS="$TB_PIDS $_pid"
}

tb_pid() {
	cat "$TB_DIR/$1.pid"
}

tb_alive() {
	kill -0 "$(tb_pid "$1")" 2>/dev/null
}

tb_cleanup() {
	_rc=$?
	trap - EXIT INT TERM
	for _p in $TB_PIDS; do
		kill -TERM "$_p" 2>/dev/null
	done
	for _p in $TB_PIDS; do
		# A process that ignores TERM for 3 s is killed.
		_n=0
		while kill -0 "$_p" 2>/dev/null && [ $_n -lt 60 ]; do
			sleep 0.05
			_n=$((_n + 1))
		done
		kill -KILL "$_p" 2>/dev/null
		wait "$_p" 2>/dev/null
	done
	for _ns in $TB_NAMESPACES; do
		ip netns del "$_ns" 2>/dev/null
		rm -rf "/etc/netns/$_ns"
	done
	if [ -n "$TB_DIR" ] && [ -d "$TB_DIR" ]; then
		if [ "$_rc" -ne 0 ]; then
			for _f in "$TB_DIR"/*.log; do
				[ -f "$_f" ] || continue
				echo "---- $_f (last 20 lines)" >&2
				tail -n 20 "$_f" >&2
			done
		fi
		rm -rf "$TB_DIR"
	fi
	exit "$_rc"
}

_tb_ns() {
	ip netns add "$1" || tb_fail "cannot create namespace $1"
	TB_NAMESPACES="$TB_NAMESPACES $1"
	ip -n "$1" link set lo up
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
}

# tb_begin: the run's temporary directory, and tb_cleanup registered on EXIT INT TERM (every
# test bed starts with it).
tb_begin() {
	[ "$(id -u)" -eq 0 ] || tb_fail "the test bed needs root"
	TB_DIR=$(mktemp -d "${TMPDIR:-/tmp}/blockd-tb.$TB_ID.XXXXXX")
	trap tb_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# tb_setup: the four namespaces, addresses, routes and forwarding.
tb_setup() {
	tb_begin
	for _ns in "$TB_NS_CLIENT" "$TB_NS_APPL" "$TB_NS_RESOLVER" "$TB_NS_SERVER"; do
		_tb_ns "$_ns"
	done
	ip link add c0 netns "$TB_NS_CLIENT" type veth peer name a0 netns "$TB_NS_APPL"
	ip link add r0 netns "$TB_NS_RESOLVER" type veth peer name ar netns "$TB_NS_APPL"
	ip link add s0 netns "$TB_NS_SERVER" type veth peer name as netns "$TB_NS_APPL"

	ip -n "$TB_NS_APPL" link add br0 type bridge
	ip -n "$TB_NS_APPL" link set ar master br0
	ip -n "$TB_NS_APPL" link set as master br0
	for _l in a0 ar as br0; do
		ip -n "$TB_NS_APPL" link set "$_l" up
	done
	ip -n "$TB_NS_APPL" addr add "$TB_GW4_CLIENT/24" dev a0
	ip -n "$TB_NS_APPL" addr add "$TB_GW6_CLIENT/64" dev a0 nodad
	ip -n "$TB_NS_APPL" addr add "$TB_GW4_SERVERS/24" dev br0
	ip -n "$TB_NS_APPL" addr add "$TB_GW6_SERVERS/64" dev br0 nodad
	tb_appliance sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1

	_tb_host "$TB_NS_CLIENT" c0 "$TB_CLIENT4/24" "$TB_CLIENT6/64" "$TB_GW4_CLIENT" "$TB_GW6_CLIENT"
	_tb_host "$TB_NS_RESOLVER" r0 "$TB_RESOLVER4/24" "$TB_RESOLVER6/64" "$TB_GW4_SERVERS" "$TB_GW6_SERVERS"
	_tb_host "$TB_NS_SERVER" s0 "$TB_SERVER4/24" "$TB_SERVER6/64" "$TB_GW4_SERVERS" "$TB_GW6_SERVERS"
	# What a subscriber's line carries: one segment per packet, not GSO super-packets.
	tb_client ethtool -K c0 tso off gso off gro off >/dev/null 2>&1
	tb_appliance ethtool -K a0 gro off >/dev/null 2>&1

}

_tb_host() {
	ip -n "$1" link set "$2" up
	ip -n "$1" addr add "$3" dev "$2"
	ip -n "$1" addr add "$4" dev "$2" nodad
	ip -n "$1" route add default via "$5"
	ip -n "$1" -6 route add default via "$6"
}

# tb_unbound_conf: Unbound's config for the resolver namespace, written to $TB_DIR/unbound.conf.
# Local zones: blocked.example (and below), exact.test (and sub.exact.test), allowed.example,
# other.test; A, AAAA and HTTPS (type 65) records for each name.
tb_unbound_conf() {
	{
		cat <<EOC
server:
	do-daemonize: no
	chroot: ""
	username: ""
	directory: "$TB_DIR"
	pidfile: "$TB_DIR/unbound.pid"
	use-syslog: no
	logfile: ""
	verbosity: 1
	module-config: "iterator"
	interface: $TB_RESOLVER4
	interface: $TB_RESOLVER6
	port: 53
	do-ip4: yes
	do-ip6: yes
	do-udp: yes
	do-tcp: yes
	access-control: 192.0.2.0/24 allow
	access-control: 2001:db8:1::/64 allow
	access-control: 127.0.0.0/8 allow
	access-control: 198.51.100.0/24 allow
	access-control: 2001:db8:2::/64 allow
	local-zone: "example." static
	local-zone: "test." static
EOC
		for _n in blocked.example www.blocked.example deep.www.blocked.example \
			exact.test sub.exact.test allowed.example other.test; do
			printf '\tlocal-data: "%s. 300 IN A %s"\n' "$_n" "$TB_SERVER4"
			printf '\tlocal-data: "%s. 300 IN AAAA %s"\n' "$_n" "$TB_SERVER6"
			# HTTPS 1 . (SvcPriority 1, TargetName root), in RFC 3597 generic form.
			printf '\tlocal-data: "%s. 300 IN TYPE65 \\# 3 000100"\n' "$_n"
		done
		printf 'remote-control:\n\tcontrol-enable: no\n'
	} >"$TB_DIR/unbound.conf"
}

# tb_start_unbound: Unbound in the resolver namespace; returns once it answers the client over
# UDP and TCP, IPv4 and IPv6 (which also proves the routes through the appliance).
tb_start_unbound() {
	tb_unbound_conf
	tb_spawn unbound "$TB_NS_RESOLVER" unbound -d -c "$TB_DIR/unbound.conf"
	tb_wait_for tb_resolver dig +time=1 +tries=1 @"$TB_RESOLVER4" allowed.example A ||
		tb_fail "unbound does not answer (see $TB_DIR/unbound.log)"
	for _a in "$TB_RESOLVER4" "$TB_RESOLVER6"; do
		for _p in +notcp +tcp; do
			tb_wait_for tb_client dig $_p +time=1 +tries=1 @"$_a" allowed.example A ||
				tb_fail "client gets no answer from $_a ($_p)"
		done
	done
}

# tb_blockd_conf [SECTION.KEY=VALUE ...]: blockd's config for the appliance, in $TB_DIR/blockd.conf,
# everything under $TB_DIR; arguments override or add keys. New address entries are enforced at
# once (safeguards.observe=0) unless a test stages them.
tb_blockd_conf() {
	mkdir -p "$TB_DIR/rules" "$TB_DIR/keys" "$TB_DIR/state"
	_defaults="blockd.rules_dir=$TB_DIR/rules blockd.keys_dir=$TB_DIR/keys
blockd.state_dir=$TB_DIR/state blockd.control_socket=$TB_DIR/control.sock blockd.user=
blockd.control_group=
blockd.appliance_id=tb-$TB_ID netfilter.queues=2 netfilter.hook=forward
blockd.shared_infrastructure=$(pwd)/packaging/shared-infrastructure
blockd.shared_infrastructure_local= blockd.documentation_ranges=yes
log.path=$TB_DIR/enforcement.jsonl safeguards.observe=0"
	_all=""
	for _kv in $_defaults; do
		case " $* " in
		*" ${_kv%%=*}="*) ;;
		*) _all="$_all $_kv" ;;
		esac
	done
	_all="$_all $*"
	{
		for _s in blockd netfilter dns tls http flows log metrics safeguards divert; do
			echo "[$_s]"
			for _kv in $_all; do
				case $_kv in
				"$_s".*)
					_kv=${_kv#"$_s".}
					echo "${_kv%%=*} = ${_kv#*=}"
					;;
				esac
			done
		done
	} >"$TB_DIR/blockd.conf"
}

# tb_start_blockd: blockd (${BLOCKD:-build/blockd}) in the foreground in the appliance namespace;
# returns once it reports it started; fails at once if it exits first.
tb_start_blockd() {
	[ -f "$TB_DIR/blockd.conf" ] || tb_blockd_conf
	tb_spawn blockd "$TB_NS_APPL" "${BLOCKD:-build/blockd}" -d -v -f "$TB_DIR/blockd.conf"
	_end=$(($(date +%s) + 10))
	until grep -q "state start" "$TB_DIR/blockd.log" 2>/dev/null; do
		tb_alive blockd || tb_fail "blockd exited at start: $(cat "$TB_DIR/blockd.log")"
		[ "$(date +%s)" -lt "$_end" ] || tb_fail "blockd did not start within 10 s"
		sleep 0.05
	done
}

# tb_stop_blockd [SIGNAL]: sends SIGNAL (TERM) to blockd and waits for it to exit.
tb_stop_blockd() {
	_pid=$(tb_pid blockd)
	kill "-${1:-TERM}" "$_pid" 2>/dev/null
	tb_wait_for sh -c "! kill -0 $_pid" || tb_fail "blockd did not exit after SIG${1:-TERM}"
	wait "$_pid" 2>/dev/null
	return 0
}

# tb_list ENTRY...: builds a block list of ENTRYs ("TYPE VALUE ORDER-REF", TYPE as in
# blockd-rules(5): domain, suffix, ip, prefix, url), one order per distinct ref, signs it with the
# run's regulator key (made on first use, its public half in blockd's keys_dir) and puts it in
# blockd's rules directory as blocklist + blocklist.minisig. Each call raises the serial
# (TB_SERIAL, which a test may set first); TB_LIFE replaces the lifetime options ("-d 30"); the
# orders whose refs TB_SHARED lists (separated by spaces) say "shared yes".
TB_SERIAL=0
tb_list() {
	_br=${BLOCKRULES:-build/blockrules}
	mkdir -p "$TB_DIR/rules" "$TB_DIR/keys" "$TB_DIR/orders"
	if [ ! -f "$TB_DIR/regulator.key" ]; then
		"$_br" keygen -p "$TB_DIR/keys/regulator.pub" -s "$TB_DIR/regulator.key" >/dev/null ||
			tb_fail "blockrules keygen"
	fi
	rm -f "$TB_DIR/orders/"*.order
	_nb=$(date -u -d '-1 day' +%Y-%m-%dT%H:%M:%SZ)
	_na=$(date -u -d '+30 days' +%Y-%m-%dT%H:%M:%SZ)
	_today=$(date -u +%Y-%m-%d)
	for _e in "$@"; do
		set -- $_e
		_f="$TB_DIR/orders/$3.order"
		if [ ! -f "$_f" ]; then
			printf 'order %s\nauthority Test Court\ndate %s\nservice Service %s\n' \
				"$3" "$_today" "$3" >"$_f"
			printf 'not-before %s\nnot-after %s\n' "$_nb" "$_na" >>"$_f"
			printf 'notice Blocked by order %s.\nnotice-url https://orders.example/%s\n' \
				"$3" "$3" >>"$_f"
			case " ${TB_SHARED:-} " in
			*" $3 "*) printf 'wide no\nshared yes\n' >>"$_f" ;;
			esac
		fi
		echo "$1 $2" >>"$_f"
	done
	TB_SERIAL=$((TB_SERIAL + 1))
	rm -f "$TB_DIR/rules/blocklist" "$TB_DIR/rules/blocklist.minisig"*
	# shellcheck disable=SC2086
	"$_br" build -i "Test Regulator" -S "test bed" ${TB_LIFE:--d 30} -n "$TB_SERIAL" \
		-o "$TB_DIR/rules/blocklist" "$TB_DIR/orders/"*.order >"$TB_DIR/blockrules.log" 2>&1 ||
		tb_fail "blockrules build: $(cat "$TB_DIR/blockrules.log")"
	"$_br" sign -s "$TB_DIR/regulator.key" "$TB_DIR/rules/blocklist" >>"$TB_DIR/blockrules.log" 2>&1 ||
		tb_fail "blockrules sign: $(cat "$TB_DIR/blockrules.log")"
}

# tb_biglist SERIAL COUNT SHIFT OUT: a signed list of COUNT names bNNNNNNN.blocked.example (from
# number SHIFT on) in one order, written directly (tb_list runs a shell loop per entry), signed with
# the run's regulator key (made on first use, its public half in blockd's keys_dir) as OUT and
# OUT.minisig.
tb_biglist() {
	_br=${BLOCKRULES:-build/blockrules}
	mkdir -p "$TB_DIR/keys" "$TB_DIR/o$1"
	if [ ! -f "$TB_DIR/regulator.key" ]; then
		"$_br" keygen -p "$TB_DIR/keys/regulator.pub" -s "$TB_DIR/regulator.key" >/dev/null ||
			tb_fail "blockrules keygen"
	fi
	_nb=$(date -u -d '-1 day' +%Y-%m-%dT%H:%M:%SZ)
	_na=$(date -u -d '+30 days' +%Y-%m-%dT%H:%M:%SZ)
	{
		printf 'order CL-2026-000900\nauthority Test Court\ndate %s\nservice Service bench\n' \
			"$(date -u +%Y-%m-%d)"
		printf 'not-before %s\nnot-after %s\nnotice Blocked by order CL-2026-000900.\n' "$_nb" "$_na"
		printf 'notice-url https://orders.example/CL-2026-000900\n'
		awk -v n="$2" -v s="$3" 'BEGIN { for (i = s; i < n + s; i++) printf "domain b%07d.blocked.example\n", i }'
	} >"$TB_DIR/o$1/bench.order"
	"$_br" build -i "Test Regulator" -S "test bed" -d 30 -n "$1" -o "$4" \
		"$TB_DIR/o$1/bench.order" >"$TB_DIR/blockrules.log" 2>&1 &&
		"$_br" sign -s "$TB_DIR/regulator.key" "$4" >>"$TB_DIR/blockrules.log" 2>&1 ||
		tb_fail "blockrules: $(cat "$TB_DIR/blockrules.log")"
}

# tb_client_resolver ADDRESS: the client's /etc/resolv.conf (through ip netns exec's
# /etc/netns/NS/ bind mount) names ADDRESS, so curl and other stub resolvers use it.
tb_client_resolver() {
	mkdir -p "/etc/netns/$TB_NS_CLIENT"
	printf 'nameserver %s\noptions timeout:2 attempts:1\n' "$1" >"/etc/netns/$TB_NS_CLIENT/resolv.conf"
}

# tb_start_nginx: nginx in the server namespace, HTTP on 80 and 8080 and HTTPS on 443 and 8443,
# IPv4 and IPv6,
# with a self-signed certificate for every test name. Each page says which host and path it
# served, so tests can tell the real page from anything else. Returns once both ports answer.
tb_start_nginx() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=test bed" \
		-addext "subjectAltName=DNS:*.example,DNS:*.test,DNS:allowed.example,DNS:blocked.example,DNS:www.blocked.example,DNS:exact.test" \
		-keyout "$TB_DIR/nginx.key" -out "$TB_DIR/nginx.crt" >/dev/null 2>&1 ||
		tb_fail "openssl could not make the test bed certificate"
	mkdir -p "$TB_DIR/nginx"
	cat >"$TB_DIR/nginx.conf" <<EON
daemon off;
master_process off;
worker_processes 1;
pid $TB_DIR/nginx.pid;
error_log $TB_DIR/nginx-error.log;
events { worker_connections 256; }
http {
	access_log off;
	client_body_temp_path $TB_DIR/nginx/body;
	proxy_temp_path $TB_DIR/nginx/proxy;
	fastcgi_temp_path $TB_DIR/nginx/fastcgi;
	uwsgi_temp_path $TB_DIR/nginx/uwsgi;
	scgi_temp_path $TB_DIR/nginx/scgi;
	default_type text/plain;
	server {
		listen $TB_SERVER4:80;
		listen [$TB_SERVER6]:80;
		listen $TB_SERVER4:8080;
		listen [$TB_SERVER6]:8080;
		listen $TB_SERVER4:443 ssl;
		listen [$TB_SERVER6]:443 ssl;
		listen $TB_SERVER4:8443 ssl;
		listen [$TB_SERVER6]:8443 ssl;
		ssl_certificate $TB_DIR/nginx.crt;
		ssl_certificate_key $TB_DIR/nginx.key;
		location / { return 200 "served \$host\$uri by the test bed\n"; }
	}
}
EON
	tb_spawn nginx "$TB_NS_SERVER" nginx -c "$TB_DIR/nginx.conf" -p "$TB_DIR/nginx"
	tb_wait_for tb_server curl -s --max-time 1 "http://$TB_SERVER4/" ||
		tb_fail "nginx does not answer on port 80 (see $TB_DIR/nginx-error.log)"
	tb_wait_for tb_server curl -sk --max-time 1 "https://[$TB_SERVER6]/" ||
		tb_fail "nginx does not answer on port 443 (see $TB_DIR/nginx-error.log)"
}

# tb_list_atomic ENTRY...: as tb_list, but the list and its signature are made aside and renamed
# into rules_dir (signature first), as a fetcher does, so a watcher never sees half an update.
tb_list_atomic() {
	_live=$TB_DIR
	mkdir -p "$_live/stage"
	mkdir -p "$_live/keys" "$_live/rules"
	if [ ! -f "$_live/regulator.key" ]; then
		"${BLOCKRULES:-build/blockrules}" keygen -p "$_live/keys/regulator.pub" \
			-s "$_live/regulator.key" >/dev/null || tb_fail "blockrules keygen"
	fi
	ln -sfn ../keys "$_live/stage/keys"
	ln -sf ../regulator.key "$_live/stage/regulator.key"
	TB_DIR=$_live/stage
	tb_list "$@"
	TB_DIR=$_live
	for _s in "$TB_DIR/stage/rules/blocklist.minisig"*; do
		mv -f "$_s" "$TB_DIR/rules/"
	done
	mv -f "$TB_DIR/stage/rules/blocklist" "$TB_DIR/rules/blocklist"
}

# tb_client_raw_ports: hand-made TCP connections (evade.py, evade_tcp.py) come from ports
# 40000-40999: the client's kernel, which knows nothing of them, must not reset them, and must
# not pick those ports itself.
tb_client_raw_ports() {
	tb_client sysctl -qw net.ipv4.ip_local_port_range="41000 60999"
	tb_client nft -f - <<'EOT' || tb_fail "cannot install the client's reset filter"
table inet evasion {
	chain out {
		type filter hook output priority 0; policy accept;
		tcp sport 40000-40999 tcp flags & rst == rst drop
	}
}
EOT
}

# tb_server_hellos: TLS flows the appliance's rules let go at the server's ServerHello (mark_hello).
tb_server_hellos() {
	tb_appliance nft list chain inet blockd mark_forward |
		awk '/ct direction reply/ { for (i = 1; i < NF; i++) if ($i == "packets") s += $(i + 1) }
			END { print s + 0 }'
}

# tb_stat NAME: blockd's counter NAME (blockctl stats), summed over the queues.
tb_stat() {
	"${BLOCKCTL:-build/blockctl}" -s "$TB_DIR/control.sock" stats |
		awk -v k="$1" '{ n = split($1, p, "."); if (p[n] == k) s += $2 } END { print s + 0 }'
}
