// SPDX-License-Identifier: GPL-2.0
/* fixture: tracer in the test's namespace, scenario in a second one that is then purged */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "check_wire.h"
#include "fixture.h"
#include "record.h"
#include "test.h"
#include "clock.h"

/* the socket dumps' pace, as tcpclose check's: a state that lasts longer is seen at least once */
#define SSWATCH_INTERVAL_US 1000
/* how long a namespace's cleanup may take on a busy 2-CPU machine */
#define PURGE_TIMEOUT_MS 30000
/* the tracer has everything once the purge is done; this is only for its own latency */
#define RECORD_WAIT_MS 3000

/* false, the test (or subtest) skipped, when the kernel lacks the --backend it asks for */
bool fixture__start(struct fixture *f, const char *const *tracer_args)
{
	int err;

	memset(f, 0, sizeof(*f));
	f->ns.home = -1;
	if (!ASSERT_OK(netns__create(&f->ns, "tcpclose-test"), "create scenario namespace"))
		return false;
	f->ns_alive = true;
	err = tracer__start(&f->tracer, f->ns.path, tracer_args);
	if (err == -EOPNOTSUPP) {
		test__skip("%s", f->tracer.refused);
		return false;
	}
	return ASSERT_OK(err, "start tracer");
}

/* fixture__start() with --backend NAME */
bool fixture__start_backend(struct fixture *f, const char *backend)
{
	const char *const args[] = { "--backend", backend, NULL };

	return fixture__start(f, args);
}

/*
 * run(backend) as a subtest per backend --backend can force: a test of a hook the backends
 * each have their own of. On a kernel without one, its subtest is skipped, in the tracer's
 * words (fixture__start()).
 */
void fixture__each_backend(void (*run)(const char *backend))
{
	for (int i = 0; i < TRACER_NR_BACKENDS; i++) {
		if (test__start_subtest(tracer__backends[i]))
			run(tracer__backends[i]);
	}
}

/*
 * In the scenario's namespace: fork the socket watcher (sswatch), whose dumps bracket the
 * records' changes of state. It must end before fixture__purge(), as it holds the namespace.
 */
bool fixture__watch(struct fixture *f)
{
	if (!f->ss) {
		f->ss = sswatch__map();
		if (!ASSERT_NOT_NULL(f->ss, "map the socket watcher"))
			return false;
	}
	f->ss_pid = sswatch__start(f->ss, SSWATCH_INTERVAL_US);
	if (!ASSERT_GT(f->ss_pid, 0, "fork the socket watcher")) {
		f->ss_pid = 0;
		return false;
	}
	return true;
}

/* stop it; the scenario is over: its done_ns */
bool fixture__unwatch(struct fixture *f)
{
	pid_t pid = f->ss_pid;

	if (!pid)
		return true;
	f->done_ns = clock__now_ns();
	f->ss_pid = 0;
	return ASSERT_OK(sswatch__stop(f->ss, pid), "socket dumps (sock_diag: modprobe tcp_diag)");
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
	if (!f->no_capture && !fixture__watch(f))
		goto out;
	err = scenario__run(scenario, opts, &f->res);
	fixture__unwatch(f);
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
	fixture__unwatch(f);
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
	/* what tcpclose said of itself: its losses and skipped runs, at exit */
	if (test__failed() && f->tracer.err > 0)
		tracer__dump_stderr(&f->tracer);
	if (f->ss_pid)
		sswatch__stop(f->ss, f->ss_pid);
	if (f->ns.home >= 0)
		netns__leave(&f->ns);
	if (f->ns_alive)
		netns__destroy(&f->ns, 0);
	tracer__free(&f->tracer);
	capture__free(&f->cap);
	if (f->ss)
		sswatch__unmap(f->ss);
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

/* the index of name among count names, or -1 */
static int fixture__enum(const char *name, const char *(*name_of)(int), int count)
{
	for (int i = 0; name && i < count; i++)
		if (name_of(i) && !strcmp(name_of(i), name))
			return i;
	return -1;
}

static const char *fixture__state_name(int i)
{
	return record__state_name(i);
}

static const char *fixture__cause_name(int i)
{
	return record__cause_name(i);
}

static const char *fixture__tw_end_name(int i)
{
	return record__tw_end_name(i);
}

/* the record prints whole microseconds: back to the integer (no libm) */
static long long fixture__round(double us)
{
	return (long long)(us < 0 ? us - 0.5 : us + 0.5);
}

/*
 * A JSON record back as the tcpc_conn it was printed from, as far as check_wire reads one.
 * "ts" is its end on the tracer's CLOCK_MONOTONIC plus its paired offset to CLOCK_REALTIME
 * (sink__init()), in whole microseconds; duration_ms and dwell_ms are whole microseconds
 * too. So its times come back to within a microsecond, against a judge's jiffy.
 */
static bool fixture__conn(json_object *rec, long long real_offset_ns, struct tcpc_conn *c)
{
	json_object *states = NULL, *last = NULL;
	int cause, tw_end;
	size_t n;

	memset(c, 0, sizeof(*c));
	memset(c->order, TCPC_NOT_CLOSING, sizeof(c->order));
	c->family = json__int(rec, "family", -1) == 6 ? AF_INET6 : AF_INET;
	c->sport = json__int(rec, "sport", -1);
	c->dport = json__int(rec, "dport", -1);
	if (!json_object_object_get_ex(rec, "states", &states) ||
	    !json_object_is_type(states, json_type_array))
		return false;
	n = json_object_array_length(states);
	for (size_t i = 0; i < n && i < TCPC_NR_STATES; i++) {
		const char *name = json_object_get_string(json_object_array_get_idx(states, i));
		int s = fixture__enum(name, fixture__state_name, TCPC_NR_STATES);

		if (s < 0)
			return false;
		c->order[i] = s;
		c->dwell_ns[s] = fixture__round(json__dwell(rec, name) * 1e3) * 1000;
	}
	cause = fixture__enum(json__str(rec, "cause"), fixture__cause_name, 32);
	tw_end = json__is_null(rec, "tw_end") ? TCPC_TW_NONE :
		 fixture__enum(json__str(rec, "tw_end"), fixture__tw_end_name, 32);
	if (cause < 0 || tw_end < 0)
		return false;
	c->cause = cause;
	c->tw_end = tw_end;
	c->end_ns = fixture__round(json__double(rec, "ts", 0) * 1e6) * 1000 - real_offset_ns;
	c->start_ns = c->end_ns - fixture__round(json__double(rec, "duration_ms", 0) * 1e3) * 1000;
	/* the last restart of 2MSL, printed from TIME_WAIT's start */
	if (json_object_object_get_ex(rec, "tw_restart_last_ms", &last) && last) {
		c->flags |= TCPC_F_TW_RESTART;
		c->tw_restart_last_ns = c->end_ns - c->dwell_ns[TCPC_TIME_WAIT] +
			fixture__round(json_object_get_double(last) * 1e3) * 1000;
	}
	return true;
}

/*
 * When the socket dumps first showed sport -> dport in a kernel state (TCP_CLOSE_WAIT, ...),
 * on the capture's clock (CLOCK_REALTIME, s): the end of that dump, which the change of
 * state preceded. 0 if they never did.
 */
double fixture__ss_first(const struct fixture *f, unsigned short sport, unsigned short dport,
			 int state)
{
	long long off = clock__real_offset_ns();
	double first = 0;

	for (int i = 0; f->ss && i < f->ss->nsocks; i++) {
		const struct sswatch_sock *s = &f->ss->socks[i];

		if (s->sport != sport || s->dport != dport)
			continue;
		for (int r = 0; r < s->nruns; r++) {
			double t = ((long long)s->runs[r].first_t1 + off) / 1e9;

			if (s->runs[r].state == state && (!first || t < first))
				first = t;
		}
	}
	return first;
}

static void fixture__diff(void *ctx, const char *line)
{
	test__check(false, __FILE__, __LINE__, "%s: %s", (const char *)ctx, line);
}

/*
 * Judge a record's times by the run's own evidence, as tcpclose check does (check_wire.h):
 * each change of state within a jiffy of the bracket the capture and the socket dumps put
 * it in, however slow the host. nth: which connection of its ports on the wire, from 0.
 * The record reached us before the tracer exited.
 */
bool fixture__judge(const struct fixture *f, json_object *rec, int nth, const char *what)
{
	long long off = clock__real_offset_ns();
	struct wire_facts w = {
		.segs = f->cap.segs, .nsegs = f->cap.n, .ss = f->ss, .done_ns = f->done_ns,
		.hz = f->tracer.hz, .rearm_blind = !strcmp(f->tracer.backend, "tracepoint"),
	};
	struct tcpc_conn c;
	char msg[128], desc[512];
	__u64 base;
	int bad;

	w.mono_ref_ns = clock__now_ns();
	w.real_ref_s = ((long long)w.mono_ref_ns + off) / 1e9;
	if (!ASSERT_NOT_NULL(rec, what) || !ASSERT_GT(f->tracer.hz, 0, "the tracer's HZ") ||
	    !ASSERT_GT(f->tracer.stop_ns, 0, "the tracer stopped"))
		return false;
	snprintf(msg, sizeof(msg), "%s: states, cause and tw_end known", what);
	if (!ASSERT_TRUE(fixture__conn(rec, off, &c), msg))
		return false;
	snprintf(msg, sizeof(msg), "%s times against the wire and ss", what);
	/* ms from the capture's first segment */
	base = w.mono_ref_ns + (f->cap.n ? (__s64)((f->cap.segs[0].ts - w.real_ref_s) * 1e9) : 0);
	bad = check_wire__judge(&w, &c, nth, f->tracer.stop_ns, base, fixture__diff, msg);
	check_wire__describe(&w, &c, nth, f->tracer.stop_ns, base, desc, sizeof(desc));
	test__log("%s wire: %s", what, desc);
	return !bad;
}
