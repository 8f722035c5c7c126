// SPDX-License-Identifier: GPL-2.0
/*
 * Timers that end connections: TCP_USER_TIMEOUT, data retransmissions running out
 * (tcp_retries2), an orphaned FIN_WAIT2 reaching tcp_fin_timeout, and an orphan's FIN never
 * acknowledged (tcp_orphan_retries). The sysctls are per namespace: only the scenario's
 * namespace is changed. Each record's cause against what the kernel did: its counters, the
 * socket's error, ss and the segments on the wire.
 */
#include <errno.h>
#include <unistd.h>
#include "conns.h"
#include "fixture.h"
#include "nft.h"
#include "ss.h"
#include "test.h"
#include "timing.h"

#define USER_TIMEOUT_MS 1500
#define RETRIES2 "3"
#define RETRIES2_MS 3000	/* (2^(3 + 1) - 1) x TCP_RTO_MIN: tcp_model_timeout() */
#define FIN_TIMEOUT_S 2
#define ORPHAN_RETRIES "1"
#define DATA_BYTES 100

struct timeout_test {
	struct fixture f;
	struct conn c;
	int lfd;
	char comm[16];
	char match[64];
};

/* tracer on the scenario namespace, entered, counters and capture running, one connection */
static bool timeout__start(struct timeout_test *t, const char *sysctl, const char *value)
{
	unsigned short port;

	t->c.cfd = t->c.sfd = t->lfd = -1;
	if (!fixture__start(&t->f, NULL) ||
	    !ASSERT_OK(conns__comm(getpid(), t->comm, sizeof(t->comm)), "our comm") ||
	    !ASSERT_OK(netns__enter(&t->f.ns), "enter scenario namespace"))
		return false;
	if (sysctl && !ASSERT_OK(netns__sysctl(sysctl, value), sysctl))
		return false;
	if (!ASSERT_OK(nstat__read(&t->f.before), "nstat before") ||
	    !ASSERT_OK(capture__start(&t->f.cap), "capture on lo"))
		return false;
	t->lfd = sock__listen(4, &port);
	if (!ASSERT_GE(t->lfd, 0, "listen") ||
	    !ASSERT_OK(conns__open(&t->c, t->lfd, 4, port), "connect and accept"))
		return false;
	/* a listener would keep the namespace from being cleaned up */
	close(t->lfd);
	t->lfd = -1;
	t->f.res.family = 4;
	t->f.res.client.port = t->c.cport;
	t->f.res.server.port = t->c.sport;
	return true;
}

/* drop everything the server sends: nothing the client sends is ever acknowledged */
static bool timeout__drop_server(struct timeout_test *t)
{
	snprintf(t->match, sizeof(t->match), "tcp sport %u", t->c.sport);
	return ASSERT_OK(nft__drop(t->match), "drop the server's segments");
}

/* stop the capture and the counters, leave the namespace */
static bool timeout__stop(struct timeout_test *t)
{
	bool ok = ASSERT_OK(capture__stop(&t->f.cap), "capture") &&
		  ASSERT_EQ(t->f.cap.drops, 0, "segments the capture missed") &&
		  ASSERT_OK(nstat__read(&t->f.after), "nstat after") &&
		  ASSERT_OK(nstat__delta(&t->f.before, &t->f.after, &t->f.delta), "nstat delta");

	test__log("nstat: TcpRetransSegs %lld TcpExtTCPLossProbes %lld TcpExtTCPTimeouts %lld"
		  " TcpExtTCPAbortOnTimeout %lld TcpExtTW %lld TcpExtTWKilled %lld",
		  nstat__get(&t->f.delta, "TcpRetransSegs"),
		  nstat__get(&t->f.delta, "TcpExtTCPLossProbes"),
		  nstat__get(&t->f.delta, "TcpExtTCPTimeouts"),
		  nstat__get(&t->f.delta, "TcpExtTCPAbortOnTimeout"),
		  nstat__get(&t->f.delta, "TcpExtTW"), nstat__get(&t->f.delta, "TcpExtTWKilled"));
	return ASSERT_OK(netns__leave(&t->f.ns), "leave scenario namespace") && ok;
}

/* all the tracer printed: what it said instead, and what it lost */
static void timeout__dump(const struct timeout_test *t)
{
	int i;

	for (i = 0; i < t->f.tracer.nrecs && i < 20; i++)
		fixture__dump(t->f.tracer.recs[i], "tracer");
	tracer__dump_stderr(&t->f.tracer);
}

static void timeout__cleanup(struct timeout_test *t)
{
	if (t->lfd >= 0)
		close(t->lfd);
	conns__close(&t->c);
	fixture__cleanup(&t->f);
}

/* the nth (from 0) data segment from cport: the first transmission, then every resend */
static const struct tcp_seg *timeout__data_seg(const struct capture *cap, unsigned short cport,
					       int nth)
{
	const struct tcp_seg *s;

	capture__for_each(cap, s) {
		if (s->sport == cport && s->len && nth-- == 0)
			return s;
	}
	return NULL;
}

/*
 * Data the peer never acknowledges until a timer gives up: TCP_USER_TIMEOUT when user_ms
 * is set, else tcp_retries2. The abort sends nothing (tcp_write_err()): the socket's error,
 * the counters and the resent data are the kernel's account of it. Both limits run from
 * retrans_stamp, the first resend by the retransmit timer: a tail-loss probe before it
 * (TcpExtTCPLossProbes) does not start the clock.
 */
static void timeout__data(unsigned int user_ms, const char *cause)
{
	const struct tcp_seg *first, *rto, *last = NULL, *s;
	struct timeout_test t = { 0 };
	char buf[DATA_BYTES] = { 0 };
	double abort_ts, after, rec_ms;
	json_object *cli;
	int err, i, segs = 0;
	long long tlp;

	if (!timeout__start(&t, user_ms ? NULL : "net.ipv4.tcp_retries2",
			    user_ms ? NULL : RETRIES2))
		goto out;
	if (user_ms && !ASSERT_OK(sock__user_timeout(t.c.cfd, user_ms), "TCP_USER_TIMEOUT"))
		goto out;
	if (!timeout__drop_server(&t) ||
	    !ASSERT_EQ(write(t.c.cfd, buf, sizeof(buf)), sizeof(buf), "client writes"))
		goto out;
	/* tcp_retries2 = 3 gives up at the first RTO firing RETRIES2_MS after the clock starts */
	err = sock__wait_error(t.c.cfd, 15000, &abort_ts);
	ASSERT_EQ(err, ETIMEDOUT, "the client's socket error");
	if (!timeout__stop(&t))
		goto out;
	nft__remove();
	while (timeout__data_seg(&t.f.cap, t.c.cport, segs))
		segs++;
	tlp = nstat__get(&t.f.delta, "TcpExtTCPLossProbes");
	first = timeout__data_seg(&t.f.cap, t.c.cport, 0);
	rto = timeout__data_seg(&t.f.cap, t.c.cport, 1 + tlp);
	if (!ASSERT_NOT_NULL(first, "the client's data on the wire") ||
	    !ASSERT_NOT_NULL(rto, "the client's first resend by the retransmit timer"))
		goto out;
	after = (abort_ts - rto->ts) * 1e3;
	for (i = 0; (s = timeout__data_seg(&t.f.cap, t.c.cport, i)); i++) {
		test__log("wire: data sent at %.3f ms", (s->ts - first->ts) * 1e3);
		last = s;
	}
	test__log("wire: socket error %.3f ms after the first send, %.3f ms after the first"
		  " RTO resend (%lld tail-loss probe before it)", (abort_ts - first->ts) * 1e3,
		  after, tlp);
	ASSERT_EQ(nstat__get(&t.f.delta, "TcpExtTCPAbortOnTimeout"), 1, "TcpExtTCPAbortOnTimeout");
	ASSERT_EQ(nstat__get(&t.f.delta, "TcpRetransSegs"), segs - 1,
		  "TcpRetransSegs: the data resent on the wire");
	ASSERT_GE(segs, 3, "data sent at least 3 times");
	ASSERT_EQ(capture__count(&t.f.cap, t.c.cport, TCP_RST), 0, "RSTs from the client");
	/*
	 * The kernel gives up no sooner (less the jiffy retransmits_timed_out() allows for
	 * timer granularity); we may notice late on a busy machine.
	 */
	ASSERT_GE(after, (user_ms ? user_ms : RETRIES2_MS) - timing__jiffy_ms(t.f.tracer.hz),
		  "ms from the first RTO resend to the error");
	conns__close(&t.c);
	if (!fixture__finish(&t.f))
		goto out;
	cli = fixture__client(&t.f);
	if (!ASSERT_NOT_NULL(cli, "client close record")) {
		timeout__dump(&t);
		goto out;
	}
	conns__check_end(cli, 4, t.c.cport, t.c.sport, t.f.ns.ino, getpid(), t.comm, "client");
	ASSERT_REC_STR(cli, "cause", cause, "client");
	ASSERT_REC_STR(cli, "role", "aborted", "client");
	ASSERT_REC_NULL(cli, "rst_reason", "client");
	ASSERT_REC_STATES(cli, "", "client");
	ASSERT_REC_NULL(cli, "fin_seq", "client");
	ASSERT_REC_INT(cli, "fin_retrans", 0, "client");
	ASSERT_REC_INT(cli, "keepalive_probes", 0, "client");
	/* the abort: after the last resend, before we saw the error */
	rec_ms = (json__double(cli, "ts", 0) - rto->ts) * 1e3;
	ASSERT_GE(rec_ms, (last->ts - rto->ts) * 1e3, "client record ts, ms after the first RTO"
		  " resend: not before the last resend");
	ASSERT_LE(rec_ms, after + 1, "client record ts, ms after the first RTO resend: not after"
		  " the socket's error");
	/* the kernel gives up no sooner than the user timeout, less its jiffy */
	if (user_ms)
		ASSERT_GE(rec_ms, user_ms - timing__jiffy_ms(t.f.tracer.hz),
			  "client record ts, ms after the first RTO resend: the user timeout");
	fixture__judge(&t.f, cli, 0, "client");
	if (test__failed())
		timeout__dump(&t);
out:
	timeout__cleanup(&t);
}

void test_timeout_user(void)
{
	timeout__data(USER_TIMEOUT_MS, "user_timeout");
}

void test_timeout_retrans(void)
{
	timeout__data(0, "retrans_timeout");
}

/*
 * The client close()s, the server never does: the orphan in FIN_WAIT2 becomes a timewait
 * socket in its FIN_WAIT2 substate for tcp_fin_timeout (<= 4 s: TcpExtTWKilled), and ends
 * when that expires.
 */
void test_timeout_fin_wait2(void)
{
	const struct tcp_seg *fin, *acked;
	const struct ss_sock *tw = NULL;
	struct timeout_test t = { 0 };
	struct ss_sock *socks = NULL;
	double close_ts, q_ts = 0, seen_ts = 0, gone_ts = 0, lo, hi, end, jiffy;
	struct conns_sock *all;
	json_object *cli;
	int n = 0, i;

	if (!timeout__start(&t, "net.ipv4.tcp_fin_timeout", "2"))
		goto out;
	close_ts = conns__now();
	close(t.c.cfd);
	t.c.cfd = -1;
	/* the kernel's own view: ss lists it as FIN-WAIT-2 with a timewait timer of 2 s */
	for (i = 0; i < 50 && !tw; i++) {
		free(socks);
		socks = NULL;
		n = ss__query("state fin-wait-2", &socks);
		q_ts = conns__now();
		tw = n > 0 ? ss__find(socks, n, t.c.cport, t.c.sport) : NULL;
		if (!tw)
			conns__sleep_ms(10);
	}
	if (!ASSERT_NOT_NULL(tw, "ss: the client in FIN-WAIT-2"))
		goto out;
	ASSERT_STREQ(tw->timer, "timewait", "ss: its timer (a timewait socket)");
	/*
	 * Armed for tcp_fin_timeout when the ACK of our FIN came, after close(): no more left
	 * than that, no less than that less the time since close(), a jiffy, and the 1 ms ss
	 * prints below 10 s.
	 */
	ASSERT_LE(tw->timer_ms, FIN_TIMEOUT_S * 1000, "ss: timewait ms left");
	ASSERT_GT(tw->timer_ms + 1, FIN_TIMEOUT_S * 1000 - (q_ts - close_ts) * 1e3 -
		  timing__jiffy_ms(t.f.tracer.hz), "ss: timewait ms left, after the time since close()");
	/*
	 * And it is gone once tcp_fin_timeout has passed: it went after the start of the last
	 * ss that listed it and before the end of the first that did not (no -o: ss prints an
	 * overdue timer as "on,,").
	 */
	while ((q_ts = conns__now()) < close_ts + FIN_TIMEOUT_S + 3) {
		n = conns__ss(&all);
		if (n >= 0 && !conns__ss_has(all, n, "FIN-WAIT-2", t.c.cport, t.c.sport)) {
			gone_ts = conns__now();
			free(all);
			break;
		}
		if (n >= 0)
			seen_ts = q_ts;
		free(all);
		conns__sleep_ms(10);
	}
	if (!ASSERT_GT(gone_ts, 0, "ss: the FIN-WAIT-2 socket expired"))
		goto out;
	/* its record must come now, not from the namespace purge */
	ASSERT_OK(tracer__wait_close(&t.f.tracer, t.c.cport, t.c.sport, 3000),
		  "client record printed when the timewait socket expired");
	if (!timeout__stop(&t))
		goto out;
	ASSERT_EQ(nstat__get(&t.f.delta, "TcpExtTWKilled"), 1, "TcpExtTWKilled");
	ASSERT_EQ(nstat__get(&t.f.delta, "TcpExtTW"), 0, "TcpExtTW");
	fin = capture__fin(&t.f.cap, t.c.cport, 0);
	if (!ASSERT_NOT_NULL(fin, "the client's FIN on the wire"))
		goto out;
	acked = capture__find_ack(&t.f.cap, t.c.sport, tcp_seg__fin_seq(fin) + 1, 0);
	if (!ASSERT_NOT_NULL(acked, "the server's ACK of it") ||
	    !ASSERT_TRUE(tcp_seg__rx(acked) > 0, "the ACK's arrival stamped"))
		goto out;
	lo = (seen_ts - tcp_seg__rx(acked)) * 1e3;
	hi = (gone_ts - tcp_seg__rx(acked)) * 1e3;
	test__log("wire: FIN %.3f ms after close(), acked %.3f ms later; ss: gone between %.3f"
		  " and %.3f ms after the ACK", (fin->ts - close_ts) * 1e3,
		  (tcp_seg__rx(acked) - fin->ts) * 1e3, lo, hi);
	ASSERT_EQ(capture__fins(&t.f.cap, t.c.sport), 0, "FINs from the server");
	conns__close(&t.c);
	if (!fixture__finish(&t.f))
		goto out;
	cli = fixture__client(&t.f);
	if (!ASSERT_NOT_NULL(cli, "client close record")) {
		timeout__dump(&t);
		goto out;
	}
	jiffy = timing__jiffy_ms(t.f.tracer.hz);
	conns__check_end(cli, 4, t.c.cport, t.c.sport, t.f.ns.ino, getpid(), t.comm, "client");
	ASSERT_REC_STR(cli, "cause", "fin_wait2_timeout", "client");
	ASSERT_REC_STR(cli, "role", "active", "client");
	ASSERT_REC_STATES(cli, "FIN_WAIT1,FIN_WAIT2", "client");
	ASSERT_REC_STR(cli, "tw_end", "expired", "client");
	ASSERT_REC_INT(cli, "fin_seq", tcp_seg__fin_seq(fin), "client");
	ASSERT_REC_NULL(cli, "peer_fin_seq", "client");
	ASSERT_REC_INT(cli, "fin_retrans", 0, "client");
	/* its timer never fires early; a jiffy for the deadline it is read off */
	ASSERT_GE(json__dwell(cli, "FIN_WAIT2"), FIN_TIMEOUT_S * 1000 - jiffy,
		  "client FIN_WAIT2 ms: tcp_fin_timeout at least");
	/* FIN_WAIT2 from the ACK of our FIN (the wire); gone between the two ss (ours) */
	fixture__judge(&t.f, cli, 0, "client");
	end = json__double(cli, "ts", 0);
	ASSERT_GE((end - seen_ts) * 1e3, -jiffy, "client end ms after the last ss listing it");
	ASSERT_LE((end - gone_ts) * 1e3, jiffy, "client end ms after the first ss without it");
	if (test__failed())
		timeout__dump(&t);
out:
	free(socks);
	timeout__cleanup(&t);
}

/*
 * The client close()s while everything from the server is dropped: its FIN is resent
 * until tcp_orphan_retries runs out and the orphan is dropped, with no RST.
 */
void test_timeout_orphan_retries(void)
{
	struct timeout_test t = { 0 };
	const struct tcp_seg *fin;
	double close_ts;
	json_object *cli;
	int fins;

	if (!timeout__start(&t, "net.ipv4.tcp_orphan_retries", ORPHAN_RETRIES) ||
	    !timeout__drop_server(&t))
		goto out;
	close_ts = conns__now();
	close(t.c.cfd);
	t.c.cfd = -1;
	/* 1 retry: given up at the first RTO firing 3 x 200 ms after the first RTO resend */
	if (!ASSERT_EQ(nstat__wait("TcpExtTCPAbortOnTimeout",
					   nstat__get(&t.f.before, "TcpExtTCPAbortOnTimeout") + 1,
					   10000),
		       nstat__get(&t.f.before, "TcpExtTCPAbortOnTimeout") + 1,
		       "TcpExtTCPAbortOnTimeout: the orphan given up"))
		goto out;
	ASSERT_OK(tracer__wait_close(&t.f.tracer, t.c.cport, t.c.sport, 3000),
		  "client record printed at the abort");
	if (!timeout__stop(&t))
		goto out;
	nft__remove();
	fins = capture__fins(&t.f.cap, t.c.cport);
	fin = capture__fin(&t.f.cap, t.c.cport, 0);
	if (!ASSERT_NOT_NULL(fin, "the client's FIN on the wire"))
		goto out;
	test__log("wire: FIN %.3f ms after close(), sent %d times", (fin->ts - close_ts) * 1e3,
		  fins);
	ASSERT_GE(fins, 2, "the client's FIN resent");
	ASSERT_EQ(nstat__get(&t.f.delta, "TcpRetransSegs"), fins - 1,
		  "TcpRetransSegs: the FIN resent on the wire");
	ASSERT_EQ(capture__count(&t.f.cap, t.c.cport, TCP_RST), 0, "RSTs from the client");
	ASSERT_EQ(nstat__get(&t.f.delta, "TcpExtTW") + nstat__get(&t.f.delta, "TcpExtTWKilled"),
		  0, "timewait sockets");
	conns__close(&t.c);
	if (!fixture__finish(&t.f))
		goto out;
	cli = fixture__client(&t.f);
	if (!ASSERT_NOT_NULL(cli, "client close record")) {
		timeout__dump(&t);
		goto out;
	}
	conns__check_end(cli, 4, t.c.cport, t.c.sport, t.f.ns.ino, getpid(), t.comm, "client");
	ASSERT_REC_STR(cli, "cause", "orphan_retries", "client");
	ASSERT_REC_STR(cli, "role", "aborted", "client");
	ASSERT_REC_STATES(cli, "FIN_WAIT1", "client");
	ASSERT_REC_INT(cli, "fin_seq", tcp_seg__fin_seq(fin), "client");
	ASSERT_REC_INT(cli, "fin_retrans", fins - 1, "client (resent FINs on the wire)");
	ASSERT_REC_NULL(cli, "tw_end", "client");
	if (test__failed())
		timeout__dump(&t);
out:
	timeout__cleanup(&t);
}
