#!/bin/sh
# The failure policy when blockd dies (SIGKILL, rules left behind): failure=open lets queries
# through via the queue rules' bypass flag, failure=closed stops them; a restart replaces the
# leftovers of the crashed run.
set -u
. tests/lib/netns.sh

tb_setup
tb_start_unbound
tb_list "suffix blocked.example CL-2026-000123"

# q NAME TRANSPORT: prints the status of a lookup of NAME, or "timeout".
q() {
	out=$(tb_client dig "+$2" +time=1 +tries=1 @"$TB_RESOLVER4" "$1" A 2>&1)
	case $out in
	*"status: NXDOMAIN"*) echo nxdomain ;;
	*"status: NOERROR"*) echo noerror ;;
	*) echo timeout ;;
	esac
}

expect() {
	got=$(q "$1" "$2")
	[ "$got" = "$3" ] || tb_fail "$4: $1 over $2 gave $got, want $3"
	echo "PASS $4: $1 $2 -> $3"
}

# Fail-open.
tb_blockd_conf netfilter.failure=open
tb_start_blockd
expect blocked.example notcp nxdomain "open, running"
tb_stop_blockd KILL
tb_appliance nft list ruleset | grep -q "queue num" || tb_fail "rules vanished with SIGKILL"
expect blocked.example notcp noerror "open, killed"
expect allowed.example notcp noerror "open, killed"
expect allowed.example tcp noerror "open, killed"

# Fail-closed: the new run replaces the crashed run's rules.
tb_blockd_conf netfilter.failure=closed
tb_start_blockd
n=$(tb_appliance iptables-nft-save -t mangle | grep -c -- "-A FORWARD -j BLOCKD-FWD")
[ "$n" -eq 1 ] || tb_fail "expected one jump to BLOCKD-FWD after restart, found $n"
tb_appliance nft list ruleset | grep -q bypass && tb_fail "fail-closed rules carry bypass"
expect blocked.example notcp nxdomain "closed, running"
expect allowed.example notcp noerror "closed, running"
tb_stop_blockd KILL
expect allowed.example notcp timeout "closed, killed"
expect blocked.example notcp timeout "closed, killed"

# A clean stop after all that leaves nothing behind.
tb_blockd_conf netfilter.failure=open
tb_start_blockd
tb_stop_blockd TERM
tb_appliance nft list ruleset | grep -qi blockd && tb_fail "blockd rules left after SIGTERM"
expect allowed.example notcp noerror "stopped"
echo "t_failopen_kill: all passed"
