// SPDX-License-Identifier: GPL-2.0
/* tw: connections, kernel timer facts and record counting for the TIME_WAIT tests */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "conns.h"
#include "ss.h"
#include "test.h"
#include "probe.h"
#include "tw.h"

/* no step of a connection here waits this long: a stuck peer fails the test instead */
#define TW_IO_TIMEOUT_S 10

static void tw__addr(struct sockaddr_in *a, unsigned short port)
{
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a->sin_port = htons(port);
}

static int tw__port(int fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	if (getsockname(fd, (struct sockaddr *)&a, &len))
		return -errno;
	return ntohs(a.sin_port);
}

static void tw__timeouts(int fd)
{
	struct timeval tv = { .tv_sec = TW_IO_TIMEOUT_S };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* sockets of port (0: any) that are still exchanging segments: neither LISTEN nor TIME_WAIT */
static int tw__busy(unsigned short port)
{
	unsigned int lport, rport, st;
	char line[512];
	int busy = 0;
	FILE *f;

	f = fopen("/proc/net/tcp", "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " %*u: %*[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%x %x", &lport, &rport,
			   &st) != 3)
			continue;
		/* a timewait socket shows its substate: an orphaned FIN_WAIT2 (5) is busy */
		if ((!port || lport == port || rport == port) && st != 0x0a && st != 0x06)
			busy++;
	}
	fclose(f);
	return busy;
}

/* wait until no segment of port's connections (0: all) is still to come */
int tw__settle(unsigned short port, int timeout_ms)
{
	double deadline = clock__now_ms() + timeout_ms;
	int busy;

	while ((busy = tw__busy(port)) > 0) {
		if (clock__now_ms() > deadline)
			return -ETIMEDOUT;
		conns__sleep_ms(2);
	}
	return busy;
}

/*
 * Connect to lport of 127.0.0.1 and accept. With bind_port >= 0 the client binds that port
 * (0: any) with SO_REUSEADDR first: its timewait socket then does not refuse the next bind
 * of the same port, and connect() decides whether it may be reused.
 */
int tw__connect(struct conn *p, int lfd, unsigned short lport, int bind_port)
{
	struct sockaddr_in a;
	int one = 1, port, err;

	p->cfd = p->sfd = -1;
	p->sport = lport;
	p->cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (p->cfd < 0)
		return -errno;
	tw__timeouts(p->cfd);
	if (bind_port >= 0) {
		tw__addr(&a, bind_port);
		if (setsockopt(p->cfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
		    bind(p->cfd, (struct sockaddr *)&a, sizeof(a)))
			goto err;
	}
	tw__addr(&a, lport);
	if (connect(p->cfd, (struct sockaddr *)&a, sizeof(a)))
		goto err;
	port = tw__port(p->cfd);
	if (port < 0) {
		errno = -port;
		goto err;
	}
	p->cport = port;
	p->sfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (p->sfd < 0)
		goto err;
	tw__timeouts(p->sfd);
	return 0;
err:
	err = -errno;
	conns__close(p);
	return err;
}

/*
 * The client closes first; the server reads the EOF, waits delay_ms and closes. The client's
 * end goes on as a timewait socket (from an orphaned FIN_WAIT2 when the server waits).
 */
int tw__close_active(struct conn *p, int delay_ms)
{
	char buf[64];
	ssize_t n;
	int err = 0;

	if (close(p->cfd))
		err = -errno;
	p->cfd = -1;
	while (!err && (n = read(p->sfd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno != EINTR)
			err = -errno;
	}
	conns__sleep_ms(delay_ms);
	if (close(p->sfd) && !err)
		err = -errno;
	p->sfd = -1;
	return err;
}

/*
 * n connections, each closed by its client first, spread over the listeners so that the
 * 4-tuples never run short: every one leaves its client's end in TIME_WAIT.
 */
int tw__active_closes(const int *lfds, const unsigned short *ports, int nports, int n)
{
	struct conn p;
	int i, err;

	for (i = 0; i < n; i++) {
		err = tw__connect(&p, lfds[i % nports], ports[i % nports], -1);
		if (!err)
			err = tw__close_active(&p, 0);
		if (err) {
			printf("connection %d of %d: %s\n", i, n, strerror(-err));
			return err;
		}
	}
	return 0;
}

/* step into the scenario namespace of a test's own scenario, counters read, maybe a capture */
bool tw__begin(struct fixture *f, bool capture)
{
	if (!ASSERT_OK(netns__enter(&f->ns), "enter scenario namespace"))
		return false;
	if (!ASSERT_OK(nstat__read(&f->before), "nstat before"))
		return false;
	return !capture ||
	       (ASSERT_OK(capture__start(&f->cap), "capture on lo") && fixture__watch(f));
}

/* the counters' delta and the capture's segments, and back home */
bool tw__end(struct fixture *f)
{
	bool ok = true;

	if (f->cap.running)
		ok = ASSERT_OK(capture__stop(&f->cap), "capture") &&
		     ASSERT_EQ(f->cap.drops, 0, "segments the capture missed");
	ok = fixture__unwatch(f) && ok;
	ok = ASSERT_OK(nstat__read(&f->after), "nstat after") &&
	     ASSERT_OK(nstat__delta(&f->before, &f->after, &f->delta), "nstat delta") && ok;
	return ASSERT_OK(netns__leave(&f->ns), "leave scenario namespace") && ok;
}

/* the reset tw.h describes: the kernel's, so the script's scenario did not run */
static void tw__reordered(long long rsts)
{
	test__off_script("the namespace sent %lld reset(s): the server's ACK came after its FIN, "
			 "and the reset answering the timewait socket's ACK of it killed that socket "
			 "(tests/tw.h)", rsts);
}

/* a test of a few connections cannot tell apart a TIME-WAIT killed by an RST of ours: tw.h */
bool tw__check_no_rst(const struct fixture *f)
{
	long long rsts = nstat__get(&f->delta, "TcpOutRsts");

	if (rsts > 0)
		tw__reordered(rsts);
	return ASSERT_EQ(rsts, 0,
			 "TcpOutRsts: no reset sent (the server's ACK and FIN not reordered)");
}

/*
 * A timewait socket the test needs is not there before the test did anything that could end
 * it: if the namespace has sent a reset by now, that is the reorder of tw.h
 */
void tw__check_reordered(const struct fixture *f)
{
	long long rsts = nstat__value("TcpOutRsts") - nstat__get(&f->before, "TcpOutRsts");

	if (rsts > 0)
		tw__reordered(rsts);
}

/* how many sockets "ss -tano FILTER" lists, or -errno */
int tw__ss_count(const char *filter)
{
	struct ss_sock *socks = NULL;
	int n = ss__query(filter, &socks);

	free(socks);
	return n;
}

/* the socket "ss -tano FILTER" lists with these ports, in *s; -ENOENT if none */
int tw__ss_get(const char *filter, unsigned short lport, unsigned short rport, struct ss_sock *s)
{
	struct ss_sock *socks = NULL;
	const struct ss_sock *found;
	int n = ss__query(filter, &socks);

	if (n < 0)
		return n;
	found = ss__find(socks, n, lport, rport);
	if (found)
		*s = *found;
	free(socks);
	return found ? 0 : -ENOENT;
}

bool tw__is_close(json_object *rec)
{
	const char *type = json__str(rec, "type");

	return type && !strcmp(type, "close");
}

static bool tw__flag(json_object *rec, const char *key)
{
	json_object *v = NULL;

	return json_object_object_get_ex(rec, key, &v) &&
	       json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v);
}

/* "partial": true, a JSON boolean */
bool tw__partial(json_object *rec)
{
	return tw__flag(rec, "partial");
}

bool tw__end_unseen(json_object *rec)
{
	return tw__flag(rec, "end_unseen");
}

/* close records the running tracer has printed so far whose timewait ended as tw_end */
int tw__count_now(const struct tracer *t, const char *tw_end)
{
	json_object **recs;
	const char *end;
	int i, n, count = 0;

	n = conns__records(t, &recs);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		end = json__str(recs[i], "tw_end");
		count += tw__is_close(recs[i]) && end && !strcmp(end, tw_end);
	}
	conns__records_free(recs, n);
	return count;
}

/* close records that visited state (NULL: any) and whose timewait ended as tw_end (NULL: any) */
int tw__count(const struct tracer *t, const char *state, const char *tw_end)
{
	const char *end;
	int i, n = 0;

	for (i = 0; i < t->nrecs; i++) {
		if (!tw__is_close(t->recs[i]))
			continue;
		if (state && !json__has_state(t->recs[i], state))
			continue;
		end = json__str(t->recs[i], "tw_end");
		if (tw_end && (!end || strcmp(end, tw_end)))
			continue;
		n++;
	}
	return n;
}

/*
 * Assert how many records of a kind there are, and show some when that is off: a record too
 * many is often one of another namespace's connections.
 */
bool tw__check_count(const struct tracer *t, const char *state, const char *tw_end,
		     long long want, const char *what)
{
	int i, shown = 0;

	if (ASSERT_EQ(tw__count(t, state, tw_end), want, what))
		return true;
	for (i = 0; i < t->nrecs && shown < 3; i++) {
		if (!tw__is_close(t->recs[i]) || (state && !json__has_state(t->recs[i], state)))
			continue;
		fixture__dump(t->recs[i], "one of them");
		shown++;
	}
	return false;
}

/* did the capture see a segment from lport to rport? */
static bool tw__captured(const struct capture *c, long long lport, long long rport)
{
	const struct tcp_seg *s;

	capture__for_each(c, s) {
		if (s->sport == lport && s->dport == rport)
			return true;
	}
	return false;
}

/*
 * Every close record must be of a connection the scenario namespace's capture saw: any other
 * comes from another namespace (one that had the traced namespace's inode number, say).
 */
bool tw__check_foreign(const struct fixture *f)
{
	json_object *rec, *example = NULL;
	int i, foreign = 0;

	for (i = 0; i < f->tracer.nrecs; i++) {
		rec = f->tracer.recs[i];
		if (!tw__is_close(rec) ||
		    tw__captured(&f->cap, json__int(rec, "sport", -1), json__int(rec, "dport", -1)))
			continue;
		foreign++;
		example = example ?: rec;
	}
	if (ASSERT_EQ(foreign, 0, "records of connections the namespace's capture never saw"))
		return true;
	fixture__dump(example, "one of them");
	return false;
}

/* the nth (from 0) close record of local port lport and remote port rport */
json_object *tw__record(const struct tracer *t, int lport, int rport, int nth)
{
	int i;

	for (i = 0; i < t->nrecs; i++) {
		if (tw__is_close(t->recs[i]) && json__int(t->recs[i], "sport", -1) == lport &&
		    json__int(t->recs[i], "dport", -1) == rport && nth-- == 0)
			return t->recs[i];
	}
	return NULL;
}

static int tw__cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* nearest rank: the smallest of the n values with at least p% of them at or below it */
double tw__percentile(double *v, int n, int p)
{
	long rank;

	if (n <= 0)
		return 0;
	qsort(v, n, sizeof(*v), tw__cmp_double);
	/* p% of n rounded up, in integers so that it is exact */
	rank = ((long)p * n + 99) / 100;
	if (rank < 1)
		rank = 1;
	return v[rank > n ? n - 1 : rank - 1];
}

bool tw__counted_at_expiry(void)
{
	return probe__btf_member("inet_timewait_sock", "tw_kill");
}

long long tw__made(struct fixture *f, bool resets_killed)
{
	long long made, there = 0, rsts = 0, recycled = 0;

	if (netns__enter(&f->ns))
		return -EIO;
	made = nstat__value("TcpExtTW");
	if (tw__counted_at_expiry()) {
		there = netns__tw_sockets();
		rsts = resets_killed ? nstat__value("TcpOutRsts") : 0;
		recycled = nstat__value("TcpExtTWRecycled");
	}
	netns__leave(&f->ns);
	test__log("timewait sockets made: TcpExtTW %lld, in sockstat %lld, TcpOutRsts %lld, TcpExtTWRecycled %lld",
		  made, there, rsts, recycled);
	if (made < 0 || there < 0 || rsts < 0 || recycled < 0)
		return -EIO;
	return made + there + rsts + recycled;
}
