#!/bin/sh
# What building and testing blockd needs on Debian 12: installed when run as root, or checked.
#
#   sh tests/lib/deps.sh              install every package below that is missing (root)
#   sh tests/lib/deps.sh --check WHAT say in one line what is missing for WHAT (build, unit or deb)
#                                     and which command installs it; exit 1 if anything is
set -eu

PKGS="build-essential pkg-config clang libclang-rt-14-dev
libmnl-dev libnftnl-dev libnetfilter-queue-dev libnetfilter-log-dev libldns-dev libiniparser-dev
libcriterion-dev libssl-dev libcap-dev libseccomp-dev
iproute2 nftables iptables ipset ethtool conntrack
unbound dnsutils knot-dnsutils nginx caddy curl openssl minisign dnsperf iperf3 bird2
python3 python3-scapy python3-cryptography mandoc lintian debhelper devscripts fakeroot publicsuffix
prometheus chromium logrotate cppcheck clang-tidy clang-format bear adduser procps util-linux valgrind
systemd dpkg-dev golang-go golang-golang-x-mod-dev"

# --check: what `make`, `make check-unit` and `make deb` need, looked for the way the build looks
# for it (pkg-config modules, headers, programs), so a non-Debian system is judged fairly too.
# Each line: what to look for, then the Debian package that provides it.
if [ "${1:-}" = "--check" ]; then
	what=${2:-build}
	need="prog:cc build-essential
prog:make build-essential
prog:pkg-config pkg-config
pc:libmnl libmnl-dev
pc:libnftnl libnftnl-dev
pc:libnetfilter_queue libnetfilter-queue-dev
pc:libnetfilter_log libnetfilter-log-dev
pc:ldns libldns-dev
pc:libcrypto libssl-dev
hdr:iniparser/iniparser.h libiniparser-dev
hdr:sys/capability.h libcap-dev
hdr:seccomp.h libseccomp-dev"
	case $what in
	build) ;;
	unit) need="$need
hdr:criterion/criterion.h libcriterion-dev
file:/usr/share/publicsuffix/public_suffix_list.dat publicsuffix" ;;
	deb) need="prog:dpkg-buildpackage dpkg-dev
prog:dh debhelper" ;;
	*)
		echo "usage: deps.sh --check build|unit|deb" >&2
		exit 2
		;;
	esac
	miss=""
	while read -r probe pkg; do
		kind=${probe%%:*} name=${probe#*:}
		case $kind in
		prog) command -v "$name" >/dev/null 2>&1 && continue ;;
		pc) pkg-config --exists "$name" 2>/dev/null && continue ;;
		hdr) [ -e "/usr/include/$name" ] && continue ;;
		file) [ -e "$name" ] && continue ;;
		esac
		case " $miss " in *" $pkg "*) ;; *) miss="$miss $pkg" ;; esac
	done <<-NEED
		$need
	NEED
	[ -z "$miss" ] && exit 0
	if [ "$what" = deb ]; then
		echo "make deb: missing$miss; install the build dependencies with: sudo apt-get build-dep ./ (or sudo make deps)" >&2
	else
		echo "make: missing$miss; install everything the build and tests need with: sudo make deps" >&2
	fi
	exit 1
fi

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
