// SPDX-License-Identifier: GPL-2.0
/* peer_run: a kernel socket and a scripted peer in the scenario's namespace (peer_run.h) */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "clock.h"
#include "peer_run.h"
#include "sock.h"

#define PEER_RUN_TUN "tcc0"

/* the namespace of pid 1, if we can tell: a scenario's own is any other */
static bool netns__initial(void)
{
	struct stat self, init;

	return !stat("/proc/self/ns/net", &self) && !stat("/proc/1/ns/net", &init) &&
	       self.st_ino == init.st_ino && self.st_dev == init.st_dev;
}

/* a socket on the kernel's address of the tun device */
static int peer_run__socket(struct run *r, struct peer_run *pr)
{
	struct sockaddr_storage ss;
	socklen_t len = peer__sockaddr(&pr->p, 0, 0, &ss);
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return run__fail(r, -errno, "socket: %s", strerror(errno));
	sock__timeouts(fd, STEP_TIMEOUT_MS / 1000);
	if (bind(fd, (struct sockaddr *)&ss, len)) {
		int err = -errno;

		close(fd);
		return run__fail(r, err, "bind to the tun device's address: %s", strerror(-err));
	}
	return fd;
}

int peer_run__open(struct run *r, struct peer_run *pr)
{
	struct scenario_side *me = &r->res->client;
	int err;

	memset(pr, 0, sizeof(*pr));
	pr->fd = -1;
	pr->p.pfd = -1;
	pr->p.tun.fd = -1;
	if (netns__initial())
		return run__fail(r, -EPERM, "a scripted peer needs a network namespace of its own");
	err = peer__open(&pr->p, PEER_RUN_TUN, r->family);
	if (err)
		return run__fail(r, err, "tun device for the scripted peer: %s (needs CAP_NET_ADMIN and /dev/net/tun)",
				 strerror(-err));
	pr->fd = peer_run__socket(r, pr);
	if (pr->fd < 0)
		return pr->fd;
	peer__conn(&pr->c, &pr->p, PEER_RUN_PORT);
	err = peer__accept(&pr->c, pr->fd);
	if (err)
		return run__fail(r, err, "handshake with the scripted peer: %s", strerror(-err));
	me->pid = getpid();
	prctl(PR_GET_NAME, me->comm);
	me->port = pr->c.lport;
	r->res->server.port = PEER_RUN_PORT;
	r->port = PEER_RUN_PORT;
	run__add_conn(r, pr->c.lport);
	return 0;
}

void peer_run__close(struct peer_run *pr)
{
	if (pr->fd >= 0)
		close(pr->fd);
	pr->fd = -1;
}

int peer_run__expect(struct run *r, struct peer_run *pr, uint8_t flags, struct peer_seg *got,
		     const char *what)
{
	int err = peer__expect(&pr->c, flags, STEP_TIMEOUT_MS, got);

	if (err)
		return run__fail(r, err, "%s: %s", what, strerror(-err));
	return 0;
}

int peer_run__sent(struct run *r, int err, const char *what)
{
	if (err)
		return run__fail(r, err, "the peer's %s: %s", what, strerror(-err));
	return 0;
}

/* the peer's segment as the run's capture keeps one, on its clock */
static void peer_run__seg(const struct peer_seg *ps, long long real_offset_ns, struct tcp_seg *s)
{
	const struct tcpseg *g = &ps->seg;

	memset(s, 0, sizeof(*s));
	/* one stamp each: as the kernel sent it, or as it took the peer's in */
	s->ts = s->rx_ts = ps->ts + real_offset_ns / 1e9;
	s->family = g->family;
	memcpy(s->saddr, g->saddr, sizeof(s->saddr));
	memcpy(s->daddr, g->daddr, sizeof(s->daddr));
	s->sport = g->sport;
	s->dport = g->dport;
	s->seq = g->seq;
	s->ack = g->ack;
	s->flags = g->flags;
	s->len = g->len;
	s->scripted = ps->from_peer;
}

int peer_run__end(struct run *r, struct peer_run *pr, int err)
{
	long long off;
	struct tcp_seg s;

	peer_run__close(pr);
	/* reads what is left, and the packet socket's drop count */
	peer__close(&pr->p);
	if (!err && pr->p.drops)
		err = run__fail(r, -EIO, "the peer's capture missed %lu segments", pr->p.drops);
	if (!err && pr->p.clock_steps)
		err = run__fail(r, -EAGAIN, "the wall clock was stepped while the peer captured: its stamps are off");
	/* back to the wall clock, as the run's capture on lo stamps */
	off = clock__real_offset_ns();
	for (size_t i = 0; !err && r->wire && i < pr->p.n; i++) {
		peer_run__seg(&pr->p.segs[i], off, &s);
		if (capture__add(r->wire, &s, true))
			err = run__fail(r, -ENOMEM, "out of memory for the peer's capture");
	}
	peer__free(&pr->p);
	return err;
}
