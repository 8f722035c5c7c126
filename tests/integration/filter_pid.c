// SPDX-License-Identifier: GPL-2.0
/*
 * -p in the kernel: an end is reported when the process given closed it, whoever made it
 * and whatever the other end's process did; with --hist, the histograms count those ends
 * only. This test's process makes every connection, then a child it forks takes some over:
 *
 *   own      both ends closed here: the client first (FIN_WAIT1 ... TIME_WAIT), the server
 *            after EOF (CLOSE_WAIT, LAST_ACK): two records each
 *   child's  both ends closed by the child: none
 *   mixed    the child closes the client first, this process the server: the server's only
 *
 * An end's file is shared with the child by fork(), and the process that does not close
 * an end drops its copy first: the socket closes (and sends its FIN) only with the last.
 * The kernel's side: every client's timewait socket is there at once (sockstat); the ring
 * buffer carried no event of the ends filtered out (lost.delivered).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "fixture.h"
#include "test.h"
#include "tw.h"

#define OWN 10
#define CHILDS 10
#define MIXED 5
#define NR_CONNS (OWN + CHILDS + MIXED)

enum pid_kind { PID_OWN, PID_CHILD, PID_MIXED };

static enum pid_kind filter_pid__kind(int i)
{
	return i < OWN ? PID_OWN : i < OWN + CHILDS ? PID_CHILD : PID_MIXED;
}

/* in the child: drop this process's ends, close its own, exit 0 if all went well */
static void filter_pid__child(struct conn *c, int go)
{
	char b;
	int i, err = 0;

	for (i = 0; i < NR_CONNS; i++) {
		if (filter_pid__kind(i) == PID_OWN) {
			close(c[i].cfd);
			close(c[i].sfd);
		} else if (filter_pid__kind(i) == PID_MIXED) {
			close(c[i].sfd);
		}
	}
	/* the parent has dropped the child's ends too */
	if (read(go, &b, 1) != 1)
		_exit(2);
	for (i = 0; i < NR_CONNS && !err; i++) {
		if (filter_pid__kind(i) == PID_CHILD)
			err = tw__close_active(&c[i], 0);
		else if (filter_pid__kind(i) == PID_MIXED)
			err = close(c[i].cfd) ? -errno : 0;
	}
	_exit(err ? 1 : 0);
}

/* a mixed connection's server end, here: its EOF (the child closed the client), then close */
static int filter_pid__close_server(struct conn *c)
{
	char buf[64];
	ssize_t n;
	int err = 0;

	while (!err && (n = read(c->sfd, buf, sizeof(buf))) != 0)
		if (n < 0 && errno != EINTR)
			err = -errno;
	if (close(c->sfd) && !err)
		err = -errno;
	c->sfd = -1;
	return err;
}

/* the ends this process closed: its records, by port */
static bool filter_pid__ours(const struct conn *c, json_object *rec)
{
	long long sp = json__int(rec, "sport", -1), dp = json__int(rec, "dport", -1);

	for (int i = 0; i < NR_CONNS; i++) {
		bool client = sp == c[i].cport && dp == c[i].sport;
		bool server = sp == c[i].sport && dp == c[i].cport;

		if (client || server)
			return filter_pid__kind(i) == PID_OWN ||
			       (server && filter_pid__kind(i) == PID_MIXED);
	}
	return false;
}

/* the hist record's count for state */
static long long filter_pid__hist_count(json_object *hist, const char *state)
{
	json_object *states = NULL, *h = NULL;

	if (!hist || !json_object_object_get_ex(hist, "states", &states) ||
	    !json_object_object_get_ex(states, state, &h))
		return -1;
	return json__int(h, "count", -1);
}

void test_filter_pid(void)
{
	struct conn c[NR_CONNS];
	int go[2] = { -1, -1 }, lfd = -1, status, i, ours = 0, foreign = 0;
	char pid[16], b = 'g';
	const char *const args[] = { "--hist", "-p", pid, NULL };
	json_object *lost, *hist, *example = NULL;
	long long tws;
	unsigned short port;
	struct fixture f;
	pid_t child = -1;

	for (i = 0; i < NR_CONNS; i++)
		c[i].cfd = c[i].sfd = -1;
	snprintf(pid, sizeof(pid), "%d", getpid());
	if (!fixture__start(&f, args) || !tw__begin(&f, false))
		goto out;
	lfd = sock__listen(4, &port);
	if (!ASSERT_GE(lfd, 0, "listen"))
		goto out;
	for (i = 0; i < NR_CONNS; i++) {
		if (!ASSERT_OK(tw__connect(&c[i], lfd, port, -1), "connect"))
			goto out;
	}
	if (!ASSERT_OK(pipe(go), "pipe"))
		goto out;
	fflush(NULL);
	child = fork();
	if (!ASSERT_GE(child, 0, "fork"))
		goto out;
	if (child == 0) {
		close(go[1]);
		filter_pid__child(c, go[0]);
	}
	close(go[0]);
	go[0] = -1;
	/* drop the child's ends, and the mixed ones' clients */
	for (i = 0; i < NR_CONNS; i++) {
		if (filter_pid__kind(i) == PID_OWN)
			continue;
		close(c[i].cfd);
		c[i].cfd = -1;
		if (filter_pid__kind(i) == PID_CHILD) {
			close(c[i].sfd);
			c[i].sfd = -1;
		}
	}
	if (!ASSERT_EQ(write(go[1], &b, 1), 1, "the child may close"))
		goto out;
	if (!ASSERT_EQ(waitpid(child, &status, 0), child, "the child closed its ends") ||
	    !ASSERT_EQ(status, 0, "and exited 0"))
		goto out;
	child = -1;
	for (i = 0; i < NR_CONNS; i++) {
		/* own: the client first; mixed: the child's client has closed, read its EOF */
		if (filter_pid__kind(i) == PID_OWN &&
		    !ASSERT_OK(tw__close_active(&c[i], 0), "close our connection"))
			goto out;
		if (filter_pid__kind(i) == PID_MIXED &&
		    !ASSERT_OK(filter_pid__close_server(&c[i]), "close the server end after EOF"))
			goto out;
	}
	if (!ASSERT_OK(tw__settle(port, 5000), "connections settled")) {
		test__system("cat /proc/net/tcp");
		goto out;
	}
	close(lfd);
	lfd = -1;
	/* the kernel's count: a timewait socket for every client, whoever closed it */
	tws = netns__tw_sockets();
	if (!tw__end(&f))
		goto out;
	ASSERT_EQ(tws + nstat__get(&f.delta, "TcpOutRsts"), NR_CONNS,
		  "sockstat tw (+ TcpOutRsts: tw.h): one per connection");
	if (!fixture__finish(&f))
		goto out;
	for (i = 0; i < f.tracer.nrecs; i++) {
		json_object *rec = f.tracer.recs[i];

		if (!tw__is_close(rec))
			continue;
		if (filter_pid__ours(c, rec) &&
		    json__int(rec, "pid", -1) == (long long)getpid()) {
			ours++;
		} else {
			foreign++;
			example = example ?: rec;
		}
	}
	test__log("%d records of this process's ends, %d of others", ours, foreign);
	ASSERT_EQ(ours, 2 * OWN + MIXED, "records: both ends of ours, the mixed ones' servers");
	if (!ASSERT_EQ(foreign, 0, "records of ends another process closed"))
		fixture__dump(example, "one of them");
	ASSERT_EQ(tw__count(&f.tracer, "TIME_WAIT", NULL), OWN, "TIME_WAITs: our clients'");
	ASSERT_EQ(tw__count(&f.tracer, "CLOSE_WAIT", NULL), OWN + MIXED,
		  "CLOSE_WAITs: the servers we closed");
	lost = tracer__lost(&f.tracer);
	if (ASSERT_NOT_NULL(lost, "lost record"))
		ASSERT_EQ(json__int(lost, "delivered", -1), ours + foreign,
			  "events through the ring buffer: the records printed");
	/* the histograms count what the records say, no more */
	hist = tracer__last(&f.tracer, "hist");
	ASSERT_EQ(filter_pid__hist_count(hist, "TIME_WAIT"), OWN, "--hist: TIME_WAIT count");
	ASSERT_EQ(filter_pid__hist_count(hist, "CLOSE_WAIT"), OWN + MIXED,
		  "--hist: CLOSE_WAIT count");
	ASSERT_EQ(filter_pid__hist_count(hist, "FIN_WAIT1"), OWN, "--hist: FIN_WAIT1 count");
out:
	if (test__failed())
		tracer__dump_stderr(&f.tracer);
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	for (i = 0; i < 2; i++)
		if (go[i] >= 0)
			close(go[i]);
	if (lfd >= 0)
		close(lfd);
	for (i = 0; i < NR_CONNS; i++)
		conns__close(&c[i]);
	fixture__cleanup(&f);
}
