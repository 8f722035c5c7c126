// SPDX-License-Identifier: GPL-2.0
/*
 * timewait_fin_wait2: the common close. The client close()s, so its FIN_WAIT2 is orphaned and
 * goes on as a timewait socket; the server's FIN comes 300 ms later and turns it into
 * TIME_WAIT. No tracepoint fires then: tcpclose dates it from the 2MSL deadline.
 */
#include "capture.h"
#include "fixture.h"
#include "test.h"
#include "tw.h"

#define LATE_FIN_MS 300

/* the first segment from sport acknowledging everything up to ack, without a FIN */
static const struct tcp_seg *timewait_fin_wait2__find_ack(const struct capture *c,
							  uint16_t sport, uint32_t ack)
{
	const struct tcp_seg *s;

	capture__for_each(c, s) {
		if (s->sport == sport && (s->flags & TCP_ACK) && !(s->flags & TCP_FIN) &&
		    s->ack == ack)
			return s;
	}
	return NULL;
}

void test_timewait_orphan_late_fin(void)
{
	const struct tcp_seg *fin, *ack, *peer_fin;
	double fw1, fw2, tw, end, late;
	struct scenario_opts opts;
	unsigned short cport, sport;
	struct fixture f;
	json_object *rec;
	long long made;

	scenario__default_opts(&opts);
	opts.delay_ms = LATE_FIN_MS;
	if (!fixture__start(&f, NULL) || !fixture__run(&f, "active", &opts))
		goto out;
	made = tw__made(&f, false);
	if (!fixture__finish(&f))
		goto out;
	tw__check_foreign(&f);
	tw__check_no_rst(&f);
	cport = f.res.client.port;
	sport = f.res.server.port;
	rec = fixture__client(&f);
	fixture__check_ends(&f, rec, fixture__server(&f));
	fin = capture__fin(&f.cap, cport, 0);
	peer_fin = capture__fin(&f.cap, sport, 0);
	if (!ASSERT_NOT_NULL(rec, "client record") || !ASSERT_NOT_NULL(fin, "client FIN") ||
	    !ASSERT_NOT_NULL(peer_fin, "server FIN"))
		goto out;
	/* the server's ACK of our FIN: its own, delayed by up to 40 ms, as it closes later */
	ack = timewait_fin_wait2__find_ack(&f.cap, sport, tcp_seg__fin_seq(fin) + 1);
	if (!ASSERT_NOT_NULL(ack, "the server's ACK of the client's FIN, alone"))
		goto out;

	ASSERT_REC_STR(rec, "role", "active", "client");
	ASSERT_REC_STATES(rec, "FIN_WAIT1,FIN_WAIT2,TIME_WAIT", "client");
	ASSERT_REC_STR(rec, "tw_end", "purged", "client");
	ASSERT_REC_INT(rec, "peer_fin_seq", tcp_seg__fin_seq(peer_fin), "client");
	ASSERT_EQ(made, 1, "timewait sockets made (tw.h): one");
	fw1 = json__dwell(rec, "FIN_WAIT1");
	fw2 = json__dwell(rec, "FIN_WAIT2");
	tw = json__dwell(rec, "TIME_WAIT");
	end = json__double(rec, "ts", 0);
	test__log("capture: FIN sent %.6f, its ACK in +%.3f ms, peer FIN sent +%.3f in +%.3f ms,"
		  " end +%.3f ms", tcp_seg__tx(fin),
		  fixture__ms(tcp_seg__tx(fin), tcp_seg__rx(ack)),
		  fixture__ms(tcp_seg__tx(fin), tcp_seg__tx(peer_fin)),
		  fixture__ms(tcp_seg__tx(fin), tcp_seg__rx(peer_fin)),
		  fixture__ms(tcp_seg__tx(fin), end));
	test__log("record: FIN_WAIT1 %.3f, FIN_WAIT2 %.3f, TIME_WAIT %.3f ms", fw1, fw2, tw);

	/* the kernel's view: the server closed LATE_FIN_MS after our FIN reached it, or later */
	late = fixture__ms(tcp_seg__rx(fin), tcp_seg__tx(peer_fin));
	ASSERT_GE(late, LATE_FIN_MS, "capture: our FIN in to the peer's FIN out (ms)");
	/*
	 * FIN_WAIT2 from the ACK of our FIN to the peer's FIN; TIME_WAIT from that FIN (not from
	 * when the timewait socket was made) to the purge: each change in its bracket.
	 */
	fixture__judge(&f, rec, 0, "client");
	if (test__failed())
		fixture__dump(rec, "client record");
out:
	fixture__cleanup(&f);
}
