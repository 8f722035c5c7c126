// SPDX-License-Identifier: GPL-2.0
/*
 * sswatch: a forked process dumps the namespace's TCP sockets with sock_diag, as ss does,
 * and notes each socket's states and when it was seen in them (sswatch.h). A dump takes tens
 * of microseconds here and milliseconds under emulation; the watcher waits at least four
 * times as long as a dump took between two, so that it never takes more than a fifth of a
 * CPU, however many scenarios watch at once. A thread of it polls the coarse clock every
 * millisecond meanwhile and keeps each step it sees (struct sswatch_tick).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include "sswatch.h"
#include "clock.h"

/* ahead of the scenario's own processes when it wakes, yet no real-time priority */
#define SSWATCH_NICE (-10)
/*
 * A poll a millisecond: a step is seen within a millisecond of it, unless the host holds the
 * poller up, which makes the judge's bound earlier (looser), never later
 */
#define SSWATCH_TICK_POLL_NS 1000000

struct sswatch *sswatch__map(void)
{
	struct sswatch *w = mmap(NULL, sizeof(*w), PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	/* zeroed by mmap(): touching it all would cost the megabytes the steps may take */
	if (w == MAP_FAILED)
		return NULL;
	return w;
}

void sswatch__unmap(struct sswatch *w)
{
	if (w)
		munmap(w, sizeof(*w));
}

static struct sswatch_sock *sswatch__find(struct sswatch *w, __u64 cookie)
{
	for (int i = 0; i < w->nsocks; i++)
		if (w->socks[i].cookie == cookie)
			return &w->socks[i];
	if (w->nsocks == SSWATCH_MAX_SOCKS) {
		w->overflow = true;
		return NULL;
	}
	return &w->socks[w->nsocks++];
}

void sswatch__seen(struct sswatch *w, __u64 dump_id, __u64 cookie, __u8 family, __u16 sport,
		   __u16 dport, __u8 state, bool timewait, __u64 t0, __u64 t1)
{
	struct sswatch_sock *s = sswatch__find(w, cookie);
	struct sswatch_run *r;

	if (!s)
		return;
	if (!s->cookie) {
		s->cookie = cookie;
		s->family = family;
		s->sport = sport;
		s->dport = dport;
	}
	/* a cookie is never reused, so a socket seen again was never gone */
	s->gone_t1 = 0;
	s->seen_dump = dump_id;
	r = s->nruns ? &s->runs[s->nruns - 1] : NULL;
	if (!r || r->state != state) {
		if (s->nruns == SSWATCH_MAX_RUNS) {
			s->overflow = true;
			return;
		}
		r = &s->runs[s->nruns++];
		r->state = state;
		r->timewait = false;
		r->first_t0 = t0;
		r->first_t1 = t1;
	}
	r->timewait |= timewait;
	r->last_t0 = t0;
	r->last_t1 = t1;
}

void sswatch__dumped(struct sswatch *w, __u64 dump_id, __u64 t0, __u64 t1)
{
	for (int i = 0; i < w->nsocks; i++) {
		struct sswatch_sock *s = &w->socks[i];

		if (s->seen_dump != dump_id && !s->gone_t1)
			s->gone_t1 = t1;
	}
}

/* one family's sockets, every state, into w */
static int sswatch__dump_family(struct sswatch *w, int fd, int family, __u64 id, __u64 t0)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} msg = {
		.nlh = {
			.nlmsg_len = sizeof(msg),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		},
		.req = { .sdiag_family = family, .sdiag_protocol = IPPROTO_TCP, .idiag_states = ~0U },
	};
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK };
	char buf[16384] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct nlmsghdr *h;
	ssize_t n;

	if (sendto(fd, &msg, sizeof(msg), 0, (struct sockaddr *)&nl, sizeof(nl)) < 0)
		return -errno;
	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0)
			return -errno;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
			const struct inet_diag_msg *m = NLMSG_DATA(h);
			__u64 cookie;

			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				return h->nlmsg_len >= NLMSG_LENGTH(sizeof(*e)) && e->error ?
				       e->error : -EIO;
			}
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)) || m->idiag_state == 10 /* LISTEN */)
				continue;
			cookie = (__u64)m->id.idiag_cookie[1] << 32 | m->id.idiag_cookie[0];
			/* the end time is stamped once the whole dump is in: see sswatch__poll */
			/* inet_twsk_diag_fill() gives a timewait socket timer 3, a full one never */
			sswatch__seen(w, id, cookie, m->idiag_family, ntohs(m->id.idiag_sport),
				      ntohs(m->id.idiag_dport), m->idiag_state, m->idiag_timer == 3,
				      t0, 0);
		}
	}
}

/* one dump of both families; every socket in it was in its state at some time in [t0, t1] */
static int sswatch__poll(struct sswatch *w, int fd, __u64 id)
{
	__u64 t0 = clock__now_ns(), t1;
	int err;

	err = sswatch__dump_family(w, fd, AF_INET, id, t0);
	if (!err)
		err = sswatch__dump_family(w, fd, AF_INET6, id, t0);
	if (err)
		return err;
	t1 = clock__now_ns();
	for (int i = 0; i < w->nsocks; i++) {
		struct sswatch_sock *s = &w->socks[i];
		struct sswatch_run *r = s->nruns ? &s->runs[s->nruns - 1] : NULL;

		if (s->seen_dump != id || !r)
			continue;
		r->last_t1 = t1;
		if (!r->first_t1)
			r->first_t1 = t1;
	}
	sswatch__dumped(w, id, t0, t1);
	return 0;
}

void sswatch__tick(struct sswatch *w, __u64 seen_ns, __u64 coarse_ns)
{
	if (w->nticks && w->ticks[w->nticks - 1].coarse_ns == coarse_ns)
		return;
	if (w->nticks == SSWATCH_MAX_TICKS) {
		w->ticks_overflow = true;
		return;
	}
	w->ticks[w->nticks].seen_ns = seen_ns;
	w->ticks[w->nticks].coarse_ns = coarse_ns;
	w->nticks++;
}

bool sswatch__coarse_at(const struct sswatch *w, __u64 ns, __u64 *coarse_ns)
{
	__u32 lo = 0, hi = w->nticks;

	/* the first step seen after ns */
	while (lo < hi) {
		__u32 mid = lo + (hi - lo) / 2;

		if (w->ticks[mid].seen_ns <= ns)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return false;
	*coarse_ns = w->ticks[lo - 1].coarse_ns;
	return true;
}

static __u64 timespec__ns(const struct timespec *ts)
{
	return ts->tv_sec * 1000000000ULL + ts->tv_nsec;
}

/* the tick poller: the coarse clock first, so that it was read no later than seen_ns */
static void *sswatch__poll_ticks(void *arg)
{
	const struct timespec nap = { .tv_nsec = SSWATCH_TICK_POLL_NS };
	struct sswatch *w = arg;
	struct timespec coarse;

	while (!w->stop && !w->ticks_overflow) {
		clock_gettime(CLOCK_MONOTONIC_COARSE, &coarse);
		sswatch__tick(w, clock__now_ns(), timespec__ns(&coarse));
		nanosleep(&nap, NULL);
	}
	return NULL;
}

/* the CPU time this process has used */
static __u64 cpu__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* how far the coarse clock, which the tick moves with jiffies, is behind the clock now */
static __u64 tick__lag_ns(void)
{
	struct timespec fine, coarse;
	__s64 lag;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &coarse);
	clock_gettime(CLOCK_MONOTONIC, &fine);
	lag = timespec__ns(&fine) - timespec__ns(&coarse);
	return lag > 0 ? lag : 0;
}

static void sswatch__run(struct sswatch *w, unsigned int interval_us)
{
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	__u64 id = 0, last = 0, now, cpu, took, lag;
	int err = 0;

	if (fd < 0) {
		w->err = -errno;
		return;
	}
	/* a last dump after the stop, so that whatever ended before it is seen to be gone */
	for (bool last_one = false; !err; last_one = w->stop) {
		now = clock__now_ns();
		cpu = cpu__now_ns();
		if (last && now - last > w->worst_gap_ns)
			w->worst_gap_ns = now - last;
		last = now;
		err = sswatch__poll(w, fd, ++id);
		w->dumps = id;
		lag = tick__lag_ns();
		if (lag > w->worst_tick_lag_ns)
			w->worst_tick_lag_ns = lag;
		if (last_one)
			break;
		/* the CPU the dump took, not its time: a busy host's wait is no reason to wait more */
		took = 4 * (cpu__now_ns() - cpu);
		clock__sleep_ms((took / 1e3 > interval_us ? took / 1e3 : interval_us) / 1e3);
	}
	w->err = err;
	close(fd);
}

pid_t sswatch__start(struct sswatch *w, unsigned int interval_us)
{
	pthread_t poller;
	pid_t pid;
	int err;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		prctl(PR_SET_NAME, "sswatch");
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* a busy host would keep it waiting between dumps: brackets as wide as the wait */
		setpriority(PRIO_PROCESS, 0, SSWATCH_NICE);
		err = pthread_create(&poller, NULL, sswatch__poll_ticks, w);
		if (err) {
			w->err = -err;
			_exit(1);
		}
		sswatch__run(w, interval_us);
		pthread_join(poller, NULL);
		_exit(0);
	}
	return pid;
}

int sswatch__stop(struct sswatch *w, pid_t pid)
{
	int status;

	if (pid <= 0)
		return -ESRCH;
	w->stop = 1;
	if (waitpid(pid, &status, 0) != pid)
		return -errno;
	return w->err;
}
