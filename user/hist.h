/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Dwell histograms as the kernel keeps them (log-linear buckets over microseconds, see
 * bpf/tcpclose.h): bucket bounds, percentiles, and the log2 view libbpf-tools users know.
 */
#ifndef __HIST_H
#define __HIST_H

#include <stdio.h>
#include <linux/types.h>
#include "tcpclose.h"

struct hist {
	__u64 counts[TCPC_HIST_BUCKETS];
	__u64 total;
	__u64 max_us;
};

/*
 * Count the dwells of a record settled in user space into h[TCPC_NR_STATES], as the kernel
 * counts one it sends whole (conn__send()): each close state it visited, in whole
 * microseconds; none of a record whose dwells are bounds (record__dwells_whole()).
 */
void hist__add_record(struct hist *h, const struct tcpc_conn *rec);

/* [lo, hi) in microseconds of bucket i */
void hist__bounds(unsigned int i, __u64 *lo, __u64 *hi);

/* recount total from the buckets */
void hist__sum(struct hist *h);

/* h = a - b, bucket by bucket (what arrived between two reads of a running count) */
void hist__diff(struct hist *h, const struct hist *a, const struct hist *b);

/*
 * The p-th percentile (0 < p <= 100) in microseconds: by nearest rank, the middle of the
 * bucket holding it (a bucket below 128 us is exact); 0 if the histogram is empty.
 */
double hist__percentile(const struct hist *h, double p);

/* the log2 bar chart of libbpf-tools' print_log2_hist(), in milliseconds */
void hist__print_log2(const struct hist *h, FILE *out);

#endif /* __HIST_H */
