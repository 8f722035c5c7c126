// SPDX-License-Identifier: GPL-2.0
/*
 * wire_fin_wait2: our FIN acknowledged, and then no FIN from the peer but a reset, or data.
 * One rule for the reset, whoever holds the socket: before the peer's FIN the close was not
 * done, so the reset ended the connection (cause rst_received, role aborted); an orphan,
 * whose FIN_WAIT2 a timewait socket carries, also says tw_end rst. Data to the orphan's
 * timewait socket is refused with a reset of ours (tcp_timewait_state_process():
 * TCP_TW_RST, "new data after half-duplex close"): cause rst_sent, data_after_close. A held
 * FIN_WAIT2 closed with data unread is reset by close(): rst_sent, unread_data, which was
 * read as a timewait socket tcp_max_tw_buckets refused.
 */
#include <sys/socket.h>
#include <unistd.h>
#include "test.h"
#include "wire.h"

#define STEP_MS 2000
#define PAUSE_MS 20

enum fw2_end {
	FW2_RST_ORPHAN,		/* close(); the peer resets the orphan's timewait socket */
	FW2_RST_HELD,		/* shutdown(SHUT_WR); the peer resets the full socket */
	FW2_DATA_ORPHAN,	/* close(); the peer sends data to the orphan's timewait socket */
	FW2_UNREAD_HELD,	/* shutdown(SHUT_WR); the peer sends data; close() leaves it unread */
};

static const char *const fw2_names[] = { "reset, orphan", "reset, held", "data, orphan",
					  "unread, held" };

static void fin_wait2__run(const char *backend, int family, enum fw2_end how)
{
	const char *what = fw2_names[how];
	struct peer_seg fin, ack, rst;
	struct wire_when end;	/* FIN_WAIT2's */
	bool orphan = how == FW2_RST_ORPHAN || how == FW2_DATA_ORPHAN;
	bool we_reset = how == FW2_DATA_ORPHAN || how == FW2_UNREAD_HELD;
	struct peer_conn c;
	struct wire w;
	json_object *rec;
	double t_close;
	int fd = -1;

	if (!wire__start_connected(&w, backend, family, &c, &fd))
		goto out;
	t_close = peer__now();
	if (orphan) {
		close(fd);
		fd = -1;
	} else if (!ASSERT_OK(shutdown(fd, SHUT_WR), "shutdown(SHUT_WR)")) {
		goto out;
	}
	if (!ASSERT_OK(peer__expect(&c, TCP_FIN, STEP_MS, &fin), "our FIN") ||
	    !ASSERT_OK(peer__send_next(&c, TCP_ACK, NULL, 0), "the peer ACKs our FIN"))
		goto out;
	ack = c.sent;
	usleep(PAUSE_MS * 1000);
	if (how == FW2_UNREAD_HELD) {
		if (!ASSERT_OK(peer__send_next(&c, TCP_ACK | TCP_PSH, "data", 4), "the peer's data") ||
		    !ASSERT_OK(peer__expect(&c, TCP_ACK, STEP_MS, &rst), "we take it in"))
			goto out;
		/*
		 * close() with the data unread: __tcp_close() closes the socket, then sends our
		 * reset
		 */
		end.lo = peer__now();
		close(fd);
		fd = -1;
		if (!ASSERT_OK(peer__expect(&c, TCP_RST, STEP_MS, &rst), "our reset"))
			goto out;
		end.hi = rst.ts;
	} else if (how == FW2_DATA_ORPHAN) {
		if (!ASSERT_OK(peer__send_next(&c, TCP_ACK | TCP_PSH, "data", 4),
			       "the peer's data"))
			goto out;
		/*
		 * The timewait socket answers with our reset, and only then is it let go
		 * (tcp_v4_rcv(), TCP_TW_RST): the reset's stamp is no bound of its end
		 */
		end = wire__by(&c.sent);
		if (!ASSERT_OK(peer__expect(&c, TCP_RST, STEP_MS, &rst), "our reset"))
			goto out;
	} else {
		if (!ASSERT_OK(peer__send(&c, TCP_RST, c.snd_nxt, 0, NULL, 0), "the peer's reset"))
			goto out;
		end = wire__by(&c.sent);
		ASSERT_TRUE(peer__quiet(&c, PAUSE_MS), "no answer to a reset");
	}
	if (fd >= 0) {
		/* the owner's close() sends the record of a socket a reset ended under it */
		close(fd);
		fd = -1;
	}
	if (!wire__finish(&w))
		goto out;
	ASSERT_EQ(peer__count(&c, 0, TCP_RST), we_reset, "resets from us on the wire");
	ASSERT_EQ(nstat__get(&w.f.delta, "TcpOutRsts"), we_reset, "TcpOutRsts");
	rec = wire__record(&w, &c);
	if (!ASSERT_NOT_NULL(rec, what))
		goto out;
	wire__check_record(&w, rec, &c, &(struct wire_expect){
		.pid = getpid(), .role = "aborted",
		.cause = we_reset ? "rst_sent" : "rst_received",
		.rst_reason = how == FW2_DATA_ORPHAN ? "data_after_close" :
			      how == FW2_UNREAD_HELD ? "unread_data" : NULL,
		.states = "FIN_WAIT1,FIN_WAIT2", .fin = &fin, .tw_end = orphan ? "rst" : NULL,
	}, what);
	/*
	 * FIN_WAIT1 began in close() or shutdown(), before our FIN left. The held socket's record
	 * waits for its owner's close(): FIN_WAIT2 ended at the peer's segment, or, unread, in
	 * close()
	 */
	wire__check_dwell(&w, rec, "FIN_WAIT1", wire__when(t_close, fin.ts), wire__by(&ack), what);
	wire__check_dwell(&w, rec, "FIN_WAIT2", wire__by(&ack), end, what);
	if (test__failed())
		fixture__dump(rec, "record");
out:
	if (fd >= 0)
		close(fd);
	wire__cleanup(&w);
}

static void fin_wait2__rst_orphan(const char *backend, int family)
{
	fin_wait2__run(backend, family, FW2_RST_ORPHAN);
}

static void fin_wait2__rst_held(const char *backend, int family)
{
	fin_wait2__run(backend, family, FW2_RST_HELD);
}

static void fin_wait2__data_orphan(const char *backend, int family)
{
	fin_wait2__run(backend, family, FW2_DATA_ORPHAN);
}

void test_wire_fin_wait2_rst_orphan(void)
{
	wire__each(fin_wait2__rst_orphan, false);
}

void test_wire_fin_wait2_rst_held(void)
{
	wire__each(fin_wait2__rst_held, false);
}

void test_wire_fin_wait2_data_orphan(void)
{
	wire__each(fin_wait2__data_orphan, true);
}

static void fin_wait2__unread_held(const char *backend, int family)
{
	fin_wait2__run(backend, family, FW2_UNREAD_HELD);
}

void test_wire_fin_wait2_unread_held(void)
{
	wire__each(fin_wait2__unread_held, false);
}
