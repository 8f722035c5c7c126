/* SPDX-License-Identifier: GPL-2.0 */
/*
 * peer: the remote end of TCP connections as a script. It sends exactly the segments a test
 * asks for, when it asks, through a tun device (tun.h), and reads what the kernel sends.
 * Both ways are captured at the device by a packet socket with the kernel's own stamps:
 * a segment the peer writes is stamped as the kernel takes it in (within the write, which
 * runs the kernel's receive to its end), one the kernel sends as it leaves. That capture is
 * the peer's only log, and the ground truth a test compares the tracer's records with.
 * The stamps are the wall clock's; each is moved to CLOCK_MONOTONIC, the tracer's clock,
 * as it is read, and a step of the wall clock seen between reads is counted.
 *
 * The peer offers no TCP options unless asked (no timestamps, SACK or window scaling), so
 * sequence numbers are plain arithmetic.
 */
#ifndef TCPCLOSE_PEER_H
#define TCPCLOSE_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include "capture.h"
#include "tcpseg.h"
#include "tun.h"

/*
 * One segment on the device, either way. What the kernel did on taking a segment of the
 * peer's in (a change of state, a reset sent) it did within [ts, done]: the stamp is taken as
 * the device hands the segment on, before TCP sees it, and the write() that handed it over
 * runs the kernel's whole receive before it returns. On a fast host done is microseconds
 * after ts; in an emulated guest it was seen 20 ms after. A segment of the kernel's left at
 * ts, after what made the kernel send it: done is ts.
 */
struct peer_seg {
	double ts;		/* CLOCK_MONOTONIC s: as the kernel took it in, or as it left */
	double done;		/* the peer's: its write() had returned, the kernel had acted */
	bool from_peer;		/* written by the peer; else sent by the kernel */
	struct tcpseg seg;
};

struct peer {
	int family;		/* 4 or 6 */
	struct tun tun;
	int pfd;		/* the packet socket: every segment, stamped */
	uint8_t local[16];	/* the kernel's address */
	uint8_t remote[16];	/* the peer's */
	struct peer_seg *segs;	/* the capture, in the order the device saw them */
	size_t n, cap;
	unsigned long drops;	/* segments the packet socket could not queue */
	long long real_offset_ns;	/* CLOCK_REALTIME less CLOCK_MONOTONIC at the last read */
	int clock_steps;	/* reads that found it moved: stamps across one are off by it */
};

/* one connection of the peer: its ports and where each side's sequence is */
struct peer_conn {
	struct peer *p;
	uint16_t lport;		/* the kernel socket's port */
	uint16_t pport;		/* the peer's */
	uint32_t snd_nxt;	/* the peer's next sequence number */
	uint32_t rcv_nxt;	/* the kernel's next: what the peer acknowledges */
	uint16_t win;		/* the window the peer offers */
	uint16_t mss;		/* an MSS option on the peer's SYN or SYN-ACK, or 0 */
	size_t next;		/* the first segment peer__expect() has not looked at */
	struct peer_seg sent;	/* the last segment the peer sent on it, as captured */
};

/* the default window, and the peer's first sequence number (any; fixed for readable logs) */
#define PEER_WIN 65535
#define PEER_ISS 1000000000u

/* a tun device named name in the current namespace, and the capture; 0 or -errno */
int peer__open(struct peer *p, const char *name, int family);
/* stop: the device and every socket of the namespace's may go with it */
void peer__close(struct peer *p);
void peer__free(struct peer *p);

/* read what the device saw since; 0 or -errno */
int peer__poll(struct peer *p);

/* the kernel's (peer 0) or the peer's (1) address with port, for bind() and connect() */
socklen_t peer__sockaddr(const struct peer *p, int peer, uint16_t port,
			 struct sockaddr_storage *ss);

/* a connection from pport; the kernel's port is set by the handshake helpers */
void peer__conn(struct peer_conn *c, struct peer *p, uint16_t pport);

/* send one segment on c exactly as given; 0 or -errno. Data goes only with len > 0 */
int peer__send(struct peer_conn *c, uint8_t flags, uint32_t seq, uint32_t ack, const void *data,
	       uint32_t len);
/* send at snd_nxt, acknowledging rcv_nxt, and advance snd_nxt past it */
int peer__send_next(struct peer_conn *c, uint8_t flags, const void *data, uint32_t len);

/*
 * The next segment the kernel sent on c with all of flags set (0: any), waiting up to
 * timeout_ms, into got; segments of c before it are passed over (they stay in the capture).
 * 0, or -ETIMEDOUT. Its data, SYN and FIN advance c->rcv_nxt when they are next in sequence.
 */
int peer__expect(struct peer_conn *c, uint8_t flags, int timeout_ms, struct peer_seg *got);
/* the same, but -EPROTO (got: that segment) if the kernel's next segment on c lacks them */
int peer__expect_next(struct peer_conn *c, uint8_t flags, int timeout_ms, struct peer_seg *got);
/*
 * The next segment the kernel sent on c that acknowledges ack, waiting up to timeout_ms;
 * others before it (a FIN resent while a slow host held the script up) are passed over.
 * 0, or -ETIMEDOUT
 */
int peer__expect_ack(struct peer_conn *c, uint32_t ack, int timeout_ms, struct peer_seg *got);
/* nothing from the kernel on c for ms: true if it stayed silent */
bool peer__quiet(struct peer_conn *c, int ms);

/*
 * The kernel socket fd connects to the peer at c's port: the peer answers its SYN and
 * waits for the handshake's ACK. 0 or -errno; fd is left blocking.
 */
int peer__accept(struct peer_conn *c, int fd);
/* the peer connects to a kernel listener on lport: SYN, the kernel's SYN-ACK, ACK */
int peer__connect(struct peer_conn *c, uint16_t lport);

/* the nth (from 0) captured segment on c from the kernel (from_peer 0) or the peer (1) with
 * all of flags set; NULL if none. Valid until the next peer__poll() */
const struct peer_seg *peer__find(const struct peer_conn *c, int from_peer, uint8_t flags,
				  int nth);
int peer__count(const struct peer_conn *c, int from_peer, uint8_t flags);

/* CLOCK_MONOTONIC now, in the capture's seconds */
double peer__now(void);

#endif
