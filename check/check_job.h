/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * check_job: a scenario's run inside tcpclose check. Its child makes a network namespace
 * of its own, runs the scenario there with a capture and a socket watcher, and leaves its
 * counters and evidence in shared memory; the parent collects the records of that
 * namespace, and judges them when the child is done and they are all in.
 */
#ifndef __CHECK_JOB_H
#define __CHECK_JOB_H

#include <stdbool.h>
#include <sys/types.h>
#include "capture.h"
#include "check.h"
#include "check_expect.h"
#include "check_flake.h"
#include "check_report.h"
#include "nstat.h"
#include "scenario.h"
#include "sswatch.h"

/* after a scenario's child: its namespace's cleanup, which purges the TIME_WAITs */
#define RECORD_WAIT_MS 30000
/* after the last expected record: time for an unexpected one to show */
#define GRACE_MS 250
#define MAX_NSTAT 512
#define RECORDS_TEXT 8192
/* every segment of a scenario: the longest (simultaneous, a few tries) sends about a hundred */
#define MAX_SEGS 4096
/* a scenario's namespace has a few sockets: a TCP hash of its own keeps its dumps quick */
#define NETNS_HASH_BUCKETS 1024
/* the socket dumps' pace: a state that lasts longer is seen at least once */
#define SSWATCH_INTERVAL_US 1000

/* what a scenario's child leaves for us */
struct check_shared {
	unsigned int netns;		/* its namespace, set before any socket is made */
	__u64 netns_ns;			/* when it made it, CLOCK_MONOTONIC */
	__u64 done_ns;			/* when the scenario was over */
	int err;			/* the scenario's, 0 if it ran as designed */
	struct scenario_result res;
	int nr_counters;
	struct nstat_entry counters[MAX_NSTAT];	/* the namespace's, over the scenario */
	/* the evidence its records' times are judged by: the capture, the socket dumps */
	double real_ref_s;		/* one instant on both clocks, to read capture stamps */
	__u64 mono_ref_ns;
	size_t nsegs;
	bool segs_cut;			/* more segments than MAX_SEGS */
	struct tcp_seg segs[MAX_SEGS];
	struct sswatch ss;
};

enum job_state { JOB_PENDING, JOB_RUNNING, JOB_WAITING, JOB_DONE };

struct job {
	const struct check_scenario *sc;
	enum job_state state;
	pid_t pid;
	struct check_shared *sh;
	double start_ms, exit_ms, complete_ms;
	struct tcpc_conn *recs;		/* its namespace's records, in the order they came */
	__u64 *arrived_ns;		/* and when each reached us */
	int nrecs, cap;
	struct nstat delta;		/* a view of sh->counters */
	struct check_expect expect;
	struct check_result result;
};

struct checker {
	const struct check_opts *opts;
	struct job *jobs;
	int njobs;
	int reported;
	unsigned int hz;
	bool rearm_blind;		/* the backend: check_wire.h */
	bool tw_at_expiry;		/* the kernel's timewait counters: check_expect.h */
	double start_ms;
	__u64 lost;			/* records the tracer could not deliver */
	__u64 unseen;			/* records it sent without their end (end_unseen) */
	/* --repeat: one round after another, each a run of its own with fresh jobs */
	int round, nr_rounds;		/* 1 of 1 without --repeat */
	int passed, failed;		/* scenario runs, over the rounds */
	double run_start_ms;
	struct check_flakes flakes;
	struct check_result *results;	/* --junit: every round's, round after round */
	int nr_results;
	double *round_seconds;
};

/* fork the scenario's child; the job is then JOB_RUNNING */
int job__start(struct job *j);

/* move the job on: its child exited, its records are in, or it ran out of time */
void job__poll(struct checker *c, struct job *j, double now);

/* the job cannot go on: say why (its only diff), then finish it */
void job__error(struct job *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void job__kill(struct job *j);

/* judge the records that came, and report the job */
void job__finish(struct checker *c, struct job *j);

/* check.c: one result, as a table row or a TAP line */
void check__report(struct checker *c, struct job *j);

#endif /* __CHECK_JOB_H */
