#!/bin/sh
# Run every tests/integration/t_*.sh; each creates and removes its own namespaces.
# Without root nothing can run: say so loudly and fail, never report a pass.
set -u
cd "$(dirname "$0")/../.."

if [ "$(id -u)" -ne 0 ]; then
	echo "################################################################"
	echo "# integration: SKIPPED - network namespaces need root."
	echo "# Run: sudo make check"
	echo "################################################################"
	exit 77
fi

pass=0 fail=0 failed=""
for t in tests/integration/t_*.sh; do
	[ -e "$t" ] || continue
	name=${t##*/}
	log=build/integration/${name%.sh}.log
	mkdir -p build/integration
	start=$(date +%s)
	if timeout 600 sh "$t" >"$log" 2>&1; then
		pass=$((pass + 1))
		echo "PASS $name ($(($(date +%s) - start))s)"
	else
		fail=$((fail + 1))
		failed="$failed $name"
		echo "FAIL $name ($(($(date +%s) - start))s), last lines of $log:"
		tail -n 30 "$log" | sed 's/^/    /'
	fi
done
echo "integration: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
