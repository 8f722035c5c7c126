// SPDX-License-Identifier: GPL-2.0
/*
 * wire_timewait: segments that reach a TIME_WAIT (tcp_timewait_state_process()). A reset
 * out of sequence is dropped; an ACK out of the window is answered (a challenge ACK) and,
 * as any segment with an ACK there, restarts the 2MSL timer; a SYN above rcv_nxt takes the
 * 4-tuple for a new connection (tw_end syn); one below it is answered with an ACK and
 * leaves the TIME_WAIT, and its timer, alone.
 */
#include <unistd.h>
#include "test.h"
#include "wire.h"

#define STEP_MS 2000
#define PAUSE_MS 200

/*
 * The kernel's side closes first, as a server: the peer connects to our listener, which
 * stays open (in *lfd) to take a new SYN.
 */
static bool tw__server_close(struct wire *w, const char *backend, int family,
			     struct peer_conn *c, struct wire_close *cl, int *lfd)
{
	unsigned short port;
	int fd;

	if (!wire__start(w, backend, family))
		return false;
	*lfd = wire__listen(w, &port);
	peer__conn(c, &w->peer, 40000);
	if (!ASSERT_GE(*lfd, 0, "listen") || !ASSERT_OK(peer__connect(c, port), "handshake"))
		return false;
	fd = accept(*lfd, NULL, NULL);
	return ASSERT_GE(fd, 0, "accept") && wire__close_to_timewait(c, fd, 0, cl);
}

static void tw__check(const struct wire *w, json_object *rec, const struct peer_conn *c,
		      const struct wire_close *cl, const char *what)
{
	wire__check_ends(w, rec, c, getpid(), what);
	wire__check_kind(rec, "active", "normal", NULL, "FIN_WAIT1,FIN_WAIT2,TIME_WAIT", what);
	wire__check_dwell(w, rec, "FIN_WAIT1", cl->fin_wait1, wire__by(&cl->pfin), what);
	wire__check_dwell(w, rec, "FIN_WAIT2", wire__by(&cl->pfin), wire__by(&cl->pfin), what);
	wire__check_fin(rec, &cl->fin, what);
	wire__check_peer_fin(rec, &cl->pfin, what);
	wire__check_quiet(rec, c, what);
}

/* a reset out of sequence, then an ACK out of the window, PAUSE_MS apart */
static void tw__challenge(const char *backend, int family)
{
	struct peer_seg ack;
	struct peer_conn c;
	struct wire_close cl;
	struct wire w;
	json_object *rec;
	struct peer_seg oow;
	struct wire_when restart;
	uint32_t rcv_nxt;
	int lfd = -1;

	if (!tw__server_close(&w, backend, family, &c, &cl, &lfd))
		goto out;
	rcv_nxt = cl.pfin.seg.seq + 1;
	usleep(PAUSE_MS * 1000);
	if (!ASSERT_OK(peer__send(&c, TCP_RST, rcv_nxt + 100000, 0, NULL, 0), "a stray reset") ||
	    !ASSERT_TRUE(peer__quiet(&c, PAUSE_MS), "dropped without an answer") ||
	    !ASSERT_OK(peer__send(&c, TCP_ACK, rcv_nxt + 100000, cl.pfin.seg.ack, NULL, 0),
		       "an ACK out of the window"))
		goto out;
	oow = c.sent;
	if (!ASSERT_OK(peer__expect(&c, TCP_ACK, STEP_MS, &ack), "our challenge ACK") ||
	    !ASSERT_EQ(ack.seg.ack, rcv_nxt, "it acknowledges the peer's FIN"))
		goto out;
	close(lfd);
	lfd = -1;
	if (!wire__finish(&w))
		goto out;
	rec = wire__record(&w, &c);
	if (!ASSERT_NOT_NULL(rec, "record"))
		goto out;
	tw__check(&w, rec, &c, &cl, "challenge");
	wire__check_tw_end(rec, "purged", "challenge");
	wire__check_dwell(&w, rec, "TIME_WAIT", wire__by(&cl.pfin), wire__purge(&w), "challenge");
	/*
	 * The out-of-window ACK restarted 2MSL (inet_twsk_reschedule()), before our challenge
	 * ACK left; the reset did not
	 */
	restart = wire__before(wire__by(&oow), &ack);
	wire__check_restarts(&w, rec, 1, wire__by(&cl.pfin), restart, restart, "challenge");
	if (test__failed())
		fixture__dump(rec, "record");
out:
	if (lfd >= 0)
		close(lfd);
	wire__cleanup(&w);
}

/* a new SYN from the same port: above rcv_nxt it takes the TIME_WAIT, below it does not */
static void tw__syn(const char *backend, int family, bool higher)
{
	const char *what = higher ? "SYN above" : "SYN below";
	struct peer_seg syn, reply;
	struct peer_conn c;
	struct wire_close cl;
	struct wire w;
	json_object *rec;
	uint32_t rcv_nxt, isn;
	int lfd = -1;

	if (!tw__server_close(&w, backend, family, &c, &cl, &lfd))
		goto out;
	rcv_nxt = cl.pfin.seg.seq + 1;
	isn = higher ? rcv_nxt + 100000 : rcv_nxt - 100000;
	usleep(PAUSE_MS * 1000);
	if (!ASSERT_OK(peer__send(&c, TCP_SYN, isn, 0, NULL, 0), what))
		goto out;
	syn = c.sent;
	if (higher) {
		/* the new connection's SYN-ACK; the peer gives that handshake up */
		if (!ASSERT_OK(peer__expect(&c, TCP_SYN | TCP_ACK, STEP_MS, &reply), "a SYN-ACK") ||
		    !ASSERT_EQ(reply.seg.ack, isn + 1, "it answers the new SYN") ||
		    !ASSERT_OK(peer__send(&c, TCP_RST, isn + 1, 0, NULL, 0), "the peer resets it"))
			goto out;
	} else if (!ASSERT_OK(peer__expect(&c, TCP_ACK, STEP_MS, &reply), "our ACK") ||
		   !ASSERT_EQ(reply.seg.ack, rcv_nxt, "it acknowledges the old FIN")) {
		goto out;
	}
	close(lfd);
	lfd = -1;
	if (!wire__finish(&w))
		goto out;
	rec = wire__record(&w, &c);
	if (!ASSERT_NOT_NULL(rec, what))
		goto out;
	tw__check(&w, rec, &c, &cl, what);
	if (higher) {
		/*
		 * The SYN ends the TIME_WAIT, and the listener then answers it (tcp_v4_rcv(),
		 * TCP_TW_SYN): before the SYN-ACK left
		 */
		wire__check_tw_end(rec, "syn", what);
		wire__check_dwell(&w, rec, "TIME_WAIT", wire__by(&cl.pfin),
				  wire__before(wire__by(&syn), &reply), what);
	} else {
		wire__check_tw_end(rec, "purged", what);
		wire__check_dwell(&w, rec, "TIME_WAIT", wire__by(&cl.pfin), wire__purge(&w), what);
	}
	/* an ACK-less SYN does not restart 2MSL */
	wire__check_no_restarts(rec, what);
	if (test__failed())
		fixture__dump(rec, "record");
out:
	if (lfd >= 0)
		close(lfd);
	wire__cleanup(&w);
}

static void tw__syn_higher(const char *backend, int family)
{
	tw__syn(backend, family, true);
}

static void tw__syn_lower(const char *backend, int family)
{
	tw__syn(backend, family, false);
}

void test_wire_tw_challenge_ack(void)
{
	wire__each(tw__challenge, false);
}

void test_wire_tw_syn_higher(void)
{
	wire__each(tw__syn_higher, false);
}

void test_wire_tw_syn_lower(void)
{
	wire__each(tw__syn_lower, false);
}
