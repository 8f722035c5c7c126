// SPDX-License-Identifier: GPL-2.0
/*
 * timewait_expire: timewait sockets left alone until their 2MSL timer fires. The namespace is
 * kept until then, so the records come from the expiry itself, not from a purge.
 */
#include <string.h>
#include "fixture.h"
#include "test.h"
#include "tw.h"

#define EXPIRE_CONNS 8		/* churn: 4 closed by the client first, 4 by the server */
#define EXPIRE_POLL_MS 100

void test_timewait_expire(void)
{
	double gran_ms, deadline, dwell, lo = 1e18, hi = 0, begun, seen;
	struct scenario_opts opts;
	struct fixture f;
	long long tw, rsts;
	int hz, i, expired = 0;

	hz = probe__kernel_hz();
	if (!ASSERT_GT(hz, 0, "HZ from /proc/config.gz or the coarse clock"))
		return;
	/* a 60 s timer fires 1 jiffy to one wheel granule late: 2.048 s at HZ=250 */
	gran_ms = timing__granule((long)TW_LEN_MS * hz / 1000) * 1000.0 / hz;
	test__log("HZ=%d: a %d ms timer fires up to %.0f ms late", hz, TW_LEN_MS, gran_ms);

	scenario__default_opts(&opts);
	opts.count = EXPIRE_CONNS;
	if (!fixture__start(&f, NULL))
		goto out;
	begun = clock__now_ms();
	if (!fixture__run(&f, "churn", &opts))
		goto out;
	tw = tw__made(&f, true);
	/* the ones an RST killed early, if loopback reordered a server's ACK and FIN: tw.h */
	rsts = nstat__get(&f.delta, "TcpOutRsts");
	ASSERT_EQ(tw, EXPIRE_CONNS, "timewait sockets made (tw.h): one per connection");
	/* where TcpExtTW counts them as made; where it counts expiries, after them (below) */
	if (!tw__counted_at_expiry() && ASSERT_OK(netns__enter(&f.ns), "enter scenario namespace")) {
		ASSERT_EQ(netns__tw_sockets() + rsts, tw, "sockstat tw + TcpOutRsts = TcpExtTW");
		netns__leave(&f.ns);
	}

	deadline = clock__now_ms() + TW_LEN_MS + gran_ms + 5000;
	while (tw__count_now(&f.tracer, "expired") < tw - rsts && clock__now_ms() < deadline)
		conns__sleep_ms(EXPIRE_POLL_MS);
	seen = clock__now_ms();
	/* the kernel's view: none is left */
	if (ASSERT_OK(netns__enter(&f.ns), "enter scenario namespace")) {
		ASSERT_EQ(netns__tw_sockets(), 0, "sockstat: every timewait socket has expired");
		if (tw__counted_at_expiry())
			ASSERT_EQ(nstat__value("TcpExtTW"), tw - rsts,
				  "TcpExtTW, counting expiries: every timewait socket no reset ended");
		netns__leave(&f.ns);
	}
	if (!fixture__finish(&f))
		goto out;
	tw__check_foreign(&f);

	tw__check_count(&f.tracer, "TIME_WAIT", NULL, tw,
			"records with TIME_WAIT = timewait sockets made");
	tw__check_count(&f.tracer, "TIME_WAIT", "expired", tw - rsts,
			"records expired = made - TcpOutRsts");
	tw__check_count(&f.tracer, "TIME_WAIT", "rst", rsts, "records ending \"rst\" = TcpOutRsts");
	for (i = 0; i < f.tracer.nrecs; i++) {
		json_object *rec = f.tracer.recs[i];
		const char *end = json__str(rec, "tw_end");

		if (!tw__is_close(rec) || !end || strcmp(end, "expired"))
			continue;
		expired++;
		dwell = json__dwell(rec, "TIME_WAIT");
		lo = dwell < lo ? dwell : lo;
		hi = dwell > hi ? dwell : hi;
		ASSERT_GE(dwell, TW_LEN_MS, "TIME_WAIT lasts 2MSL at least (ms)");
		/*
		 * It fires at its wheel bucket's tick, in a timer softirq that a loaded host may
		 * run late: no later than the run saw them all expired, and it began no sooner
		 * than the scenario.
		 */
		ASSERT_LE(dwell, seen - begun, "TIME_WAIT: at most from the scenario's start until"
			  " the test saw every record expired (ms)");
		if (test__failed())
			fixture__dump(rec, "record");
	}
	test__log("%d records expired, TIME_WAIT from %.3f to %.3f ms", expired, lo, hi);
out:
	fixture__cleanup(&f);
}
