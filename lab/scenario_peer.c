// SPDX-License-Identifier: GPL-2.0
/*
 * scenario_peer: what the kernel itself does with segments two kernel sockets over loopback
 * never send it, each shown by a scripted peer (peer_run.h): data to an orphan after
 * close(), a FIN resent into TIME_WAIT, FINs that cross or come out of order, a close()
 * after shutdown() before our FIN is acknowledged. The kernel socket is the scenario's
 * client end; tests/integration/wire_*.c hold the same scripts against tcpclose's output.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "clock.h"
#include "peer_run.h"

/* between the kernel's segment and the peer's answer: a gap the dwells can be told by */
#define PAUSE_MS 20
/* the peer's FIN resent into our TIME_WAIT, ms after its first: both within one granule of
 * the 60 s timer's wheel level (2.048 s at HZ=250), where a restart may stay silent */
static const int tw_resend_ms[] = { 100, 300 };

static const char data10[10] = "0123456789";

/* the sequence number our FIN occupies: after the data it may carry */
static uint32_t fin__seq(const struct tcpseg *s)
{
	return s->seq + s->len;
}

/*
 * Connected to the peer, then close(), or shutdown(SHUT_WR) with shut: our FIN in *fin. The
 * caller ends with peer_run__end() whatever this returns.
 */
static int scripted__our_fin(struct run *r, struct peer_run *pr, bool shut, struct peer_seg *fin)
{
	int err = peer_run__open(r, pr);

	if (err)
		return err;
	r->res->close_ns = clock__now_ns();
	if (!shut)
		peer_run__close(pr);
	else if (shutdown(pr->fd, SHUT_WR))
		return run__fail(r, -errno, "shutdown: %s", strerror(errno));
	return peer_run__expect(r, pr, TCP_FIN, fin,
				shut ? "our FIN after shutdown()" : "our FIN after close()");
}

/*
 * close(), then the peer sends data to the orphan in FIN_WAIT1 (or, with ack_fin, data that
 * also acknowledges our FIN: FIN_WAIT2 first). RFC 1122 says the kernel MUST reset it
 * (tcp_rcv_state_process(): TcpExtTCPAbortOnData), and no timewait socket is made.
 */
static int data_after_close(struct run *r, bool ack_fin)
{
	struct peer_run pr;
	struct peer_seg fin, rst;
	int err;

	err = scripted__our_fin(r, &pr, false, &fin);
	if (!err) {
		clock__sleep_ms(PAUSE_MS);
		err = peer_run__sent(r, peer__send(&pr.c, TCP_ACK | TCP_PSH, pr.c.snd_nxt,
						   tcpseg__end(&fin.seg) - !ack_fin, data10,
						   sizeof(data10)), "data");
	}
	if (!err)
		err = peer_run__expect(r, &pr, TCP_RST, &rst, "our reset of the data");
	return peer_run__end(r, &pr, err);
}

int scenario__data_after_close(struct run *r)
{
	return data_after_close(r, false);
}

int scenario__data_acks_fin(struct run *r)
{
	return data_after_close(r, true);
}

/*
 * close(); the peer's FIN acknowledges ours (TIME_WAIT at once), then comes twice more, as
 * if our ACK were lost: each resend restarts the 2MSL timer (tcp_timewait_state_process())
 * and is answered. The namespace's end purges the TIME_WAIT.
 */
int scenario__tw_restart(struct run *r)
{
	struct peer_seg fin, ack;
	struct peer_run pr;
	struct tcpseg pfin;
	double t0;
	int err;

	err = scripted__our_fin(r, &pr, false, &fin) ?:
	      peer_run__sent(r, peer__send_next(&pr.c, TCP_FIN | TCP_ACK, NULL, 0), "FIN") ?:
	      peer_run__expect(r, &pr, TCP_ACK, &ack, "our ACK of the peer's FIN");
	/* its FIN, as sent: the resends are copies, dated from when it went in */
	pfin = pr.c.sent.seg;
	t0 = pr.c.sent.ts;
	for (size_t i = 0; !err && i < sizeof(tw_resend_ms) / sizeof(tw_resend_ms[0]); i++) {
		clock__sleep_ms((t0 - peer__now()) * 1e3 + tw_resend_ms[i]);
		err = peer_run__sent(r, peer__send(&pr.c, TCP_FIN | TCP_ACK, pfin.seq, pfin.ack,
						   NULL, 0), "resent FIN") ?:
		      peer_run__expect(r, &pr, TCP_ACK, &ack, "our ACK of the resent FIN");
	}
	return peer_run__end(r, &pr, err);
}

/*
 * close(); the peer's FIN acknowledges only what came before ours, as if it had left before
 * ours arrived: FIN_WAIT1 -> CLOSING, then its ACK of our FIN -> TIME_WAIT.
 */
int scenario__fins_crossed(struct run *r)
{
	struct peer_seg fin, ack;
	struct peer_run pr;
	int err;

	err = scripted__our_fin(r, &pr, false, &fin);
	if (!err) {
		clock__sleep_ms(PAUSE_MS);
		err = peer_run__sent(r, peer__send(&pr.c, TCP_FIN | TCP_ACK, pr.c.snd_nxt,
						   fin__seq(&fin.seg), NULL, 0),
				     "crossing FIN");
		pr.c.snd_nxt++;
	}
	err = err ?: peer_run__expect(r, &pr, TCP_ACK, &ack, "our ACK of the peer's FIN");
	if (!err) {
		clock__sleep_ms(PAUSE_MS);
		err = peer_run__sent(r, peer__send_next(&pr.c, TCP_ACK, NULL, 0), "ACK of our FIN");
	}
	return peer_run__end(r, &pr, err);
}

/*
 * shutdown(SHUT_WR); the peer's FIN comes before the 10 bytes it follows, not acknowledging
 * ours, and is queued out of order; the data then fills the hole and acknowledges our FIN:
 * FIN_WAIT2 and, with the queued FIN, TIME_WAIT within that one segment.
 */
int scenario__fin_reordered(struct run *r)
{
	struct peer_seg fin, dup, ack;
	struct peer_run pr;
	char buf[32];
	int err;

	err = scripted__our_fin(r, &pr, true, &fin);
	if (!err) {
		clock__sleep_ms(PAUSE_MS);
		err = peer_run__sent(r, peer__send(&pr.c, TCP_FIN | TCP_ACK,
						   pr.c.snd_nxt + sizeof(data10),
						   fin__seq(&fin.seg), NULL, 0),
				     "FIN ahead of its data") ?:
		      peer_run__expect(r, &pr, TCP_ACK, &dup, "our duplicate ACK");
	}
	if (!err) {
		clock__sleep_ms(PAUSE_MS);
		err = peer_run__sent(r, peer__send(&pr.c, TCP_ACK | TCP_PSH, pr.c.snd_nxt,
						   tcpseg__end(&fin.seg), data10, sizeof(data10)),
				     "data acknowledging our FIN");
		pr.c.snd_nxt += sizeof(data10) + 1;
	}
	while (!err) {
		err = peer_run__expect(r, &pr, TCP_ACK, &ack, "our ACK of the data and FIN");
		if (!err && ack.seg.ack == pr.c.snd_nxt)
			break;
	}
	if (!err && (read(pr.fd, buf, sizeof(buf)) != sizeof(data10) || read(pr.fd, buf, 1)))
		err = run__fail(r, -EPROTO, "reading the data and EOF: %s", strerror(errno));
	return peer_run__end(r, &pr, err);
}

/*
 * shutdown(SHUT_WR) sends our FIN; the peer sends 50 bytes that do not acknowledge it, we
 * read them and close() while the FIN is still unacknowledged (FIN_WAIT1 again, nothing
 * sent); the peer then acknowledges our FIN and sends its own.
 */
int scenario__shutdown_close(struct run *r)
{
	struct peer_seg fin, ack;
	char data[50] = { 0 }, buf[64];
	struct peer_run pr;
	int err;

	err = scripted__our_fin(r, &pr, true, &fin) ?:
	      peer_run__sent(r, peer__send(&pr.c, TCP_ACK | TCP_PSH, pr.c.snd_nxt,
					   fin__seq(&fin.seg), data, sizeof(data)),
			     "50 bytes");
	if (!err && read(pr.fd, buf, sizeof(buf)) != sizeof(data))
		err = run__fail(r, -EPROTO, "reading the peer's 50 bytes: %s", strerror(errno));
	if (!err) {
		pr.c.snd_nxt += sizeof(data);
		peer_run__close(&pr);
		clock__sleep_ms(PAUSE_MS);
		err = peer_run__sent(r, peer__send_next(&pr.c, TCP_ACK, NULL, 0), "ACK of our FIN");
	}
	if (!err) {
		clock__sleep_ms(PAUSE_MS);
		err = peer_run__sent(r, peer__send_next(&pr.c, TCP_FIN | TCP_ACK, NULL, 0), "FIN") ?:
		      peer_run__expect(r, &pr, TCP_ACK, &ack, "our ACK of the peer's FIN");
	}
	return peer_run__end(r, &pr, err);
}
