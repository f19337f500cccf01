#!/bin/sh
# blockd -n tells the truth: every file, user, group and directory a start needs is checked, and OK means it starts.
set -eu
cd "$(dirname "$0")/../.."
top=$PWD
blockd=$top/build/blockd
[ -x "$blockd" ] || { echo "build/blockd missing: run make"; exit 1; }

T=$(mktemp -d /tmp/t_checkconf.XXXXXX)
trap 'rm -rf "$T"' EXIT INT TERM
fail() {
	echo "FAIL: $*"
	exit 1
}
mkdir -p "$T/keys" "$T/rules" "$T/state" "$T/log"
cp tests/data/rules/minisign.pub "$T/keys/regulator.pub"

# conf FILE KEY=VALUE...: a configuration for this test's directories, with overrides.
conf() {
	_f=$1
	shift
	{
		echo "[blockd]"
		for kv in keys_dir="$T/keys" rules_dir="$T/rules" state_dir="$T/state" \
			shared_infrastructure="$top/packaging/shared-infrastructure" \
			shared_infrastructure_local= control_group= user=; do
			case " $* " in *" blockd.${kv%%=*}="*) continue ;; esac
			echo "${kv%%=*} = ${kv#*=}"
		done
		for kv in "$@"; do
			case $kv in blockd.*) k=${kv#blockd.} && echo "${k%%=*} = ${k#*=}" ;; esac
		done
		echo "[http]"
		for kv in "$@"; do
			case $kv in http.*) k=${kv#http.} && echo "${k%%=*} = ${k#*=}" ;; esac
		done
		echo "[log]"
		echo "path = $T/log/enforcement.jsonl"
	} >"$_f"
}

conf "$T/good.conf"
"$blockd" -n -f "$T/good.conf" >"$T/out" 2>&1 || fail "a good configuration refused: $(cat "$T/out")"
grep -q "configuration OK" "$T/out" || fail "no OK: $(cat "$T/out")"
echo "ok: a good configuration is OK"

# Each of these made a start fail while -n said OK; now -n names each, key and file.
printf '<html>{{nosuchfield}}</html>\n' >"$T/bad.html"
conf "$T/bad.conf" blockd.user=nosuchuser-t blockd.override_group=nosuchgroup-t \
	http.notice_template="$T/missing.html" blockd.allowlist="$T/missing.allow"
rc=0
"$blockd" -n -f "$T/bad.conf" >"$T/out" 2>&1 || rc=$?
cat "$T/out"
[ "$rc" -eq 1 ] || fail "blockd -n exited $rc, want 1"
grep -q "configuration OK" "$T/out" && fail "blockd -n said OK"
grep -q "^\[blockd\] user: nosuchuser-t: no such user" "$T/out" || fail "unknown user not named"
grep -q "^\[blockd\] override_group: nosuchgroup-t: no such group" "$T/out" || fail "unknown group not named"
grep -q "^\[http\] notice_template: $T/missing.html: No such file" "$T/out" || fail "missing template not named"
grep -q "^\[blockd\] allowlist: $T/missing.allow" "$T/out" || fail "missing allowlist not named"
conf "$T/bad2.conf" http.notice_template="$T/bad.html" \
	blockd.shared_infrastructure="$T/missing.shared" blockd.public_suffix="$T/missing.psl"
rc=0
"$blockd" -n -f "$T/bad2.conf" >"$T/out" 2>&1 || rc=$?
cat "$T/out"
[ "$rc" -eq 1 ] || fail "blockd -n exited $rc, want 1"
grep -q "^\[http\] notice_template: $T/bad.html: " "$T/out" || fail "bad template not named"
grep -q "^\[blockd\] shared_infrastructure: $T/missing.shared" "$T/out" || fail "missing shared list not named"
grep -q "^\[blockd\] public_suffix: $T/missing.psl" "$T/out" || fail "missing suffix list not named"
echo "ok: every problem named by key and file, exit 1"

# The same checks run first at every start: the same answer, before anything is touched.
rc=0
"$blockd" -d -f "$T/bad.conf" >"$T/start" 2>&1 || rc=$?
[ "$rc" -eq 1 ] || fail "start with a bad configuration exited $rc, want 1: $(cat "$T/start")"
grep -q "^\[blockd\] user: nosuchuser-t: no such user" "$T/start" ||
	fail "start did not give -n's answer: $(cat "$T/start")"
echo "t_checkconf: all passed"
