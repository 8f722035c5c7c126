/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Collect what -i and --hist report: the histograms (the kernel's, with what core counted of
 * the records it settled) and the close-state gauges.
 */
#ifndef __REPORT_H
#define __REPORT_H

#include <stdbool.h>
#include "args.h"
#include "hist.h"
#include "core.h"
#include "sink.h"

struct reporter {
	const struct tcpc_opts *opts;
	struct core *core;
	struct hist *prev;	/* [TCPC_NR_STATES]: the kernel's counts at the last report */
	struct hist *cur;
	struct hist *delta;
	__u64 gauges[TCPC_NR_STATES];
	__u64 last_ns;
};

int reporter__init(struct reporter *r, const struct tcpc_opts *opts, struct core *t);

/* read the counts (the kernel's, and core's), and hand what changed since the last report to
 * the sink */
void reporter__report(struct reporter *r, struct sink *s);

void reporter__free(struct reporter *r);

#endif /* __REPORT_H */
