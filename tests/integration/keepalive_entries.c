// SPDX-License-Identifier: GPL-2.0
/*
 * The keepalive counts (the kas map) hold no socket for good. A connection the filters drop
 * gets no entry for its probes: no record would collect it. A connection that sent probes
 * and then turned SO_KEEPALIVE off still has them counted in its record, and its entry
 * goes with it: left behind, it filled the map (a loss) and the next
 * socket at its address inherited its counts. The probes sent are the namespace's
 * TcpExtTCPKeepAlive; what is in kas is read from the tracer's own map.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "clock.h"
#include "conns.h"
#include "nstat.h"
#include "sock.h"
#include "test.h"
#include "tracer.h"

#define PROBES 2			/* a second apart: TCP_KEEPIDLE and TCP_KEEPINTVL of 1 s */
#define PROBES_MS 10000
#define RECORDS_MS 10000

/* how many sockets the tracer keeps keepalive counts for now */
static int kas_entries(const struct tracer *t)
{
	__u64 key, *prev = NULL;
	int fd = tracer__map(t, "kas"), n = 0;

	if (fd < 0)
		return fd;
	while (!bpf_map_get_next_key(fd, prev, &key)) {
		n++;
		prev = &key;
	}
	close(fd);
	return n;
}

/* a connection whose client probes, PROBES of them answered; the server's listener port */
static int probing(struct conn *c, int *lfd, unsigned short *port, long long *sent)
{
	struct nstat before, after, delta;
	int err;

	*lfd = sock__listen(4, port);
	if (*lfd < 0)
		return *lfd;
	err = nstat__read(&before) ?: conns__open(c, *lfd, 4, *port) ?:
	      sock__keepalive(c->cfd, 1, 1, 5);
	/* the namespace is the test's own: nothing else in it probes */
	if (!err && nstat__wait("TcpExtTCPKeepAlive",
				nstat__get(&before, "TcpExtTCPKeepAlive") + PROBES, PROBES_MS) < 0)
		err = -ETIMEDOUT;
	if (!err)
		err = nstat__read(&after) ?: nstat__delta(&before, &after, &delta);
	if (!err)
		*sent = nstat__get(&delta, "TcpExtTCPKeepAlive");
	return err;
}

static void keepalive_entries__filtered(void)
{
	struct conn c = { .cfd = -1, .sfd = -1 };
	struct tracer t = {};
	unsigned short port;
	long long sent = 0;
	int lfd = -1;

	/* only local port 1 is traced: the probing client's is an ephemeral one */
	if (!ASSERT_OK(tracer__start(&t, NULL, (const char *const[]){ "-L", "1", NULL }),
		       "start tracer -L 1") ||
	    !ASSERT_OK(probing(&c, &lfd, &port, &sent), "a client that probes"))
		goto out;
	test__log("probes sent: %lld", sent);
	ASSERT_GE(sent, PROBES, "TcpExtTCPKeepAlive: probes sent");
	ASSERT_EQ(kas_entries(&t), 0, "no entry for a connection the filters drop");
	ASSERT_OK(tracer__stop(&t), "tracer exits 0");
out:
	conns__close(&c);
	if (lfd >= 0)
		close(lfd);
	tracer__free(&t);
}

static void keepalive_entries__turned_off(void)
{
	struct conn c = { .cfd = -1, .sfd = -1 };
	struct tracer t = {};
	unsigned short port;
	long long sent = 0;
	json_object *rec;
	int lfd = -1, off = 0;

	if (!ASSERT_OK(tracer__start(&t, NULL, NULL), "start tracer") ||
	    !ASSERT_OK(probing(&c, &lfd, &port, &sent), "a client that probes"))
		goto out;
	ASSERT_EQ(kas_entries(&t), 1, "its probes counted while it runs");
	/* no probe more after this: the count stays what TcpExtTCPKeepAlive says */
	if (!ASSERT_OK(setsockopt(c.cfd, SOL_SOCKET, SO_KEEPALIVE, &off, sizeof(off)),
		       "SO_KEEPALIVE off"))
		goto out;
	/* the server closes first: the client's end, LAST_ACK then CLOSE, sends its record */
	close(c.sfd);
	c.sfd = -1;
	clock__sleep_ms(50);
	close(c.cfd);
	c.cfd = -1;
	if (!ASSERT_OK(tracer__wait_close(&t, c.cport, port, RECORDS_MS), "the client's record"))
		goto out;
	ASSERT_EQ(kas_entries(&t), 0, "its entry went with its record");
	if (!ASSERT_OK(tracer__stop(&t), "tracer exits 0"))
		goto out;
	rec = tracer__close(&t, c.cport, port);
	if (ASSERT_NOT_NULL(rec, "the client's record"))
		ASSERT_EQ(json__int(rec, "keepalive_probes", -1), sent,
			  "keepalive_probes: TcpExtTCPKeepAlive");
out:
	if (test__failed())
		tracer__dump_stderr(&t);
	conns__close(&c);
	if (lfd >= 0)
		close(lfd);
	tracer__free(&t);
}

void test_keepalive_entries(void)
{
	if (test__start_subtest("filtered"))
		keepalive_entries__filtered();
	if (test__start_subtest("turned_off"))
		keepalive_entries__turned_off();
}
