/* SPDX-License-Identifier: GPL-2.0 */
/* timing: how late the kernel's timer wheel lets a timer run */
#ifndef TCPCLOSE_TIMING_H
#define TCPCLOSE_TIMING_H

#include <linux/types.h>

/* how late, in jiffies, a timer armed delta jiffies ahead may fire */
long timing__granule(long delta);

/* one jiffy in ms */
double timing__jiffy_ms(unsigned int hz);

#endif
