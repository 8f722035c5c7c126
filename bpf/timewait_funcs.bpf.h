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

#include "timewait.bpf.h"

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
	t = bpf_map_lookup_elem(&tws, &tw);
	/* an RST in TIME_WAIT under tcp_rfc1337 re-arms too: no peer FIN, no restart */
	if (t && !(timewait__segment_take(tw) & TCPHDR_RST))
		timewait__rearmed(tw, t, bpf_jiffies64() + timeo, now);
}

/* inet_twsk_deschedule_put(tw) or inet_twsk_kill(tw): the socket killed before its time */
static __always_inline void timewait__killed(__u64 tw, __u64 now)
{
	struct tcpc_tw *t;
	__u8 flags, kind;

	flags = timewait__segment_take(tw);
	t = bpf_map_lookup_elem(&tws, &tw);
	if (!t)
		return;
	if (timewait__netns_dying(tw))
		kind = TCPC_TW_PURGED;
	else if (timewait__reused_by_connect(tw, t, bpf_jiffies64()))
		kind = TCPC_TW_REUSED;
	else if (flags & TCPHDR_RST)
		kind = TCPC_TW_RST;
	else if (flags && BPF_CORE_READ((const struct inet_timewait_sock *)tw, tw_substate) ==
			  TCP_FIN_WAIT2)
		/*
		 * An orphaned FIN_WAIT2 is killed by a segment only for a reset it answers it
		 * with (tcp_timewait_state_process(): TCP_TW_RST for new data or a SYN), whether
		 * or not tcp_send_reset shows that reset (it does since 6.10)
		 */
		kind = timewait__answered(t, flags);
	else if (flags & TCPHDR_SYN)
		kind = TCPC_TW_SYN;	/* tcp_v4_rcv() handed the SYN to a listener */
	else
		kind = TCPC_TW_KILLED;	/* tcp_abort(): sock_destroy, ss -K */
	timewait__end(tw, t, kind, now);
}

#endif /* __TIMEWAIT_FUNCS_BPF_H */
