// SPDX-License-Identifier: GPL-2.0
/*
 * tcpclose check run as CI runs it: its exit status, its table and TAP, and its JUnit file
 * read by a real consumer (Python's xml.etree) for the testsuites/testsuite/testcase/failure
 * structure. One expectation broken on purpose with --expect must fail, naming scenario and
 * field everywhere.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include "test.h"

/* a few quick scenarios: an orderly close, a reset, a TIME_WAIT killed early */
#define SUBSET "active unread tw_rst"

/* argv: the JUnit file, then NAME:pass or NAME:fail=TEXT (TEXT in the failure) per testcase */
static const char junit_py[] =
	"import sys, xml.etree.ElementTree as ET\n"
	"root = ET.parse(sys.argv[1]).getroot()\n"
	"assert root.tag == 'testsuites', root.tag\n"
	"suites = root.findall('testsuite')\n"
	"assert len(suites) == 1, len(suites)\n"
	"cases = {c.get('name'): c for c in suites[0].findall('testcase')}\n"
	"want = dict(a.split(':', 1) for a in sys.argv[2:])\n"
	"assert sorted(cases) == sorted(want), (sorted(cases), sorted(want))\n"
	"fails = 0\n"
	"for name, w in want.items():\n"
	"    c = cases[name]\n"
	"    assert c.get('classname') and float(c.get('time')) >= 0, c.attrib\n"
	"    f, e = c.findall('failure'), c.findall('error')\n"
	"    assert not e, (name, e[0].get('message'))\n"
	"    if w == 'pass':\n"
	"        assert not f, (name, f[0].get('message'))\n"
	"        continue\n"
	"    text = w.split('=', 1)[1]\n"
	"    assert len(f) == 1, (name, len(f))\n"
	"    assert text in f[0].get('message') and text in f[0].text, f[0].get('message')\n"
	"    fails += 1\n"
	"for el in (root, suites[0]):\n"
	"    assert int(el.get('tests')) == len(want), el.get('tests')\n"
	"    assert int(el.get('failures')) == fails, el.get('failures')\n"
	"    assert int(el.get('errors')) == 0, el.get('errors')\n"
	"print('junit: %d testcases, %d failures, as expected' % (len(cases), fails))\n";

struct check_run {
	char dir[64];
	char junit[128];
	char out[128];
	char script[128];
	char text[16384];	/* what it printed on stdout */
	int status;
};

static const char *check__binary(void)
{
	return getenv("TCPCLOSE") ?: "./tcpclose";
}

static bool check_run__init(struct check_run *r)
{
	FILE *f;

	memset(r, 0, sizeof(*r));
	snprintf(r->dir, sizeof(r->dir), "/tmp/tcpclose-check-XXXXXX");
	if (!ASSERT_NOT_NULL(mkdtemp(r->dir), "temporary directory"))
		return false;
	snprintf(r->junit, sizeof(r->junit), "%s/junit.xml", r->dir);
	snprintf(r->out, sizeof(r->out), "%s/stdout", r->dir);
	snprintf(r->script, sizeof(r->script), "%s/junit.py", r->dir);
	f = fopen(r->script, "w");
	if (!ASSERT_NOT_NULL(f, "write the JUnit reader"))
		return false;
	fputs(junit_py, f);
	return ASSERT_OK(fclose(f), "write the JUnit reader");
}

/* run "tcpclose check ARGS" with stdout kept, and show what it said */
static void check_run__exec(struct check_run *r, const char *args)
{
	FILE *f;
	size_t n;

	r->status = test__system("%s check %s >%s", check__binary(), args, r->out);
	f = fopen(r->out, "r");
	n = f ? fread(r->text, 1, sizeof(r->text) - 1, f) : 0;
	r->text[n] = '\0';
	if (f)
		fclose(f);
	test__log("tcpclose check %s: exit %d\n%s", args, r->status, r->text);
}

/* the TAP test point of a scenario: "ok" or "not ok" (numbered in the order they ended) */
static const char *check_run__tap(const struct check_run *r, const char *scenario)
{
	char tail[64];
	const char *p;

	snprintf(tail, sizeof(tail), " - %s\n", scenario);
	for (p = r->text; (p = strstr(p, tail)); p++) {
		const char *line = p;

		while (line > r->text && line[-1] != '\n')
			line--;
		if (!strncmp(line, "not ok ", 7))
			return "not ok";
		if (!strncmp(line, "ok ", 3))
			return "ok";
	}
	return NULL;
}

static void check_run__cleanup(struct check_run *r)
{
	unlink(r->junit);
	unlink(r->out);
	unlink(r->script);
	rmdir(r->dir);
}

void test_check_subset(void)
{
	struct check_run r;
	char args[256];

	if (!check_run__init(&r))
		goto out;
	snprintf(args, sizeof(args), "--junit %s " SUBSET, r.junit);
	check_run__exec(&r, args);
	ASSERT_EQ(r.status, 0, "exit status: everything as expected");
	ASSERT_NOT_NULL(strstr(r.text, "3 passed, 0 failed"), "the table's closing count");
	ASSERT_EQ(test__system("python3 %s %s active:pass unread:pass tw_rst:pass", r.script,
			       r.junit), 0,
		  "xml.etree reads the JUnit file: 3 testcases, none failed");
out:
	check_run__cleanup(&r);
}

void test_check_expect_broken(void)
{
	struct check_run r;
	char args[256];

	if (!check_run__init(&r))
		goto out;
	snprintf(args, sizeof(args), "--tap --junit %s --expect active.client.role=passive "
		 SUBSET, r.junit);
	check_run__exec(&r, args);
	ASSERT_EQ(r.status, 1, "exit status: a difference");
	ASSERT_NOT_NULL(strstr(r.text, "TAP version 13\n1..3\n"), "TAP: version and plan");
	ASSERT_STREQ(check_run__tap(&r, "active"), "not ok", "TAP: active failed");
	ASSERT_NOT_NULL(strstr(r.text, "message: \"client.role: got active, want passive\""),
			"TAP: the difference, naming the end and the field");
	ASSERT_STREQ(check_run__tap(&r, "unread"), "ok", "TAP: the others passed");
	ASSERT_STREQ(check_run__tap(&r, "tw_rst"), "ok", "TAP: the others passed");
	ASSERT_EQ(test__system("python3 %s %s active:fail=client.role unread:pass tw_rst:pass",
			       r.script, r.junit), 0,
		  "xml.etree reads the JUnit file: active failed on client.role");

	/* the table names the scenario with each difference */
	snprintf(args, sizeof(args), "--expect active.client.role=passive active");
	check_run__exec(&r, args);
	ASSERT_EQ(r.status, 1, "exit status without --tap");
	ASSERT_NOT_NULL(strstr(r.text, "active: client.role: got active, want passive\n"),
			"scenario: end.field: got, want");
out:
	check_run__cleanup(&r);
}

/*
 * A wrong tracer still fails: one change of state moved by 20 ms (five jiffies at HZ=250)
 * or one FIN resend too many, in the records check reads, is caught and named. The TIME_WAIT
 * of active's client (an orphan: its FIN_WAIT2 is a timewait socket's) begins when the
 * server's FIN arrives and before its ACK of it leaves, both on the wire: however slow the
 * host, the bracket is that narrow, and a time off jiffies is late by less than a jiffy.
 */
void test_check_tamper_caught(void)
{
	struct check_run r;

	if (!check_run__init(&r))
		goto out;
	check_run__exec(&r, "--tamper FIN_WAIT2+20 active");
	ASSERT_EQ(r.status, 1, "exit status: FIN_WAIT2 20 ms (five jiffies) too long");
	ASSERT_NOT_NULL(strstr(r.text, "active: client.TIME_WAIT.begin: got "),
			"named: the change it moved");
	check_run__exec(&r, "--tamper FIN_WAIT2-20 active");
	ASSERT_EQ(r.status, 1, "exit status: FIN_WAIT2 20 ms too short");
	check_run__exec(&r, "--tamper fin_retrans+1 fin_drop");
	ASSERT_EQ(r.status, 1, "exit status: a FIN resend too many");
	ASSERT_NOT_NULL(strstr(r.text, "fin_drop: client.fin_retrans: got "), "named");
out:
	check_run__cleanup(&r);
}

/* the scenarios driven by a scripted peer on a tun device (lab/scenario_peer.c) */
#define SCRIPTED "data_after_close data_acks_fin tw_restart fins_crossed fin_reordered shutdown_close"

/*
 * They pass with tcpclose as it is, and a wrong record of one is caught and named: the
 * cause the defect 3 reported (rst_received for the kernel's own reset), a FIN the
 * peer sent read as none, the end of the orphan 20 ms late, TIME_WAIT's last restart
 * 20 ms late.
 */
void test_check_scripted(void)
{
	struct check_run r;

	if (!check_run__init(&r))
		goto out;
	check_run__exec(&r, SCRIPTED);
	ASSERT_EQ(r.status, 0, "exit status: the scripted scenarios as expected");
	ASSERT_NOT_NULL(strstr(r.text, "6 passed, 0 failed"), "the closing count");
	check_run__exec(&r, "--expect data_after_close.client.cause=rst_received "
			    "--expect fins_crossed.client.peer_fin_ack=-1 data_after_close fins_crossed");
	ASSERT_EQ(r.status, 1, "exit status: wrong expectations");
	ASSERT_NOT_NULL(strstr(r.text, "data_after_close: client.cause: got rst_sent, want rst_received\n"),
			"named: the cause");
	ASSERT_NOT_NULL(strstr(r.text, "fins_crossed: client.peer_fin_ack: got "), "named: peer_fin_ack");
	ASSERT_NOT_NULL(strstr(r.text, ", want none\n"), "the FIN it says is not there");
	check_run__exec(&r, "--tamper FIN_WAIT1+20 data_after_close");
	ASSERT_EQ(r.status, 1, "exit status: the orphan's end 20 ms late");
	ASSERT_NOT_NULL(strstr(r.text, "data_after_close: client.end: got "), "named: its end");
	check_run__exec(&r, "--tamper tw_restart_last+20 tw_restart");
	ASSERT_EQ(r.status, 1, "exit status: the last restart 20 ms late");
	ASSERT_NOT_NULL(strstr(r.text, "tw_restart: client.tw_restart_last: got "), "named");
out:
	check_run__cleanup(&r);
}

/* --repeat and --load: every round's table, the flakes, the sum last, a testsuite a round */
/* tcpclose-load workers whose tcpclose has gone: their parent is no tcpclose (any copy of
 * it, as another run on the host may be) any more */
static int load__orphans(void)
{
	static struct { int pid, ppid; char comm[32]; } ps[4096];
	char line[128];
	int n = 0, orphans = 0;
	FILE *p = popen("ps -eo pid=,ppid=,comm= 2>/dev/null", "r");

	if (!p)
		return -1;
	while (n < 4096 && fgets(line, sizeof(line), p))
		n += sscanf(line, "%d %d %31s", &ps[n].pid, &ps[n].ppid, ps[n].comm) == 3;
	pclose(p);
	for (int i = 0; i < n; i++) {
		bool parent_ok = false;

		if (strcmp(ps[i].comm, "tcpclose-load"))
			continue;
		for (int k = 0; k < n; k++)
			parent_ok |= ps[k].pid == ps[i].ppid && !strncmp(ps[k].comm, "tcpclose", 8) &&
				     strcmp(ps[k].comm, "tcpclose-load");
		orphans += !parent_ok;
	}
	return orphans;
}

void test_check_repeat(void)
{
	static const char rounds_py[] =
		"import sys, xml.etree.ElementTree as ET\n"
		"root = ET.parse(sys.argv[1]).getroot()\n"
		"suites = root.findall('testsuite')\n"
		"names = [s.get('name') for s in suites]\n"
		"assert names == ['tcpclose check round %d' % k for k in (1, 2)], names\n"
		"assert [s.get('failures') for s in suites] == ['1', '1'], suites\n"
		"assert (root.get('tests'), root.get('failures')) == ('4', '2'), root.attrib\n";
	struct check_run r;
	char args[256];
	const char *last;
	FILE *f;

	if (!check_run__init(&r))
		goto out;
	snprintf(args, sizeof(args), "--repeat 2 --load=2 --junit %s "
		 "--expect active.client.role=passive active unread", r.junit);
	check_run__exec(&r, args);
	ASSERT_EQ(r.status, 1, "exit status: a round failed");
	ASSERT_NOT_NULL(strstr(r.text, ", 2 rounds, load on: 2 busy workers\n"),
			"the header says so");
	ASSERT_NOT_NULL(strstr(r.text, "round 1 of 2: 1 passed, 1 failed in "), "round 1's count");
	ASSERT_NOT_NULL(strstr(r.text, "round 2 of 2: 1 passed, 1 failed in "), "round 2's count");
	ASSERT_NOT_NULL(strstr(r.text, "flakes over 2 rounds: 2 failed rounds, 2 failures\n"
				       "  active client.role  2/2\n\n"),
			"the flakes, by scenario and field");
	last = r.text + strlen(r.text);
	while (last > r.text && last[-1] == '\n')
		last--;
	while (last > r.text && last[-1] != '\n')
		last--;
	ASSERT_TRUE(!strncmp(last, "2 passed, 2 failed in ", 22),
		    "the sum of the rounds is the last line, for CI and tools/vmtest");
	/* its workers, not another run's on the same host: they were its children */
	ASSERT_EQ(load__orphans(), 0, "no --load worker outlives it");
	f = fopen(r.script, "w");
	if (ASSERT_NOT_NULL(f, "write the JUnit reader")) {
		fputs(rounds_py, f);
		fclose(f);
		ASSERT_EQ(test__system("python3 %s %s", r.script, r.junit), 0,
			  "xml.etree reads a testsuite per round");
	}
out:
	check_run__cleanup(&r);
}

void test_check_usage(void)
{
	struct check_run r;

	if (!check_run__init(&r))
		goto out;
	check_run__exec(&r, "--list");
	ASSERT_EQ(r.status, 0, "--list");
	ASSERT_NOT_NULL(strstr(r.text, "tw_expire "), "lists the 60 s one");
	ASSERT_NOT_NULL(strstr(r.text, "orphan_retries "), "and the last on loopback");
	ASSERT_NOT_NULL(strstr(r.text, "\ntw_restart         scripted peer: "),
			"a scripted one, with what it does");
	check_run__exec(&r, "no_such_scenario 2>/dev/null");
	ASSERT_EQ(r.status, 2, "an unknown scenario is a usage error");
	check_run__exec(&r, "--expect active.client.role=sideways active 2>/dev/null");
	ASSERT_EQ(r.status, 2, "so is an --expect value that cannot be");
	check_run__exec(&r, "--repeat 0 active 2>/dev/null");
	ASSERT_EQ(r.status, 2, "and --repeat 0");
	check_run__exec(&r, "--load=0 active 2>/dev/null");
	ASSERT_EQ(r.status, 2, "and --load=0");
out:
	check_run__cleanup(&r);
}
