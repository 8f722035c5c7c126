// SPDX-License-Identifier: GPL-2.0
/*
 * wire_orderly: the plain closes against a scripted peer, both families: our FIN first
 * (active), the peer's first (passive). They show the scripted peer and the judging at work
 * on closes every tracer must get right, and set the pattern the other wire tests follow.
 */
#include <unistd.h>
#include "test.h"
#include "wire.h"

#define STEP_MS 2000
#define PAUSE_MS 30

/* we close first; the peer acknowledges our FIN, then sends its own; purge ends TIME_WAIT */
static void wire_orderly__active(const char *backend, int family)
{
	struct peer_seg fin, ack, pfin, last;
	struct wire_when tw;
	struct peer_conn c;
	struct wire w;
	json_object *rec;
	double t_close;
	int fd = -1;

	if (!wire__start_connected(&w, backend, family, &c, &fd))
		goto out;
	t_close = peer__now();
	close(fd);
	fd = -1;
	if (!ASSERT_OK(peer__expect(&c, TCP_FIN, STEP_MS, &fin), "our FIN"))
		goto out;
	usleep(PAUSE_MS * 1000);
	if (!ASSERT_OK(peer__send_next(&c, TCP_ACK, NULL, 0), "peer ACKs our FIN"))
		goto out;
	ack = c.sent;
	usleep(PAUSE_MS * 1000);
	if (!ASSERT_OK(peer__send_next(&c, TCP_FIN | TCP_ACK, NULL, 0), "peer FIN"))
		goto out;
	pfin = c.sent;
	if (!ASSERT_OK(peer__expect_ack(&c, pfin.seg.seq + 1, STEP_MS, &last),
		       "our ACK of the peer FIN") ||
	    !wire__finish(&w))
		goto out;

	ASSERT_EQ(nstat__get(&w.f.delta, "TcpRetransSegs"), 0, "TcpRetransSegs");
	rec = wire__record(&w, &c);
	if (!ASSERT_NOT_NULL(rec, "record"))
		goto out;
	wire__check_record(&w, rec, &c, &(struct wire_expect){ .pid = getpid(),
						.role = "active", .cause = "normal",
						.states = "FIN_WAIT1,FIN_WAIT2,TIME_WAIT",
						.fin = &fin, .pfin = &pfin, .tw_end = "purged"
						}, "active");
	/*
	 * FIN_WAIT1 began inside close(), before our FIN left; the peer's segments did the rest.
	 * The orphan's FIN_WAIT2 is a timewait socket: it takes the peer's FIN into TIME_WAIT,
	 * then our ACK leaves (tcp_timewait_state_process(), TCP_TW_ACK)
	 */
	tw = wire__before(wire__by(&pfin), &last);
	wire__check_dwell(&w, rec, "FIN_WAIT1", wire__when(t_close, fin.ts), wire__by(&ack),
			  "active");
	wire__check_dwell(&w, rec, "FIN_WAIT2", wire__by(&ack), tw, "active");
	wire__check_dwell(&w, rec, "TIME_WAIT", tw, wire__purge(&w), "active");
	ASSERT_REC_INT(rec, "halfclosed_bytes", 0, "active");
	if (test__failed())
		fixture__dump(rec, "record");
out:
	if (fd >= 0)
		close(fd);
	wire__cleanup(&w);
}

/* the peer closes first; we close PAUSE_MS later, and the peer acknowledges our FIN */
static void wire_orderly__passive(const char *backend, int family)
{
	struct peer_seg fin, pfin, ack;
	struct peer_conn c;
	struct wire w;
	json_object *rec;
	double t_close;
	int fd = -1;
	char buf[8];

	if (!wire__start(&w, backend, family))
		goto out;
	peer__conn(&c, &w.peer, 80);
	fd = wire__socket(&w, 0);
	if (!ASSERT_GE(fd, 0, "socket") || !ASSERT_OK(peer__accept(&c, fd), "handshake") ||
	    !ASSERT_OK(peer__send_next(&c, TCP_FIN | TCP_ACK, NULL, 0), "peer FIN"))
		goto out;
	pfin = c.sent;
	if (!ASSERT_EQ(read(fd, buf, sizeof(buf)), 0, "we read EOF"))
		goto out;
	usleep(PAUSE_MS * 1000);
	t_close = peer__now();
	close(fd);
	fd = -1;
	if (!ASSERT_OK(peer__expect(&c, TCP_FIN, STEP_MS, &fin), "our FIN"))
		goto out;
	usleep(PAUSE_MS * 1000);
	if (!ASSERT_OK(peer__send_next(&c, TCP_ACK, NULL, 0), "peer ACKs our FIN"))
		goto out;
	ack = c.sent;
	if (!wire__finish(&w))
		goto out;

	rec = wire__record(&w, &c);
	if (!ASSERT_NOT_NULL(rec, "record"))
		goto out;
	wire__check_record(&w, rec, &c, &(struct wire_expect){ .pid = getpid(),
						.role = "passive", .cause = "normal",
						.states = "CLOSE_WAIT,LAST_ACK", .fin = &fin,
						.pfin = &pfin }, "passive");
	/* LAST_ACK began inside close(), before our FIN left */
	wire__check_dwell(&w, rec, "CLOSE_WAIT", wire__by(&pfin), wire__when(t_close, fin.ts),
			  "passive");
	wire__check_dwell(&w, rec, "LAST_ACK", wire__when(t_close, fin.ts), wire__by(&ack),
			  "passive");
	if (test__failed())
		fixture__dump(rec, "record");
out:
	if (fd >= 0)
		close(fd);
	wire__cleanup(&w);
}

void test_wire_orderly_active(void)
{
	wire__each(wire_orderly__active, true);
}

void test_wire_orderly_passive(void)
{
	wire__each(wire_orderly__passive, true);
}
