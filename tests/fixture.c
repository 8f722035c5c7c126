// SPDX-License-Identifier: GPL-2.0
/* fixture: tracer in the test's namespace, scenario in a second one that is then purged */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "fixture.h"
#include "test.h"

/* how long a namespace's cleanup may take on a busy 2-CPU machine */
#define PURGE_TIMEOUT_MS 30000
/* the tracer has everything once the purge is done; this is only for its own latency */
#define RECORD_WAIT_MS 3000

bool fixture__start(struct fixture *f, const char *const *tracer_args)
{
	memset(f, 0, sizeof(*f));
	f->ns.home = -1;
	if (!ASSERT_OK(netns__create(&f->ns, "tcpclose-test"), "create scenario namespace"))
		return false;
	f->ns_alive = true;
	return ASSERT_OK(tracer__start(&f->tracer, f->ns.path, tracer_args), "start tracer");
}

/* run the scenario inside the namespace, with a capture and counters around it */
bool fixture__run(struct fixture *f, const char *scenario, const struct scenario_opts *opts)
{
	bool ok = false;
	int err;

	if (!ASSERT_OK(netns__enter(&f->ns), "enter scenario namespace"))
		return false;
	if (!ASSERT_OK(nstat__read(&f->before), "nstat before"))
		goto out;
	if (!f->no_capture && !ASSERT_OK(capture__start(&f->cap), "capture on lo"))
		goto out;
	err = scenario__run(scenario, opts, &f->res);
	if (!ASSERT_OK(err, scenario)) {
		printf("scenario %s: %s\n", scenario, f->res.error);
		goto out;
	}
	if (!f->no_capture) {
		if (!ASSERT_OK(capture__stop(&f->cap), "capture") ||
		    !ASSERT_EQ(f->cap.drops, 0, "segments the capture missed"))
			goto out;
	}
	if (!ASSERT_OK(nstat__read(&f->after), "nstat after") ||
	    !ASSERT_OK(nstat__delta(&f->before, &f->after, &f->delta), "nstat delta"))
		goto out;
	ok = true;
out:
	if (f->cap.running)
		capture__stop(&f->cap);
	ASSERT_OK(netns__leave(&f->ns), "leave scenario namespace");
	return ok;
}

/* delete the scenario namespace, which ends its TIME_WAIT sockets; once only */
bool fixture__purge(struct fixture *f)
{
	int err;

	if (!f->ns_alive)
		return true;
	err = netns__destroy(&f->ns, PURGE_TIMEOUT_MS);
	f->ns_alive = false;
	if (!ASSERT_OK(err, "scenario namespace cleaned up (TIME_WAIT purged)")) {
		if (err == -ETIMEDOUT)
			printf("something still holds %s: a socket not closed, or the tracer"
			       " keeping its --netns file open?\n", f->ns.path);
		return false;
	}
	return true;
}

/* purge the scenario namespace, then stop the tracer and read its records */
bool fixture__finish(struct fixture *f)
{
	if (!fixture__purge(f))
		return false;
	if (f->res.client.port) {
		tracer__wait_close(&f->tracer, f->res.client.port, f->res.server.port,
				   RECORD_WAIT_MS);
		tracer__wait_close(&f->tracer, f->res.server.port, f->res.client.port,
				   RECORD_WAIT_MS);
	}
	return ASSERT_OK(tracer__stop(&f->tracer), "tracer exits 0 after SIGINT, JSON only");
}

void fixture__cleanup(struct fixture *f)
{
	if (f->ns.home >= 0)
		netns__leave(&f->ns);
	if (f->ns_alive)
		netns__destroy(&f->ns, 0);
	tracer__free(&f->tracer);
	capture__free(&f->cap);
	nstat__free(&f->before);
	nstat__free(&f->after);
	nstat__free(&f->delta);
}

json_object *fixture__client(const struct fixture *f)
{
	return tracer__close(&f->tracer, f->res.client.port, f->res.server.port);
}

json_object *fixture__server(const struct fixture *f)
{
	return tracer__close(&f->tracer, f->res.server.port, f->res.client.port);
}

void fixture__dump(json_object *rec, const char *what)
{
	printf("%s: %s\n", what,
	       rec ? json_object_to_json_string_ext(rec, JSON_C_TO_STRING_PLAIN) : "(none)");
}

/* a record is missing: show everything the tracer said */
static void fixture__dump_all(const struct fixture *f)
{
	int i;

	printf("scenario: %s, client port %u, server port %u, namespace %s (inode %llu)\n",
	       f->res.name, f->res.client.port, f->res.server.port, f->ns.path, f->ns.ino);
	printf("tracer printed %d lines:\n", f->tracer.nrecs);
	for (i = 0; i < f->tracer.nrecs && i < 20; i++)
		fixture__dump(f->tracer.recs[i], "  ");
	tracer__dump_stderr(&f->tracer);
}

/* what every record of a scenario's two ends must say about who and where */
static void fixture__check_end(const struct fixture *f, json_object *rec,
			       const struct scenario_side *me, const struct scenario_side *peer,
			       const char *what)
{
	const char *addr = f->res.family == 6 ? "::1" : "127.0.0.1";
	char msg[96];

	snprintf(msg, sizeof(msg), "%s family", what);
	ASSERT_EQ(json__int(rec, "family", -1), f->res.family, msg);
	snprintf(msg, sizeof(msg), "%s saddr", what);
	ASSERT_STREQ(json__str(rec, "saddr"), addr, msg);
	snprintf(msg, sizeof(msg), "%s daddr", what);
	ASSERT_STREQ(json__str(rec, "daddr"), addr, msg);
	snprintf(msg, sizeof(msg), "%s sport", what);
	ASSERT_EQ(json__int(rec, "sport", -1), me->port, msg);
	snprintf(msg, sizeof(msg), "%s dport", what);
	ASSERT_EQ(json__int(rec, "dport", -1), peer->port, msg);
	snprintf(msg, sizeof(msg), "%s netns", what);
	ASSERT_EQ(json__int(rec, "netns", -1), f->ns.ino, msg);
	snprintf(msg, sizeof(msg), "%s pid", what);
	ASSERT_EQ(json__int(rec, "pid", -1), me->pid, msg);
	snprintf(msg, sizeof(msg), "%s comm", what);
	ASSERT_STREQ(json__str(rec, "comm"), me->comm, msg);
}

/* milliseconds between two capture times (tcp_seg__tx(), tcp_seg__rx()); NAN stays NAN */
double fixture__ms(double from, double to)
{
	return (to - from) * 1e3;
}

/* the sequence numbers of one end's FIN and of its peer's, as the first FINs on the wire */
static void fixture__check_fin(const struct fixture *f, json_object *rec, unsigned short me,
			       unsigned short peer, const char *what)
{
	const struct tcp_seg *mine = capture__fin(&f->cap, me, 0);
	const struct tcp_seg *theirs = capture__fin(&f->cap, peer, 0);
	char msg[96];

	if (!ASSERT_NOT_NULL(mine, "a FIN from this end in the capture") ||
	    !ASSERT_NOT_NULL(theirs, "a FIN from its peer in the capture"))
		return;
	snprintf(msg, sizeof(msg), "%s fin_seq", what);
	ASSERT_EQ(json__int(rec, "fin_seq", -1), tcp_seg__fin_seq(mine), msg);
	snprintf(msg, sizeof(msg), "%s fin_ack", what);
	ASSERT_EQ(json__int(rec, "fin_ack", -1), mine->ack, msg);
	snprintf(msg, sizeof(msg), "%s peer_fin_seq", what);
	ASSERT_EQ(json__int(rec, "peer_fin_seq", -1), tcp_seg__fin_seq(theirs), msg);
	snprintf(msg, sizeof(msg), "%s peer_fin_ack", what);
	ASSERT_EQ(json__int(rec, "peer_fin_ack", -1), theirs->ack, msg);
}

void fixture__check_fins(const struct fixture *f, json_object *client, json_object *server)
{
	if (client)
		fixture__check_fin(f, client, f->res.client.port, f->res.server.port, "client");
	if (server)
		fixture__check_fin(f, server, f->res.server.port, f->res.client.port, "server");
}

void fixture__check_ends(const struct fixture *f, json_object *client, json_object *server)
{
	if (ASSERT_NOT_NULL(client, "client close record"))
		fixture__check_end(f, client, &f->res.client, &f->res.server, "client");
	if (ASSERT_NOT_NULL(server, "server close record"))
		fixture__check_end(f, server, &f->res.server, &f->res.client, "server");
	if (!client || !server)
		fixture__dump_all(f);
}
