#!/bin/sh
# Run the unit tests, then the integration tests (each in its own network namespace, up to
# four at once), then the checks of what is shipped beside the binaries (tests/pkg/run.sh:
# man pages, completion, Prometheus rules, dashboard, the Debian package), and end with one
# line counting all three: "N passed, N failed, N skipped", each subtest counted once and a
# test without subtests once. The failed ones are named again just before it. Arguments go
# to every runner (e.g. -t NAME, -t NAME/SUB, -v).
set -u
cd "$(dirname "$0")/.."
out=tests/.output
passed=0
failed=0
skipped=0
failures=$(mktemp)

for suite in test_unit test_integration pkg; do
	log=$(mktemp)
	if [ "$suite" = pkg ]; then
		tests/pkg/run.sh "$@" | tee "$log"
	else
		"$out/$suite" "$@" | tee "$log"
	fi
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	# the runner's recap: the "  #N name" lines after its last "failed (sub)tests, again:"
	awk -v suite="$suite" '
		/^failed \(sub\)tests, again:$/ { n = 0; on = 1; next }
		on && /^  #/ { list[n++] = $0; next }
		{ on = 0 }
		END { for (i = 0; i < n; i++) print "  " suite ": " substr(list[i], 3) }' \
		"$log" >>"$failures"
	rm -f "$log"
	if [ -z "$line" ]; then
		echo "run.sh: $suite printed no closing count: it crashed or was killed" >&2
		echo "  $suite: no closing count" >>"$failures"
		failed=$((failed + 1))
		continue
	fi
	passed=$((passed + $(echo "$line" | cut -d' ' -f1)))
	failed=$((failed + $(echo "$line" | cut -d' ' -f3)))
	# "N skipped" may be absent (a runner from before subtests)
	n=$(echo "$line" | sed -n 's/.* \([0-9][0-9]*\) skipped.*/\1/p')
	skipped=$((skipped + ${n:-0}))
done
echo
if [ -s "$failures" ]; then
	echo "failed (sub)tests, again:"
	cat "$failures"
fi
rm -f "$failures"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
