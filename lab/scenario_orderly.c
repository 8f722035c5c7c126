// SPDX-License-Identifier: GPL-2.0
/*
 * scenario_orderly: connections closed with FINs both ways, in every order loopback can
 * make: active, passive, the FIN riding on data, a half-close, simultaneous.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "nft.h"
#include "scenario_internal.h"
#include "sock.h"
#include "clock.h"
/* active: client closes first, server closes delay_ms after EOF */

int active__client(struct run *r, struct child *me)
{
	int fd = client__open(r);

	(void)me;
	if (fd < 0)
		return fd;
	if (client__ping(r, fd))
		return -EIO;
	return close(fd);
}

int active__server(struct run *r, struct child *me)
{
	int fd = server__accept(r);

	(void)me;
	if (fd < 0 || server__pong(r, fd) || server__wait_eof(r, fd))
		return -EIO;
	clock__sleep_ms(r->opts->delay_ms);
	return close(fd);
}

int scenario__active(struct run *r)
{
	int err;

	r->res->fields |= SCENARIO_F_DELAY;
	r->res->delay_ms = r->opts->delay_ms;
	err = run__start(r, active__client, active__server);
	return err ? err : run__finish(r);
}

/* passive: the server closes first; the client closes delay_ms after EOF */

static int passive__client(struct run *r, struct child *me)
{
	int fd = client__open(r);
	long n;

	(void)me;
	if (fd < 0 || client__ping(r, fd))
		return -EIO;
	n = sock__drain(fd);
	if (n < 0)
		return run__fail(r, (int)n, "client: waiting for EOF: %s", strerror((int)-n));
	clock__sleep_ms(r->opts->delay_ms);
	return close(fd);
}

static int passive__server(struct run *r, struct child *me)
{
	int fd = server__accept(r);

	(void)me;
	if (fd < 0 || server__pong(r, fd))
		return -EIO;
	return close(fd);
}

int scenario__passive(struct run *r)
{
	int err;

	r->res->fields |= SCENARIO_F_DELAY;
	r->res->delay_ms = r->opts->delay_ms;
	err = run__start(r, passive__client, passive__server);
	return err ? err : run__finish(r);
}

/* fin_data: the client's FIN rides on its last data, held back by TCP_CORK until close() */

static int fin_data__client(struct run *r, struct child *me)
{
	int fd = client__open(r), one = 1, err;

	(void)me;
	if (fd < 0 || client__ping(r, fd))
		return -EIO;
	if (setsockopt(fd, IPPROTO_TCP, TCP_CORK, &one, sizeof(one)))
		return run__fail(r, -errno, "client: TCP_CORK: %s", strerror(errno));
	err = sock__write_all(fd, "last words\n", 11);
	if (err)
		return run__fail(r, err, "client: write: %s", strerror(-err));
	return close(fd);
}

static int fin_data__server(struct run *r, struct child *me)
{
	int fd = server__accept(r);

	(void)me;
	if (fd < 0 || server__pong(r, fd) || server__wait_eof(r, fd))
		return -EIO;
	return close(fd);
}

int scenario__fin_data(struct run *r)
{
	int err = run__start(r, fin_data__client, fin_data__server);

	return err ? err : run__finish(r);
}

/* halfclose: client shuts down its sending side, server keeps sending for 200 ms */

#define HALFCLOSE_CHUNKS 10

int halfclose__client(struct run *r, struct child *me)
{
	int fd = client__open(r);
	long n;

	(void)me;
	if (fd < 0 || client__ping(r, fd))
		return -EIO;
	if (shutdown(fd, SHUT_WR))
		return run__fail(r, -errno, "client: shutdown: %s", strerror(errno));
	n = sock__drain(fd);
	if (n < 0)
		return run__fail(r, (int)n, "client: read after shutdown: %s", strerror((int)-n));
	r->res->halfclosed_received = n;
	return close(fd);
}

static int halfclose__server(struct run *r, struct child *me)
{
	long total = r->opts->bytes, sent = 0, chunk;
	double start;
	char *buf;
	int fd, i, err = 0;

	(void)me;
	fd = server__accept(r);
	if (fd < 0 || server__pong(r, fd) || server__wait_eof(r, fd))
		return -EIO;
	buf = calloc(1, total / HALFCLOSE_CHUNKS + 1);
	if (!buf)
		return run__fail(r, -ENOMEM, "server: out of memory");
	/* chunk i leaves at i * 20 ms; the close comes at 200 ms */
	start = clock__now_ms();
	for (i = 0; i < HALFCLOSE_CHUNKS && !err; i++) {
		clock__sleep_ms(start + i * (SCENARIO_HALFCLOSE_MS / HALFCLOSE_CHUNKS) - clock__now_ms());
		chunk = total / HALFCLOSE_CHUNKS + (i < total % HALFCLOSE_CHUNKS);
		err = sock__write_all(fd, buf, chunk);
		if (!err)
			sent += chunk;
	}
	free(buf);
	r->res->halfclosed_bytes = sent;
	if (err)
		return run__fail(r, err, "server: write after EOF: %s", strerror(-err));
	clock__sleep_ms(start + SCENARIO_HALFCLOSE_MS - clock__now_ms());
	return close(fd);
}

int scenario__halfclose(struct run *r)
{
	int err;

	r->res->fields |= SCENARIO_F_HALFCLOSE;
	err = run__start(r, halfclose__client, halfclose__server);
	return err ? err : run__finish(r);
}

/*
 * simultaneous: both FINs are dropped, so both ends sit in FIN_WAIT1 with the same resend
 * timer. Both ends run on one CPU and close within microseconds, at real-time priority so
 * that a busy host does not keep one waiting, so both timers usually fire in the same jiffy
 * and the same softirq run, sending both FINs before either arrives. The capture tells
 * whether they crossed; if not, the scenario tries again.
 */

static int simultaneous__server(struct run *r, struct child *me)
{
	int fd = server__accept(r), err;

	if (fd < 0 || server__pong(r, fd) || step__send(me->up, 'E'))
		return -EIO;
	sched__realtime(true);
	err = step__recv(me->down, 'G') ? -EIO : close(fd);
	sched__realtime(false);
	return err;
}

/*
 * Return just after a timer tick: the coarse clock moves at each tick, with jiffies. Both
 * closes then fall in the same jiffy unless they are a whole tick (4 ms at HZ=250) apart.
 */
static void tick__align(void)
{
	struct timespec t0, t;
	double deadline = clock__now_ms() + 50;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &t0);
	do {
		clock_gettime(CLOCK_MONOTONIC_COARSE, &t);
	} while (t.tv_nsec == t0.tv_nsec && t.tv_sec == t0.tv_sec && clock__now_ms() < deadline);
}

/*
 * The FINs that got through (each end's first not dropped) ack no more than the peer's
 * first FIN: neither end had the other's when it sent its own. Counted per end, since under
 * emulation nft can be slower than a resend, which it then drops too.
 */
static bool simultaneous__crossed(const struct capture *cap, unsigned short cport,
				  unsigned short sport, const long *drops)
{
	const struct tcp_seg *c0 = capture__fin(cap, cport, 0), *s0 = capture__fin(cap, sport, 0);
	const struct tcp_seg *c = capture__fin(cap, cport, drops[0]);
	const struct tcp_seg *s = capture__fin(cap, sport, drops[1]);

	return drops[0] >= 1 && drops[1] >= 1 && c0 && s0 && c && s &&
	       c->ack == tcp_seg__fin_seq(s0) && s->ack == tcp_seg__fin_seq(c0);
}

static int simultaneous__attempt(struct run *r, struct capture *cap, bool *crossed)
{
	char match[2][96];
	const char *matches[2] = { match[0], match[1] };
	unsigned short cport;
	long drops[2];
	int err;

	err = run__start(r, client__close_when_told, simultaneous__server);
	if (err)
		return err;
	if (run__step_wait(r, &r->client, 'E') || run__step_wait(r, &r->server, 'E'))
		return -EIO;
	cport = r->res->client.port;
	snprintf(match[0], sizeof(match[0]), "tcp sport %u tcp flags & fin == fin", cport);
	snprintf(match[1], sizeof(match[1]), "tcp sport %u tcp flags & fin == fin", r->port);
	err = nft__drop_each(matches, 2);
	if (err)
		return run__fail(r, err, "nft: cannot add the FIN drop rules");
	sched__realtime(true);
	tick__align();
	err = run__step_tell(r, &r->client, 'G') || run__step_tell(r, &r->server, 'G');
	sched__realtime(false);
	if (err)
		return -EIO;
	drops[0] = nft__wait_drops(2, STEP_TIMEOUT_MS);
	if (drops[0] < 0)
		return run__fail(r, (int)drops[0], "nft: both FINs not dropped: %s",
				 strerror((int)-drops[0]));
	err = nft__stop_each(drops, 2);
	if (err)
		return run__fail(r, err, "nft: cannot remove the rules");
	r->res->drops = drops[0] + drops[1];
	err = run__finish(r);
	if (err)
		return err;
	err = capture__poll(cap);
	if (err)
		return run__fail(r, err, "capture: %s", strerror(-err));
	r->res->client.fins = capture__fins(cap, cport);
	r->res->server.fins = capture__fins(cap, r->port);
	*crossed = simultaneous__crossed(cap, cport, r->port, drops);
	return 0;
}

int scenario__simultaneous(struct run *r)
{
	struct capture cap;
	bool crossed = false;
	int err;

	r->res->fields |= SCENARIO_F_CROSS | SCENARIO_F_DROPS;
	r->rt_close = true;
	err = run__pin_first_cpu(r) ?: run__capture(r, &cap);
	if (err)
		return err;
	while (!crossed && r->res->attempts < CROSS_ATTEMPTS) {
		r->res->attempts++;
		err = simultaneous__attempt(r, &cap, &crossed);
		if (err)
			break;
	}
	capture__free(&cap);
	if (!err && !crossed)
		err = run__fail(r, -EAGAIN, "the FINs did not cross in %d attempts",
				CROSS_ATTEMPTS);
	r->res->fin_retrans = r->res->client.fins - 1;
	return err;
}

/* unread: the server closes with the request unread in its receive queue */

