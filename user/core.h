/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * core: the one loop of every command that traces. It polls the ring buffer, hands each
 * event to its consumers (the sink, --metrics, tcpclose check), settles the timewait
 * sockets whose end is decided, and at the end drains what is left. Commands differ only
 * in their consumers and in what they do between two polls.
 */
#ifndef __CORE_H
#define __CORE_H

#include <stdbool.h>
#include "hist.h"
#include "pump.h"
#include "loader.h"
#include "sink.h"

struct core_consumer {
	void (*record)(void *ctx, const struct tcpc_conn *rec);
	void (*transition)(void *ctx, const struct tcpc_transition *t);	/* NULL: not wanted */
	void *ctx;
};

/* a sink, --metrics and --ladder-svg: no command has more */
#define CORE_MAX_CONSUMERS 3

struct core {
	struct loader loader;
	struct core_consumer consumers[CORE_MAX_CONSUMERS];
	int nconsumers;
	struct pump pump;	/* the ring buffer's events, through a backlog, to core__take() */
	__u64 records;		/* close records delivered */
	__u64 transitions;	/* --transitions events delivered */
	__u64 unseen_at_exit;	/* entries whose socket went away unseen, sent at exit */
	__u64 tw_unseen_at_exit;	/* of them, timewait sockets tcpclose still followed */
	__u64 join_lost;	/* records lost in user space: no memory to keep a head */
	__u64 swept_ns;		/* the last core__sweep_heads(), and the ring buffer's */
	__u64 swept_ringbuf;	/* losses it had seen */
	__u64 trimmed_ns;	/* the last tw_join__trim() */
	__u32 filter_pid;	/* -p: what the exit's own sending must honour too */
	__u8 mark;		/* the last TCPC_ITER_MARK walk's */
	__u64 ends_lost;	/* without timewait entries: records whose end the ring buffer
				 * lost after their head came (the BPF side counts neither) */
	/*
	 * --hist without timewait entries: the dwells of the records settled here from a head
	 * and its socket's events, [TCPC_NR_STATES], since start; the kernel counts those it
	 * sends whole. NULL otherwise.
	 */
	struct hist *hists;
};

/* the consumers come first: a record may arrive as soon as the programs are attached */
void core__consume_with(struct core *t, const struct core_consumer *c);

/* loader__open with the tracer's own event handler: on failure the loader has said why */
int core__open(struct core *t, const struct tcpc_opts *opts);

/*
 * Once attached: walk opts' namespaces for the connections already closing, so that they
 * are followed from now on; on stderr, what could not be walked.
 */
void core__seed(struct core *t, const struct tcpc_opts *opts);

/* on stderr, the line that says tracing has begun (tests and scripts wait for it) */
void core__announce(const struct core *t, const struct tcpc_opts *opts);

/*
 * Wait up to timeout_ms for a batch, deliver every event there is (the BPF side wakes us
 * only for a batch, see ringbuf__flags()), and settle the timewait sockets whose end is
 * decided. Returns 0 or a negative errno; a signal is not an error.
 */
int core__poll(struct core *t, int timeout_ms);

/* deliver what the ring buffer holds now, nothing more */
void core__consume(struct core *t);

/*
 * At the end, with the programs detached: the ring buffer, then every timewait socket
 * whose end is undecided; then the entries whose socket a walk of opts' namespaces no
 * longer finds (gone unseen: sent end_unseen and counted), and, without -p, the records
 * still waiting for their owner to close the socket.
 */
void core__drain(struct core *t, const struct tcpc_opts *opts);

/*
 * the loss counters: the BPF side's, with what only user space can count (ends gone
 * unseen at exit, ends lost after their head came)
 */
void core__drops(struct core *t, __u64 drops[TCPC_NR_DROPS]);

/* what was delivered, and what the BPF side counted lost or skipped */
void core__stats(struct core *t, struct tcpc_stats *st);

void core__close(struct core *t);

#endif /* __CORE_H */
