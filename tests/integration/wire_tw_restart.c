// SPDX-License-Identifier: GPL-2.0
/*
 * wire_tw_restart: the peer resends its FIN into our TIME_WAIT (as if our last ACK was
 * lost), and each resend restarts the 2MSL timer (tcp_timewait_state_process()). At HZ=250
 * the 60 s timer sits in a timer-wheel level 2.048 s wide, so a restart 0.1 s or 0.3 s in
 * mostly stays in its bucket (the kernel emits no timer event) and one 3.3 s, 10 s or 30 s
 * in always moves it. Every case runs at once, each on its own connection, so the two left
 * to expire cost one minute for all of them.
 *
 * The timewait sockets here are born in TIME_WAIT (the peer's FIN acknowledges ours), so
 * the tracepoint backend's limit (docs/LIMITS.md: a silent first FIN and a silent resend of
 * an orphaned FIN_WAIT2 may be taken for one) does not apply: a restart that stays in its
 * bucket is read off the timer's deadline the next time the socket is seen. Two silent
 * restarts in a row would leave that backend only the last one, so every schedule here puts
 * at least one wheel granule between a silent restart and the next.
 */
#include <string.h>
#include <unistd.h>
#include "test.h"
#include "timing.h"
#include "wire.h"

/* include/net/tcp.h: TCP_TIMEWAIT_LEN, (60 * HZ) */
#define TIMEWAIT_LEN_S 60.0
#define MAX_RESENDS 3
/* the last expiry: a restart 3.3 s in, 60 s, and the level's 2.048 s granule, with room */
#define EXPIRE_WAIT_MS 75000

struct restart_case {
	const char *name;
	int resend_ms[MAX_RESENDS];	/* into TIME_WAIT, from the peer's first FIN; 0 ends */
	bool expire;			/* left to expire; else the namespace's purge ends it */
};

static const struct restart_case restart_cases[] = {
	{ "0.1s", { 100 }, false },
	{ "0.3s", { 300 }, false },
	{ "1s", { 1000 }, false },
	{ "3.3s", { 3300 }, false },
	{ "10s", { 10000 }, false },
	{ "30s", { 30000 }, false },
	/* the case: left to expire, TIME_WAIT read 60108 ms where the wire said 63421 */
	{ "0.3s+3.3s", { 300, 3300 }, true },
	{ "1s+10s+30s", { 1000, 10000, 30000 }, false },
	{ "none", { 0 }, true },
};
#define NR_CASES (int)(sizeof(restart_cases) / sizeof(restart_cases[0]))

struct restart_conn {
	const struct restart_case *rc;
	struct peer_conn c;
	struct wire_close close;
	struct peer_seg resend[MAX_RESENDS];
	struct peer_seg resend_ack[MAX_RESENDS];	/* our ACK of each */
	int sent;
	double gone_by;		/* /proc/net/tcp no longer listed it before the purge; or 0 */
};

static int restart__count(const struct restart_case *rc)
{
	int n = 0;

	while (n < MAX_RESENDS && rc->resend_ms[n])
		n++;
	return n;
}

/* the next resend due of all connections: its connection, or NULL when all are sent */
static struct restart_conn *restart__next(struct restart_conn *rs, double *when)
{
	struct restart_conn *next = NULL;

	for (int i = 0; i < NR_CASES; i++) {
		struct restart_conn *r = &rs[i];
		double t;

		if (r->sent == restart__count(r->rc))
			continue;
		t = r->close.pfin.ts + r->rc->resend_ms[r->sent] / 1e3;
		if (!next || t < *when) {
			next = r;
			*when = t;
		}
	}
	return next;
}

/* resend each peer FIN when it is due, and see each answered with our ACK */
static bool restart__resend_all(struct restart_conn *rs)
{
	struct restart_conn *r;
	double when;

	while ((r = restart__next(rs, &when))) {
		const struct tcpseg *pfin = &r->close.pfin.seg;

		if (when > peer__now())
			usleep((when - peer__now()) * 1e6);
		if (!ASSERT_OK(peer__send(&r->c, TCP_FIN | TCP_ACK, pfin->seq, pfin->ack, NULL, 0),
			       "the peer resends its FIN") ||
		    !ASSERT_OK(peer__expect(&r->c, TCP_ACK, 2000, &r->resend_ack[r->sent]),
			       "our ACK of the resend"))
			return false;
		r->resend[r->sent++] = r->c.sent;
	}
	return true;
}

/* the ith resend restarted 2MSL as it was taken in, before our ACK of it left (TCP_TW_ACK) */
static struct wire_when restart__at(const struct restart_conn *r, int i)
{
	return wire__before(wire__by(&r->resend[i]), &r->resend_ack[i]);
}

static void restart__check(const struct wire *w, const struct restart_conn *r)
{
	const char *what = r->rc->name;
	int n = restart__count(r->rc);
	json_object *rec = wire__record(w, &r->c);
	struct wire_when tw = wire__by(&r->close.pfin), end;
	bool seen;

	if (!ASSERT_NOT_NULL(rec, what))
		return;
	wire__check_ends(w, rec, &r->c, getpid(), what);
	wire__check_kind(rec, "active", "normal", NULL, "FIN_WAIT1,FIN_WAIT2,TIME_WAIT", what);
	wire__check_dwell(w, rec, "FIN_WAIT1", r->close.fin_wait1, tw, what);
	/* the peer's FIN-ACK took it through FIN_WAIT2 in one segment */
	wire__check_dwell(w, rec, "FIN_WAIT2", tw, tw, what);
	wire__check_fin(rec, &r->close.fin, what);
	wire__check_peer_fin(rec, &r->close.pfin, what);
	if (n)
		wire__check_restarts(w, rec, n, tw, restart__at(r, 0), restart__at(r, n - 1), what);
	else
		wire__check_no_restarts(rec, what);
	wire__check_quiet(rec, &r->c, what);
	/*
	 * Expired, when the kernel let it go before the purge (every TIME_WAIT last restarted
	 * before an awaited one's end goes too): between the last socket dump that showed it and
	 * the first that missed it, or, if the dumps (starved on a loaded host) did not see it
	 * go, no sooner than TCP_TIMEWAIT_LEN after the FIN that armed its timer last was taken
	 * in, and no later than our look found it gone or, still there then, than the purge
	 * ended: it may yet expire while the namespace is being deleted. Nothing then tells
	 * which came first, and the record is judged by what it says happened, each claim
	 * against its own bracket.
	 */
	seen = wire__gone(w, &r->c, &end);
	if (!seen)
		end = wire__when((n ? r->resend[n - 1].ts : tw.lo) + TIMEWAIT_LEN_S,
				 r->gone_by ? r->gone_by : wire__stop_ts(w));
	if (seen || r->gone_by || strcmp(json__str(rec, "tw_end") ?: "", "purged")) {
		ASSERT_TRUE(seen || r->gone_by || !r->rc->expire, "an awaited expiry seen");
		wire__check_tw_end(rec, "expired", what);
		wire__check_dwell(w, rec, "TIME_WAIT", tw, end, what);
	} else {
		wire__check_tw_end(rec, "purged", what);
		wire__check_dwell(w, rec, "TIME_WAIT", tw, wire__purge(w), what);
	}
	if (test__failed())
		fixture__dump(rec, what);
}

/* the timewait sockets the dumps no longer list */
static int restart__gone(const struct restart_conn *rs)
{
	int n = 0;

	for (int i = 0; i < NR_CASES; i++)
		n += !wire__wait_gone(&rs[i].c, 0);
	return n;
}

/* TcpExtTW now, since the run began */
static long long restart__tw_counted(const struct wire *w)
{
	return nstat__value("TcpExtTW") - nstat__get(&w->f.before, "TcpExtTW");
}

static void wire_tw_restart__run(const char *backend, int family)
{
	struct restart_conn rs[NR_CASES] = {};
	int fds[NR_CASES], expired = 0, gone_after, i;
	long long tw_made, tw_counted;
	struct wire w;

	for (i = 0; i < NR_CASES; i++)
		fds[i] = -1;
	if (!wire__start(&w, backend, family))
		goto out;
	for (i = 0; i < NR_CASES; i++) {
		rs[i].rc = &restart_cases[i];
		peer__conn(&rs[i].c, &w.peer, 80);
		fds[i] = wire__socket(&w, 0);
		if (!ASSERT_GE(fds[i], 0, "socket") ||
		    !ASSERT_OK(peer__accept(&rs[i].c, fds[i]), "handshake"))
			goto out;
	}
	for (i = 0; i < NR_CASES; i++) {
		int fd = fds[i];

		fds[i] = -1;
		if (!wire__close_to_timewait(&rs[i].c, fd, 0, &rs[i].close))
			goto out;
	}
	/*
	 * TcpExtTW counts timewait sockets as they are made (__inet_twsk_schedule()), or, on
	 * kernels before that (5.10), as they expire (tw_timer_handler()): none has yet.
	 */
	tw_made = restart__tw_counted(&w);
	if (!ASSERT_TRUE(tw_made == NR_CASES || tw_made == 0,
			 "TcpExtTW after the closes: every timewait socket, or none"))
		goto out;
	if (!restart__resend_all(rs))
		goto out;
	for (i = 0; i < NR_CASES; i++) {
		if (restart_cases[i].expire &&
		    !ASSERT_OK(wire__wait_gone(&rs[i].c, EXPIRE_WAIT_MS), "TIME_WAIT expired"))
			goto out;
	}
	for (i = 0; i < NR_CASES; i++) {
		rs[i].gone_by = wire__wait_gone(&rs[i].c, 0) ? 0 : peer__now();
		expired += rs[i].gone_by > 0;
	}
	/* counted as they expire: between those gone before the read and those gone after */
	tw_counted = restart__tw_counted(&w);
	gone_after = restart__gone(rs);
	if (!wire__finish(&w))
		goto out;
	if (tw_made) {
		ASSERT_EQ(tw_counted, NR_CASES, "TcpExtTW: timewait sockets made");
	} else {
		ASSERT_GE(tw_counted, expired, "TcpExtTW: the expiries before it was read");
		ASSERT_LE(tw_counted, gone_after, "TcpExtTW: the expiries by just after");
	}
	ASSERT_GE(expired, 2, "TIME_WAITs the kernel let go before the purge");
	ASSERT_EQ(nstat__get(&w.f.delta, "TcpRetransSegs"), 0, "TcpRetransSegs");
	for (i = 0; i < NR_CASES; i++)
		restart__check(&w, &rs[i]);
out:
	for (i = 0; i < NR_CASES; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	wire__cleanup(&w);
}

void test_wire_tw_restart(void)
{
	wire__each(wire_tw_restart__run, false);
}
