// SPDX-License-Identifier: GPL-2.0
/*
 * A simultaneous close: both FINs are dropped once, so the resent FINs cross on the wire
 * and both ends go FIN_WAIT1 -> CLOSING -> TIME_WAIT.
 */
#include "fixture.h"
#include "test.h"

/* as in close_active.c: the receiver's softirq may lag lo's queue on a loaded CPU */
#define WIRE_TOL_MS 5.0
/* the first resend of a lone FIN on loopback: a tail-loss probe after 200 ms (RTO_MIN) */
#define RESEND_MIN_MS 150.0

static void close_simultaneous__check_end(const struct fixture *f, json_object *rec,
					  unsigned short me, unsigned short peer,
					  const char *what)
{
	const struct tcp_seg *first = capture__fin(&f->cap, me, 0);
	const struct tcp_seg *peer_resent = capture__fin(&f->cap, peer, 1);
	const struct tcp_seg *acked;
	char msg[96], buf[160];

	acked = capture__find_ack(&f->cap, peer, tcp_seg__fin_seq(first) + 1, 0);
	snprintf(msg, sizeof(msg), "%s role", what);
	ASSERT_STREQ(json__str(rec, "role"), "simultaneous", msg);
	snprintf(msg, sizeof(msg), "%s has CLOSING", what);
	ASSERT_TRUE(json__has_state(rec, "CLOSING"), msg);
	snprintf(msg, sizeof(msg), "%s states", what);
	ASSERT_STREQ(json__states(rec, buf, sizeof(buf)), "FIN_WAIT1,CLOSING,TIME_WAIT", msg);
	snprintf(msg, sizeof(msg), "%s fin_retrans, against the wire", what);
	ASSERT_EQ(json__int(rec, "fin_retrans", -1), capture__fins(&f->cap, me) - 1, msg);
	snprintf(msg, sizeof(msg), "%s cause", what);
	ASSERT_STREQ(json__str(rec, "cause"), "normal", msg);
	/* FIN_WAIT1 until the peer's FIN arrived; CLOSING until ours was acked */
	snprintf(msg, sizeof(msg), "%s FIN_WAIT1 ms, against the wire", what);
	ASSERT_NEAR(json__dwell(rec, "FIN_WAIT1"),
		    fixture__ms(tcp_seg__tx(first), tcp_seg__rx(peer_resent)), WIRE_TOL_MS, msg);
	snprintf(msg, sizeof(msg), "%s CLOSING ms, against the wire", what);
	ASSERT_NEAR(json__dwell(rec, "CLOSING"),
		    fixture__ms(tcp_seg__rx(peer_resent), tcp_seg__rx(acked)), WIRE_TOL_MS, msg);
}

void test_close_simultaneous(void)
{
	const struct tcp_seg *c0, *c1, *s0, *s1;
	json_object *cli, *srv;
	struct fixture f;

	if (!fixture__start(&f, NULL) || !fixture__run(&f, "simultaneous", NULL))
		goto out;
	test__log("FINs crossed on attempt %d", f.res.attempts);
	ASSERT_EQ(f.res.drops, 2, "FINs the nft rule dropped");
	/* every attempt, crossed or not, leaves both its ends in TIME_WAIT */
	ASSERT_EQ(nstat__get(&f.delta, "TcpExtTW"), 2 * f.res.attempts,
		  "TcpExtTW: both ends of every attempt in TIME_WAIT");
	if (!fixture__finish(&f))
		goto out;

	/* the wire: two FINs each; the resent ones each ack nothing of the other's FIN */
	c0 = capture__fin(&f.cap, f.res.client.port, 0);
	c1 = capture__fin(&f.cap, f.res.client.port, 1);
	s0 = capture__fin(&f.cap, f.res.server.port, 0);
	s1 = capture__fin(&f.cap, f.res.server.port, 1);
	if (!ASSERT_NOT_NULL(c1, "client FIN resent") || !ASSERT_NOT_NULL(s1, "server FIN resent"))
		goto out;
	ASSERT_EQ(capture__fins(&f.cap, f.res.client.port), 2, "FINs from the client");
	ASSERT_EQ(capture__fins(&f.cap, f.res.server.port), 2, "FINs from the server");
	ASSERT_EQ(c1->seq, c0->seq, "client resent the same FIN");
	ASSERT_EQ(s1->seq, s0->seq, "server resent the same FIN");
	ASSERT_EQ(c1->ack, tcp_seg__fin_seq(s0), "client's resent FIN does not ack the server's");
	ASSERT_EQ(s1->ack, tcp_seg__fin_seq(c0), "server's resent FIN does not ack the client's");
	ASSERT_GE(fixture__ms(c0->ts, c1->ts), RESEND_MIN_MS, "client FIN resent after ms");
	ASSERT_GE(fixture__ms(s0->ts, s1->ts), RESEND_MIN_MS, "server FIN resent after ms");
	/* crossed: each resent FIN left before the other one arrived */
	ASSERT_TRUE(c1->ts < tcp_seg__rx(s1), "client FIN resent before the server's arrived");
	ASSERT_TRUE(s1->ts < tcp_seg__rx(c1), "server FIN resent before the client's arrived");
	test__log("wire: FINs %.3f ms apart, resent %.3f and %.3f ms later, %.3f ms apart",
		  fixture__ms(c0->ts, s0->ts), fixture__ms(c0->ts, c1->ts),
		  fixture__ms(s0->ts, s1->ts), fixture__ms(c1->ts, s1->ts));

	cli = fixture__client(&f);
	srv = fixture__server(&f);
	fixture__check_ends(&f, cli, srv);
	if (!cli || !srv)
		goto out;
	close_simultaneous__check_end(&f, cli, f.res.client.port, f.res.server.port, "client");
	close_simultaneous__check_end(&f, srv, f.res.server.port, f.res.client.port, "server");
	ASSERT_REC_STR(cli, "tw_end", "purged", "client");
	ASSERT_REC_STR(srv, "tw_end", "purged", "server");
	fixture__check_fins(&f, cli, srv);
	if (test__failed()) {
		fixture__dump(cli, "client record");
		fixture__dump(srv, "server record");
	}
out:
	fixture__cleanup(&f);
}
