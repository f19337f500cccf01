#!/bin/sh
# The shipped Prometheus alerts: valid rules, their unit tests pass, and every metric they name is
# one blockd exports (a family of blockd/base/counters.h, or one written by blockd/daemon/*.c).
set -u
cd "$(dirname "$0")/../.."
rules=packaging/blockd-alerts.yml
rc=0
# The vocabulary: quoted names starting with blockd_ in the counters' table and the daemon's sources.
vocab=$(grep -ho '"blockd_[a-z0-9_]*' blockd/base/counters.h blockd/daemon/*.c | tr -d '"' | sort -u)
for m in $(sed 's/#.*//' "$rules" | grep -o 'blockd_[a-z0-9_]*' | sort -u); do
	echo "$vocab" | grep -qx "$m" ||
		{ echo "$rules: metric $m is not one blockd exports (blockd/base/counters.h, blockd/daemon/)"; rc=1; }
done
promtool check rules "$rules" >/dev/null || { promtool check rules "$rules"; exit 1; }
(cd tests/prometheus && promtool test rules blockd-alerts.test.yml >/dev/null) ||
	{ (cd tests/prometheus && promtool test rules blockd-alerts.test.yml); exit 1; }
[ $rc -eq 0 ] && echo "alerts: $(grep -c '^ *- alert:' "$rules") rules checked"
exit $rc
