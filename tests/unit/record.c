// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Names and text forms of record fields. */
#include <sys/socket.h>
#include "record.h"
#include "test.h"

void test_record_names(void)
{
	ASSERT_STREQ(record__state_name(TCPC_TIME_WAIT), "TIME_WAIT", "state");
	ASSERT_STREQ(record__state_name(TCPC_CLOSE_WAIT), "CLOSE_WAIT", "state");
	ASSERT_STREQ(record__tcp_state_name(11), "CLOSING", "kernel state 11");
	ASSERT_STREQ(record__tcp_state_name(99), "unknown", "out of range");
	ASSERT_STREQ(record__role_name(TCPC_ROLE_SIMULTANEOUS), "simultaneous", "role");
	ASSERT_STREQ(record__cause_name(TCPC_CAUSE_RST_RECEIVED), "rst_received", "cause");
	ASSERT_TRUE(record__rst_reason_name(TCPC_RST_NONE) == NULL, "no reason is null");
	ASSERT_STREQ(record__rst_reason_name(TCPC_RST_LINGER0), "linger0", "reason");
	ASSERT_TRUE(record__tw_end_name(TCPC_TW_NONE) == NULL, "no timewait end is null");
	ASSERT_STREQ(record__tw_end_name(TCPC_TW_OVERFLOW), "overflow", "timewait end");
}

void test_record_addresses(void)
{
	struct tcpc_conn rec = { .family = AF_INET, .saddr = { 127, 0, 0, 1 },
			       .daddr = { 10, 1, 2, 3 } };
	char buf[RECORD_ADDR_LEN];

	record__saddr(&rec, buf, sizeof(buf));
	ASSERT_STREQ(buf, "127.0.0.1", "IPv4 local");
	record__daddr(&rec, buf, sizeof(buf));
	ASSERT_STREQ(buf, "10.1.2.3", "IPv4 remote");
	rec.family = AF_INET6;
	memset(rec.saddr, 0, 16);
	rec.saddr[15] = 1;
	record__saddr(&rec, buf, sizeof(buf));
	ASSERT_STREQ(buf, "::1", "IPv6 loopback");
}

void test_record_comm_utf8(void)
{
	char out[RECORD_COMM_UTF8_LEN];

	record__comm_utf8("nginx", out, sizeof(out));
	ASSERT_STREQ(out, "nginx", "plain ASCII unchanged");
	record__comm_utf8("caf\xc3\xa9", out, sizeof(out));
	ASSERT_STREQ(out, "caf\xc3\xa9", "valid UTF-8 unchanged");
	record__comm_utf8("a\xff" "b", out, sizeof(out));
	ASSERT_STREQ(out, "a\xef\xbf\xbd" "b", "invalid byte replaced");
	record__comm_utf8("\xc3", out, sizeof(out));
	ASSERT_STREQ(out, "\xef\xbf\xbd", "truncated sequence replaced");
	record__comm_utf8("\xc0\xaf", out, sizeof(out));
	ASSERT_STREQ(out, "\xef\xbf\xbd\xef\xbf\xbd", "overlong form replaced");
	/* a comm fills 16 bytes with no terminator only if the kernel gave 15 + NUL */
	record__comm_utf8("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", out,
			  sizeof(out));
	ASSERT_EQ(strlen(out), 45, "15 replacements fit");
}
