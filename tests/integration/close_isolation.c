// SPDX-License-Identifier: GPL-2.0
/*
 * Isolation: connections in other namespaces, opened, closed and purged all the while,
 * must not leak into the records of the traced namespace. Each record's FINs are checked
 * against its own capture.
 */
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "conns.h"
#include "fixture.h"
#include "probe.h"
#include "test.h"

#define ISOLATION_RUNS 6
#define NOISE_CONNECTIONS 300

/* churn in a fresh namespace, again and again: each unshare purges the last one's sockets */
static pid_t close_isolation__noise(void)
{
	struct scenario_opts opts;
	struct scenario_result res;
	pid_t pid;

	pid = test__fork_child();
	if (pid)
		return pid;
	scenario__default_opts(&opts);
	opts.count = NOISE_CONNECTIONS;
	for (;;) {
		if (netns__unshare() || scenario__run("churn", &opts, &res))
			_exit(1);
	}
}

struct isolation_run {
	struct scenario_result res;
	struct capture cap;
};

static bool close_isolation__ours(const struct isolation_run *runs, int n, json_object *rec)
{
	long long sport = json__int(rec, "sport", -1), dport = json__int(rec, "dport", -1);
	int i;

	for (i = 0; i < n; i++) {
		if ((sport == runs[i].res.client.port && dport == runs[i].res.server.port) ||
		    (sport == runs[i].res.server.port && dport == runs[i].res.client.port))
			return true;
	}
	return false;
}

/*
 * Records of no connection of ours: the traced namespace is gone by now, and a new one can
 * get its inode number; a filter by that number alone then lets the newcomer in. Without
 * namespace cookies (before 5.14) the inode number is all --netns has: there only the
 * records that ended before the purge began, when no newcomer could have its number yet,
 * are judged (docs/KERNELS.md).
 */
static void close_isolation__check_foreign(const struct fixture *f,
					   const struct isolation_run *runs, int n,
					   double purge_begun)
{
	/* does this kernel give a namespace a cookie no later one gets (5.14)? */
	bool by_inode = !probe__netns_cookie("/proc/self/ns/net");
	json_object *rec, *example = NULL;
	int i, ours = 0, foreign = 0, after = 0;
	const char *type;

	for (i = 0; i < f->tracer.nrecs; i++) {
		rec = f->tracer.recs[i];
		type = json__str(rec, "type");
		if (!type || strcmp(type, "close"))
			continue;
		if (close_isolation__ours(runs, n, rec)) {
			ours++;
		} else if (by_inode && json__double(rec, "ts", 0) > purge_begun) {
			after++;
		} else {
			foreign++;
			example = example ?: rec;
		}
	}
	if (by_inode)
		test__log("no namespace cookies: %d foreign records ended after the purge began, "
			  "from namespaces that may have the traced one's inode number", after);
	ASSERT_EQ(ours, 2 * n, "close records of our connections, 2 per connection");
	if (!ASSERT_EQ(foreign, 0, "close records of connections never in the traced namespace"))
		fixture__dump(example, "one of them");
}

void serial_test_close_isolation(void)
{
	struct isolation_run runs[ISOLATION_RUNS] = {};
	json_object *cli, *srv;
	struct fixture f;
	int i, n = 0, status;
	double purge_begun;
	pid_t noise = 0;

	if (!fixture__start(&f, NULL))
		goto out;
	noise = close_isolation__noise();
	if (!ASSERT_GT(noise, 0, "fork the noise"))
		goto out;
	for (n = 0; n < ISOLATION_RUNS; n++) {
		if (!fixture__run(&f, "active", NULL))
			goto out;
		runs[n].res = f.res;
		runs[n].cap = f.cap;
		memset(&f.cap, 0, sizeof(f.cap));
		nstat__free(&f.before);
		nstat__free(&f.after);
		nstat__free(&f.delta);
	}
	/* the purge too must happen amid the noise */
	purge_begun = conns__now();
	if (!fixture__purge(&f) || !fixture__finish(&f))
		goto out;
	ASSERT_EQ(waitpid(noise, &status, WNOHANG), 0, "the noise still runs");
	for (i = 0; i < n; i++) {
		f.res = runs[i].res;
		f.cap = runs[i].cap;
		cli = fixture__client(&f);
		srv = fixture__server(&f);
		fixture__check_ends(&f, cli, srv);
		fixture__check_fins(&f, cli, srv);
		if (cli)
			ASSERT_REC_STATES(cli, "FIN_WAIT1,FIN_WAIT2,TIME_WAIT", "client");
		if (srv)
			ASSERT_REC_STATES(srv, "CLOSE_WAIT,LAST_ACK", "server");
		if (test__failed()) {
			printf("run %d of %d:\n", i + 1, n);
			fixture__dump(cli, "client record");
			fixture__dump(srv, "server record");
			break;
		}
	}
	close_isolation__check_foreign(&f, runs, n, purge_begun);
out:
	if (noise > 0) {
		kill(noise, SIGKILL);
		waitpid(noise, NULL, 0);
	}
	for (i = 0; i < n; i++)
		capture__free(&runs[i].cap);
	memset(&f.cap, 0, sizeof(f.cap));
	fixture__cleanup(&f);
}
