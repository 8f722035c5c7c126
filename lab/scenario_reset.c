// SPDX-License-Identifier: GPL-2.0
/*
 * scenario_reset: connections ended by a reset, sent or received: unread data, SO_LINGER
 * {1, 0} on either end, a listener closed over an unaccepted connection.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include "scenario_internal.h"
#include "sock.h"
#include "clock.h"
#define UNREAD_BYTES 100

static int unread__client(struct run *r, struct child *me)
{
	char req[UNREAD_BYTES] = "request";
	int fd = client__open(r), err;

	if (fd < 0)
		return fd;
	err = sock__write_all(fd, req, sizeof(req));
	if (err)
		return run__fail(r, err, "client: write: %s", strerror(-err));
	err = run__expect_reset(r, me, fd);
	close(fd);
	return err;
}

static int unread__server(struct run *r, struct child *me)
{
	double deadline = clock__now_ms() + STEP_TIMEOUT_MS;
	int fd = server__accept(r), queued = 0;

	(void)me;
	if (fd < 0)
		return fd;
	while (queued < UNREAD_BYTES) {
		if (ioctl(fd, FIONREAD, &queued))
			return run__fail(r, -errno, "server: FIONREAD: %s", strerror(errno));
		if (clock__now_ms() > deadline)
			return run__fail(r, -ETIMEDOUT, "server: request did not arrive");
		clock__sleep_ms(1);
	}
	return close(fd);
}

int scenario__unread(struct run *r)
{
	int err;

	r->res->fields |= SCENARIO_F_ERR;
	err = run__start(r, unread__client, unread__server);
	return err ? err : run__finish(r);
}

/* linger0: the client aborts with SO_LINGER {1, 0} */

static int linger0__client(struct run *r, struct child *me)
{
	int fd = client__open(r);

	(void)me;
	if (fd < 0 || client__ping(r, fd))
		return -EIO;
	if (sock__linger0(fd))
		return run__fail(r, -errno, "client: SO_LINGER: %s", strerror(errno));
	return close(fd);
}

static int linger0__server(struct run *r, struct child *me)
{
	int fd = server__accept(r), err;

	if (fd < 0 || server__pong(r, fd))
		return -EIO;
	err = run__expect_reset(r, me, fd);
	close(fd);
	return err;
}

int scenario__linger0(struct run *r)
{
	int err;

	r->res->fields |= SCENARIO_F_ERR;
	err = run__start(r, linger0__client, linger0__server);
	return err ? err : run__finish(r);
}

/* peer_reset: the server aborts, once the client has read the reply */

static int peer_reset__client(struct run *r, struct child *me)
{
	int fd = client__open(r), err;

	if (fd < 0 || client__ping(r, fd) || step__send(me->up, 'R'))
		return -EIO;
	err = run__expect_reset(r, me, fd);
	close(fd);
	return err;
}

static int peer_reset__server(struct run *r, struct child *me)
{
	int fd = server__accept(r);

	if (fd < 0 || server__pong(r, fd) || step__recv(me->down, 'G'))
		return -EIO;
	if (sock__linger0(fd))
		return run__fail(r, -errno, "server: SO_LINGER: %s", strerror(errno));
	return close(fd);
}

int scenario__peer_reset(struct run *r)
{
	int err;

	r->res->fields |= SCENARIO_F_ERR;
	err = run__start(r, peer_reset__client, peer_reset__server);
	if (!err && !run__step_wait(r, &r->client, 'R'))
		run__step_tell(r, &r->server, 'G');
	return err ? err : run__finish(r);
}

/*
 * listener_close: the listener closes with an established child still in its queue. Not
 * before the client's connect() has returned: a reset that comes first makes connect() fail
 * (seen under emulation), and the client would never have had a connection to lose.
 */

static int listener_close__client(struct run *r, struct child *me)
{
	int fd = client__open(r), err;

	if (fd < 0)
		return fd;
	if (step__send(me->up, 'C'))
		return -EIO;
	err = run__expect_reset(r, me, fd);
	close(fd);
	return err;
}

static int listener_close__server(struct run *r, struct child *me)
{
	struct pollfd pfd = { .fd = r->lfd, .events = POLLIN };

	/* readable: the handshake is complete and the child is queued */
	if (poll(&pfd, 1, STEP_TIMEOUT_MS) != 1)
		return run__fail(r, -ETIMEDOUT, "server: no connection queued");
	if (step__recv(me->down, 'G'))
		return -EIO;
	return close(r->lfd);
}

int scenario__listener_close(struct run *r)
{
	int err;

	r->res->fields |= SCENARIO_F_ERR;
	err = run__start(r, listener_close__client, listener_close__server) ?:
	      run__step_wait(r, &r->client, 'C') ?: run__step_tell(r, &r->server, 'G');
	return err ? err : run__finish(r);
}

/*
 * fin_drop and lastack_drop: one segment is dropped once, and the capture counts how often
 * the sender then resends its FIN.
 */

