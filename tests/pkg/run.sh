#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The checks of what a distribution ships beside the binaries: man pages, bash completion,
# Prometheus rules, the Grafana dashboard, the Debian package. Each "test_NAME()" function in
# tests/pkg/*.sh is a check, run in file order, each in a bash of its own (set -eu, with
# tests/pkg/lib.sh), from the top of the tree. It reports as tests/runner.c does:
# "#N name: OK 1.2s", "#N name: FAIL 1.2s" with the check's output, "#N name: SKIP (why)",
# then the failed ones again and "N passed, N failed, N skipped".
#
#   tests/pkg/run.sh [-t NAME]... [-v] [-l]      (-j and -T are taken and ignored)
#
# Needs ./tcpclose, ./tcpclose-check (make all); checks that load BPF or install the
# package need root.
set -u
cd "$(dirname "$0")/../.."

filters=()
verbose=0
list=0
while getopts "t:vlj:T:h" opt; do
	case $opt in
	t) filters+=("${OPTARG%%/*}") ;;
	v) verbose=1 ;;
	l) list=1 ;;
	j | T) ;;
	*)
		echo "usage: $0 [-t NAME]... [-v] [-l]" >&2
		exit 2
		;;
	esac
done

# every check: "FILE NAME", in file order
checks=()
for f in tests/pkg/*.sh; do
	[ "$f" = tests/pkg/run.sh ] || [ "$f" = tests/pkg/lib.sh ] && continue
	for name in $(sed -n 's/^test_\([a-z0-9_]*\)() *{\{0,1\}$/\1/p' "$f"); do
		checks+=("$f $name")
	done
done

selected() {
	local f
	[ ${#filters[@]} -eq 0 ] && return 0
	for f in "${filters[@]}"; do
		[[ $1 == *"$f"* ]] && return 0
	done
	return 1
}

passed=0
failed=0
skipped=0
failures=()
n=0
ran=0
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for c in "${checks[@]}"; do
	n=$((n + 1))
	file=${c% *}
	name=${c#* }
	selected "$name" || continue
	if [ $list -eq 1 ]; then
		echo "#$n $name"
		continue
	fi
	ran=$((ran + 1))
	log=$out/$name.log
	start=$(date +%s.%N)
	# a check that hangs is stopped: the package one may wait on dpkg's lock
	timeout -k 10 600 bash -c 'set -eu; . tests/pkg/lib.sh; . "$1"; "test_$2"' _ "$file" "$name" \
		>"$log" 2>&1 </dev/null
	rc=$?
	secs=$(echo "$start $(date +%s.%N)" | awk '{ printf "%.1f", $2 - $1 }')
	if [ $rc -eq 0 ]; then
		echo "#$n $name: OK ${secs}s"
		passed=$((passed + 1))
		[ $verbose -eq 1 ] && sed 's/^/  /' "$log"
	elif [ $rc -eq 77 ]; then
		echo "#$n $name: SKIP ($(sed -n 's/^skip: //p' "$log" | tail -n 1)) ${secs}s"
		skipped=$((skipped + 1))
		[ $verbose -eq 1 ] && sed 's/^/  /' "$log"
	else
		why=
		{ [ $rc -eq 124 ] || [ $rc -eq 137 ]; } && why=" (timed out)"
		echo "#$n $name: FAIL$why ${secs}s"
		sed 's/^/  /' "$log"
		failed=$((failed + 1))
		failures+=("#$n $name")
	fi
done
[ $list -eq 1 ] && exit 0
[ $ran -eq 0 ] && echo "no check matches the -t filters"
if [ ${#failures[@]} -gt 0 ]; then
	echo "failed (sub)tests, again:"
	printf '  %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ] && [ $ran -gt 0 ]
