// SPDX-License-Identifier: GPL-2.0
/*
 * scenario: real TCP connections over loopback in the current network namespace, closed in
 * one chosen way. The calling process conducts; the client and the server each run in a
 * forked child, so each end has its own pid and comm, and they step through a scenario
 * by passing single bytes over pipes. Results land in shared memory.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "capture.h"
#include "netns.h"
#include "nft.h"
#include "nstat.h"
#include "scenario.h"
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

int step__recv(int fd, char step)
{
	return step__await(fd, step, STEP_TIMEOUT_MS);
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
static int run__watch_end(struct run *r, struct capture *cap, int err)
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
			for (i = 0; i < 2; i++) {
				if (kids[i]->pid <= 0)
					continue;
				kill(kids[i]->pid, SIGKILL);
				waitpid(kids[i]->pid, NULL, 0);
				run__close_child(kids[i]);
			}
			return run__fail(r, -ETIMEDOUT, "scenario processes did not finish in %d s",
					 REAP_TIMEOUT_MS / 1000);
		}
		clock__sleep_ms(1);
	}
	return err;
}

/*
 * Count the sockets touching the listener's port that are not yet in TIME_WAIT: once there
 * are none, no segment of the scenario is still to come. /proc/net/tcp lists timewait
 * sockets too, with their substate, so an orphaned FIN_WAIT2 still counts as busy.
 */
static int settle__busy(int family, unsigned short port)
{
	char line[512];
	unsigned int lport, rport, st;
	int busy = 0;
	FILE *f;

	f = fopen(family == 6 ? "/proc/net/tcp6" : "/proc/net/tcp", "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " %*u: %*[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%x %x", &lport, &rport,
			   &st) != 3)
			continue;
		if ((lport == port || rport == port) && st != 6 /* TCP_TIME_WAIT */)
			busy++;
	}
	fclose(f);
	return busy;
}

static int run__settle(struct run *r)
{
	double deadline = clock__now_ms() + SETTLE_TIMEOUT_MS;
	int busy;

	while ((busy = settle__busy(r->family, r->port)) > 0) {
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

static void run__kill(struct run *r)
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

static int scenario__passive(struct run *r)
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

static int scenario__fin_data(struct run *r)
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

static int scenario__halfclose(struct run *r)
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

static int scenario__simultaneous(struct run *r)
{
	struct capture cap;
	bool crossed = false;
	cpu_set_t set;
	int err;

	r->res->fields |= SCENARIO_F_CROSS | SCENARIO_F_DROPS;
	if (sched_getaffinity(0, sizeof(set), &set))
		return run__fail(r, -errno, "sched_getaffinity: %s", strerror(errno));
	for (r->pin_cpu = 0; !CPU_ISSET(r->pin_cpu, &set); r->pin_cpu++)
		;
	r->rt_close = true;
	err = run__capture(r, &cap);
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

static int scenario__unread(struct run *r)
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

static int scenario__linger0(struct run *r)
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

static int scenario__peer_reset(struct run *r)
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

static int scenario__listener_close(struct run *r)
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

static int drop__server(struct run *r, struct child *me)
{
	int fd = server__accept(r);

	if (fd < 0 || server__pong(r, fd) || server__wait_eof(r, fd) ||
	    step__send(me->up, 'F') || step__recv(me->down, 'G'))
		return -EIO;
	return close(fd);
}

/* drop once what match selects, after the child reaches step, then let it go on */
static int drop__once(struct run *r, struct child *c, char step, const char *fmt)
{
	char match[128];
	long drops;
	int err;

	if (run__step_wait(r, c, step))
		return -EIO;
	snprintf(match, sizeof(match), fmt, r->res->client.port);
	err = nft__drop(match);
	if (err)
		return run__fail(r, err, "nft: cannot add rule '%s'", match);
	if (run__step_tell(r, c, 'G'))
		return -EIO;
	drops = nft__wait_drops(1, STEP_TIMEOUT_MS);
	if (drops < 0)
		return run__fail(r, (int)drops, "nft: '%s' dropped nothing: %s", match,
				 strerror((int)-drops));
	drops = nft__stop();
	if (drops < 0)
		return run__fail(r, (int)drops, "nft: cannot remove the rule");
	r->res->drops = drops;
	return 0;
}

static int drop__run(struct run *r, bool lastack)
{
	struct capture cap;
	int err;

	r->res->fields |= SCENARIO_F_DROPS;
	err = run__capture(r, &cap);
	if (err)
		return err;
	err = run__start(r, client__close_when_told, drop__server);
	if (!err && lastack) {
		/* the client's FIN is not held back: release the client at once */
		err = run__step_wait(r, &r->client, 'E') ?: run__step_tell(r, &r->client, 'G');
		if (!err)
			err = drop__once(r, &r->server, 'F', "tcp sport %u tcp flags == ack");
	} else if (!err) {
		err = drop__once(r, &r->client, 'E', "tcp sport %u tcp flags & fin == fin");
		if (!err)
			err = run__step_wait(r, &r->server, 'F') ?:
			      run__step_tell(r, &r->server, 'G');
	}
	if (!err)
		err = run__finish(r);
	return run__count_fins(r, &cap, err, lastack);
}

static int scenario__fin_drop(struct run *r)
{
	return drop__run(r, false);
}

static int scenario__lastack_drop(struct run *r)
{
	return drop__run(r, true);
}

/* churn: many connections as fast as they go; even ones the client closes first */

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

static int scenario__churn(struct run *r)
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

struct scenario {
	const char *name;
	int family;
	int (*run)(struct run *r);
	const char *help;
};

static const struct scenario scenarios[] = {
	{ "active", 4, scenario__active,
	  "the client closes first, the server 200 ms after EOF" },
	{ "active6", 6, scenario__active, "active over ::1" },
	{ "passive", 4, scenario__passive,
	  "the server closes first, the client 200 ms after EOF" },
	{ "halfclose", 4, scenario__halfclose,
	  "the client shuts down its side; the server sends 10000 bytes over 200 ms" },
	{ "fin_data", 4, scenario__fin_data,
	  "the client's FIN rides on its last data (TCP_CORK, then close)" },
	{ "simultaneous", 4, scenario__simultaneous,
	  "both FINs dropped once, so the resent FINs cross (FIN_WAIT1 -> CLOSING)" },
	{ "unread", 4, scenario__unread, "the server closes with unread data: it sends RST" },
	{ "linger0", 4, scenario__linger0, "the client closes with SO_LINGER {1, 0}: RST" },
	{ "peer_reset", 4, scenario__peer_reset, "the server closes with SO_LINGER {1, 0}: RST" },
	{ "listener_close", 4, scenario__listener_close,
	  "a listener closed with an unaccepted connection: the child is reset" },
	{ "fin_drop", 4, scenario__fin_drop, "the client's FIN is dropped once and resent" },
	{ "lastack_drop", 4, scenario__lastack_drop,
	  "the client's last ACK is dropped once: the server resends its FIN from LAST_ACK" },
	{ "tw_expire", 4, scenario__tw_expire,
	  "active, then the client's TIME_WAIT left alone until its 2MSL timer fires (60 s)" },
	{ "tw_reused", 4, scenario__tw_reused,
	  "connect() from the same port reuses the TIME_WAIT (tcp_tw_reuse=1)" },
	{ "tw_rst", 4, scenario__tw_rst,
	  "an RST at the expected sequence number kills the TIME_WAIT (tcp_rfc1337=0)" },
	{ "tw_syn", 4, scenario__tw_syn,
	  "the server closes first; a new SYN from the same client port takes its TIME_WAIT" },
	{ "tw_purged", 4, scenario__tw_purged,
	  "3 active closes; their TIME_WAITs end with the namespace" },
	{ "tw_overflow", 4, scenario__tw_overflow,
	  "tcp_max_tw_buckets=0: no timewait socket is made, the connection just closes" },
	{ "keepalive", 4, scenario__keepalive,
	  "keepalive 2 s/1 s/3: one probe answered, then 3 unanswered, and the abort" },
	{ "user_timeout", 4, scenario__user_timeout,
	  "TCP_USER_TIMEOUT 1500 ms runs out while data goes unacknowledged" },
	{ "retrans_timeout", 4, scenario__retrans_timeout,
	  "tcp_retries2=3 runs out while data goes unacknowledged" },
	{ "fin_wait2_timeout", 4, scenario__fin_wait2_timeout,
	  "tcp_fin_timeout=2: an orphaned FIN_WAIT2 whose peer never closes" },
	{ "orphan_retries", 4, scenario__orphan_retries,
	  "tcp_orphan_retries=1: the FIN of a closed socket is never acknowledged" },
	{ "churn", 4, scenario__churn,
	  "1000 (--count) connections as fast as possible; the closing side alternates" },
};

const char *scenario__name(int i, const char **help)
{
	if (i < 0 || (size_t)i >= sizeof(scenarios) / sizeof(scenarios[0]))
		return NULL;
	if (help)
		*help = scenarios[i].help;
	return scenarios[i].name;
}

void scenario__default_opts(struct scenario_opts *opts)
{
	*opts = (struct scenario_opts){ .delay_ms = 200, .bytes = 10000, .count = 1000 };
}

int scenario__run(const char *name, const struct scenario_opts *opts,
		  struct scenario_result *res)
{
	const struct scenario *s = NULL;
	struct scenario_opts o;
	struct run r = { .lfd = -1, .pin_cpu = -1, .opts = &o };
	struct capture cap = { 0 };
	double start;
	size_t i;
	int err;

	memset(res, 0, sizeof(*res));
	for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		if (!strcmp(scenarios[i].name, name))
			s = &scenarios[i];
	}
	if (!s) {
		snprintf(res->error, sizeof(res->error), "unknown scenario '%s'", name);
		return -ENOENT;
	}
	scenario__default_opts(&o);
	if (opts)
		o = *opts;
	r.family = o.family ? o.family : s->family;
	if ((r.family != 4 && r.family != 6) || o.delay_ms < 0 || o.bytes < 0 || o.count < 1) {
		snprintf(res->error, sizeof(res->error), "bad options for '%s'", name);
		return -EINVAL;
	}
	r.res = mmap(NULL, sizeof(*r.res), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		     -1, 0);
	if (r.res == MAP_FAILED) {
		snprintf(res->error, sizeof(res->error), "mmap: %s", strerror(errno));
		return -ENOMEM;
	}
	memset(r.res, 0, sizeof(*r.res));
	r.res->name = s->name;
	r.res->family = r.family;
	start = clock__now_ms();
	err = o.watch_resends ? run__capture(&r, &cap) : 0;
	if (!err)
		err = s->run(&r);
	if (err) {
		run__kill(&r);
		nft__remove();
	}
	r.res->tw_sockets = netns__tw_sockets();
	if (!err && !r.res->nconns && r.res->client.port) {
		r.res->conns[0].cport = r.res->client.port;
		r.res->conns[0].sport = r.res->server.port;
		r.res->nconns = 1;
	}
	if (o.watch_resends)
		err = run__watch_end(&r, &cap, err);
	r.res->elapsed_ms = clock__now_ms() - start;
	*res = *r.res;
	munmap(r.res, sizeof(*r.res));
	return err;
}
