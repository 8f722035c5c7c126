// SPDX-License-Identifier: GPL-2.0
/*
 * conns: real TCP connections over loopback for the timer and stuck-connection tests. Every
 * socket is close-on-exec, so the tracer and the commands a test runs never hold one: the
 * holders tcpclose reports are exactly the processes a test gave them to.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "conns.h"
#include "nstat.h"
#include "test.h"

#define CONNS_MAX_HELD 16

double conns__now(void)
{
	struct timespec ts;

	/* the clock of the capture's stamps and of the tracer's "ts" */
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void conns__sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* connect to the listener and accept: both ends in this process */
int conns__open(struct conn *c, int lfd, int family, unsigned short port)
{
	struct sockaddr_storage ss;
	socklen_t len = sock__addr(family, port, &ss);
	int err;

	c->cfd = c->sfd = -1;
	c->sport = port;
	c->cfd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->cfd < 0)
		return -errno;
	if (connect(c->cfd, (struct sockaddr *)&ss, len))
		goto err;
	c->sfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (c->sfd < 0)
		goto err;
	err = sock__port(c->cfd);
	if (err < 0) {
		conns__close(c);
		return err;
	}
	c->cport = err;
	return 0;
err:
	err = -errno;
	conns__close(c);
	return err;
}

void conns__close(struct conn *c)
{
	if (c->cfd >= 0)
		close(c->cfd);
	if (c->sfd >= 0)
		close(c->sfd);
	c->cfd = c->sfd = -1;
}

/* close both ends with SO_LINGER {1, 0}: an RST, and the sockets are gone at once */
void conns__abort(struct conn *c)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	if (c->cfd >= 0)
		setsockopt(c->cfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	if (c->sfd >= 0)
		setsockopt(c->sfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	conns__close(c);
}

/*
 * Every TCP socket of the namespace as "ss -tanH" lists them: state and ports only. No -o:
 * ss prints an overdue timer as "timer:(on,,2)", which a timer parser may not expect.
 */
int conns__ss(struct conns_sock **socks)
{
	struct conns_sock *v = NULL, *nv;
	char line[512], state[16], local[80], peer[80], *colon;
	int n = 0, err = 0;
	FILE *f;

	*socks = NULL;
	f = popen("ss -tanH", "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%15s %*s %*s %79s %79s", state, local, peer) != 3) {
			err = -EINVAL;
			break;
		}
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv) {
			err = -ENOMEM;
			break;
		}
		v = nv;
		snprintf(v[n].state, sizeof(v[n].state), "%s", state);
		colon = strrchr(local, ':');
		v[n].lport = colon ? atoi(colon + 1) : 0;
		colon = strrchr(peer, ':');
		v[n].rport = colon && colon[1] != '*' ? atoi(colon + 1) : 0;
		n++;
	}
	if (pclose(f) != 0 && !err)
		err = -EIO;
	if (err) {
		free(v);
		return err;
	}
	*socks = v;
	return n;
}

/* the socket with these ports, in this state (as ss prints it: "CLOSE-WAIT") */
bool conns__ss_has(const struct conns_sock *socks, int n, const char *state, int lport,
		   int rport)
{
	int i;

	for (i = 0; i < n; i++) {
		if (socks[i].lport == lport && socks[i].rport == rport &&
		    !strcmp(socks[i].state, state))
			return true;
	}
	return false;
}

static int conns__cmp_fd(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* in a fresh child: close every descriptor above stderr but the ones in keep[] (sorted) */
static void conns__close_others(const int *keep, int n)
{
	unsigned int from = 3;
	int i;

	for (i = 0; i < n; i++) {
		if (keep[i] < 3)
			continue;
		if ((unsigned int)keep[i] > from)
			close_range(from, keep[i] - 1, 0);
		from = keep[i] + 1;
	}
	close_range(from, ~0U, 0);
}

/*
 * A child process named comm that holds fds (and nothing else) until conns__release().
 * The caller closes its own copies, so the child is their only holder. Returns its pid.
 */
pid_t conns__hold(const char *comm, const int *fds, int nfds)
{
	int keep[CONNS_MAX_HELD + 1], ready[2];
	pid_t pid;
	char c;

	if (nfds > CONNS_MAX_HELD)
		return -E2BIG;
	if (pipe2(ready, O_CLOEXEC))
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(ready[0]);
		close(ready[1]);
		return -errno;
	}
	if (pid == 0) {
		prctl(PR_SET_NAME, comm);
		/* the test may die on an assertion's goto path: do not outlive it */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		memcpy(keep, fds, nfds * sizeof(int));
		keep[nfds] = ready[1];
		qsort(keep, nfds + 1, sizeof(int), conns__cmp_fd);
		conns__close_others(keep, nfds + 1);
		c = 'r';
		if (write(ready[1], &c, 1) != 1)
			_exit(1);
		close(ready[1]);
		for (;;)
			pause();
	}
	close(ready[1]);
	if (read(ready[0], &c, 1) != 1) {
		close(ready[0]);
		conns__release(pid);
		return -ECHILD;
	}
	close(ready[0]);
	return pid;
}

/* kill the holder: its descriptors close as the process exits */
int conns__release(pid_t pid)
{
	int status;

	if (pid <= 0)
		return 0;
	if (kill(pid, SIGKILL))
		return -errno;
	if (waitpid(pid, &status, 0) != pid)
		return -errno;
	return 0;
}

int conns__comm(pid_t pid, char *comm, size_t size)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, comm, size - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	comm[n] = '\0';
	comm[strcspn(comm, "\n")] = '\0';
	return 0;
}

/*
 * Every complete line the running tracer has printed so far, parsed; lines that are not
 * JSON objects are left out here (tracer__stop() reports them). Returns how many.
 */
double conns__wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int conns__top_snapshot(const struct tracer *t, double after, int wait_ms, json_object ***recs,
			int *n)
{
	double deadline = conns__now() + wait_ms / 1e3;

	for (;;) {
		*n = conns__records(t, recs);
		for (int i = 0; i < *n; i++)
			if (!strcmp(json__str((*recs)[i], "type") ?: "", "top") &&
			    json__double((*recs)[i], "ts", 0) > after)
				return i;
		conns__records_free(*recs, *n > 0 ? *n : 0);
		*recs = NULL;
		*n = 0;
		if (conns__now() > deadline)
			return -1;
		conns__sleep_ms(50);
	}
}

int conns__records(const struct tracer *t, json_object ***recs)
{
	json_object **v = NULL, **nv, *o;
	char *text, *line, *next;
	off_t size;
	ssize_t n;
	int count = 0;

	*recs = NULL;
	size = lseek(t->out, 0, SEEK_END);
	if (size < 0)
		return -errno;
	text = malloc(size + 1);
	if (!text)
		return -ENOMEM;
	n = pread(t->out, text, size, 0);
	text[n > 0 ? n : 0] = '\0';
	for (line = text; (next = strchr(line, '\n')); line = next) {
		*next++ = '\0';
		o = json_tokener_parse(line);
		if (!o || !json_object_is_type(o, json_type_object)) {
			json_object_put(o);
			continue;
		}
		nv = realloc(v, (count + 1) * sizeof(*v));
		if (!nv) {
			json_object_put(o);
			break;
		}
		v = nv;
		v[count++] = o;
	}
	free(text);
	*recs = v;
	return count;
}

void conns__records_free(json_object **recs, int n)
{
	int i;

	for (i = 0; i < n; i++)
		json_object_put(recs[i]);
	free(recs);
}

/* a record of this type about the socket with local port lport and remote port rport */
bool conns__is(json_object *rec, const char *type, int lport, int rport)
{
	const char *t = json__str(rec, "type");

	return t && !strcmp(t, type) && json__int(rec, "sport", -1) == lport &&
	       json__int(rec, "dport", -1) == rport;
}

/* who and where: what every record about one end of a loopback connection must say */
bool conns__check_end(json_object *rec, int family, int lport, int rport,
		      unsigned long long netns, pid_t pid, const char *comm, const char *what)
{
	const char *addr = family == 6 ? "::1" : "127.0.0.1";
	bool ok = true;
	char msg[128];

	snprintf(msg, sizeof(msg), "%s family", what);
	ok &= ASSERT_EQ(json__int(rec, "family", -1), family, msg);
	snprintf(msg, sizeof(msg), "%s saddr", what);
	ok &= ASSERT_STREQ(json__str(rec, "saddr"), addr, msg);
	snprintf(msg, sizeof(msg), "%s daddr", what);
	ok &= ASSERT_STREQ(json__str(rec, "daddr"), addr, msg);
	snprintf(msg, sizeof(msg), "%s sport", what);
	ok &= ASSERT_EQ(json__int(rec, "sport", -1), lport, msg);
	snprintf(msg, sizeof(msg), "%s dport", what);
	ok &= ASSERT_EQ(json__int(rec, "dport", -1), rport, msg);
	snprintf(msg, sizeof(msg), "%s netns", what);
	ok &= ASSERT_EQ(json__int(rec, "netns", -1), netns, msg);
	snprintf(msg, sizeof(msg), "%s pid", what);
	ok &= ASSERT_EQ(json__int(rec, "pid", -1), pid, msg);
	snprintf(msg, sizeof(msg), "%s comm", what);
	if (comm)
		ok &= ASSERT_STREQ(json__str(rec, "comm"), comm, msg);
	else
		ok &= ASSERT_TRUE(json__is_null(rec, "comm"), msg);
	return ok;
}
