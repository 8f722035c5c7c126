#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/bpf-where.sh: where a tcpclose program's time goes. perf samples every CPU
# (cpu-clock: a guest may have no PMU) while a loopback churn runs under the tracer; each
# sample whose stack passes through a tcpc_* program is charged to the function it was in
# when taken: the program's own code, a helper, a map operation. With -c, it is charged to
# the kernel path that changed the state as well (tcp_done, tcp_close, ...): which of a
# connection's runs it was. A sample taken with interrupts off is taken when they are back
# on, so a section run with interrupts off (a map bucket's lock) shows at its end. With -l,
# the samples taken in the program's own code are charged to its source lines as well, by
# the line info the kernel keeps for its JIT image (tools/bench/bpf_lines.c): a load that
# misses the caches shows as the line that made it. A sample lands just after the
# instruction the CPU waited on (it retires, then the timer's interrupt is taken), so each
# is charged to the line of the byte before the one sampled.
#
# usage: sudo tools/bpf-where.sh [-n CONNS] [-p PROGRAM] [-c] [-l] [CMD]
#   CMD is the tracer command line, one argument (default ./tcpclose); PROGRAM the program
#   to look into (default tcpc_state). Needs perf (Debian: linux-perf) and the churn tool;
#   -l the bpf-lines tool beside it (make bench-bins).
set -eEu

ROOT=$(dirname "$(readlink -f "$0")")/..
CHURN=${CHURN:-$ROOT/tools/.output/churn}
BPF_LINES=${BPF_LINES:-$ROOT/tools/.output/bpf-lines}
CONNS=60000
PROG=tcpc_state
BY_PATH=0
BY_LINE=0

die() { echo "bpf-where: $*" >&2; exit 1; }

while getopts "n:p:clh" o; do
	case $o in
	n) CONNS=$OPTARG ;;
	p) PROG=$OPTARG ;;
	c) BY_PATH=1 ;;
	l) BY_LINE=1 ;;
	*) sed -n '3,21p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
CMD=${1:-$ROOT/tcpclose}
[ "$(id -u)" = 0 ] || die "run as root: it loads BPF programs and samples every CPU"
command -v perf >/dev/null || die "no perf: apt-get install linux-perf"
[ -x "$CHURN" ] || die "no $CHURN: run 'make bench-bins' first"
[ "$BY_LINE" = 0 ] || [ -x "$BPF_LINES" ] || die "no $BPF_LINES: run 'make bench-bins' first"
[[ $CONNS =~ ^[1-9][0-9]*$ ]] || die "-n takes a positive whole number, not '$CONNS'"
[[ $PROG =~ ^[a-z_]+$ ]] || die "-p takes a program's name, such as tcpc_state"

# shellcheck source=tools/bench/system.sh
. "$ROOT/tools/bench/system.sh"

WORK=$(mktemp -d /tmp/bpf-where.XXXXXX)
TPID=
NETNS=
RUN_NR=0
log() { echo "bpf-where: $*" >&2; }
cleanup()
{
	tracer__stop
	[ -n "$NETNS" ] && ip netns del "$NETNS"
	rm -rf "$WORK"
}
trap cleanup EXIT

read -r -a argv <<<"$CMD"
TCPCLOSE=${argv[0]}
netns__new
tracer__start tcpclose "${argv[@]:1}"
perf record -q -a -g -F 1999 -e cpu-clock -o "$WORK/perf.data" -- \
	ip netns exec "$NETNS" "$CHURN" -n "$CONNS" -t 4 --json >/dev/null
perf script -i "$WORK/perf.data" -F ip,sym,symoff 2>/dev/null >"$WORK/stacks"
# while the tracer still holds the program: its lines in its JIT image
: >"$WORK/lines"
[ "$BY_LINE" = 0 ] || "$BPF_LINES" "$PROG" >"$WORK/lines"

python3 - "$WORK/stacks" "$PROG" "$BY_PATH" "$WORK/lines" <<'EOF'
import bisect
import collections
import sys

path, prog, by_path, lines_path = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4]
# "OFFSET FILE:LINE TEXT" in the order of the image: where each line's code begins
starts, lines = [], []
for rec in open(lines_path):
    off, where, text = (rec.rstrip("\n").split(" ", 2) + [""])[:3]
    starts.append(int(off, 16))
    lines.append("%s  %s" % (where, " ".join(text.split())[:60]))
by_line = collections.Counter()


def line_of(frame):
    """the source line of the byte before a "sym+0xOFF" frame's address"""
    off = int(frame.split("+")[1], 16) if "+" in frame else 0
    i = bisect.bisect_right(starts, off - 1) - 1
    return lines[i] if i >= 0 else "(before its first line)"

# the kernel functions that set a TCP state, nearest first: which of a connection's runs
PATHS = ("tcp_done", "tcp_fin", "tcp_rcv_state_process", "__tcp_close", "tcp_disconnect",
         "tcp_set_state", "inet_csk_listen_stop")
samples = 0
where = collections.Counter()


def charge(frames):
    global samples
    samples += 1
    syms = [f.split("+")[0] for f in frames]
    at = [i for i, f in enumerate(syms) if f.startswith("bpf_prog_") and f.endswith(prog)]
    if not at:
        return
    leaf = "(the program itself)" if at[0] == 0 else frames[0].split("+")[0]
    if at[0] == 0 and starts:
        by_line[line_of(frames[0])] += 1
    key = leaf
    if by_path:
        setter = next((f for f in syms[at[0]:] if f in PATHS), "?")
        key = "%s, from %s" % (leaf, setter)
    where[key] += 1


frames = []
for line in open(path):
    parts = line.split()
    if not parts:
        if frames:
            charge(frames)
        frames = []
        continue
    # "ip sym+off" or "ip sym": a frame; the sample's own line has none
    frames.append(parts[1] if len(parts) > 1 else "?")
if frames:
    charge(frames)
total = sum(where.values())
if not total:
    sys.exit("bpf-where: no sample passed through %s: is it the program's name?" % prog)
print("%d samples, %d of them in %s (%.1f%% of all CPU time sampled)"
      % (samples, total, prog, 100.0 * total / samples))
for key, n in where.most_common(20):
    print("%6.1f%%  %s" % (100.0 * n / total, key))
if by_line:
    own = sum(by_line.values())
    print("\nthe program's own code (%d samples), by source line:" % own)
    for key, n in by_line.most_common(25):
        print("%6.1f%%  %s" % (100.0 * n / own, key))
EOF
