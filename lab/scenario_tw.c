// SPDX-License-Identifier: GPL-2.0
/*
 * scenario_tw: each way a timewait socket ends: its 2MSL timer, connect() reusing it, an
 * RST, a new SYN, its namespace going away, or none made at all. The tcp sysctls they set
 * are their namespace's own.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "capture.h"
#include "netns.h"
#include "raw.h"
#include "scenario_internal.h"
#include "sock.h"
#include "clock.h"

/* TCP_TIMEWAIT_LEN; the wait for its end allows a wheel granule and a slow machine more */
#define TW_LEN_MS 60000
#define TW_EXPIRE_WAIT_MS (TW_LEN_MS + 30000)
/*
 * tcp_twsk_unique() lets connect() take a TIME_WAIT a while after its last segment: once the
 * seconds clock has moved on (6.1), or tcp_tw_reuse_delay, 1000 ms (6.13 on)
 */
#define REUSE_WAIT_MS 1200
#define PURGE_CONNS 3
#define TW_POLL_MS 20

/* wait until the namespace has as many timewait sockets as want */
static int tw_end__wait_sockets(struct run *r, long long want, int timeout_ms)
{
	double deadline = clock__now_ms() + timeout_ms;
	long long n;

	while ((n = netns__tw_sockets()) != want) {
		if (n < 0)
			return run__fail(r, (int)n, "/proc/net/sockstat: %s", strerror((int)-n));
		if (clock__now_ms() > deadline)
			return run__fail(r, -ETIMEDOUT, "%lld timewait sockets after %d s, want %lld",
					 n, timeout_ms / 1000, want);
		clock__sleep_ms(TW_POLL_MS);
	}
	return 0;
}

/* tw_expire: active, then the namespace kept until the client's TIME_WAIT has expired */
int scenario__tw_expire(struct run *r)
{
	int err = scenario__active(r);

	return err ? err : tw_end__wait_sockets(r, 0, TW_EXPIRE_WAIT_MS);
}

/* the server end of the scenarios below: each connection answered, then closed after EOF */
static int tw_end__serve(struct run *r, int conns)
{
	int i, fd;

	for (i = 0; i < conns; i++) {
		fd = server__accept(r);
		if (fd < 0 || server__pong(r, fd) || server__wait_eof(r, fd))
			return -EIO;
		if (close(fd))
			return run__fail(r, -errno, "server: close: %s", strerror(errno));
	}
	return 0;
}

/* tw_reused: two connections from one client port; connect() takes the first's TIME_WAIT */

static int reused__client(struct run *r, struct child *me)
{
	unsigned short port = 0;
	int i, fd;

	(void)me;
	for (i = 0; i < 2; i++) {
		if (i)
			clock__sleep_ms(REUSE_WAIT_MS);
		fd = client__connect(r, port);
		if (fd < 0 || client__ping(r, fd))
			return -EIO;
		port = r->res->client.port;
		run__add_conn(r, port);
		if (close(fd))
			return run__fail(r, -errno, "client: close: %s", strerror(errno));
	}
	return 0;
}

static int reused__server(struct run *r, struct child *me)
{
	(void)me;
	return tw_end__serve(r, 2);
}

int scenario__tw_reused(struct run *r)
{
	int err;

	r->res->fields |= SCENARIO_F_CONNS;
	err = run__sysctl(r, "net.ipv4.tcp_tw_reuse", 1) ?:
	      run__sysctl(r, "net.ipv4.tcp_timestamps", 1) ?:
	      run__start(r, reused__client, reused__server);
	return err ?: run__finish(r);
}

/*
 * tw_reused_cpu: tw_reused with nothing between connect()'s recycling of the timewait socket
 * and the second connection's own: both ends on one CPU, and syncookies, so that the SYN
 * makes no request socket (and arms no timer). The slab then most likely puts the new
 * timewait socket, of the same 4-tuple, where the recycled one was freed.
 */
int scenario__tw_reused_cpu(struct run *r)
{
	int err = run__pin_first_cpu(r) ?: run__sysctl(r, "net.ipv4.tcp_syncookies", 2);

	return err ?: scenario__tw_reused(r);
}

/* tw_rst: active, then an RST from the server's address at the TIME_WAIT's rcv_nxt */
int scenario__tw_rst(struct run *r)
{
	struct raw_seg seg = { .flags = TCP_RST };
	const struct tcp_seg *fin;
	struct capture cap;
	int err;

	err = run__sysctl(r, "net.ipv4.tcp_rfc1337", 0);
	if (err)
		return err;
	err = run__capture(r, &cap);
	if (err)
		return err;
	err = scenario__active(r);
	if (!err) {
		err = capture__poll(&cap);
		if (err)
			run__fail(r, err, "capture on lo: %s", strerror(-err));
	}
	fin = err ? NULL : capture__fin(&cap, r->port, 0);
	if (!err && !fin)
		err = run__fail(r, -ENOENT, "the server's FIN is not in the capture");
	if (!err) {
		inet_pton(AF_INET, "127.0.0.1", &seg.saddr);
		seg.daddr = seg.saddr;
		seg.sport = r->port;
		seg.dport = r->res->client.port;
		seg.seq = tcp_seg__fin_seq(fin) + 1;
		/* from a child: the kernel takes the segment in within the sender's system call */
		err = raw__send_forked(&seg);
		if (err)
			run__fail(r, err, "raw socket: sending the RST: %s", strerror(-err));
	}
	capture__free(&cap);
	return err ?: tw_end__wait_sockets(r, 0, STEP_TIMEOUT_MS);
}

/*
 * tw_syn: the server closes first and keeps listening; the client, once its end is closed,
 * connects again from the same port, and that SYN, newer than anything the server's TIME_WAIT
 * has seen (timestamps), takes the 4-tuple over (tcp_timewait_state_process(): TCP_TW_SYN).
 */

static int syn__client(struct run *r, struct child *me)
{
	unsigned short port;
	int fd, err;
	long n;

	(void)me;
	fd = client__connect(r, 0);
	if (fd < 0 || client__ping(r, fd))
		return -EIO;
	port = r->res->client.port;
	n = sock__drain(fd);
	if (n < 0)
		return run__fail(r, (int)n, "client: waiting for EOF: %s", strerror((int)-n));
	/* our FIN, and once it is acknowledged, the server's end is in TIME_WAIT */
	if (shutdown(fd, SHUT_WR))
		return run__fail(r, -errno, "client: shutdown: %s", strerror(errno));
	err = sock__wait_state(fd, TCP_CLOSE, STEP_TIMEOUT_MS);
	if (err)
		return run__fail(r, err, "client: LAST_ACK not acknowledged: %s", strerror(-err));
	close(fd);
	run__add_conn(r, port);
	fd = client__connect(r, port);
	if (fd < 0 || client__ping(r, fd))
		return -EIO;
	run__add_conn(r, port);
	return close(fd);
}

static int syn__server(struct run *r, struct child *me)
{
	int fd = server__accept(r);

	(void)me;
	if (fd < 0 || server__pong(r, fd))
		return -EIO;
	if (close(fd))
		return run__fail(r, -errno, "server: close: %s", strerror(errno));
	return tw_end__serve(r, 1);
}

int scenario__tw_syn(struct run *r)
{
	int err;

	r->res->fields |= SCENARIO_F_CONNS;
	err = run__sysctl(r, "net.ipv4.tcp_timestamps", 1) ?:
	      run__start(r, syn__client, syn__server);
	return err ?: run__finish(r);
}

/* tw_purged: PURGE_CONNS active closes; the namespace's end purges their TIME_WAITs */

static int purged__client(struct run *r, struct child *me)
{
	int i, fd;

	(void)me;
	for (i = 0; i < PURGE_CONNS; i++) {
		fd = client__open(r);
		if (fd < 0 || client__ping(r, fd))
			return -EIO;
		run__add_conn(r, r->res->client.port);
		if (close(fd))
			return run__fail(r, -errno, "client: close: %s", strerror(errno));
	}
	return 0;
}

static int purged__server(struct run *r, struct child *me)
{
	(void)me;
	return tw_end__serve(r, PURGE_CONNS);
}

int scenario__tw_purged(struct run *r)
{
	int err;

	r->res->fields |= SCENARIO_F_CONNS;
	err = run__start(r, purged__client, purged__server);
	return err ?: run__finish(r);
}

/*
 * tw_overflow: with tcp_max_tw_buckets=0 inet_twsk_alloc() refuses every timewait socket.
 * The client (halfclose's) shuts down its side only, so it is not orphaned when the FIN comes:
 * tcp_time_wait() then finds no timewait socket and the connection simply closes.
 */

static int overflow__server(struct run *r, struct child *me)
{
	(void)me;
	return tw_end__serve(r, 1);
}

int scenario__tw_overflow(struct run *r)
{
	int err;

	err = run__sysctl(r, "net.ipv4.tcp_max_tw_buckets", 0) ?:
	      run__start(r, halfclose__client, overflow__server);
	return err ?: run__finish(r);
}
