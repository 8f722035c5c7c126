// SPDX-License-Identifier: GPL-2.0
/*
 * The tcpclose_sockets gauges (and -i's "sockets now") count what the filters let through,
 * as the records do: with --raddr 127.0.0.2/32, of two connections closed by clients at
 * 127.0.0.2 and 127.0.0.3, only the server end of the first, in CLOSE_WAIT, counts; the
 * clients' ends, in FIN_WAIT2, have 127.0.0.1 as their remote address and do not. ss must
 * show all four ends in those states, so that the gauges cannot pass by seeing nothing.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/socket.h>
#include "clock.h"
#include "conns.h"
#include "sock.h"
#include "test.h"
#include "tracer.h"

#define GAUGE_WAIT_MS 5000

/* a connection from src to 127.0.0.1:port, accepted; the client then closes its end */
static int half_closed(int lfd, unsigned short port, const char *src, int *cfd, int *sfd)
{
	struct sockaddr_in a = { .sin_family = AF_INET }, d = { .sin_family = AF_INET };

	*cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*cfd < 0)
		return -errno;
	inet_pton(AF_INET, src, &a.sin_addr);
	inet_pton(AF_INET, "127.0.0.1", &d.sin_addr);
	d.sin_port = htons(port);
	if (bind(*cfd, (struct sockaddr *)&a, sizeof(a)) ||
	    connect(*cfd, (struct sockaddr *)&d, sizeof(d)))
		return -errno;
	*sfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (*sfd < 0)
		return -errno;
	/* FIN_WAIT2 once the server's kernel ACKs it; the server sits in CLOSE_WAIT */
	return shutdown(*cfd, SHUT_WR) ? -errno : 0;
}

static json_object *last_gauges(const struct tracer *t)
{
	json_object *last = NULL;
	const char *type;

	for (int i = 0; i < t->nrecs; i++) {
		type = json__str(t->recs[i], "type");
		if (type && !strcmp(type, "gauges"))
			last = t->recs[i];
	}
	return last ? json_object_object_get(last, "now") : NULL;
}

void test_gauges_filtered(void)
{
	int lfd, fds[4] = { -1, -1, -1, -1 }, n;
	const char *const args[] = { "--raddr", "127.0.0.2/32", "-i", "1", NULL };
	struct conns_sock *socks = NULL;
	unsigned short port;
	struct tracer t = {};
	json_object *now;
	int cw = 0, fw2 = 0;

	lfd = sock__listen(4, &port);
	if (!ASSERT_GE(lfd, 0, "listen") ||
	    !ASSERT_OK(half_closed(lfd, port, "127.0.0.2", &fds[0], &fds[1]), "client at .2") ||
	    !ASSERT_OK(half_closed(lfd, port, "127.0.0.3", &fds[2], &fds[3]), "client at .3"))
		goto out;
	clock__sleep_ms(100);
	n = conns__ss(&socks);
	for (int i = 0; i < n; i++) {
		cw += !strcmp(socks[i].state, "CLOSE-WAIT");
		fw2 += !strcmp(socks[i].state, "FIN-WAIT-2");
	}
	ASSERT_EQ(cw, 2, "ss: both server ends in CLOSE-WAIT");
	ASSERT_EQ(fw2, 2, "ss: both client ends in FIN-WAIT-2");
	if (!ASSERT_OK(tracer__start(&t, NULL, args), "start tracer --raddr 127.0.0.2/32 -i 1"))
		goto out;
	/* -i 1: a report a second; a starved host still makes one in this time */
	clock__sleep_ms(GAUGE_WAIT_MS);
	if (!ASSERT_OK(tracer__stop(&t), "tracer exits 0"))
		goto out;
	now = last_gauges(&t);
	if (!ASSERT_NOT_NULL(now, "a gauges report"))
		goto out;
	ASSERT_EQ(json__int(now, "CLOSE_WAIT", -1), 1, "CLOSE_WAIT: the server end facing .2");
	ASSERT_EQ(json__int(now, "FIN_WAIT2", -1), 0, "FIN_WAIT2: no client end faces .2");
out:
	if (test__failed())
		tracer__dump_stderr(&t);
	free(socks);
	for (int i = 0; i < 4; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (lfd >= 0)
		close(lfd);
	tracer__free(&t);
}
