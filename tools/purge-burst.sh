#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/purge-burst.sh: can a tcpclose build keep up with a namespace's deletion? Each run
# makes CONNS loopback connections in a fresh namespace (the scale row's churn of make bench:
# 4 client threads, 8192 source addresses), so that CONNS timewait sockets wait there, then
# deletes the namespace: the kernel ends them all in one loop, and the tracer must read their
# ends before its ring buffer fills. Prints, per run and tracer: how long the purge took, the
# tracer's CPU time per end from the deletion until it is idle, and its exit summary (records,
# lost, sent end_unseen). Tracers alternate, run by run.
#
# usage: sudo tools/purge-burst.sh [-r RUNS] [-n CONNS] [-b BYTES] [-l] TRACER TRACER...
#   TRACER: a tcpclose binary (run with --netns for the namespace, text to /dev/null)
#   -b BYTES: the ring buffer (--ringbuf-size; default 4 MiB, as tcpclose's)
#   -l: a busy loop beside the purge, as on a host with other work
# Needs the churn tool (make bench-bins).
set -eEu

ROOT=$(dirname "$(readlink -f "$0")")/..
CHURN=${CHURN:-$ROOT/tools/.output/churn}
RUNS=3
CONNS=200000
RING=$((4 << 20))
LOAD=0
NS=""
TPID=""
BUSY=""

die() { echo "purge-burst: $*" >&2; exit 1; }

while getopts "r:n:b:lh" o; do
	case $o in
	r) RUNS=$OPTARG ;;
	n) CONNS=$OPTARG ;;
	b) RING=$OPTARG ;;
	l) LOAD=1 ;;
	*) sed -n '3,16p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || die "give one tracer binary or more (-h: usage)"
[ "$(id -u)" -eq 0 ] || die "run as root: it loads BPF and makes namespaces"
[ -x "$CHURN" ] || die "no $CHURN: make bench-bins"
for t in "$@"; do
	[ -x "$t" ] || die "$t: not an executable"
done
ERR=$(mktemp)

cleanup()
{
	[ -n "$BUSY" ] && kill "$BUSY" 2>/dev/null
	[ -n "$TPID" ] && kill -INT "$TPID" 2>/dev/null && wait "$TPID" 2>/dev/null
	[ -n "$NS" ] && ip netns del "$NS" 2>/dev/null
	rm -f "$ERR"
}
trap cleanup EXIT

# timewait sockets of the whole host (their slab), to see the purge through
tw_slab() { awk '$1 == "tw_sock_TCP" { print $2 }' /proc/slabinfo; }

# the tracer's CPU time so far, ns, all its threads (%.0f: mawk's %d stops at 2^31)
cpu_ns() { cat "/proc/$TPID/task/"*/schedstat | awk '{ s += $1 } END { printf "%.0f\n", s }'; }

run()
{
	local tracer=$1 base t0 t1 c0 c1 prev cur still=0

	NS=purgeburst$$
	ip netns add "$NS"
	ip -n "$NS" link set lo up
	ip netns exec "$NS" sysctl -qw net.ipv4.tcp_max_tw_buckets=$((CONNS * 2))
	"$tracer" --netns "/run/netns/$NS" --ringbuf-size="$RING" --max-tw $((CONNS * 2)) \
		>/dev/null 2>"$ERR" &
	TPID=$!
	for _ in $(seq 300); do
		grep -q '^tcpclose: tracing' "$ERR" && break
		sleep 0.1
	done
	grep -q '^tcpclose: tracing' "$ERR" || die "$tracer did not start: $(cat "$ERR")"
	base=$(tw_slab)
	ip netns exec "$NS" "$CHURN" -n "$CONNS" -d $((50 + CONNS / 4000)) -t 4 -a 8192 \
		>/dev/null || die "churn failed"
	sleep 1
	if [ "$LOAD" -eq 1 ]; then
		(while :; do :; done) &
		BUSY=$!
	fi
	c0=$(cpu_ns)
	t0=$(date +%s%N)
	ip netns del "$NS"
	NS=""
	while [ "$(tw_slab)" -gt $((base + 1000)) ]; do
		sleep 0.02
	done
	t1=$(date +%s%N)
	[ -n "$BUSY" ] && kill "$BUSY" && BUSY=""
	# idle: under 1 ms of CPU in 0.25 s, four times running
	prev=$(cpu_ns)
	while [ "$still" -lt 4 ]; do
		sleep 0.25
		cur=$(cpu_ns)
		if [ $((cur - prev)) -lt 1000000 ]; then still=$((still + 1)); else still=0; fi
		prev=$cur
	done
	c1=$prev
	kill -INT "$TPID"
	wait "$TPID" || true
	TPID=""
	printf '%s: purge %d ms, %d ns of tracer CPU an end; %s\n' "$tracer" \
		$(((t1 - t0) / 1000000)) $(((c1 - c0) / CONNS)) \
		"$(grep '^tcpclose: [0-9]* records' "$ERR" | tail -1 |
		   sed 's/ (\([0-9]*\) sent late[^;]*; \([0-9]*\) without[^;]*; \([0-9]*\) sent partial[^)]*)/ (\3 end_unseen)/; s/, [0-9]* (timewait map full).*//')"
}

for _ in $(seq "$RUNS"); do
	for t in "$@"; do
		run "$t"
	done
done
