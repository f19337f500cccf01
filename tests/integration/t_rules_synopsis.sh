#!/bin/sh
# blockrules(1)'s SYNOPSIS and the program's usage output say the same thing.
set -eu
cd "$(dirname "$0")/../.."
command -v mandoc >/dev/null || { echo "mandoc not installed"; exit 1; }
flat() { tr -s ' \n' ' ' | sed 's/^ //;s/ $//'; }
syn=$(mandoc -Tascii -Owidth=400 man/blockrules.1 | sed 's/.\x08//g' |
	sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | sed '1d;$d' | flat)
rc=0
use=$(./build/blockrules 2>&1) || rc=$?
[ "$rc" -eq 2 ] || { echo "FAIL: usage exited $rc, expected 2"; exit 1; }
use=$(printf '%s\n' "$use" | sed 's/^usage: //' | flat)
if [ "$syn" != "$use" ]; then
	echo "FAIL: SYNOPSIS and usage differ"
	echo "man:   $syn"
	echo "usage: $use"
	exit 1
fi
echo ok
