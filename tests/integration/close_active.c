// SPDX-License-Identifier: GPL-2.0
/*
 * An orderly close: the client closes, the server closes 200 ms after reading EOF. The
 * record's dwell times are checked against the segments on the wire, and the kernel's
 * TIME_WAIT against ss and its counters.
 */
#include "fixture.h"
#include "ss.h"
#include "test.h"

/*
 * Tracer and capture stamp the same kernel events: a sender's state changes as its
 * segment passes the transmit tap, a receiver's when softirq takes the segment from lo's
 * queue, which the capture stamps (tcp_seg__rx()). That is microseconds later, unless
 * ksoftirqd runs it on a loaded CPU: 2.4 ms was seen with 4 tests on 2 CPUs.
 */
#define WIRE_TOL_MS 5.0
/*
 * Where the orphaned client's timewait socket (FIN_WAIT2 substate) takes the server's FIN
 * no tracepoint fires: the tracer learns of it from the timewait timer's new expiry, in
 * jiffies. One jiffy at HZ=250 is 4 ms more.
 */
#define TW_TOL_MS (4.0 + WIRE_TOL_MS)
/*
 * Against the scenario's delay: the server sleeps at least delay_ms after EOF, which
 * itself follows the FIN, so never less. Above, the server's wake-up is late by however
 * long a loaded 2-CPU machine (4 tests, tracers, perhaps a benchmark) keeps it waiting:
 * 65 ms was seen. The exact check is the one against the wire; this one only catches a
 * tracer timing some other interval.
 */
#define DELAY_SLACK_MS 150.0
/* LAST_ACK ends when the client's ACK comes back over loopback: as soon as softirq runs */
#define LAST_ACK_MAX_MS WIRE_TOL_MS

/* the kernel's view before the purge: the client's socket in TIME_WAIT for about 60 s */
static void close_active__check_ss(struct fixture *f)
{
	const struct ss_sock *s;
	struct ss_sock *socks = NULL;
	int n;

	if (!ASSERT_OK(netns__enter(&f->ns), "enter scenario namespace"))
		return;
	n = ss__query("state time-wait", &socks);
	if (ASSERT_GE(n, 1, "ss: sockets in TIME_WAIT")) {
		s = ss__find(socks, n, f->res.client.port, f->res.server.port);
		if (ASSERT_NOT_NULL(s, "ss: the client's socket in TIME_WAIT")) {
			ASSERT_STREQ(s->timer, "timewait", "ss: its timer");
			ASSERT_NEAR(s->timer_ms, 57500, 2500, "ss: TIME_WAIT left");
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
	ASSERT_EQ(nstat__get(&f.delta, "TcpExtTW"), 1, "TcpExtTW: one TIME_WAIT armed");
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
	 * pingpong mode), about 40 ms, unless the server closes first. The wire decides.
	 */
	ASSERT_NEAR(json__dwell(cli, "FIN_WAIT1"),
		    fixture__ms(tcp_seg__tx(cfin), tcp_seg__rx(cfin_ack)), WIRE_TOL_MS,
		    "client FIN_WAIT1 ms, against the wire");
	ASSERT_NEAR(json__dwell(cli, "FIN_WAIT2"),
		    fixture__ms(tcp_seg__rx(cfin_ack), tcp_seg__rx(sfin)), TW_TOL_MS,
		    "client FIN_WAIT2 ms, against the wire");
	ASSERT_NEAR(json__dwell(cli, "FIN_WAIT1") + json__dwell(cli, "FIN_WAIT2"),
		    delay + (DELAY_SLACK_MS - TW_TOL_MS) / 2, (DELAY_SLACK_MS + TW_TOL_MS) / 2,
		    "client FIN_WAIT1 + FIN_WAIT2 ms, against the server's delay");
	ASSERT_GE(json__dwell(cli, "TIME_WAIT"), 0, "client TIME_WAIT ms until the purge");

	ASSERT_REC_STR(srv, "role", "passive", "server");
	ASSERT_REC_STR(srv, "cause", "normal", "server");
	ASSERT_REC_NULL(srv, "rst_reason", "server");
	ASSERT_REC_STATES(srv, "CLOSE_WAIT,LAST_ACK", "server");
	ASSERT_REC_INT(srv, "fin_retrans", 0, "server");
	ASSERT_REC_NULL(srv, "tw_end", "server");
	ASSERT_NEAR(json__dwell(srv, "CLOSE_WAIT"),
		    fixture__ms(tcp_seg__rx(cfin), tcp_seg__tx(sfin)), WIRE_TOL_MS,
		    "server CLOSE_WAIT ms, against the wire");
	ASSERT_NEAR(json__dwell(srv, "CLOSE_WAIT"), delay + DELAY_SLACK_MS / 2,
		    DELAY_SLACK_MS / 2, "server CLOSE_WAIT ms, against the delay");
	ASSERT_NEAR(json__dwell(srv, "LAST_ACK"),
		    fixture__ms(tcp_seg__tx(sfin), tcp_seg__rx(sfin_ack)), WIRE_TOL_MS,
		    "server LAST_ACK ms, against the wire");
	ASSERT_LE(json__dwell(srv, "LAST_ACK") * 1000, LAST_ACK_MAX_MS * 1000,
		  "server LAST_ACK us");
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
	close_active__run(4);
}

void test_close_active6(void)
{
	close_active__run(6);
}
