/* SPDX-License-Identifier: GPL-2.0 */
/*
 * peer_run: the shape of a scenario whose other end is a scripted peer (lab/peer.h) rather
 * than a second kernel socket. Loopback only lets two kernel sockets do what kernel sockets
 * do, in the order loopback delivers; the kernel's own answers to other segments (data to an
 * orphan, a FIN resent into TIME_WAIT, FINs that cross or come out of order) need a peer
 * that sends exactly what a script says. One kernel socket, in the scenario's process,
 * talks to that peer over a tun device that exists only in the scenario's namespace; the
 * peer's capture of both directions then joins the run's, so that check judges these
 * records by the same wire rules as the others.
 */
#ifndef TCPCLOSE_PEER_RUN_H
#define TCPCLOSE_PEER_RUN_H

#include "peer.h"
#include "scenario_internal.h"

/* the peer's port: the kernel socket connects to it, as a client to a server */
#define PEER_RUN_PORT 80

struct peer_run {
	struct peer p;
	struct peer_conn c;
	int fd;			/* the kernel socket, -1 once closed */
};

/*
 * The tun device and its capture, and the kernel socket connected to the peer (the
 * scenario's "client" end, in this process); 0 or an error in r->res. Refuses the
 * initial namespace: the device and its addresses must go with the scenario's namespace.
 */
int peer_run__open(struct run *r, struct peer_run *pr);

/* close the kernel socket now (the record names this process) */
void peer_run__close(struct peer_run *pr);

/* the kernel's next segment with flags (peer__expect()), or an error in r->res naming what */
int peer_run__expect(struct run *r, struct peer_run *pr, uint8_t flags, struct peer_seg *got,
		     const char *what);
/* peer__send() or peer__send_next() returned err: an error in r->res naming what */
int peer_run__sent(struct run *r, int err, const char *what);

/*
 * The script is over (err its result): close what is open, fail on a capture that missed a
 * segment or straddles a step of the wall clock, and hand the capture to the run's (r->wire)
 * with each segment stamped as the run's capture stamps (CLOCK_REALTIME). Returns err, or
 * the first error of its own.
 */
int peer_run__end(struct run *r, struct peer_run *pr, int err);

#endif
