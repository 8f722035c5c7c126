/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Collect what -i and --hist report: the kernel's histograms and the close-state gauges. */
#ifndef __REPORT_H
#define __REPORT_H

#include <stdbool.h>
#include "args.h"
#include "hist.h"
#include "loader.h"
#include "sink.h"

struct reporter {
	const struct tcpc_opts *opts;
	struct loader *loader;
	struct hist *prev;	/* [TCPC_NR_STATES]: the kernel's counts at the last report */
	struct hist *cur;
	struct hist *delta;
	__u64 gauges[TCPC_NR_STATES];
	__u64 last_ns;
};

int reporter__init(struct reporter *r, const struct tcpc_opts *opts, struct loader *l);

/* read the kernel's counts, and hand what changed since the last report to the sink */
void reporter__report(struct reporter *r, struct sink *s);

void reporter__free(struct reporter *r);

#endif /* __REPORT_H */
