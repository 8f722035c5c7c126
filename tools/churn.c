// SPDX-License-Identifier: GPL-2.0
/*
 * churn: the load generator of `make bench`.
 *
 * TCP mode (default): client and server threads in the current network namespace, over
 * loopback. Each connection: connect, a small request, a small reply, close; the request says
 * which side closes first, and it alternates, so half the connections are closed actively by
 * the client and half by the server. Clients bind round-robin to many 127/8 source addresses
 * so the ephemeral ports never run out while TIME_WAIT sockets pile up.
 *
 * Timer mode (--timers): no TCP at all, only kernel timer_list timers, to measure what the
 * timer tracepoints cost on a host's other timers. A blocking recv() with SO_RCVTIMEO sleeps in
 * schedule_timeout(), which arms a timer_list (nanosleep, epoll and timerfd use hrtimers, which
 * those tracepoints never see). Ping-pong pairs arm a timer and cancel it on every wake-up;
 * sleepers let a one-jiffy timer expire.
 *
 * Bounded in time (-d) and count (-n); prints a summary line, or one JSON object with --json.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define REQ_LEN 32
#define REPLY_LEN 64
#define MAX_THREADS 1024
#define SRC_BASE 0x7f100000u	/* 127.16.0.0: clear of 127.0.0.1, where the server listens */

static const char usage[] =
	"usage: churn [-d SECONDS] [-n COUNT] [-r RATE] [-t THREADS] [-a ADDRS] [-p PORT] [--json]\n"
	"       churn --hold -n COUNT [-t THREADS] [-a ADDRS] [-p PORT] [--json]\n"
	"       churn --timers [-d SECONDS] [-t PAIRS] [-s SLEEPERS] [--json]\n"
	"TCP connection churn over loopback in the current network namespace: connect, a\n"
	"small request and reply, close, the closing side alternating; or, with --timers,\n"
	"kernel timer_list load without TCP. Stops after SECONDS (default 10) or COUNT\n"
	"connections (default: no limit), whichever comes first.\n"
	"With --hold, the clients close every connection and the server closes none: once\n"
	"COUNT server ends sit in CLOSE_WAIT it reports, holds them until SIGTERM or SIGINT,\n"
	"then closes them and exits.\n"
	"  -r  at most RATE connections a second, evenly paced (default: as fast as it can)\n"
	"  -t  client threads, and as many server threads (default 4); with --timers,\n"
	"      ping-pong thread pairs (default 2)\n"
	"  -a  127.16.0.0/12 source addresses the clients rotate through (default 4096)\n"
	"  -p  server port on 127.0.0.1 (default 7000)\n"
	"  -s  with --timers, threads letting a one-jiffy timer expire (default 64)\n";

static struct {
	double duration;
	unsigned long count;	/* 0: no limit */
	double rate;		/* connections a second; 0: no limit */
	int threads;
	unsigned int addrs;
	int port;
	int sleepers;
	bool json;
	bool timers;
	bool hold;		/* --hold: the server ends stay in CLOSE_WAIT */
} opt = {
	.duration = 10,
	.threads = 0,
	.addrs = 4096,
	.port = 7000,
	.sleepers = 64,
};

static double start_sec, deadline;
static atomic_ulong claimed;		/* connections handed out to clients */
static atomic_ulong done_client;	/* completed, client closed first */
static atomic_ulong done_server;	/* completed, server closed first */
static atomic_ulong errors;
static atomic_ulong waits, expired;	/* --timers */
static atomic_bool stopping;
/* --hold: the server ends held open, opt.count of them */
static int *held;
static atomic_ulong nheld;
static int first_errno;

static double now__sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void error__note(int err)
{
	/* keep the first cause: it is the one worth printing */
	if (atomic_fetch_add(&errors, 1) == 0)
		first_errno = err;
}

static int fd__read_full(int fd, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = recv(fd, buf + got, len - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		got += n;
	}
	return 0;
}

static int fd__write_full(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= n;
	}
	return 0;
}

/* wait for the peer's FIN, so that our close() is the second one: a passive close */
static int fd__wait_eof(int fd)
{
	char buf[16];
	ssize_t n;

	do {
		n = recv(fd, buf, sizeof(buf), 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == 0 ? 0 : -EPROTO;
}

static void *server__run(void *arg)
{
	int lfd = (int)(long)arg;
	char req[REQ_LEN], reply[REPLY_LEN];
	int fd, err;

	memset(reply, 'r', sizeof(reply));
	for (;;) {
		fd = accept(lfd, NULL, NULL);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			/* EINVAL: main shut the listener down, all clients are done */
			if (!atomic_load(&stopping))
				error__note(errno);
			return NULL;
		}
		err = fd__read_full(fd, req, sizeof(req));
		if (!err)
			err = fd__write_full(fd, reply, sizeof(reply));
		if (!err && req[0] == 'C')
			err = fd__wait_eof(fd);
		if (err)
			error__note(-err);
		/* --hold: the peer's FIN is in, ours never goes: CLOSE_WAIT until the end */
		if (!err && opt.hold)
			held[atomic_fetch_add(&nheld, 1)] = fd;
		else
			close(fd);
	}
}

static void src__addr(struct sockaddr_in *sin, unsigned long n)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	/* +1: skip 127.16.0.0 itself, an address that reads like a network */
	sin->sin_addr.s_addr = htonl(SRC_BASE + 1 + n % opt.addrs);
}

/* one connection; client_closes picks which side sends the first FIN */
static int client__connect_once(unsigned long n, bool client_closes)
{
	struct sockaddr_in src, dst = {
		.sin_family = AF_INET,
		.sin_port = htons(opt.port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	char req[REQ_LEN], reply[REPLY_LEN];
	int fd, one = 1, err = 0;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* pick the port at connect() time, by 4-tuple: bind(port 0) would reserve it per address */
	src__addr(&src, n);
	if (setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&src, sizeof(src)) ||
	    connect(fd, (struct sockaddr *)&dst, sizeof(dst))) {
		err = -errno;
		goto out;
	}
	memset(req, 'q', sizeof(req));
	req[0] = client_closes ? 'C' : 'S';
	err = fd__write_full(fd, req, sizeof(req));
	if (!err)
		err = fd__read_full(fd, reply, sizeof(reply));
	if (!err && !client_closes)
		err = fd__wait_eof(fd);
out:
	close(fd);
	return err;
}

static void *client__run(void *arg)
{
	unsigned long n;
	bool client_closes;
	int err;

	(void)arg;
	while (!atomic_load(&stopping)) {
		n = atomic_fetch_add(&claimed, 1);
		if ((opt.count && n >= opt.count) || now__sec() >= deadline)
			break;
		/*
		 * -r: connection n starts no earlier than n / rate seconds in. The wait is read
		 * once: read again for usleep(), it could have become negative, and a negative
		 * double converted to useconds_t slept for an hour (a bench run hung so).
		 */
		if (opt.rate) {
			double wait = start_sec + n / opt.rate - now__sec();

			if (wait > 0)
				usleep(wait * 1e6);
		}
		client_closes = opt.hold || !(n & 1);
		err = client__connect_once(n, client_closes);
		if (err) {
			error__note(-err);
			/* a broken setup fails every connection: stop instead of spinning */
			atomic_store(&stopping, true);
			break;
		}
		atomic_fetch_add(client_closes ? &done_client : &done_server, 1);
	}
	return NULL;
}

static int listener__open(void)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(opt.port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) || listen(fd, 4096)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* --timers: a blocking recv() that returns when the peer sends, well before its 1 s timeout */
static void *pinger__run(void *arg)
{
	int fd = (int)(long)arg;
	char c = 'p';

	while (!atomic_load(&stopping)) {
		if (send(fd, &c, 1, 0) != 1 || recv(fd, &c, 1, 0) != 1) {
			if (!atomic_load(&stopping))
				error__note(errno);
			break;
		}
		atomic_fetch_add(&waits, 1);
		if (now__sec() >= deadline)
			atomic_store(&stopping, true);
	}
	/* the partner's recv() ends by its 1 s timeout: after the measured time */
	return NULL;
}

static void *ponger__run(void *arg)
{
	int fd = (int)(long)arg;
	char c;

	while (recv(fd, &c, 1, 0) == 1) {
		atomic_fetch_add(&waits, 1);
		if (send(fd, &c, 1, 0) != 1)
			break;
	}
	return NULL;
}

/* --timers: nothing ever arrives, so every recv() ends by its one-jiffy timer expiring */
static void *sleeper__run(void *arg)
{
	int fd = (int)(long)arg;
	char c;

	while (!atomic_load(&stopping)) {
		if (recv(fd, &c, 1, 0) >= 0 || (errno != EAGAIN && errno != EINTR)) {
			error__note(errno);
			break;
		}
		atomic_fetch_add(&expired, 1);
	}
	return NULL;
}

static int sock__set_rcvtimeo(int fd, long usec)
{
	struct timeval tv = { .tv_sec = usec / 1000000, .tv_usec = usec % 1000000 };

	return setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

static int timers__start(pthread_t *tids, int *nr)
{
	int i, sv[2];

	for (i = 0; i < opt.threads; i++) {
		if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) ||
		    sock__set_rcvtimeo(sv[0], 1000000) || sock__set_rcvtimeo(sv[1], 1000000))
			return -errno;
		if (pthread_create(&tids[(*nr)++], NULL, pinger__run, (void *)(long)sv[0]) ||
		    pthread_create(&tids[(*nr)++], NULL, ponger__run, (void *)(long)sv[1]))
			return -EAGAIN;
	}
	for (i = 0; i < opt.sleepers; i++) {
		/* 1 us rounds up to one jiffy: the shortest timer_list sleep there is */
		if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) ||
		    sock__set_rcvtimeo(sv[0], 1))
			return -errno;
		if (pthread_create(&tids[(*nr)++], NULL, sleeper__run, (void *)(long)sv[0]))
			return -EAGAIN;
	}
	return 0;
}

static int churn__start(pthread_t *tids, int *nr, int *lfd)
{
	int i;

	*lfd = listener__open();
	if (*lfd < 0)
		return -errno;
	for (i = 0; i < opt.threads; i++) {
		if (pthread_create(&tids[(*nr)++], NULL, server__run, (void *)(long)*lfd))
			return -EAGAIN;
	}
	for (i = 0; i < opt.threads; i++) {
		if (pthread_create(&tids[(*nr)++], NULL, client__run, NULL))
			return -EAGAIN;
	}
	return 0;
}

/* our own CPU time, so that the driver can tell what else ran on the host meanwhile */
static double churn__cpu_sec(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return 0;
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void churn__report(double secs)
{
	unsigned long c = atomic_load(&done_client), s = atomic_load(&done_server);
	unsigned long w = atomic_load(&waits), x = atomic_load(&expired);
	unsigned long e = atomic_load(&errors);
	const char *why = e ? strerror(first_errno) : "";

	if (opt.timers && opt.json) {
		printf("{\"mode\":\"timers\",\"seconds\":%.3f,\"waits\":%lu,\"expired\":%lu,"
		       "\"rate\":%.1f,\"cpu\":%.3f,\"errors\":%lu,\"error\":\"%s\"}\n",
		       secs, w, x, (w + x) / secs, churn__cpu_sec(), e, why);
	} else if (opt.timers) {
		printf("churn: %lu woken and %lu expired timer sleeps in %.2f s: %.0f/s, "
		       "%lu errors%s%s\n", w, x, secs, (w + x) / secs, e, e ? ": " : "", why);
	} else if (opt.json) {
		printf("{\"mode\":\"tcp\",\"seconds\":%.3f,\"connections\":%lu,"
		       "\"client_closed\":%lu,\"server_closed\":%lu,\"held\":%lu,\"rate\":%.1f,"
		       "\"cpu\":%.3f,\"errors\":%lu,\"error\":\"%s\"}\n",
		       secs, c + s, c, s, atomic_load(&nheld), (c + s) / secs, churn__cpu_sec(),
		       e, why);
	} else {
		printf("churn: %lu connections in %.2f s: %.0f/s (client closed %lu, server %lu), "
		       "%lu errors%s%s\n", c + s, secs, (c + s) / secs, c, s, e,
		       e ? ": " : "", why);
	}
}

static long arg__number(const char *name, const char *arg, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < min || v > max) {
		fprintf(stderr, "churn: %s: '%s' is not a number from %ld to %ld\n", name, arg, min,
			max);
		exit(2);
	}
	return v;
}

static void args__parse(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "duration", required_argument, NULL, 'd' },
		{ "count", required_argument, NULL, 'n' },
		{ "rate", required_argument, NULL, 'r' },
		{ "threads", required_argument, NULL, 't' },
		{ "addrs", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ "sleepers", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "timers", no_argument, NULL, 'T' },
		{ "hold", no_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	int c;

	while ((c = getopt_long(argc, argv, "d:n:r:t:a:p:s:jTh", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			opt.duration = arg__number("-d", optarg, 1, 86400);
			break;
		case 'n':
			opt.count = arg__number("-n", optarg, 1, LONG_MAX);
			break;
		case 'r':
			opt.rate = arg__number("-r", optarg, 1, 10000000);
			break;
		case 't':
			opt.threads = arg__number("-t", optarg, 1, MAX_THREADS / 4);
			break;
		case 'a':
			/* 127.16.0.1 .. 127.31.255.254 */
			opt.addrs = arg__number("-a", optarg, 1, (1 << 20) - 2);
			break;
		case 'p':
			opt.port = arg__number("-p", optarg, 1, 65535);
			break;
		case 's':
			opt.sleepers = arg__number("-s", optarg, 0, MAX_THREADS / 2);
			break;
		case 'j':
			opt.json = true;
			break;
		case 'T':
			opt.timers = true;
			break;
		case 'H':
			opt.hold = true;
			break;
		case 'h':
			fputs(usage, stdout);
			exit(0);
		default:
			fputs(usage, stderr);
			exit(2);
		}
	}
	if (optind != argc) {
		fputs(usage, stderr);
		exit(2);
	}
	if (opt.hold && (opt.timers || !opt.count || opt.rate)) {
		fprintf(stderr, "churn: --hold needs -n COUNT, and takes neither --timers nor -r\n");
		exit(2);
	}
	if (!opt.threads)
		opt.threads = opt.timers ? 2 : 4;
}

/*
 * --hold: room for every server end held and its client's descriptor, and the signals that
 * end the hold blocked in every thread, for main to wait for
 */
static int hold__prepare(sigset_t *stop)
{
	struct rlimit rl;

	/* the soft limit raised to the hard one, which only CAP_SYS_RESOURCE may raise */
	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -errno;
	if (rl.rlim_max != RLIM_INFINITY && opt.count + 1024 > rl.rlim_max) {
		fprintf(stderr, "churn: --hold -n %lu: holding them takes %lu open files, and the "
			"hard limit is %lu (ulimit -Hn)\n", opt.count, opt.count + 1024,
			(unsigned long)rl.rlim_max);
		exit(2);
	}
	rl.rlim_cur = opt.count + 1024;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		return -errno;
	held = calloc(opt.count, sizeof(*held));
	if (!held)
		return -ENOMEM;
	/* no deadline: the count ends it */
	opt.duration = 86400;
	sigemptyset(stop);
	sigaddset(stop, SIGTERM);
	sigaddset(stop, SIGINT);
	return -pthread_sigmask(SIG_BLOCK, stop, NULL);
}

/* --hold: after the report, wait to be told to let go; then close the server ends */
static void hold__release(const sigset_t *stop)
{
	int sig;

	fflush(stdout);
	sigwait(stop, &sig);
	for (unsigned long i = 0; i < atomic_load(&nheld); i++)
		close(held[i]);
	free(held);
}

int main(int argc, char **argv)
{
	pthread_t tids[MAX_THREADS];
	int i, nr = 0, lfd = -1, err = 0;
	double start, secs;
	sigset_t stop;

	args__parse(argc, argv);
	if (opt.hold)
		err = hold__prepare(&stop);
	if (err) {
		fprintf(stderr, "churn: --hold: %s\n", strerror(-err));
		return 1;
	}
	start = now__sec();
	start_sec = start;
	deadline = start + opt.duration;
	err = opt.timers ? timers__start(tids, &nr) : churn__start(tids, &nr, &lfd);
	if (err) {
		fprintf(stderr, "churn: setup failed: %s\n", strerror(-err));
		return 1;
	}
	if (opt.timers) {
		while (!atomic_load(&stopping) && now__sec() < deadline)
			usleep(10000);
		secs = now__sec() - start;
		atomic_store(&stopping, true);
		for (i = 0; i < nr; i++)
			pthread_join(tids[i], NULL);
	} else {
		/* the clients stop by themselves; then the servers, whose accept() we interrupt */
		for (i = opt.threads; i < nr; i++)
			pthread_join(tids[i], NULL);
		secs = now__sec() - start;
		atomic_store(&stopping, true);
		shutdown(lfd, SHUT_RDWR);
		for (i = 0; i < opt.threads; i++)
			pthread_join(tids[i], NULL);
		close(lfd);
	}
	churn__report(secs);
	if (opt.hold)
		hold__release(&stop);
	return atomic_load(&errors) ? 1 : 0;
}
