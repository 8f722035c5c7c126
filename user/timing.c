// SPDX-License-Identifier: GPL-2.0
/*
 * timing: our clocks, and how the kernel's timer wheel rounds a timer. The numbers come
 * from the kernel's own rules (kernel/time/timer.c) and its HZ; nothing here is measured.
 */
#include <errno.h>
#include <stdint.h>
#include <time.h>
#include "timing.h"

double timing__now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

__u64 timing__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

long long timing__real_offset_ns(void)
{
	__u64 best = UINT64_MAX, t0, t1;
	struct timespec rt;
	long long off = 0;

	for (int i = 0; i < 5; i++) {
		t0 = timing__now_ns();
		clock_gettime(CLOCK_REALTIME, &rt);
		t1 = timing__now_ns();
		if (t1 - t0 < best) {
			best = t1 - t0;
			off = rt.tv_sec * 1000000000LL + rt.tv_nsec - (long long)(t0 + (t1 - t0) / 2);
		}
	}
	return off;
}

void timing__sleep_ms(double ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = (time_t)(ms / 1e3);
	ts.tv_nsec = (long)((ms - ts.tv_sec * 1e3) * 1e6);
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

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
