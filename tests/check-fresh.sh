#!/bin/sh
# A new user's first hour, replayed: a minimal Debian 12 root, this working tree, the README's commands.
#
# Phase "readme": as an unprivileged user with sudo, `sudo make demo` then `sudo make check`, exactly
# as the README writes them. Phase "deb": on another fresh copy, as an administrator building the
# package would, `apt-get build-dep ./` and then `make deb` and nothing else.
# The root is bootstrapped once (debootstrap --variant=minbase, with gcc, make, git and sudo) and kept
# as a tarball in FRESH_CACHE. Everything runs in its own mount and PID namespaces: when it ends,
# every mount and every process it made is gone, also when interrupted.
#
#   sh tests/check-fresh.sh [readme|deb|all]      (root; default all)
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)

phases=${1:-all}
case $phases in
readme | deb) ;;
all) phases="readme deb" ;;
*)
	echo "usage: sh tests/check-fresh.sh [readme|deb|all]" >&2
	exit 2
	;;
esac

if [ "$(id -u)" -ne 0 ]; then
	echo "check-fresh: needs root (debootstrap, chroot, namespaces): sudo make check-fresh" >&2
	exit 1
fi

suite=bookworm
mirror=${FRESH_MIRROR:-http://deb.debian.org/debian}
security=${FRESH_SECURITY:-http://deb.debian.org/debian-security}
cache=${FRESH_CACHE:-/var/cache/blockd-check-fresh}
tarball=$cache/$suite-minbase.tar
work=$(mktemp -d /var/tmp/blockd-fresh.XXXXXX)
cleanup() {
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { echo "check-fresh: $*"; }

# What the host shows before, so that anything left behind is named after.
snapshot() {
	{
		ip netns list 2>/dev/null | sort
		echo "--"
		nft list tables 2>/dev/null | sort
		echo "--"
		grep -c " $work" /proc/mounts || true
	} >"$1"
}

if [ ! -s "$tarball" ]; then
	command -v debootstrap >/dev/null || {
		say "installing debootstrap"
		apt-get update -q >/dev/null
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >/dev/null
	}
	mkdir -p "$cache"
	say "bootstrapping a minimal $suite root (once; kept in $tarball)"
	debootstrap --variant=minbase --include=gcc,make,git,sudo,ca-certificates \
		"$suite" "$work/boot" "$mirror" >"$work/debootstrap.log" 2>&1 || {
		tail -n 20 "$work/debootstrap.log"
		say "debootstrap failed"
		exit 1
	}
	# The suites a stock installation has: the release, its updates and security.
	rm -f "$work/boot/etc/apt/sources.list"
	cat >"$work/boot/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
	chroot "$work/boot" useradd -m -s /bin/sh newcomer
	echo "newcomer ALL=(ALL) NOPASSWD: ALL" >"$work/boot/etc/sudoers.d/newcomer"
	chmod 0440 "$work/boot/etc/sudoers.d/newcomer"
	tar -C "$work/boot" -cf "$tarball.new" .
	mv "$tarball.new" "$tarball"
	rm -rf "$work/boot"
fi

# The working tree as it is, committed or not: a clone of HEAD, then the changed
# and new files on top, and the deleted ones removed.
tree_into() {
	git clone -q "$top" "$1"
	(cd "$top" && git ls-files -z -m -o --exclude-standard) >"$work/changed"
	if [ -s "$work/changed" ]; then
		(cd "$top" && xargs -0 tar -cf - -- <"$work/changed") | tar -C "$1" -xf -
	fi
	(cd "$top" && git ls-files -z -d) | (cd "$1" && xargs -0 -r rm -f --)
}

# Run one phase's commands in a fresh root, in new mount and PID namespaces.
run_phase() {
	name=$1 script=$2
	root=$work/$name
	mkdir -p "$root"
	# (set -e does not apply inside a function called with ||: each step is checked.)
	{ tar -C "$root" -xf "$tarball" && cp /etc/resolv.conf "$root/etc/resolv.conf" &&
		tree_into "$root/home/newcomer/blockd" &&
		chroot "$root" chown -R newcomer:newcomer /home/newcomer/blockd; } || {
		say "phase $name: could not prepare the root in $root"
		return 1
	}
	# Each command must pass before the next runs, as a person would stop at the first failure.
	printf 'set -e\n%s\n' "$script" >"$root/home/newcomer/phase.sh"
	say "phase $name: $(printf '%s' "$script" | grep -v '^#' | tr '\n' ';' | sed 's/;*$//')"
	unshare --mount --pid --fork --propagation private sh -c '
		set -e
		r=$1
		# The root must be a mount point: ip netns exec remounts / in each namespace.
		mount --bind "$r" "$r"
		mount -t proc proc "$r/proc"
		mount -t sysfs sysfs "$r/sys"
		mount --rbind /dev "$r/dev"
		mount -t tmpfs tmpfs "$r/run"
		mount -t tmpfs tmpfs "$r/tmp"
		chmod 1777 "$r/tmp"
		exec chroot "$r" /usr/bin/env -i HOME=/home/newcomer USER=newcomer \
			PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			LANG=C.UTF-8 TERM=dumb \
			su newcomer -s /bin/sh -c "cd ~/blockd && sh ../phase.sh" </dev/null
	' sh "$root" >"$work/$name.log" 2>&1 && rc=0 || rc=$?
	mkdir -p "$top/build/check-fresh"
	cp "$work/$name.log" "$top/build/check-fresh/$name.log"
	if [ "$rc" -ne 0 ]; then
		tail -n 40 "$work/$name.log" | sed 's/^/    /'
		say "phase $name FAILED (exit $rc); full log: build/check-fresh/$name.log"
		return 1
	fi
	grep -E '^(integration:|man:|lint:|Synthesis:|dpkg-deb: building)' "$work/$name.log" | sed 's/^/    /' || true
	say "phase $name passed ($(wc -l <"$work/$name.log") lines of output in build/check-fresh/$name.log)"
	rm -rf "$root"
}

snapshot "$work/before"
status=0
start=$(date +%s)
for p in $phases; do
	case $p in
	readme)
		run_phase readme '# The README, as written.
sudo make demo
sudo make check' || status=1
		;;
	deb)
		run_phase deb '# A Debian administrator building the package.
sudo apt-get update -q
sudo DEBIAN_FRONTEND=noninteractive apt-get build-dep -y -q ./
make deb
ls -l build/deb/*.deb' || status=1
		;;
	esac
done
snapshot "$work/after"
if ! cmp -s "$work/before" "$work/after"; then
	say "left behind on the host (before / after):"
	diff "$work/before" "$work/after" | sed 's/^/    /' || true
	status=1
fi
say "$([ $status -eq 0 ] && echo passed || echo FAILED) in $(($(date +%s) - start)) s"
exit $status
