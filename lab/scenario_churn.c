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

static int churn__server(struct run *r, struct child *me)
{
	long n = 0;
	int i, fd;

	(void)me;
	for (i = 0; i < r->opts->count; i++) {
		fd = accept(r->lfd, NULL, NULL);
		if (fd < 0)
			return run__fail(r, -errno, "server: accept %d: %s", i, strerror(errno));
		sock__timeouts(fd, STEP_TIMEOUT_MS / 1000);
		if (i % 2 == 0)
			n = sock__drain(fd);
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
