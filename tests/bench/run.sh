#!/bin/sh
# make bench: every build/bench/* program, then every tests/bench/b_*.sh; results in build/bench/results/.
set -u
cd "$(dirname "$0")/../.."
out=build/bench/results
mkdir -p "$out"
rc=0
for b in build/bench/*; do
	[ -f "$b" ] && [ -x "$b" ] || continue
	name=${b##*/}
	echo "== $name"
	"$b" --json "$out/$name.json" || rc=1
done
for s in tests/bench/b_*.sh; do
	[ -e "$s" ] || continue
	name=${s##*/}
	name=${name%.sh}
	echo "== $name"
	sh "$s" "$out/$name.json" || rc=1
done
echo "bench: JSON results in $out/"
exit $rc
