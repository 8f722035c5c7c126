// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The pairs that anchor jiffies to the clock (jiffies.bpf.h): one as each tick ends. Every
 * backend converts deadlines, so every backend loads it (user/backend.c). It fires for every
 * hrtimer of the host and is done after one load and two compares for any but the tick: HZ
 * ticks a second on each CPU that is not idle, and a few other timers.
 */
#include "jiffies.bpf.h"

/*
 * The tick's hrtimer handler: tick_sched_timer in older kernels (5.10, 6.1), tick_nohz_handler
 * in newer ones (6.12). In the older, tick_nohz_handler is the low-resolution tick's
 * clockevent handler, never an hrtimer's.
 */
extern const void tick_sched_timer __ksym __weak;
extern const void tick_nohz_handler __ksym __weak;

SEC("tp_btf/hrtimer_expire_exit")
int BPF_PROG(tcpc_tick, struct hrtimer *timer)
{
	void *fn = timer->function;

	/* the CPU that updates jiffies has just moved them on to the clock's jiffy */
	if (fn == &tick_sched_timer || fn == &tick_nohz_handler)
		jiffies__note(bpf_ktime_get_ns(), bpf_jiffies64());
	return 0;
}
