#!/bin/sh
# Every source file must have its line in ARCHITECTURE.md, and every file listed there must exist.
set -u
cd "$(dirname "$0")/../.."
rc=0
for f in blockd/*.[ch] rules/*.[ch]; do
	grep -q "^| \`$f\` |" ARCHITECTURE.md || {
		echo "ARCHITECTURE.md: $f is not described (add a line to its table)"
		rc=1
	}
done
for f in $(sed -n 's/^| `\([^`]*\.[ch]\)` |.*/\1/p' ARCHITECTURE.md); do
	[ -e "$f" ] || {
		echo "ARCHITECTURE.md: $f is described but does not exist"
		rc=1
	}
done
exit $rc
