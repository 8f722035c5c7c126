// SPDX-License-Identifier: GPL-2.0
/*
 * wire_timers: closes a TCP timer takes part in, with the peer's timing chosen: FIN_WAIT2
 * given up while the peer stays silent (tcp_fin_timeout, and TCP_LINGER2 on one socket),
 * keepalive probes that the peer answers only at the third, and a close while the peer's
 * window is shut, so that our FIN waits behind window probes.
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>
#include "sock.h"
#include "test.h"
#include "wire.h"

#define STEP_MS 3000
#define FIN_TIMEOUT "2"
#define LINGER2_S 1

/* an orphan's FIN_WAIT2 ends tcp_fin_timeout (or TCP_LINGER2) after the ACK of our FIN */
static void timers__fin_wait2(const char *backend, int family)
{
	static const char *const what[2] = { "tcp_fin_timeout", "TCP_LINGER2" };
	struct peer_seg fin[2], ack[2];
	struct peer_conn c[2];
	int fd[2] = { -1, -1 }, linger2 = LINGER2_S;
	struct wire_when gone;
	double t_close[2];
	json_object *rec;
	struct wire w;

	if (!wire__start(&w, backend, family) ||
	    !ASSERT_OK(netns__sysctl("net.ipv4.tcp_fin_timeout", FIN_TIMEOUT), "tcp_fin_timeout"))
		goto out;
	for (int i = 0; i < 2; i++) {
		peer__conn(&c[i], &w.peer, 80);
		fd[i] = wire__socket(&w, 0);
		if (!ASSERT_GE(fd[i], 0, "socket") || !ASSERT_OK(peer__accept(&c[i], fd[i]), "handshake"))
			goto out;
	}
	if (!ASSERT_OK(setsockopt(fd[1], IPPROTO_TCP, TCP_LINGER2, &linger2, sizeof(linger2)),
		       "TCP_LINGER2"))
		goto out;
	for (int i = 0; i < 2; i++) {
		t_close[i] = peer__now();
		close(fd[i]);
		fd[i] = -1;
		if (!ASSERT_OK(peer__expect(&c[i], TCP_FIN, STEP_MS, &fin[i]), "our FIN") ||
		    !ASSERT_OK(peer__send_next(&c[i], TCP_ACK, NULL, 0), "the peer ACKs it"))
			goto out;
		ack[i] = c[i].sent;
	}
	for (int i = 0; i < 2; i++)
		if (!ASSERT_OK(wire__wait_gone(&c[i], STEP_MS * 2), "FIN_WAIT2 given up"))
			goto out;
	if (!wire__finish(&w))
		goto out;
	ASSERT_EQ(nstat__get(&w.f.delta, "TcpOutRsts"), 0, "TcpOutRsts");
	for (int i = 0; i < 2; i++) {
		rec = wire__record(&w, &c[i]);
		if (!ASSERT_NOT_NULL(rec, what[i]))
			continue;
		wire__check_record(&w, rec, &c[i], &(struct wire_expect){ .pid = getpid(),
							.role = "active",
							.cause = "fin_wait2_timeout",
							.states = "FIN_WAIT1,FIN_WAIT2",
							.fin = &fin[i], .tw_end = "expired"
							}, what[i]);
		wire__check_dwell(&w, rec, "FIN_WAIT1", wire__when(t_close[i], fin[i].ts),
				  wire__by(&ack[i]), what[i]);
		/* the timewait socket that carried FIN_WAIT2 expired between two dumps */
		if (ASSERT_TRUE(wire__gone(&w, &c[i], &gone), "the dumps saw it go"))
			wire__check_dwell(&w, rec, "FIN_WAIT2", wire__by(&ack[i]), gone, what[i]);
		else
			wire__log_dumps(&w, &c[i]);
		if (test__failed())
			fixture__dump(rec, what[i]);
	}
out:
	for (int i = 0; i < 2; i++)
		if (fd[i] >= 0)
			close(fd[i]);
	wire__cleanup(&w);
}

/* keepalive probes every second; the peer lets two go unanswered and answers the third */
static void timers__keepalive(const char *backend, int family)
{
	struct peer_seg probe[3], answer;
	const struct peer_seg *s;
	struct wire_close cl;
	struct peer_conn c;
	struct wire w;
	json_object *rec;
	int fd = -1, fd_close, before = 0;

	if (!wire__start(&w, backend, family))
		goto out;
	peer__conn(&c, &w.peer, 80);
	fd = wire__socket(&w, 0);
	if (!ASSERT_GE(fd, 0, "socket") || !ASSERT_OK(sock__keepalive(fd, 1, 1, 5), "keepalive") ||
	    !ASSERT_OK(peer__accept(&c, fd), "handshake"))
		goto out;
	for (int i = 0; i < 3; i++) {
		if (!ASSERT_OK(peer__expect(&c, TCP_ACK, STEP_MS, &probe[i]), "a keepalive probe") ||
		    !ASSERT_EQ(probe[i].seg.seq, c.rcv_nxt - 1, "it repeats the byte before snd_nxt") ||
		    !ASSERT_EQ(probe[i].seg.len, 0, "it carries nothing"))
			goto out;
	}
	if (!ASSERT_OK(peer__send_next(&c, TCP_ACK, NULL, 0), "the peer answers the third"))
		goto out;
	answer = c.sent;
	fd_close = fd;
	fd = -1;
	if (!wire__close_to_timewait(&c, fd_close, 0, &cl) || !wire__finish(&w))
		goto out;
	/*
	 * A script held up past the interval (a loaded host) answers a fourth probe instead:
	 * the probes that left before the answer came are what the capture says
	 */
	for (int i = 0; (s = peer__find(&c, 0, TCP_ACK, i)); i++)
		before += !s->seg.len && s->seg.seq == probe[0].seg.seq && s->ts < answer.ts;
	ASSERT_GE(before, 3, "probes before the answer");
	ASSERT_EQ(nstat__get(&w.f.delta, "TcpExtTCPKeepAlive"), before, "TcpExtTCPKeepAlive");
	rec = wire__record(&w, &c);
	if (!ASSERT_NOT_NULL(rec, "record"))
		goto out;
	wire__check_record(&w, rec, &c, &(struct wire_expect){ .pid = getpid(),
						.role = "active", .cause = "normal",
						.states = "FIN_WAIT1,FIN_WAIT2,TIME_WAIT",
						.fin = &cl.fin, .pfin = &cl.pfin,
						.tw_end = "purged", .busy = true
						}, "keepalive");
	wire__check_dwell(&w, rec, "FIN_WAIT1", cl.fin_wait1, wire__by(&cl.pfin), "keepalive");
	wire__check_no_restarts(rec, "keepalive");
	ASSERT_REC_INT(rec, "keepalive_probes", before, "keepalive");
	/* the last of them was answered */
	ASSERT_REC_INT(rec, "keepalive_unanswered", before - 1, "keepalive");
	ASSERT_REC_INT(rec, "fin_retrans", 0, "keepalive");
	if (test__failed())
		fixture__dump(rec, "record");
out:
	if (fd >= 0)
		close(fd);
	wire__cleanup(&w);
}

/*
 * The peer offers a window of 0; we write 100 bytes and close, so data and FIN wait while
 * the kernel probes the window (tcp_probe_timer()). FIN_WAIT1 begins at close(), before any
 * FIN is on the wire; the peer then opens the window, and the FIN leaves once, with the data.
 */
static void timers__zero_window(const char *backend, int family)
{
	char data[100] = { 0 };
	struct peer_seg probe, fin, ack;
	struct peer_conn c;
	struct wire w;
	json_object *rec;
	double t_close, t_closed;
	int fd = -1, probes;

	if (!wire__start(&w, backend, family))
		goto out;
	peer__conn(&c, &w.peer, 80);
	c.win = 0;
	fd = wire__socket(&w, 0);
	if (!ASSERT_GE(fd, 0, "socket") || !ASSERT_OK(peer__accept(&c, fd), "handshake") ||
	    !ASSERT_EQ(write(fd, data, sizeof(data)), sizeof(data), "write"))
		goto out;
	t_close = peer__now();
	close(fd);
	t_closed = peer__now();
	fd = -1;
	for (int i = 0; i < 2; i++)
		if (!ASSERT_OK(peer__expect(&c, TCP_ACK, STEP_MS, &probe), "a window probe") ||
		    !ASSERT_EQ(probe.seg.len + !!(probe.seg.flags & TCP_FIN), 0, "it is a bare probe"))
			goto out;
	c.win = PEER_WIN;
	if (!ASSERT_OK(peer__send_next(&c, TCP_ACK, NULL, 0), "the peer opens its window") ||
	    !ASSERT_OK(peer__expect(&c, TCP_FIN, STEP_MS, &fin), "our data and FIN") ||
	    !ASSERT_EQ(fin.seg.len, sizeof(data), "the FIN carries the data"))
		goto out;
	if (!ASSERT_OK(peer__send_next(&c, TCP_FIN | TCP_ACK, NULL, 0), "the peer's FIN-ACK"))
		goto out;
	ack = c.sent;
	if (!wire__finish(&w))
		goto out;
	probes = peer__count(&c, 0, TCP_ACK) - peer__count(&c, 0, TCP_FIN) - 2;
	ASSERT_EQ(nstat__get(&w.f.delta, "TcpExtTCPWinProbe"), probes, "TcpExtTCPWinProbe");
	ASSERT_EQ(peer__count(&c, 0, TCP_FIN), 1, "one FIN on the wire");
	rec = wire__record(&w, &c);
	if (!ASSERT_NOT_NULL(rec, "record"))
		goto out;
	wire__check_record(&w, rec, &c, &(struct wire_expect){ .pid = getpid(),
						.role = "active", .cause = "normal",
						.states = "FIN_WAIT1,FIN_WAIT2,TIME_WAIT",
						.fin = &fin, .pfin = &ack, .tw_end = "purged"
						}, "zero window");
	/* FIN_WAIT1 began inside close(), our FIN only queued; the peer's FIN-ACK ended it */
	wire__check_dwell(&w, rec, "FIN_WAIT1", wire__when(t_close, t_closed), wire__by(&ack),
			  "zero window");
	if (test__failed())
		fixture__dump(rec, "record");
out:
	if (fd >= 0)
		close(fd);
	wire__cleanup(&w);
}

void test_wire_fin_wait2_timeout(void)
{
	wire__each(timers__fin_wait2, false);
}

void test_wire_keepalive_late(void)
{
	wire__each(timers__keepalive, false);
}

void test_wire_zero_window(void)
{
	wire__each(timers__zero_window, false);
}
