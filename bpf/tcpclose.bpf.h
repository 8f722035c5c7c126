/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What every tcpclose BPF file shares: the maps and the load-time settings (defined once in
 * maps.bpf.c, declared extern here for the other files the linker joins into one object),
 * and the per-connection state kept while a connection closes.
 */
#ifndef __TCPCLOSE_BPF_H
#define __TCPCLOSE_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "tcpclose.h"

#define AF_INET 2
#define AF_INET6 10
#define ETIMEDOUT 110
#define EEXIST 17
#define NSEC_PER_SEC 1000000000ULL
/*
 * The TCP header's flags byte (include/net/tcp.h: tcp_flag_byte()): bitfields in struct
 * tcphdr, so no offsetof(). TCP_SKB_CB(skb)->tcp_flags holds the same bits.
 */
#define TCP_FLAGS_OFFSET 13
#define TCPHDR_FIN 0x01
#define TCPHDR_SYN 0x02
#define TCPHDR_RST 0x04
#define TCP_TIMEWAIT_LEN_SEC 60	/* include/net/tcp.h: (60 * HZ), not tunable */

#ifdef TCPCLOSE_DEFINE_MAPS
#define TCPC_MAP
#else
#define TCPC_MAP extern
#endif

/* keepalive probes of a connection, counted around its keepalive timer's runs */
struct ka_count {
	__u32 probes;		/* probes sent (icsk_probes_out went up) */
	__u32 unanswered;	/* the longest run of probes that got no answer */
	__u32 last;		/* icsk_probes_out after the timer's last run */
	__u16 sport, dport;	/* whose they are: another socket at the address starts afresh */
};

enum tcp_timer_kind {
	TIMER_NONE,
	TIMER_KEEPALIVE,	/* tcp_keepalive_timer (also FIN_WAIT2 of orphans) */
	TIMER_WRITE,		/* icsk_retransmit_timer: tcp_write_timer */
};

/* the TCP timer running on this CPU, between timer_expire_entry and timer_expire_exit */
struct timer_run {
	__u64 sk;
	__u8 kind;		/* enum tcp_timer_kind */
	__u8 probes_out;	/* icsk_probes_out when the timer began */
};

/* the last connect() on this CPU, to tell a timewait socket recycled by connect() */
struct connecting {
	__u64 sk;
	__u64 pid_tgid;
	__u64 jiffies;	/* when: jiffies, a load once the verifier inlines bpf_jiffies64() */
	__u16 dport;
	__u8 daddr[16];
};

/* load-time settings, set by user space through the skeleton's rodata */
extern const volatile __u32 filter_netns;
extern const volatile __u64 filter_netns_cookie;	/* --netns, where the kernel has cookies */
extern const volatile __u32 filter_pid;
extern const volatile __u16 filter_lport;
extern const volatile __u16 filter_dport;
extern const volatile __u8 filter_family;
extern const volatile __u8 emit_transitions;
extern const volatile __u32 kernel_hz;
extern const volatile __u8 emit_records;	/* 0 with --hist alone (timewait heads go) */
extern const volatile __u8 hist_enabled;
extern const volatile __u64 stuck_ns;		/* --stuck threshold */
extern const volatile __u32 ringbuf_batch;	/* bytes a CPU sends between asking the ring */
extern const volatile __u32 ringbuf_wake_bytes;	/* unread bytes that wake the reader */
extern const volatile __u64 filter_cgroup;	/* --cgroup: cgroup v2 id (its inode) */
extern const volatile __u32 filter_cgroup_level;	/* its depth below the root */
extern const volatile __u8 filter_laddr;	/* --laddr given: local address in 'laddrs' */
extern const volatile __u8 filter_raddr;	/* --raddr given: remote address in 'raddrs' */
/* x86: this CPU's preempt count lies this far from its run queue; 0 if not found */
extern const volatile __s64 preempt_count_off;
/* the backend sees every re-arm of a timewait timer (fentry, kprobe), not only some */
extern const volatile __u8 tw_rearms_seen;
/*
 * timewait sockets followed without an entry in 'tws': their claim sends the head with the
 * deadline, their timer's events what the socket shows (timewait_noentry.bpf.h), and user
 * space settles the record (user/loader.c says where nothing needs an entry)
 */
extern const volatile __u8 tw_entryless;
/* when jiffy 0 began, by the tightest (clock, jiffies) pair read yet (jiffies.bpf.h) */
extern __u64 jiffies_offset;
/*
 * The text ([start, end)) of the functions a timewait socket's kill may come from (enum
 * tcpc_tw_kill_fn), for the tracepoint backend to tell a process's kill from a segment's,
 * and, where tcp_send_reset does not see the resets of timewait sockets (before 6.10,
 * tw_reset_by_stack), the kill that follows a reset it sent (timewait_tracepoint.bpf.h)
 */
extern const volatile __u64 tw_kill_text[TW_KILL_NR][2];
extern const volatile __u8 tw_reset_by_stack;


/* the tcpc_iter program's orders and answers, set and read by user space between walks */
extern __u32 iter_mode;
extern __u8 iter_mark;		/* what TCPC_ITER_MARK writes */
extern __u64 gauges[TCPC_NR_STATES];
/* entries in kas now (keepalive.bpf.h): 0 lets a close skip looking there */
extern __u64 ka_entries;

TCPC_MAP struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, TCPC_RINGBUF_SIZE);
} events SEC(".maps");

/*
 * Timewait sockets followed, keyed by the socket. --max-tw bounds it. Not preallocated as
 * built, so that a host with few pays for few (an element of 96 bytes of slab, struct
 * tcpc_tw); user space preallocates it where that takes little (--tw-alloc, user/loader.c).
 */
TCPC_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, TCPC_MAX_TW);
	__type(key, __u64);		/* struct inet_timewait_sock * */
	__type(value, struct tcpc_tw);
} tws SEC(".maps");

/*
 * Without timewait entries: the sockets whose end found the ring buffer full (the record is
 * lost, counted), for user space to forget their heads by (core__forget_lost_ends()). One
 * entry unless user space chose to follow timewait sockets without entries.
 */
TCPC_MAP struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, TCPC_TW_ENDS_LOST);
	__type(value, struct tcpc_tw_found);
} tw_ends_lost SEC(".maps");

/* bytes this CPU sent into the ring buffer since it last woke the reader */
TCPC_MAP struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} rb_unwoken SEC(".maps");

/* timewait sockets followed now, per CPU: made here minus ended here */
TCPC_MAP struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __s64);
} tw_live SEC(".maps");

TCPC_MAP struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TCPC_NR_DROPS);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

TCPC_MAP struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tcpc_tw_pending);
} tw_pending SEC(".maps");

/*
 * The timewait sockets armed last on this CPU, for the full socket's CLOSE that follows to
 * claim: a few, since a softirq can make another between the two on the same CPU. Only the
 * claim reads the socket; an unclaimed one (a filtered connection's) costs nothing more.
 */
#define TW_RECENT 4
struct tw_made {
	__u64 tw;		/* struct inet_timewait_sock * */
	__u64 ns;		/* when its timer was armed */
	__u64 j;		/* and the jiffies then */
};

struct tw_recent {
	struct tw_made made[TW_RECENT];
	__u32 next;
};

TCPC_MAP struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tw_recent);
} tw_last SEC(".maps");

/* the segment a timewait socket took in last on this CPU (fentry and kprobe backends) */
struct tw_segment {
	__u64 tw;
	__u8 flags;		/* TCP flags */
};

TCPC_MAP struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tw_segment);
} tw_seg SEC(".maps");

/*
 * Without an entry (tw_entryless), what a timewait socket's end needs noted on this CPU: the
 * reset it answered a segment with (the kill follows in the same call), and, for the fentry
 * and kprobe backends, the socket tw_timer_handler() is expiring (its inet_twsk_kill()
 * follows, which sends the end)
 */
struct tw_note {
	__u64 reset_tw;
	__u64 expiring;
	__u8 reset_flags;	/* TCPC_TWF_RST_SENT, TCPC_TWF_RST_SYN */
};

TCPC_MAP struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tw_note);
} tw_note SEC(".maps");

TCPC_MAP struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct connecting);
} connecting SEC(".maps");

/* --hist: counts per close state and bucket, per CPU; one element unless --hist is given */
TCPC_MAP struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TCPC_NR_STATES * TCPC_HIST_CHUNKS);
	__type(key, __u32);
	__type(value, struct tcpc_hist_chunk);
} hists SEC(".maps");

/* --hist: the longest dwell in each close state, per CPU */
TCPC_MAP struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tcpc_hist_max);
} hist_max SEC(".maps");

TCPC_MAP struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, TCPC_MAX_CIDRS);
	__type(key, struct tcpc_cidr_key);
	__type(value, __u8);
} laddrs SEC(".maps");

TCPC_MAP struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, TCPC_MAX_CIDRS);
	__type(key, struct tcpc_cidr_key);
	__type(value, __u8);
} raddrs SEC(".maps");

TCPC_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, TCPC_MAX_KEEPALIVE);
	__type(key, __u64);		/* struct sock *: a timer's socket is no trusted pointer */
	__type(value, struct ka_count);
} kas SEC(".maps");

TCPC_MAP struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct timer_run);
} timer_run SEC(".maps");


static __always_inline void drop__count(enum tcpc_drop what)
{
	__u32 key = what;
	__u64 *cnt = bpf_map_lookup_elem(&drops, &key);

	if (cnt)
		*cnt += 1;
}

static __always_inline void *percpu__get(void *map)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(map, &zero);
}

/*
 * Wake the reader only when it has fallen behind. A wake-up is an irq_work, a self-IPI:
 * one per record would cost more than the rest of the program, and the reader polls every
 * 100 ms anyway. So each CPU counts what it sends (ringbuf_batch bytes, set at load), and
 * at each batch asks the ring how much is unread (BPF_RB_AVAIL_DATA: it reads the
 * consumer's position, a line the reader writes, which asked at every record cost a close
 * more than its map operations): the reader is woken only if ringbuf_wake_bytes are, a
 * sixteenth of the ring. A reader that keeps up is left to its polls; one that falls
 * behind is woken at the first count after it did (docs/COST.md, "Fewer wake-ups").
 */
static __always_inline __u64 ringbuf__flags(__u32 bytes)
{
	__u32 *unwoken = percpu__get(&rb_unwoken);

	if (!unwoken)
		return 0;
	*unwoken += bytes;
	if (*unwoken < ringbuf_batch)
		return BPF_RB_NO_WAKEUP;
	*unwoken = 0;
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) < ringbuf_wake_bytes)
		return BPF_RB_NO_WAKEUP;
	return BPF_RB_FORCE_WAKEUP;
}

static __always_inline void tw_live__add(__s64 n)
{
	__s64 *live = percpu__get(&tw_live);

	if (live)
		*live += n;
}

#endif /* __TCPCLOSE_BPF_H */
