#!/bin/sh
# t_package: build the Debian packages, install them on this host, inspect, remove, purge; nothing may be left.
set -eu
export LC_ALL=C
cd "$(dirname "$0")/../.."

ver=$(cat VERSION)
arch=$(dpkg --print-architecture)
out=build/deb
mine='blockd|blockctl|blockrules'
tmp=$(mktemp -d /tmp/t_package.XXXXXX)

fail() {
	echo "FAIL: $*"
	exit 1
}
ok() { echo "ok: $*"; }
note() { echo "NOTE: $*"; }
installed() { dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null | grep -qv '^not-installed$'; }

cleanup() {
	rc=$?
	for p in blockrules blockd; do
		if installed "$p"; then
			dpkg -P "$p" >"$tmp/cleanup.log" 2>&1 || cat "$tmp/cleanup.log"
		fi
	done
	rm -rf "$tmp"
	exit $rc
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

# A leftover install from an interrupted run is this test's own: purge it.
for p in blockrules blockd; do
	if installed "$p"; then
		note "$p was installed before the test; purging it first"
		dpkg -P "$p" >/dev/null
	fi
done
if getent passwd _blockd >/dev/null; then
	fail "user _blockd exists without the blockd package; remove it (deluser --system _blockd) and rerun"
fi

# What the package may touch, by name; dpkg's and apt's own books excluded.
snapshot() {
	{
		find /etc /lib/systemd /usr/bin /usr/sbin /usr/lib /usr/share/man /usr/share/doc \
			/var/lib /var/log /var/cache /run -xdev 2>/dev/null |
			grep -Ev '^/var/lib/(dpkg|apt)/|^/var/cache/(apt|man|debconf)/|^/var/log/(apt/|dpkg\.log)' || true
		getent passwd | cut -d: -f1 | sed 's/^/user: /'
		getent group | cut -d: -f1 | sed 's/^/group: /'
	} | sort
}

# --- the version in debian/changelog is the project's VERSION --------------
cver=$(dpkg-parsechangelog -l packaging/debian/changelog -S Version)
[ "$cver" = "$ver" ] || fail "packaging/debian/changelog says $cver, VERSION says $ver: add a changelog entry (dch -v $ver)"
ok "changelog version $cver = VERSION"

# --- build ------------------------------------------------------------------
# make check runs the unit tests already; the package build need not.
DEB_BUILD_OPTIONS=nocheck make deb >"$tmp/build.log" 2>&1 || {
	tail -n 40 "$tmp/build.log"
	fail "make deb"
}
for f in "blockd_${ver}_$arch.deb" "blockrules_${ver}_$arch.deb" "blockd_${ver}_$arch.changes"; do
	[ -f "$out/$f" ] || fail "make deb did not produce $out/$f"
done
ok "make deb: $(cd $out && echo *.deb)"

# --- lintian: no errors, no warnings -----------------------------------------
lintian --display-info "$out/blockd_${ver}_$arch.changes" >"$tmp/lintian.log" 2>&1 || true
if grep -E '^[EW]: ' "$tmp/lintian.log"; then
	fail "lintian reports the errors or warnings above"
fi
ok "lintian: no errors, no warnings ($(grep -c '^I: ' "$tmp/lintian.log" || true) info tags)"

# --- install ------------------------------------------------------------------
snapshot >"$tmp/before"
apt-get install -y -q --no-install-recommends "./$out/blockd_${ver}_$arch.deb" \
	"./$out/blockrules_${ver}_$arch.deb" >"$tmp/install.log" 2>&1 || {
	cat "$tmp/install.log"
	fail "apt-get install of the packages"
}
ok "installed with apt-get"

for p in /usr/sbin/blockd:blockd /usr/sbin/blockctl:blockctl /usr/bin/blockrules:blockrules; do
	v=$("${p%%:*}" -V) || fail "${p%%:*} -V exited $?"
	[ "$v" = "${p#*:} $ver" ] || fail "${p%%:*} -V printed \"$v\", expected \"${p#*:} $ver\""
done
ok "blockd -V, blockctl -V, blockrules -V print $ver"

# --- the user and the directories -------------------------------------------
pw=$(getent passwd _blockd) || fail "postinst did not create user _blockd"
uid=$(echo "$pw" | cut -d: -f3)
[ "$uid" -lt 1000 ] || fail "_blockd has uid $uid, not a system uid"
[ "$(echo "$pw" | cut -d: -f6)" = /var/lib/blockd ] || fail "_blockd's home is not /var/lib/blockd: $pw"
case $(echo "$pw" | cut -d: -f7) in
*/nologin | /bin/false) ;;
*) fail "_blockd has a login shell: $pw" ;;
esac
getent group _blockd >/dev/null || fail "postinst did not create group _blockd"
ok "system user and group _blockd (uid $uid, no login)"

want_mode() {
	got=$(stat -c '%a %U %G' "$1") || fail "$1 does not exist"
	[ "$got" = "$2" ] || fail "$1 is \"$got\", expected \"$2\""
}
want_mode /var/lib/blockd "750 _blockd _blockd"
want_mode /var/log/blockd "2750 _blockd adm"
want_mode /etc/blockd/rules "755 root root"
want_mode /etc/blockd/keys.d "755 root root"
want_mode /etc/blockd/blockd.conf "644 root root"
want_mode /etc/default/blockd-fetch "644 root root"
dpkg-query -W -f='${Conffiles}\n' blockd >"$tmp/conffiles"
for c in /etc/blockd/blockd.conf /etc/default/blockd-fetch /etc/logrotate.d/blockd; do
	grep -q "^ $c " "$tmp/conffiles" || fail "$c is not a conffile"
done
ok "directories, modes and conffiles"

# --- a signed list, as an ISP would install it: blockd can read it -----------
# A regulator's key and list made with the installed blockrules; the public key
# goes to keys.d, the list and its signature to rules/ (see blockd(8) FILES).
(
	cd "$tmp"
	blockrules keygen -p regulator.pub -s regulator.key >/dev/null
	blockrules build -i "Example Regulator" -S "test jurisdiction" -d 30 -n 1 -o blocklist \
		"$OLDPWD/tests/data/rules/x.order" >/dev/null
	blockrules sign -s regulator.key blocklist >/dev/null
) >"$tmp/list.log" 2>&1 || {
	cat "$tmp/list.log"
	fail "making a signed list with the installed blockrules"
}
install -m 0644 "$tmp/regulator.pub" /etc/blockd/keys.d/regulator.pub
install -m 0644 "$tmp/blocklist" "$tmp/blocklist.minisig" /etc/blockd/rules/
# The unit runs blockd (and its ExecStartPre blockd -n) as _blockd with two
# capabilities; do the same here.
as_blockd="setpriv --reuid=_blockd --regid=_blockd --init-groups --inh-caps=+net_admin,+net_raw --ambient-caps=+net_admin,+net_raw"
# -t: the test list's addresses are documentation addresses, which only a test bed accepts.
$as_blockd blockrules verify -t -k /etc/blockd/keys.d -p /usr/share/publicsuffix/public_suffix_list.dat \
	/etc/blockd/rules/blocklist >"$tmp/verify-list.log" 2>&1 || {
	cat "$tmp/verify-list.log"
	fail "_blockd cannot verify the installed list with the installed key"
}
ok "signed list in /etc/blockd/rules, key in keys.d: $(tail -n 1 "$tmp/verify-list.log")"
$as_blockd /usr/sbin/blockd -n >"$tmp/n.log" 2>&1 || {
	cat "$tmp/n.log"
	fail "blockd -n with the shipped /etc/blockd/blockd.conf, as _blockd, exited non-zero"
}
ok "blockd -n accepts the shipped blockd.conf and the list (run as _blockd, as the unit does)"

# --- systemd units ------------------------------------------------------------
for u in blockd.service blockd-fetch.service blockd-fetch.timer; do
	[ -f "/lib/systemd/system/$u" ] || fail "/lib/systemd/system/$u not installed"
done
if systemd-analyze verify --man=yes /lib/systemd/system/blockd.service \
	/lib/systemd/system/blockd-fetch.service /lib/systemd/system/blockd-fetch.timer >"$tmp/verify.log" 2>&1; then
	ok "systemd-analyze verify: the three units"
else
	cat "$tmp/verify.log"
	fail "systemd-analyze verify"
fi
unit=/lib/systemd/system/blockd.service
for k in Type=notify WatchdogSec= "ExecStartPost=-+/bin/chgrp _blockd /proc/net/netfilter/nfnetlink_queue" "ExecStartPre=/usr/sbin/blockd -n" "ExecStart=/usr/sbin/blockd -d" "ExecReload=/bin/kill -HUP \$MAINPID" \
	Restart=on-failure User=_blockd "CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW" NoNewPrivileges=yes \
	ProtectSystem=strict ReadWritePaths=/var/log/blockd StateDirectory=blockd RuntimeDirectory=blockd UMask=0027 \
	ConditionDirectoryNotEmpty=/etc/blockd/keys.d ConditionDirectoryNotEmpty=/etc/blockd/rules; do
	grep -qF "$k" "$unit" || fail "$unit lacks $k"
done
score=$(systemd-analyze security --offline=yes "$unit" 2>/dev/null | sed -n 's/.*Overall exposure level for blockd.service: \([0-9.]*\).*/\1/p')
[ -n "$score" ] || fail "systemd-analyze security --offline=yes gave no score"
awk -v s="$score" 'BEGIN { exit !(s < 3.0) }' || fail "blockd.service exposure $score, want below 3.0"
for k in ExecStart=/usr/sbin/blockd-fetch CapabilityBoundingSet= ProtectSystem=strict ReadWritePaths=/etc/blockd/rules; do
	grep -qxF "$k" /lib/systemd/system/blockd-fetch.service || fail "blockd-fetch.service lacks $k"
done
fscore=$(systemd-analyze security --offline=yes /lib/systemd/system/blockd-fetch.service 2>/dev/null |
	sed -n 's/.*Overall exposure level for blockd-fetch.service: \([0-9.]*\).*/\1/p')
ok "blockd.service keys present; systemd-analyze security exposure $score (blockd-fetch.service $fscore)"
[ -L /etc/systemd/system/multi-user.target.wants/blockd.service ] || fail "blockd.service is not enabled"
[ ! -e /etc/systemd/system/timers.target.wants/blockd-fetch.timer ] || fail "blockd-fetch.timer enabled without a URL"
ok "blockd.service enabled, blockd-fetch.timer left for the administrator"

# --- man pages: each page in man/ is in the right package ---------------------
for page in man/*.[1-8]; do
	[ -f "$page" ] || continue
	n=${page##*/} s=${page##*.}
	pkg=blockd
	[ "$s" = 1 ] && pkg=blockrules
	dpkg -L $pkg | grep -qx "/usr/share/man/man$s/$n.gz" || fail "$page is not installed by $pkg"
done
ok "man pages: $(cd man && echo *.[1-8])"

# --- logrotate renames, never copies: the hash chain continues in a new file ---
command -v logrotate >/dev/null || fail "logrotate is not installed (make deps installs it)"
log=/var/log/blockd/enforcement.jsonl
echo '{"test":1}' >$log
chown _blockd:adm $log
chmod 0640 $log
ino=$(stat -c %i $log)
logrotate -f -s "$tmp/logrotate.state" /etc/logrotate.d/blockd >"$tmp/logrotate.log" 2>&1 || {
	cat "$tmp/logrotate.log"
	fail "logrotate /etc/logrotate.d/blockd"
}
[ ! -e $log ] || fail "logrotate left $log in place (copytruncate or create)"
set -- /var/log/blockd/enforcement.jsonl-*
[ -f "$1" ] || fail "logrotate produced no rotated file: $(ls /var/log/blockd)"
[ "$(stat -c %i "$1")" = "$ino" ] || fail "$1 is a copy, not the renamed log"
want_mode "$1" "640 _blockd adm"
rm -f /var/log/blockd/enforcement.jsonl-*
ok "logrotate renames the log ($(basename "$1")), owner and mode kept"

# --- blockd-fetch refuses to run unconfigured --------------------------------
if /usr/sbin/blockd-fetch >"$tmp/fetch.log" 2>&1; then
	fail "blockd-fetch succeeded with no BLOCKD_FETCH_URL"
fi
grep -q 'BLOCKD_FETCH_URL is not set' "$tmp/fetch.log" || fail "blockd-fetch: $(cat "$tmp/fetch.log")"
ok "blockd-fetch without a URL: $(cat "$tmp/fetch.log")"

# --- reinstalling is harmless -------------------------------------------------
dpkg -i "$out/blockd_${ver}_$arch.deb" >"$tmp/reinstall.log" 2>&1 || {
	cat "$tmp/reinstall.log"
	fail "reinstalling blockd"
}
want_mode /var/log/blockd "2750 _blockd adm"
[ "$(getent passwd _blockd | cut -d: -f3)" = "$uid" ] || fail "reinstalling changed _blockd's uid"
ok "reinstall keeps the user and modes"

# --- remove keeps configuration, keys, state and logs -------------------------
echo state >/var/lib/blockd/serial
echo '{"test":2}' >/var/log/blockd/enforcement.jsonl
dpkg -r blockd blockrules >"$tmp/remove.log" 2>&1 || {
	cat "$tmp/remove.log"
	fail "dpkg -r"
}
for f in /usr/sbin/blockd /usr/sbin/blockctl /usr/bin/blockrules /lib/systemd/system/blockd.service; do
	[ ! -e "$f" ] || fail "dpkg -r left $f"
done
for f in /etc/blockd/blockd.conf /etc/blockd/keys.d/regulator.pub /etc/blockd/rules/blocklist /var/lib/blockd/serial \
	/var/log/blockd/enforcement.jsonl; do
	[ -f "$f" ] || fail "dpkg -r removed $f"
done
getent passwd _blockd >/dev/null || fail "dpkg -r removed user _blockd"
ok "dpkg -r: programs gone; config, keys, list, state, logs and _blockd kept"

# --- purge leaves nothing of blockd behind ------------------------------------
dpkg -P blockd blockrules >"$tmp/purge.log" 2>&1 || {
	cat "$tmp/purge.log"
	fail "dpkg -P"
}
if grep -Ev '^dpkg: warning: ignoring request to remove blockrules which isn.t installed$' "$tmp/purge.log" |
	grep -i 'warning\|error'; then
	fail "dpkg -P printed the warnings above"
fi
snapshot >"$tmp/after"
comm -13 "$tmp/before" "$tmp/after" >"$tmp/new"
comm -23 "$tmp/before" "$tmp/after" >"$tmp/gone"
if grep -E "$mine" "$tmp/new" "$tmp/gone"; then
	fail "purge left the above behind (or removed what was there before)"
fi
if [ -s "$tmp/new" ] || [ -s "$tmp/gone" ]; then
	note "unrelated changes on the host meanwhile: $(cat "$tmp/new" "$tmp/gone" | head -n 5 | tr '\n' ' ')"
fi
ok "dpkg -P: no file, directory, user or group of blockd's left"
echo "t_package: all checks passed"
