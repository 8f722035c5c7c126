// SPDX-License-Identifier: GPL-2.0
/*
 * --cgroup in the kernel: only sockets made in the cgroup given, or below it, are reported,
 * whichever cgroup their process is in when they close; the ring buffer carried no event
 * for the others. With --netns too, a connection must match both.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cgroupfs.h"
#include "conns.h"
#include "netns_named.h"
#include "prom_records.h"
#include "scenario.h"
#include "test.h"
#include "tracer.h"

#define PURGE_MS 30000
#define RECORDS_MS 10000

enum { CG_IN, CG_SUB, CG_OUT, CG_NR };

/* three cgroups v2 of the test's own: one traced, a child of it, and one beside them */
struct filter_cg {
	char mnt[128];			/* where cgroup2 is mounted */
	char home[512];			/* the test's own cgroup, to go back to */
	char path[CG_NR][512];
	bool made[CG_NR];
};

static bool filter_cg__create(struct filter_cg *cg)
{
	int i;

	memset(cg, 0, sizeof(*cg));
	if (!ASSERT_OK(cgroupfs__mount(cg->mnt, sizeof(cg->mnt)), "a cgroup v2 mount") ||
	    !ASSERT_OK(cgroupfs__self(cg->mnt, cg->home, sizeof(cg->home)),
		       "this process's cgroup v2"))
		return false;
	snprintf(cg->path[CG_IN], sizeof(cg->path[0]), "%s/tcpclose-test-%d-in", cg->mnt,
		 getpid());
	snprintf(cg->path[CG_SUB], sizeof(cg->path[0]), "%s/tcpclose-test-%d-in/sub", cg->mnt,
		 getpid());
	snprintf(cg->path[CG_OUT], sizeof(cg->path[0]), "%s/tcpclose-test-%d-out", cg->mnt,
		 getpid());
	for (i = 0; i < CG_NR; i++) {
		if (!ASSERT_OK(mkdir(cg->path[i], 0755), cg->path[i]))
			return false;
		cg->made[i] = true;
	}
	return true;
}

static void filter_cg__destroy(struct filter_cg *cg)
{
	int i;

	if (cg->home[0])
		cgroupfs__move(cg->home, 0);
	for (i = CG_NR - 1; i >= 0; i--) {
		if (cg->made[i] && rmdir(cg->path[i]))
			printf("rmdir %s: %s\n", cg->path[i], strerror(errno));
	}
}

struct filter_run {
	int ns;			/* 0: the traced namespace, 1: the other */
	int made;		/* the cgroup the sockets are made in (CG_*) */
	int closed;		/* the cgroup they are closed from: conns, not a scenario */
	const char *scenario;
	int count;		/* churn: connections */
	struct scenario_result res;
	unsigned short ports[2];	/* conns: client and server */
};

#define RUN(n, m, s, ...) { .ns = (n), .made = (m), .closed = (m), .scenario = (s), ##__VA_ARGS__ }
#define MOVED(n, m, c) { .ns = (n), .made = (m), .closed = (c) }

struct filter_test {
	struct netns ns[2];
	bool alive[2];
	struct filter_cg cg;
	struct tracer t;
};

/* a connection made in one cgroup and closed, by the same process, from another */
static bool filter_cgroup__moved(struct filter_test *ft, struct filter_run *r)
{
	struct conn c = { .cfd = -1, .sfd = -1 };
	unsigned short port;
	bool ok = false;
	int lfd;

	if (!ASSERT_OK(cgroupfs__move(ft->cg.path[r->made], 0), "enter the making cgroup"))
		return false;
	lfd = sock__listen(4, &port);
	if (!ASSERT_GE(lfd, 0, "listen") ||
	    !ASSERT_OK(conns__open(&c, lfd, 4, port), "connect and accept"))
		goto out;
	r->ports[0] = c.cport;
	r->ports[1] = c.sport;
	ok = ASSERT_OK(cgroupfs__move(ft->cg.path[r->closed], 0), "enter the closing cgroup");
out:
	conns__close(&c);
	if (lfd >= 0)
		close(lfd);
	return ok;
}

static bool filter_cgroup__run(struct filter_test *ft, struct filter_run *r)
{
	struct scenario_opts opts;
	bool ok;
	int err;

	if (!ASSERT_OK(netns__enter(&ft->ns[r->ns]), "enter namespace"))
		return false;
	if (!r->scenario) {
		ok = filter_cgroup__moved(ft, r);
	} else {
		scenario__default_opts(&opts);
		if (r->count)
			opts.count = r->count;
		ok = ASSERT_OK(cgroupfs__move(ft->cg.path[r->made], 0), "enter cgroup");
		err = ok ? scenario__run(r->scenario, &opts, &r->res) : 0;
		if (!ASSERT_OK(err, r->scenario)) {
			printf("scenario %s: %s\n", r->scenario, r->res.error);
			ok = false;
		}
	}
	netns__leave(&ft->ns[r->ns]);
	return ok;
}

static bool filter_run__has(const struct filter_run *r, json_object *rec)
{
	long long sport = json__int(rec, "sport", -1), dport = json__int(rec, "dport", -1);

	if (!r->scenario)
		return (sport == r->ports[0] && dport == r->ports[1]) ||
		       (sport == r->ports[1] && dport == r->ports[0]);
	return sport == r->res.server.port || dport == r->res.server.port;
}

static int filter_run__conns(const struct filter_run *r)
{
	return r->scenario && r->res.fields & SCENARIO_F_CHURN ? r->res.connections : 1;
}

/*
 * Run every run (with_netns: in the namespace it names, else all in the traced one), purge,
 * and check that exactly the runs made in CG_IN or CG_SUB (and, with_netns, in the traced
 * namespace) were reported, and nothing else went through the ring buffer.
 */
static void filter_cgroup__test(struct filter_run *runs, int nruns, bool with_netns)
{
	const char *args[] = { "--cgroup", NULL, NULL };
	int i, k, err, nns = with_netns ? 2 : 1, want = 0, ours = 0, foreign = 0;
	struct filter_test ft = { .ns = { { .home = -1 }, { .home = -1 } } };
	json_object *rec, *lost, *example = NULL;
	const char *type;
	bool traced;
	char msg[96];

	if (!filter_cg__create(&ft.cg))
		goto out;
	for (i = 0; i < nns; i++) {
		if (!ASSERT_OK(netns__create(&ft.ns[i], i ? "tcpclose-other" : "tcpclose-traced"),
			       "create namespace"))
			goto out;
		ft.alive[i] = true;
	}
	args[1] = ft.cg.path[CG_IN];
	if (!ASSERT_OK(tracer__start(&ft.t, ft.ns[0].path, args), "start tracer --cgroup"))
		goto out;
	for (i = 0; i < nruns; i++) {
		if (!with_netns)
			runs[i].ns = 0;
		if (!filter_cgroup__run(&ft, &runs[i]))
			goto out;
		if (runs[i].made != CG_OUT && !runs[i].ns)
			want += 2 * filter_run__conns(&runs[i]);
	}
	ASSERT_OK(cgroupfs__move(ft.cg.home, 0), "back to the test's cgroup");
	for (i = nns - 1; i >= 0; i--) {
		err = netns__destroy(&ft.ns[i], PURGE_MS);
		ft.alive[i] = false;
		if (!ASSERT_OK(err, "namespace purged"))
			goto out;
	}
	prom__wait_closes(&ft.t, want, RECORDS_MS);
	if (!ASSERT_OK(tracer__stop(&ft.t), "tracer exits 0 after SIGINT, JSON only"))
		goto out;
	for (k = 0; k < nruns; k++) {
		int n = 0;

		for (i = 0; i < ft.t.nrecs; i++)
			n += filter_run__has(&runs[k], ft.t.recs[i]);
		traced = runs[k].made != CG_OUT && !runs[k].ns;
		snprintf(msg, sizeof(msg), "close records of run %d (%s, made in %s, %s namespace)",
			 k + 1, runs[k].scenario ?: "conns", runs[k].made == CG_OUT ? "out" :
			 runs[k].made == CG_SUB ? "in/sub" : "in", runs[k].ns ? "other" : "traced");
		ASSERT_EQ(n, traced ? 2 * filter_run__conns(&runs[k]) : 0, msg);
	}
	for (i = 0; i < ft.t.nrecs; i++) {
		rec = ft.t.recs[i];
		type = json__str(rec, "type");
		if (!type || strcmp(type, "close"))
			continue;
		for (k = 0, traced = false; k < nruns && !traced; k++)
			traced = runs[k].made != CG_OUT && !runs[k].ns &&
				 filter_run__has(&runs[k], rec);
		if (traced) {
			ours++;
		} else {
			foreign++;
			example = example ?: rec;
		}
	}
	test__log("reported %d close records of %d; %d others", ours, want, foreign);
	ASSERT_EQ(ours, want, "close records of sockets made in the cgroup, 2 per connection");
	if (!ASSERT_EQ(foreign, 0, "close records of other sockets"))
		printf("one of them: %s\n", json_object_to_json_string(example));
	lost = tracer__lost(&ft.t);
	if (ASSERT_NOT_NULL(lost, "a \"lost\" record at exit")) {
		/* the others never reached the ring buffer */
		ASSERT_EQ(json__int(lost, "delivered", -1), ours + foreign,
			  "events through the ring buffer, against the close records printed");
		ASSERT_EQ(json__int(lost, "ringbuf", -1), 0, "records lost to the ring buffer");
	}
out:
	if (test__failed())
		tracer__dump_stderr(&ft.t);
	filter_cg__destroy(&ft.cg);
	for (i = 0; i < 2; i++) {
		if (ft.ns[i].home >= 0)
			netns__leave(&ft.ns[i]);
		if (ft.alive[i])
			netns__destroy(&ft.ns[i], 0);
	}
	tracer__free(&ft.t);
}

void test_filter_cgroup(void)
{
	struct filter_run runs[] = {
		RUN(0, CG_OUT, "churn", .count = 200), RUN(0, CG_IN, "active"),
		RUN(0, CG_SUB, "unread"), RUN(0, CG_OUT, "active"), MOVED(0, CG_IN, CG_OUT),
		MOVED(0, CG_OUT, CG_IN), RUN(0, CG_SUB, "churn", .count = 50),
		RUN(0, CG_OUT, "halfclose"), RUN(0, CG_IN, "lastack_drop"),
	};

	filter_cgroup__test(runs, sizeof(runs) / sizeof(runs[0]), false);
}

void test_filter_cgroup_netns(void)
{
	struct filter_run runs[] = {
		RUN(1, CG_IN, "churn", .count = 100), RUN(0, CG_OUT, "churn", .count = 100),
		RUN(0, CG_IN, "active"), RUN(1, CG_IN, "active"), RUN(0, CG_OUT, "active"),
		RUN(1, CG_OUT, "active"), RUN(0, CG_SUB, "linger0"), RUN(1, CG_SUB, "linger0"),
		RUN(0, CG_IN, "churn", .count = 20),
	};

	filter_cgroup__test(runs, sizeof(runs) / sizeof(runs[0]), true);
}
