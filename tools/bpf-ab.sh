#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/bpf-ab.sh: which of two or more tcpclose builds (or option sets) spends less time in
# BPF, told apart on a noisy host. Each round runs every tracer command once, in a new random
# order, over the same loopback churn in a fresh network namespace, with
# kernel.bpf_stats_enabled=1, and reads from the tracer's own descriptors what its programs
# ran: tcpc_state's ns per run, and all its programs' ns per connection, and from its exit
# summary the records it lost (one that loses records does less work). What to judge by is
# the paired difference against the first command, round by round: its median, and in how
# many rounds the other was faster. A single run's figures on a shared host are not.
#
# usage: sudo tools/bpf-ab.sh [-r ROUNDS] [-n CONNS] [-t THREADS] [-s RATE] CMD CMD...
#   CMD is a tracer command line, one argument (quote it):
#   tools/bpf-ab.sh ./tcpclose '../other/tcpclose' './tcpclose --max-tw 16384'
#   -s RATE: the steady state. Each run first churns RATE connections a second for 62 s,
#   unmeasured, until the timewait sockets expire as fast as they are made (2MSL is 60 s);
#   then CONNS more at the same rate are measured. Without it no timewait socket ends while a
#   run is measured; with it as many end as start, as on a busy server.
# Needs the churn tool (make bench-bins) and bpftool; prints one line per run as it goes.
set -eEu

ROOT=$(dirname "$(readlink -f "$0")")/..
CHURN=${CHURN:-$ROOT/tools/.output/churn}
ROUNDS=10
CONNS=15000
THREADS=4
RATE=
WARM_S=62

die() { echo "bpf-ab: $*" >&2; exit 1; }

while getopts "r:n:t:s:h" o; do
	case $o in
	r) ROUNDS=$OPTARG ;;
	n) CONNS=$OPTARG ;;
	t) THREADS=$OPTARG ;;
	s) RATE=$OPTARG ;;
	*) sed -n '3,20p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 2 ] || die "give two tracer commands or more to compare (-h for usage)"
[ "$(id -u)" = 0 ] || die "run as root: it loads BPF programs and makes network namespaces"
[ -x "$CHURN" ] || die "no $CHURN: run 'make bench-bins' first"
command -v bpftool >/dev/null || die "no bpftool: run tools/install-deps.sh"
for v in "$ROUNDS" "$CONNS" "$THREADS" ${RATE:+"$RATE"}; do
	[[ $v =~ ^[1-9][0-9]*$ ]] || die "-r, -n, -t and -s take a positive whole number, not '$v'"
done

# shellcheck source=tools/bench/system.sh
. "$ROOT/tools/bench/system.sh"

WORK=$(mktemp -d /tmp/bpf-ab.XXXXXX)
TPID=
NETNS=
RUN_NR=0
STATS_SAVED=$(sysctl -n kernel.bpf_stats_enabled)
log() { echo "bpf-ab: $*" >&2; }
cleanup()
{
	tracer__stop
	[ -n "$NETNS" ] && ip netns del "$NETNS"
	sysctl -qw kernel.bpf_stats_enabled="$STATS_SAVED"
	rm -rf "$WORK"
}
trap cleanup EXIT
sysctl -qw kernel.bpf_stats_enabled=1

# "id name" of each BPF program the process holds
prog__names()
{
	local id

	for id in $(fd__bpf_ids "$1" prog); do
		echo "$id $(bpftool__json prog show id "$id" | jq -r '.name // "?"')"
	done
}

# one run of tracer command number $2 ($3) in round $1, added to runs as "round cmd
# state_ns all_ns_per_conn rate lost"
run_one()
{
	local round=$1 i=$2 argv rate lost paced=()

	read -r -a argv <<<"$3"
	TCPCLOSE=${argv[0]}
	netns__new
	tracer__start tcpclose "${argv[@]:1}"
	prog__names "$TPID" | sort -k1,1 >"$WORK/names"
	if [ -n "$RATE" ]; then
		paced=(-r "$RATE")
		ip netns exec "$NETNS" "$CHURN" -d "$WARM_S" "${paced[@]}" -t "$THREADS" >/dev/null
	fi
	proc__prog_stats "$TPID" | sort -k1,1 >"$WORK/p0"
	rate=$(ip netns exec "$NETNS" "$CHURN" -n "$CONNS" "${paced[@]}" -t "$THREADS" --json |
		jq .rate)
	proc__prog_stats "$TPID" | sort -k1,1 >"$WORK/p1"
	tracer__stop
	# what its exit summary says it lost: a build that loses records does less work
	lost=$(tracer__counts tcpclose | cut -d' ' -f2)
	ip netns del "$NETNS"
	NETNS=
	join "$WORK/p0" "$WORK/p1" | join - "$WORK/names" |
		awk -v r="$round" -v i="$i" -v n="$CONNS" -v rate="$rate" -v lost="$lost" '
		{ dt = $5 - $2; dc = $6 - $3; all += dt
		  if ($NF == "tcpc_state" && dc > 0) state = dt / dc
		  if (dc > 0) printf "%d %d %s %.1f %.2f\n", r, i, $NF, dt / n, dc / n >>progs }
		END { printf "%d %d %.1f %.0f %.0f %s\n", r, i, state, all / n, rate, lost }' \
		progs="$WORK/progs" >>"$WORK/runs"
}

: >"$WORK/runs"
: >"$WORK/progs"
for r in $(seq "$ROUNDS"); do
	for i in $(seq 0 $(($# - 1)) | shuf); do
		cmd=${*:$((i + 1)):1}
		run_one "$r" "$i" "$cmd"
		line=$(tail -1 "$WORK/runs")
		echo "round $r: $cmd: tcpc_state $(echo "$line" | cut -d' ' -f3) ns/run," \
			"$(echo "$line" | cut -d' ' -f4) ns/conn, lost $(echo "$line" | cut -d' ' -f6)"
	done
done

python3 - "$WORK/runs" "$WORK/progs" "$@" <<'EOF'
import statistics as st
import sys

cmds = sys.argv[3:]
runs = {}
for line in open(sys.argv[1]):
    r, i, state, per_conn, rate, lost = line.split()
    runs.setdefault(int(r), {})[int(i)] = (float(state), float(per_conn), float(rate),
                                           int(lost) if lost.isdigit() else None)
print()
print("%-40s %14s %14s %10s %12s" % ("tracer", "tcpc_state", "BPF per conn", "conn/s",
                                     "lost, all"))
for i, c in enumerate(cmds):
    v = [x[i] for x in runs.values()]
    lost = [a[3] for a in v]
    print("%-40s %11.1f ns %11.0f ns %10.0f %12s" % (
        c[-40:], st.median(a[0] for a in v), st.median(a[1] for a in v),
        st.median(a[2] for a in v), "?" if None in lost else sum(lost)))
print()
print("paired against %s, median of the rounds' differences:" % cmds[0])
for i, c in enumerate(cmds[1:], 1):
    d = [(x[i][0] - x[0][0], x[i][1] - x[0][1]) for x in runs.values()]
    faster = sum(1 for a in d if a[0] < 0)
    print("  %s: tcpc_state %+.1f ns/run (faster in %d of %d rounds), all programs %+.0f ns/conn"
          % (c, st.median(a[0] for a in d), faster, len(d), st.median(a[1] for a in d)))

# where each tracer's time went: every program that ran, medians over the rounds
progs = {}
for line in open(sys.argv[2]):
    r, i, name, ns, runs_ = line.split()
    progs.setdefault(name, {}).setdefault(int(i), []).append((float(ns), float(runs_)))
print()
print("by program, median ns per connection (runs per connection):")
print("%-18s" % "program" + "".join("%22s" % c[-20:] for c in cmds))
for name in sorted(progs):
    cells = []
    for i in range(len(cmds)):
        v = progs[name].get(i)
        cells.append("%13.0f (%5.2f)" % (st.median(a[0] for a in v), st.median(a[1] for a in v))
                     if v else "%22s" % "-")
    print("%-18s" % name[:18] + "".join("%22s" % c for c in cells))
EOF
