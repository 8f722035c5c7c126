/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Prometheus metrics: what the records add up to, kept under a lock because the HTTP
 * server renders them from its own thread. Labels are few and fixed (role, cause, state,
 * end, reason): no per-connection label ever.
 */
#ifndef __METRICS_H
#define __METRICS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "port_pressure.h"
#include "tcpclose.h"

#define METRICS_NR_ROLES (TCPC_ROLE_ABORTED + 1)
#define METRICS_NR_CAUSES (TCPC_CAUSE_ORPHAN_RETRIES + 1)
#define METRICS_NR_TW_ENDS (TCPC_TW_KILLED + 1)
#define METRICS_NR_BUCKETS 31	/* finite upper bounds of the dwell histograms */
/*
 * --port-pressure: the tuples served, the worst ones only. Labelled by tuple, so the
 * number of series must not grow with the host's destinations: ten at most, whichever ten
 * are worst at each walk.
 */
#define METRICS_PP_TOP 10

extern const double metrics_buckets[METRICS_NR_BUCKETS];

struct metrics {
	pthread_mutex_t lock;
	__u64 closes[METRICS_NR_ROLES][METRICS_NR_CAUSES];
	__u64 fin_retrans;
	__u64 keepalive_probes;
	__u64 tw_ends[METRICS_NR_TW_ENDS];
	__u64 drops[TCPC_NR_DROPS];
	__u64 gauges[TCPC_NR_STATES];
	bool gauges_known;
	struct pp_tuple pp[METRICS_PP_TOP];	/* the worst tuples, worst first */
	int npp;
	bool pp_known;				/* --port-pressure, and its last walk worked */
	__u64 buckets[TCPC_NR_STATES][METRICS_NR_BUCKETS + 1];	/* not cumulative; last: +Inf */
	double sum_seconds[TCPC_NR_STATES];
	__u64 count[TCPC_NR_STATES];
};

void metrics__init(struct metrics *m);
void metrics__record(struct metrics *m, const struct tcpc_conn *rec);
void metrics__set_drops(struct metrics *m, const __u64 drops[TCPC_NR_DROPS]);
/* NULL: the gauges could not be counted, stop serving stale ones */
void metrics__set_gauges(struct metrics *m, const __u64 gauges[TCPC_NR_STATES]);

/* the worst tuples of the last --port-pressure walk; NULL: it failed, serve none */
void metrics__set_port_pressure(struct metrics *m, const struct pp_tuple *const *t, int n);

/* the exposition text (Prometheus 0.0.4, or OpenMetrics 1.0 with its "# EOF"), malloc'd */
char *metrics__render(struct metrics *m, bool openmetrics, size_t *len);

#endif /* __METRICS_H */
