// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The kprobe backend: what fentry.bpf.c does, for kernels that allow kprobes but not fentry
 * (no BPF trampolines). Dearer per call than fentry, but like it fires for TCP only.
 */
#include "timewait_funcs.bpf.h"
#include "keepalive.bpf.h"

/* rearm is a bool: the calling convention defines the register's low byte only */
SEC("kprobe/__inet_twsk_schedule")
int BPF_KPROBE(tcpc_kp_tw_schedule, struct inet_timewait_sock *tw, int timeo, __u8 rearm)
{
	timewait__scheduled((__u64)tw, timeo, rearm, bpf_ktime_get_ns());
	return 0;
}

SEC("kprobe/inet_twsk_deschedule_put")
int BPF_KPROBE(tcpc_kp_tw_kill, struct inet_timewait_sock *tw)
{
	timewait__descheduled((__u64)tw, bpf_ktime_get_ns());
	return 0;
}

/* as in fentry.bpf.c: the end of every timewait socket, should the one above be inlined */
SEC("kprobe/inet_twsk_kill")
int BPF_KPROBE(tcpc_kp_tw_kill_any, struct inet_timewait_sock *tw)
{
	timewait__killed((__u64)tw, bpf_ktime_get_ns());
	return 0;
}

SEC("kprobe/tw_timer_handler")
int BPF_KPROBE(tcpc_kp_tw_expire, struct timer_list *timer)
{
	timewait__timed_out(timewait__from_timer(timer), bpf_ktime_get_ns());
	return 0;
}

SEC("kprobe/tcp_timewait_state_process")
int BPF_KPROBE(tcpc_kp_tw_segment, struct inet_timewait_sock *tw, struct sk_buff *skb,
	       const struct tcphdr *th)
{
	timewait__segment((__u64)tw, th);
	return 0;
}

SEC("kprobe/tcp_keepalive_timer")
int BPF_KPROBE(tcpc_kp_keepalive, struct timer_list *timer)
{
	tcptimer__enter(sk_of_keepalive_timer(timer), TIMER_KEEPALIVE);
	return 0;
}

/* a return probe has no arguments: the timer run this CPU noted at entry is the one ending */
SEC("kretprobe/tcp_keepalive_timer")
int BPF_KRETPROBE(tcpc_kp_keepalive_exit)
{
	tcptimer__exit(0);
	return 0;
}

/* as in fentry.bpf.c: the probe counted with the socket lock held */
SEC("kretprobe/tcp_write_wakeup")
int BPF_KRETPROBE(tcpc_kp_write_wakeup, int ret)
{
	tcptimer__wakeup_done(0, ret);
	return 0;
}

SEC("kprobe/tcp_write_timer")
int BPF_KPROBE(tcpc_kp_write, struct timer_list *timer)
{
	tcptimer__enter(sk_of_write_timer(timer), TIMER_WRITE);
	return 0;
}

SEC("kretprobe/tcp_write_timer")
int BPF_KRETPROBE(tcpc_kp_write_exit)
{
	tcptimer__exit(0);
	return 0;
}
