# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# tools/bench/system.sh: what tools/bench.sh reads from the kernel (/proc, bpftool, sysctl) and
# the namespaces and tracers it starts and stops. Sourced by tools/bench.sh, whose globals it
# uses: WORK, NETNS, TPID, HOST_NOISE, RUN_NR, QUIET_*, TCPCLOSE, TCPSTATES, FLOOR, BT_PROG,
# and its log and die.

# ---- what the kernel tells about a process and the host ----

# bpftool's JSON, or "[]": a program or map that goes away while bpftool lists it (other
# people's tests load and unload theirs all the time) can make it fail
bpftool__json()
{
	local i out

	for i in 1 2 3; do
		if out=$(bpftool -j "$@" 2>/dev/null) && echo "$out" | jq -e . >/dev/null 2>&1; then
			echo "$out"
			return 0
		fi
		sleep 0.1
	done
	echo '[]'
}

# "prog" or "map" ids a process holds file descriptors of
fd__bpf_ids()
{
	grep -h "^$2_id:" /proc/"$1"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -un
}

# CPU time of all the process's threads, in ns
proc__cpu_ns()
{
	cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%d\n", s }'
}

# VmRSS or VmHWM, in KiB
proc__mem_kib()
{
	awk -v k="$2:" '$1 == k { print $2 }' /proc/"$1"/status
}

# KiB resident in a process's mappings of BPF maps (the ring buffer, mapped twice over): the
# maps' memlock counts the same pages
proc__map_rss_kib()
{
	awk '/^[0-9a-f]+-[0-9a-f]+ / { bpf = ($6 == "anon_inode:bpf-map") }
	     /^Rss:/ && bpf { k += $2 } END { print k + 0 }' /proc/"$1"/smaps
}

# memlock of the BPF maps a process holds, in bytes (fdinfo has memlock before map_id)
proc__map_bytes()
{
	awk '/^memlock:/ { m = $2 } /^map_id:/ { mem[$2] = m }
	     END { for (i in mem) s += mem[i]; printf "%d\n", s }' /proc/"$1"/fdinfo/* 2>/dev/null
}

# one line per BPF program of a process: id run_time_ns run_cnt verified_insns (link fds
# name a prog_id too, without the counters: they are left out)
proc__prog_stats()
{
	local f

	for f in /proc/"$1"/fdinfo/*; do
		awk '/^prog_id:/ { id = $2 } /^run_time_ns:/ { t = $2 } /^run_cnt:/ { c = $2 }
		     /^verified_insns:/ { v = $2 }
		     END { if (id && c != "") print id, t, c, v }' "$f" 2>/dev/null
	done | sort -un -k1,1
}

# id name bytes_xlated bytes_jited of the given program ids
prog__describe()
{
	local ids

	ids=$(printf '%s\n' "$@" | jq -s -c .)
	bpftool__json prog show | jq -r --argjson ids "$ids" \
		'.[] | select(.id as $i | $ids | index($i)) |
		 "\(.id) \(.name) \(.bytes_xlated // 0) \(.bytes_jited // 0)"'
}

# id, run_time_ns run_cnt verified_insns before, the same after, name xlated jited
prog__join()
{
	sort -k1,1 "$WORK/p0" >"$WORK/p0s"
	sort -k1,1 "$WORK/p1" >"$WORK/p1s"
	sort -k1,1 "$WORK/pdesc" >"$WORK/pdescs"
	join "$WORK/p0s" "$WORK/p1s" | join - "$WORK/pdescs"
}

# the id of the tracer's map of that name
proc__map_id()
{
	local id

	for id in $(fd__bpf_ids "$1" map); do
		if [ "$(bpftool__json map show id "$id" | jq -r '.name // ""')" = "$2" ]; then
			echo "$id"
			return
		fi
	done
}

# the bytes the kernel charges a map with (its memlock: elements and buckets)
map__memlock()
{
	bpftool__json map show id "$1" | jq '.bytes_memlock // 0'
}

# the timewait sockets tcpclose (PID $1, stderr in $WORK/err) follows now, as it says on
# SIGUSR1 (its entries, or its heads without entries); "?" if it says nothing within 30 s
tcpclose__followed()
{
	local pid=$1 before i

	before=$(grep -c '^tcpclose: so far ' "$WORK/err" || true)
	kill -USR1 "$pid" || { echo "?"; return; }
	for i in $(seq 300); do
		if [ "$(grep -c '^tcpclose: so far ' "$WORK/err" || true)" -gt "$before" ]; then
			grep '^tcpclose: so far ' "$WORK/err" | tail -1 |
				grep -o '[0-9]* timewait sockets still followed' | cut -d' ' -f1
			return
		fi
		sleep 0.1
	done
	echo "?"
}

# the kernel's slab memory now, in KiB (/proc/meminfo: Slab)
slab__kib()
{
	awk '$1 == "Slab:" { print $2 }' /proc/meminfo
}

# the index of a counter of enum tcpc_drop (bpf/tcpclose.h), by its name; nothing if none
drop__index()
{
	awk -v name="$1" '
		/^enum tcpc_drop \{/ { in_enum = 1; i = 0; next }
		in_enum && /^\};/ { exit }
		in_enum && match($0, /^\tTCPC_[A-Z0-9_]+/) {
			if (substr($0, RSTART + 1, RLENGTH - 1) == name) { print i; exit }
			i++
		}' "$(dirname "${BASH_SOURCE[0]}")/../../bpf/tcpclose.h"
}

# the keys of tcpclose's per-CPU "drops" map that count something lost: a record (ring buffer
# full, timewait map full) or a socket's keepalive probes (keepalive map full). The others
# count records sent incomplete, which are delivered.
DROP_KEYS=$(for d in TCPC_DROP_RINGBUF TCPC_DROP_TW_MAP TCPC_DROP_KA_MAP; do
	drop__index "$d"
done | paste -sd, -)
[[ $DROP_KEYS =~ ^[0-9]+,[0-9]+,[0-9]+$ ]] ||
	{ echo "bench: no enum tcpc_drop in bpf/tcpclose.h to read the drops map by" >&2; exit 1; }

# tcpclose's losses so far, from its "drops" map
tcpclose__drops()
{
	local id

	id=$(proc__map_id "$1" drops)
	[ -n "$id" ] || { echo 0; return; }
	bpftool__json map dump id "$id" |
		jq "[.[] | select(.formatted.key | IN($DROP_KEYS)) | .formatted.values[].value] | add // 0"
}

# tracing programs not ours (other people's tests, say): they would run on our load too
host__foreign_progs()
{
	local own

	own=$( { [ -n "$TPID" ] && fd__bpf_ids "$TPID" prog; } | jq -s -c .)
	bpftool__json prog show | jq -r --argjson own "$own" \
		'[.[] | select(.type | IN("tracing", "raw_tracepoint", "tracepoint", "kprobe",
					  "perf_event")) |
		  select(.id as $i | $own | index($i) | not) | .name] | join(",")'
}

# busy CPU time of the whole host so far, in ns
host__busy_ns()
{
	awk -v hz="$(getconf CLK_TCK)" 'NR == 1 { t = 0; for (i = 2; i <= 9; i++) t += $i
		printf "%.0f\n", (t - $5 - $6) * 1e9 / hz }' /proc/stat
}

# percent of all CPUs busy over half a second
host__busy_pct()
{
	local a

	a=$(host__busy_ns)
	sleep 0.5
	awk -v a="$a" -v b="$(host__busy_ns)" -v n="$(nproc)" \
		'BEGIN { printf "%d\n", (b - a) / (0.5e9 * n) * 100 }'
}

# wait until no other BPF tracer is loaded and the CPUs are idle; HOST_NOISE: what was not
host__wait_quiet()
{
	local i foreign busy

	HOST_NOISE=""
	for i in $(seq "$QUIET_WAIT"); do
		foreign=$(host__foreign_progs)
		busy=$(host__busy_pct)
		[ -z "$foreign" ] && [ "$busy" -le "$QUIET_BUSY" ] && return 0
		[ "$QUIET_LEFT" -le 0 ] && break
		[ "$i" -eq 1 ] && log "waiting for a quiet host (CPUs ${busy}% busy;" \
			"other BPF tracers: $([ -n "$foreign" ] && echo yes || echo no))"
		QUIET_LEFT=$((QUIET_LEFT - 1))
		sleep 0.5
	done
	# shellcheck disable=SC2034 # bench.sh's run__settled reads it
	HOST_NOISE="CPUs ${busy}% busy before${foreign:+, other tracers}"
}

# percent of the host's CPUs others used during a load: host busy ns, the load's CPU
# seconds (churn's own count), the tracer's CPU ns, the seconds
host__other_pct()
{
	awk -v h="$1" -v c="$2" -v t="$3" -v s="$4" -v n="$(nproc)" 'BEGIN {
		o = (h - c * 1e9 - t) / (s * 1e9 * n) * 100; printf "%.0f\n", (o < 0) ? 0 : o }'
}

# timewait sockets in our namespace now
netns__tw_count()
{
	ip netns exec "$NETNS" cat /proc/net/sockstat |
		awk '/^TCP:/ { for (i = 1; i < NF; i++) if ($i == "tw") print $(i + 1) }'
}

tw__slab_active()
{
	awk '$1 == "tw_sock_TCP" { print $2 }' /proc/slabinfo
}

# ---- namespaces and tracers ----

netns__new()
{
	RUN_NR=$((RUN_NR + 1))
	NETNS=tcbench-$$-$RUN_NR
	ip netns add "$NETNS"
	ip -n "$NETNS" link set lo up
}

# delete the namespace; wait until its timewait sockets are gone and the tracer is idle
netns__del_drain()
{
	local base=$1 i prev cur still=0

	ip netns del "$NETNS"
	NETNS=""
	for i in $(seq 600); do
		[ "$(tw__slab_active)" -le $((base + 1000)) ] && break
		sleep 0.1
	done
	[ -z "$TPID" ] && return 0
	prev=$(proc__cpu_ns "$TPID")
	for i in $(seq 120); do
		sleep 0.25
		cur=$(proc__cpu_ns "$TPID")
		# idle: under 1 ms of CPU in 0.25 s, four times running
		if [ $((cur - prev)) -lt 1000000 ]; then
			still=$((still + 1))
			[ "$still" -ge 4 ] && return 0
		else
			still=0
		fi
		prev=$cur
	done
	log "tracer still busy 30 s after the namespace went"
}

wait__for()
{
	local what=$1 i

	shift
	for i in $(seq 300); do
		"$@" && return 0
		kill -0 "$TPID" 2>/dev/null || die "$what exited: $(tail -3 "$WORK/err")"
		sleep 0.1
	done
	die "$what: not attached after 30 s: $(tail -3 "$WORK/err")"
}

tracer__has_progs()
{
	[ -n "$(fd__bpf_ids "$TPID" prog)" ]
}

# start a tracer configuration in the background and wait until it is attached; TPID is its
# pid, empty for none
tracer__start()
{
	local cfg=$1

	shift
	: >"$WORK/out"
	: >"$WORK/err"
	case $cfg in
	none)
		TPID=""
		return 0
		;;
	tcpclose)
		"$TCPCLOSE" "$@" >/dev/null 2>"$WORK/err" &
		;;
	hist)
		"$TCPCLOSE" --hist "$@" >/dev/null 2>"$WORK/err" &
		;;
	paused)
		# room for every record of the churn: none is lost while it sleeps
		"$TCPCLOSE" --ringbuf-size=$((256 << 20)) "$@" >/dev/null 2>"$WORK/err" &
		;;
	tcpstates)
		"$TCPSTATES" >"$WORK/out" 2>"$WORK/err" &
		;;
	bpftrace)
		bpftrace -e "$BT_PROG" >"$WORK/out" 2>"$WORK/err" &
		;;
	floor)
		"$FLOOR" 2>"$WORK/err" &
		;;
	*)
		die "unknown configuration $cfg"
		;;
	esac
	TPID=$!
	case $cfg in
	tcpclose | hist | paused)
		wait__for "$cfg" grep -q 'tcpclose: tracing' "$WORK/err"
		# a ring buffer consumer that is not caught up is never woken
		if [ "$cfg" = paused ]; then
			kill -STOP "$TPID"
		fi
		;;
	floor)
		wait__for "$cfg" grep -q 'floor: attached' "$WORK/err"
		;;
	*)
		# programs loaded; tcpstates and bpftrace attach within milliseconds of that
		wait__for "$cfg" tracer__has_progs
		sleep 1
		;;
	esac
}

tracer__stop()
{
	local i

	[ -z "$TPID" ] && return 0
	kill -INT "$TPID"
	for i in $(seq 200); do
		kill -0 "$TPID" 2>/dev/null || break
		[ "$i" -eq 150 ] && kill -TERM "$TPID" 2>/dev/null
		sleep 0.1
	done
	kill -KILL "$TPID" 2>/dev/null && log "tracer did not stop on SIGINT nor SIGTERM: killed"
	wait "$TPID" || true
	TPID=""
}

# "delivered lost", from what the tracer printed; "-" where it does not say
tracer__counts()
{
	local cfg=$1 s

	case $cfg in
	none | floor)
		echo "- -"
		;;
	tcpclose | hist | paused)
		# tcpclose: N records (...); lost: A (ring buffer full), B (...), C (...); ...
		s=$(grep '^tcpclose: [0-9]* records.*lost:' "$WORK/err" | tail -1)
		[ -n "$s" ] || { echo "? ?"; return; }
		if [ "$cfg" = hist ]; then
			printf -- '- '
		else
			printf '%s ' "$(echo "$s" | awk '{ print $2 }')"
		fi
		s=${s#*lost:}
		echo "${s%%;*}" | grep -o '[0-9][0-9]*' | awk '{ s += $1 } END { print s + 0 }'
		;;
	tcpstates)
		# one line per event after its header; "lost N events on CPU #C" on stderr
		echo "$(($(wc -l <"$WORK/out") - 1))" \
			"$(awk '/^lost [0-9]+ events/ { s += $2 } END { print s + 0 }' "$WORK/err")"
		;;
	bpftrace)
		awk '/^Lost [0-9]+ events/ { l += $2; next } /^Attaching|^$/ { next } { n++ }
		     END { print n + 0, l + 0 }' "$WORK/out"
		;;
	esac
}
