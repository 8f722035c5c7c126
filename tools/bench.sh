#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/bench.sh: the benchmark behind `make bench` (run as root; docs/BENCHMARKS.md says how
# to read what it prints). It measures, and writes every run's numbers as one JSON line to
# raw.jsonl in its work directory; tools/bench/report.py turns that file into the tables it
# prints and writes to BENCH_DOC, and does the same again later for a kept file.
#
# 1. Churn: tools/.output/churn opens and closes BENCH_CONNS loopback connections in a fresh
#    network namespace under each tracer configuration, in BENCH_ROUNDS rounds, each in a new
#    random order so that machine noise hits all alike. One more round with
#    kernel.bpf_stats_enabled=1 gives each BPF program's cost per run, next to
#    tools/bench/floor.c: the least any program on the same hooks costs, measured alike.
# 2. Timers: churn --timers (timer_list timers and no TCP) under no tracer, tcpclose and floor:
#    the cost of the timer programs per timer hit that is not TCP's.
# 3. Scale: BENCH_SCALE_CONNS timewait sockets followed at once by tcpclose, and the same
#    under no tracer: the kernel memory tcpclose adds per timewait socket.
# 4. Closing: BENCH_CLOSING_CONNS server ends held in CLOSE_WAIT at once (churn --hold), followed
#    by tcpclose and under no tracer: the kernel memory tcpclose adds per closing full socket.
# 5. Steady state: under floor, tcpclose and --hist, BENCH_STEADY_RATE connections a second for
#    62 s unmeasured, until timewait sockets expire as fast as they are made (2MSL is 60 s),
#    then BENCH_STEADY_CONNS more at the same rate with kernel.bpf_stats_enabled=1, in
#    BENCH_STEADY_ROUNDS interleaved rounds: each program's cost per connection where, as on a
#    busy server, a timewait socket ends for every one made. (1) never sees one end.
# 6. Paired: BENCH_PAIRS short runs of BENCH_PAIR_CONNS connections under each of no tracer,
#    floor, tcpclose and --hist (and paused, if BENCH_CONFIGS names it: how much of the
#    distance is the kernel side), back to back in a new random order each time: many close
#    comparisons, from which the points tcpclose keeps below the floor get a confidence
#    interval that the few long rounds of (1) cannot give on a noisy host.
#
# Knobs (environment; defaults in parentheses):
#   BENCH_ROUNDS (5), BENCH_CONNS (100000), BENCH_THREADS (4), BENCH_TIMER_ROUNDS (3),
#   BENCH_TIMER_SECONDS (10), BENCH_SCALE_CONNS (1000000; 0 skips),
#   BENCH_CLOSING_CONNS (100000; 0 skips), BENCH_PAIRS (24; 0 skips), BENCH_PAIR_CONNS (20000),
#   BENCH_STEADY_ROUNDS (3; 0 skips), BENCH_STEADY_RATE (1500), BENCH_STEADY_CONNS (15000),
#   BENCH_CONFIGS ("none floor tcpclose hist tcpstates bpftrace"; add "paused" for tcpclose stopped
#     with SIGSTOP during the churn: what it costs without ring buffer wake-ups),
#   BENCH_DOC (docs/BENCHMARKS.md; empty: do not write it),
#   BENCH_QUIET_WAIT (120), BENCH_QUIET_BUSY (10), BENCH_QUIET_BUDGET (300): before each run,
#     wait up to QUIET_WAIT s for no other BPF tracer and under QUIET_BUSY % busy CPUs; redo a
#     run in which other processes used more, up to three times; spend at most QUIET_BUDGET s
#     in all on that,
#   BENCH_KEEP (1: keep the raw results in /dev/shm/tcbench.*; `tools/bench/report.py
#     /dev/shm/tcbench.*/raw.jsonl` reports them again),
#   TCPCLOSE (./tcpclose), CHURN (tools/.output/churn), FLOOR (tools/.output/floor).
set -eEu

BENCH_DIR=$(dirname "$(readlink -f "$0")")/bench
# shellcheck source=tools/bench/system.sh
. "$BENCH_DIR/system.sh"

ROUNDS=${BENCH_ROUNDS:-5}
CONNS=${BENCH_CONNS:-100000}
THREADS=${BENCH_THREADS:-4}
TIMER_ROUNDS=${BENCH_TIMER_ROUNDS:-3}
TIMER_SECONDS=${BENCH_TIMER_SECONDS:-10}
SCALE_CONNS=${BENCH_SCALE_CONNS:-1000000}
CLOSING_CONNS=${BENCH_CLOSING_CONNS:-100000}
PAIRS=${BENCH_PAIRS:-24}
PAIR_CONNS=${BENCH_PAIR_CONNS:-20000}
STEADY_ROUNDS=${BENCH_STEADY_ROUNDS:-3}
STEADY_RATE=${BENCH_STEADY_RATE:-1500}
STEADY_CONNS=${BENCH_STEADY_CONNS:-15000}
# seconds of churn before the steady state's measurement: past 2MSL, with a second to spare
STEADY_WARM_S=62
# what a paired comparison runs: tcpclose and --hist each against floor, in runs of no tracer
PAIR_CONFIGS="none floor tcpclose hist"
DEFAULT_CONFIGS="none floor tcpclose hist tcpstates bpftrace"
CONFIGS=${BENCH_CONFIGS:-$DEFAULT_CONFIGS}
DOC=${BENCH_DOC-docs/BENCHMARKS.md}
QUIET_WAIT=${BENCH_QUIET_WAIT:-120}
QUIET_BUSY=${BENCH_QUIET_BUSY:-10}
QUIET_LEFT=${BENCH_QUIET_BUDGET:-300}
TCPCLOSE=${TCPCLOSE:-./tcpclose}
CHURN=${CHURN:-tools/.output/churn}
FLOOR=${FLOOR:-tools/.output/floor}
TCPSTATES=/usr/sbin/tcpstates
# per event what tcpstates prints, but its duration: the closest bpftrace one-liner
BT_PROG='tracepoint:sock:inet_sock_set_state { printf("%llx %d %s %s:%d %s:%d %d->%d\n",
	args->skaddr, pid, comm, ntop(args->saddr), args->sport, ntop(args->daddr), args->dport,
	args->oldstate, args->newstate); }'
# a churn run never takes longer than this, whatever the tracer
CHURN_MAX_SECONDS=300

WORK=""
NETNS=""
TPID=""
STATS_SAVED=""
HAVE_HIST=0
HOST_NOISE=""
RUN_NR=0
SCALE_LOST=""

log()
{
	printf 'bench: %s\n' "$*" >&2
}

die()
{
	log "$*"
	exit 1
}

cleanup()
{
	set +e
	if [ -n "$TPID" ]; then
		kill -CONT "$TPID" 2>/dev/null
		kill -INT "$TPID" 2>/dev/null
		sleep 1
		kill -KILL "$TPID" 2>/dev/null
	fi
	[ -n "$NETNS" ] && ip netns del "$NETNS" 2>/dev/null
	[ -n "$STATS_SAVED" ] && sysctl -qw kernel.bpf_stats_enabled="$STATS_SAVED"
	if [ -n "$WORK" ] && [ "${BENCH_KEEP:-0}" = 1 ]; then
		log "raw results kept in $WORK"
	elif [ -n "$WORK" ]; then
		rm -rf "$WORK"
	fi
}

# install what only the benchmark needs, and only if it is missing
preflight__packages()
{
	local missing="" p

	for p in libbpf-tools bpftrace jq iproute2; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	log "installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	# shellcheck disable=SC2086
	apt-get install -y -qq $missing >/dev/null ||
		{ apt-get update -qq && apt-get install -y -qq $missing >/dev/null; }
}

# tracefs events left on for the hooks measured (sock, tcp, timer) run their handler and filter
# on every hit, tracing on or off: a cost in every row, the floor's too
preflight__trace_events()
{
	local on

	on=$(grep -E '^(sock|tcp|timer):' /sys/kernel/tracing/set_event 2>/dev/null |
		tr '\n' ' ') || true
	on=${on% }
	[ -z "$on" ] || die "tracefs events are on for the hooks it measures ($on): they cost" \
		"every hit; turn them off (echo > /sys/kernel/tracing/set_event) and run it again"
}

preflight()
{
	[ "$(id -u)" -eq 0 ] || die "loads BPF programs and creates namespaces: run it as root"
	[ -x "$TCPCLOSE" ] || die "$TCPCLOSE: not found; run make first"
	[ -x "$CHURN" ] || die "$CHURN: not found; make bench builds it"
	[ -x "$FLOOR" ] || die "$FLOOR: not found; make bench builds it"
	preflight__packages
	[ -x "$TCPSTATES" ] || TCPSTATES=$(command -v tcpstates) ||
		die "tcpstates: not found after installing libbpf-tools"
	command -v bpftrace >/dev/null || die "bpftrace: not found after installing it"
	command -v python3 >/dev/null ||
		die "python3: not found; tools/install-deps.sh installs it (it writes the report)"
	# bpftrace's tracepoints need tracefs
	[ -d /sys/kernel/tracing/events ] || mount -t tracefs nodev /sys/kernel/tracing
	preflight__trace_events
	if "$TCPCLOSE" --help 2>&1 | grep -q -- '--hist'; then
		HAVE_HIST=1
	fi
	STATS_SAVED=$(sysctl -n kernel.bpf_stats_enabled)
	sysctl -qw kernel.bpf_stats_enabled=0
}

# whether the last run counts: true if it was quiet, or if no more redoing is allowed
run__settled()
{
	local foreign=$1 other=$2 secs=$3 why

	[ -z "$foreign" ] && [ -z "$HOST_NOISE" ] && [ "$other" -le "$QUIET_BUSY" ] && return 0
	[ "$QUIET_LEFT" -le 0 ] && return 0
	QUIET_LEFT=$((QUIET_LEFT - ${secs%.*} - 1))
	why=${HOST_NOISE:-others used ${other}% of the CPUs}
	log "host not quiet ($why${foreign:+, other tracers}): again"
	return 1
}

# ---- the raw results: one JSON line a record, in $WORK/raw.jsonl ----

# raw__add KIND NAME=STRING... NAME:=NUMBER...: a NUMBER that a tracer does not give ("-" or
# "?", or nothing) is null
raw__add()
{
	local kind=$1 kv k v jqargs=()

	shift
	for kv in "$@"; do
		k=${kv%%=*} v=${kv#*=}
		if [ "${k%:}" = "$k" ]; then
			jqargs+=(--arg "$k" "$v")
			continue
		fi
		case $v in '' | - | '?') v=null ;; esac
		jqargs+=(--argjson "${k%:}" "$v")
	done
	jq -n -c --arg kind "$kind" "${jqargs[@]}" '$ARGS.named' >>"$WORK/raw.jsonl"
}

# the lines of progs__note in FILE as records of KIND, each with NAME:=NUMBER added (the run's
# connections or seconds)
raw__progs()
{
	local file=$1 kind=$2 extra=$3 label cfg name runs ns xlated jited verified

	[ -f "$file" ] || return 0
	while read -r label cfg name runs ns xlated jited verified; do
		raw__add "$kind" label="$label" cfg="$cfg" name="$name" runs:="$runs" ns:="$ns" \
			xlated:="$xlated" jited:="$jited" verified:="$verified" "$extra"
	done <"$file"
}

# the record of what the report says besides the runs: the knobs, the tree and the machine
raw__bench()
{
	local tree

	tree=$(git rev-parse --short HEAD 2>/dev/null || echo '?')
	git diff --quiet HEAD 2>/dev/null || tree="$tree with local changes"
	raw__add bench rounds="$ROUNDS" conns="$CONNS" threads="$THREADS" \
		timer_rounds="$TIMER_ROUNDS" timer_seconds="$TIMER_SECONDS" \
		scale_conns="$SCALE_CONNS" closing_conns="$CLOSING_CONNS" configs="$CONFIGS" \
		pairs="$PAIRS" pair_conns="$PAIR_CONNS" \
		steady_rounds="$STEADY_ROUNDS" steady_rate="$STEADY_RATE" \
		steady_conns="$STEADY_CONNS" steady_warm_s="$STEADY_WARM_S" \
		default_configs="$DEFAULT_CONFIGS" \
		have_hist:="$HAVE_HIST" date="$(date -u +%Y-%m-%d)" tree="$tree" \
		kernel="$(uname -r)" cpus="$(nproc)" \
		cpu_model="$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)" \
		mem_kib:="$(awk '/^MemTotal/ { print $2 }' /proc/meminfo)" \
		clocksource="$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)" \
		os="$(awk -F= '$1 == "PRETTY_NAME" { gsub(/"/, "", $2); print $2 }' /etc/os-release)" \
		tcpclose_version="$("$TCPCLOSE" -V 2>&1 | head -1 | awk '{ print $NF }')" \
		libbpf_tools_version="$(dpkg-query -W -f='${Version}' libbpf-tools)" \
		bpftrace_version="$(bpftrace --version | head -1)" bpftrace_prog="$BT_PROG"
}

# ---- the runs ----

# percent of one CPU: cpu ns before, after, seconds
cpu__pct()
{
	awk -v a="$1" -v b="$2" -v s="$3" 'BEGIN { printf "%.2f", (b - a) / s / 1e7 }'
}

# the run's per-program deltas, appended to FILE as: label cfg name runs ns xlated jited
# verified; while the tracer still runs (names and sizes come from bpftool)
progs__note()
{
	local label=$1 cfg=$2 file=$3 ids

	ids=$(cut -d' ' -f1 "$WORK/p1")
	[ -n "$ids" ] || return 0
	# shellcheck disable=SC2086
	prog__describe $ids >"$WORK/pdesc"
	prog__join | awk -v l="$label" -v c="$cfg" \
		'{ print l, c, $8, $6 - $3, $5 - $2, $9, $10, $7 }' >>"$file"
}

# a churn run's seconds and what others used of the CPUs meanwhile, into the caller's secs and
# other (from churn's JSON, the host's busy ns and the tracer's CPU ns); true if it counts
run__judge()
{
	local json=$1 busy_ns=$2 tracer_ns=$3 foreign=$4

	secs=$(echo "$json" | jq .seconds)
	other=$(host__other_pct "$busy_ns" "$(echo "$json" | jq .cpu)" "$tracer_ns" "$secs")
	run__settled "$foreign" "$other" "$secs"
}

# one churn run under one configuration: a "churn" record and, with stats, "prog" records
run__churn()
{
	local cfg=$1 label=$2 stats=$3 foreign tw_base c0 c1 c2 h0 h1 rss hwm mapb tw drops
	local json rate secs conns counts other noisy

	for _ in 1 2 3; do
		rm -f "$WORK/progs.new"
		host__wait_quiet
		netns__new
		tracer__start "$cfg"
		tw_base=$(tw__slab_active)
		[ "$stats" -eq 1 ] && sysctl -qw kernel.bpf_stats_enabled=1
		c0=0
		if [ -n "$TPID" ]; then
			c0=$(proc__cpu_ns "$TPID")
			proc__prog_stats "$TPID" >"$WORK/p0"
		fi
		h0=$(host__busy_ns)
		json=$(ip netns exec "$NETNS" "$CHURN" -n "$CONNS" -d "$CHURN_MAX_SECONDS" \
			-t "$THREADS" --json) || die "churn failed: $json"
		h1=$(host__busy_ns)
		[ "$stats" -eq 1 ] && sysctl -qw kernel.bpf_stats_enabled=0
		[ "$cfg" = paused ] && kill -CONT "$TPID"
		foreign=$(host__foreign_progs)
		c1=0 rss=0 mapb=0 drops=0
		if [ -n "$TPID" ]; then
			c1=$(proc__cpu_ns "$TPID")
			proc__prog_stats "$TPID" >"$WORK/p1"
			rss=$(proc__mem_kib "$TPID" VmRSS)
			mapb=$(proc__map_bytes "$TPID")
			case $cfg in
			tcpclose | hist | paused) drops=$(tcpclose__drops "$TPID") ;;
			esac
		fi
		tw=$(netns__tw_count)
		netns__del_drain "$tw_base"
		c2=0 hwm=0
		if [ -n "$TPID" ]; then
			c2=$(proc__cpu_ns "$TPID")
			hwm=$(proc__mem_kib "$TPID" VmHWM)
			[ "$stats" -eq 1 ] && progs__note "$label" "$cfg" "$WORK/progs.new"
		fi
		tracer__stop
		run__judge "$json" "$((h1 - h0))" "$((c1 - c0))" "$foreign" && break
	done
	noisy=1
	[ -z "$foreign" ] && [ -z "$HOST_NOISE" ] && [ "$other" -le "$QUIET_BUSY" ] && noisy=0
	rate=$(echo "$json" | jq .rate)
	conns=$(echo "$json" | jq .connections)
	counts=$(tracer__counts "$cfg")
	# the tracer's CPU ns: at the start, at the end of the churn, when it was idle again
	raw__add churn label="$label" cfg="$cfg" rate:="$rate" secs:="$secs" conns:="$conns" \
		cpu0_ns:="$c0" cpu1_ns:="$c1" cpu2_ns:="$c2" delivered:="${counts% *}" \
		lost:="${counts#* }" drops:="$drops" rss_kib:="$rss" hwm_kib:="$hwm" \
		map_bytes:="$mapb" tw:="$tw" noisy:="$noisy" other_pct:="$other"
	# with the run's connections, for runs per connection
	raw__progs "$WORK/progs.new" prog conns:="$conns"
	log "$(printf '%-7s %-9s %6.0f conn/s, %5.2f s, tracer CPU %5s%%, delivered/lost %s,' \
		"$label" "$cfg" "$rate" "$secs" "$(cpu__pct "$c0" "$c1" "$secs")" \
		"$(echo "$counts" | tr ' ' /)") TIME_WAIT $tw, others $other%" \
		"$([ "$noisy" -eq 1 ] && echo "(not quiet)")"
}

# one timer-load run with bpf_stats on: a "timers" record and "timer_prog" records
run__timers()
{
	local cfg=$1 label=$2 json rate secs foreign h0 h1 c0 c1 other

	for _ in 1 2 3; do
		rm -f "$WORK/tprogs.new"
		host__wait_quiet
		netns__new
		tracer__start "$cfg"
		sysctl -qw kernel.bpf_stats_enabled=1
		c0=0
		if [ -n "$TPID" ]; then
			c0=$(proc__cpu_ns "$TPID")
			proc__prog_stats "$TPID" >"$WORK/p0"
		fi
		h0=$(host__busy_ns)
		json=$(ip netns exec "$NETNS" "$CHURN" --timers -d "$TIMER_SECONDS" --json) ||
			die "churn --timers failed: $json"
		h1=$(host__busy_ns)
		sysctl -qw kernel.bpf_stats_enabled=0
		foreign=$(host__foreign_progs)
		c1=0
		if [ -n "$TPID" ]; then
			c1=$(proc__cpu_ns "$TPID")
			proc__prog_stats "$TPID" >"$WORK/p1"
			progs__note "$label" "$cfg" "$WORK/tprogs.new"
		fi
		ip netns del "$NETNS"
		NETNS=""
		tracer__stop
		secs=$(echo "$json" | jq .seconds)
		# churn --timers counts its seconds to the deadline; its threads end within 1 s
		other=$(host__other_pct "$((h1 - h0))" "$(echo "$json" | jq .cpu)" \
			"$((c1 - c0))" "$(awk -v s="$secs" 'BEGIN { print s + 1 }')")
		run__settled "$foreign" "$other" "$secs" && break
	done
	rate=$(echo "$json" | jq .rate)
	raw__progs "$WORK/tprogs.new" timer_prog secs:="$secs"
	raw__add timers label="$label" cfg="$cfg" rate:="$rate" other_pct:="$other"
	log "$(printf '%-7s %-9s %8.0f timer sleeps/s, others %s%%' "$label" "$cfg" "$rate" \
		"$other")"
}

# one steady-state run (section 5): a "steady" record and "steady_prog" records
run__steady()
{
	local cfg=$1 label=$2 json tw counts other foreign h0 h1 c0 c1 secs tw_base

	for _ in 1 2 3; do
		rm -f "$WORK/sprogs.new"
		host__wait_quiet
		netns__new
		tracer__start "$cfg"
		tw_base=$(tw__slab_active)
		ip netns exec "$NETNS" "$CHURN" -d "$STEADY_WARM_S" -r "$STEADY_RATE" \
			-t "$THREADS" >/dev/null || die "churn failed before the steady state"
		sysctl -qw kernel.bpf_stats_enabled=1
		c0=$(proc__cpu_ns "$TPID")
		proc__prog_stats "$TPID" >"$WORK/p0"
		h0=$(host__busy_ns)
		json=$(ip netns exec "$NETNS" "$CHURN" -n "$STEADY_CONNS" -r "$STEADY_RATE" \
			-d "$CHURN_MAX_SECONDS" -t "$THREADS" --json) || die "churn failed: $json"
		h1=$(host__busy_ns)
		sysctl -qw kernel.bpf_stats_enabled=0
		foreign=$(host__foreign_progs)
		c1=$(proc__cpu_ns "$TPID")
		proc__prog_stats "$TPID" >"$WORK/p1"
		progs__note "$label" "$cfg" "$WORK/sprogs.new"
		tw=$(netns__tw_count)
		netns__del_drain "$tw_base"
		tracer__stop
		run__judge "$json" "$((h1 - h0))" "$((c1 - c0))" "$foreign" && break
	done
	counts=$(tracer__counts "$cfg")
	raw__progs "$WORK/sprogs.new" steady_prog conns:="$(echo "$json" | jq .connections)"
	raw__add steady label="$label" cfg="$cfg" rate:="$(echo "$json" | jq .rate)" \
		secs:="$secs" tw:="$tw" delivered:="${counts% *}" lost:="${counts#* }" \
		cpu0_ns:="$c0" cpu1_ns:="$c1" other_pct:="$other"
	log "$(printf '%-7s %-9s steady at %s conn/s: tracer CPU %s%%, TIME_WAIT %s, others %s%%' \
		"$label" "$cfg" "$STEADY_RATE" "$(cpu__pct "$c0" "$c1" "$secs")" "$tw" "$other")"
}

# a map's max_entries for N sockets at once: room for them and 1% more, rounded up to a power
# of two, as a hash map rounds its buckets (16 bytes each) whatever it is given
map__room()
{
	local n=1

	while [ "$n" -lt $(($1 + $1 / 100)) ]; do
		n=$((n * 2))
	done
	echo "$n"
}

# BENCH_SCALE_CONNS timewait sockets at once, under no tracer (the kernel's own memory for
# them: the baseline) or followed by tcpclose: a "scale" record; SCALE_LOST: what tcpclose lost
run__scale()
{
	local cfg=$1 args=$2 tw_base json tw rss=0 mapb=0 live="" hwm=0 counts="- -" id="" conns
	local rss_after=0
	local slab0 slab1 tws0="" tws1="" map_rss=""

	host__wait_quiet
	netns__new
	ip netns exec "$NETNS" sysctl -qw net.ipv4.tcp_max_tw_buckets=$((SCALE_CONNS * 2))
	if [ "$cfg" = tcpclose ]; then
		# only our namespace: the records counted are then exactly ours, whatever else
		# runs; room for every timewait socket whatever the host's tcp_max_tw_buckets
		# shellcheck disable=SC2086
		tracer__start tcpclose --netns "/run/netns/$NETNS" \
			--max-tw "$(map__room "$SCALE_CONNS")" $args
		id=$(proc__map_id "$TPID" tws)
		[ -n "$id" ] && tws0=$(map__memlock "$id")
	fi
	tw_base=$(tw__slab_active)
	slab0=$(slab__kib)
	json=$(ip netns exec "$NETNS" "$CHURN" -n "$SCALE_CONNS" -d $((50 + SCALE_CONNS / 4000)) \
		-t "$THREADS" -a 8192 --json) || die "churn failed: $json"
	conns=$(echo "$json" | jq .connections)
	# side by side: a timewait socket lives 60 s, and the first ones expire if the churn
	# took longer (tw below conns)
	tw=$(netns__tw_count)
	slab1=$(slab__kib)
	if [ -n "$TPID" ]; then
		live=$(tcpclose__followed "$TPID")
		rss=$(proc__mem_kib "$TPID" VmRSS)
		map_rss=$(proc__map_rss_kib "$TPID")
		mapb=$(proc__map_bytes "$TPID")
		[ -n "$id" ] && tws1=$(map__memlock "$id")
	fi
	netns__del_drain "$tw_base"
	if [ -n "$TPID" ]; then
		# every timewait socket has ended: what tcpclose kept of the burst
		rss_after=$(proc__mem_kib "$TPID" VmRSS)
		hwm=$(proc__mem_kib "$TPID" VmHWM)
		tracer__stop
		counts=$(tracer__counts tcpclose)
		SCALE_LOST=${counts#* }
	fi
	raw__add scale cfg="$cfg" args="$args" conns:="$conns" tw:="$tw" tws_entries:="$live" \
		rss_kib:="$rss" map_rss_kib:="${map_rss:-0}" hwm_kib:="$hwm" map_bytes:="$mapb" \
		rss_after_kib:="$rss_after" \
		tws_memlock0:="$tws0" \
		tws_memlock1:="$tws1" slab_kib:="$((slab1 - slab0))" delivered:="${counts% *}" \
		lost:="${counts#* }"
	log "scale ($cfg ${args:-default}): TIME_WAIT $tw, followed ${live:--}, slab" \
		"+$((slab1 - slab0)) KiB, RSS $rss KiB, delivered/lost $(echo "$counts" | tr ' ' /)" \
		"of $((conns * 2))"
}

# BENCH_CLOSING_CONNS server ends held in CLOSE_WAIT at once, under no tracer (the kernel's own
# memory for them) or followed by tcpclose: a "closing" record. Only the server's port is
# followed: the clients' ends, orphans closed first, go on as timewait sockets (the scale
# run's), which the no-tracer run has as well.
run__closing()
{
	local cfg=$1 id="" m0="" m1="" ms="" slab0 slab1 json cw rss=0 counts="- -" hold tw_base

	host__wait_quiet
	netns__new
	if [ "$cfg" = tcpclose ]; then
		tracer__start tcpclose --netns "/run/netns/$NETNS" --lport 7000 \
			--max-closing "$(map__room "$CLOSING_CONNS")"
		id=$(proc__map_id "$TPID" conns)
		[ -n "$id" ] && m0=$(map__memlock "$id")
		# the slots in front of conns, all taken at start (bpf/conns.bpf.h)
		ms=$(proc__map_id "$TPID" conn_slots)
		[ -n "$ms" ] && ms=$(map__memlock "$ms")
	fi
	tw_base=$(tw__slab_active)
	slab0=$(slab__kib)
	ip netns exec "$NETNS" "$CHURN" --hold -n "$CLOSING_CONNS" -t "$THREADS" -a 8192 -p 7000 \
		--json >"$WORK/hold" &
	hold=$!
	# it reports once every server end is held, and holds them until told
	for _ in $(seq 1200); do
		[ -s "$WORK/hold" ] && break
		kill -0 "$hold" 2>/dev/null || die "churn --hold exited: $(cat "$WORK/hold")"
		sleep 0.1
	done
	json=$(head -1 "$WORK/hold")
	[ "$(echo "$json" | jq .errors)" = 0 ] || die "churn --hold failed: $json"
	cw=$(ip netns exec "$NETNS" ss -tanH state close-wait | wc -l)
	slab1=$(slab__kib)
	if [ -n "$TPID" ]; then
		[ -n "$id" ] && m1=$(map__memlock "$id")
		rss=$(proc__mem_kib "$TPID" VmRSS)
	fi
	kill -TERM "$hold"
	wait "$hold" || die "churn --hold failed to let go"
	netns__del_drain "$tw_base"
	if [ -n "$TPID" ]; then
		tracer__stop
		counts=$(tracer__counts tcpclose)
	fi
	raw__add closing cfg="$cfg" conns:="$(echo "$json" | jq .held)" close_wait:="$cw" \
		conns_memlock0:="${m0:-null}" conns_memlock1:="${m1:-null}" \
		slots_memlock:="${ms:-null}" \
		slab_kib:="$((slab1 - slab0))" rss_kib:="$rss" delivered:="${counts% *}" \
		lost:="${counts#* }"
	log "closing ($cfg): CLOSE_WAIT $cw, slab +$((slab1 - slab0)) KiB," \
		"conns memlock ${m0:--} to ${m1:--} and ${ms:-0} of slots, delivered/lost $(echo "$counts" | tr ' ' /)"
}

main()
{
	local r cfg order="" nofile

	trap cleanup EXIT
	trap 'log "failed: line $LINENO: $BASH_COMMAND"' ERR
	trap 'exit 130' INT TERM
	preflight
	WORK=$(mktemp -d /dev/shm/tcbench.XXXXXX)
	# the same binary for every run, even if the tree is rebuilt meanwhile
	cp "$TCPCLOSE" "$WORK/tcpclose"
	TCPCLOSE=$WORK/tcpclose
	: >"$WORK/raw.jsonl"
	for cfg in $CONFIGS; do
		if [ "$cfg" = hist ] && [ "$HAVE_HIST" -eq 0 ]; then
			log "tcpclose has no --hist: its row is n/a"
			continue
		fi
		order="$order $cfg"
	done

	for r in $(seq "$ROUNDS"); do
		# shellcheck disable=SC2086
		for cfg in $(printf '%s\n' $order | shuf); do
			run__churn "$cfg" "round$r" 0
		done
	done
	# shellcheck disable=SC2086
	for cfg in $(printf '%s\n' $order floor | sort -u | grep -vx none | shuf); do
		run__churn "$cfg" cost 1
	done

	# many short runs in sets of one each, back to back: the sets' differences are paired
	[ "$HAVE_HIST" -eq 1 ] || PAIR_CONFIGS=${PAIR_CONFIGS% hist}
	case " $CONFIGS " in *" paused "*) PAIR_CONFIGS="$PAIR_CONFIGS paused" ;; esac
	for r in $(seq "$PAIRS"); do
		# shellcheck disable=SC2086
		for cfg in $(printf '%s\n' $PAIR_CONFIGS | shuf); do
			CONNS=$PAIR_CONNS run__churn "$cfg" "pair$r" 0
		done
	done

	for r in $(seq "$STEADY_ROUNDS"); do
		for cfg in $(printf '%s\n' floor tcpclose hist | shuf); do
			[ "$cfg" = hist ] && [ "$HAVE_HIST" -eq 0 ] && continue
			run__steady "$cfg" "round$r"
		done
	done

	for r in $(seq "$TIMER_ROUNDS"); do
		for cfg in $(printf '%s\n' none tcpclose floor | shuf); do
			run__timers "$cfg" "round$r"
		done
	done

	if [ "$SCALE_CONNS" -gt 0 ]; then
		# the kernel's own slab growth for the sockets, to tell tcpclose's from it
		run__scale none ""
		run__scale tcpclose ""
		# records lost: show whether a bigger ring buffer is all it takes
		if [ "$SCALE_LOST" != 0 ]; then
			run__scale tcpclose "--ringbuf-size=$((64 << 20))"
		fi
	fi

	# churn --hold keeps a descriptor per server end held: as many as the hard limit allows
	nofile=$(ulimit -Hn)
	if [ "$nofile" != unlimited ] && [ "$CLOSING_CONNS" -gt $((nofile - 1024)) ]; then
		log "closing: $CLOSING_CONNS server ends take more open files than the hard limit" \
			"($nofile, ulimit -Hn); holding $((nofile - 1024))"
		CLOSING_CONNS=$((nofile - 1024))
	fi
	if [ "$CLOSING_CONNS" -gt 0 ]; then
		run__closing none
		run__closing tcpclose
	fi

	raw__bench
	"$BENCH_DIR/report.py" ${DOC:+--doc "$DOC"} "$WORK/raw.jsonl" >"$WORK/report.md"
	echo
	cat "$WORK/report.md"
	[ -z "$DOC" ] || log "wrote $DOC"
}

main "$@"
