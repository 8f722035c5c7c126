// SPDX-License-Identifier: GPL-2.0
/*
 * A connection map too small for the connections closing at once (--max-closing 16, 100
 * ends closing together) loses no record: every end still has one, the ends whose first
 * close states found no room say so (states_lost, not partial: they began while tcpclose
 * ran), and the summary counts those records once each, apart from the losses. It used to
 * count every failed insert as a lost record ("96 lost" beside 100 records) and mark them
 * partial. With tcp_max_tw_buckets=0 no end waits in TIME_WAIT: all records are due at once.
 * --hist counts each state a record visited, those without their first states too (they
 * saw the states they visited whole): it left them out once, and went quiet when the map
 * was full.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/socket.h>
#include "clock.h"
#include "conns.h"
#include "sock.h"
#include "test.h"
#include "tracer.h"

#define CONNECTIONS 50
#define NR_HIST_STATES 4

static const char *const hist_states[NR_HIST_STATES] = {
	"FIN_WAIT1", "FIN_WAIT2", "CLOSE_WAIT", "LAST_ACK",
};
#define MAX_CLOSING "16"
#define RECORDS_MS 10000

static int sysctl_write(const char *path, int v)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -errno;
	fprintf(f, "%d\n", v);
	return fclose(f) ? -errno : 0;
}

void test_closing_map_full(void)
{
	struct conn c[CONNECTIONS];
	const char *const args[] = { "--max-closing", MAX_CLOSING, "--hist", NULL };
	int lfd = -1, n = 0, records = 0, flagged = 0, partial = 0, flagged_visits = 0, i, s;
	int visits[NR_HIST_STATES] = {};
	unsigned short port;
	struct tracer t = {};
	json_object *rec, *lost, *hist, *hstates;

	for (i = 0; i < CONNECTIONS; i++)
		c[i].cfd = c[i].sfd = -1;
	if (!ASSERT_OK(sysctl_write("/proc/sys/net/ipv4/tcp_max_tw_buckets", 0),
		       "tcp_max_tw_buckets=0") ||
	    !ASSERT_OK(tracer__start(&t, NULL, args), "start tracer --max-closing " MAX_CLOSING))
		goto out;
	lfd = sock__listen(4, &port);
	if (!ASSERT_GE(lfd, 0, "listen"))
		goto out;
	for (n = 0; n < CONNECTIONS; n++)
		if (!ASSERT_OK(conns__open(&c[n], lfd, 4, port), "connect and accept"))
			goto out;
	/* every client FIN_WAIT2, every server CLOSE_WAIT: 100 ends closing at once */
	for (i = 0; i < n; i++)
		shutdown(c[i].cfd, SHUT_WR);
	clock__sleep_ms(200);
	for (i = 0; i < n; i++)
		conns__close(&c[i]);
	/* the last to close are the clients: theirs is the last record */
	if (!ASSERT_OK(tracer__wait_close(&t, c[n - 1].cport, port, RECORDS_MS) ?:
		       tracer__wait_close(&t, port, c[n - 1].cport, RECORDS_MS), "the last records"))
		goto out;
	clock__sleep_ms(200);
	if (!ASSERT_OK(tracer__stop(&t), "tracer exits 0"))
		goto out;
	for (i = 0; i < t.nrecs; i++) {
		bool lost_states;

		rec = t.recs[i];
		if (!json__str(rec, "type") || strcmp(json__str(rec, "type"), "close") ||
		    (json__int(rec, "sport", -1) != port && json__int(rec, "dport", -1) != port))
			continue;
		records++;
		lost_states = json_object_get_boolean(json_object_object_get(rec, "states_lost"));
		flagged += lost_states;
		partial += json_object_get_boolean(json_object_object_get(rec, "partial"));
		for (s = 0; s < NR_HIST_STATES; s++) {
			if (!json__has_state(rec, hist_states[s]))
				continue;
			visits[s]++;
			flagged_visits += lost_states;
		}
	}
	lost = tracer__lost(&t);
	test__log("records %d: %d without their first states; states_lost %lld", records, flagged,
		  json__int(lost, "states_lost", -1));
	ASSERT_EQ(records, 2 * n, "a record for every end, two a connection");
	ASSERT_GT(flagged, 0, "some ends found no room for their first states");
	ASSERT_EQ(json__int(lost, "states_lost", -1), flagged, "counted once each");
	ASSERT_EQ(partial, 0, "none partial: all began while tcpclose ran");
	ASSERT_EQ(json__int(lost, "ringbuf", -1) + json__int(lost, "map_full", -1), 0,
		  "nothing lost");
	/* the namespace is the test's own: these ends are all the histograms saw */
	test__log("states visited by records without their first states: %d", flagged_visits);
	ASSERT_GT(flagged_visits, 0, "records without their first states visited some");
	hist = tracer__last(&t, "hist");
	if (ASSERT_NOT_NULL(hist, "hist record at exit") &&
	    ASSERT_TRUE(json_object_object_get_ex(hist, "states", &hstates), "hist states")) {
		for (s = 0; s < NR_HIST_STATES; s++) {
			json_object *h = NULL;

			json_object_object_get_ex(hstates, hist_states[s], &h);
			ASSERT_EQ(h ? json__int(h, "count", -1) : 0, visits[s], hist_states[s]);
		}
	}
out:
	if (test__failed())
		tracer__dump_stderr(&t);
	for (i = 0; i < n; i++)
		conns__close(&c[i]);
	if (lfd >= 0)
		close(lfd);
	tracer__free(&t);
}
