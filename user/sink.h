/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Where records go: readable lines or JSON Lines, and the closing count of what was lost. */
#ifndef __SINK_H
#define __SINK_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>
#include "tcpclose.h"

struct tcpc_stats {
	__u64 records;			/* close records delivered */
	__u64 transitions;		/* --transitions events delivered */
	__u64 drops[TCPC_NR_DROPS];	/* counted lost by the BPF side */
	__u64 state_missed;		/* tcpc_state runs skipped by the kernel (nested) */
	__u64 other_missed;		/* other programs' runs skipped, mostly non-TCP timers */
	__u64 tw_live;			/* timewait sockets still followed at the end */
	__u64 tw_bytes;			/* and the kernel memory they take, roughly */
	__u64 tw_heads;			/* their records' heads, kept here */
	__u64 tw_head_bytes;		/* and the memory those take */
	__u64 join_lost;		/* records lost here: no memory to keep a head, or (without
					 * timewait entries) a head whose end never came */
	__u64 tw_unfollowed;		/* without timewait entries: ends of timewait sockets not
					 * followed (made before tcpclose and not found at start,
					 * or their head lost and counted then) */
	__u64 unwritten;		/* records delivered to the sink it could not write */
	__u64 unwritten_other;		/* and other lines: transitions, reports, stuck */
};

struct hist;

/* what -i and --hist print: histograms of what closed since the last report, gauges now */
struct tcpc_report {
	__u64 ts_ns;				/* CLOCK_MONOTONIC */
	double seconds;				/* the time the histograms cover */
	const struct hist *hists;		/* [TCPC_NR_STATES], or NULL without --hist */
	const __u64 *gauges;			/* [TCPC_NR_STATES], or NULL if not counted */
};

struct sink;
struct holder;
struct output;
struct pp_tuple;

struct sink_ops {
	void (*header)(struct sink *s);
	void (*record)(struct sink *s, const struct tcpc_conn *rec);
	void (*transition)(struct sink *s, const struct tcpc_transition *t);
	void (*report)(struct sink *s, const struct tcpc_report *r);
	/* a connection stuck in a close state, with the processes holding it (may be none) */
	void (*stuck)(struct sink *s, const struct tcpc_stuck *st, const struct holder *h, int nh,
		      __u64 ts_ns);
	/* --port-pressure: a destination whose local ports are running out */
	void (*port_pressure)(struct sink *s, const struct pp_tuple *t, double threshold);
	void (*summary)(struct sink *s, const struct tcpc_stats *st);
};

struct cgroups;

struct sink {
	const struct sink_ops *ops;
	FILE *out;
	bool timestamp;
	struct cgroups *cgroups;	/* a record's cgroup path and container; NULL: its id only */
	long long mono_to_real_ns;	/* add to a CLOCK_MONOTONIC time to get wall-clock time */
	__u64 offset_read_ns;		/* CLOCK_MONOTONIC when that was last read */
	long long (*read_offset)(void);	/* how: clock__real_offset_ns(), or a test's own */
	/*
	 * What out has taken since its last flush: a failed write or flush loses all of it
	 * (stdio cannot say which part went out). After a failure (a closed pipe, a signal
	 * ending a write that a stalled reader blocked) nothing more is written, only counted.
	 */
	struct output *tracked;		/* out knows which lines reached its reader */
	__u64 pending, pending_other;	/* without it: lines since the last flush */
	__u64 unwritten, unwritten_other;
	bool broken;
};

extern const struct sink_ops sink_text_ops;
extern const struct sink_ops sink_json_ops;
extern const struct sink_ops sink_null_ops;	/* -q */

void sink__init(struct sink *s, const struct sink_ops *ops, FILE *out, bool timestamp);

/* write to o instead: what a failed write loses is then counted line by line */
void sink__track(struct sink *s, struct output *o);

/* through these, never the ops themselves: they count what could not be written */
void sink__record(struct sink *s, const struct tcpc_conn *rec);
void sink__transition(struct sink *s, const struct tcpc_transition *t);
void sink__report(struct sink *s, const struct tcpc_report *r);
void sink__stuck(struct sink *s, const struct tcpc_stuck *st, const struct holder *h, int nh,
		 __u64 ts_ns);

void sink__port_pressure(struct sink *s, const struct pp_tuple *t, double threshold);

/* push what is buffered out; -EIO once the output has failed (then it stays failed) */
int sink__flush(struct sink *s);

/* the closing summary: the sink's own, or on stderr if its output has failed */
void sink__summary(struct sink *s, struct tcpc_stats *st);

/* the closing count of what was delivered and lost, on stderr */
void sink__print_lost(const struct tcpc_stats *st);

/* the same while tracing goes on (SIGUSR1), on stderr: "tcpclose: so far N records ..." */
void sink__so_far(const struct sink *s, struct tcpc_stats *st);

/* a CLOCK_MONOTONIC time from the BPF side as wall-clock seconds */
double sink__wall_seconds(const struct sink *s, __u64 mono_ns);

#endif /* __SINK_H */
