// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The fentry backend, where the kernel allows it: the timewait socket's own functions and the
 * TCP timer handlers, instead of the timer tracepoints. Each fires for TCP only (the timer
 * tracepoints fire for every timer of the host), and they see what the tracepoints cannot:
 * every re-arm by a peer FIN, and the segment that killed a timewait socket. Loaded instead
 * of timer.bpf.c when user space chose this backend (user/backend.c).
 */
#include "timewait_funcs.bpf.h"
#include "keepalive.bpf.h"

/*
 * rearm is a bool: only its low byte is defined. 5.10's trampoline saves a bool argument as
 * one byte, the rest of its slot left as it was, so "bool rearm" read the whole slot and saw
 * every new timewait socket as a re-arm
 */
SEC("fentry/__inet_twsk_schedule")
int BPF_PROG(tcpc_fe_tw_schedule, struct inet_timewait_sock *tw, int timeo, __u8 rearm)
{
	timewait__scheduled((__u64)tw, timeo, rearm, bpf_ktime_get_ns());
	return 0;
}

SEC("fentry/inet_twsk_deschedule_put")
int BPF_PROG(tcpc_fe_tw_kill, struct inet_timewait_sock *tw)
{
	timewait__descheduled((__u64)tw, bpf_ktime_get_ns());
	return 0;
}

/*
 * Every timewait socket's end, expired or killed, goes through inet_twsk_kill(); where the
 * compiler inlined inet_twsk_deschedule_put() into its caller in the same file (6.1's
 * inet_twsk_purge()), only this shows the kill. After tw_timer_handler() it finds nothing.
 */
SEC("fentry/inet_twsk_kill")
int BPF_PROG(tcpc_fe_tw_kill_any, struct inet_timewait_sock *tw)
{
	timewait__killed((__u64)tw, bpf_ktime_get_ns());
	return 0;
}

SEC("fentry/tw_timer_handler")
int BPF_PROG(tcpc_fe_tw_expire, struct timer_list *timer)
{
	timewait__timed_out(timewait__from_timer(timer), bpf_ktime_get_ns());
	return 0;
}

/* its later arguments changed over the versions; the first three did not */
SEC("fentry/tcp_timewait_state_process")
int BPF_PROG(tcpc_fe_tw_segment, struct inet_timewait_sock *tw, struct sk_buff *skb,
	     const struct tcphdr *th)
{
	timewait__segment((__u64)tw, th);
	return 0;
}

SEC("fentry/tcp_keepalive_timer")
int BPF_PROG(tcpc_fe_keepalive, struct timer_list *timer)
{
	tcptimer__enter(sk_of_keepalive_timer(timer), TIMER_KEEPALIVE);
	return 0;
}

SEC("fexit/tcp_keepalive_timer")
int BPF_PROG(tcpc_fe_keepalive_exit, struct timer_list *timer)
{
	tcptimer__exit(sk_of_keepalive_timer(timer));
	return 0;
}

/* returns with the socket lock held, unlike the timer: its probe is counted here */
SEC("fexit/tcp_write_wakeup")
int BPF_PROG(tcpc_fe_write_wakeup, struct sock *sk, int mib, int ret)
{
	tcptimer__wakeup_done((__u64)sk, ret);
	return 0;
}

SEC("fentry/tcp_write_timer")
int BPF_PROG(tcpc_fe_write, struct timer_list *timer)
{
	tcptimer__enter(sk_of_write_timer(timer), TIMER_WRITE);
	return 0;
}

SEC("fexit/tcp_write_timer")
int BPF_PROG(tcpc_fe_write_exit, struct timer_list *timer)
{
	tcptimer__exit(sk_of_write_timer(timer));
	return 0;
}
