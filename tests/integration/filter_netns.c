// SPDX-License-Identifier: GPL-2.0
/*
 * --netns in the kernel: connections closing in the traced namespace are reported, those of
 * a second namespace, interleaved with them and several times as many, are not; and the
 * ring buffer carried no event for them, so they were dropped before user space.
 */
#include "netns_named.h"
#include "prom_records.h"
#include "scenario.h"
#include "test.h"
#include "tracer.h"

#define PURGE_MS 30000
#define RECORDS_MS 10000

struct filter_run {
	int ns;			/* 0: the traced namespace, 1: the other */
	const char *scenario;
	int count;		/* churn: connections */
	struct scenario_result res;
};

#define RUN(n, s, ...) { .ns = (n), .scenario = (s), ##__VA_ARGS__ }

static struct filter_run filter_netns__runs[] = {
	RUN(1, "churn", .count = 300), RUN(0, "active"), RUN(1, "active"), RUN(0, "unread"),
	RUN(1, "linger0"), RUN(0, "churn", .count = 50), RUN(1, "halfclose"),
	RUN(0, "fin_drop"), RUN(1, "churn", .count = 300),
};

#define NR_RUNS (sizeof(filter_netns__runs) / sizeof(filter_netns__runs[0]))

static int filter_netns__conns(const struct filter_run *r)
{
	return r->res.fields & SCENARIO_F_CHURN ? r->res.connections : 1;
}

/* one of the traced runs' connections: the listener's port is at one end of each */
static bool filter_netns__ours(json_object *rec)
{
	long long sport = json__int(rec, "sport", -1), dport = json__int(rec, "dport", -1);
	const struct filter_run *r;

	for (r = filter_netns__runs; r < filter_netns__runs + NR_RUNS; r++) {
		if (!r->ns && (sport == r->res.server.port || dport == r->res.server.port))
			return true;
	}
	return false;
}

void test_filter_netns(void)
{
	struct netns ns[2] = { { .home = -1 }, { .home = -1 } };
	bool alive[2] = { false, false };
	struct scenario_opts opts;
	int i, err, want = 0, closes, ours = 0, foreign = 0;
	struct filter_run *r;
	struct tracer t = {};
	json_object *rec, *lost, *example = NULL;
	const char *type;

	for (i = 0; i < 2; i++) {
		if (!ASSERT_OK(netns__create(&ns[i], i ? "tcpclose-other" : "tcpclose-traced"),
			       "create namespace"))
			goto out;
		alive[i] = true;
	}
	if (!ASSERT_OK(tracer__start(&t, ns[0].path, NULL), "start tracer --netns"))
		goto out;
	for (r = filter_netns__runs; r < filter_netns__runs + NR_RUNS; r++) {
		scenario__default_opts(&opts);
		if (r->count)
			opts.count = r->count;
		if (!ASSERT_OK(netns__enter(&ns[r->ns]), "enter namespace"))
			goto out;
		err = scenario__run(r->scenario, &opts, &r->res);
		netns__leave(&ns[r->ns]);
		if (!ASSERT_OK(err, r->scenario)) {
			printf("scenario %s: %s\n", r->scenario, r->res.error);
			goto out;
		}
		if (!r->ns)
			want += 2 * filter_netns__conns(r);
	}
	/* the other namespace first: what leaked from its purge would be out before ours */
	for (i = 1; i >= 0; i--) {
		err = netns__destroy(&ns[i], PURGE_MS);
		alive[i] = false;
		if (!ASSERT_OK(err, "namespace purged"))
			goto out;
	}
	closes = prom__wait_closes(&t, want, RECORDS_MS);
	if (!ASSERT_OK(tracer__stop(&t), "tracer exits 0 after SIGINT, JSON only"))
		goto out;
	for (i = 0; i < t.nrecs; i++) {
		rec = t.recs[i];
		type = json__str(rec, "type");
		if (!type || strcmp(type, "close"))
			continue;
		if (filter_netns__ours(rec) &&
		    json__int(rec, "netns", -1) == (long long)ns[0].ino) {
			ours++;
		} else {
			foreign++;
			example = example ?: rec;
		}
	}
	test__log("traced %d close records of %d, %d printed by then; %d foreign", ours, want,
		  closes, foreign);
	ASSERT_EQ(ours, want, "close records of the traced namespace, 2 per connection");
	if (!ASSERT_EQ(foreign, 0, "close records of the other namespace"))
		printf("one of them: %s\n", json_object_to_json_string(example));
	lost = tracer__lost(&t);
	if (ASSERT_NOT_NULL(lost, "a \"lost\" record at exit")) {
		/* the other namespace's closes never reached the ring buffer */
		ASSERT_EQ(json__int(lost, "delivered", -1), ours + foreign,
			  "events through the ring buffer, against the close records printed");
		ASSERT_EQ(json__int(lost, "ringbuf", -1), 0, "records lost to the ring buffer");
	}
out:
	if (test__failed())
		tracer__dump_stderr(&t);
	for (i = 0; i < 2; i++) {
		if (ns[i].home >= 0)
			netns__leave(&ns[i]);
		if (alive[i])
			netns__destroy(&ns[i], 0);
	}
	tracer__free(&t);
}
