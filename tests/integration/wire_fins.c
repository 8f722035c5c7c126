// SPDX-License-Identifier: GPL-2.0
/*
 * wire_fins: the FINs' numbers when the segments come in orders two kernel sockets over
 * loopback never produce. Each record's fin_seq/fin_ack and peer_fin_seq/peer_fin_ack must
 * be the numbers those FIN segments carried on the wire, whatever the state was when they
 * were taken in.
 */
#include <sys/socket.h>
#include <unistd.h>
#include "test.h"
#include "wire.h"

#define STEP_MS 2000
#define PAUSE_MS 20

static const char data10[10] = "0123456789";

/* the connection every case starts from: the kernel connects to the peer's port 80 */
static bool fins__open(struct wire *w, const char *backend, int family, struct peer_conn *c,
		       int *fd)
{
	if (!wire__start(w, backend, family))
		return false;
	peer__conn(c, &w->peer, 80);
	*fd = wire__socket(w, 0);
	return ASSERT_GE(*fd, 0, "socket") && ASSERT_OK(peer__accept(c, *fd), "handshake");
}

/*
 * shutdown(SHUT_WR) sends our FIN; the peer sends 50 bytes without acknowledging it, we read
 * them, then close() while our FIN is still unacknowledged: the kernel sets FIN_WAIT1 again
 * (tcp_close_state()) and sends nothing. fin_seq/fin_ack are the one FIN's (the issue's
 * defect 2: they were taken again at close(), one past the FIN and with ack 51).
 */
static void fins__shutdown_close(const char *backend, int family)
{
	char data[50] = { 0 }, buf[64];
	struct peer_seg fin, ack, pfin, last;
	struct wire_when tw;
	struct peer_conn c;
	struct wire w;
	json_object *rec;
	double t_shut;
	int fd = -1;

	if (!fins__open(&w, backend, family, &c, &fd))
		goto out;
	t_shut = peer__now();
	if (!ASSERT_OK(shutdown(fd, SHUT_WR), "shutdown(SHUT_WR)") ||
	    !ASSERT_OK(peer__expect(&c, TCP_FIN, STEP_MS, &fin), "our FIN"))
		goto out;
	/* data that acknowledges what came before our FIN, not the FIN */
	if (!ASSERT_OK(peer__send(&c, TCP_ACK | TCP_PSH, c.snd_nxt, fin.seg.seq, data, sizeof(data)),
		       "the peer's 50 bytes") ||
	    !ASSERT_EQ(read(fd, buf, sizeof(buf)), sizeof(data), "we read them"))
		goto out;
	c.snd_nxt += sizeof(data);
	close(fd);
	fd = -1;
	if (!ASSERT_TRUE(peer__quiet(&c, PAUSE_MS) || peer__count(&c, 0, TCP_FIN) == 1,
			 "close() sent no second FIN"))
		goto out;
	if (!ASSERT_OK(peer__send_next(&c, TCP_ACK, NULL, 0), "the peer ACKs our FIN"))
		goto out;
	ack = c.sent;
	usleep(PAUSE_MS * 1000);
	if (!ASSERT_OK(peer__send_next(&c, TCP_FIN | TCP_ACK, NULL, 0), "the peer's FIN"))
		goto out;
	pfin = c.sent;
	/* our ACK of it, past the ACK of the data (and any FIN resent) no step here looked for */
	if (!ASSERT_OK(peer__expect_ack(&c, pfin.seg.seq + 1, STEP_MS, &last), "our ACK of it") ||
	    !wire__finish(&w))
		goto out;
	ASSERT_EQ(peer__count(&c, 0, TCP_FIN), 1, "one FIN from us on the wire");
	rec = wire__record(&w, &c);
	if (!ASSERT_NOT_NULL(rec, "record"))
		goto out;
	wire__check_record(&w, rec, &c, &(struct wire_expect){ .pid = getpid(),
						.role = "active", .cause = "normal",
						.states = "FIN_WAIT1,FIN_WAIT2,TIME_WAIT",
						.fin = &fin, .pfin = &pfin, .tw_end = "purged"
						}, "shutdown+close");
	/*
	 * FIN_WAIT1 began in shutdown(), before our FIN left; close() only set it again. The
	 * orphan's FIN_WAIT2 is a timewait socket: it takes the peer's FIN into TIME_WAIT, then
	 * our ACK leaves (tcp_timewait_state_process(), TCP_TW_ACK)
	 */
	tw = wire__before(wire__by(&pfin), &last);
	wire__check_dwell(&w, rec, "FIN_WAIT1", wire__when(t_shut, fin.ts), wire__by(&ack),
			  "shutdown+close");
	wire__check_dwell(&w, rec, "FIN_WAIT2", wire__by(&ack), tw, "shutdown+close");
	wire__check_dwell(&w, rec, "TIME_WAIT", tw, wire__purge(&w), "shutdown+close");
	ASSERT_REC_INT(rec, "halfclosed_bytes", 0, "shutdown+close");
	if (test__failed())
		fixture__dump(rec, "record");
out:
	if (fd >= 0)
		close(fd);
	wire__cleanup(&w);
}

/*
 * Crossed FINs: the peer's FIN acknowledges only what came before ours, so we go FIN_WAIT1
 * -> CLOSING; its ACK of our FIN then takes us to TIME_WAIT. peer_fin_ack is the ack number
 * in its FIN (the defect 5: our snd_una at the change was reported instead).
 */
static void fins__crossed(const char *backend, int family)
{
	struct peer_seg fin, pfin, ours, ack;
	struct peer_conn c;
	struct wire w;
	json_object *rec;
	double t_close;
	int fd = -1;

	if (!fins__open(&w, backend, family, &c, &fd))
		goto out;
	t_close = peer__now();
	close(fd);
	fd = -1;
	if (!ASSERT_OK(peer__expect(&c, TCP_FIN, STEP_MS, &fin), "our FIN"))
		goto out;
	usleep(PAUSE_MS * 1000);
	/* as if sent before ours arrived: it acknowledges our FIN's sequence number, not the FIN */
	if (!ASSERT_OK(peer__send(&c, TCP_FIN | TCP_ACK, c.snd_nxt, fin.seg.seq, NULL, 0),
			"the peer's crossing FIN"))
		goto out;
	pfin = c.sent;
	c.snd_nxt++;
	if (!ASSERT_OK(peer__expect(&c, TCP_ACK, STEP_MS, &ours), "our ACK of it"))
		goto out;
	usleep(PAUSE_MS * 1000);
	if (!ASSERT_OK(peer__send_next(&c, TCP_ACK, NULL, 0), "the peer ACKs our FIN"))
		goto out;
	ack = c.sent;
	if (!wire__finish(&w))
		goto out;
	rec = wire__record(&w, &c);
	if (!ASSERT_NOT_NULL(rec, "record"))
		goto out;
	wire__check_record(&w, rec, &c, &(struct wire_expect){ .pid = getpid(),
						.role = "simultaneous", .cause = "normal",
						.states = "FIN_WAIT1,CLOSING,TIME_WAIT",
						.fin = &fin, .pfin = &pfin, .tw_end = "purged"
						}, "crossed");
	/* the peer's FIN took us to CLOSING, its ACK of our FIN to TIME_WAIT */
	wire__check_dwell(&w, rec, "FIN_WAIT1", wire__when(t_close, fin.ts), wire__by(&pfin),
			  "crossed");
	wire__check_dwell(&w, rec, "CLOSING", wire__by(&pfin), wire__by(&ack), "crossed");
	wire__check_dwell(&w, rec, "TIME_WAIT", wire__by(&ack), wire__purge(&w), "crossed");
	if (test__failed())
		fixture__dump(rec, "record");
out:
	if (fd >= 0)
		close(fd);
	wire__cleanup(&w);
}

/*
 * The peer's FIN arrives before the 10 bytes it follows, and does not acknowledge our FIN
 * (we only shut down: an orphan would abort on it). The kernel queues it out of order; the
 * data then fills the hole and acknowledges our FIN, which takes us through FIN_WAIT2 and,
 * with the queued FIN, into TIME_WAIT within that one segment. peer_fin_ack is what the FIN
 * segment carried, not what was acknowledged when the kernel took the FIN in.
 */
static void fins__reordered(const char *backend, int family)
{
	struct peer_seg fin, pfin, dup, data, last;
	struct peer_conn c;
	struct wire w;
	json_object *rec;
	double t_shut;
	char buf[32];
	int fd = -1;

	if (!fins__open(&w, backend, family, &c, &fd))
		goto out;
	t_shut = peer__now();
	if (!ASSERT_OK(shutdown(fd, SHUT_WR), "shutdown(SHUT_WR)") ||
	    !ASSERT_OK(peer__expect(&c, TCP_FIN, STEP_MS, &fin), "our FIN"))
		goto out;
	usleep(PAUSE_MS * 1000);
	if (!ASSERT_OK(peer__send(&c, TCP_FIN | TCP_ACK, c.snd_nxt + sizeof(data10), fin.seg.seq,
				  NULL, 0), "the peer's FIN, ahead of its data"))
		goto out;
	pfin = c.sent;
	if (!ASSERT_OK(peer__expect(&c, TCP_ACK, STEP_MS, &dup), "our duplicate ACK") ||
	    !ASSERT_EQ(dup.seg.ack, c.snd_nxt, "it asks for the missing data"))
		goto out;
	usleep(PAUSE_MS * 1000);
	if (!ASSERT_OK(peer__send(&c, TCP_ACK | TCP_PSH, c.snd_nxt, fin.seg.seq + 1, data10,
				  sizeof(data10)), "the data, acknowledging our FIN"))
		goto out;
	data = c.sent;
	c.snd_nxt += sizeof(data10) + 1;
	if (!ASSERT_OK(peer__expect_ack(&c, c.snd_nxt, STEP_MS, &last),
		       "our ACK of data and FIN") ||
	    !ASSERT_EQ(read(fd, buf, sizeof(buf)), sizeof(data10), "we read the data") ||
	    !ASSERT_EQ(read(fd, buf, sizeof(buf)), 0, "then EOF"))
		goto out;
	close(fd);
	fd = -1;
	if (!wire__finish(&w))
		goto out;
	rec = wire__record(&w, &c);
	if (!ASSERT_NOT_NULL(rec, "record"))
		goto out;
	wire__check_record(&w, rec, &c, &(struct wire_expect){ .pid = getpid(),
						.role = "active", .cause = "normal",
						.states = "FIN_WAIT1,FIN_WAIT2,TIME_WAIT",
						.fin = &fin, .pfin = &pfin, .tw_end = "purged"
						}, "reordered");
	/*
	 * The data segment did both: FIN_WAIT2 as it acknowledged our FIN, TIME_WAIT with the
	 * queued FIN, after our ACK of it had left (tcp_fin()): FIN_WAIT2 ran past that stamp
	 */
	wire__check_dwell(&w, rec, "FIN_WAIT1", wire__when(t_shut, fin.ts), wire__by(&data),
			  "reordered");
	wire__check_dwell(&w, rec, "FIN_WAIT2", wire__by(&data), wire__by(&data), "reordered");
	wire__check_dwell(&w, rec, "TIME_WAIT", wire__by(&data), wire__purge(&w), "reordered");
	if (test__failed())
		fixture__dump(rec, "record");
out:
	if (fd >= 0)
		close(fd);
	wire__cleanup(&w);
}

/*
 * Passive closes: the peer's FIN carries its last 10 bytes (peer_fin_seq is after them),
 * and with dup the FIN comes twice more, in CLOSE_WAIT and in LAST_ACK: the duplicates
 * change nothing (the kernel answers each with an ACK).
 */
static void fins__passive(const char *backend, int family, bool with_data, bool dup)
{
	const char *what = with_data ? "FIN with data" : "duplicate FINs";
	struct peer_seg fin, pfin, ack, reply;
	struct wire_when closing;
	struct peer_conn c;
	struct wire w;
	json_object *rec;
	double t_close;
	char buf[32];
	int fd = -1;

	if (!fins__open(&w, backend, family, &c, &fd))
		goto out;
	if (!ASSERT_OK(peer__send_next(&c, TCP_FIN | TCP_ACK | (with_data ? TCP_PSH : 0),
				       with_data ? data10 : NULL, with_data ? sizeof(data10) : 0),
		       "the peer's FIN"))
		goto out;
	pfin = c.sent;
	if (!ASSERT_OK(peer__expect(&c, TCP_ACK, STEP_MS, &reply), "our ACK of it") ||
	    !ASSERT_EQ(read(fd, buf, sizeof(buf)), with_data ? sizeof(data10) : 0, "we read") ||
	    (with_data && !ASSERT_EQ(read(fd, buf, sizeof(buf)), 0, "then EOF")))
		goto out;
	if (dup) {
		usleep(PAUSE_MS * 1000);
		if (!ASSERT_OK(peer__send(&c, pfin.seg.flags, pfin.seg.seq, pfin.seg.ack, NULL, 0),
			       "the FIN again, in CLOSE_WAIT") ||
		    !ASSERT_OK(peer__expect(&c, TCP_ACK, STEP_MS, &reply), "our ACK"))
			goto out;
	}
	usleep(PAUSE_MS * 1000);
	t_close = peer__now();
	close(fd);
	fd = -1;
	if (!ASSERT_OK(peer__expect(&c, TCP_FIN, STEP_MS, &fin), "our FIN"))
		goto out;
	if (dup) {
		usleep(PAUSE_MS * 1000);
		if (!ASSERT_OK(peer__send(&c, pfin.seg.flags, pfin.seg.seq, pfin.seg.ack, NULL, 0),
			       "the FIN again, in LAST_ACK") ||
		    !ASSERT_OK(peer__expect(&c, TCP_ACK, STEP_MS, &reply), "our ACK"))
			goto out;
	}
	usleep(PAUSE_MS * 1000);
	if (!ASSERT_OK(peer__send_next(&c, TCP_ACK, NULL, 0), "the peer ACKs our FIN"))
		goto out;
	ack = c.sent;
	if (!wire__finish(&w))
		goto out;
	ASSERT_EQ(peer__count(&c, 0, TCP_FIN), 1, "one FIN from us");
	rec = wire__record(&w, &c);
	if (!ASSERT_NOT_NULL(rec, what))
		goto out;
	wire__check_record(&w, rec, &c, &(struct wire_expect){ .pid = getpid(),
						.role = "passive", .cause = "normal",
						.states = "CLOSE_WAIT,LAST_ACK", .fin = &fin,
						.pfin = &pfin }, what);
	/* LAST_ACK began inside close(), before our FIN left; duplicate FINs changed nothing */
	closing = wire__when(t_close, fin.ts);
	wire__check_dwell(&w, rec, "CLOSE_WAIT", wire__by(&pfin), closing, what);
	wire__check_dwell(&w, rec, "LAST_ACK", closing, wire__by(&ack), what);
	if (test__failed())
		fixture__dump(rec, "record");
out:
	if (fd >= 0)
		close(fd);
	wire__cleanup(&w);
}

static void fins__with_data(const char *backend, int family)
{
	fins__passive(backend, family, true, false);
}

static void fins__duplicate(const char *backend, int family)
{
	fins__passive(backend, family, false, true);
}

void test_wire_fin_shutdown_close(void)
{
	wire__each(fins__shutdown_close, false);
}

void test_wire_fin_crossed(void)
{
	wire__each(fins__crossed, false);
}

void test_wire_fin_reordered(void)
{
	wire__each(fins__reordered, false);
}

void test_wire_fin_with_data(void)
{
	wire__each(fins__with_data, false);
}

void test_wire_fin_duplicate(void)
{
	wire__each(fins__duplicate, false);
}
