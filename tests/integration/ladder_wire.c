// SPDX-License-Identifier: GPL-2.0
/*
 * The ladder of every record of the check scenarios against the scenario's own capture:
 * tcpclose check -v judges each record's ladder model (check/check_ladder.c: every arrow's
 * seq and ack, inferred ones included, equal to its segment's; its time on the right side
 * of the segment's stamp and inside the bracket of the rest of the evidence) and says, per
 * record, "ladder: N of M arrows found on the wire, K differences". Every arrow must be
 * found, none may differ, and every scenario must draw some.
 *
 * And a scenario that fails under -v shows each record's ladder next to what its end was
 * expected to say; one that fails without -v, or passes, shows none.
 */
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>
#include "test.h"

/* all but tw_expire (60 s), and the timeouts that end with no segment (no arrow to draw) */
#define ORDERLY "active active6 passive halfclose fin_data simultaneous fin_drop lastack_drop " \
		"fins_crossed fin_reordered shutdown_close data_acks_fin"
#define RESETS "unread linger0 peer_reset listener_close data_after_close tw_rst tw_syn " \
	       "tw_reused tw_purged tw_overflow tw_restart"
#define TIMERS "keepalive fin_wait2_timeout orphan_retries"

#define OUT_MAX (1 << 20)

static const char *ladder__binary(void)
{
	return getenv("TCPCLOSE") ?: "./tcpclose";
}

/* the arrows of scenario's records as its -v lines tell them; -1 if it printed no row */
static int scenario_arrows(const char *out, const char *scenario, int *records, int *differ,
			   int *missing)
{
	char head[64];
	const char *p, *row = NULL;
	int arrows = 0;

	snprintf(head, sizeof(head), "\n%s ", scenario);
	for (p = out; (p = strstr(p, head)); p++) {
		const char *after = p + strlen(head);

		while (*after == ' ')
			after++;
		if (!strncmp(after, "pass", 4) || !strncmp(after, "FAIL", 4) ||
		    !strncmp(after, "ERROR", 5)) {
			row = p + 1;
			break;
		}
	}
	if (!row)
		return -1;
	*records = *differ = *missing = 0;
	/* its lines: up to the next row, which starts at the left margin */
	for (p = strchr(row, '\n'); p && p[1] == ' '; p = strchr(p + 1, '\n')) {
		int found, total, bad;

		if (sscanf(p + 1, " record: ladder: %d of %d arrows found on the wire, %d differences",
			   &found, &total, &bad) != 3)
			continue;
		(*records)++;
		arrows += found;
		*differ += bad;
		*missing += total - found;
	}
	return arrows;
}

/* "tcpclose check ARGS": what it printed on stdout, its exit status in *status; free() it */
static char *check_output(const char *args, int *status)
{
	char *out = calloc(1, OUT_MAX), cmd[512];
	size_t n = 0;
	FILE *f;

	if (!ASSERT_NOT_NULL(out, "memory"))
		return NULL;
	snprintf(cmd, sizeof(cmd), "%s check %s", ladder__binary(), args);
	f = popen(cmd, "r");
	if (!ASSERT_NOT_NULL(f, cmd)) {
		free(out);
		return NULL;
	}
	while (n < OUT_MAX - 1 && !feof(f))
		n += fread(out + n, 1, OUT_MAX - 1 - n, f);
	*status = pclose(f);
	if (test__verbose)
		test__log("%s: exit %d\n%s", cmd, *status, out);
	return out;
}

static void ladder_wire__run(const char *scenarios)
{
	char args[512], name[32], *out;
	const char *s = scenarios;
	int status;

	snprintf(args, sizeof(args), "-v %s", scenarios);
	out = check_output(args, &status);
	if (!out)
		return;
	while (sscanf(s, "%31s", name) == 1) {
		int records = 0, differ = 0, missing = 0, arrows;

		arrows = scenario_arrows(out, name, &records, &differ, &missing);
		s = strstr(s, name) + strlen(name);
		if (!ASSERT_GE(arrows, 0, name))
			continue;
		test__log("%s: %d records, %d arrows as the wire has them", name, records, arrows);
		ASSERT_GE(records, 1, "a ladder judged for its records");
		ASSERT_GT(arrows, 0, "arrows drawn and found");
		ASSERT_EQ(missing, 0, "every arrow found on the wire");
		ASSERT_EQ(differ, 0, "no arrow differs from its segment");
	}
	ASSERT_TRUE(strstr(out, "ladder: our") == NULL && strstr(out, "ladder: the") == NULL,
		    "no difference line names the ladder");
	if (test__failed())
		test__log("check %s\n%s", args, out);
	free(out);
}

void test_ladder_wire(void)
{
	if (test__start_subtest("orderly"))
		ladder_wire__run(ORDERLY);
	if (test__start_subtest("resets"))
		ladder_wire__run(RESETS);
	if (test__start_subtest("timers"))
		ladder_wire__run(TIMERS);
}

void test_ladder_check_failed(void)
{
	const char *args = "--expect active.client.FIN_WAIT2=0..1 active";
	char vargs[128], *out;
	int status;

	snprintf(vargs, sizeof(vargs), "-v %s", args);
	out = check_output(vargs, &status);
	if (!out)
		return;
	ASSERT_EQ(WEXITSTATUS(status), 1, "exit status: a difference");
	ASSERT_NOT_NULL(strstr(out, "\n    client:\n"), "the client's ladder, under its name");
	ASSERT_NOT_NULL(strstr(out, "(us, pid "), "its title");
	ASSERT_NOT_NULL(strstr(out, "|--- FIN seq="), "our FIN, an arrow to the peer");
	ASSERT_NOT_NULL(strstr(out, "  FIN_WAIT2 "), "the state that differed, on our side");
	ASSERT_NOT_NULL(strstr(out, "expected of client: role active,"), "what was expected");
	ASSERT_NOT_NULL(strstr(out, "FIN_WAIT2 0.0 ms to 1.0 ms"), "the changed expectation");
	ASSERT_NOT_NULL(strstr(out, "expected of server: role passive,"), "and of the server");
	free(out);

	out = check_output(args, &status);
	if (!out)
		return;
	ASSERT_EQ(WEXITSTATUS(status), 1, "without -v: a difference too");
	ASSERT_TRUE(strstr(out, "expected of") == NULL && strstr(out, "|--- FIN") == NULL,
		    "no ladder without -v");
	free(out);
}
