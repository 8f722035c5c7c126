// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* --tamper: what it accepts, and how it alters a record */
#include <errno.h>
#include "check_tamper.h"
#include "test.h"

void test_check_tamper_parse(void)
{
	struct check_tamper t;

	ASSERT_OK(check_tamper__parse(&t, "FIN_WAIT2+20"), "a state, longer");
	ASSERT_EQ(t.state, TCPC_FIN_WAIT2, "which");
	ASSERT_EQ(t.delta, 20, "by how much");
	ASSERT_OK(check_tamper__parse(&t, "TIME_WAIT-0.5"), "shorter, in fractions of a ms");
	ASSERT_OK(check_tamper__parse(&t, "fin_retrans+1"), "a resend more");
	ASSERT_EQ(t.state, CHECK_TAMPER_FIN_RETRANS, "resends");
	ASSERT_OK(check_tamper__parse(&t, "tw_restart_last-8"), "the last restart earlier");
	ASSERT_EQ(t.state, CHECK_TAMPER_RESTART, "tw_restart_last");
	ASSERT_EQ(check_tamper__parse(&t, "fin_retrans+0.5"), -EINVAL, "half a resend");
	ASSERT_EQ(check_tamper__parse(&t, "FIN_WAIT2"), -EINVAL, "no amount");
	ASSERT_EQ(check_tamper__parse(&t, "FIN_WAIT2+"), -EINVAL, "an empty amount");
	ASSERT_EQ(check_tamper__parse(&t, "FIN_WAIT2+0"), -EINVAL, "no change");
	ASSERT_EQ(check_tamper__parse(&t, "ESTABLISHED+1"), -EINVAL, "not a close state");
	ASSERT_EQ(check_tamper__parse(&t, "+1"), -EINVAL, "no state");
}

void test_check_tamper_apply(void)
{
	struct tcpc_conn rec = { .end_ns = 300 };
	struct check_tamper t;

	memset(rec.order, TCPC_NOT_CLOSING, sizeof(rec.order));
	rec.order[0] = TCPC_FIN_WAIT1;
	rec.order[1] = TCPC_FIN_WAIT2;
	rec.dwell_ns[TCPC_FIN_WAIT1] = 100e6;
	rec.dwell_ns[TCPC_FIN_WAIT2] = 200e6;
	check_tamper__parse(&t, "FIN_WAIT1+20");
	check_tamper__apply(&t, &rec);
	ASSERT_EQ(rec.dwell_ns[TCPC_FIN_WAIT1], 120e6, "longer");
	ASSERT_EQ(rec.dwell_ns[TCPC_FIN_WAIT2], 180e6, "the state after it as much shorter");
	check_tamper__parse(&t, "FIN_WAIT2+20");
	check_tamper__apply(&t, &rec);
	ASSERT_EQ(rec.end_ns, 300 + 20e6, "the last state: the end later");
	check_tamper__parse(&t, "CLOSING+20");
	check_tamper__apply(&t, &rec);
	ASSERT_EQ(rec.dwell_ns[TCPC_CLOSING], 0, "a state not visited: untouched");
	check_tamper__parse(&t, "tw_restart_last+20");
	check_tamper__apply(&t, &rec);
	ASSERT_EQ(rec.tw_restart_last_ns, 0, "no restart: untouched");
	rec.flags |= TCPC_F_TW_RESTART;
	rec.tw_restart_last_ns = 500e6;
	check_tamper__apply(&t, &rec);
	ASSERT_EQ(rec.tw_restart_last_ns, 520e6, "the last restart later");
}
