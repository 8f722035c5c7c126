// SPDX-License-Identifier: GPL-2.0
/* sock: TCP sockets over loopback, the options the scenarios set, and what they wait for */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "sock.h"
#include "clock.h"

/* the clock of the capture's stamps */
static double sock__realtime(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

socklen_t sock__addr(int family, unsigned short port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == 6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		a->sin6_port = htons(port);
		return sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a->sin_port = htons(port);
		return sizeof(*a);
	}
}

static int sockaddr__port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

int sock__port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return -errno;
	return sockaddr__port(&ss);
}

int sock__peer_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getpeername(fd, (struct sockaddr *)&ss, &len))
		return -errno;
	return sockaddr__port(&ss);
}

void sock__timeouts(int fd, int seconds)
{
	struct timeval tv = { .tv_sec = seconds };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

int sock__listen(int family, unsigned short *port)
{
	struct sockaddr_storage ss;
	socklen_t len = sock__addr(family, 0, &ss);
	int fd, p, err;

	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, SOMAXCONN)) {
		err = -errno;
		close(fd);
		return err;
	}
	p = sock__port(fd);
	if (p < 0) {
		close(fd);
		return p;
	}
	*port = p;
	return fd;
}

int sock__write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		p += n;
		len -= n;
	}
	return 0;
}

int sock__read_n(int fd, void *buf, size_t len)
{
	char *p = buf;
	ssize_t n;

	while (len) {
		n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ENODATA;
		p += n;
		len -= n;
	}
	return 0;
}

/* bytes read until EOF, or -errno */
long sock__drain(int fd)
{
	char buf[16384];
	long total = 0;
	ssize_t n;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return total;
		total += n;
	}
}

int sock__linger0(int fd)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	return setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)) ? -errno : 0;
}

int sock__keepalive(int fd, int idle_s, int intvl_s, int cnt)
{
	int one = 1;

	if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)) ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle_s, sizeof(idle_s)) ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl_s, sizeof(intvl_s)) ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt)))
		return -errno;
	return 0;
}

int sock__user_timeout(int fd, unsigned int ms)
{
	if (setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ms, sizeof(ms)))
		return -errno;
	return 0;
}

int sock__tcp_info(int fd, struct tcp_info *ti)
{
	socklen_t len = sizeof(*ti);

	memset(ti, 0, sizeof(*ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, ti, &len))
		return -errno;
	return 0;
}

/*
 * Wait until the kernel reports an error on the socket, as an aborting timer leaves it:
 * returns that errno (ETIMEDOUT), or -ETIMEDOUT if none came; *when is the wall clock then.
 */
int sock__wait_error(int fd, int timeout_ms, double *when)
{
	struct pollfd pfd = { .fd = fd, .events = 0 };	/* POLLERR needs no asking */
	socklen_t len = sizeof(int);
	int n, err = 0;

	n = poll(&pfd, 1, timeout_ms);
	if (when)
		*when = sock__realtime();
	if (n < 0)
		return -errno;
	if (n == 0)
		return -ETIMEDOUT;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
		return -errno;
	return err;
}

/* wait until a full socket is in the kernel's TCP state (TCP_FIN_WAIT2, ...) */
int sock__wait_state(int fd, int state, int timeout_ms)
{
	double deadline = clock__now_ms() + timeout_ms;
	struct tcp_info ti;
	int err;

	while (!(err = sock__tcp_info(fd, &ti)) && ti.tcpi_state != state) {
		if (clock__now_ms() > deadline)
			return -ETIMEDOUT;
		clock__sleep_ms(1);
	}
	return err;
}
