// SPDX-License-Identifier: GPL-2.0
/*
 * Lost FINs: the client's FIN, or the client's ACK of the server's FIN, is dropped once,
 * and the record's fin_retrans must equal the resent FINs on the wire.
 */
#include "fixture.h"
#include "test.h"

/* as in close_active.c: the receiver's softirq may lag lo's queue on a loaded CPU */
#define WIRE_TOL_MS 5.0

/* how the kernel resent: tail-loss probe or RTO; the counters say */
static void close_fin_drop__log_counters(const struct fixture *f)
{
	test__log("nstat: TcpRetransSegs %lld TcpExtTCPLossProbes %lld TcpExtTCPTimeouts %lld",
		  nstat__get(&f->delta, "TcpRetransSegs"),
		  nstat__get(&f->delta, "TcpExtTCPLossProbes"),
		  nstat__get(&f->delta, "TcpExtTCPTimeouts"));
}

void test_close_fin_drop(void)
{
	const struct tcp_seg *c0, *clast, *acked;
	json_object *cli, *srv;
	struct fixture f;
	int fins;

	if (!fixture__start(&f, NULL) || !fixture__run(&f, "fin_drop", NULL))
		goto out;
	close_fin_drop__log_counters(&f);
	fins = capture__fins(&f.cap, f.res.client.port);
	ASSERT_EQ(f.res.drops, 1, "client FINs the nft rule dropped");
	if (!ASSERT_GE(fins, 2, "client FINs on the wire"))
		goto out;
	ASSERT_EQ(f.res.fin_retrans, fins - 1, "scenario's count of resent FINs");
	ASSERT_GE(nstat__get(&f.delta, "TcpRetransSegs"), fins - 1, "TcpRetransSegs");
	if (!fixture__finish(&f))
		goto out;
	cli = fixture__client(&f);
	srv = fixture__server(&f);
	fixture__check_ends(&f, cli, srv);
	if (!cli || !srv)
		goto out;
	c0 = capture__fin(&f.cap, f.res.client.port, 0);
	clast = capture__fin(&f.cap, f.res.client.port, fins - 1);
	acked = capture__find_ack(&f.cap, f.res.server.port, tcp_seg__fin_seq(c0) + 1, 0);
	test__log("wire: client FIN resent %d times, last at %.3f ms, acked at %.3f ms", fins - 1,
		  fixture__ms(c0->ts, clast->ts), fixture__ms(c0->ts, tcp_seg__rx(acked)));
	ASSERT_EQ(clast->seq, c0->seq, "the resent FIN is the same FIN");

	ASSERT_REC_INT(cli, "fin_retrans", fins - 1, "client (resent FINs on the wire)");
	ASSERT_REC_STR(cli, "role", "active", "client");
	ASSERT_REC_STR(cli, "cause", "normal", "client");
	ASSERT_REC_STATES(cli, "FIN_WAIT1,FIN_WAIT2,TIME_WAIT", "client");
	ASSERT_NEAR(json__dwell(cli, "FIN_WAIT1"), fixture__ms(c0->ts, tcp_seg__rx(acked)),
		    WIRE_TOL_MS, "client FIN_WAIT1 ms, until the resent FIN was acked");
	ASSERT_REC_INT(srv, "fin_retrans", 0, "server");
	ASSERT_REC_STR(srv, "role", "passive", "server");
	fixture__check_fins(&f, cli, srv);
	if (test__failed()) {
		fixture__dump(cli, "client record");
		fixture__dump(srv, "server record");
	}
out:
	fixture__cleanup(&f);
}

void test_close_lastack_drop(void)
{
	const struct tcp_seg *s0, *slast, *acked;
	json_object *cli, *srv;
	struct fixture f;
	int fins;

	if (!fixture__start(&f, NULL) || !fixture__run(&f, "lastack_drop", NULL))
		goto out;
	close_fin_drop__log_counters(&f);
	fins = capture__fins(&f.cap, f.res.server.port);
	ASSERT_EQ(f.res.drops, 1, "client ACKs the nft rule dropped");
	if (!ASSERT_GE(fins, 2, "server FINs on the wire"))
		goto out;
	ASSERT_EQ(f.res.fin_retrans, fins - 1, "scenario's count of resent FINs");
	if (!fixture__finish(&f))
		goto out;
	cli = fixture__client(&f);
	srv = fixture__server(&f);
	fixture__check_ends(&f, cli, srv);
	if (!cli || !srv)
		goto out;
	s0 = capture__fin(&f.cap, f.res.server.port, 0);
	slast = capture__fin(&f.cap, f.res.server.port, fins - 1);
	/* the first ACK of the server's FIN is the one dropped; the last one got through */
	acked = capture__find_ack(&f.cap, f.res.client.port, tcp_seg__fin_seq(s0) + 1, fins - 1);
	test__log("wire: server FIN resent %d times, last at %.3f ms, acked at %.3f ms", fins - 1,
		  fixture__ms(s0->ts, slast->ts), fixture__ms(s0->ts, tcp_seg__rx(acked)));

	ASSERT_TRUE(json__has_state(srv, "LAST_ACK"), "server has LAST_ACK");
	ASSERT_REC_STATES(srv, "CLOSE_WAIT,LAST_ACK", "server");
	ASSERT_GE(json__int(srv, "fin_retrans", -1), 1, "server fin_retrans");
	ASSERT_REC_INT(srv, "fin_retrans", fins - 1, "server (resent FINs on the wire)");
	ASSERT_REC_STR(srv, "role", "passive", "server");
	ASSERT_NEAR(json__dwell(srv, "LAST_ACK"), fixture__ms(s0->ts, tcp_seg__rx(acked)),
		    WIRE_TOL_MS, "server LAST_ACK ms, until its resent FIN was acked");
	ASSERT_REC_INT(cli, "fin_retrans", 0, "client");
	ASSERT_REC_STR(cli, "role", "active", "client");
	ASSERT_REC_STATES(cli, "FIN_WAIT1,FIN_WAIT2,TIME_WAIT", "client");
	fixture__check_fins(&f, cli, srv);
	if (test__failed()) {
		fixture__dump(cli, "client record");
		fixture__dump(srv, "server record");
	}
out:
	fixture__cleanup(&f);
}
