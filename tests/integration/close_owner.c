// SPDX-License-Identifier: GPL-2.0
/*
 * close_owner: a connection reset while a process holds its socket ends in softirq, where no
 * process is current. Its record waits for the holder's close(), which names the holder; if
 * tcpclose exits first, the record is still printed, with no process.
 */
#include <errno.h>
#include <unistd.h>
#include "conns.h"
#include "fixture.h"
#include "test.h"

#define HOLDER_COMM "owner-holder"
#define NOT_YET_MS 500		/* long enough for a record sent at the reset to show */
#define RECORD_MS 5000
#define RST_SLACK_MS 200	/* from the abort to the reset taken in, on a busy host */
#define CLOCK_SLACK_MS 2	/* the record's clock turned into wall time */

struct owner_test {
	struct fixture f;
	struct conn c;
	pid_t holder;
	double rst_ts;		/* just before the server's reset went out */
};

/*
 * In the scenario namespace: a child holds the client end; the server end closes with
 * SO_LINGER {1, 0}, so the client end is reset in softirq while only the child holds it.
 */
static bool owner__setup(struct owner_test *o)
{
	unsigned short port;
	int lfd;

	o->c.cfd = o->c.sfd = -1;
	if (!fixture__start(&o->f, NULL) ||
	    !ASSERT_OK(netns__enter(&o->f.ns), "enter scenario namespace"))
		return false;
	lfd = sock__listen(4, &port);
	if (!ASSERT_GE(lfd, 0, "listen") ||
	    !ASSERT_OK(conns__open(&o->c, lfd, 4, port), "connect and accept"))
		return false;
	close(lfd);
	o->holder = conns__hold(HOLDER_COMM, &o->c.cfd, 1);
	if (!ASSERT_GT(o->holder, 0, "a child holding the client end"))
		return false;
	close(o->c.cfd);
	o->c.cfd = -1;
	o->rst_ts = conns__now();
	conns__abort(&o->c);
	return ASSERT_OK(netns__leave(&o->f.ns), "leave scenario namespace");
}

/* the client's record, once the tracer has stopped: ended by the reset, named by pid/comm */
static void owner__check(const struct owner_test *o, pid_t pid, const char *comm)
{
	json_object *rec = tracer__close(&o->f.tracer, o->c.cport, o->c.sport);
	double after_ms;

	if (!ASSERT_NOT_NULL(rec, "client close record"))
		return;
	ASSERT_REC_STR(rec, "role", "aborted", "client");
	ASSERT_REC_STR(rec, "cause", "rst_received", "client");
	ASSERT_REC_INT(rec, "pid", pid, "client");
	if (comm)
		ASSERT_REC_STR(rec, "comm", comm, "client");
	else
		ASSERT_REC_NULL(rec, "comm", "client");
	/* it ended at the reset, not NOT_YET_MS later when it was sent */
	after_ms = (json__double(rec, "ts", 0) - o->rst_ts) * 1e3;
	ASSERT_GE(after_ms, -CLOCK_SLACK_MS, "record ts: not before the reset (ms)");
	ASSERT_LT(after_ms, RST_SLACK_MS, "record ts: the reset, not the close (ms after)");
	if (test__failed())
		fixture__dump(rec, "client record");
}

static void owner__cleanup(struct owner_test *o)
{
	if (o->holder > 0)
		conns__release(o->holder);
	fixture__cleanup(&o->f);
}

void test_close_owner_named_by_close(void)
{
	struct owner_test o = {};
	pid_t holder;

	if (!owner__setup(&o))
		goto out;
	ASSERT_EQ(tracer__wait_close(&o.f.tracer, o.c.cport, o.c.sport, NOT_YET_MS), -ETIMEDOUT,
		  "no record while the holder keeps the socket");
	holder = o.holder;
	o.holder = 0;
	if (!ASSERT_OK(conns__release(holder), "the holder exits, closing it"))
		goto out;
	ASSERT_OK(tracer__wait_close(&o.f.tracer, o.c.cport, o.c.sport, RECORD_MS),
		  "a record once the holder closed it");
	if (fixture__finish(&o.f))
		owner__check(&o, holder, HOLDER_COMM);
out:
	owner__cleanup(&o);
}

void test_close_owner_at_exit(void)
{
	struct owner_test o = {};

	if (!owner__setup(&o))
		goto out;
	conns__sleep_ms(NOT_YET_MS);
	/* tcpclose ends while the holder still keeps the socket: nothing may be lost */
	if (ASSERT_OK(tracer__stop(&o.f.tracer), "tracer exits 0 after SIGINT"))
		owner__check(&o, 0, NULL);
out:
	owner__cleanup(&o);
}
