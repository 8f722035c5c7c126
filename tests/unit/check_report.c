// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* tcpclose check's writers: the escaping JUnit XML and TAP need, and what they write. */
#include <stdlib.h>
#include <unistd.h>
#include "check_report.h"
#include "test.h"

typedef void (*writer_fn)(FILE *f, const char *s);

static const char *render(writer_fn fn, const char *s, char *buf, size_t len)
{
	FILE *f = fmemopen(buf, len, "w");

	memset(buf, 0, len);
	fn(f, s);
	fclose(f);
	return buf;
}

void test_check_report_xml_escape(void)
{
	char buf[256];

	ASSERT_STREQ(render(check_report__xml_text, "a<b>&\"c'", buf, sizeof(buf)),
		     "a&lt;b&gt;&amp;&quot;c&apos;", "the five special characters");
	ASSERT_STREQ(render(check_report__xml_text, "tab\there\nline", buf, sizeof(buf)),
		     "tab\there\nline", "tab and newline stay in text");
	ASSERT_STREQ(render(check_report__xml_text, "bell\x07 esc\x1b", buf, sizeof(buf)),
		     "bell\xef\xbf\xbd esc\xef\xbf\xbd", "control characters XML forbids");
}

void test_check_report_tap_escape(void)
{
	char buf[256];

	ASSERT_STREQ(render(check_report__tap_description, "a # b \\ c", buf, sizeof(buf)),
		     "a \\# b \\\\ c", "'#' would start a directive");
	ASSERT_STREQ(render(check_report__yaml_string, "say \"x\"\\\n\t\x01", buf, sizeof(buf)),
		     "\"say \\\"x\\\"\\\\\\n\\t\\x01\"", "a YAML double-quoted scalar");
}

static struct check_result result(const char *name, enum check_status status, const char *diff)
{
	struct check_result r = { .scenario = name, .description = "what it does",
				  .status = status, .seconds = 1.5 };

	if (diff) {
		snprintf(r.diffs.line[0], sizeof(r.diffs.line[0]), "%s", diff);
		r.diffs.n = 1;
	}
	return r;
}

void test_check_report_tap(void)
{
	struct check_result r = result("active", CHECK_FAIL,
				       "client.role: got passive, want \"active\"");
	char buf[1024];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	memset(buf, 0, sizeof(buf));
	check_report__tap_plan(f, 2);
	check_report__tap(f, 1, &r, false);
	r = result("passive", CHECK_PASS, NULL);
	check_report__tap(f, 2, &r, false);
	fclose(f);
	test__log("%s", buf);
	ASSERT_STREQ(buf, "TAP version 13\n1..2\n"
		     "not ok 1 - active\n"
		     "  ---\n"
		     "  message: \"client.role: got passive, want \\\"active\\\"\"\n"
		     "  severity: fail\n"
		     "  duration_ms: 1500\n"
		     "  differences:\n"
		     "    - \"client.role: got passive, want \\\"active\\\"\"\n"
		     "  ...\n"
		     "ok 2 - passive\n", "TAP version 13");
}

/* the JUnit file of rs as text in buf */
static bool junit(const struct check_result *rs, int n, const struct check_run_info *info,
		  char *buf, size_t len)
{
	char path[] = "/tmp/tcpclose-junit-XXXXXX";
	int fd = mkstemp(path);
	ssize_t got;

	if (!ASSERT_GE(fd, 0, "temporary file"))
		return false;
	ASSERT_OK(check_report__junit(path, rs, n, info), "write");
	got = pread(fd, buf, len - 1, 0);
	buf[got > 0 ? got : 0] = '\0';
	close(fd);
	unlink(path);
	test__log("%s", buf);
	return got > 0;
}

static const struct check_run_info run_info = {
	.kernel = "6.18", .hz = 250, .seconds = 4.5,
	.timestamp = "2025-01-01T00:00:00", .hostname = "h",
};

void test_check_report_junit(void)
{
	struct check_result rs[3] = {
		result("active", CHECK_PASS, NULL),
		result("passive", CHECK_FAIL, "client.role: got <passive> & more, want active"),
		result("tw_rst", CHECK_ERROR, "nft: cannot add the rule"),
	};
	char buf[4096];

	if (!junit(rs, 3, &run_info, buf, sizeof(buf)))
		return;
	ASSERT_TRUE(strstr(buf, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites") == buf,
		    "declaration, then testsuites");
	ASSERT_NOT_NULL(strstr(buf, "tests=\"3\" failures=\"1\" errors=\"1\""), "counts");
	ASSERT_NOT_NULL(strstr(buf, "<testcase name=\"active\" classname=\"tcpclose.check\" time=\"1.500\">"),
			"a testcase");
	ASSERT_NOT_NULL(strstr(buf, "<failure message=\"client.role: got &lt;passive&gt; &amp; more, want active\" type=\"deviation\">"),
			"the failure, escaped in its attribute");
	ASSERT_NOT_NULL(strstr(buf, ">client.role: got &lt;passive&gt; &amp; more, want active\n</failure>"),
			"and in its text");
	ASSERT_NOT_NULL(strstr(buf, "<error message=\"nft: cannot add the rule\" type=\"scenario\">"),
			"a scenario that could not run is an error");
	ASSERT_NOT_NULL(strstr(buf, "</testsuite>\n</testsuites>\n"), "closed");
}

void test_check_report_junit_rounds(void)
{
	struct check_result rs[4] = {
		result("active", CHECK_PASS, NULL),
		result("tw_rst", CHECK_PASS, NULL),
		result("active", CHECK_FAIL, "client.end_ms: got 900.0 ms, want 0.0 ms to 5.0 ms"),
		result("tw_rst", CHECK_PASS, NULL),
	};
	const double seconds[2] = { 2.25, 2.5 };
	struct check_run_info info = run_info;
	const char *round2;
	char buf[8192];

	info.rounds = 2;
	info.round_seconds = seconds;
	if (!junit(rs, 2, &info, buf, sizeof(buf)))
		return;
	ASSERT_NOT_NULL(strstr(buf, "<testsuites name=\"tcpclose check\" tests=\"4\" failures=\"1\" errors=\"0\" time=\"4.500\">"),
			"testsuites: every round's runs");
	ASSERT_NOT_NULL(strstr(buf, "<testsuite name=\"tcpclose check round 1\" tests=\"2\" failures=\"0\" errors=\"0\" time=\"2.250\""),
			"round 1: its own counts and time");
	ASSERT_NOT_NULL(strstr(buf, "<testsuite name=\"tcpclose check round 2\" tests=\"2\" failures=\"1\" errors=\"0\" time=\"2.500\""),
			"round 2");
	round2 = strstr(buf, "round 2\"");
	ASSERT_TRUE(round2 && strstr(round2, "<failure message=\"client.end_ms: got 900.0 ms"),
		    "the failure in round 2's testsuite");
	ASSERT_NOT_NULL(strstr(buf, "  </testsuite>\n</testsuites>\n"), "closed");
}
