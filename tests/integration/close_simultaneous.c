// SPDX-License-Identifier: GPL-2.0
/*
 * A simultaneous close: both FINs are dropped once, so the resent FINs cross on the wire
 * and both ends go FIN_WAIT1 -> CLOSING -> TIME_WAIT.
 */
#include "fixture.h"
#include "test.h"
#include "tw.h"

/* the nth FIN from sport to dport (the server's port serves every attempt); NULL; how many */
static const struct tcp_seg *close_simultaneous__fin(const struct capture *cap,
						    unsigned short sport, unsigned short dport,
						    int nth, int *count)
{
	const struct tcp_seg *found = NULL;
	int n = 0;

	for (size_t i = 0; i < cap->n; i++) {
		const struct tcp_seg *s = &cap->segs[i];

		if (s->sport != sport || s->dport != dport || !(s->flags & TCP_FIN))
			continue;
		if (n++ == nth)
			found = s;
	}
	if (count)
		*count = n;
	return found;
}

/* the first resend of a lone FIN on loopback: a tail-loss probe after 200 ms (RTO_MIN) */
#define RESEND_MIN_MS 150.0

static void close_simultaneous__check_end(const struct fixture *f, json_object *rec,
					  unsigned short me, unsigned short peer,
					  const char *what)
{
	char msg[96], buf[160];
	int fins;

	close_simultaneous__fin(&f->cap, me, peer, 0, &fins);
	snprintf(msg, sizeof(msg), "%s role", what);
	ASSERT_STREQ(json__str(rec, "role"), "simultaneous", msg);
	snprintf(msg, sizeof(msg), "%s has CLOSING", what);
	ASSERT_TRUE(json__has_state(rec, "CLOSING"), msg);
	snprintf(msg, sizeof(msg), "%s states", what);
	ASSERT_STREQ(json__states(rec, buf, sizeof(buf)), "FIN_WAIT1,CLOSING,TIME_WAIT", msg);
	snprintf(msg, sizeof(msg), "%s fin_retrans, against the wire", what);
	ASSERT_EQ(json__int(rec, "fin_retrans", -1), fins - 1, msg);
	snprintf(msg, sizeof(msg), "%s cause", what);
	ASSERT_STREQ(json__str(rec, "cause"), "normal", msg);
	/* FIN_WAIT1 until the peer's FIN arrived; CLOSING until ours was acked */
	fixture__judge(f, rec, 0, what);
}

void test_close_simultaneous(void)
{
	const struct tcp_seg *c0, *c1, *s0, *s1;
	unsigned short cport, sport;
	json_object *cli, *srv;
	struct fixture f;
	int cfins, sfins;

	if (!fixture__start(&f, NULL) || !fixture__run(&f, "simultaneous", NULL))
		goto out;
	test__log("FINs crossed on attempt %d", f.res.attempts);
	/* nft may be removed only after it dropped resends too, on a slow host */
	ASSERT_GE(f.res.drops, 2, "FINs the nft rule dropped");
	/* every attempt, crossed or not, leaves both its ends in TIME_WAIT */
	ASSERT_EQ(tw__made(&f, false), 2 * f.res.attempts,
		  "timewait sockets made (tw.h): both ends of every attempt");
	if (!fixture__finish(&f))
		goto out;

	/*
	 * The wire: each end's FIN, resent at least once. The last ones crossed: each acks
	 * nothing of the other's FIN, so neither end had taken the other's in when it sent its
	 * last. Not by their times: a segment's arrival is stamped as lo queues it for its
	 * receiver (tcp_seg__rx()), which softirq may take in milliseconds later; in the
	 * emulated 5.10 guest a FIN queued 2.4 ms before the other end's last left was taken
	 * in after it.
	 */
	cport = f.res.client.port;
	sport = f.res.server.port;
	c0 = close_simultaneous__fin(&f.cap, cport, sport, 0, &cfins);
	s0 = close_simultaneous__fin(&f.cap, sport, cport, 0, &sfins);
	if (!ASSERT_GE(cfins, 2, "FINs from the client") ||
	    !ASSERT_GE(sfins, 2, "FINs from the server"))
		goto out;
	/* every FIN dropped was captured leaving, and resent */
	ASSERT_GE(cfins + sfins - 2, f.res.drops, "FINs resent, at least those dropped");
	c1 = close_simultaneous__fin(&f.cap, cport, sport, cfins - 1, NULL);
	s1 = close_simultaneous__fin(&f.cap, sport, cport, sfins - 1, NULL);
	ASSERT_EQ(c1->seq, c0->seq, "client resent the same FIN");
	ASSERT_EQ(s1->seq, s0->seq, "server resent the same FIN");
	ASSERT_EQ(c1->ack, tcp_seg__fin_seq(s0), "client's last FIN does not ack the server's");
	ASSERT_EQ(s1->ack, tcp_seg__fin_seq(c0), "server's last FIN does not ack the client's");
	ASSERT_GE(fixture__ms(c0->ts, c1->ts), RESEND_MIN_MS, "client FIN resent after ms");
	ASSERT_GE(fixture__ms(s0->ts, s1->ts), RESEND_MIN_MS, "server FIN resent after ms");
	test__log("wire: FINs %.3f ms apart, %d and %d sent, the last %.3f ms apart",
		  fixture__ms(c0->ts, s0->ts), cfins, sfins, fixture__ms(c1->ts, s1->ts));

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
