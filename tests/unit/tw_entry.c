// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A timewait entry's clock (struct tcpc_tw, bpf/tcpclose.h): when its state began comes back
 * as it was kept, to 1024 ns, however long ago that was. It once kept 32 bits and read them
 * as within 36 minutes of now: a state begun 37 minutes before (a tcp_fin_timeout of an
 * hour, a TIME_WAIT restarted that long by the peer's FINs) came back 73 minutes late.
 */
#include <linux/types.h>
#include "tcpclose.h"
#include "test.h"

#define MIN_NS (60ULL * 1000000000)

void test_tw_entry_enter(void)
{
	/* the boot, 37 minutes and 50 days in (past the 32 bits of ns / 1024 twice over), and
	 * the last 1024 ns the 48 bits hold (8.9 years) */
	const __u64 at[] = { 0, 1023, 37 * MIN_NS + 12345, 50 * 24 * 60 * MIN_NS + 999999,
			     (1ULL << 58) - 1 };
	struct tcpc_tw t = {};

	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		tcpc_tw__set_enter(&t, at[i]);
		ASSERT_EQ(tcpc_tw__enter_ns(&t), at[i] & ~1023ULL, "kept to 1024 ns");
	}
	/* the fields beside it untouched */
	t = (struct tcpc_tw){ .cancel_substate = 7, .pad = 0 };
	tcpc_tw__set_enter(&t, (1ULL << 58) - 1);
	ASSERT_EQ(t.cancel_substate, 7, "cancel_substate kept");
	ASSERT_EQ(t.pad, 0, "pad kept");
}
