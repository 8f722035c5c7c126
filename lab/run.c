// SPDX-License-Identifier: GPL-2.0
/*
 * run: the machinery every scenario shares. The calling process conducts; the client and
 * the server each run in a forked child, so each end has its own pid and comm, and they
 * step through a scenario by passing single bytes over pipes. Results land in shared
 * memory. A scenario is a client, a server and a conductor built from these.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include "netns.h"
#include "proctcp.h"
#include "scenario_internal.h"
#include "sock.h"
#include "clock.h"

/* the first error wins: later ones are usually its consequences */
int run__fail(struct run *r, int err, const char *fmt, ...)
{
	va_list ap;

	if (!r->res->error[0]) {
		va_start(ap, fmt);
		vsnprintf(r->res->error, sizeof(r->res->error), fmt, ap);
		va_end(ap);
	}
	return err < 0 ? err : -EIO;
}

/* steps: one byte names the step, so a confused peer is caught at once */
int step__send(int fd, char step)
{
	return write(fd, &step, 1) == 1 ? 0 : -EPIPE;
}

int step__await(int fd, char step, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char got;
	int n;

	n = poll(&pfd, 1, timeout_ms);
	if (n == 0)
		return -ETIMEDOUT;
	if (n < 0 || read(fd, &got, 1) != 1)
		return -EPIPE;
	return got == step ? 0 : -EPROTO;
}

/*
 * In a child: wait for the conductor's word, for as long as the conductor takes. The
 * conductor bounds each of its own waits and kills its children when one runs out
 * (run__kill()); a clock of the child's own could only fail the scenario while the
 * conductor is busy with a slow step of its own, such as loading an nft rule on a loaded
 * emulated guest. If the conductor is gone, the pipe's end says so at once.
 */
int step__recv(int fd, char step)
{
	return step__await(fd, step, -1);
}

/*
 * In the server: wait for the conductor's 'L', said once it has let the client go on, before
 * a wait for what the client then sends: the socket's own timeout then counts from there,
 * not from before the conductor's steps in between.
 */
int server__await_client(struct child *me)
{
	return step__recv(me->down, 'L');
}

int run__step_await(struct run *r, struct child *c, char step, int timeout_ms)
{
	int err = step__await(c->up, step, timeout_ms);

	if (err)
		run__fail(r, err, "%s did not reach step '%c': %s",
			  c == &r->client ? "client" : "server", step, strerror(-err));
	return err;
}

int run__step_wait(struct run *r, struct child *c, char step)
{
	return run__step_await(r, c, step, STEP_TIMEOUT_MS);
}

int run__step_tell(struct run *r, struct child *c, char step)
{
	int err = step__send(c->down, step);

	if (err)
		run__fail(r, err, "%s gone before step '%c'", c == &r->client ? "client" : "server",
			  step);
	return err;
}

static struct scenario_side *run__side(struct run *r, struct child *c)
{
	return c == &r->client ? &r->res->client : &r->res->server;
}

/* a read that must end in an error (a reset): record which */
int run__expect_reset(struct run *r, struct child *me, int fd)
{
	long n = sock__drain(fd);

	if (n >= 0)
		return run__fail(r, -EPROTO, "%s: read EOF after %ld bytes, expected a reset",
				 me == &r->client ? "client" : "server", n);
	run__side(r, me)->err = (int)-n;
	return 0;
}

/*
 * The client's end: connect and record its port. With bind_port >= 0 it first binds that
 * port (0: any) with SO_REUSEADDR, so that a timewait socket of an earlier connection from
 * it does not refuse the bind and connect() decides what happens to that socket.
 */
int client__connect(struct run *r, int bind_port)
{
	struct sockaddr_storage ss, local;
	socklen_t len = sock__addr(r->family, r->port, &ss);
	socklen_t llen = sock__addr(r->family, bind_port, &local);
	int fd, port, one = 1;

	fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0)
		return run__fail(r, -errno, "client: socket: %s", strerror(errno));
	sock__timeouts(fd, STEP_TIMEOUT_MS / 1000);
	if (bind_port >= 0 &&
	    (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	     bind(fd, (struct sockaddr *)&local, llen))) {
		run__fail(r, -errno, "client: bind to port %d: %s", bind_port, strerror(errno));
		close(fd);
		return -EIO;
	}
	if (connect(fd, (struct sockaddr *)&ss, len)) {
		run__fail(r, -errno, "client: connect to port %u: %s", r->port, strerror(errno));
		close(fd);
		return -EIO;
	}
	port = sock__port(fd);
	if (port < 0) {
		close(fd);
		return run__fail(r, port, "client: getsockname: %s", strerror(-port));
	}
	r->res->client.port = port;
	return fd;
}

int run__pin_first_cpu(struct run *r)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set))
		return run__fail(r, -errno, "sched_getaffinity: %s", strerror(errno));
	for (r->pin_cpu = 0; !CPU_ISSET(r->pin_cpu, &set); r->pin_cpu++)
		;
	return 0;
}

/* set a sysctl of the scenario's namespace */
int run__sysctl(struct run *r, const char *name, int value)
{
	char text[16];
	int err;

	snprintf(text, sizeof(text), "%d", value);
	err = netns__sysctl(name, text);
	if (err)
		return run__fail(r, err, "sysctl %s=%d: %s (is /proc/sys writable here?)", name,
				 value, strerror(-err));
	return 0;
}

/* start a capture on lo */
int run__capture(struct run *r, struct capture *cap)
{
	int err = capture__start(cap);

	if (err)
		return run__fail(r, err, "capture on lo: %s (AF_PACKET needs CAP_NET_RAW)",
				 strerror(-err));
	return 0;
}

/*
 * End a capture (stopped if the scenario went well: err 0), count each end's FINs, and how
 * often one end (the server if server) resent its own. Returns err, or the capture's.
 */
int run__count_fins(struct run *r, struct capture *cap, int err, bool server)
{
	if (!err) {
		err = capture__stop(cap);
		if (err)
			run__fail(r, err, "capture: %s", strerror(-err));
	}
	r->res->client.fins = capture__fins(cap, r->res->client.port);
	r->res->server.fins = capture__fins(cap, r->port);
	r->res->fin_retrans = (server ? r->res->server.fins : r->res->client.fins) - 1;
	capture__free(cap);
	return err;
}

/* watch_resends: end the capture of the whole run; err is the run's, returned if set */
int run__watch_end(struct run *r, struct capture *cap, int err)
{
	int stop = capture__stop(cap);

	if (stop && !err)
		err = run__fail(r, stop, "capture: %s", strerror(-stop));
	r->res->resends = capture__resends(cap);
	for (int i = 0; i < r->res->nconns; i++) {
		struct scenario_conn *c = &r->res->conns[i];
		int nth = 0;

		/* connect() may reuse a 4-tuple: the nth connection of it */
		for (int k = 0; k < i; k++)
			nth += r->res->conns[k].cport == c->cport && r->res->conns[k].sport == c->sport;
		c->cfin_resends = capture__fin_resends(cap, c->cport, c->sport, nth);
		c->sfin_resends = capture__fin_resends(cap, c->sport, c->cport, nth);
	}
	if (r->opts->wire) {
		*r->opts->wire = *cap;
		memset(cap, 0, sizeof(*cap));
	}
	capture__free(cap);
	return err;
}

/* in the client: note another connection of the scenario, from port cport */
void run__add_conn(struct run *r, unsigned short cport)
{
	if (r->res->nconns == SCENARIO_MAX_CONNS)
		return;
	r->res->conns[r->res->nconns].cport = cport;
	r->res->conns[r->res->nconns].sport = r->port;
	r->res->nconns++;
}

int client__open(struct run *r)
{
	return client__connect(r, -1);
}

int server__accept(struct run *r)
{
	int fd = accept(r->lfd, NULL, NULL);

	if (fd < 0)
		return run__fail(r, -errno, "server: accept: %s", strerror(errno));
	sock__timeouts(fd, STEP_TIMEOUT_MS / 1000);
	return fd;
}

/*
 * Real-time priority (SCHED_FIFO) while two closes must fall in one jiffy, whatever else the
 * host runs: a busy CPU would otherwise keep a woken process waiting for a timeslice. The
 * scenario waits on nothing at that priority but its own steps; off again at once.
 */
void sched__realtime(bool on)
{
	struct sched_param p = { .sched_priority = on ? 1 : 0 };

	sched_setscheduler(0, on ? SCHED_FIFO : SCHED_OTHER, &p);
}

/* ping, step 'E', and close (a FIN) once the conductor says 'G' */
int client__close_when_told(struct run *r, struct child *me)
{
	int fd = client__open(r), err;

	if (fd < 0 || client__ping(r, fd) || step__send(me->up, 'E'))
		return -EIO;
	if (r->rt_close)
		sched__realtime(true);
	err = step__recv(me->down, 'G') ? -EIO : close(fd);
	if (r->rt_close)
		sched__realtime(false);
	return err;
}

/* the small request and reply every orderly scenario starts with */
int client__ping(struct run *r, int fd)
{
	char buf[5];
	int err;

	err = sock__write_all(fd, "ping\n", 5);
	if (!err)
		err = sock__read_n(fd, buf, 5);
	if (err)
		return run__fail(r, err, "client: ping: %s", strerror(-err));
	return 0;
}

int server__pong(struct run *r, int fd)
{
	char buf[5];
	int err;

	err = sock__read_n(fd, buf, 5);
	if (!err)
		err = sock__write_all(fd, "pong\n", 5);
	if (err)
		return run__fail(r, err, "server: pong: %s", strerror(-err));
	return 0;
}

int server__wait_eof(struct run *r, int fd)
{
	long n = sock__drain(fd);

	if (n < 0)
		return run__fail(r, (int)n, "server: waiting for EOF: %s", strerror((int)-n));
	return 0;
}

static void child__pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static int run__fork(struct run *r, struct child *c, const char *comm, child_fn fn)
{
	struct scenario_side *side = run__side(r, c);
	int up[2], down[2];
	pid_t pid;

	if (pipe(up))
		return run__fail(r, -errno, "pipe: %s", strerror(errno));
	if (pipe(down)) {
		close(up[0]);
		close(up[1]);
		return run__fail(r, -errno, "pipe: %s", strerror(errno));
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(up[0]);
		close(up[1]);
		close(down[0]);
		close(down[1]);
		return run__fail(r, -errno, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		close(up[0]);
		close(down[1]);
		c->up = up[1];
		c->down = down[0];
		prctl(PR_SET_NAME, comm);
		/* the conductor may die in a test; do not outlive it */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		side->pid = getpid();
		snprintf(side->comm, sizeof(side->comm), "%s", comm);
		if (r->pin_cpu >= 0)
			child__pin(r->pin_cpu);
		_exit(fn(r, c) ? 1 : 0);
	}
	close(up[1]);
	close(down[0]);
	c->pid = pid;
	c->up = up[0];
	c->down = down[1];
	return 0;
}

static void run__close_child(struct child *c)
{
	if (c->pid > 0) {
		close(c->up);
		close(c->down);
	}
	c->pid = 0;
}

/* the listener is made here so both children know its port; only the server keeps it */
int run__start(struct run *r, child_fn client, child_fn server)
{
	int err;

	memset(&r->client, 0, sizeof(r->client));
	memset(&r->server, 0, sizeof(r->server));
	r->lfd = sock__listen(r->family, &r->port);
	if (r->lfd < 0)
		return run__fail(r, r->lfd, "listen: %s", strerror(-r->lfd));
	r->res->server.port = r->port;
	err = run__fork(r, &r->server, SERVER_COMM, server);
	close(r->lfd);
	r->lfd = -1;
	if (err)
		return err;
	return run__fork(r, &r->client, CLIENT_COMM, client);
}

static int run__reap(struct run *r)
{
	struct child *kids[] = { &r->client, &r->server };
	double deadline = clock__now_ms() + REAP_TIMEOUT_MS;
	int left = 0, err = 0, status, i;
	pid_t pid;

	for (i = 0; i < 2; i++)
		left += kids[i]->pid > 0;
	while (left) {
		for (i = 0; i < 2; i++) {
			if (kids[i]->pid <= 0)
				continue;
			pid = waitpid(kids[i]->pid, &status, WNOHANG);
			if (pid == 0)
				continue;
			if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
				err = run__fail(r, -EIO, "%s failed", i ? "server" : "client");
			run__close_child(kids[i]);
			left--;
		}
		if (!left)
			break;
		if (clock__now_ms() > deadline) {
			run__kill(r);
			return run__fail(r, -ETIMEDOUT, "scenario processes did not finish in %d s",
					 REAP_TIMEOUT_MS / 1000);
		}
		clock__sleep_ms(1);
	}
	return err;
}

/* until no socket of the scenario's connections has a segment still to come (proctcp.h) */
static int run__settle(struct run *r)
{
	double deadline = clock__now_ms() + SETTLE_TIMEOUT_MS;
	int busy;

	while ((busy = proctcp__busy_sockets(r->family, r->port)) > 0) {
		if (clock__now_ms() > deadline)
			return run__fail(r, -ETIMEDOUT,
					 "%d sockets of port %u not closed after %d s", busy,
					 r->port, SETTLE_TIMEOUT_MS / 1000);
		clock__sleep_ms(2);
	}
	return busy < 0 ? run__fail(r, busy, "/proc/net/tcp: %s", strerror(-busy)) : 0;
}

/* wait for both ends to finish, then for the last segment of the connection */
int run__finish(struct run *r)
{
	int err = run__reap(r);

	return err ? err : run__settle(r);
}

void run__kill(struct run *r)
{
	struct child *kids[] = { &r->client, &r->server };
	int i;

	for (i = 0; i < 2; i++) {
		if (kids[i]->pid <= 0)
			continue;
		kill(kids[i]->pid, SIGKILL);
		waitpid(kids[i]->pid, NULL, 0);
		run__close_child(kids[i]);
	}
}
