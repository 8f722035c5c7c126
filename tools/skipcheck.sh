#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# skipcheck.sh [COMMAND...]: run COMMAND (default: the timewait_many integration tests) while
# both tcpclose (--transitions) and ftrace (a private tracefs instance) record every TCP close
# state change, then list the changes the kernel made that tcpclose never saw, and the task
# each ran on. Kernels that refuse BPF programs in the context of their PID 1 (see
# docs/KERNEL-SKIPS.md) show every silent loss there. Root; run from the repository.
set -eu
T=/sys/kernel/tracing
[ -d $T/instances ] || mount -t tracefs nodev $T
I=$T/instances/tcpclose-skipcheck.$$
OUT=${TMPDIR:-/tmp}/tcpclose-skipcheck.$$
mkdir -p "$OUT"
mkdir $I
cleanup() {
	[ -n "${TRACER:-}" ] && kill -INT "$TRACER" 2>/dev/null && wait "$TRACER" 2>/dev/null || true
	rmdir $I 2>/dev/null || true
}
trap cleanup EXIT
echo 65536 > $I/buffer_size_kb
echo 'protocol==6' > $I/events/sock/inet_sock_set_state/filter
echo 1 > $I/events/sock/inet_sock_set_state/enable
./tcpclose -j --transitions --max-closing 262144 > "$OUT/records.json" 2> "$OUT/tracer.err" &
TRACER=$!
sleep 3
ls /proc/1/task > "$OUT/pid1-tids"
echo 1 > $I/tracing_on
if [ $# -eq 0 ]; then
	tests/.output/test_integration -t timewait_many -v | grep -E 'unseen|^#' || true
else
	"$@" || true
fi
echo 0 > $I/tracing_on
ls /proc/1/task >> "$OUT/pid1-tids"
kill -INT "$TRACER"
wait "$TRACER" || true
TRACER=
cat $I/trace > "$OUT/trace"
if grep -q '^overrun: [1-9]' $I/per_cpu/cpu*/stats; then
	echo "skipcheck: the trace buffer overflowed: results are incomplete" >&2
fi
python3 "$(dirname "$0")/skipcheck.py" "$OUT/trace" "$OUT/records.json" "$OUT/pid1-tids"
echo "(files in $OUT)"
