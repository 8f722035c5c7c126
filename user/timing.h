/* SPDX-License-Identifier: GPL-2.0 */
/* timing: our clocks, and how late the kernel's timer wheel lets a timer run */
#ifndef TCPCLOSE_TIMING_H
#define TCPCLOSE_TIMING_H

#include <linux/types.h>

/* CLOCK_MONOTONIC, the clock of a record's times */
double timing__now_ms(void);
__u64 timing__now_ns(void);
void timing__sleep_ms(double ms);

/*
 * CLOCK_REALTIME minus CLOCK_MONOTONIC, ns: of a few paired reads, the one read fastest, so
 * that a preemption between the two reads cannot skew it. Both clocks are slewed alike;
 * only a step of the wall clock changes it.
 */
long long timing__real_offset_ns(void);

/* how late, in jiffies, a timer armed delta jiffies ahead may fire */
long timing__granule(long delta);

/* one jiffy in ms */
double timing__jiffy_ms(unsigned int hz);

#endif
