// SPDX-License-Identifier: GPL-2.0
/*
 * scenario_churn: many connections as fast as possible, the closing side alternating.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <string.h>
#include "scenario_internal.h"
#include "sock.h"
static int churn__client(struct run *r, struct child *me)
{
	long n = 0;
	int i, fd;

	(void)me;
	for (i = 0; i < r->opts->count; i++) {
		fd = client__open(r);
		if (fd < 0)
			return fd;
		if (i % 2)
			n = sock__drain(fd);
		if (n < 0)
			return run__fail(r, (int)n, "client: connection %d: read: %s", i,
					 strerror((int)-n));
		close(fd);
	}
	r->res->client.port = 0;
	return 0;
}

/*
 * The client's ports come round again when the kernel's choice of them wraps (and it takes a
 * client port's TIME_WAIT over: TcpExtTWRecycled). A port whose last connection the server
 * closed first has its TIME_WAIT here, which the new connection ends: counted, since a kernel
 * that counts TcpExtTW at expiry (5.10) counts it nowhere.
 */
static int churn__server(struct run *r, struct child *me)
{
	unsigned char tw_here[65536 / 8] = {};
	long n = 0;
	int i, fd, port;

	(void)me;
	for (i = 0; i < r->opts->count; i++) {
		fd = accept(r->lfd, NULL, NULL);
		if (fd < 0)
			return run__fail(r, -errno, "server: accept %d: %s", i, strerror(errno));
		port = sock__peer_port(fd);
		if (port < 0)
			return run__fail(r, port, "server: connection %d: getpeername: %s", i,
					 strerror(-port));
		if (tw_here[port / 8] & (1 << port % 8))
			r->res->server_tw_taken++;
		sock__timeouts(fd, STEP_TIMEOUT_MS / 1000);
		/* the client closes first, and its end goes on in TIME_WAIT; else ours */
		if (i % 2 == 0) {
			n = sock__drain(fd);
			tw_here[port / 8] &= ~(1 << port % 8);
		} else {
			tw_here[port / 8] |= 1 << port % 8;
		}
		if (n < 0)
			return run__fail(r, (int)n, "server: connection %d: read: %s", i,
					 strerror((int)-n));
		close(fd);
	}
	return 0;
}

int scenario__churn(struct run *r)
{
	int err;

	r->res->fields |= SCENARIO_F_CHURN;
	err = run__start(r, churn__client, churn__server);
	if (!err)
		err = run__finish(r);
	if (!err) {
		r->res->connections = r->opts->count;
		r->res->client_closed_first = (r->opts->count + 1) / 2;
	}
	return err;
}
