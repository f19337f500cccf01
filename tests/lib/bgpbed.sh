# The diversion test bed: a core router that BGP steers to two appliances (sourced after netns.sh).
#
#   subscriber               core (BIRD, ECMP on ports)                 server LAN (bridge in core)
#   192.0.2.10 ---- cs  192.0.2.1       lan 198.51.100.1/24 ---+--- web1 198.51.100.80 (TB_NS_SERVER)
#                       u1 203.0.113.1 ---- 203.0.113.2 ap1 l0 198.51.100.2 --+--- web2 198.51.100.81
#                       u2 203.0.113.5 ---- 203.0.113.6 ap2 l0 198.51.100.3 --+--- resolver .53
#
# Dual stack: the same in IPv6, subscriber 2001:db8:1::10 (core 2001:db8:1::1), LAN 2001:db8:2::/64
# (core ::1, ap1 ::2, ap2 ::3, web1 ::80, web2 ::81, resolver ::53), and the links to the
# appliances 2001:db8:a1::/64 and 2001:db8:a2::/64 (core ::1, appliance ::2). Each appliance has
# two BGP sessions to the core, one for each family, as packaging/bird-divert.conf sets them up.
#
# Each appliance runs blockd ([netfilter] paths = one, [divert] through its own BIRD) and hands
# what it judged to the server LAN itself; the servers answer through the core, so an appliance
# sees one direction only. Nothing reaches an appliance unless the core holds a route via it.
# Everything of appliance N lives in $TB_DIR/apN (bg_as runs the netns.sh functions there).

BG_NS_CORE="tb-co-$TB_ID"
BG_NS_AP1="tb-a1-$TB_ID"
BG_NS_AP2="tb-a2-$TB_ID"
BG_NS_WEB2="tb-w2-$TB_ID"
BG_WEB2=198.51.100.81
BG_WEB2_6=2001:db8:2::81
BG_ROOT=""

# Appliance N's namespace, and its and the core's addresses on the link between them.
bg_ns() { eval echo "\$BG_NS_AP$1"; }
bg_peer() { [ "$1" = 1 ] && echo 203.0.113.2 || echo 203.0.113.6; }
bg_core_side() { [ "$1" = 1 ] && echo 203.0.113.1 || echo 203.0.113.5; }
bg_peer6() { echo "2001:db8:a$1::2"; }
bg_core_side6() { echo "2001:db8:a$1::1"; }

# On failure, the appliances' logs too; then the test bed's own cleanup, from the root.
bg_cleanup() {
	_rc=$?
	if [ "$_rc" -ne 0 ] && [ -n "$BG_ROOT" ]; then
		for _f in "$BG_ROOT"/ap*/*.log; do
			[ -f "$_f" ] || continue
			echo "---- $_f (last 20 lines)" >&2
			tail -n 20 "$_f" >&2
		done
	fi
	[ -n "$BG_ROOT" ] && TB_DIR=$BG_ROOT
	(exit "$_rc")
	tb_cleanup
}

bg_setup() {
	tb_begin
	BG_ROOT=$TB_DIR
	trap bg_cleanup EXIT
	for _ns in "$TB_NS_CLIENT" "$BG_NS_CORE" "$BG_NS_AP1" "$BG_NS_AP2" "$TB_NS_SERVER" \
		"$BG_NS_WEB2" "$TB_NS_RESOLVER"; do
		_tb_ns "$_ns"
	done
	ip link add c0 netns "$TB_NS_CLIENT" type veth peer name cs netns "$BG_NS_CORE"
	ip -n "$BG_NS_CORE" link add lan type bridge
	ip -n "$BG_NS_CORE" link set lan up
	# The LAN's hosts, the appliances' legs on it among them.
	for _h in "$TB_NS_SERVER" "$BG_NS_WEB2" "$TB_NS_RESOLVER" "$BG_NS_AP1" "$BG_NS_AP2"; do
		_p=l$(echo "$_h" | cut -c4-5)
		ip link add l0 netns "$_h" type veth peer name "$_p" netns "$BG_NS_CORE"
		ip -n "$BG_NS_CORE" link set "$_p" master lan up
		ip -n "$_h" link set l0 up
	done
	for _n in 1 2; do
		_a=$(bg_ns $_n)
		ip link add u0 netns "$_a" type veth peer name "u$_n" netns "$BG_NS_CORE"
		ip -n "$BG_NS_CORE" link set "u$_n" up
		ip -n "$BG_NS_CORE" addr add "$(bg_core_side $_n)/30" dev "u$_n"
		ip -n "$_a" link set u0 up
		ip -n "$BG_NS_CORE" addr add "$(bg_core_side6 $_n)/64" dev "u$_n" nodad
		ip -n "$_a" addr add "$(bg_peer $_n)/30" dev u0
		ip -n "$_a" addr add "$(bg_peer6 $_n)/64" dev u0 nodad
		ip -n "$_a" addr add "198.51.100.$((_n + 1))/24" dev l0
		ip -n "$_a" addr add "2001:db8:2::$((_n + 1))/64" dev l0 nodad
		ip -n "$_a" route add default via "$(bg_core_side $_n)"
		ip -n "$_a" -6 route add default via "$(bg_core_side6 $_n)"
		tb_in "$_a" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
		# The subscriber's side only: no reply direction to track (blockd.conf(5) paths).
		tb_in "$_a" ethtool -K u0 gro off >/dev/null 2>&1
	done
	ip -n "$BG_NS_CORE" link set cs up
	ip -n "$BG_NS_CORE" addr add "$TB_GW4_CLIENT/24" dev cs
	ip -n "$BG_NS_CORE" addr add "$TB_GW6_CLIENT/64" dev cs nodad
	ip -n "$BG_NS_CORE" addr add "$TB_GW4_SERVERS/24" dev lan
	ip -n "$BG_NS_CORE" addr add "$TB_GW6_SERVERS/64" dev lan nodad
	# ECMP by addresses and ports: two flows between the same hosts may take either appliance.
	tb_in "$BG_NS_CORE" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.fib_multipath_hash_policy=1 \
		net.ipv6.conf.all.forwarding=1 net.ipv6.fib_multipath_hash_policy=1
	_tb_host "$TB_NS_CLIENT" c0 "$TB_CLIENT4/24" "$TB_CLIENT6/64" "$TB_GW4_CLIENT" "$TB_GW6_CLIENT"
	tb_client ethtool -K c0 tso off gso off gro off >/dev/null 2>&1
	_tb_host "$TB_NS_SERVER" l0 "$TB_SERVER4/24" "$TB_SERVER6/64" "$TB_GW4_SERVERS" "$TB_GW6_SERVERS"
	_tb_host "$BG_NS_WEB2" l0 "$BG_WEB2/24" "$BG_WEB2_6/64" "$TB_GW4_SERVERS" "$TB_GW6_SERVERS"
	_tb_host "$TB_NS_RESOLVER" l0 "$TB_RESOLVER4/24" "$TB_RESOLVER6/64" "$TB_GW4_SERVERS" \
		"$TB_GW6_SERVERS"
}

# bg_as N CMD...: CMD (a netns.sh function, say) with appliance N's namespace and directory.
bg_as() {
	_n=$1
	shift
	mkdir -p "$BG_ROOT/ap$_n"
	TB_DIR=$BG_ROOT/ap$_n
	TB_NS_APPL=$(bg_ns "$_n")
	"$@"
	_rc=$?
	TB_DIR=$BG_ROOT
	return $_rc
}

# bg_start_core: BIRD on the core: a BGP session to each appliance for each family, their routes
# into the kernel, equal ones merged into one multipath route.
bg_start_core() {
	cat >"$BG_ROOT/core-bird.conf" <<EOB
log stderr all;
router id 203.0.113.1;
protocol device { scan time 1; }
protocol kernel { ipv4 { import none; export all; }; merge paths on; }
protocol kernel { ipv6 { import none; export all; }; merge paths on; }
template bgp appliance {
	local as 64500;
	hold time 3; keepalive time 1; connect retry time 1; error wait time 1, 2;
}
template bgp appliance4 from appliance { ipv4 { import all; export none; }; }
template bgp appliance6 from appliance { ipv6 { import all; export none; }; }
protocol bgp ap1 from appliance4 { neighbor $(bg_peer 1) as 64501; }
protocol bgp ap2 from appliance4 { neighbor $(bg_peer 2) as 64501; }
protocol bgp ap1v6 from appliance6 { neighbor $(bg_peer6 1) as 64501; }
protocol bgp ap2v6 from appliance6 { neighbor $(bg_peer6 2) as 64501; }
EOB
	tb_spawn core-bird "$BG_NS_CORE" bird -f -c "$BG_ROOT/core-bird.conf" \
		-s "$BG_ROOT/core-bird.ctl" -P "$BG_ROOT/core-bird.pid"
}

# bg_start_bird N: BIRD on appliance N with the shipped packaging/bird-divert.conf, its addresses,
# paths and logging the bed's, its sessions retried at once: blockd's include exported to the
# core with the appliance as next hop, one session for each family.
bg_start_bird() {
	_d=$BG_ROOT/ap$1
	mkdir -p "$_d"
	: >"$_d/divert.bird"
	sed -e 's|^log syslog all;|log stderr all;|' \
		-e "s|^router id 203\.0\.113\.2;|router id $(bg_peer "$1");|" \
		-e "s|\"/var/lib/blockd/divert\.bird\"|\"$_d/divert.bird\"|" \
		-e "s|keepalive time 1;|keepalive time 1; connect retry time 1; error wait time 1, 2;|" \
		-e "s|neighbor 203\.0\.113\.1 |neighbor $(bg_core_side "$1") |" \
		-e "s|neighbor 2001:db8:ffff::1 |neighbor $(bg_core_side6 "$1") |" \
		packaging/bird-divert.conf >"$_d/bird.conf"
	for _w in "router id $(bg_peer "$1");" "include \"$_d/divert.bird\";" "connect retry time 1;" \
		"neighbor $(bg_core_side "$1") as" "neighbor $(bg_core_side6 "$1") as"; do
		grep -qF "$_w" "$_d/bird.conf" || tb_fail "packaging/bird-divert.conf: no place for \"$_w\""
	done
	tb_spawn "bird$1" "$(bg_ns "$1")" bird -f -c "$_d/bird.conf" -s "$_d/bird.ctl" -P "$_d/bird.pid"
	for _p in core4 core6; do
		tb_wait_for -t 15 sh -c "birdc -s '$_d/bird.ctl' show protocols $_p | grep -q Established" ||
			tb_fail "appliance $1's BGP session $_p to the core does not come up"
	done
}

# bg_start_blockd N [KEY=VALUE...]: blockd on appliance N, its list blocking blocked.example,
# sinkholed.example (which a test's resolver may answer with special-use addresses) and the IPv6
# address and prefix BG_LIST6 (no host of the bed), its order naming BG_ORDER4 and BG_ORDER6 for
# diversion. Appliance 1 asks the resolver over IPv4, appliance 2 over IPv6.
BG_LIST6="2001:db8:99::1 2001:db8:98::/48"
BG_ORDER4=203.0.113.128/25
BG_ORDER6=2001:db8:f00::/48
bg_start_blockd() {
	_n=$1
	shift
	[ "$_n" = 1 ] && _r=$TB_RESOLVER4 || _r=$TB_RESOLVER6
	bg_as "$_n" tb_blockd_conf netfilter.paths=one "blockd.appliance_id=tb-$TB_ID-ap$_n" \
		"divert.bird_socket=$BG_ROOT/ap$_n/bird.ctl" "divert.include=$BG_ROOT/ap$_n/divert.bird" \
		"divert.resolver=$_r" "$@"
	[ -f "$BG_ROOT/ap$_n/rules/blocklist" ] || bg_as "$_n" tb_list "domain blocked.example CL-2026-000501" \
		"domain sinkholed.example CL-2026-000501" "ip ${BG_LIST6% *} CL-2026-000501" "prefix ${BG_LIST6#* } CL-2026-000501" \
		"divert $BG_ORDER4,$BG_ORDER6 CL-2026-000501"
	bg_as "$_n" tb_start_blockd
}

# bg_paths ADDRESS|PREFIX: how many appliances the core's route to it goes through (0: none),
# IPv4 or IPv6.
bg_paths() {
	case $1 in
	*/*) _p=$1 ;;
	*:*) _p=$1/128 ;;
	*) _p=$1/32 ;;
	esac
	case $_p in
	*:*) _f=-6 ;;
	*) _f=-4 ;;
	esac
	ip -n "$BG_NS_CORE" "$_f" route show "$_p" | grep -c " dev u[12] "
}

# bg_via N ADDRESS: the core's route to ADDRESS goes via appliance N (and maybe others).
bg_via() {
	case $2 in
	*:*) ip -n "$BG_NS_CORE" -6 route show "$2/128" | grep -q " dev u$1 " ;;
	*) ip -n "$BG_NS_CORE" -4 route show "$2/32" | grep -q " dev u$1 " ;;
	esac
}

bg_paths_are() {
	[ "$(bg_paths "$1")" = "$2" ]
}

# bg_stat N NAME: blockd's counter NAME on appliance N.
bg_stat() {
	_n=$1
	TB_DIR=$BG_ROOT/ap$_n
	tb_stat "$2"
	TB_DIR=$BG_ROOT
}
