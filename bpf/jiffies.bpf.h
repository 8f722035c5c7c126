/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The clock's time a jiffies value stands for. A timewait socket's timer keeps only its
 * deadline, in jiffies, and the tracepoint backend learns of some re-arms only from it (a
 * re-arm into the same wheel bucket fires no timer_start): when the 60 s were armed is the
 * deadline less 60 s, on the clock.
 *
 * Jiffy j began at jiffies_offset + j * TICK_NSEC, or sooner: of every (clock, jiffies) pair
 * read together, on any CPU, the one that bounds that most tightly. jiffies move with the
 * clock, a whole TICK_NSEC at a time, but lag it while the CPU that updates them is held up
 * (an emulator's other vCPU, a VM's steal time: tens of milliseconds), and a pair read then
 * would make every time converted by it that much late. tcpc_tick (jiffies.bpf.c) reads a
 * pair as each tick ends: the tick that moved jiffies has just moved them to the jiffy the
 * clock is in, so from the first tick on the offset is late by less than a tick, and in
 * practice by the microseconds a tick handler takes. One offset for all CPUs, as jiffies and
 * the clock are one for all: a CPU whose own pairs were all read while the tick was held up
 * converts by another's. Written without a lock: a race may lose an improvement, never keep
 * a pair that was not read together.
 */
#ifndef __JIFFIES_BPF_H
#define __JIFFIES_BPF_H

#include "tcpclose.bpf.h"

static __always_inline __u64 jiffies__tick_ns(void)
{
	return NSEC_PER_SEC / (kernel_hz ? kernel_hz : 250);
}

/* a pair read together: keep it if it says a jiffy began sooner than the offset says */
static __always_inline void jiffies__note(__u64 ns, __u64 j)
{
	__u64 off = ns - j * jiffies__tick_ns(), cur = jiffies_offset;

	if (!cur || (__s64)(off - cur) < 0)
		jiffies_offset = off;
}

/* when jiffy j began, by the offset; read a pair now if there is none yet */
static __always_inline __u64 jiffies__to_ns(__u64 j)
{
	__u64 off = jiffies_offset;

	if (!off) {
		jiffies__note(bpf_ktime_get_ns(), bpf_jiffies64());
		off = jiffies_offset;
	}
	return off + j * jiffies__tick_ns();
}

#endif /* __JIFFIES_BPF_H */
