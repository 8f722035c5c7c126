// SPDX-License-Identifier: GPL-2.0
/*
 * timewait_ends: each way a timewait socket ends early, as the kernel counts or shows it:
 * reused by connect(), killed by an RST, purged with its namespace, or never created.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>
#include "capture.h"
#include "fixture.h"
#include "raw.h"
#include "test.h"
#include "tw.h"

/* connections from one local port: each one after the first reuses its predecessor */
#define REUSE_ROUNDS 3
/* tcp_twsk_unique() reuses a TIME_WAIT tcp_tw_reuse_delay (1000 ms) after its last segment */
#define REUSE_WAIT_MS 1200
#define PURGE_CONNS 10
#define OVERFLOW_MAX_TW "4"
#define OVERFLOW_CONNS 40	/* churn: 20 closed by the client first, 20 by the server */
#define RST_OUT_OF_WINDOW 100000
#define SETTLE_MS 5000
#define SETTLED_MS 500		/* tcpclose has sent what it had pending by then */

static void timewait_ends__check(json_object *rec, const char *tw_end, const char *what)
{
	char msg[96], buf[160];

	snprintf(msg, sizeof(msg), "%s: record", what);
	if (!ASSERT_NOT_NULL(rec, msg))
		return;
	snprintf(msg, sizeof(msg), "%s: tw_end", what);
	ASSERT_STREQ(json__str(rec, "tw_end"), tw_end, msg);
	snprintf(msg, sizeof(msg), "%s: states", what);
	ASSERT_STREQ(json__states(rec, buf, sizeof(buf)), "FIN_WAIT1,FIN_WAIT2,TIME_WAIT", msg);
	snprintf(msg, sizeof(msg), "%s: role", what);
	ASSERT_STREQ(json__str(rec, "role"), "active", msg);
	if (test__failed())
		fixture__dump(rec, what);
}

static bool timewait_ends__pin_cpu(void);

/*
 * one_cpu: the test and so both ends on one CPU, under syncookies. Nothing comes between
 * connect()'s recycling of a timewait socket and its own connection's timewait socket, as the
 * request socket's timer does otherwise, and the slab most likely puts the new socket, of the
 * same 4-tuple, where the recycled one was freed.
 */
static void timewait_reused__run(bool one_cpu)
{
	struct conn p = { .cfd = -1, .sfd = -1 };
	unsigned short lport, cport = 0;
	long long recycled, made;
	struct fixture f;
	struct ss_sock s;
	int lfd = -1, i;
	char what[32];

	if (!fixture__start(&f, NULL) ||
	    (one_cpu && !ASSERT_TRUE(timewait_ends__pin_cpu(), "pin to a CPU")) ||
	    !tw__begin(&f, true))
		goto out;
	if (!ASSERT_OK(netns__sysctl("net.ipv4.tcp_tw_reuse", "1"), "tcp_tw_reuse=1") ||
	    !ASSERT_OK(netns__sysctl("net.ipv4.tcp_timestamps", "1"), "tcp_timestamps=1") ||
	    (one_cpu && !ASSERT_OK(netns__sysctl("net.ipv4.tcp_syncookies", "2"),
				   "tcp_syncookies=2")))
		goto out;
	lfd = sock__listen(4, &lport);
	if (!ASSERT_GE(lfd, 0, "listen"))
		goto out;
	for (i = 0; i < REUSE_ROUNDS; i++) {
		if (i) {
			conns__sleep_ms(REUSE_WAIT_MS);
			if (!ASSERT_OK(tw__ss_get("state time-wait", cport, lport, &s),
				       "ss: the previous connection is in TIME-WAIT")) {
				tw__check_reordered(&f);
				goto out;
			}
		}
		/* the same local port each time, bound with SO_REUSEADDR */
		if (!ASSERT_OK(tw__connect(&p, lfd, lport, cport), "connect from the same port"))
			goto out;
		if (i && !ASSERT_EQ(tw__ss_get("state time-wait", cport, lport, &s), -ENOENT,
				    "ss: connect() took the TIME-WAIT's 4-tuple"))
			goto out;
		cport = p.cport;
		if (!ASSERT_OK(tw__close_active(&p, 0), "active close") ||
		    !ASSERT_OK(tw__settle(lport, SETTLE_MS), "connection settled"))
			goto out;
	}
	close(lfd);
	lfd = -1;
	if (!tw__end(&f))
		goto out;
	made = tw__made(&f, false);
	recycled = nstat__get(&f.delta, "TcpExtTWRecycled");
	test__log("TcpExtTWRecycled %lld over %d connections from port %u", recycled,
		  REUSE_ROUNDS, cport);
	ASSERT_EQ(recycled, REUSE_ROUNDS - 1, "TcpExtTWRecycled: connect() reused each TIME-WAIT");
	if (!fixture__finish(&f))
		goto out;

	tw__check_foreign(&f);
	tw__check_no_rst(&f);
	tw__check_count(&f.tracer, NULL, "reused", recycled,
			"records ending \"reused\" = TcpExtTWRecycled");
	for (i = 0; i < REUSE_ROUNDS; i++) {
		snprintf(what, sizeof(what), "connection %d", i);
		/* the last one was never reused: its namespace went away */
		timewait_ends__check(tw__record(&f.tracer, cport, lport, i),
				     i < REUSE_ROUNDS - 1 ? "reused" : "purged", what);
	}
	tw__check_count(&f.tracer, "TIME_WAIT", NULL, made,
			"records with TIME_WAIT = timewait sockets made (tw.h)");
out:
	conns__close(&p);
	if (lfd >= 0)
		close(lfd);
	fixture__cleanup(&f);
}

void test_timewait_reused(void)
{
	timewait_reused__run(false);
}

void test_timewait_reused_cpu(void)
{
	timewait_reused__run(true);
}

/* wait until ss no longer lists the timewait socket: the kernel has acted on the segment */
static int timewait_ends__wait_gone(unsigned short lport, unsigned short rport, int timeout_ms)
{
	double deadline = clock__now_ms() + timeout_ms;
	struct ss_sock s;
	int err;

	while (!(err = tw__ss_get("state time-wait", lport, rport, &s))) {
		if (clock__now_ms() > deadline)
			return -ETIMEDOUT;
		conns__sleep_ms(2);
	}
	return err == -ENOENT ? 0 : err;
}

/*
 * The RST the server's end would send to the client's timewait socket, at seq. From a child
 * process unless here: see test_timewait_rst_after_connect().
 */
static int timewait_ends__send_rst(const struct conn *p, uint32_t seq, bool here)
{
	struct raw_seg seg = {
		.sport = p->sport,
		.dport = p->cport,
		.seq = seq,
		.flags = TCP_RST,
	};

	inet_pton(AF_INET, "127.0.0.1", &seg.saddr);
	seg.daddr = seg.saddr;
	return here ? raw__send(&seg) : raw__send_forked(&seg);
}

/* an RST ends a timewait socket: each backend follows timewait sockets with its own hooks */
static void timewait_rst__run(const char *backend)
{
	struct conn p = { .cfd = -1, .sfd = -1 };
	const struct tcp_seg *fin, *rst;
	unsigned short lport = 0;
	double end;
	struct fixture f;
	json_object *rec;
	struct ss_sock s;
	int lfd = -1, hz;
	uint32_t rcv_nxt;

	hz = probe__kernel_hz();
	if (!ASSERT_GT(hz, 0, "HZ") || !fixture__start_backend(&f, backend) ||
	    !tw__begin(&f, true))
		goto out;
	/* with RFC 1337 protection the kernel would ignore the RST */
	if (!ASSERT_OK(netns__sysctl("net.ipv4.tcp_rfc1337", "0"), "tcp_rfc1337=0"))
		goto out;
	lfd = sock__listen(4, &lport);
	if (!ASSERT_GE(lfd, 0, "listen") ||
	    !ASSERT_OK(tw__connect(&p, lfd, lport, -1), "connect") ||
	    !ASSERT_OK(tw__close_active(&p, 0), "active close") ||
	    !ASSERT_OK(tw__settle(lport, SETTLE_MS), "connection settled"))
		goto out;
	if (!ASSERT_OK(tw__ss_get("state time-wait", p.cport, lport, &s), "ss: in TIME-WAIT")) {
		tw__check_reordered(&f);
		goto out;
	}
	if (!ASSERT_OK(capture__poll(&f.cap), "capture"))
		goto out;
	fin = capture__fin(&f.cap, lport, 0);
	if (!ASSERT_NOT_NULL(fin, "the server's FIN in the capture"))
		goto out;
	/* the timewait socket's rcv_nxt: just past the peer's FIN */
	rcv_nxt = tcp_seg__fin_seq(fin) + 1;

	/* out of window first: the kernel ignores it, and tcpclose must not end the record */
	if (!ASSERT_OK(timewait_ends__send_rst(&p, rcv_nxt + RST_OUT_OF_WINDOW, false),
		       "send an out-of-window RST"))
		goto out;
	conns__sleep_ms(50);
	if (!ASSERT_OK(tw__ss_get("state time-wait", p.cport, lport, &s),
		       "ss: still in TIME-WAIT after an out-of-window RST")) {
		tw__check_reordered(&f);
		goto out;
	}
	if (!ASSERT_OK(timewait_ends__send_rst(&p, rcv_nxt, false), "send the RST") ||
	    !ASSERT_OK(timewait_ends__wait_gone(p.cport, lport, 1000),
		       "ss: the RST killed the TIME-WAIT"))
		goto out;
	close(lfd);
	lfd = -1;
	if (!tw__end(&f) || !fixture__finish(&f))
		goto out;

	tw__check_foreign(&f);
	tw__check_no_rst(&f);
	rec = tw__record(&f.tracer, p.cport, lport, 0);
	timewait_ends__check(rec, "rst", "client");
	ASSERT_TRUE(tw__record(&f.tracer, p.cport, lport, 1) == NULL, "one record only");
	rst = capture__find(&f.cap, lport, TCP_RST, 1);
	if (!rec || !ASSERT_NOT_NULL(rst, "the in-window RST in the capture"))
		goto out;
	end = json__double(rec, "ts", 0);
	test__log("capture: peer FIN in %.6f, RST in +%.3f ms; record: end +%.3f ms, TIME_WAIT "
		  "%.3f ms", tcp_seg__rx(fin), fixture__ms(tcp_seg__rx(fin), tcp_seg__rx(rst)),
		  fixture__ms(tcp_seg__rx(fin), end), json__dwell(rec, "TIME_WAIT"));
	/* TIME_WAIT from the peer's FIN; the end after the RSTs arrived, before ss saw it gone */
	fixture__judge(&f, rec, 0, "client");
	/* and after the in-window one, which the judge cannot tell from the first */
	ASSERT_GE(fixture__ms(tcp_seg__rx(rst), end), -timing__jiffy_ms(f.tracer.hz),
		  "record ended after the in-window RST arrived (ms, within a jiffy)");
out:
	conns__close(&p);
	if (lfd >= 0)
		close(lfd);
	fixture__cleanup(&f);
}

void test_timewait_rst(void)
{
	fixture__each_backend(timewait_rst__run);
}

/* run on one CPU from now on */
static bool timewait_ends__pin_cpu(void)
{
	cpu_set_t set;
	int cpu;

	if (sched_getaffinity(0, sizeof(set), &set))
		return false;
	for (cpu = 0; cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &set); cpu++)
		;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return !sched_setaffinity(0, sizeof(set), &set);
}

/* how the first timewait socket is killed */
enum tw_kill {
	TW_KILL_BY_RST,		/* the server's RST at the TIME_WAIT's rcv_nxt */
	TW_KILL_BY_ABORT,	/* ss -K: sock_destroy, tcp_abort() */
};

/*
 * Kill p's timewait socket as 'how' says and wait until ss no longer lists it. 1: ss -K left
 * it alone: this kernel's tcp_abort() takes full sockets only, or it was built without
 * CONFIG_INET_DIAG_DESTROY (ss then fails, or kills nothing, by its version).
 */
static int timewait_ends__kill(struct fixture *f, const struct conn *p, unsigned short lport,
			       enum tw_kill how)
{
	const struct tcp_seg *fin;
	struct ss_sock s;

	if (how == TW_KILL_BY_ABORT) {
		test__system("ss -K -tn state time-wait '( sport = :%u )' >/dev/null 2>&1",
			     p->cport);
		return !tw__ss_get("state time-wait", p->cport, lport, &s);
	}
	if (!ASSERT_OK(capture__poll(&f->cap), "capture"))
		return -1;
	fin = capture__fin(&f->cap, lport, 0);
	if (!ASSERT_NOT_NULL(fin, "the server's FIN in the capture") ||
	    !ASSERT_OK(timewait_ends__send_rst(p, tcp_seg__fin_seq(fin) + 1, false),
		       "send the RST") ||
	    !ASSERT_OK(timewait_ends__wait_gone(p->cport, lport, 1000),
		       "ss: the RST killed the first TIME-WAIT"))
		return -1;
	return 0;
}

/*
 * One timewait socket is killed and, right after, another connection closes on the same
 * CPU: the slab most likely hands its new timewait socket the memory just freed. Both must
 * be reported for what they were: a busy server sees this all the time.
 *
 * same_port: the second connection is from the first's port, made after the kill, under
 * syncookies: its timewait socket has the first's 4-tuple as well as, most likely, its
 * memory, and no request socket's timer comes between to settle the first's end. A client
 * with a fixed source port does this. Otherwise both are connected first: no handshake comes
 * between the kill and the second close.
 */
static void timewait_kill_then__run(enum tw_kill how, bool same_port)
{
	struct conn p = { .cfd = -1, .sfd = -1 }, q = { .cfd = -1, .sfd = -1 };
	unsigned short lport = 0;
	struct fixture f;
	struct ss_sock s;
	int lfd = -1, err;
	long long made;

	if (!fixture__start(&f, NULL) ||
	    !ASSERT_TRUE(timewait_ends__pin_cpu(), "pin to a CPU") || !tw__begin(&f, true) ||
	    (same_port && !ASSERT_OK(netns__sysctl("net.ipv4.tcp_syncookies", "2"),
				     "tcp_syncookies=2")))
		goto out;
	lfd = sock__listen(4, &lport);
	if (!ASSERT_GE(lfd, 0, "listen") ||
	    !ASSERT_OK(tw__connect(&p, lfd, lport, same_port ? 0 : -1), "connect") ||
	    (!same_port && !ASSERT_OK(tw__connect(&q, lfd, lport, -1), "connect the second")) ||
	    !ASSERT_OK(tw__close_active(&p, 0), "active close") ||
	    !ASSERT_OK(tw__settle(p.cport, SETTLE_MS), "connection settled"))
		goto out;
	err = timewait_ends__kill(&f, &p, lport, how);
	if (err > 0)
		test__skip("ss -K leaves this kernel's timewait sockets alone");
	if (err ||
	    (same_port && !ASSERT_OK(tw__connect(&q, lfd, lport, p.cport),
				     "connect from the same port")) ||
	    !ASSERT_OK(tw__close_active(&q, 0), "active close of the second") ||
	    !ASSERT_OK(tw__settle(lport, SETTLE_MS), "second connection settled") ||
	    !ASSERT_OK(tw__ss_get("state time-wait", q.cport, lport, &s),
		       "ss: the second is in TIME-WAIT"))
		goto out;
	close(lfd);
	lfd = -1;
	if (!tw__end(&f))
		goto out;
	made = tw__made(&f, false);
	if (!fixture__finish(&f))
		goto out;

	/* where TcpExtTW counts expiries (tw.h), the first, killed by the test, counts nowhere */
	ASSERT_EQ(made, tw__counted_at_expiry() ? 1 : 2,
		  "timewait sockets made (tw.h): two, or the second alone where counted at expiry");
	ASSERT_EQ(nstat__get(&f.delta, "TcpExtTCPTimeWaitOverflow"), 0,
		  "TcpExtTCPTimeWaitOverflow");
	ASSERT_EQ(nstat__get(&f.delta, "TcpExtTWRecycled"), 0,
		  "TcpExtTWRecycled: the first was gone, not recycled");
	tw__check_foreign(&f);
	tw__check_no_rst(&f);
	/* every backend tells a process's kill from a segment's */
	timewait_ends__check(tw__record(&f.tracer, p.cport, lport, 0),
			     how == TW_KILL_BY_RST ? "rst" : "killed", "first client");
	ASSERT_REC_NULL(tw__record(&f.tracer, p.cport, lport, 0), "tw_restart_last_ms", "first client");
	/* the same 4-tuple's records come in the order they ended */
	timewait_ends__check(tw__record(&f.tracer, q.cport, lport, same_port), "purged",
			     "second client");
out:
	conns__close(&p);
	conns__close(&q);
	if (lfd >= 0)
		close(lfd);
	fixture__cleanup(&f);
}

void test_timewait_rst_then_close(void)
{
	timewait_kill_then__run(TW_KILL_BY_RST, false);
}

void test_timewait_rst_then_same_port(void)
{
	timewait_kill_then__run(TW_KILL_BY_RST, true);
}

void test_timewait_killed_then_same_port(void)
{
	timewait_kill_then__run(TW_KILL_BY_ABORT, true);
}

/*
 * The process that gets an RST into a timewait socket (the kernel takes a segment in within
 * the sender's system call, on loopback) has just connected to the same server: that is
 * still an RST, and no connect() reused anything.
 */
void test_timewait_rst_after_connect(void)
{
	struct conn p = { .cfd = -1, .sfd = -1 }, q = { .cfd = -1, .sfd = -1 };
	const struct tcp_seg *fin;
	unsigned short lport = 0;
	struct fixture f;
	struct ss_sock s;
	int lfd = -1;

	if (!fixture__start(&f, NULL) || !tw__begin(&f, true))
		goto out;
	/* no connect() may take a timewait socket here */
	if (!ASSERT_OK(netns__sysctl("net.ipv4.tcp_tw_reuse", "0"), "tcp_tw_reuse=0"))
		goto out;
	lfd = sock__listen(4, &lport);
	if (!ASSERT_GE(lfd, 0, "listen") ||
	    !ASSERT_OK(tw__connect(&p, lfd, lport, -1), "connect") ||
	    !ASSERT_OK(tw__close_active(&p, 0), "active close") ||
	    !ASSERT_OK(tw__settle(lport, SETTLE_MS), "connection settled") ||
	    !ASSERT_OK(capture__poll(&f.cap), "capture"))
		goto out;
	fin = capture__fin(&f.cap, lport, 0);
	if (!ASSERT_NOT_NULL(fin, "the server's FIN in the capture") ||
	    !ASSERT_OK(tw__connect(&q, lfd, lport, -1), "connect again") ||
	    !ASSERT_OK(timewait_ends__send_rst(&p, tcp_seg__fin_seq(fin) + 1, true),
		       "send the RST") ||
	    !ASSERT_OK(timewait_ends__wait_gone(p.cport, lport, 1000),
		       "ss: the RST killed the TIME-WAIT"))
		goto out;
	/* a while before the next timewait socket: test_timewait_rst_then_close() is for that */
	conns__sleep_ms(SETTLED_MS);
	if (!ASSERT_OK(tw__close_active(&q, 0), "close the second") ||
	    !ASSERT_OK(tw__settle(lport, SETTLE_MS), "second connection settled"))
		goto out;
	ASSERT_OK(tw__ss_get("state time-wait", q.cport, lport, &s),
		  "ss: the second is in TIME-WAIT");
	close(lfd);
	lfd = -1;
	if (!tw__end(&f) || !fixture__finish(&f))
		goto out;

	ASSERT_EQ(nstat__get(&f.delta, "TcpExtTWRecycled"), 0, "TcpExtTWRecycled");
	tw__check_foreign(&f);
	tw__check_no_rst(&f);
	tw__check_count(&f.tracer, NULL, "reused", 0,
			"records ending \"reused\" = TcpExtTWRecycled");
	timewait_ends__check(tw__record(&f.tracer, p.cport, lport, 0), "rst", "first client");
	timewait_ends__check(tw__record(&f.tracer, q.cport, lport, 0), "purged", "second client");
out:
	conns__close(&p);
	conns__close(&q);
	if (lfd >= 0)
		close(lfd);
	fixture__cleanup(&f);
}

void test_timewait_purged(void)
{
	long long tw, rsts, left = -1;
	struct scenario_opts opts;
	double start, end, ts;
	struct fixture f;
	int i, purged = 0;

	scenario__default_opts(&opts);
	opts.count = PURGE_CONNS;
	if (!fixture__start(&f, NULL) || !fixture__run(&f, "churn", &opts))
		goto out;
	/* the kernel's count of them, just before the namespace goes */
	if (ASSERT_OK(netns__enter(&f.ns), "enter scenario namespace")) {
		left = netns__tw_sockets();
		netns__leave(&f.ns);
	}
	tw = tw__made(&f, true);
	rsts = nstat__get(&f.delta, "TcpOutRsts");
	ASSERT_EQ(tw, PURGE_CONNS, "timewait sockets made (tw.h): one per connection");
	/* each RST of ours killed one: see tw.h (where TcpExtTW counts expiries, tw__made()
	 * counted tw so) */
	if (!tw__counted_at_expiry())
		ASSERT_EQ(left + rsts, tw, "sockstat tw + TcpOutRsts = TcpExtTW");
	start = conns__now();
	if (!fixture__finish(&f))
		goto out;
	end = conns__now();
	tw__check_foreign(&f);

	for (i = 0; i < f.tracer.nrecs; i++) {
		json_object *rec = f.tracer.recs[i];
		const char *tw_end = json__str(rec, "tw_end");

		if (!tw__is_close(rec) || !tw_end || strcmp(tw_end, "purged"))
			continue;
		purged++;
		ts = json__double(rec, "ts", 0);
		if (!ASSERT_TRUE(ts >= start && ts <= end, "purged while the namespace went away"))
			fixture__dump(rec, "purged record");
	}
	test__log("%lld timewait sockets made, %lld left, %d records purged in %.3f s", tw, left,
		  purged, end - start);
	ASSERT_EQ(purged, left, "records ending \"purged\" = timewait sockets left (sockstat)");
	tw__check_count(&f.tracer, NULL, "rst", rsts, "records ending \"rst\" = TcpOutRsts");
	tw__check_count(&f.tracer, "TIME_WAIT", NULL, tw,
			"records with TIME_WAIT = timewait sockets made");
out:
	fixture__cleanup(&f);
}

void test_timewait_overflow(void)
{
	struct scenario_opts opts;
	long long overflow, tw;
	struct fixture f;

	scenario__default_opts(&opts);
	opts.count = OVERFLOW_CONNS;
	if (!fixture__start(&f, NULL))
		goto out;
	if (!ASSERT_OK(netns__enter(&f.ns), "enter scenario namespace"))
		goto out;
	ASSERT_OK(netns__sysctl("net.ipv4.tcp_max_tw_buckets", OVERFLOW_MAX_TW),
		  "tcp_max_tw_buckets=" OVERFLOW_MAX_TW);
	netns__leave(&f.ns);
	if (test__failed() || !fixture__run(&f, "churn", &opts))
		goto out;
	overflow = nstat__get(&f.delta, "TcpExtTCPTimeWaitOverflow");
	tw = tw__made(&f, false);
	test__log("%lld timewait sockets made, TcpExtTCPTimeWaitOverflow %lld", tw, overflow);
	ASSERT_GT(overflow, 0, "TcpExtTCPTimeWaitOverflow: the kernel refused timewait sockets");
	ASSERT_EQ(tw + overflow, OVERFLOW_CONNS,
		  "timewait sockets made (tw.h) + TcpExtTCPTimeWaitOverflow = active closes");
	if (!fixture__finish(&f))
		goto out;

	tw__check_foreign(&f);
	tw__check_count(&f.tracer, NULL, "overflow", overflow,
			"records ending \"overflow\" = TcpExtTCPTimeWaitOverflow");
	tw__check_count(&f.tracer, "TIME_WAIT", NULL, tw,
			"records with TIME_WAIT = timewait sockets made");
out:
	fixture__cleanup(&f);
}
