#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/bench.sh: the benchmark behind `make bench` (run as root; docs/BENCHMARKS.md says how
# to read what it prints).
#
# 1. Churn: tools/.output/churn opens and closes BENCH_CONNS loopback connections in a fresh
#    network namespace under each tracer configuration, in BENCH_ROUNDS rounds, each in a new
#    random order so that machine noise hits all alike. One more round with
#    kernel.bpf_stats_enabled=1 gives each BPF program's cost per run, next to
#    tools/bench/floor.c: the least any program on the same hooks costs, measured alike.
# 2. Timers: churn --timers (timer_list timers and no TCP) under no tracer, tcpclose and floor:
#    the cost of the timer programs per timer hit that is not TCP's.
# 3. Scale: BENCH_SCALE_CONNS timewait sockets followed at once by tcpclose.
#
# Knobs (environment; defaults in parentheses):
#   BENCH_ROUNDS (5), BENCH_CONNS (100000), BENCH_THREADS (4), BENCH_TIMER_ROUNDS (3),
#   BENCH_TIMER_SECONDS (10), BENCH_SCALE_CONNS (100000; 0 skips),
#   BENCH_CONFIGS ("none floor tcpclose hist tcpstates bpftrace"; add "paused" for tcpclose stopped
#     with SIGSTOP during the churn: what it costs without ring buffer wake-ups),
#   BENCH_DOC (docs/BENCHMARKS.md; empty: do not write it),
#   BENCH_QUIET_WAIT (120), BENCH_QUIET_BUSY (10), BENCH_QUIET_BUDGET (300): before each run,
#     wait up to QUIET_WAIT s for no other BPF tracer and under QUIET_BUSY % busy CPUs; redo a
#     run in which other processes used more, up to three times; spend at most QUIET_BUDGET s
#     in all on that,
#   BENCH_KEEP (1: keep the raw results in /dev/shm/tcbench.*),
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
SCALE_CONNS=${BENCH_SCALE_CONNS:-100000}
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
	# bpftrace's tracepoints need tracefs
	[ -d /sys/kernel/tracing/events ] || mount -t tracefs nodev /sys/kernel/tracing
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

# one churn run under one configuration; appends to runs.tsv and, with stats, progs.tsv
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
		secs=$(echo "$json" | jq .seconds)
		other=$(host__other_pct "$((h1 - h0))" "$(echo "$json" | jq .cpu)" \
			"$((c1 - c0))" "$secs")
		run__settled "$foreign" "$other" "$secs" && break
	done
	noisy=1
	[ -z "$foreign" ] && [ -z "$HOST_NOISE" ] && [ "$other" -le "$QUIET_BUSY" ] && noisy=0
	rate=$(echo "$json" | jq .rate)
	conns=$(echo "$json" | jq .connections)
	counts=$(tracer__counts "$cfg")
	# label cfg rate secs conns cpu% cpu%+tw delivered lost lost_in_churn rss hwm mapb tw
	# noisy other%
	echo "$label $cfg $rate $secs $conns $(cpu__pct "$c0" "$c1" "$secs")" \
		"$(cpu__pct "$c0" "$c2" "$secs") $counts $drops $rss $hwm $mapb $tw" \
		"$noisy $other" >>"$WORK/runs.tsv"
	if [ -f "$WORK/progs.new" ]; then
		# with the run's connections, for runs per connection
		awk -v n="$conns" '{ print $0, n }' "$WORK/progs.new" >>"$WORK/progs.tsv"
	fi
	log "$(printf '%-7s %-9s %6.0f conn/s, %5.2f s, tracer CPU %5s%%, delivered/lost %s,' \
		"$label" "$cfg" "$rate" "$secs" "$(cpu__pct "$c0" "$c1" "$secs")" \
		"$(echo "$counts" | tr ' ' /)") TIME_WAIT $tw, others $other%" \
		"$([ "$noisy" -eq 1 ] && echo "(not quiet)")"
}

# one timer-load run with bpf_stats on; appends to timers.tsv and tprogs.tsv
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
	if [ -f "$WORK/tprogs.new" ]; then
		awk -v s="$secs" '{ print $0, s }' "$WORK/tprogs.new" >>"$WORK/tprogs.tsv"
	fi
	echo "$label $cfg $rate $other" >>"$WORK/timers.tsv"
	log "$(printf '%-7s %-9s %8.0f timer sleeps/s, others %s%%' "$label" "$cfg" "$rate" \
		"$other")"
}

# BENCH_SCALE_CONNS timewait sockets followed at once; appends to scale.tsv
run__scale()
{
	local args=$1 tw_base json tw rss mapb entries hwm counts id conns

	host__wait_quiet
	netns__new
	ip netns exec "$NETNS" sysctl -qw net.ipv4.tcp_max_tw_buckets=$((SCALE_CONNS * 2))
	# only our namespace: the records counted are then exactly ours, whatever else runs
	# shellcheck disable=SC2086
	tracer__start tcpclose --netns "/run/netns/$NETNS" $args
	tw_base=$(tw__slab_active)
	json=$(ip netns exec "$NETNS" "$CHURN" -n "$SCALE_CONNS" -d 50 -t "$THREADS" \
		-a 8192 --json) || die "churn failed: $json"
	conns=$(echo "$json" | jq .connections)
	tw=$(netns__tw_count)
	rss=$(proc__mem_kib "$TPID" VmRSS)
	mapb=$(proc__map_bytes "$TPID")
	entries="?"
	id=$(proc__map_id "$TPID" tws)
	# one "key" line per entry in bpftool's BTF-formatted dump
	[ -n "$id" ] && entries=$(bpftool map dump id "$id" | grep -c '^        "key":' || true)
	netns__del_drain "$tw_base"
	hwm=$(proc__mem_kib "$TPID" VmHWM)
	tracer__stop
	counts=$(tracer__counts tcpclose)
	# args conns tw entries rss hwm mapb delivered lost
	echo "${args:-default} $conns $tw $entries $rss $hwm $mapb $counts" >>"$WORK/scale.tsv"
	log "scale (${args:-default}): TIME_WAIT $tw, tws entries $entries, RSS $rss KiB," \
		"delivered/lost $(echo "$counts" | tr ' ' /) of $((conns * 2))"
}

# ---- the report ----

# one column of the throughput rounds of one configuration
runs__col()
{
	awk -v c="$1" -v col="$2" '$1 ~ /^round/ && $2 == c { print $col }' "$WORK/runs.tsv"
}

median()
{
	sort -g | awk '{ v[NR] = $1 } END { if (!NR) { print "-"; exit }
			 print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# the median of each round's rate over the no-tracer rate of the same round, in percent
runs__ratio()
{
	awk -v c="$1" '$1 ~ /^round/ && $2 == "none" { n[$1] = $3 }
		       $1 ~ /^round/ && $2 == c { r[$1] = $3 }
		       END { for (k in r) if (n[k]) print r[k] / n[k] * 100 }' "$WORK/runs.tsv" |
		median
}

cfg__title()
{
	case $1 in
	none) echo "1. no tracer" ;;
	tcpclose) echo "2. tcpclose > /dev/null" ;;
	hist) echo "3. tcpclose --hist" ;;
	tcpstates) echo "4. tcpstates (libbpf-tools)" ;;
	bpftrace) echo "5. bpftrace, printf per event" ;;
	paused) echo "what-if: tcpclose stopped (SIGSTOP) while the churn runs" ;;
	floor) echo "floor: near-empty programs on the same hooks" ;;
	esac
}

report__churn()
{
	local cfg rate ratio cpu cput per lost rss mapb

	echo "| configuration | conn/s | vs (1) | tracer CPU % | CPU % incl. TW records |" \
	     "events delivered / conn | lost (during churn) | RSS peak MiB | BPF maps MiB |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	for cfg in none floor tcpclose hist tcpstates bpftrace paused; do
		case " $CONFIGS " in *" $cfg "*) ;; *) continue ;; esac
		if [ "$cfg" = hist ] && [ "$HAVE_HIST" -eq 0 ]; then
			echo "| $(cfg__title "$cfg") | n/a (not supported) | | | | | | | |"
			continue
		fi
		rate=$(runs__col "$cfg" 3 | median | awk '{ printf "%.0f", $1 }')
		if [ "$cfg" = none ]; then
			echo "| $(cfg__title "$cfg") | $rate | 100% | - | - | - | - | - | - |"
			continue
		fi
		ratio=$(runs__ratio "$cfg" | awk '{ printf "%.1f%%", $1 }')
		cpu=$(runs__col "$cfg" 6 | median)
		cput=$(runs__col "$cfg" 7 | median)
		per=$(awk -v c="$cfg" '$2 == c && $8 != "-" && $8 != "?" { d += $8; n += $5 }
			END { if (n) printf "%.2f", d / n; else print "- (in-kernel)" }' \
			"$WORK/runs.tsv")
		lost=$(awk -v c="$cfg" '$2 == c { s += $9; d += $10 }
			END { printf "%d", s; if (c ~ /tcpclose|hist|paused/) printf " (%d)", d }' \
			"$WORK/runs.tsv")
		rss=$(runs__col "$cfg" 12 | sort -g | tail -1 | awk '{ printf "%.1f", $1 / 1024 }')
		mapb=$(runs__col "$cfg" 13 | sort -g | tail -1 |
			awk '{ printf "%.1f", $1 / 1048576 }')
		echo "| $(cfg__title "$cfg") | $rate | $ratio | $cpu | $cput | $per | $lost |" \
		     "$rss | $mapb |"
	done
	echo
	echo "Each run: $CONNS connections by $THREADS client and $THREADS server threads in a" \
	     "fresh namespace (TIME_WAIT sockets at the end of a no-tracer run:" \
	     "$(awk '$2 == "none" { print $14 }' "$WORK/runs.tsv" | median)); medians of" \
	     "$ROUNDS interleaved rounds. Other processes on the host used a median" \
	     "$(awk '{ print $16 }' "$WORK/runs.tsv" | median)% of its CPUs during the runs."
	if awk '$15 == 1 { f = 1 } END { exit !f }' "$WORK/runs.tsv"; then
		echo "Runs kept although the host was not quiet (what others used):" \
		     "$(awk '$15 == 1 { printf "%s/%s (%s%%) ", $1, $2, $16 }' "$WORK/runs.tsv")"
	fi
}

report__progs()
{
	[ -s "$WORK/progs.tsv" ] || return 0
	echo "| tracer | BPF program | runs / conn | ns / run | xlated / jited bytes |" \
	     "verified insns |"
	echo "| --- | --- | ---: | ---: | ---: | ---: |"
	# label cfg name runs ns xlated jited verified conns; programs that never ran left out
	sort -k2,2 -k3,3 "$WORK/progs.tsv" | awk '$4 > 0 {
		c = $2
		if (c == "hist") c = "tcpclose --hist"
		if (c == "floor") c = "floor (reference)"
		if (c == "paused") c = "tcpclose, stopped"
		printf "| %s | %s | %.2f | %.1f | %s / %s | %s |\n", c, $3, $4 / $9, $5 / $4,
		       $6, $7, $8 }'
}

# one column of the timer runs of one program: ns per run, or runs per second
tprogs__col()
{
	awk -v c="$1" -v k="$2" -v what="$3" '$2 == c { n = $3; sub(/^(tc|f|e)_/, "", n) }
		$2 == c && n == k && $4 > 0 { print (what == "ns") ? $5 / $4 : $4 / $9 }' \
		"$WORK/tprogs.tsv"
}

report__timers()
{
	local none cfg rate k tc fl hits sep=""

	[ -s "$WORK/timers.tsv" ] || return 0
	none=$(awk '$2 == "none" { print $3 }' "$WORK/timers.tsv" | median)
	printf 'Timer sleeps per second of "churn --timers" (timer_list timers armed and'
	printf ' cancelled or expired, no TCP), medians of %s rounds, bpf_stats on:' "$TIMER_ROUNDS"
	for cfg in none tcpclose floor; do
		rate=$(awk -v c="$cfg" '$2 == c { print $3 }' "$WORK/timers.tsv" | median)
		printf '%s %s %.0f (%s)' "$sep" "$cfg" "$rate" \
			"$(awk -v a="$rate" -v b="$none" 'BEGIN { printf "%.1f%%", a / b * 100 }')"
		sep=","
	done
	echo "; others used a median $(awk '{ print $4 }' "$WORK/timers.tsv" | median)% of" \
	     "the CPUs."
	echo
	echo "| timer hook | hits / s | tcpclose ns / hit | floor ns / hit |" \
	     "tcpclose above floor |"
	echo "| --- | ---: | ---: | ---: | ---: |"
	for k in timer_start timer_cancel timer_expire timer_exit; do
		hits=$(tprogs__col tcpclose "$k" hits | median)
		[ "$hits" = - ] && continue
		tc=$(tprogs__col tcpclose "$k" ns | median)
		fl=$(tprogs__col floor "$k" ns | median)
		awk -v k="$k" -v h="$hits" -v t="$tc" -v f="$fl" 'BEGIN {
			printf "| %s | %.0f | %.1f | ", k, h, t
			if (f == "-")
				print "- | - |"
			else
				printf "%.1f | %+.1f |\n", f, t - f }'
	done
	awk '$2 == "tcpclose" && $3 ~ /timer/ { t += $5; n += $4 }
	     END { if (n) printf "| all, weighted by hits | | %.1f | | |\n", t / n }' \
		"$WORK/tprogs.tsv"
}

report__scale()
{
	[ -s "$WORK/scale.tsv" ] || return 0
	echo "| tcpclose | connections | TIME_WAIT sockets | tws map entries | RSS MiB (peak) |" \
	     "BPF maps MiB | records delivered / expected | lost |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	awk '{ printf "| --netns %s | %d | %d | %s | %.1f (%.1f) | %.1f | %s / %d | %s |\n",
		      $1, $2, $3, $4, $5 / 1024, $6 / 1024, $7 / 1048576, $8, $2 * 2, $9 }' \
		"$WORK/scale.tsv"
}

report__machine()
{
	local cpu mem os ver clock

	cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
	mem=$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
	os=$(awk -F= '$1 == "PRETTY_NAME" { gsub(/"/, "", $2); print $2 }' /etc/os-release)
	ver=$("$TCPCLOSE" -V 2>&1 | head -1 | awk '{ print $NF }')
	clock=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)
	echo "- machine: kernel $(uname -r), $(nproc) CPUs ($cpu), $mem RAM, clocksource $clock"
	echo "- $os; tcpclose $ver, libbpf-tools $(dpkg-query -W -f='${Version}' libbpf-tools)," \
	     "$(bpftrace --version | head -1)"
}

report()
{
	local cmd tree

	cmd="BENCH_ROUNDS=$ROUNDS BENCH_CONNS=$CONNS BENCH_THREADS=$THREADS"
	cmd="$cmd BENCH_TIMER_ROUNDS=$TIMER_ROUNDS BENCH_TIMER_SECONDS=$TIMER_SECONDS"
	cmd="$cmd BENCH_SCALE_CONNS=$SCALE_CONNS"
	[ "$CONFIGS" = "$DEFAULT_CONFIGS" ] || cmd="$cmd BENCH_CONFIGS=\"$CONFIGS\""
	tree=$(git rev-parse --short HEAD 2>/dev/null || echo '?')
	git diff --quiet HEAD 2>/dev/null || tree="$tree with local changes"
	echo "## Churn"
	echo
	report__churn
	echo
	echo "## Cost per BPF program run (kernel.bpf_stats_enabled=1, one more round)"
	echo
	report__progs
	echo
	echo "## Timer hooks under a timer-heavy load"
	echo
	report__timers
	echo
	echo "## Scale: timewait sockets followed at once"
	echo
	report__scale
	echo
	echo "## How and where"
	echo
	echo "- command: \`$cmd make bench\` on $(date -u +%Y-%m-%d), tree at $tree"
	report__machine
	echo "- the bpftrace one-liner: \`bpftrace -e '$(echo "$BT_PROG" | tr -s '\t\n' '  ')'\`"
}

# the report above the hand-written "Reading the tables" of the existing file
doc__write()
{
	{
		echo "# Benchmarks"
		echo
		echo "The latest \`make bench\`; how it measures and how to rerun it: see"
		echo "[Reading the tables](#reading-the-tables)."
		echo
		cat "$WORK/report.md"
		echo
		sed -n '/^## Reading the tables/,$p' "$DOC" 2>/dev/null || true
	} >"$WORK/doc.md"
	cp "$WORK/doc.md" "$DOC"
	log "wrote $DOC"
}

main()
{
	local r cfg order=""

	trap cleanup EXIT
	trap 'log "failed: line $LINENO: $BASH_COMMAND"' ERR
	trap 'exit 130' INT TERM
	preflight
	WORK=$(mktemp -d /dev/shm/tcbench.XXXXXX)
	# the same binary for every run, even if the tree is rebuilt meanwhile
	cp "$TCPCLOSE" "$WORK/tcpclose"
	TCPCLOSE=$WORK/tcpclose
	: >"$WORK/runs.tsv"
	: >"$WORK/progs.tsv"
	: >"$WORK/timers.tsv"
	: >"$WORK/tprogs.tsv"
	: >"$WORK/scale.tsv"
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

	for r in $(seq "$TIMER_ROUNDS"); do
		for cfg in $(printf '%s\n' none tcpclose floor | shuf); do
			run__timers "$cfg" "round$r"
		done
	done

	if [ "$SCALE_CONNS" -gt 0 ]; then
		run__scale ""
		# records lost: show whether a bigger ring buffer is all it takes
		if [ "$(awk '{ print $9 }' "$WORK/scale.tsv")" != 0 ]; then
			run__scale "--ringbuf-size=$((64 << 20))"
		fi
	fi

	report >"$WORK/report.md"
	echo
	cat "$WORK/report.md"
	[ -z "$DOC" ] || doc__write
}

main "$@"
