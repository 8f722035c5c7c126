// SPDX-License-Identifier: GPL-2.0
/* ss: parsing "ss -tanoH" lines, with and without the state column */
#include "ss.h"
#include "test.h"

void test_ss_parse_ms(void)
{
	ASSERT_NEAR(ss__parse_ms("59sec"), 59000, 0, "59sec");
	ASSERT_NEAR(ss__parse_ms("1min59sec"), 119000, 0, "1min59sec");
	ASSERT_NEAR(ss__parse_ms("200ms"), 200, 0, "200ms");
	ASSERT_NEAR(ss__parse_ms("005ms"), 5, 0, "005ms");
	/* print_ms_timer() writes 1234 ms as "1.234ms" */
	ASSERT_NEAR(ss__parse_ms("1.234ms"), 1234, 1e-9, "1.234ms");
	ASSERT_NEAR(ss__parse_ms("10min"), 600000, 0, "10min");
	ASSERT_NEAR(ss__parse_ms(""), 0, 0, "empty");
	ASSERT_NEAR(ss__parse_ms("5parsecs"), -1, 0, "garbage");
}

void test_ss_parse_line(void)
{
	struct ss_sock s;

	if (ASSERT_OK(ss__parse_line("0      0      127.0.0.1:57510 127.0.0.1:5000 "
				     "timer:(timewait,59sec,0)\n", "TIME-WAIT", &s),
		      "single-state line")) {
		ASSERT_STREQ(s.state, "TIME-WAIT", "state from the filter");
		ASSERT_STREQ(s.laddr, "127.0.0.1", "laddr");
		ASSERT_EQ(s.lport, 57510, "lport");
		ASSERT_EQ(s.rport, 5000, "rport");
		ASSERT_STREQ(s.timer, "timewait", "timer");
		ASSERT_NEAR(s.timer_ms, 59000, 0, "timer left");
	}
	if (ASSERT_OK(ss__parse_line("CLOSE-WAIT 1      0      [::1]:5000  [::1]:57510\n", NULL,
				     &s), "line with state, no timer")) {
		ASSERT_STREQ(s.state, "CLOSE-WAIT", "state");
		ASSERT_EQ(s.recvq, 1, "recvq");
		ASSERT_STREQ(s.raddr, "::1", "IPv6 brackets dropped");
		ASSERT_EQ(s.lport, 5000, "lport");
		ASSERT_STREQ(s.timer, "", "no timer");
	}
	if (ASSERT_OK(ss__parse_line("LAST-ACK 0 1 127.0.0.1:5000 127.0.0.1:4000 "
				     "timer:(on,1.234ms,2)\n", NULL, &s), "retransmit timer")) {
		ASSERT_STREQ(s.timer, "on", "timer");
		ASSERT_NEAR(s.timer_ms, 1234, 1e-9, "timer left");
		ASSERT_EQ(s.timer_count, 2, "retransmits");
	}
	ASSERT_NEQ(ss__parse_line("0 0 127.0.0.1:1 127.0.0.1:2\n", NULL, &s), 0,
		   "no state column and no filter state");
	ASSERT_NEQ(ss__parse_line("garbage\n", NULL, &s), 0, "garbage");
}
