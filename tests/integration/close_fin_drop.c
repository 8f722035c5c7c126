// SPDX-License-Identifier: GPL-2.0
/*
 * Lost FINs: the client's FIN, or the client's ACK of the server's FIN, is dropped once,
 * and the record's fin_retrans must equal the resent FINs on the wire.
 */
#include "fixture.h"
#include "test.h"

/* how the kernel resent: tail-loss probe or RTO; the counters say */
static void close_fin_drop__log_counters(const struct fixture *f)
{
	test__log("nstat: TcpRetransSegs %lld TcpExtTCPLossProbes %lld TcpExtTCPTimeouts %lld",
		  nstat__get(&f->delta, "TcpRetransSegs"),
		  nstat__get(&f->delta, "TcpExtTCPLossProbes"),
		  nstat__get(&f->delta, "TcpExtTCPTimeouts"));
}

/* the resends are counted on the retransmit timer, which each backend hooks its own way */
static void close_fin_drop__run(const char *backend)
{
	const struct tcp_seg *c0, *clast, *acked;
	json_object *cli, *srv;
	struct fixture f;
	int fins;

	if (!fixture__start_backend(&f, backend) || !fixture__run(&f, "fin_drop", NULL))
		goto out;
	close_fin_drop__log_counters(&f);
	fins = capture__fins(&f.cap, f.res.client.port);
	/* once, or more if nft was slower to remove than the kernel to resend */
	ASSERT_GE(f.res.drops, 1, "client FINs the nft rule dropped");
	/* each dropped FIN left (the capture saw it) and was resent */
	if (!ASSERT_GE(fins, f.res.drops + 1, "client FINs on the wire"))
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
	/* FIN_WAIT1 until the resent FIN was acked */
	fixture__judge(&f, cli, 0, "client");
	fixture__judge(&f, srv, 0, "server");
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

void test_close_fin_drop(void)
{
	fixture__each_backend(close_fin_drop__run);
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
	ASSERT_GE(f.res.drops, 1, "client ACKs the nft rule dropped");
	/* each dropped ACK left the server's FIN unacked: resent */
	if (!ASSERT_GE(fins, f.res.drops + 1, "server FINs on the wire"))
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
	/* the first ACKs of the server's FIN were dropped; the one after them got through */
	acked = capture__find_ack(&f.cap, f.res.client.port, tcp_seg__fin_seq(s0) + 1,
				  f.res.drops);
	test__log("wire: server FIN resent %d times, last at %.3f ms, acked at %.3f ms", fins - 1,
		  fixture__ms(s0->ts, slast->ts),
		  acked ? fixture__ms(s0->ts, tcp_seg__rx(acked)) : -1.0);

	ASSERT_TRUE(json__has_state(srv, "LAST_ACK"), "server has LAST_ACK");
	ASSERT_REC_STATES(srv, "CLOSE_WAIT,LAST_ACK", "server");
	ASSERT_GE(json__int(srv, "fin_retrans", -1), 1, "server fin_retrans");
	ASSERT_REC_INT(srv, "fin_retrans", fins - 1, "server (resent FINs on the wire)");
	ASSERT_REC_STR(srv, "role", "passive", "server");
	/* LAST_ACK until its resent FIN was acked */
	fixture__judge(&f, srv, 0, "server");
	fixture__judge(&f, cli, 0, "client");
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
