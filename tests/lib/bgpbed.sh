# The diversion test bed: a core router that BGP steers to two appliances (sourced after netns.sh).
#
#   subscriber               core (BIRD, ECMP on ports)                 server LAN (bridge in core)
#   192.0.2.10 ---- cs  192.0.2.1       lan 198.51.100.1/24 ---+--- web1 198.51.100.80 (TB_NS_SERVER)
#                       u1 203.0.113.1 ---- 203.0.113.2 ap1 l0 198.51.100.2 --+--- web2 198.51.100.81
#                       u2 203.0.113.5 ---- 203.0.113.6 ap2 l0 198.51.100.3 --+--- resolver .53
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
BG_ROOT=""

# Appliance N's namespace and core-side addresses.
bg_ns() { eval echo "\$BG_NS_AP$1"; }
bg_peer() { [ "$1" = 1 ] && echo 203.0.113.2 || echo 203.0.113.6; }
bg_core_side() { [ "$1" = 1 ] && echo 203.0.113.1 || echo 203.0.113.5; }

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
		ip -n "$_a" addr add "$(bg_peer $_n)/30" dev u0
		ip -n "$_a" addr add "198.51.100.$((_n + 1))/24" dev l0
		ip -n "$_a" route add default via "$(bg_core_side $_n)"
		tb_in "$_a" sysctl -qw net.ipv4.ip_forward=1
		# The subscriber's side only: no reply direction to track (blockd.conf(5) paths).
		tb_in "$_a" ethtool -K u0 gro off >/dev/null 2>&1
	done
	ip -n "$BG_NS_CORE" link set cs up
	ip -n "$BG_NS_CORE" addr add "$TB_GW4_CLIENT/24" dev cs
	ip -n "$BG_NS_CORE" addr add "$TB_GW4_SERVERS/24" dev lan
	# ECMP by addresses and ports: two flows between the same hosts may take either appliance.
	tb_in "$BG_NS_CORE" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.fib_multipath_hash_policy=1
	ip -n "$TB_NS_CLIENT" link set c0 up
	ip -n "$TB_NS_CLIENT" addr add "$TB_CLIENT4/24" dev c0
	ip -n "$TB_NS_CLIENT" route add default via "$TB_GW4_CLIENT"
	tb_client ethtool -K c0 tso off gso off gro off >/dev/null 2>&1
	for _h in "$TB_NS_SERVER:$TB_SERVER4" "$BG_NS_WEB2:$BG_WEB2" "$TB_NS_RESOLVER:$TB_RESOLVER4"; do
		ip -n "${_h%%:*}" addr add "${_h#*:}/24" dev l0
		ip -n "${_h%%:*}" route add default via "$TB_GW4_SERVERS"
	done
	# IPv6 on the LAN only, where nginx and Unbound of netns.sh listen; not routed here.
	ip -n "$TB_NS_SERVER" addr add "$TB_SERVER6/64" dev l0 nodad
	ip -n "$TB_NS_RESOLVER" addr add "$TB_RESOLVER6/64" dev l0 nodad
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

# bg_start_core: BIRD on the core: a BGP session to each appliance, their routes into the kernel,
# equal ones merged into one multipath route.
bg_start_core() {
	cat >"$BG_ROOT/core-bird.conf" <<EOB
log stderr all;
router id 203.0.113.1;
protocol device { scan time 1; }
protocol kernel { ipv4 { import none; export all; }; merge paths on; }
template bgp appliance {
	local as 64500;
	hold time 3; keepalive time 1; connect retry time 1; error wait time 1, 2;
	ipv4 { import all; export none; };
}
protocol bgp ap1 from appliance { neighbor 203.0.113.2 as 64501; }
protocol bgp ap2 from appliance { neighbor 203.0.113.6 as 64501; }
EOB
	tb_spawn core-bird "$BG_NS_CORE" bird -f -c "$BG_ROOT/core-bird.conf" \
		-s "$BG_ROOT/core-bird.ctl" -P "$BG_ROOT/core-bird.pid"
}

# bg_start_bird N: BIRD on appliance N, as packaging/bird-divert.conf sets it up: blockd's
# include, exported to the core with the appliance as next hop.
bg_start_bird() {
	_d=$BG_ROOT/ap$1
	mkdir -p "$_d"
	: >"$_d/divert.bird"
	cat >"$_d/bird.conf" <<EOB
log stderr all;
router id $(bg_peer "$1");
protocol device { scan time 1; }
include "$_d/divert.bird";
protocol bgp core {
	local as 64501;
	neighbor $(bg_core_side "$1") as 64500;
	hold time 3; keepalive time 1; connect retry time 1; error wait time 1, 2;
	ipv4 { import none; export where proto ~ "blockd_divert*"; next hop self; };
}
EOB
	tb_spawn "bird$1" "$(bg_ns "$1")" bird -f -c "$_d/bird.conf" -s "$_d/bird.ctl" -P "$_d/bird.pid"
	tb_wait_for -t 15 sh -c "birdc -s '$_d/bird.ctl' show protocols core | grep -q Established" ||
		tb_fail "appliance $1's BGP session to the core does not come up"
}

# bg_start_blockd N [KEY=VALUE...]: blockd on appliance N, its list blocking blocked.example, its
# order naming 203.0.113.128/25 (no host of the bed) for diversion.
bg_start_blockd() {
	_n=$1
	shift
	bg_as "$_n" tb_blockd_conf netfilter.paths=one \
		"divert.bird_socket=$BG_ROOT/ap$_n/bird.ctl" "divert.include=$BG_ROOT/ap$_n/divert.bird" \
		"divert.resolver=$TB_RESOLVER4" "$@"
	[ -f "$BG_ROOT/ap$_n/rules/blocklist" ] || bg_as "$_n" tb_list "domain blocked.example CL-2026-000501" \
		"divert 203.0.113.128/25 CL-2026-000501"
	bg_as "$_n" tb_start_blockd
}

# bg_paths ADDRESS|PREFIX: how many appliances the core's route to it goes through (0: none).
bg_paths() {
	case $1 in
	*/*) _p=$1 ;;
	*) _p=$1/32 ;;
	esac
	ip -n "$BG_NS_CORE" route show "$_p" | grep -c "via 203\.0\.113\."
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
