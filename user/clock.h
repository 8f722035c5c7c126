/* SPDX-License-Identifier: GPL-2.0 */
/* clock: the one clock of a record's times (CLOCK_MONOTONIC), and its offset to wall time */
#ifndef TCPCLOSE_CLOCK_H
#define TCPCLOSE_CLOCK_H

#include <linux/types.h>

/* CLOCK_MONOTONIC: what bpf_ktime_get_ns() reads, so BPF and user times compare */
__u64 clock__now_ns(void);
double clock__now_ms(void);
double clock__now_s(void);

/* sleep ms, resumed across signals */
void clock__sleep_ms(double ms);

/*
 * CLOCK_REALTIME minus CLOCK_MONOTONIC, ns: of a few paired reads, the one read fastest, so
 * that a preemption between the two reads cannot skew it. Both clocks are slewed alike;
 * only a step of the wall clock changes it.
 */
long long clock__real_offset_ns(void);

#endif
