// SPDX-License-Identifier: GPL-2.0
/* clock: CLOCK_MONOTONIC in the units callers want, and the wall clock's offset to it */
#include <errno.h>
#include <stdint.h>
#include <time.h>
#include "clock.h"

__u64 clock__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

double clock__now_ms(void)
{
	return clock__now_ns() / 1e6;
}

double clock__now_s(void)
{
	return clock__now_ns() / 1e9;
}

void clock__sleep_ms(double ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = (time_t)(ms / 1e3);
	ts.tv_nsec = (long)((ms - ts.tv_sec * 1e3) * 1e6);
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

long long clock__real_offset_ns(void)
{
	__u64 best = UINT64_MAX, t0, t1;
	struct timespec rt;
	long long off = 0;

	for (int i = 0; i < 5; i++) {
		t0 = clock__now_ns();
		clock_gettime(CLOCK_REALTIME, &rt);
		t1 = clock__now_ns();
		if (t1 - t0 < best) {
			best = t1 - t0;
			off = rt.tv_sec * 1000000000LL + rt.tv_nsec - (long long)(t0 + (t1 - t0) / 2);
		}
	}
	return off;
}
