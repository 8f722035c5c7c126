// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* the timer wheel's rounding, as kernel/time/timer.c computes it */
#include "test.h"
#include "timing.h"

void test_timing_granule(void)
{
	ASSERT_EQ(timing__granule(50), 1, "200 ms at HZ=250: level 0");
	ASSERT_EQ(timing__granule(500), 8, "2 s: level 1");
	ASSERT_EQ(timing__granule(15000), 512, "2MSL: level 3, 2.048 s");
}
