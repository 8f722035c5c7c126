// SPDX-License-Identifier: GPL-2.0
/*
 * scenario_timer: timers that end a connection. The server's segments are dropped (nft), so
 * nothing the client sends is acknowledged, until the keepalive timer, TCP_USER_TIMEOUT,
 * tcp_retries2 or tcp_orphan_retries gives up; or an orphaned FIN_WAIT2 runs out of
 * tcp_fin_timeout. The settings they use are in res->set for the expectations.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "capture.h"
#include "netns.h"
#include "nft.h"
#include "nstat.h"
#include "scenario_internal.h"
#include "sock.h"
#include "clock.h"

/* the first probe after KA_IDLE_S: leaves nft the time to drop the answer to the second */
#define KA_IDLE_S 2
#define KA_INTVL_S 1
#define KA_CNT 3
#define USER_TIMEOUT_MS 1500
#define RETRIES2 3
#define ORPHAN_RETRIES 1
#define FIN_TIMEOUT_S 2
#define DATA_BYTES 100
/* no timer here gives up later than this; retries2=3 takes about 7 s */
#define GIVE_UP_WAIT_MS 30000

/* drop everything the server sends (drop = true), or stop dropping */
static int timer__drop_server(struct run *r, bool drop)
{
	char match[64];
	long err;

	snprintf(match, sizeof(match), "tcp sport %u", r->port);
	err = drop ? nft__drop(match) : nft__stop();
	if (err < 0)
		return run__fail(r, (int)err, "nft: cannot %s the server's segments (is nft installed?)",
				 drop ? "drop" : "stop dropping");
	return 0;
}

/* in the server: wait until the conductor says the client is done, then reset */
static int timer__server_abort(struct run *r, struct child *me, int fd)
{
	/* the conductor waits for the client's give-up, and more, before it says so */
	if (step__recv(me->down, 'G'))
		return run__fail(r, -EPIPE, "server: never told to finish");
	if (sock__linger0(fd))
		return run__fail(r, -errno, "server: SO_LINGER: %s", strerror(errno));
	return close(fd);
}

/* in the client: the kernel must give up on the socket with ETIMEDOUT */
static int timer__client_gives_up(struct run *r, int fd, int timeout_ms)
{
	int err = sock__wait_error(fd, timeout_ms, NULL);

	if (err != ETIMEDOUT)
		return run__fail(r, -EPROTO, "client: socket error '%s', want ETIMEDOUT",
				 strerror(err < 0 ? -err : err));
	return close(fd);
}

/*
 * keepalive: the first probe is answered (the idle clock starts again from its answer);
 * then the server's segments are dropped, KA_CNT probes go unanswered and the timer aborts.
 * mark_ns is when the client saw the first probe counted.
 */

static int keepalive__client(struct run *r, struct child *me)
{
	const struct scenario_settings *set = &r->res->set;
	int fd = client__open(r), i;
	struct tcp_info ti;
	struct nstat s;
	long long sent;

	if (fd < 0 || client__ping(r, fd))
		return -EIO;
	if (nstat__read(&s))
		return run__fail(r, -EIO, "client: reading /proc/net/netstat");
	sent = nstat__get(&s, "TcpExtTCPKeepAlive");
	nstat__free(&s);
	if (sock__keepalive(fd, set->keepalive_idle_s, set->keepalive_intvl_s, set->keepalive_cnt))
		return run__fail(r, -errno, "client: keepalive: %s", strerror(errno));
	if (nstat__wait("TcpExtTCPKeepAlive", sent + 1,
			set->keepalive_idle_s * 1000 + GIVE_UP_WAIT_MS) < 0)
		return run__fail(r, -ETIMEDOUT, "client: no keepalive probe (TcpExtTCPKeepAlive)");
	r->res->mark_ns = clock__now_ns();
	for (i = 0; i < 100 && !sock__tcp_info(fd, &ti) && ti.tcpi_probes; i++)
		clock__sleep_ms(5);
	if (ti.tcpi_probes)
		return run__fail(r, -EPROTO, "client: the first probe was not answered");
	if (step__send(me->up, 'D') || step__recv(me->down, 'G'))
		return -EIO;
	return timer__client_gives_up(r, fd, GIVE_UP_WAIT_MS);
}

/*
 * The server reads until the client's keepalive timer resets the connection. Its wait counts
 * from when its segments are dropped: until then every probe is answered, for as long as a
 * slow host takes to load the rule (once, on an emulated arm64, 13 probes in all), and a
 * wait counted from the ping ran out first and closed the socket.
 */
static int keepalive__server(struct run *r, struct child *me)
{
	int fd = server__accept(r), err;

	if (fd < 0 || server__pong(r, fd))
		return -EIO;
	if (step__recv(me->down, 'G')) {
		close(fd);
		return run__fail(r, -EPIPE, "server: never told its segments are dropped");
	}
	sock__timeouts(fd, GIVE_UP_WAIT_MS / 1000);
	err = run__expect_reset(r, me, fd);
	close(fd);
	return err;
}

int scenario__keepalive(struct run *r)
{
	int err;

	r->res->fields |= SCENARIO_F_TIMER;
	r->res->set.keepalive_idle_s = KA_IDLE_S;
	r->res->set.keepalive_intvl_s = KA_INTVL_S;
	r->res->set.keepalive_cnt = KA_CNT;
	err = run__start(r, keepalive__client, keepalive__server) ?:
	      run__step_await(r, &r->client, 'D', KA_IDLE_S * 1000 + GIVE_UP_WAIT_MS) ?:
	      timer__drop_server(r, true) ?: run__step_tell(r, &r->client, 'G') ?:
	      run__step_tell(r, &r->server, 'G');
	/* the rule stays until the end: no segment of the server is wanted any more */
	return err ?: run__finish(r) ?: timer__drop_server(r, false);
}

/*
 * user_timeout, retrans_timeout: the client's data is never acknowledged, until
 * TCP_USER_TIMEOUT or tcp_retries2 runs out. mark_ns is when it was written. The server
 * reads it, and resets once the client has given up.
 */

static int unacked__client(struct run *r, struct child *me)
{
	char buf[DATA_BYTES] = { 0 };
	int fd = client__open(r), err;

	if (fd < 0 || client__ping(r, fd))
		return -EIO;
	if (r->res->set.user_timeout_ms && sock__user_timeout(fd, r->res->set.user_timeout_ms))
		return run__fail(r, -errno, "client: TCP_USER_TIMEOUT: %s", strerror(errno));
	if (step__send(me->up, 'D') || step__recv(me->down, 'G'))
		return -EIO;
	r->res->mark_ns = clock__now_ns();
	err = sock__write_all(fd, buf, sizeof(buf));
	if (err)
		return run__fail(r, err, "client: write: %s", strerror(-err));
	err = timer__client_gives_up(r, fd, GIVE_UP_WAIT_MS);
	return err ?: step__send(me->up, 'X');
}

static int unacked__server(struct run *r, struct child *me)
{
	char buf[DATA_BYTES];
	int fd = server__accept(r), err;

	if (fd < 0 || server__pong(r, fd) || server__await_client(me))
		return -EIO;
	err = sock__read_n(fd, buf, sizeof(buf));
	if (err)
		return run__fail(r, err, "server: read: %s", strerror(-err));
	return timer__server_abort(r, me, fd);
}

static int unacked__run(struct run *r)
{
	int err;

	r->res->fields |= SCENARIO_F_TIMER;
	err = run__start(r, unacked__client, unacked__server) ?:
	      run__step_wait(r, &r->client, 'D') ?:
	      timer__drop_server(r, true) ?:
	      run__step_tell(r, &r->client, 'G') ?: run__step_tell(r, &r->server, 'L') ?:
	      run__step_await(r, &r->client, 'X', GIVE_UP_WAIT_MS) ?:
	      timer__drop_server(r, false) ?: run__step_tell(r, &r->server, 'G');
	return err ?: run__finish(r);
}

int scenario__user_timeout(struct run *r)
{
	r->res->set.user_timeout_ms = USER_TIMEOUT_MS;
	return unacked__run(r);
}

int scenario__retrans_timeout(struct run *r)
{
	r->res->set.retries = RETRIES2;
	return run__sysctl(r, "net.ipv4.tcp_retries2", RETRIES2) ?: unacked__run(r);
}

/*
 * fin_wait2_timeout: the client closes, the server never does: the orphan goes on as a
 * timewait socket in its FIN_WAIT2 substate for tcp_fin_timeout, and expires. The server
 * then resets its end.
 */

static int fin_wait2__server(struct run *r, struct child *me)
{
	int fd = server__accept(r);

	if (fd < 0 || server__pong(r, fd) || server__await_client(me) ||
	    server__wait_eof(r, fd))
		return -EIO;
	return timer__server_abort(r, me, fd);
}

/* wait until the namespace has at least (more) or no (!more) timewait sockets */
static int timer__wait_tw(struct run *r, bool more, int timeout_ms)
{
	double deadline = clock__now_ms() + timeout_ms;
	long long n;

	while ((n = netns__tw_sockets()) >= 0 && (more ? n == 0 : n > 0)) {
		if (clock__now_ms() > deadline)
			return run__fail(r, -ETIMEDOUT, "%s timewait socket after %d s",
					 more ? "no" : "still a", timeout_ms / 1000);
		clock__sleep_ms(10);
	}
	return n < 0 ? run__fail(r, (int)n, "/proc/net/sockstat: %s", strerror((int)-n)) : 0;
}

int scenario__fin_wait2_timeout(struct run *r)
{
	int err;

	r->res->fields |= SCENARIO_F_TIMER;
	r->res->set.fin_timeout_s = FIN_TIMEOUT_S;
	err = run__sysctl(r, "net.ipv4.tcp_fin_timeout", FIN_TIMEOUT_S) ?:
	      run__start(r, active__client, fin_wait2__server) ?:
	      run__step_tell(r, &r->server, 'L') ?: timer__wait_tw(r, true, STEP_TIMEOUT_MS) ?:
	      timer__wait_tw(r, false, FIN_TIMEOUT_S * 1000 + GIVE_UP_WAIT_MS) ?:
	      run__step_tell(r, &r->server, 'G');
	return err ?: run__finish(r);
}

/*
 * orphan_retries: the client closes while the server's segments are dropped: its FIN is
 * resent until tcp_orphan_retries runs out and the orphan is dropped without an RST. The
 * capture counts the FINs.
 */

static int orphan__run(struct run *r)
{
	long long aborts = nstat__value("TcpExtTCPAbortOnTimeout");
	int err;

	if (aborts < 0)
		return run__fail(r, (int)aborts, "reading /proc/net/netstat: %s",
				 strerror((int)-aborts));
	err = run__start(r, client__close_when_told, fin_wait2__server) ?:
	      run__step_wait(r, &r->client, 'E') ?:
	      timer__drop_server(r, true) ?:
	      run__step_tell(r, &r->client, 'G') ?: run__step_tell(r, &r->server, 'L');
	if (!err && nstat__wait("TcpExtTCPAbortOnTimeout", aborts + 1, GIVE_UP_WAIT_MS) < 0)
		err = run__fail(r, -ETIMEDOUT, "the orphan was not given up in %d s",
				GIVE_UP_WAIT_MS / 1000);
	return err ?: timer__drop_server(r, false) ?: run__step_tell(r, &r->server, 'G') ?:
	       run__finish(r);
}

int scenario__orphan_retries(struct run *r)
{
	struct capture cap;
	int err;

	r->res->fields |= SCENARIO_F_TIMER | SCENARIO_F_DROPS;
	r->res->set.retries = ORPHAN_RETRIES;
	err = run__sysctl(r, "net.ipv4.tcp_orphan_retries", ORPHAN_RETRIES);
	if (err)
		return err;
	err = run__capture(r, &cap);
	if (err)
		return err;
	return run__count_fins(r, &cap, orphan__run(r), false);
}
