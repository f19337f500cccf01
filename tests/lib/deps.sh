#!/bin/sh
# Install what building and testing blockd needs on Debian 12, when run as root.
set -eu

PKGS="build-essential pkg-config clang libclang-rt-14-dev
libmnl-dev libnetfilter-queue-dev libnetfilter-log-dev libldns-dev libiniparser-dev
libcriterion-dev libssl-dev libcap-dev libseccomp-dev
iproute2 nftables iptables ipset ethtool conntrack
unbound dnsutils knot-dnsutils nginx curl openssl minisign dnsperf iperf3
python3 python3-scapy python3-cryptography mandoc lintian debhelper devscripts fakeroot publicsuffix
logrotate cppcheck clang-tidy clang-format bear adduser procps"

missing=""
for p in $PKGS; do
	s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$s" in
	*" installed") ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages:$missing" >&2
	echo "deps: run as root (sudo make check) to install them, or: apt-get install$missing" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# Services these packages ship must not start on the host: tests start their
# own instances inside namespaces.
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 0755 "$policy"
	made_policy=1
fi
rc=0
apt-get install -y -q --no-install-recommends $missing || rc=$?
[ "$made_policy" -eq 1 ] && rm -f "$policy"
exit $rc
