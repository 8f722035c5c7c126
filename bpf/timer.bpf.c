// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The tracepoint backend: the timer tracepoints, on every kernel (this project's own has
 * neither kprobes nor fentry). They fire for every timer of the host, so each program first
 * compares the handler with the few TCP ones and is done for any other: one load and a few
 * compares. What each tells about a timewait socket is in timewait_tracepoint.bpf.h, about
 * keepalive and retransmit timers in keepalive.bpf.h. Loaded unless user space chose the
 * fentry or kprobe backend (user/backend.c).
 */
#include "timewait_tracepoint.bpf.h"
#include "keepalive.bpf.h"

extern const void tw_timer_handler __ksym __weak;
extern const void reqsk_timer_handler __ksym __weak;
extern const void tcp_keepalive_timer __ksym __weak;
extern const void tcp_write_timer __ksym __weak;

SEC("tp_btf/timer_start")
int BPF_PROG(tcpc_timer_start, struct timer_list *timer)
{
	void *fn = timer->function;

	if (fn == &tcp_keepalive_timer) {
		/* its re-arm in its own run, with the socket lock held: count its probe now */
		tcptimer__rearm(sk_of_keepalive_timer(timer));
		return 0;
	}
	if (fn == &reqsk_timer_handler) {
		const struct request_sock *req = (const void *)timer -
			bpf_core_field_offset(struct request_sock, rsk_timer);

		timewait__resolve(TW_NEXT_REQSK, 0, &req->__req_common);
		return 0;
	}
	if (fn == &tw_timer_handler)
		timewait__timer_start(timewait__from_timer(timer));
	return 0;
}

SEC("tp_btf/timer_cancel")
int BPF_PROG(tcpc_timer_cancel, struct timer_list *timer)
{
	if (timer->function == &tw_timer_handler)
		timewait__timer_cancel(ctx, timewait__from_timer(timer));
	return 0;
}

SEC("tp_btf/timer_expire_entry")
int BPF_PROG(tcpc_timer_expire, struct timer_list *timer)
{
	void *fn = timer->function;

	if (fn == &tw_timer_handler)
		timewait__timer_expire(timewait__from_timer(timer));
	else if (fn == &tcp_keepalive_timer)
		tcptimer__enter(sk_of_keepalive_timer(timer), TIMER_KEEPALIVE);
	else if (fn == &tcp_write_timer)
		tcptimer__enter(sk_of_write_timer(timer), TIMER_WRITE);
	return 0;
}

SEC("tp_btf/timer_expire_exit")
int BPF_PROG(tcpc_timer_exit, struct timer_list *timer)
{
	void *fn = timer->function;

	if (fn == &tcp_keepalive_timer)
		tcptimer__exit(sk_of_keepalive_timer(timer));
	else if (fn == &tcp_write_timer)
		tcptimer__exit(sk_of_write_timer(timer));
	return 0;
}

/*
 * Run by user space on a CPU (BPF_PROG_TEST_RUN) whose timewait cancel has waited long
 * enough that nothing will follow it: at exit, and when a host is too idle to settle it.
 * args[0] and args[1] are the cancel's socket and time as user space read them: a cancel
 * that came since (its own socket's, or an expiry's, whose run may be interrupted by this
 * one) is not that old and is left for what follows it.
 */
SEC("raw_tp")
int tcpc_flush(struct bpf_raw_tracepoint_args *ctx)
{
	struct tcpc_tw_pending *p = percpu__get(&tw_pending);

	if (!p || p->tw != ctx->args[0] || p->ts_ns != ctx->args[1])
		return 0;
	timewait__resolve(TW_NEXT_OTHER, 0, NULL);
	return 0;
}
