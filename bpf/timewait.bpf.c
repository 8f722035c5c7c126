// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The timewait socket's timer: see timewait.bpf.h for what each tracepoint tells. */
#include "timewait.bpf.h"

extern const void tw_timer_handler __ksym __weak;
extern const void reqsk_timer_handler __ksym __weak;

/* armed again: the peer's FIN ended FIN_WAIT2, or a retransmitted one restarted 2MSL */
static __always_inline void tw__rearmed(__u64 tw, struct twconn *t, __u64 now)
{
	struct tc_tw_pending snap = {};

	tw__snapshot(&snap, tw);
	if (snap.substate != TCP_TIME_WAIT)
		return;
	tw__note_peer_fin(t, snap.rcv_nxt, snap.snd_nxt);
	if (t->c.state == TCP_FIN_WAIT2) {
		conn__enter(&t->c, TCP_TIME_WAIT, now);
	} else {
		t->c.rec.flags |= TC_F_TW_RESTART;
		t->c.rec.tw_restart_ns = now;
	}
	t->tw_arm_j = bpf_jiffies64();
}

SEC("tp_btf/timer_start")
int BPF_PROG(tc_timer_start, struct timer_list *timer)
{
	void *fn = timer->function;
	struct twconn *t;
	__u64 tw, now;

	/* every timer of the host passes here: the handler decides, and cheaply */
	if (fn == &reqsk_timer_handler) {
		const struct request_sock *req = (const void *)timer -
			bpf_core_field_offset(struct request_sock, rsk_timer);

		tw__resolve(TW_NEXT_REQSK, 0, &req->__req_common);
		return 0;
	}
	if (fn != &tw_timer_handler)
		return 0;
	tw = tw__from_timer(timer);
	tw__resolve(TW_NEXT_START, tw, NULL);
	now = bpf_ktime_get_ns();
	t = bpf_map_lookup_elem(&tws, &tw);
	if (t)
		tw__rearmed(tw, t, now);
	else
		timewait__follow(tw, now, false);
	return 0;
}

SEC("tp_btf/timer_cancel")
int BPF_PROG(tc_timer_cancel, struct timer_list *timer)
{
	struct tc_tw_pending *p;
	struct twconn *t;
	__u64 tw, now;

	if (timer->function != &tw_timer_handler)
		return 0;
	tw = tw__from_timer(timer);
	tw__resolve(TW_NEXT_OTHER, tw, NULL);
	t = bpf_map_lookup_elem(&tws, &tw);
	p = percpu__get(&tw_pending);
	if (!t || !p)
		return 0;
	now = bpf_ktime_get_ns();
	tw__snapshot(p, tw);
	p->ts_ns = now;
	if (tw__netns_dying(tw))
		p->kind = TC_TW_PURGED;
	else if (tw__reused_by_connect(t, now))
		p->kind = TC_TW_REUSED;
	else
		p->kind = TC_TW_RST;	/* or TC_TW_SYN, if a request socket follows */
	p->tw = tw;
	return 0;
}

SEC("tp_btf/timer_expire_entry")
int BPF_PROG(tc_timer_expire, struct timer_list *timer)
{
	struct tc_tw_pending snap = {};
	struct twconn *t;
	__u64 tw;

	if (timer->function != &tw_timer_handler)
		return 0;
	tw = tw__from_timer(timer);
	tw__resolve(TW_NEXT_EXPIRE, tw, NULL);
	t = bpf_map_lookup_elem(&tws, &tw);
	if (!t)
		return 0;
	tw__snapshot(&snap, tw);
	tw__settle(t, snap.substate, snap.expires, snap.rcv_nxt, snap.snd_nxt);
	tw__finish(tw, t, TC_TW_EXPIRED, bpf_ktime_get_ns());
	return 0;
}

/*
 * Run by user space on a CPU (BPF_PROG_TEST_RUN) whose cancel has waited long enough that
 * nothing will follow it: at exit, and when a host is too idle to settle it soon.
 */
SEC("raw_tp")
int tc_flush(void *ctx)
{
	tw__resolve(TW_NEXT_OTHER, 0, NULL);
	return 0;
}
