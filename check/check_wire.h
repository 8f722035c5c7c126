/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * check_wire: when the kernel changed a connection's state, as the run's own evidence shows
 * it, and whether a record's times agree. Every change of state is bracketed by what must
 * come before it and what can only come after it: the segment that caused it arriving (its
 * receive stamp), the segment it made leaving (its transmit stamp), and the first dump of
 * the namespace's sockets that showed the new state or none (sswatch; a dump of the old
 * state bounds nothing: the kernel stores a state after it reports the change). These are bounds, not estimates, however slow the host: a slow host widens a
 * bracket, it never moves one. A record agrees when each of its changes lies in its bracket
 * within a jiffy, the resolution of the kernel clocks tcpclose reads some times off, and,
 * before it, the most the tick was seen late in that run (sswatch), by which jiffies lag
 * the clock: a time read off jiffies is early by that, never late.
 */
#ifndef __CHECK_WIRE_H
#define __CHECK_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "capture.h"
#include "sswatch.h"
#include "tcpclose.h"

/* what a run left as evidence */
struct wire_facts {
	const struct tcp_seg *segs;	/* the capture of lo, in the order sent */
	size_t nsegs;
	/* one instant on both clocks: a capture stamp (CLOCK_REALTIME) to CLOCK_MONOTONIC */
	double real_ref_s;
	__u64 mono_ref_ns;
	const struct sswatch *ss;	/* NULL: no dumps */
	__u64 done_ns;			/* the scenario's processes were done: a purge follows */
	__u64 close_ns;			/* its one end's close() or shutdown() was called, or 0 */
	unsigned int hz;
	/*
	 * The tracepoint backend: a timewait timer re-armed in its wheel bucket shows nothing,
	 * so an orphaned FIN_WAIT2 whose peer resends its FIN (our ACK lost) may be seen to
	 * enter TIME_WAIT at any of those FINs (docs/LIMITS.md): no later than our last ACK.
	 */
	bool rearm_blind;
};

/* one change of state: no sooner than lo, no later than hi (CLOCK_MONOTONIC ns) */
struct wire_span {
	__u64 lo, hi;
	char lo_why[48], hi_why[48];	/* what set each bound, for the difference line */
};

/* a record's changes: [0] it began to close (or ended, with no close state), [i] it left its
 * (i-1)th close state; [n] it was gone; at most TCPC_NR_STATES + 1 */
#define WIRE_MAX_CHANGES (TCPC_NR_STATES + 1)

/* the times of rec's changes as it states them; returns how many */
int check_wire__record_changes(const struct tcpc_conn *rec, __u64 *t);

/*
 * Bracket each change of rec (whose end is the nth connection of its ports on the wire, from
 * 0) by the evidence; arrived_ns is when its record reached us, which its end preceded.
 * Returns the number of changes, as check_wire__record_changes().
 */
int check_wire__brackets(const struct wire_facts *f, const struct tcpc_conn *rec, int nth,
			 __u64 arrived_ns, struct wire_span *spans);

/*
 * Compare: for each change outside its bracket by more than a jiffy, call diff with a line
 * "FIN_WAIT1>FIN_WAIT2: got 43.9 ms, want 43.80 to 43.86 ms (...)" (ms from base_ns).
 * Returns how many differed.
 */
int check_wire__judge(const struct wire_facts *f, const struct tcpc_conn *rec, int nth,
		      __u64 arrived_ns, __u64 base_ns,
		      void (*diff)(void *ctx, const char *line), void *ctx);

/*
 * The numbers of the first FIN that sport sent to dport (family 4 or 6) in the capture,
 * its FIN's sequence number (after any data it carried) and its ack: false if none.
 */
bool check_wire__first_fin(const struct wire_facts *f, int family, unsigned short sport,
			   unsigned short dport, __u32 *seq, __u32 *ack);
/* how many FIN segments sport sent to dport, resends included */
int check_wire__fins(const struct wire_facts *f, int family, unsigned short sport,
		     unsigned short dport);

/* the segments of the nth connection (from 0) of rec's ports: [*from, *to); false if none */
bool check_wire__conn_segs(const struct wire_facts *f, const struct tcpc_conn *rec, int nth,
			   size_t *from, size_t *to);
/* a segment rec's end sent, or one its peer sent it */
bool check_wire__ours(const struct tcp_seg *s, const struct tcpc_conn *rec);
bool check_wire__theirs(const struct tcp_seg *s, const struct tcpc_conn *rec);
/* when a segment left, and arrived (when it left, if the capture missed that): CLOCK_MONOTONIC */
__u64 check_wire__tx(const struct wire_facts *f, const struct tcp_seg *s);
__u64 check_wire__rx(const struct wire_facts *f, const struct tcp_seg *s);
/* how early a time tcpclose read off jiffies may be: a jiffy, or the tick's worst lag */
__u64 check_wire__slack(const struct wire_facts *f);
/*
 * How late one may be: a jiffy. tcpclose converts jiffies by the tightest (clock, jiffies)
 * pair it has read (bpf/jiffies.bpf.h), and it reads one as each tick ends, when the tick
 * that moved jiffies has just moved them to the jiffy the clock is in: less than a jiffy
 * after that jiffy began, however late the tick was.
 */
__u64 check_wire__late_slack(const struct wire_facts *f);
/*
 * The earliest time a record may give a change that came no sooner than lo. tcpclose reads
 * some times off jiffies, by an anchor that puts each jiffy no sooner than it began.
 * The jiffy in force at lo, and every later one, began at most a jiffy before the coarse
 * clock's reading at lo: the tick moves jiffies, then the coarse clock, which it advances a
 * whole jiffy at a time and never past the time then. The tick poller's last reading
 * before lo is no later (sswatch__coarse_at()); without one, lo less the run's slack.
 */
__u64 check_wire__earliest(const struct wire_facts *f, __u64 lo);

/* "FIN_WAIT1.begin 12.31 in 12.30..12.31, ..., end 260.02 in 259.90..260.40" (ms from base) */
void check_wire__describe(const struct wire_facts *f, const struct tcpc_conn *rec, int nth,
			  __u64 arrived_ns, __u64 base_ns, char *buf, size_t len);

#endif /* __CHECK_WIRE_H */
