// SPDX-License-Identifier: GPL-2.0
/*
 * tcpclose as a service without root: started as nobody by setpriv(1) with only the
 * capabilities the README names, and kernel.kptr_restrict=1 (symbol addresses hidden from
 * whoever lacks CAP_SYSLOG), it attaches, follows TIME_WAIT, serves metrics that add up to
 * its records, and walks another namespace only with CAP_SYS_ADMIN (without any one of its
 * capabilities it refuses to start: service_caps_missing.c). Serial: kptr_restrict is
 * global.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "caps.h"
#include "http_client.h"
#include "netns_named.h"
#include "prom_records.h"
#include "scenario.h"
#include "ss.h"
#include "test.h"
#include "clock.h"
#include "tracer.h"

#define METRICS_PORT 9465
#define HTTP_MS 10000
#define PURGE_MS 30000
#define RECORDS_MS 10000
#define CHURN_CONNECTIONS 50

static const char *const caps__scenarios[] = { "active", "unread", "churn" };

/* a cgroup v2 of the test's own, so that a tracer without --netns reports only the test */
struct caps_cgroup {
	char path[256];
	char home[512];
	bool made;
};

static int caps_cgroup__create(struct caps_cgroup *cg)
{
	char dev[256], dir[128], type[64], line[256];
	FILE *f = fopen("/proc/self/mounts", "r");
	int err = -ENOENT;

	memset(cg, 0, sizeof(*cg));
	if (!f)
		return -errno;
	while (err && fscanf(f, "%255s %127s %63s %*[^\n]", dev, dir, type) == 3)
		err = strcmp(type, "cgroup2") ? -ENOENT : 0;
	fclose(f);
	if (err)
		return err;
	f = fopen("/proc/self/cgroup", "r");
	if (!f)
		return -errno;
	err = -ENOENT;
	while (err && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "0::", 3))
			continue;
		snprintf(cg->home, sizeof(cg->home), "%s%s", dir,
			 strcmp(line + 3, "/") ? line + 3 : "");
		err = 0;
	}
	fclose(f);
	if (err)
		return err;
	snprintf(cg->path, sizeof(cg->path), "%s/tcpclose-test-%d-caps", dir, getpid());
	if (mkdir(cg->path, 0755))
		return -errno;
	cg->made = true;
	return 0;
}

static int caps_cgroup__enter(const char *path)
{
	char procs[600];
	int fd, err = 0;

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", path);
	fd = open(procs, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, "0", 1) != 1)
		err = -errno;
	close(fd);
	return err;
}

static void caps_cgroup__destroy(struct caps_cgroup *cg)
{
	if (cg->home[0])
		caps_cgroup__enter(cg->home);
	if (cg->made && rmdir(cg->path))
		printf("rmdir %s: %s\n", cg->path, strerror(errno));
	cg->made = false;
}

/* the scenarios in the namespace; the connections they made, or -1 */
static int caps__run(struct netns *ns, struct scenario_result *res, int nres)
{
	struct scenario_opts opts;
	int conns = 0, err, i;

	if (!ASSERT_OK(netns__enter(ns), "enter scenario namespace"))
		return -1;
	for (i = 0; i < nres; i++) {
		scenario__default_opts(&opts);
		opts.count = CHURN_CONNECTIONS;
		err = scenario__run(caps__scenarios[i], &opts, &res[i]);
		if (!ASSERT_OK(err, caps__scenarios[i])) {
			printf("scenario %s: %s\n", caps__scenarios[i], res[i].error);
			conns = -1;
			break;
		}
		conns += res[i].fields & SCENARIO_F_CHURN ? res[i].connections : 1;
	}
	netns__leave(ns);
	return conns;
}

/* GET /metrics, parsed */
static bool caps__scrape(struct prom_vec *v)
{
	struct http_resp r = {};
	char why[256] = "";
	bool ok;

	memset(v, 0, sizeof(*v));
	ok = ASSERT_OK(http_client__get("127.0.0.1", METRICS_PORT, "/metrics", NULL, HTTP_MS, &r),
		       "GET /metrics") &&
	     ASSERT_EQ(r.status, 200, "GET /metrics") &&
	     ASSERT_TRUE(http_resp__complete(&r), "a whole answer") &&
	     ASSERT_OK(prom_text__parse(http_resp__body(&r), http_resp__body_len(&r), v, why,
					sizeof(why)), "parse /metrics");
	if (why[0])
		printf("%s\n", why);
	http_resp__free(&r);
	return ok;
}

/* every close record is one of the scenarios', the active client's followed to its end */
static void caps__check_records(const struct tracer *t, const struct scenario_result *res,
				int nres, int conns)
{
	json_object *cli;
	int i, k, ours = 0;
	char states[160];

	for (i = 0; i < t->nrecs; i++) {
		for (k = 0; k < nres; k++) {
			if (json__int(t->recs[i], "sport", -1) == res[k].server.port ||
			    json__int(t->recs[i], "dport", -1) == res[k].server.port) {
				ours++;
				break;
			}
		}
	}
	ASSERT_EQ(ours, 2 * conns, "close records of the scenarios, 2 per connection");
	ASSERT_EQ(tracer__count_closes(t), 2 * conns, "close records in all");
	/* TIME_WAIT is followed only with the timer handlers' addresses: kallsyms was read */
	cli = tracer__close(t, res[0].client.port, res[0].server.port);
	if (ASSERT_NOT_NULL(cli, "the active client's record")) {
		ASSERT_STREQ(json__states(cli, states, sizeof(states)),
			     "FIN_WAIT1,FIN_WAIT2,TIME_WAIT", "the active client's states");
		ASSERT_STREQ(json__str(cli, "tw_end"), "purged", "the active client's tw_end");
	}
}

/* purge, wait for every record, scrape, stop; the scrape against the records */
static void caps__finish(struct netns *ns, bool *ns_alive, struct tracer *t,
			 const struct scenario_result *res, int nres, int conns)
{
	struct prom_vec v = {};
	int err;

	err = netns__destroy(ns, PURGE_MS);
	*ns_alive = false;
	if (!ASSERT_OK(err, "scenario namespace purged"))
		return;
	prom__wait_closes(t, 2 * conns, RECORDS_MS);
	if (caps__scrape(&v) &&
	    ASSERT_OK(tracer__stop(t), "tracer exits 0 after SIGINT, JSON only")) {
		caps__check_records(t, res, nres, conns);
		prom_vec__check_records(&v, t, true, "/metrics");
	}
	prom_vec__free(&v);
}

/* (a) tracing and metrics with CAP_BPF, CAP_PERFMON, CAP_SYSLOG: no --netns, a cgroup */
void serial_test_service_caps_trace(void)
{
	const int nres = sizeof(caps__scenarios) / sizeof(caps__scenarios[0]);
	struct scenario_result res[sizeof(caps__scenarios) / sizeof(caps__scenarios[0])];
	const char *args[] = { "--metrics", "9465", "--cgroup", NULL, NULL };
	struct netns ns = { .home = -1 };
	struct caps_cgroup cg = {};
	char kptr[16] = "";
	bool ns_alive = false;
	struct tracer t = {};
	int conns;

	if (!ASSERT_OK(caps__kptr_restrict("1", kptr, sizeof(kptr)), "kernel.kptr_restrict=1") ||
	    !ASSERT_OK(caps_cgroup__create(&cg), "a cgroup v2 for the test") ||
	    !ASSERT_OK(netns__create(&ns, "tcpclose-caps"), "create scenario namespace"))
		goto out;
	ns_alive = true;
	args[3] = cg.path;
	if (!ASSERT_OK(caps__spawn(&t, CAPS_TRACE, args), "tcpclose as nobody with " CAPS_TRACE))
		goto out;
	caps__check_creds(t.pid, 1ULL << CAP_BPF_BIT | 1ULL << CAP_PERFMON_BIT |
				 1ULL << CAP_SYSLOG_BIT);
	if (!ASSERT_OK(caps_cgroup__enter(cg.path), "enter the test's cgroup"))
		goto out;
	conns = caps__run(&ns, res, nres);
	ASSERT_OK(caps_cgroup__enter(cg.home), "back to the home cgroup");
	if (conns < 0)
		goto out;
	caps__finish(&ns, &ns_alive, &t, res, nres, conns);
out:
	if (test__failed())
		tracer__dump_stderr(&t);
	if (ns.home >= 0)
		netns__leave(&ns);
	if (ns_alive)
		netns__destroy(&ns, 0);
	tracer__free(&t);
	caps_cgroup__destroy(&cg);
	if (kptr[0])
		caps__kptr_restrict(kptr, NULL, 0);
}

/*
 * tcpclose_sockets against ss in the namespace, once the gauge has been refreshed; with
 * may_be_absent, a gauge it cannot count may be left out, but never be wrong
 */
static void caps__check_gauge(struct netns *ns, bool may_be_absent)
{
	const struct prom_sample *s;
	struct ss_sock *socks = NULL;
	struct prom_vec v = {};
	int n, want = 0;

	if (!ASSERT_OK(netns__enter(ns), "enter scenario namespace"))
		return;
	n = ss__query("state time-wait", &socks);
	netns__leave(ns);
	if (!ASSERT_GE(n, 1, "ss: sockets in TIME-WAIT"))
		goto out;
	want = n;
	/* refreshed each second */
	clock__sleep_ms(1500);
	if (!caps__scrape(&v))
		goto out;
	s = prom_vec__find(&v, "tcpclose_sockets", "state", "TIME_WAIT", NULL);
	if (!s && may_be_absent)
		test__log("tcpclose_sockets not served");
	else if (ASSERT_NOT_NULL(s, "tcpclose_sockets{state=\"TIME_WAIT\"} served"))
		ASSERT_EQ(s->value, want, "tcpclose_sockets{state=\"TIME_WAIT\"} against ss");
out:
	prom_vec__free(&v);
	free(socks);
}

/* (b) --netns of another namespace: CAP_SYS_ADMIN too, to enter it */
void serial_test_service_caps_netns(void)
{
	const int nres = sizeof(caps__scenarios) / sizeof(caps__scenarios[0]);
	struct scenario_result res[sizeof(caps__scenarios) / sizeof(caps__scenarios[0])];
	const char *args[] = { "--metrics", "9465", "--netns", NULL, NULL };
	struct netns ns = { .home = -1 };
	char kptr[16] = "";
	bool ns_alive = false;
	struct tracer t = {};
	int conns;

	if (!ASSERT_OK(caps__kptr_restrict("1", kptr, sizeof(kptr)), "kernel.kptr_restrict=1") ||
	    !ASSERT_OK(netns__create(&ns, "tcpclose-caps"), "create scenario namespace"))
		goto out;
	ns_alive = true;
	args[3] = ns.path;
	if (!ASSERT_OK(caps__spawn(&t, CAPS_NETNS, args), "tcpclose as nobody with " CAPS_NETNS))
		goto out;
	caps__check_creds(t.pid, 1ULL << CAP_BPF_BIT | 1ULL << CAP_PERFMON_BIT |
				 1ULL << CAP_SYSLOG_BIT | 1ULL << CAP_SYS_ADMIN_BIT);
	/* it walked the namespace at start-up: no complaint about it */
	ASSERT_FALSE(caps__stderr_has(&t, "finding connections already closing", false),
		     "the start-up walk of the namespace worked");
	conns = caps__run(&ns, res, nres);
	if (conns < 0)
		goto out;
	caps__check_gauge(&ns, false);
	caps__finish(&ns, &ns_alive, &t, res, nres, conns);
out:
	if (test__failed())
		tracer__dump_stderr(&t);
	if (ns.home >= 0)
		netns__leave(&ns);
	if (ns_alive)
		netns__destroy(&ns, 0);
	tracer__free(&t);
	if (kptr[0])
		caps__kptr_restrict(kptr, NULL, 0);
}

/*
 * --netns of another namespace without CAP_SYS_ADMIN: tcpclose cannot enter it to count its
 * sockets. It must either refuse to start, naming CAP_SYS_ADMIN, or serve a gauge that is
 * right; never start and leave the gauge out or wrong without a word.
 */
void serial_test_service_caps_netns_no_admin(void)
{
	const char *args[] = { "--metrics", "9465", "--netns", NULL, NULL };
	struct scenario_result res;
	struct netns ns = { .home = -1 };
	char kptr[16] = "";
	bool ns_alive = false;
	struct tracer t = {};
	int err;

	if (!ASSERT_OK(caps__kptr_restrict("1", kptr, sizeof(kptr)), "kernel.kptr_restrict=1") ||
	    !ASSERT_OK(netns__create(&ns, "tcpclose-caps"), "create namespace"))
		goto out;
	ns_alive = true;
	args[3] = ns.path;
	err = caps__spawn(&t, CAPS_TRACE, args);
	if (err == -ECHILD) {
		ASSERT_TRUE(caps__stderr_has(&t, "CAP_SYS_ADMIN", false),
			    "it refused to start: stderr names CAP_SYS_ADMIN");
		goto out;
	}
	if (!ASSERT_OK(err, "tcpclose as nobody with " CAPS_TRACE " and --netns"))
		goto out;
	if (!ASSERT_OK(netns__enter(&ns), "enter namespace"))
		goto out;
	err = scenario__run("active", NULL, &res);
	netns__leave(&ns);
	if (!ASSERT_OK(err, "active"))
		goto out;
	caps__check_gauge(&ns, false);
out:
	if (test__failed())
		tracer__dump_stderr(&t);
	tracer__free(&t);
	if (ns.home >= 0)
		netns__leave(&ns);
	if (ns_alive)
		netns__destroy(&ns, 0);
	if (kptr[0])
		caps__kptr_restrict(kptr, NULL, 0);
}

/*
 * --user nobody: root attaches and opens the port, then drops to nobody (no capability
 * left), and goes on tracing and serving what it traced; the gauge of another namespace,
 * which nobody cannot enter, may go, but must not stay behind, wrong.
 */
void test_service_user_nobody(void)
{
	const int nres = sizeof(caps__scenarios) / sizeof(caps__scenarios[0]);
	struct scenario_result res[sizeof(caps__scenarios) / sizeof(caps__scenarios[0])];
	const char *const args[] = { "--metrics", "9465", "--user", "nobody", NULL };
	struct netns ns = { .home = -1 };
	bool ns_alive = false;
	struct tracer t = {};
	int conns;

	if (!ASSERT_OK(netns__create(&ns, "tcpclose-user"), "create scenario namespace"))
		goto out;
	ns_alive = true;
	if (!ASSERT_OK(tracer__start(&t, ns.path, args), "start tracer --user nobody"))
		goto out;
	caps__check_creds(t.pid, 0);
	/* every connection closes after the drop */
	conns = caps__run(&ns, res, nres);
	if (conns < 0)
		goto out;
	caps__check_gauge(&ns, true);
	caps__finish(&ns, &ns_alive, &t, res, nres, conns);
out:
	if (test__failed())
		tracer__dump_stderr(&t);
	if (ns.home >= 0)
		netns__leave(&ns);
	if (ns_alive)
		netns__destroy(&ns, 0);
	tracer__free(&t);
}
