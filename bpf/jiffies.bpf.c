// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The pairs that anchor jiffies to the clock (jiffies.bpf.h): one as each tick ends. Every
 * backend converts deadlines, so every backend loads it (user/backend.c). It fires for every
 * hrtimer of the host and is done after one load and two compares for any but the tick: HZ
 * ticks a second on each CPU that is not idle, and a few other timers.
 */
#include "jiffies.bpf.h"

extern const void tick_nohz_handler __ksym __weak;	/* the tick's hrtimer, since 6.9 */
extern const void tick_sched_timer __ksym __weak;	/* before */

SEC("tp_btf/hrtimer_expire_exit")
int BPF_PROG(tcpc_tick, struct hrtimer *timer)
{
	void *fn = timer->function;

	/* the CPU that updates jiffies has just moved them on to the clock's jiffy */
	if (fn == &tick_nohz_handler || fn == &tick_sched_timer)
		jiffies__note(bpf_ktime_get_ns(), bpf_jiffies64());
	return 0;
}
