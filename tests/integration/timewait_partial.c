// SPDX-License-Identifier: GPL-2.0
/*
 * timewait_partial: timewait sockets that were there before tcpclose started. It finds them
 * at start-up, marks their records partial and says what their timers had left then; ss
 * shows the same timers, read once before the tracer starts and once after.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "netns_named.h"
#include "ss.h"
#include "test.h"
#include "tracer.h"
#include "tw.h"

#define PARTIAL_CONNS 3
#define PARTIAL_GAP_MS 1300	/* each socket with its own time left */
#define PURGE_TIMEOUT_MS 30000
#define SETTLE_MS 5000

/* ss's timers of the connections from ports, and the wall-clock times ss ran between */
static bool timewait_partial__ss(const struct conn *p, int n, struct ss_sock *socks,
				 double *start, double *end)
{
	struct ss_sock *all = NULL;
	const struct ss_sock *s;
	int i, nall;
	bool ok = true;

	*start = conns__now();
	nall = ss__query("state time-wait", &all);
	*end = conns__now();
	if (!ASSERT_GE(nall, 0, "ss"))
		return false;
	for (i = 0; i < n; i++) {
		s = ss__find(all, nall, p[i].cport, p[i].sport);
		ok = ASSERT_NOT_NULL(s, "ss lists the connection in TIME-WAIT") && ok;
		if (s)
			ok = ASSERT_STREQ(s->timer, "timewait", "ss timer") && ok;
		if (s)
			socks[i] = *s;
	}
	free(all);
	return ok;
}

void test_timewait_partial(void)
{
	struct ss_sock before[PARTIAL_CONNS], after[PARTIAL_CONNS];
	struct conn p[PARTIAL_CONNS];
	double a1, b1, a2, b2, w, left, lo, hi, jiffy;
	bool ns_alive = false;
	unsigned short lport = 0;
	struct tracer t;
	struct netns ns;
	json_object *rec;
	int lfd = -1, hz, i;

	memset(&t, 0, sizeof(t));
	for (i = 0; i < PARTIAL_CONNS; i++)
		p[i].cfd = p[i].sfd = -1;
	hz = probe__kernel_hz();
	if (!ASSERT_GT(hz, 0, "HZ") ||
	    !ASSERT_OK(netns__create(&ns, "tcpclose-test"), "create scenario namespace"))
		goto out;
	ns_alive = true;
	jiffy = 1.0 / hz;
	if (!ASSERT_OK(netns__enter(&ns), "enter scenario namespace"))
		goto out;
	lfd = sock__listen(4, &lport);
	if (!ASSERT_GE(lfd, 0, "listen"))
		goto out;
	for (i = 0; i < PARTIAL_CONNS; i++) {
		if (i)
			conns__sleep_ms(PARTIAL_GAP_MS);
		if (!ASSERT_OK(tw__connect(&p[i], lfd, lport, -1), "connect") ||
		    !ASSERT_OK(tw__close_active(&p[i], 0), "active close"))
			goto out;
	}
	if (!ASSERT_OK(tw__settle(lport, SETTLE_MS), "connections settled") ||
	    !timewait_partial__ss(p, PARTIAL_CONNS, before, &a1, &b1) ||
	    !ASSERT_OK(netns__leave(&ns), "leave scenario namespace"))
		goto out;
	if (!ASSERT_OK(tracer__start(&t, ns.path, NULL), "start tracer"))
		goto out;
	if (!ASSERT_OK(netns__enter(&ns), "enter scenario namespace") ||
	    !timewait_partial__ss(p, PARTIAL_CONNS, after, &a2, &b2) ||
	    !ASSERT_OK(netns__leave(&ns), "leave scenario namespace"))
		goto out;
	close(lfd);
	lfd = -1;
	ns_alive = false;
	if (!ASSERT_OK(netns__destroy(&ns, PURGE_TIMEOUT_MS), "namespace purged") ||
	    !ASSERT_OK(tracer__stop(&t), "tracer exits 0 after SIGINT, JSON only"))
		goto out;

	ASSERT_EQ(tracer__count_closes(&t), PARTIAL_CONNS, "one record per timewait socket");
	for (i = 0; i < PARTIAL_CONNS; i++) {
		rec = tracer__close(&t, p[i].cport, lport);
		if (!ASSERT_NOT_NULL(rec, "record of a timewait socket found at start-up"))
			continue;
		ASSERT_TRUE(tw__partial(rec), "partial");
		ASSERT_REC_STR(rec, "tw_end", "purged", "found");
		/* what came before start-up was not seen */
		ASSERT_REC_STATES(rec, "TIME_WAIT", "found");
		left = json__double(rec, "tw_left_ms", -1);
		/* the record starts when the tracer found the socket */
		w = json__double(rec, "ts", 0) - json__double(rec, "duration_ms", 0) / 1000;
		ASSERT_TRUE(w >= b1 && w <= a2, "found between the two ss runs");
		/*
		 * ss shows whole seconds left, rounded down: each run puts the deadline in
		 * [ran + shown, ran + shown + 1 s), "ran" somewhere in its own run. The tracer's
		 * deadline is the time it found the socket plus what it says was left then,
		 * both read off jiffies.
		 */
		lo = a1 + before[i].timer_ms / 1000;
		if (a2 + after[i].timer_ms / 1000 > lo)
			lo = a2 + after[i].timer_ms / 1000;
		hi = b1 + before[i].timer_ms / 1000 + 1;
		if (b2 + after[i].timer_ms / 1000 + 1 < hi)
			hi = b2 + after[i].timer_ms / 1000 + 1;
		test__log("port %u: ss %.0f ms left at +%.3f s, %.0f ms at +%.3f s; tcpclose "
			  "%.3f ms at +%.3f s: deadline +%.3f s, ss says +%.3f..%.3f s",
			  p[i].cport, before[i].timer_ms, 0.0, after[i].timer_ms, a2 - a1, left,
			  w - a1, w + left / 1000 - a1, lo - a1, hi - a1);
		ASSERT_NEAR(w + left / 1000 - a1, (lo + hi) / 2 - a1, (hi - lo) / 2 + jiffy,
			    "tw_left_ms agrees with ss: the deadline (s after the first ss)");
		if (test__failed())
			fixture__dump(rec, "record");
	}
out:
	if (lfd >= 0)
		close(lfd);
	for (i = 0; i < PARTIAL_CONNS; i++)
		conns__close(&p[i]);
	if (ns_alive) {
		netns__leave(&ns);
		netns__destroy(&ns, 0);
	}
	tracer__free(&t);
}
