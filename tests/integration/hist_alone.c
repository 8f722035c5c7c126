// SPDX-License-Identifier: GPL-2.0
/*
 * hist_alone: --hist with no other output prints histograms and no record, and counts every
 * close state of every connection, TIME_WAIT included, although no timewait socket takes an
 * entry in the kernel: the kernel counts the records it sends whole, tcpclose those it settles
 * from a timewait socket's head and end. Judged against the kernel: HIST_CONNS connections
 * closed actively over loopback, their timewait sockets purged with the namespace. Each
 * state's count is the number of connections, less the ends the exit's summary says did not
 * show it (records without their first close state, only where the kernel counted a run it
 * skipped, and those whose end went unseen); every timewait socket sockstat counted before
 * the purge, or a reset ended before (tw.h), is in TIME_WAIT's but for an unseen end; and
 * the TIME_WAIT dwells lie between the shortest and the longest one could have had: from
 * the last close to the purge's start, and from the first close to the purge's end.
 * (TcpExtTW is no count of them all: before 6.x a purge does not count there.)
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include "fixture.h"
#include "test.h"
#include "tw.h"

#define HIST_CONNS 2000
#define HIST_MAX_TW "65536"	/* room for all, whatever the namespace's default */
#define HIST_PORTS 2
#define SETTLE_MS 10000
/* long enough that the dwell's bounds are far apart from the histogram's resolution */
#define HIST_WAIT_MS 1500

enum {
	HIST_FIN_WAIT1, HIST_FIN_WAIT2, HIST_CLOSE_WAIT, HIST_LAST_ACK,
	HIST_TIME_WAIT,
	HIST_NR_STATES,
};

static const char *const hist_alone__states[HIST_NR_STATES] = {
	"FIN_WAIT1", "FIN_WAIT2", "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT",
};

struct hist_line {
	long long count;
	double p50_ms, max_ms;
};

/* "STATE: count N  p50 X ms  p90 X ms  p99 X ms  max X ms" of the text's last report */
static bool hist_alone__state(const char *text, const char *state, struct hist_line *h)
{
	char key[32];
	const char *p = NULL, *q;

	snprintf(key, sizeof(key), "\n%s: count ", state);
	for (q = strstr(text, key); q; q = strstr(q + 1, key))
		p = q;
	return p && sscanf(p + strlen(key), "%lld p50 %lf ms p90 %*f ms p99 %*f ms max %lf ms",
			   &h->count, &h->p50_ms, &h->max_ms) == 3;
}

/* the text's lines that are neither a report's nor its histograms': records */
static int hist_alone__other_lines(char *text)
{
	char *line, *save = NULL;
	int n = 0;

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strstr(line, "close-state dwell of connections") || strstr(line, ": count ") ||
		    strstr(line, "msecs") || strstr(line, " -> ") || strstr(line, "sockets now:") ||
		    line[0] == '[')
			continue;
		if (n++ < 3)
			test__log("not a histogram's: %.200s", line);
	}
	return n;
}

static char *hist_alone__read(int fd)
{
	off_t size = lseek(fd, 0, SEEK_END);
	char *text = calloc(1, size + 1);

	if (text && pread(fd, text, size, 0) != size) {
		free(text);
		return NULL;
	}
	return text;
}

/* what the exit's summary on stderr says of the records it did not count whole */
struct hist_alone_summary {
	long long states_lost;	/* "N without their first close states" */
	long long unseen;	/* "N sent partial, their end unseen" */
	long long ringbuf;	/* "lost: N (ring buffer full)" */
	long long head_lost;	/* "N (no memory for a head)" */
	long long state_missed;	/* "state changes skipped by the kernel: N" */
};

/* the number just before what in text, or -1 */
static long long hist_alone__before(const char *text, const char *what)
{
	const char *p = strstr(text, what);

	if (!p || p == text || p[-1] < '0' || p[-1] > '9')
		return -1;
	while (p > text && p[-1] >= '0' && p[-1] <= '9')
		p--;
	return strtoll(p, NULL, 10);
}

static bool hist_alone__summary(const struct tracer *t, struct hist_alone_summary *s)
{
	char *err = tracer__stderr(t), *p;

	*s = (struct hist_alone_summary){ -1, -1, -1, -1, -1 };
	if (!err)
		return false;
	s->states_lost = hist_alone__before(err, " without their first close states");
	s->unseen = hist_alone__before(err, " sent partial, their end unseen");
	s->ringbuf = hist_alone__before(err, " (ring buffer full)");
	s->head_lost = hist_alone__before(err, " (no memory for a head)");
	p = strstr(err, "state changes skipped by the kernel: ");
	s->state_missed = p ? strtoll(p + strlen("state changes skipped by the kernel: "), NULL,
				      10) : -1;
	test__log("tcpclose said at exit: %s", err);
	free(err);
	return s->states_lost >= 0 && s->unseen >= 0 && s->ringbuf >= 0 && s->head_lost >= 0 &&
	       s->state_missed >= 0;
}

void serial_test_hist_alone(void)
{
	static const char *const args[] = { "--hist", NULL };
	int lfds[HIST_PORTS] = { -1, -1 }, out = -1, i;
	unsigned short ports[HIST_PORTS];
	struct fixture f = { 0 };
	double closes0, closes1, purge0, purge1, lo, hi;
	struct hist_alone_summary said;
	long long tw, rsts, late, n[HIST_NR_STATES];
	struct hist_line h;
	char *text = NULL;

	f.ns.home = -1;
	out = memfd_create("hist-alone", MFD_CLOEXEC);
	if (!ASSERT_GE(out, 0, "memfd") ||
	    !ASSERT_OK(netns__create(&f.ns, "tcpc-hist"), "scenario namespace"))
		goto out;
	f.ns_alive = true;
	if (!ASSERT_OK(tracer__spawn(&f.tracer, &(struct tracer_spawn){ .netns_path = f.ns.path,
									 .out_fd = out, .text = true },
				     args), "tcpclose --hist") ||
	    !tw__begin(&f, false) ||
	    !ASSERT_OK(netns__sysctl("net.ipv4.tcp_tw_reuse", "0"), "tcp_tw_reuse=0") ||
	    !ASSERT_OK(netns__sysctl("net.ipv4.tcp_max_tw_buckets", HIST_MAX_TW),
		       "tcp_max_tw_buckets=" HIST_MAX_TW))
		goto out;
	for (i = 0; i < HIST_PORTS; i++) {
		lfds[i] = sock__listen(4, &ports[i]);
		if (!ASSERT_GE(lfds[i], 0, "listen"))
			goto out;
	}
	closes0 = clock__now_ms();
	if (!ASSERT_OK(tw__active_closes(lfds, ports, HIST_PORTS, HIST_CONNS), "active closes") ||
	    !ASSERT_OK(tw__settle(0, SETTLE_MS), "connections settled"))
		goto out;
	closes1 = clock__now_ms();
	/* the kernel's count of them all at once */
	tw = netns__tw_sockets();
	for (i = 0; i < HIST_PORTS; i++) {
		close(lfds[i]);
		lfds[i] = -1;
	}
	if (!tw__end(&f))
		goto out;
	clock__sleep_ms(HIST_WAIT_MS);
	purge0 = clock__now_ms();
	if (!fixture__purge(&f))
		goto out;
	purge1 = clock__now_ms();
	if (!ASSERT_OK(tracer__stop(&f.tracer), "tracer exits 0 after SIGINT"))
		goto out;
	text = hist_alone__read(out);
	if (!ASSERT_NOT_NULL(text, "its output"))
		goto out;
	test__log("tcpclose --hist printed:\n%s", text);
	/* a state no record counted has no histogram: its count is 0 */
	for (i = 0; i < HIST_NR_STATES; i++)
		n[i] = hist_alone__state(text, hist_alone__states[i], &h) ? h.count : 0;
	if (!ASSERT_TRUE(hist_alone__summary(&f.tracer, &said), "the exit's summary"))
		goto out;
	/* the few a reset killed early, if loopback reordered a server's ACK and FIN: tw.h */
	rsts = nstat__get(&f.delta, "TcpOutRsts");
	ASSERT_EQ(tw + rsts, HIST_CONNS, "sockstat tw + TcpOutRsts: one timewait socket each");
	ASSERT_EQ(said.ringbuf, 0, "records lost to a full ring buffer");
	ASSERT_EQ(said.head_lost, 0, "heads lost for want of memory");
	/*
	 * An end's first close state is not counted when tcpclose did not see it (the summary
	 * says how many records): with room in the map for every connection, that only comes
	 * of a run of the state program the kernel skipped, nested in another one on its CPU (a
	 * softirq in the middle of a close() there), and counted: state_missed. Such a record
	 * counts the states it saw. A record whose end went unseen counts none. So each side's
	 * first state (FIN_WAIT1, CLOSE_WAIT) misses the records of both kinds, its last
	 * (TIME_WAIT, LAST_ACK) the unseen ones, and LAST_ACK those that lost both their runs
	 * too: one skipped run more each. A missed LAST_ACK or FIN_WAIT2 alone is entered at
	 * CLOSE, and TIME_WAIT always is.
	 */
	ASSERT_LE(said.states_lost, said.state_missed,
		  "records without their first close states <= state changes the kernel skipped");
	ASSERT_EQ((HIST_CONNS - n[HIST_FIN_WAIT1]) + (HIST_CONNS - n[HIST_CLOSE_WAIT]),
		  said.states_lost + said.unseen,
		  "ends without FIN_WAIT1 or CLOSE_WAIT = records without first states + unseen");
	late = tw + rsts - n[HIST_TIME_WAIT] + (HIST_CONNS - n[HIST_LAST_ACK]) - said.unseen;
	test__log("ends without their last state, but for unseen ones: %lld", late);
	ASSERT_GE(late, 0, "timewait sockets (sockstat tw + TcpOutRsts) not in TIME_WAIT's + "
		  "ends without LAST_ACK >= unseen");
	ASSERT_LE(late, said.state_missed - said.states_lost,
		  "those but unseen ones <= skipped runs past one a record without first states");
	ASSERT_LE(n[HIST_FIN_WAIT1], n[HIST_FIN_WAIT2], "FIN_WAIT1 count <= FIN_WAIT2's");
	ASSERT_LE(n[HIST_FIN_WAIT2], n[HIST_TIME_WAIT], "FIN_WAIT2 count <= TIME_WAIT's");
	ASSERT_LE(n[HIST_CLOSE_WAIT], n[HIST_LAST_ACK], "CLOSE_WAIT count <= LAST_ACK's");
	if (ASSERT_TRUE(hist_alone__state(text, "TIME_WAIT", &h), "TIME_WAIT's histogram")) {
		/*
		 * The percentile is the middle of its bucket, at most 1/128 of it wide (hist.h):
		 * the dwell it stands for is no more than half that below it. The max is exact.
		 */
		lo = purge0 - closes1;
		hi = purge1 - closes0;
		test__log("TIME_WAIT: p50 %.3f max %.3f ms, every dwell within [%.3f, %.3f] ms",
			  h.p50_ms, h.max_ms, lo, hi);
		ASSERT_GE(h.p50_ms * (1 + 1.0 / 256), lo, "TIME_WAIT p50 >= last close to purge");
		ASSERT_LE(h.max_ms, hi, "TIME_WAIT max <= first close to the purge's end");
	}
	ASSERT_EQ(hist_alone__other_lines(text), 0, "no line but the histograms'");
out:
	free(text);
	for (i = 0; i < HIST_PORTS; i++)
		if (lfds[i] >= 0)
			close(lfds[i]);
	if (out >= 0)
		close(out);
	fixture__cleanup(&f);
}
