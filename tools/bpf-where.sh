#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/bpf-where.sh: where a tcpclose program's time goes. perf samples every CPU
# (cpu-clock: a guest may have no PMU) while a loopback churn runs under the tracer; each
# sample whose stack passes through a tcpc_* program is charged to the function it was in
# when taken: the program's own code, a helper, a map operation. With -c, it is charged to
# the kernel path that changed the state as well (tcp_done, tcp_close, ...): which of a
# connection's runs it was. A sample taken with interrupts off is taken when they are back
# on, so a section run with interrupts off (a map bucket's lock) shows at its end.
#
# usage: sudo tools/bpf-where.sh [-n CONNS] [-p PROGRAM] [-c] [CMD]
#   CMD is the tracer command line, one argument (default ./tcpclose); PROGRAM the program
#   to look into (default tcpc_state). Needs perf (Debian: linux-perf) and the churn tool.
set -eEu

ROOT=$(dirname "$(readlink -f "$0")")/..
CHURN=${CHURN:-$ROOT/tools/.output/churn}
CONNS=60000
PROG=tcpc_state
BY_PATH=0

die() { echo "bpf-where: $*" >&2; exit 1; }

while getopts "n:p:ch" o; do
	case $o in
	n) CONNS=$OPTARG ;;
	p) PROG=$OPTARG ;;
	c) BY_PATH=1 ;;
	*) sed -n '3,15p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
CMD=${1:-$ROOT/tcpclose}
[ "$(id -u)" = 0 ] || die "run as root: it loads BPF programs and samples every CPU"
command -v perf >/dev/null || die "no perf: apt-get install linux-perf"
[ -x "$CHURN" ] || die "no $CHURN: run 'make bench-bins' first"
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
perf script -i "$WORK/perf.data" -F ip,sym 2>/dev/null >"$WORK/stacks"

python3 - "$WORK/stacks" "$PROG" "$BY_PATH" <<'EOF'
import collections
import sys

path, prog, by_path = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
# the kernel functions that set a TCP state, nearest first: which of a connection's runs
PATHS = ("tcp_done", "tcp_fin", "tcp_rcv_state_process", "__tcp_close", "tcp_disconnect",
         "tcp_set_state", "inet_csk_listen_stop")
samples = 0
where = collections.Counter()


def charge(frames):
    global samples
    samples += 1
    at = [i for i, f in enumerate(frames) if f.startswith("bpf_prog_") and f.endswith(prog)]
    if not at:
        return
    leaf = "(the program itself)" if at[0] == 0 else frames[0]
    key = leaf
    if by_path:
        setter = next((f for f in frames[at[0]:] if f in PATHS), "?")
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
    sym = parts[1].split("+")[0] if len(parts) > 1 else "?"
    frames.append(sym)
if frames:
    charge(frames)
total = sum(where.values())
if not total:
    sys.exit("bpf-where: no sample passed through %s: is it the program's name?" % prog)
print("%d samples, %d of them in %s (%.1f%% of all CPU time sampled)"
      % (samples, total, prog, 100.0 * total / samples))
for key, n in where.most_common(20):
    print("%6.1f%%  %s" % (100.0 * n / total, key))
EOF
