// SPDX-License-Identifier: GPL-2.0
/*
 * A real Prometheus scrapes tcpclose every second while connections close in every way
 * the scenarios know in a traced namespace. What it stored must be what the JSON records
 * of the same run add up to: closes by role and cause, FIN retransmits, TIME_WAIT ends,
 * losses, and the count, sum and every bucket of each close state's histogram; and its
 * sockets gauge must be what ss counts in the namespace.
 */
#include <time.h>
#include "netns_named.h"
#include "prom.h"
#include "prom_records.h"
#include "scenario.h"
#include "ss.h"
#include "test.h"
#include "tracer.h"

/* the test's own network namespace: both ports are ours */
#define METRICS_ADDR "127.0.0.1:9465"
#define PROM_PORT 9090
/* Prometheus takes seconds to start on a loaded 2-CPU machine: 5.4 s was seen */
#define PROM_UP_MS 40000
#define SCRAPES_MS 15000
#define PURGE_MS 30000
#define RECORDS_MS 10000
#define CHURN_CONNECTIONS 200

static const char *const metrics_prom__scenarios[] = {
	"active", "active6", "halfclose", "fin_data", "simultaneous", "unread", "linger0",
	"peer_reset", "listener_close", "fin_drop", "lastack_drop", "churn",
};

static double metrics_prom__wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* every scenario once in the namespace; the connections they made */
static int metrics_prom__run(struct netns *ns)
{
	struct scenario_opts opts;
	struct scenario_result res;
	int conns = 0, err;
	size_t i;

	if (!ASSERT_OK(netns__enter(ns), "enter scenario namespace"))
		return -1;
	for (i = 0; i < sizeof(metrics_prom__scenarios) / sizeof(metrics_prom__scenarios[0]);
	     i++) {
		scenario__default_opts(&opts);
		opts.count = CHURN_CONNECTIONS;
		err = scenario__run(metrics_prom__scenarios[i], &opts, &res);
		if (!ASSERT_OK(err, metrics_prom__scenarios[i])) {
			printf("scenario %s: %s\n", metrics_prom__scenarios[i], res.error);
			conns = -1;
			break;
		}
		if (res.fields & SCENARIO_F_CHURN)
			conns += res.connections;
		else if (res.fields & SCENARIO_F_CROSS)
			conns += res.attempts;
		else
			conns++;
	}
	ASSERT_OK(netns__leave(ns), "leave scenario namespace");
	return conns;
}

/* the gauge, refreshed each second, against ss in the namespace */
static void metrics_prom__check_gauges(struct prom *p, struct netns *ns)
{
	static const char *const states[][2] = {
		{ "FIN_WAIT1", "FIN-WAIT-1" }, { "FIN_WAIT2", "FIN-WAIT-2" },
		{ "CLOSE_WAIT", "CLOSE-WAIT" }, { "LAST_ACK", "LAST-ACK" },
		{ "CLOSING", "CLOSING" }, { "TIME_WAIT", "TIME-WAIT" },
	};
	const struct prom_sample *s;
	struct ss_sock *socks = NULL;
	struct prom_vec v = {};
	int n, k, want, tw = 0;
	double since;
	char msg[96];
	size_t i;

	if (!ASSERT_OK(netns__enter(ns), "enter scenario namespace"))
		return;
	since = metrics_prom__wall();
	n = ss__query("", &socks);
	netns__leave(ns);
	if (!ASSERT_GE(n, 0, "ss in the scenario namespace"))
		return;
	/* the first scrape may serve a gauge from before; the third cannot */
	if (!ASSERT_OK(prom__wait_scrapes(p, 3, since, SCRAPES_MS), "three scrapes after ss") ||
	    !ASSERT_OK(prom__query(p, "tcpclose_sockets", &v), "query tcpclose_sockets"))
		goto out;
	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		for (k = 0, want = 0; k < n; k++)
			want += !strcmp(socks[k].state, states[i][1]);
		if (!strcmp(states[i][0], "TIME_WAIT"))
			tw = want;
		s = prom_vec__find(&v, "tcpclose_sockets", "state", states[i][0], NULL);
		snprintf(msg, sizeof(msg), "tcpclose_sockets{state=\"%s\"} against ss",
			 states[i][0]);
		if (ASSERT_NOT_NULL(s, msg))
			ASSERT_EQ(s->value, want, msg);
	}
	/* the scenarios leave one or two TIME_WAITs each, churn one per connection */
	ASSERT_GE(tw, CHURN_CONNECTIONS, "sockets ss shows in TIME-WAIT");
out:
	prom_vec__free(&v);
	free(socks);
}

void test_metrics_prometheus(void)
{
	const char *const args[] = { "--metrics", METRICS_ADDR, NULL };
	const char *const all = "{__name__=~\"tcpclose_.*\",job=\"tcpclose\"}";
	struct netns ns = { .home = -1 };
	const struct prom_sample *up;
	struct prom_vec v = {}, u = {};
	bool ns_alive = false;
	struct tracer t = {};
	struct scenario_result res;
	struct prom p = {};
	int conns, closes, err, i, partial = 0;
	json_object *lost;

	if (!ASSERT_OK(netns__create(&ns, "tcpclose-prom"), "create scenario namespace"))
		goto out;
	ns_alive = true;
	/* a TIME_WAIT from before the tracer: counted, but its partial dwell kept out */
	if (!ASSERT_OK(netns__enter(&ns), "enter scenario namespace"))
		goto out;
	err = scenario__run("active", NULL, &res);
	netns__leave(&ns);
	if (!ASSERT_OK(err, "active, before the tracer starts"))
		goto out;
	if (!ASSERT_OK(tracer__start(&t, ns.path, args), "start tracer with --metrics"))
		goto out;
	if (!ASSERT_OK(prom__start(&p, PROM_PORT, "tcpclose", METRICS_ADDR), "start prometheus") ||
	    !ASSERT_OK(prom__wait_up(&p, PROM_UP_MS), "prometheus scrapes tcpclose"))
		goto out;
	conns = metrics_prom__run(&ns);
	if (conns < 0)
		goto out;
	metrics_prom__check_gauges(&p, &ns);

	/* the purge ends every TIME_WAIT: every record is due now */
	err = netns__destroy(&ns, PURGE_MS);
	ns_alive = false;
	if (!ASSERT_OK(err, "scenario namespace purged"))
		goto out;
	closes = prom__wait_closes(&t, 2 * conns + 1, RECORDS_MS);
	ASSERT_EQ(closes, 2 * conns + 1, "close records, 2 per connection and the partial one");
	/* and the gauge, refreshed each second, then has no namespace to count: zeros */
	if (!ASSERT_OK(prom__wait_scrapes(&p, 3, metrics_prom__wall(), SCRAPES_MS),
		       "three scrapes after the last record") ||
	    !ASSERT_OK(prom__query(&p, all, &v), "query every tcpclose series") ||
	    !ASSERT_OK(prom__query(&p, "up{job=\"tcpclose\"}", &u), "query up"))
		goto out;
	up = prom_vec__find(&u, "up", NULL);
	if (ASSERT_NOT_NULL(up, "up{job=\"tcpclose\"}"))
		ASSERT_EQ(up->value, 1, "up{job=\"tcpclose\"}: the last scrape succeeded");
	ASSERT_EQ(prom_vec__sum(&v, "tcpclose_sockets"), 0,
		  "tcpclose_sockets once the namespace is gone");

	if (!ASSERT_OK(tracer__stop(&t), "tracer exits 0 after SIGINT, JSON only"))
		goto out;
	ASSERT_EQ(tracer__count_closes(&t), closes, "close records printed after the scrapes");
	for (i = 0; i < t.nrecs; i++)
		partial += json_object_get_boolean(json_object_object_get(t.recs[i], "partial"));
	ASSERT_EQ(partial, 1, "partial records: the TIME_WAIT from before the tracer");
	lost = tracer__lost(&t);
	if (ASSERT_NOT_NULL(lost, "a \"lost\" record at exit")) {
		ASSERT_EQ(json__int(lost, "delivered", -1), closes,
			  "records through the ring buffer, against those printed");
		ASSERT_EQ(json__int(lost, "ringbuf", -1), 0, "records lost to the ring buffer");
	}
	test__log("%d connections, %d close records, %d series in Prometheus", conns, closes, v.n);
	if (!prom_vec__check_records(&v, &t, true, "prometheus"))
		prom__dump_log(&p);
out:
	if (test__failed())
		tracer__dump_stderr(&t);
	prom_vec__free(&v);
	prom_vec__free(&u);
	prom__stop(&p);
	if (ns.home >= 0)
		netns__leave(&ns);
	if (ns_alive)
		netns__destroy(&ns, 0);
	tracer__free(&t);
}
