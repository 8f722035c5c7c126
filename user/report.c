// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "tcpclose.skel.h"
#include "report.h"
#include "walk.h"

static __u64 monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int reporter__init(struct reporter *r, const struct tc_opts *opts, struct loader *l)
{
	memset(r, 0, sizeof(*r));
	r->opts = opts;
	r->loader = l;
	r->last_ns = monotonic_ns();
	if (!opts->hist)
		return 0;
	r->prev = calloc(TC_NR_STATES, sizeof(struct hist));
	r->cur = calloc(TC_NR_STATES, sizeof(struct hist));
	r->delta = calloc(TC_NR_STATES, sizeof(struct hist));
	return r->prev && r->cur && r->delta ? 0 : -ENOMEM;
}

/* the .bss of the BPF object is mapped into this process: read it in place */
static void read_hists(struct reporter *r)
{
	const struct tcpclose_bpf__bss *bss = r->loader->skel->bss;

	for (int s = 0; s < TC_NR_STATES; s++) {
		memcpy(r->cur[s].counts, (const void *)bss->hist[s], sizeof(r->cur[s].counts));
		r->cur[s].max_us = bss->hist_max_us[s];
		hist__sum(&r->cur[s]);
	}
}

void reporter__report(struct reporter *r, struct sink *s)
{
	struct tc_report rep = {};
	struct hist *swap;
	int err;

	rep.ts_ns = monotonic_ns();
	rep.seconds = (rep.ts_ns - r->last_ns) / 1e9;
	r->last_ns = rep.ts_ns;
	if (r->opts->hist) {
		read_hists(r);
		for (int st = 0; st < TC_NR_STATES; st++)
			hist__diff(&r->delta[st], &r->cur[st], &r->prev[st]);
		swap = r->prev;
		r->prev = r->cur;
		r->cur = swap;
		rep.hists = r->delta;
	}
	err = walk__sockets(r->loader, r->opts->netns_path, TC_ITER_GAUGES, r->gauges, NULL);
	if (err == -ENOENT && r->opts->netns_path) {
		/* the traced namespace is gone, and its sockets with it */
		memset(r->gauges, 0, sizeof(r->gauges));
		rep.gauges = r->gauges;
	} else if (err)
		fprintf(stderr, "tcpclose: counting sockets per close state: %s\n", strerror(-err));
	else
		rep.gauges = r->gauges;
	s->ops->report(s, &rep);
}

void reporter__free(struct reporter *r)
{
	free(r->prev);
	free(r->cur);
	free(r->delta);
}
