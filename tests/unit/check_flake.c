// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* tcpclose check --repeat's flake summary, counted from synthetic rounds of results. */
#include "check_flake.h"
#include "test.h"

static struct check_result result(const char *name, enum check_status status,
				  const char *const *lines)
{
	struct check_result r = { .scenario = name, .status = status };

	for (; lines && *lines; lines++)
		snprintf(r.diffs.line[r.diffs.n++], CHECK_DIFF_LEN, "%s", *lines);
	return r;
}

void test_check_flake_field(void)
{
	char buf[CHECK_FLAKE_NAME];

	check_flake__field("client.end_ms: got 12.0 ms, want 0.0 ms to 5.0 ms", buf, sizeof(buf));
	ASSERT_STREQ(buf, "client.end_ms", "END.FIELD");
	check_flake__field("TcpRetransSegs: got 3, want 2", buf, sizeof(buf));
	ASSERT_STREQ(buf, "TcpRetransSegs", "a counter");
	check_flake__field("server2: no close record (local port 80, remote port 1)", buf,
			   sizeof(buf));
	ASSERT_STREQ(buf, "server2", "an end without its record");
	check_flake__field("out of memory comparing records", buf, sizeof(buf));
	ASSERT_STREQ(buf, "out of memory comparing records", "no ':': the whole line");
}

void test_check_flake_rounds(void)
{
	struct check_flakes fl = {};
	struct check_result r1[] = {
		result("active", CHECK_PASS, NULL),
		result("retrans_timeout", CHECK_FAIL, (const char *const[]){
			"client.end_ms: got 7000.0 ms, want 6500.0 ms to 6900.0 ms",
			"TcpRetransSegs: got 5, want 4", NULL }),
	};
	struct check_result r2[] = {
		result("active", CHECK_PASS, NULL),
		result("retrans_timeout", CHECK_PASS, NULL),
	};
	struct check_result r3[] = {
		/* two lines of one field are one failure of it */
		result("active", CHECK_FAIL, (const char *const[]){
			"extra: got 2 records no end claims, want 0",
			"extra: 1>2 active normal", NULL }),
		result("retrans_timeout", CHECK_FAIL, (const char *const[]){
			"client.end_ms: got 7100.0 ms, want 6500.0 ms to 6900.0 ms", NULL }),
	};
	struct check_result r4[] = {
		/* what a scenario that could not run says is not a field */
		result("active", CHECK_ERROR, (const char *const[]){
			"did not finish in 10 s: something in it hangs (run it alone with -v)",
			NULL }),
		result("retrans_timeout", CHECK_PASS, NULL),
	};
	char buf[1024] = "";
	FILE *f;

	ASSERT_OK(check_flake__add_round(&fl, r1, 2), "round 1");
	ASSERT_OK(check_flake__add_round(&fl, r2, 2), "round 2");
	ASSERT_OK(check_flake__add_round(&fl, r3, 2), "round 3");
	ASSERT_OK(check_flake__add_round(&fl, r4, 2), "round 4");
	ASSERT_EQ(fl.rounds, 4, "rounds");
	ASSERT_EQ(fl.failed_rounds, 3, "rounds with a failure");
	ASSERT_EQ(fl.failures, 4, "scenario runs that did not pass");
	ASSERT_EQ(fl.n, 4, "scenario and field pairs");

	f = fmemopen(buf, sizeof(buf), "w");
	check_flake__print(f, &fl, "");
	fclose(f);
	test__log("%s", buf);
	ASSERT_STREQ(buf, "flakes over 4 rounds: 3 failed rounds, 4 failures\n"
		     "  retrans_timeout client.end_ms   2/4\n"
		     "  retrans_timeout TcpRetransSegs  1/4\n"
		     "  active          extra           1/4\n"
		     "  active          error           1/4\n",
		     "most frequent first, then as first seen");
	check_flake__free(&fl);
}

void test_check_flake_none(void)
{
	struct check_flakes fl = {};
	struct check_result r[] = { result("active", CHECK_PASS, NULL) };
	char buf[256] = "";
	FILE *f;

	ASSERT_OK(check_flake__add_round(&fl, r, 1), "one round");
	f = fmemopen(buf, sizeof(buf), "w");
	check_flake__print(f, &fl, "# ");
	fclose(f);
	ASSERT_STREQ(buf, "# flakes over 1 round: 0 failed rounds, 0 failures\n",
		     "nothing under it; the prefix TAP needs");
	check_flake__free(&fl);
}
