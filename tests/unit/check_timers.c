// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* check_timers: the kernel's timers judged off a capture by what a timer cannot do: fire early */
#include "check_timers.h"
#include "test.h"

struct timers_fixture {
	struct tcp_seg segs[16];
	struct wire_facts f;
	char lines[4][256];
	int nlines;
};

static void seg(struct timers_fixture *x, unsigned short from, unsigned short to, double s,
		__u8 flags, __u32 seq, __u32 ack, __u32 len)
{
	x->segs[x->f.nsegs++] = (struct tcp_seg){ .ts = s, .rx_ts = s + 1e-5, .family = 4,
						  .sport = from, .dport = to, .seq = seq,
						  .ack = ack, .flags = flags, .len = len };
}

static void on_diff(void *ctx, const char *line)
{
	struct timers_fixture *x = ctx;

	test__log("difference: %s", line);
	if (x->nlines < 4)
		snprintf(x->lines[x->nlines++], sizeof(x->lines[0]), "%s", line);
}

static int judge(struct timers_fixture *x, const struct check_timers *t)
{
	x->nlines = 0;
	return check_timers__judge(&x->f, t, on_diff, x);
}

/* a FIN never acknowledged, resent as 6.18 did at HZ=250: 205, 413, 853 ms */
void test_check_timers_resends(void)
{
	struct check_timers t = { .rto = true };
	struct timers_fixture x = { .f = { .segs = x.segs, .hz = 250 } };

	seg(&x, 1, 2, 0.0, TCP_SYN, 99, 0, 0);
	seg(&x, 2, 1, 0.0001, TCP_SYN | TCP_ACK, 499, 100, 0);
	seg(&x, 1, 2, 1.0, TCP_FIN | TCP_ACK, 100, 500, 0);
	seg(&x, 1, 2, 1.205, TCP_FIN | TCP_ACK, 100, 500, 0);
	seg(&x, 1, 2, 1.413, TCP_FIN | TCP_ACK, 100, 500, 0);
	seg(&x, 1, 2, 1.853, TCP_FIN | TCP_ACK, 100, 500, 0);
	ASSERT_EQ(judge(&x, &t), 0, "as the kernel resends");

	/* the third resend 500 ms after the first transmission: 200 + 400 ms at least */
	x.segs[5].ts = 1.5;
	ASSERT_EQ(judge(&x, &t), 1, "too soon");
	ASSERT_STREQ(x.lines[0],
		     "resends: 1>2 sent seq 100 again (resend 3) 500.0 ms after it first left, want at least 596.0 ms (TCP_RTO_MIN backing off)",
		     "named");
	/* the first resend may be a tail-loss probe, at any time */
	x.segs[5].ts = 1.853;
	x.segs[3].ts = 1.009;
	ASSERT_EQ(judge(&x, &t), 0, "a probe 9 ms after");
	t.rto = false;
	x.segs[5].ts = 1.5;
	ASSERT_EQ(judge(&x, &t), 0, "not judged where TCP_USER_TIMEOUT clamps the timer");
}

/* keepalive 2 s / 1 s: a probe answered, two not, then the reset */
void test_check_timers_keepalive(void)
{
	struct check_timers t = { .ka_port = 1, .ka_idle_ms = 2000, .ka_intvl_ms = 1000 };
	struct timers_fixture x = { .f = { .segs = x.segs, .hz = 250 } };

	seg(&x, 1, 2, 0.0, TCP_ACK | TCP_PSH, 100, 500, 5);
	seg(&x, 2, 1, 0.001, TCP_ACK, 500, 105, 0);
	seg(&x, 1, 2, 2.004, TCP_ACK, 104, 500, 0);	/* probe: one below what was acked */
	seg(&x, 2, 1, 2.005, TCP_ACK, 500, 105, 0);	/* answered */
	seg(&x, 1, 2, 4.008, TCP_ACK, 104, 500, 0);
	seg(&x, 1, 2, 5.012, TCP_ACK, 104, 500, 0);
	seg(&x, 1, 2, 6.016, TCP_RST | TCP_ACK, 105, 500, 0);
	ASSERT_EQ(judge(&x, &t), 0, "as the kernel probes");

	x.segs[2].ts = 1.5;
	ASSERT_EQ(judge(&x, &t), 1, "the first probe before tcp_keepalive_time");
	ASSERT_STREQ(x.lines[0],
		     "keepalive: the first probe came after the peer was last heard by 1499.0 ms, want at least 1996.0 ms (tcp_keepalive_time)",
		     "named");
	x.segs[2].ts = 2.004;
	x.segs[5].ts = 4.5;
	ASSERT_EQ(judge(&x, &t), 1, "a probe before tcp_keepalive_intvl");
	x.segs[5].ts = 5.012;
	x.segs[6].ts = 5.5;
	ASSERT_EQ(judge(&x, &t), 1, "the reset before tcp_keepalive_intvl");
	ASSERT_TRUE(strstr(x.lines[0], "keepalive: the reset came after the last probe by 488.0 ms") ==
		    x.lines[0], "named");
}
