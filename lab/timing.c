// SPDX-License-Identifier: GPL-2.0
/*
 * timing: how the kernel's timer wheel rounds a timer. The numbers come
 * from the kernel's own rules (kernel/time/timer.c) and its HZ; nothing here is measured.
 */
#include "timing.h"

/*
 * How late a timer armed delta jiffies ahead may fire, in jiffies (kernel/time/timer.c).
 * calc_wheel_index() puts it in level n, the first with delta < LVL_START(n + 1), that is
 * 63 << 3n jiffies, and calc_index() rounds its expiry up to the next multiple of that
 * level's granularity, 8^n jiffies: it fires 1 to 8^n jiffies after its expiry. At HZ=250
 * the 15000 jiffies of 2MSL sit in level 3: 512 jiffies, 2.048 s.
 */
long timing__granule(long delta)
{
	int lvl = 0;

	/* LVL_DEPTH is 9 above HZ=100: level 8 is the last */
	while (lvl < 8 && delta >= (63L << (3 * lvl)))
		lvl++;
	return 1L << (3 * lvl);
}

double timing__jiffy_ms(unsigned int hz)
{
	return 1000.0 / hz;
}
