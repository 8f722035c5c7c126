/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The fentry and kprobe backends' view of a timewait socket (fentry.bpf.c, kprobe.bpf.c),
 * where the kernel allows either. The timewait functions themselves say what the timer
 * tracepoints leave to guess, exactly and for this socket only: __inet_twsk_schedule (made,
 * or re-armed by any peer FIN), inet_twsk_deschedule_put and inet_twsk_kill (killed: the
 * segment tcp_timewait_state_process took in last tells an RST from a SYN),
 * tw_timer_handler (expired). No timer tracepoint is needed then.
 */
#ifndef __TIMEWAIT_FUNCS_BPF_H
#define __TIMEWAIT_FUNCS_BPF_H

#include "timewait_noentry.bpf.h"

/* tcp_timewait_state_process() takes a segment in for tw */
static __always_inline void timewait__segment(__u64 tw, const struct tcphdr *th)
{
	struct tw_segment *seg = percpu__get(&tw_seg);
	__u8 flags = 0;

	if (!seg)
		return;
	bpf_probe_read_kernel(&flags, 1, (const void *)th + TCP_FLAGS_OFFSET);
	seg->tw = tw;
	seg->flags = flags;
}

/*
 * The flags of the segment tw took in last on this CPU, 0 if it was another socket's; each
 * is taken once, by the re-arm or the kill it caused. One left behind by a segment that
 * did neither (a SYN no listener took, a duplicate) must not speak for a later kill of
 * this socket, nor of another that the allocator puts at its address.
 */
static __always_inline __u8 timewait__segment_take(__u64 tw)
{
	struct tw_segment *seg = percpu__get(&tw_seg);

	if (!seg || seg->tw != tw)
		return 0;
	seg->tw = 0;
	return seg->flags;
}

/* __inet_twsk_schedule(tw, timeo, rearm), on its way in: the timer is not armed yet */
static __always_inline void timewait__scheduled(__u64 tw, int timeo, bool rearm, __u64 now)
{
	struct tcpc_tw *t;

	if (!rearm) {
		/* a new socket: what an earlier one at this address took in is not its */
		timewait__segment_take(tw);
		timewait__made(tw, now);
		return;
	}
	/* an RST in TIME_WAIT under tcp_rfc1337 re-arms too: no peer FIN, no restart */
	if (tw_entryless) {
		if (!(timewait__segment_take(tw) & TCPHDR_RST))
			noentry__rearmed(tw, bpf_jiffies64() + timeo, now);
		return;
	}
	t = bpf_map_lookup_elem(&tws, &tw);
	if (t && !(timewait__segment_take(tw) & TCPHDR_RST))
		timewait__rearmed(tw, t, bpf_jiffies64() + timeo, now);
}

/*
 * How tw, ports sport and dport, is being killed: flags are those of the segment it took
 * in last (0 if none), *twf its TCPC_TWF_*
 */
static __always_inline __u8 timewait__kill_kind(__u64 tw, __u16 sport, __u16 dport,
						__u8 flags, __u8 *twf)
{
	if (timewait__netns_dying(tw))
		return TCPC_TW_PURGED;
	if (timewait__reused_by_connect(tw, sport, dport, bpf_jiffies64()))
		return TCPC_TW_REUSED;
	if (flags & TCPHDR_RST)
		return TCPC_TW_RST;
	if (flags && BPF_CORE_READ((const struct inet_timewait_sock *)tw, tw_substate) ==
		     TCP_FIN_WAIT2)
		/*
		 * An orphaned FIN_WAIT2 is killed by a segment only for a reset it answers it
		 * with (tcp_timewait_state_process(): TCP_TW_RST for new data or a SYN), whether
		 * or not tcp_send_reset shows that reset (it does since 6.10)
		 */
		return timewait__answered(twf, flags);
	if (flags & TCPHDR_SYN)
		return TCPC_TW_SYN;	/* tcp_v4_rcv() handed the SYN to a listener */
	return TCPC_TW_KILLED;		/* tcp_abort(): sock_destroy, ss -K */
}

/*
 * Without an entry: inet_twsk_kill(tw), which every end goes through once (after
 * inet_twsk_deschedule_put() or tw_timer_handler(), on the same CPU): the one place the end
 * is sent from, so that it is sent once. An expiry was noted by tw_timer_handler().
 */
static __always_inline void noentry__killed(__u64 tw, __u64 now)
{
	struct tw_note *n = percpu__get(&tw_note);
	struct tcpc_tw_pending snap = {};
	__u8 flags, twf, kind;
	bool expired = n && n->expiring == tw;

	/* what was noted of it is taken, whether or not the filters want it */
	flags = timewait__segment_take(tw);
	twf = timewait__take_reset(tw);
	if (expired)
		n->expiring = 0;
	noentry__snapshot(&snap, tw);
	if (noentry__filtered(tw, &snap))
		return;
	kind = expired ? TCPC_TW_EXPIRED :
			 timewait__kill_kind(tw, snap.sport, snap.dport, flags, &twf);
	noentry__send(TCPC_TW_SEEN_END, tw, &snap, kind, twf, now);
}

/*
 * inet_twsk_kill(tw), which every timewait socket's end goes through; with an entry, also
 * inet_twsk_deschedule_put(tw) before it (timewait__descheduled()): the first sends the end
 */
static __always_inline void timewait__killed(__u64 tw, __u64 now)
{
	struct tcpc_tw *t;
	__u8 flags;

	if (tw_entryless) {
		noentry__killed(tw, now);
		return;
	}
	flags = timewait__segment_take(tw);
	t = bpf_map_lookup_elem(&tws, &tw);
	if (!t)
		return;
	timewait__end(tw, t, timewait__kill_kind(tw, t->sport, t->dport, flags, &t->flags), now);
}

/*
 * inet_twsk_deschedule_put(tw): the socket killed before its time. With an entry, its end is
 * sent from here (where the compiler did not inline it: 6.1's inet_twsk_purge()) and the
 * inet_twsk_kill() it calls finds none; without, from there.
 */
static __always_inline void timewait__descheduled(__u64 tw, __u64 now)
{
	if (!tw_entryless)
		timewait__killed(tw, now);
}

/* tw_timer_handler(): tw's timer ran out */
static __always_inline void timewait__timed_out(__u64 tw, __u64 now)
{
	struct tw_note *n;

	if (!tw_entryless) {
		timewait__expired(tw, now);
		return;
	}
	/* the inet_twsk_kill() it calls sends the end */
	n = percpu__get(&tw_note);
	if (n)
		n->expiring = tw;
}

#endif /* __TIMEWAIT_FUNCS_BPF_H */
