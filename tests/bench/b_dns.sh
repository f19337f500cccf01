#!/bin/sh
# DNS through blockd: dnsperf queries per second from the client namespace, without blockd, with
# blockd for names it passes, and for names it blocks (answered by blockd itself); plus how many
# packets of a bulk TCP flow to port 443 reach user space. JSON to $1.
set -u
. tests/lib/netns.sh
json=${1:-build/bench/results/b_dns.json}
secs=${BENCH_SECONDS:-10}

tb_setup
tb_start_unbound
tb_blockd_conf
tb_list "suffix blocked.example CL-2026-000123"
for i in $(seq 1 50); do
	echo "allowed.example A"
	echo "other.test AAAA"
done >"$TB_DIR/allowed.txt"
for i in $(seq 1 100); do echo "www.blocked.example A"; done >"$TB_DIR/blocked.txt"

qps() {
	tb_client dnsperf -s "$TB_RESOLVER4" -d "$TB_DIR/$1" -l "$secs" -c 8 -q 200 2>&1 |
		awk '/Queries per second/ { printf "%.0f", $4 }'
}

base=$(qps allowed.txt)
tb_start_blockd
allowed=$(qps allowed.txt)
blocked=$(qps blocked.txt)

tb_spawn iperf "$TB_NS_SERVER" iperf3 -s -p 443
tb_wait_for tb_server sh -c "ss -ltn | grep -q ':443 '"
before=$(tb_appliance awk '{ s += $8 } END { print s + 0 }' /proc/net/netfilter/nfnetlink_queue)
mbps=$(tb_client iperf3 -c "$TB_SERVER4" -p 443 -t 3 -J | awk -F: '/"bits_per_second"/ { v = $2 } END { printf "%.0f", v / 1e6 }')
after=$(tb_appliance awk '{ s += $8 } END { print s + 0 }' /proc/net/netfilter/nfnetlink_queue)
tb_stop_blockd

mkdir -p "$(dirname "$json")"
cat >"$json" <<EOJ
{"bench":"dns","seconds":$secs,"qps_no_blockd":${base:-0},"qps_passed":${allowed:-0},"qps_blocked":${blocked:-0},
 "tcp443_mbps":${mbps:-0},"tcp443_packets_queued":$((after - before))}
EOJ
cat "$json"
