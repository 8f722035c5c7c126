// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The kernel's timing rules that tcpclose check derives its windows from, against what the
 * kernel was seen to do (tests/integration/timeout_causes.c logs the wire at HZ=250: data
 * resent at 205, 413, 853 and 1689 ms; TCP_USER_TIMEOUT 1500 ms gave up at 1921 ms,
 * tcp_retries2=3 at 6718 ms; tcp_orphan_retries=1 sent the FIN 4 times).
 */
#include "test.h"
#include "timing.h"

void test_timing_granule(void)
{
	ASSERT_EQ(timing__granule(50), 1, "200 ms at HZ=250: level 0");
	ASSERT_EQ(timing__granule(500), 8, "2 s: level 1");
	ASSERT_EQ(timing__granule(15000), 512, "2MSL: level 3, 2.048 s");
	ASSERT_NEAR(timing__late_ms(250, 60000), 2052, 0.01, "2MSL fires up to 2052 ms late");
	ASSERT_NEAR(timing__rto_min_ms(1000), 200, 0.01, "TCP_RTO_MIN at HZ=1000");
}

void test_timing_resend(void)
{
	struct timing_rto rto = { .hz = 250, .retries = 15 };
	double lo, hi;

	timing__resend(&rto, 1, &lo, &hi);
	ASSERT_NEAR(lo, 200, 0.01, "the tail-loss probe: TCP_DELACK_MAX");
	ASSERT_TRUE(hi >= 205 && hi < 220, "seen at 205 ms");
	timing__resend(&rto, 4, &lo, &hi);
	ASSERT_NEAR(lo, 1600, 0.01, "then RTO_MIN, doubling");
	ASSERT_TRUE(hi >= 1689 && hi < 1800, "seen at 1689 ms");
}

void test_timing_give_up(void)
{
	struct timing_rto rto = { .hz = 250, .retries = 15, .user_timeout_ms = 1500 };
	int rlo, rhi;
	double lo, hi;

	timing__give_up(&rto, &lo, &hi, &rlo, &rhi);
	test__log("user timeout: %.1f to %.1f ms, %d to %d resends", lo, hi, rlo, rhi);
	ASSERT_NEAR(lo, 1900, 0.01, "the first RTO resend + 1500 ms");
	ASSERT_TRUE(hi >= 1921, "seen at 1921 ms");
	ASSERT_EQ(rlo, 4, "resends before");

	rto = (struct timing_rto){ .hz = 250, .retries = 3 };
	timing__give_up(&rto, &lo, &hi, &rlo, &rhi);
	test__log("tcp_retries2=3: %.1f to %.1f ms", lo, hi);
	ASSERT_NEAR(lo, 6400, 0.01, "the first RTO firing 3000 ms after the first RTO resend");
	ASSERT_TRUE(hi >= 6718, "seen at 6718 ms");

	rto = (struct timing_rto){ .hz = 250, .retries = 1 };
	timing__give_up(&rto, &lo, &hi, &rlo, &rhi);
	ASSERT_NEAR(lo, 1600, 0.01, "tcp_orphan_retries=1: 600 ms after the first RTO resend");
	ASSERT_EQ(rlo, 3, "the FIN sent 4 times");
}

/*
 * A slow host resent the SYN or the first data (seen under qemu with Debian's 6.1): the
 * connection's own RTO and RTT set the schedule, and the kernel may keep the earlier resend
 * as retrans_stamp and give up a resend sooner (the run failed at 3458 ms, 5 resends in all).
 */
void test_timing_give_up_disturbed(void)
{
	struct timing_rto rto = { .hz = 250, .retries = 3, .rto_ms = 204, .srtt_ms = 0.1 };
	int rlo, rhi;
	double lo, hi;

	timing__give_up(&rto, &lo, &hi, &rlo, &rhi);
	ASSERT_NEAR(lo, 6524.2, 0.01, "the probe at 2 RTT + RTO_MIN, then the measured RTO");
	ASSERT_EQ(rlo, 5, "the probe and 4 RTO resends");
	rto.stale_ms = 300;
	timing__give_up(&rto, &lo, &hi, &rlo, &rhi);
	test__log("stale 300 ms: %.1f to %.1f ms, %d to %d resends", lo, hi, rlo, rhi);
	ASSERT_NEAR(lo, 3260.2, 0.01, "a stale retrans_stamp: given up at the 4th RTO firing");
	ASSERT_TRUE(hi >= 6524.2, "or kept fresh: as before");
	ASSERT_EQ(rlo, 4, "the probe and 3 RTO resends");
	ASSERT_EQ(rhi, 5, "or 4");

	/* still in loss recovery (TCP_CA_Loss): no probe, the RTO first */
	rto = (struct timing_rto){ .hz = 250, .retries = 3, .rto_ms = 236, .srtt_ms = 26,
				   .ca_state = 4 };
	timing__give_up(&rto, &lo, &hi, &rlo, &rhi);
	ASSERT_NEAR(lo, 3540, 0.01, "RTO resends at 236, 708 and 1652 ms; 3304 ms later");
	ASSERT_EQ(rlo, 3, "no probe");

	/* a longer RTT moves the probe: 2 RTT + TCP_RTO_MIN, when the RTO is later still */
	rto = (struct timing_rto){ .hz = 250, .retries = 15, .rto_ms = 488, .srtt_ms = 54 };
	timing__resend(&rto, 1, &lo, &hi);
	ASSERT_NEAR(lo, 308, 0.01, "the probe");
	timing__resend(&rto, 2, &lo, &hi);
	ASSERT_NEAR(lo, 796, 0.01, "the first RTO resend, an RTO after the probe");
}
