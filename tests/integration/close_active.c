// SPDX-License-Identifier: GPL-2.0
/*
 * An orderly close: the client closes, the server closes 200 ms after reading EOF. The
 * record's dwell times are checked against the segments on the wire, and the kernel's
 * TIME_WAIT against ss and its counters.
 */
#include <math.h>
#include <time.h>
#include "fixture.h"
#include "ss.h"
#include "test.h"
#include "timing.h"
#include "tw.h"

/*
 * Times are judged by the run's own evidence (fixture__judge()): each change of state in the
 * bracket of the segments that caused it and those it made, and of the socket dumps, however
 * slow the host. Against the scenario's delay there is only a floor: the server sleeps at
 * least delay_ms after EOF, which itself follows the FIN.
 */

/*
 * The kernel's view before the purge: the client's socket in TIME_WAIT, its timer armed for
 * TCP_TIMEWAIT_LEN when the server's FIN arrived (tcp_timewait_state_process()), so no more
 * left than that and no less than that minus the time since, and a jiffy. ss prints whole
 * seconds above 10 s, truncated.
 */
static void close_active__check_ss(struct fixture *f)
{
	const struct tcp_seg *sfin = capture__fin(&f->cap, f->res.server.port, 0);
	double since_ms, jiffy_ms = timing__jiffy_ms(f->tracer.hz);
	const struct ss_sock *s;
	struct ss_sock *socks = NULL;
	struct timespec now;
	int n;

	if (!ASSERT_OK(netns__enter(&f->ns), "enter scenario namespace"))
		return;
	n = ss__query("state time-wait", &socks);
	clock_gettime(CLOCK_REALTIME, &now);
	since_ms = sfin ? fixture__ms(tcp_seg__rx(sfin), now.tv_sec + now.tv_nsec / 1e9) : NAN;
	if (ASSERT_GE(n, 1, "ss: sockets in TIME_WAIT")) {
		s = ss__find(socks, n, f->res.client.port, f->res.server.port);
		if (ASSERT_NOT_NULL(s, "ss: the client's socket in TIME_WAIT")) {
			ASSERT_STREQ(s->timer, "timewait", "ss: its timer");
			ASSERT_LE(s->timer_ms, TW_LEN_MS, "ss: TIME_WAIT left, ms");
			ASSERT_GT(s->timer_ms + 1000, TW_LEN_MS - since_ms - jiffy_ms,
				  "ss: TIME_WAIT left + its 1 s resolution, ms");
		}
		ASSERT_EQ(n, 1, "ss: only the client's socket in TIME_WAIT");
	}
	free(socks);
	netns__leave(&f->ns);
}

static void close_active__run(int family)
{
	const struct tcp_seg *cfin, *sfin, *cfin_ack, *sfin_ack;
	json_object *cli, *srv;
	struct scenario_opts opts;
	struct fixture f;
	double delay;

	scenario__default_opts(&opts);
	opts.family = family;
	delay = opts.delay_ms;
	if (!fixture__start(&f, NULL) || !fixture__run(&f, "active", &opts))
		goto out;
	close_active__check_ss(&f);
	ASSERT_EQ(nstat__get(&f.delta, "TcpExtTW"), tw__counted_at_expiry() ? 0 : 1,
		  "TcpExtTW: one TIME_WAIT armed (where it counts expiries: none yet)");
	ASSERT_EQ(nstat__get(&f.delta, "TcpRetransSegs"), 0, "TcpRetransSegs");
	if (!fixture__finish(&f))
		goto out;
	cli = fixture__client(&f);
	srv = fixture__server(&f);
	fixture__check_ends(&f, cli, srv);
	if (!cli || !srv)
		goto out;

	cfin = capture__fin(&f.cap, f.res.client.port, 0);
	sfin = capture__fin(&f.cap, f.res.server.port, 0);
	ASSERT_EQ(capture__fins(&f.cap, f.res.client.port), 1, "FINs from the client");
	ASSERT_EQ(capture__fins(&f.cap, f.res.server.port), 1, "FINs from the server");
	if (!ASSERT_NOT_NULL(cfin, "client FIN captured") ||
	    !ASSERT_NOT_NULL(sfin, "server FIN captured"))
		goto out;
	cfin_ack = capture__find_ack(&f.cap, f.res.server.port, tcp_seg__fin_seq(cfin) + 1, 0);
	sfin_ack = capture__find_ack(&f.cap, f.res.client.port, tcp_seg__fin_seq(sfin) + 1, 0);
	if (!ASSERT_NOT_NULL(cfin_ack, "ACK of the client FIN captured") ||
	    !ASSERT_NOT_NULL(sfin_ack, "ACK of the server FIN captured"))
		goto out;
	test__log("wire: client FIN acked after %.3f ms, server FIN %.3f ms after the client's",
		  fixture__ms(tcp_seg__tx(cfin), tcp_seg__rx(cfin_ack)),
		  fixture__ms(tcp_seg__tx(cfin), tcp_seg__tx(sfin)));

	ASSERT_REC_STR(cli, "role", "active", "client");
	ASSERT_REC_STR(cli, "cause", "normal", "client");
	ASSERT_REC_NULL(cli, "rst_reason", "client");
	ASSERT_REC_STATES(cli, "FIN_WAIT1,FIN_WAIT2,TIME_WAIT", "client");
	ASSERT_REC_INT(cli, "fin_retrans", 0, "client");
	ASSERT_REC_STR(cli, "tw_end", "purged", "client");
	/*
	 * FIN_WAIT1 is not short: the server's ACK of a FIN is delayed (tcp_fin() enters
	 * pingpong mode), about 40 ms, unless the server closes first. The wire decides. The
	 * orphan's TIME_WAIT is read off its timer's expiry, in jiffies (hence a jiffy less).
	 */
	fixture__judge(&f, cli, 0, "client");
	ASSERT_GE(json__dwell(cli, "FIN_WAIT1") + json__dwell(cli, "FIN_WAIT2"),
		  delay - timing__jiffy_ms(f.tracer.hz),
		  "client FIN_WAIT1 + FIN_WAIT2 ms, at least the server's delay");
	ASSERT_GE(json__dwell(cli, "TIME_WAIT"), 0, "client TIME_WAIT ms until the purge");

	ASSERT_REC_STR(srv, "role", "passive", "server");
	ASSERT_REC_STR(srv, "cause", "normal", "server");
	ASSERT_REC_NULL(srv, "rst_reason", "server");
	ASSERT_REC_STATES(srv, "CLOSE_WAIT,LAST_ACK", "server");
	ASSERT_REC_INT(srv, "fin_retrans", 0, "server");
	ASSERT_REC_NULL(srv, "tw_end", "server");
	fixture__judge(&f, srv, 0, "server");
	ASSERT_GE(json__dwell(srv, "CLOSE_WAIT"), delay,
		  "server CLOSE_WAIT ms, at least its delay after EOF");
	fixture__check_fins(&f, cli, srv);
	if (test__failed()) {
		fixture__dump(cli, "client record");
		fixture__dump(srv, "server record");
	}
out:
	fixture__cleanup(&f);
}

void test_close_active(void)
{
	if (test__start_subtest("ipv4"))
		close_active__run(4);
	if (test__start_subtest("ipv6"))
		close_active__run(6);
}
