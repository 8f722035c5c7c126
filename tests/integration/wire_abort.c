// SPDX-License-Identifier: GPL-2.0
/*
 * wire_abort: connections the kernel resets itself, and a reset it must ignore. Which end
 * sent the reset is on the wire; why is in the kernel's counters (TcpExtTCPAbortOnData).
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>
#include "netns.h"
#include "test.h"
#include "wire.h"

#define STEP_MS 2000
#define PAUSE_MS 20

static const char data10[10] = "0123456789";

/*
 * close(), then the peer sends data to the orphan in FIN_WAIT1: the kernel aborts and
 * sends the reset itself (tcp_rcv_state_process(): "RFC 1122 says we MUST send a reset").
 * With ack_fin the data also acknowledges our FIN, so the orphan passes through FIN_WAIT2
 * first. The defect 3: recorded as rst_received, since tcp_reset() runs the
 * receive-reset tracepoint on the first path.
 */
static void abort__data_after_close(const char *backend, int family, bool ack_fin)
{
	const char *what = ack_fin ? "data acking our FIN" : "data after close";
	struct peer_seg fin, data, rst;
	struct wire_when end;
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
	if (!ASSERT_OK(peer__send(&c, TCP_ACK | TCP_PSH, c.snd_nxt,
				  ack_fin ? fin.seg.seq + 1 : fin.seg.seq, data10, sizeof(data10)),
		       "the peer's data"))
		goto out;
	data = c.sent;
	if (!ASSERT_OK(peer__expect(&c, TCP_RST, STEP_MS, &rst), "our reset") ||
	    !wire__finish(&w))
		goto out;
	ASSERT_EQ(nstat__get(&w.f.delta, "TcpExtTCPAbortOnData"), 1, "TcpExtTCPAbortOnData");
	ASSERT_EQ(nstat__get(&w.f.delta, "TcpOutRsts"), 1, "TcpOutRsts");
	ASSERT_EQ(peer__count(&c, 0, TCP_RST), 1, "resets from us on the wire");
	rec = wire__record(&w, &c);
	if (!ASSERT_NOT_NULL(rec, what))
		goto out;
	wire__check_record(&w, rec, &c, &(struct wire_expect){ .pid = getpid(),
						.role = "aborted", .cause = "rst_sent",
						.rst_reason = "data_after_close",
						.states = ack_fin ? "FIN_WAIT1,FIN_WAIT2" : "FIN_WAIT1",
						.fin = &fin }, what);
	/*
	 * It ends as the data is taken in, and before our reset leaves: tcp_rcv_state_process()
	 * closes the socket, then its caller sends the reset. With ack_fin FIN_WAIT2 lies
	 * within that too.
	 */
	end = wire__before(wire__by(&data), &rst);
	wire__check_dwell(&w, rec, "FIN_WAIT1", wire__when(t_close, fin.ts), end, what);
	if (ack_fin)
		wire__check_dwell(&w, rec, "FIN_WAIT2", end, end, what);
	if (test__failed())
		fixture__dump(rec, "record");
out:
	if (fd >= 0)
		close(fd);
	wire__cleanup(&w);
}

static void abort__data_in_fin_wait1(const char *backend, int family)
{
	abort__data_after_close(backend, family, false);
}

static void abort__data_in_fin_wait2(const char *backend, int family)
{
	abort__data_after_close(backend, family, true);
}

/*
 * The peer connects and sends 10 bytes that nobody reads, and the listener closes before
 * accept(): inet_csk_listen_stop() resets the child. The defect 4: recorded as
 * unread_data, which tcp_close() checks first; the reset is the listener's closing. With
 * tfo the 10 bytes ride on the SYN (TCP Fast Open, no cookie asked): the child is made in
 * SYN_RECV, holding them, and goes the same way.
 */
static void abort__listener_closed_with(const char *backend, int family, bool tfo)
{
	const char *what = tfo ? "fast open child" : "child";
	int lfd = -1, qlen = 8;
	struct peer_seg seg;
	struct peer_conn c;
	unsigned short port;
	struct wire w;
	json_object *rec;

	if (!wire__start(&w, backend, family))
		goto out;
	/* server on (2), and data in a SYN without a cookie taken (0x200) */
	if (tfo && !ASSERT_OK(netns__sysctl("net.ipv4.tcp_fastopen", "514"), "tcp_fastopen"))
		goto out;
	lfd = wire__listen(&w, &port);
	peer__conn(&c, &w.peer, 40000);
	if (!ASSERT_GE(lfd, 0, "listen"))
		goto out;
	if (tfo) {
		c.lport = port;
		if (!ASSERT_OK(setsockopt(lfd, IPPROTO_TCP, TCP_FASTOPEN, &qlen, sizeof(qlen)),
			       "TCP_FASTOPEN") ||
		    !ASSERT_OK(peer__send_next(&c, TCP_SYN, data10, sizeof(data10)), "SYN with data") ||
		    !ASSERT_OK(peer__expect(&c, TCP_SYN | TCP_ACK, STEP_MS, &seg), "SYN-ACK") ||
		    !ASSERT_EQ(seg.seg.ack, c.snd_nxt, "it acknowledges the SYN's data"))
			goto out;
	} else if (!ASSERT_OK(peer__connect(&c, port), "handshake") ||
		   !ASSERT_OK(peer__send_next(&c, TCP_ACK | TCP_PSH, data10, sizeof(data10)), "data") ||
		   !ASSERT_OK(peer__expect(&c, TCP_ACK, STEP_MS, &seg), "the child ACKs it")) {
		goto out;
	}
	close(lfd);
	lfd = -1;
	if (!ASSERT_OK(peer__expect(&c, TCP_RST, STEP_MS, &seg), "the child's reset") ||
	    !wire__finish(&w))
		goto out;
	ASSERT_EQ(nstat__get(&w.f.delta, "TcpOutRsts"), 1, "TcpOutRsts");
	if (tfo)
		ASSERT_EQ(nstat__get(&w.f.delta, "TcpExtTCPFastOpenPassive"), 1,
			  "TcpExtTCPFastOpenPassive");
	rec = wire__record(&w, &c);
	if (!ASSERT_NOT_NULL(rec, what))
		goto out;
	/* the reset ran in our close() of the listener: process context, ours */
	wire__check_record(&w, rec, &c, &(struct wire_expect){
		.pid = getpid(), .role = "aborted", .cause = "rst_sent",
		.rst_reason = "listener_closed", .states = "",
	}, what);
	if (test__failed())
		fixture__dump(rec, "record");
out:
	if (lfd >= 0)
		close(lfd);
	wire__cleanup(&w);
}

static void abort__listener_closed(const char *backend, int family)
{
	abort__listener_closed_with(backend, family, false);
}

static void abort__listener_closed_tfo(const char *backend, int family)
{
	abort__listener_closed_with(backend, family, true);
}

/*
 * Resets the kernel must not act on (RFC 5961): one far outside the window, dropped; one
 * in the window but not at rcv_nxt, answered with a challenge ACK. The connection then
 * closes normally, and its record says nothing of a reset.
 */
static void abort__bad_rst(const char *backend, int family)
{
	struct peer_seg challenge, pfin, fin, ack;
	struct peer_conn c;
	struct wire w;
	json_object *rec;
	double t_close;
	char buf[8];
	int fd = -1;

	if (!wire__start(&w, backend, family))
		goto out;
	peer__conn(&c, &w.peer, 80);
	fd = wire__socket(&w, 0);
	if (!ASSERT_GE(fd, 0, "socket") || !ASSERT_OK(peer__accept(&c, fd), "handshake") ||
	    !ASSERT_OK(peer__send(&c, TCP_RST, c.snd_nxt + 0x40000000u, 0, NULL, 0),
		       "a reset out of the window") ||
	    !ASSERT_TRUE(peer__quiet(&c, PAUSE_MS), "dropped without an answer") ||
	    !ASSERT_OK(peer__send(&c, TCP_RST, c.snd_nxt + 1, 0, NULL, 0),
		       "a reset in the window, not at rcv_nxt") ||
	    !ASSERT_OK(peer__expect(&c, TCP_ACK, STEP_MS, &challenge), "our challenge ACK") ||
	    !ASSERT_EQ(challenge.seg.ack, c.snd_nxt, "it asks for rcv_nxt"))
		goto out;
	if (!ASSERT_OK(peer__send_next(&c, TCP_FIN | TCP_ACK, NULL, 0), "the peer's FIN"))
		goto out;
	pfin = c.sent;
	if (!ASSERT_EQ(read(fd, buf, sizeof(buf)), 0, "we read EOF"))
		goto out;
	t_close = peer__now();
	close(fd);
	fd = -1;
	if (!ASSERT_OK(peer__expect(&c, TCP_FIN, STEP_MS, &fin), "our FIN"))
		goto out;
	usleep(PAUSE_MS * 1000);
	if (!ASSERT_OK(peer__send_next(&c, TCP_ACK, NULL, 0), "the peer ACKs it"))
		goto out;
	ack = c.sent;
	if (!wire__finish(&w))
		goto out;
	ASSERT_EQ(nstat__get(&w.f.delta, "TcpExtTCPChallengeACK"), 1, "TcpExtTCPChallengeACK");
	ASSERT_EQ(nstat__get(&w.f.delta, "TcpEstabResets"), 0, "TcpEstabResets");
	rec = wire__record(&w, &c);
	if (!ASSERT_NOT_NULL(rec, "record"))
		goto out;
	wire__check_record(&w, rec, &c, &(struct wire_expect){ .pid = getpid(),
						.role = "passive", .cause = "normal",
						.states = "CLOSE_WAIT,LAST_ACK", .fin = &fin,
						.pfin = &pfin }, "bad reset");
	wire__check_dwell(&w, rec, "CLOSE_WAIT", wire__by(&pfin), wire__when(t_close, fin.ts),
			  "bad reset");
	wire__check_dwell(&w, rec, "LAST_ACK", wire__when(t_close, fin.ts), wire__by(&ack),
			  "bad reset");
	if (test__failed())
		fixture__dump(rec, "record");
out:
	if (fd >= 0)
		close(fd);
	wire__cleanup(&w);
}

void test_wire_abort_data_in_fin_wait1(void)
{
	wire__each(abort__data_in_fin_wait1, true);
}

void test_wire_abort_data_in_fin_wait2(void)
{
	wire__each(abort__data_in_fin_wait2, false);
}

void test_wire_abort_listener_closed(void)
{
	wire__each(abort__listener_closed, false);
}

void test_wire_abort_listener_closed_tfo(void)
{
	wire__each(abort__listener_closed_tfo, false);
}

void test_wire_abort_bad_rst(void)
{
	wire__each(abort__bad_rst, false);
}
