#!/bin/sh
# Run the unit tests, then the integration tests (each in its own network namespace, up to
# four at once), and end with one line counting both: "N passed, N failed".
# Arguments go to both runners (e.g. -t NAME, -v).
set -u
cd "$(dirname "$0")/.."
out=tests/.output
passed=0
failed=0

for suite in test_unit test_integration; do
	log=$(mktemp)
	"$out/$suite" "$@" | tee "$log"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	rm -f "$log"
	if [ -z "$line" ]; then
		echo "run.sh: $suite printed no closing count: it crashed or was killed" >&2
		failed=$((failed + 1))
		continue
	fi
	passed=$((passed + $(echo "$line" | cut -d' ' -f1)))
	failed=$((failed + $(echo "$line" | cut -d' ' -f3)))
done
echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
