// SPDX-License-Identifier: GPL-2.0
/*
 * --stuck: connections left in CLOSE_WAIT by a server that never closes, and their clients
 * in FIN_WAIT2, one still held by its process (shutdown) and one orphaned (close). Each is
 * reported within one scan period after the threshold, on every scan while it lasts, with
 * the process that holds its socket; those already stuck when tcpclose starts are reported
 * in its first scan with an age estimated from their last segment.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
#include <netinet/tcp.h>
#include "conns.h"
#include "fixture.h"
#include "test.h"
#include "timing.h"

#define STUCK_S 2
#define SCAN_S 1
#define HOLDER_COMM "stuck-holder"
/* a scan's records reach stdout within this of its period: a busy 2-CPU machine */
#define SCAN_SLACK_S 0.5
#define NR_WANTS 4

struct stuck_want {
	const char *state;
	unsigned short lport, rport;
	pid_t pid;		/* the one seen shutting down or closing; -1: 0 or the holder */
	pid_t holder;		/* 0: none, orphaned */
	const char *what;
	double entered;		/* when the FIN (CLOSE_WAIT) or its ACK (FIN_WAIT2) arrived */
	double entered_hi;	/* and no later than: our ACK of the FIN left, ss showed it */
	double first_seen;	/* when its first stuck record reached stdout */
	int nrecs;
};

struct stuck_test {
	struct fixture f;
	struct conn a;		/* the client shuts down: both ends held */
	struct conn b;		/* the client closes: an orphan in FIN_WAIT2 */
	int lfd;
	pid_t holder;		/* holds both server ends, never closing them */
	double fin_ts;		/* just before the clients' FINs */
	char comm[16];
	struct stuck_want want[NR_WANTS];
};

static void stuck__init(struct stuck_test *st)
{
	memset(st, 0, sizeof(*st));
	st->f.ns.home = -1;
	st->a.cfd = st->a.sfd = st->b.cfd = st->b.sfd = st->lfd = -1;
}

static void stuck__set_want(struct stuck_want *w, const char *state, const struct conn *c,
			    bool server, pid_t pid, pid_t holder, const char *what)
{
	memset(w, 0, sizeof(*w));
	w->state = state;
	w->lport = server ? c->sport : c->cport;
	w->rport = server ? c->cport : c->sport;
	w->pid = pid;
	w->holder = holder;
	w->what = what;
}

/*
 * In the scenario namespace: two connections idle for a second (so that an age counted
 * from their start would be off by that much), then both clients send their FIN and the
 * server ends, held by a child that never closes them, go to CLOSE_WAIT.
 */
static bool stuck__setup(struct stuck_test *st)
{
	int held[2];
	unsigned short port;

	if (!ASSERT_OK(conns__comm(getpid(), st->comm, sizeof(st->comm)), "our comm") ||
	    !ASSERT_OK(netns__enter(&st->f.ns), "enter scenario namespace") ||
	    /* before any socket: the watcher would hold a copy of each, which close() leaves */
	    !fixture__watch(&st->f))
		return false;
	st->lfd = sock__listen(4, &port);
	if (!ASSERT_GE(st->lfd, 0, "listen") ||
	    !ASSERT_OK(conns__open(&st->a, st->lfd, 4, port), "connect and accept a") ||
	    !ASSERT_OK(conns__open(&st->b, st->lfd, 4, port), "connect and accept b"))
		return false;
	close(st->lfd);
	st->lfd = -1;
	held[0] = st->a.sfd;
	held[1] = st->b.sfd;
	st->holder = conns__hold(HOLDER_COMM, held, 2);
	if (!ASSERT_GT(st->holder, 0, "a child holding the server ends"))
		return false;
	close(st->a.sfd);
	close(st->b.sfd);
	st->a.sfd = st->b.sfd = -1;
	conns__sleep_ms(1000);
	if (!ASSERT_OK(capture__start(&st->f.cap), "capture on lo"))
		return false;
	st->fin_ts = conns__now();
	if (!ASSERT_OK(shutdown(st->a.cfd, SHUT_WR), "client a shuts down"))
		return false;
	close(st->b.cfd);
	st->b.cfd = -1;

	stuck__set_want(&st->want[0], "CLOSE_WAIT", &st->a, true, -1, st->holder,
			"server a (held)");
	stuck__set_want(&st->want[1], "CLOSE_WAIT", &st->b, true, -1, st->holder,
			"server b (held)");
	stuck__set_want(&st->want[2], "FIN_WAIT2", &st->a, false, getpid(), getpid(),
			"client a (shut down, held)");
	stuck__set_want(&st->want[3], "FIN_WAIT2", &st->b, false, getpid(), 0,
			"client b (closed, orphaned)");
	return true;
}

/* the client's FIN and the server's ACK of it, both arrived; NULL while one is missing */
static const struct tcp_seg *stuck__fin(const struct stuck_test *st, unsigned short cport,
					const struct tcp_seg **ack)
{
	const struct tcp_seg *fin = capture__fin(&st->f.cap, cport, 0);

	*ack = fin ? capture__find_ack(&st->f.cap, fin->dport, tcp_seg__fin_seq(fin) + 1, 0) :
		     NULL;
	return *ack && tcp_seg__rx(fin) > 0 && tcp_seg__rx(*ack) > 0 ? fin : NULL;
}

/* when each one entered its state, from the capture: its FIN's or ACK's arrival */
static bool stuck__entered(struct stuck_test *st)
{
	const struct tcp_seg *fin, *ack;
	struct stuck_want *w;
	bool cwait;
	int i;

	/* the ACK of a FIN may be delayed: pingpong mode after the FIN (tcp_fin()) */
	for (i = 0; i < 100; i++) {
		if (capture__poll(&st->f.cap) ||
		    (stuck__fin(st, st->a.cport, &ack) && stuck__fin(st, st->b.cport, &ack)))
			break;
		conns__sleep_ms(5);
	}
	if (!ASSERT_OK(capture__stop(&st->f.cap), "capture") || !fixture__unwatch(&st->f))
		return false;
	for (i = 0; i < NR_WANTS; i++) {
		w = &st->want[i];
		cwait = !strcmp(w->state, "CLOSE_WAIT");
		fin = stuck__fin(st, cwait ? w->rport : w->lport, &ack);
		if (!ASSERT_NOT_NULL(fin, "the client's FIN and its ACK, arrived"))
			return false;
		w->entered = tcp_seg__rx(cwait ? fin : ack);
		w->entered_hi = fixture__ss_first(&st->f, w->lport, w->rport,
						  cwait ? TCP_CLOSE_WAIT : TCP_FIN_WAIT2);
		if (cwait && (!w->entered_hi || tcp_seg__tx(ack) < w->entered_hi))
			w->entered_hi = tcp_seg__tx(ack);
		if (!ASSERT_GT(w->entered_hi, 0, "ss saw it in its state"))
			return false;
		test__log("%s: in %s %.3f ms after we sent the FINs", w->what, w->state,
			  (w->entered - st->fin_ts) * 1e3);
	}
	return true;
}

/* the kernel's view: ss lists every one of them in its state, held by whom we said */
static void stuck__check_ss(const struct stuck_test *st)
{
	char cmd[] = "ss -tanpH state close-wait", line[512], needle[64];
	const struct stuck_want *w;
	struct conns_sock *socks;
	int n, held = 0, i;
	FILE *f;

	n = conns__ss(&socks);
	if (!ASSERT_GE(n, 0, "ss"))
		return;
	for (i = 0; i < NR_WANTS; i++) {
		w = &st->want[i];
		ASSERT_TRUE(conns__ss_has(socks, n, !strcmp(w->state, "CLOSE_WAIT") ?
					  "CLOSE-WAIT" : "FIN-WAIT-2", w->lport, w->rport),
			    w->what);
	}
	free(socks);
	snprintf(needle, sizeof(needle), "((\"%s\",pid=%d,", HOLDER_COMM, st->holder);
	f = popen(cmd, "r");
	if (!ASSERT_NOT_NULL(f, cmd))
		return;
	while (fgets(line, sizeof(line), f))
		held += strstr(line, needle) != NULL;
	pclose(f);
	ASSERT_EQ(held, 2, "ss -p: CLOSE-WAIT sockets held by the holder, and only by it");
}

static int stuck__want(const struct stuck_test *st, json_object *rec)
{
	const char *state = json__str(rec, "state");
	int i;

	for (i = 0; i < NR_WANTS; i++) {
		if (conns__is(rec, "stuck", st->want[i].lport, st->want[i].rport) && state &&
		    !strcmp(state, st->want[i].state))
			return i;
	}
	return -1;
}

/*
 * Poll the running tracer's stuck records until deadline, or until every connection has
 * had one when first is set, noting when each first came.
 */
static void stuck__watch(struct stuck_test *st, double deadline, bool first)
{
	json_object **recs;
	int n, i, w, seen = 0;

	while (conns__now() < deadline && (!first || seen < NR_WANTS)) {
		n = conns__records(&st->f.tracer, &recs);
		for (i = 0; i < n; i++) {
			w = stuck__want(st, recs[i]);
			if (w >= 0 && !st->want[w].first_seen) {
				st->want[w].first_seen = conns__now();
				seen++;
			}
		}
		conns__records_free(recs, n > 0 ? n : 0);
		conns__sleep_ms(20);
	}
}

static void stuck__release(struct stuck_test *st)
{
	if (st->holder > 0)
		conns__release(st->holder);
	st->holder = 0;
}

/* what does not change from scan to scan */
static void stuck__check_rec(const struct stuck_test *st, const struct stuck_want *w,
			     json_object *rec, bool partial)
{
	json_object *holders = NULL, *h;
	pid_t pid = json__int(rec, "pid", -2);
	char what[128];

	snprintf(what, sizeof(what), "%s", w->what);
	if (w->pid >= 0 && !partial) {
		conns__check_end(rec, 4, w->lport, w->rport, st->f.ns.ino, w->pid, st->comm, what);
	} else {
		/*
		 * pid comes from process context the tracer saw (docs/LIMITS.md): none for an
		 * accepted socket never closed, nor for a FIN sent before it started. Then 0, or
		 * the holder.
		 */
		conns__check_end(rec, 4, w->lport, w->rport, st->f.ns.ino, pid,
				 pid ? json__str(rec, "comm") : NULL, what);
		/* or whoever accept()ed it: the tracer names the accepting process */
		ASSERT_TRUE(pid == 0 || pid == w->holder || pid == getpid(),
			    "pid: 0, the holder, or the process that accepted it");
		if (pid && pid == w->holder)
			ASSERT_STREQ(json__str(rec, "comm"),
				     w->holder == getpid() ? st->comm : HOLDER_COMM, what);
	}
	snprintf(what, sizeof(what), "%s orphaned", w->what);
	ASSERT_EQ(json_object_get_boolean(json_object_object_get(rec, "orphaned")), !w->holder,
		  what);
	snprintf(what, sizeof(what), "%s partial", w->what);
	ASSERT_EQ(json_object_get_boolean(json_object_object_get(rec, "partial")), partial, what);
	snprintf(what, sizeof(what), "%s holders", w->what);
	if (!json_object_object_get_ex(rec, "holders", &holders) ||
	    !ASSERT_TRUE(json_object_is_type(holders, json_type_array), what))
		return;
	if (!ASSERT_EQ(json_object_array_length(holders), w->holder ? 1 : 0, what) ||
	    !w->holder)
		return;
	h = json_object_array_get_idx(holders, 0);
	ASSERT_EQ(json__int(h, "pid", -1), w->holder, what);
	ASSERT_STREQ(json__str(h, "comm"), w->holder == getpid() ? st->comm : HOLDER_COMM, what);
}

/*
 * Every scan while stuck: records a scan period apart, ages growing with them, the first
 * within a scan period of the threshold (or at start-up, if stuck already) and none once
 * the holder has closed. Times are ms since our FIN: the assertions compare integers.
 */
static void stuck__check_all(struct stuck_test *st, double scan_s, double start_ts,
			     double release_ts)
{
	double ms, prev_ms, first_ms, age, start_ms, release_ms, seen_ms, entered;
	double jiffy = timing__jiffy_ms(st->f.tracer.hz);
	bool partial = start_ts > st->fin_ts;
	struct stuck_want *w;
	json_object *rec;
	char what[160];
	int i, k;

	start_ms = (start_ts - st->fin_ts) * 1e3;
	release_ms = (release_ts - st->fin_ts) * 1e3;
	for (k = 0; k < NR_WANTS; k++) {
		w = &st->want[k];
		prev_ms = first_ms = -1;
		for (i = 0; i < st->f.tracer.nrecs; i++) {
			rec = st->f.tracer.recs[i];
			if (stuck__want(st, rec) != k)
				continue;
			ms = (json__double(rec, "ts", 0) - st->fin_ts) * 1e3;
			age = json__double(rec, "age_ms", -1);
			if (!w->nrecs++) {
				first_ms = ms;
				stuck__check_rec(st, w, rec, partial);
			}
			/*
			 * age_ms is its age at its ts: it entered at ts - age, which the wire and
			 * ss bracket; at start-up the entry is estimated from the last segment's
			 * jiffies (seed_entered()), within a jiffy of its arrival either way.
			 */
			entered = json__double(rec, "ts", 0) - age / 1e3;
			snprintf(what, sizeof(what), "%s: stuck record %d ts - age_ms, ms after the"
				 " FIN or ACK that moved it arrived", w->what, w->nrecs);
			ASSERT_GE((entered - w->entered) * 1e3, -jiffy, what);
			snprintf(what, sizeof(what), "%s: stuck record %d ts - age_ms, ms after our ACK"
				 " of the FIN left or ss showed it", w->what, w->nrecs);
			ASSERT_LE((entered - w->entered_hi) * 1e3, jiffy, what);
			snprintf(what, sizeof(what), "%s: stuck record %d age_ms, the threshold",
				 w->what, w->nrecs);
			ASSERT_GE(age, STUCK_S * 1000, what);
			snprintf(what, sizeof(what), "%s: ms between stuck records %d and %d",
				 w->what, w->nrecs - 1, w->nrecs);
			/* a late scan does not bring the next one closer (main.c); JSON's 1 us */
			if (prev_ms >= 0)
				ASSERT_GE(ms - prev_ms, scan_s * 1e3 - 0.002, what);
			prev_ms = ms;
			snprintf(what, sizeof(what), "%s: stuck record %d, ms since the FIN, before"
				 " its holder closed", w->what, w->nrecs);
			ASSERT_LT(ms, release_ms, what);
		}
		seen_ms = (w->first_seen - st->fin_ts) * 1e3;
		test__log("%s: %d stuck records, the first printed %.0f ms after the FIN (%.0f ms"
			  " after start-up)", w->what, w->nrecs, seen_ms, seen_ms - start_ms);
		snprintf(what, sizeof(what), "%s: stuck records", w->what);
		if (!ASSERT_GT(w->nrecs, 0, what))
			continue;
		if (partial) {
			/* the first scan runs at start-up */
			snprintf(what, sizeof(what), "%s: first stuck record printed, ms after"
				 " start-up", w->what);
			ASSERT_LE(seen_ms - start_ms, SCAN_SLACK_S * 1e3, what);
		} else {
			/* the first scan past the threshold: within one period of it */
			snprintf(what, sizeof(what), "%s: first stuck record printed, ms after the"
				 " FIN", w->what);
			ASSERT_NEAR(seen_ms, (STUCK_S + (scan_s + SCAN_SLACK_S) / 2) * 1e3,
				    (scan_s + SCAN_SLACK_S) / 2 * 1e3, what);
		}
		snprintf(what, sizeof(what), "%s: last stuck record, ms since the FIN: on every"
			 " scan until its holder closed", w->what);
		ASSERT_GT(prev_ms, release_ms - (scan_s + SCAN_SLACK_S) * 1e3, what);
		snprintf(what, sizeof(what), "%s: first stuck record's ts, ms since the FIN: not"
			 " after it was printed", w->what);
		ASSERT_LE(first_ms, seen_ms + 1, what);
	}
}

/*
 * The close records once the holder is gone. Already stuck at start-up, the tracer missed
 * the FINs, but the states it found say who sent the first: CLOSE_WAIT is the passive end,
 * FIN_WAIT2 the active one. No server sent a byte after its peer's FIN.
 */
static void stuck__check_closes(const struct stuck_test *st, bool partial)
{
	const struct conn *c;
	json_object *srv, *cli;
	char what[96];
	int i;

	for (i = 0; i < 2; i++) {
		c = i ? &st->b : &st->a;
		srv = tracer__close(&st->f.tracer, c->sport, c->cport);
		cli = tracer__close(&st->f.tracer, c->cport, c->sport);
		snprintf(what, sizeof(what), "%s close record of %s", "server", i ? "b" : "a");
		if (ASSERT_NOT_NULL(srv, what)) {
			ASSERT_EQ(json_object_get_boolean(json_object_object_get(srv, "partial")),
				  partial, what);
			ASSERT_REC_STR(srv, "role", "passive", "server (was in CLOSE_WAIT)");
			ASSERT_REC_INT(srv, "halfclosed_bytes", 0, "server (sent nothing)");
			if (test__failed())
				fixture__dump(srv, what);
		}
		snprintf(what, sizeof(what), "%s close record of %s", "client", i ? "b" : "a");
		if (ASSERT_NOT_NULL(cli, what)) {
			ASSERT_EQ(json_object_get_boolean(json_object_object_get(cli, "partial")),
				  partial, what);
			ASSERT_REC_STR(cli, "role", "active", "client (was in FIN_WAIT2)");
			if (test__failed())
				fixture__dump(cli, what);
		}
	}
}

static void stuck__dump(const struct stuck_test *st)
{
	int i;

	for (i = 0; i < st->f.tracer.nrecs && i < 40; i++)
		fixture__dump(st->f.tracer.recs[i], "tracer");
}

/*
 * The tracer runs first: the connections become stuck while it watches. The orphaned
 * FIN_WAIT2 is a timewait socket: its age comes from its record's head in user space, or,
 * with args' --tw-entry always, from its entry in the kernel.
 */
static void stuck_close_wait__run(const char *const *args)
{
	struct stuck_test st;
	double start_ts, release_ts;

	stuck__init(&st);
	if (!fixture__start(&st.f, args))
		goto out;
	start_ts = conns__now();
	if (!stuck__setup(&st) || !stuck__entered(&st))
		goto out;
	/* until the first stuck records: ss -p between two scans does not delay noticing them */
	stuck__watch(&st, st.fin_ts + STUCK_S + SCAN_S + 2 * SCAN_SLACK_S, true);
	stuck__check_ss(&st);
	stuck__watch(&st, st.fin_ts + STUCK_S + 3 * SCAN_S + 0.2, false);
	/* the holder reaped: its sockets have left CLOSE_WAIT, no walk can see them there */
	stuck__release(&st);
	release_ts = conns__now();
	/* two more scans: the server ends close, the clients reach TIME_WAIT, nothing is stuck */
	stuck__watch(&st, release_ts + 2 * SCAN_S + SCAN_SLACK_S, false);
	ASSERT_OK(netns__leave(&st.f.ns), "leave scenario namespace");
	conns__close(&st.a);
	conns__close(&st.b);
	if (!fixture__finish(&st.f))
		goto out;
	stuck__check_all(&st, SCAN_S, start_ts, release_ts);
	stuck__check_closes(&st, false);
	if (test__failed())
		stuck__dump(&st);
out:
	stuck__release(&st);
	if (st.lfd >= 0)
		close(st.lfd);
	conns__close(&st.a);
	conns__close(&st.b);
	fixture__cleanup(&st.f);
}

void test_stuck_close_wait(void)
{
	stuck_close_wait__run((const char *const[]){ "--stuck", "2", "-i", "1", NULL });
}

void test_stuck_close_wait_entries(void)
{
	stuck_close_wait__run((const char *const[]){ "--stuck", "2", "-i", "1", "--tw-entry",
						     "always", NULL });
}

/* stuck before tcpclose starts: its first scan, right at start-up, reports them all */
void test_stuck_before_start(void)
{
	static const char *const args[] = { "--stuck", "2", NULL };
	struct stuck_test st;
	double start_ts, release_ts;

	stuck__init(&st);
	if (!ASSERT_OK(netns__create(&st.f.ns, "tcpclose-test"), "create scenario namespace"))
		goto out;
	st.f.ns_alive = true;
	if (!stuck__setup(&st) || !stuck__entered(&st))
		goto out;
	conns__sleep_ms((STUCK_S + 1) * 1000 + 500);
	stuck__check_ss(&st);
	/* the tracer must not start inside the namespace it watches */
	if (!ASSERT_OK(netns__leave(&st.f.ns), "leave scenario namespace") ||
	    !ASSERT_OK(tracer__start(&st.f.tracer, st.f.ns.path, args), "start tracer"))
		goto out;
	start_ts = conns__now();
	/* default period: min(--stuck, 10) = 2 s; watch the first scan and the next */
	stuck__watch(&st, start_ts + STUCK_S + SCAN_SLACK_S, false);
	/* the holder reaped: its sockets have left CLOSE_WAIT, no walk can see them there */
	stuck__release(&st);
	release_ts = conns__now();
	conns__close(&st.a);
	conns__close(&st.b);
	if (!fixture__finish(&st.f))
		goto out;
	stuck__check_all(&st, STUCK_S, start_ts, release_ts);
	stuck__check_closes(&st, true);
	if (test__failed())
		stuck__dump(&st);
out:
	stuck__release(&st);
	if (st.lfd >= 0)
		close(st.lfd);
	conns__close(&st.a);
	conns__close(&st.b);
	fixture__cleanup(&st.f);
}
