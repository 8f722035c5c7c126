// SPDX-License-Identifier: GPL-2.0
/*
 * timewait_restart: the active closer's last ACK is lost, the peer resends its FIN, and the
 * timewait socket answers it and restarts its 2MSL timer. The client only shuts down its
 * sending side, so its full socket is still there in FIN_WAIT2 when the peer's FIN comes and
 * the timewait socket is born in TIME_WAIT: a later re-arm can only be such a restart.
 */
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "capture.h"
#include "fixture.h"
#include "nft.h"
#include "test.h"
#include "tw.h"

#define STEP_MS 5000

/* a restart of the timewait timer: each backend follows the timer with its own hooks */
static void timewait_restart__run(const char *backend)
{
	struct conn p = { .cfd = -1, .sfd = -1 };
	const struct tcp_seg *fin0, *fin_last, *ack_last;
	unsigned short lport = 0;
	char match[96], buf[16];
	double end;
	long drops;
	struct fixture f;
	json_object *rec;
	int lfd = -1, hz, fins, err;

	hz = probe__kernel_hz();
	if (!ASSERT_GT(hz, 0, "HZ") || !fixture__start_backend(&f, backend) ||
	    !tw__begin(&f, true))
		goto out;
	lfd = sock__listen(4, &lport);
	if (!ASSERT_GE(lfd, 0, "listen") ||
	    !ASSERT_OK(tw__connect(&p, lfd, lport, -1), "connect"))
		goto out;
	if (!ASSERT_OK(shutdown(p.cfd, SHUT_WR), "client shutdown(SHUT_WR)") ||
	    !ASSERT_EQ(read(p.sfd, buf, sizeof(buf)), 0, "server reads EOF") ||
	    !ASSERT_OK(sock__wait_state(p.cfd, TCP_FIN_WAIT2, STEP_MS), "client in FIN_WAIT2"))
		goto out;
	/* the client's bare ACKs from now on: only its ACK of the server's FIN */
	snprintf(match, sizeof(match), "tcp sport %u tcp flags == ack", p.cport);
	if (!ASSERT_OK(nft__drop(match), "nft: drop the client's last ACK"))
		goto out;
	err = close(p.sfd);
	p.sfd = -1;
	if (!ASSERT_OK(err, "server close"))
		goto out;
	drops = nft__wait_drops(1, STEP_MS);
	if (!ASSERT_GE(drops, 1, "nft dropped the last ACK"))
		goto out;
	/* the server resends its FIN after ~200 ms: the rule is gone long before */
	drops = nft__stop();
	if (!ASSERT_GE(drops, 1, "nft rule removed") ||
	    !ASSERT_OK(tw__settle(lport, STEP_MS), "the server got the ACK of its resent FIN"))
		goto out;
	close(p.cfd);
	p.cfd = -1;
	close(lfd);
	lfd = -1;
	if (!tw__end(&f) || !fixture__finish(&f))
		goto out;
	tw__check_foreign(&f);
	tw__check_no_rst(&f);

	/* the kernel's view: each dropped ACK made the server resend its FIN once */
	fins = capture__fins(&f.cap, lport);
	ASSERT_EQ(fins, drops + 1, "capture: the server's FIN, resent once per dropped ACK");
	ASSERT_EQ(nstat__get(&f.delta, "TcpRetransSegs"), fins - 1, "TcpRetransSegs");
	fin0 = capture__fin(&f.cap, lport, 0);
	fin_last = capture__fin(&f.cap, lport, fins - 1);
	rec = tw__record(&f.tracer, p.cport, lport, 0);
	if (!ASSERT_NOT_NULL(rec, "client record") || !ASSERT_NOT_NULL(fin0, "server FIN") ||
	    !ASSERT_NOT_NULL(fin_last, "server FIN resent"))
		goto out;
	end = json__double(rec, "ts", 0);
	test__log("capture: peer FIN in %.6f, resent in +%.3f ms, end +%.3f ms; record: "
		  "TIME_WAIT %.3f ms, tw_restart_last_ms %.3f", tcp_seg__rx(fin0),
		  fixture__ms(tcp_seg__rx(fin0), tcp_seg__rx(fin_last)),
		  fixture__ms(tcp_seg__rx(fin0), end), json__dwell(rec, "TIME_WAIT"),
		  json__double(rec, "tw_restart_last_ms", -1));

	ASSERT_REC_STR(rec, "role", "active", "client");
	ASSERT_REC_STATES(rec, "FIN_WAIT1,FIN_WAIT2,TIME_WAIT", "client");
	ASSERT_REC_STR(rec, "tw_end", "purged", "client");
	ASSERT_REC_INT(rec, "peer_fin_seq", tcp_seg__fin_seq(fin0), "client");
	ASSERT_FALSE(json__is_null(rec, "tw_restart_last_ms"), "tw_restart_last_ms is not null");
	/*
	 * One restart per resent FIN; the tracepoint backend sees a re-arm only when it moves
	 * the timer to another wheel bucket, and counts the resends between two it saw as one
	 */
	if (strcmp(f.tracer.backend, "tracepoint"))
		ASSERT_EQ(json__int(rec, "tw_restarts", -1), fins - 1, "tw_restarts: one per resend");
	else
		ASSERT_TRUE(json__int(rec, "tw_restarts", -1) >= 1 &&
			    json__int(rec, "tw_restarts", -1) <= fins - 1,
			    "tw_restarts: between 1 and one per resend");
	/*
	 * Born in TIME_WAIT: TIME_WAIT from the first peer FIN, judged with the rest. So is the
	 * last restart (tcp_timewait_state_process() reschedules the timer, then answers): after
	 * the last resent FIN arrived, before our ACK of it left. Its lower bound is the coarse
	 * clock when that FIN arrived, less a jiffy (check_wire__earliest()): a restart is dated
	 * from the timer's deadline in jiffies, and a tick the host held up makes jiffies lag the
	 * clock by more than one (5.10's emulated guest dated one 5 ms early at HZ=250).
	 */
	ack_last = capture__find_ack(&f.cap, p.cport, tcp_seg__fin_seq(fin0) + 1, fins - 1);
	ASSERT_NOT_NULL(ack_last, "our ACK of the last peer FIN on the wire");
	fixture__judge(&f, rec, 0, "client");
	if (test__failed())
		fixture__dump(rec, "client record");
out:
	/* a rule left behind goes with the namespace */
	conns__close(&p);
	if (lfd >= 0)
		close(lfd);
	fixture__cleanup(&f);
}

void test_timewait_restart(void)
{
	fixture__each_backend(timewait_restart__run);
}
