// SPDX-License-Identifier: GPL-2.0
/*
 * Lost records: with the smallest ring buffer and its reader stopped while 2000 connections
 * close, records are lost, and every closing end is either printed or counted as lost. A
 * record a timewait socket carried on is sent in parts (its head when the socket takes the
 * connection on, its end when the socket goes): one lost after its head was read is counted
 * once too, and its head is not kept for an end that will not come.
 */
#include <signal.h>
#include "clock.h"
#include "conns.h"
#include "fixture.h"
#include "test.h"
#include "tw.h"

#define CHURN_CONNECTIONS 2000
#define EARLY_CONNECTIONS 50	/* their heads read before the reader stops */
#define HEADS_READ_MS 500	/* five of the reader's polls */

/*
 * One TIME_WAIT per connection, at whichever end closed first, counted by the kernel where
 * it counts them as they are made (tw.h). Where it counts them as they expire (5.10), the
 * churn's client ports come round again, and a new connection takes the last one's TIME_WAIT
 * over: at the client's end TcpExtTWRecycled counts it (tw__made()), at the server's nothing
 * does, so the churn's server counts those (server_tw_taken); none can have expired yet. A
 * reset (TcpOutRsts) may have ended one more, or not: 5.10 cannot tell which, and in runs of
 * the 5.10 guest resets ended client and server TIME_WAITs alike, besides answering a SYN a
 * TIME_WAIT refused. So there the count lies between those without resets and with them.
 */
static void close_lost__check_made(struct fixture *f, int conns, int server_tw_taken,
				   double began_ms)
{
	long long lo = tw__made(f, false), hi = tw__made(f, true);

	ASSERT_EQ(nstat__get(&f->delta, "TcpExtTCPTimeWaitOverflow"), 0,
		  "TcpExtTCPTimeWaitOverflow");
	if (!tw__counted_at_expiry()) {
		ASSERT_EQ(lo, conns, "timewait sockets made (TcpExtTW)");
		return;
	}
	ASSERT_LT(clock__now_ms() - began_ms, TW_LEN_MS, "no TIME_WAIT of the run expired yet");
	test__log("timewait sockets taken over at the server's end: %d", server_tw_taken);
	ASSERT_LE(lo + server_tw_taken, conns,
		  "timewait sockets there, taken over or expired: no more than made");
	ASSERT_GE(hi + server_tw_taken, conns,
		  "timewait sockets there, taken over, expired or ended by any reset: all made");
}

static void close_lost__run(int early)
{
	const char *const args[] = { "--ringbuf-size", "4096", NULL };
	struct scenario_opts opts;
	long long ringbuf, map_full;
	int i, delivered = 0, foreign = 0, conns = 0, early_port = -1, taken = 0;
	double began_ms = clock__now_ms();
	struct fixture f;
	json_object *rec, *lost;
	const char *type;

	scenario__default_opts(&opts);
	if (!fixture__start(&f, args))
		goto out;
	f.no_capture = true;
	if (early) {
		/* their timewait sockets live until the purge: only their heads are read */
		opts.count = early;
		if (!fixture__run(&f, "churn", &opts))
			goto out;
		conns += f.res.connections;
		taken += f.res.server_tw_taken;
		early_port = f.res.server.port;
		ASSERT_EQ(f.res.connections, early, "early connections made");
		conns__sleep_ms(HEADS_READ_MS);
	}
	opts.count = CHURN_CONNECTIONS;
	/* a reader that keeps up loses nothing, however small its buffer: stop it */
	if (!ASSERT_OK(kill(f.tracer.pid, SIGSTOP), "stop the tracer"))
		goto out;
	if (!fixture__run(&f, "churn", &opts))
		goto out;
	conns += f.res.connections;
	taken += f.res.server_tw_taken;
	ASSERT_EQ(f.res.connections, CHURN_CONNECTIONS, "connections made");
	close_lost__check_made(&f, conns, taken, began_ms);
	if (!fixture__purge(&f) || !ASSERT_OK(kill(f.tracer.pid, SIGCONT), "continue the tracer"))
		goto out;
	/* the purge ended every TIME_WAIT, so every record was due before the tracer stops */
	if (!fixture__finish(&f))
		goto out;

	for (i = 0; i < f.tracer.nrecs; i++) {
		rec = f.tracer.recs[i];
		type = json__str(rec, "type");
		if (!type || strcmp(type, "close"))
			continue;
		/* every connection of the scenarios has a listener's port at one end */
		if (json__int(rec, "sport", -1) == f.res.server.port ||
		    json__int(rec, "dport", -1) == f.res.server.port ||
		    json__int(rec, "sport", -1) == early_port ||
		    json__int(rec, "dport", -1) == early_port)
			delivered++;
		else
			foreign++;
	}
	lost = tracer__lost(&f.tracer);
	if (!ASSERT_NOT_NULL(lost, "a \"lost\" record at exit"))
		goto out;
	ringbuf = json__int(lost, "ringbuf", -1);
	map_full = json__int(lost, "map_full", -1);
	test__log("closing ends %d: delivered %d, lost %lld (ring buffer) %lld (map full)",
		  2 * conns, delivered, ringbuf, map_full);
	fixture__dump(lost, "lost record");
	ASSERT_EQ(foreign, 0, "records of other connections");
	ASSERT_GT(ringbuf, 0, "records lost to the 4 KiB ring buffer");
	ASSERT_EQ(map_full, 0, "connections not followed for a full map");
	/* all were purged before the tracer stopped: any still followed had their end missed */
	if (json__int(lost, "tw_followed", -1) >= 0)
		ASSERT_EQ(json__int(lost, "tw_followed", -1), 0,
			  "timewait sockets still followed at exit, though purged");
	ASSERT_EQ(delivered + ringbuf, 2 * conns,
		  "delivered + lost == closing ends (2 per connection)");
	/* a record lost after its head was sent leaves no head behind */
	ASSERT_EQ(json__int(lost, "tw_heads", -1), json__int(lost, "tw_followed", -2),
		  "heads kept at exit: those of the timewait sockets still followed");
out:
	fixture__cleanup(&f);
}

void serial_test_close_lost(void)
{
	close_lost__run(0);
}

/* the early connections' ends, due at the purge, find the ring buffer full */
void serial_test_close_lost_after_head(void)
{
	close_lost__run(EARLY_CONNECTIONS);
}
