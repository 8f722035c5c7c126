// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "clock.h"
#include "tcpclose.skel.h"
#include "report.h"
#include "walk.h"

int reporter__init(struct reporter *r, const struct tcpc_opts *opts, struct core *t)
{
	memset(r, 0, sizeof(*r));
	r->opts = opts;
	r->core = t;
	r->last_ns = clock__now_ns();
	if (!opts->hist)
		return 0;
	r->prev = calloc(TCPC_NR_STATES, sizeof(struct hist));
	r->cur = calloc(TCPC_NR_STATES, sizeof(struct hist));
	r->delta = calloc(TCPC_NR_STATES, sizeof(struct hist));
	return r->prev && r->cur && r->delta ? 0 : -ENOMEM;
}

/* what core counted in user space (core.h), added to the kernel's */
static void add_core_hists(struct reporter *r)
{
	const struct hist *own = r->core->hists;

	for (int s = 0; own && s < TCPC_NR_STATES; s++) {
		struct hist *h = &r->cur[s];

		for (unsigned int i = 0; i < TCPC_HIST_BUCKETS; i++)
			h->counts[i] += own[s].counts[i];
		h->total += own[s].total;
		if (own[s].max_us > h->max_us)
			h->max_us = own[s].max_us;
	}
}

/* the per-CPU histograms, summed over the CPUs, and core's */
static int read_hists(struct reporter *r)
{
	struct tcpclose_bpf *skel = r->core->loader.skel;
	int ncpus = r->core->loader.ncpus;
	struct tcpc_hist_chunk *chunks;
	struct tcpc_hist_max *max;
	__u32 key;
	int err = 0;

	chunks = calloc(ncpus, sizeof(*chunks));
	max = calloc(ncpus, sizeof(*max));
	if (!chunks || !max) {
		err = -ENOMEM;
		goto out;
	}
	for (int s = 0; s < TCPC_NR_STATES; s++) {
		struct hist *h = &r->cur[s];

		memset(h, 0, sizeof(*h));
		for (__u32 c = 0; c < TCPC_HIST_CHUNKS; c++) {
			key = s * TCPC_HIST_CHUNKS + c;
			if (bpf_map__lookup_elem(skel->maps.hists, &key, sizeof(key), chunks,
						 ncpus * sizeof(*chunks), 0)) {
				err = -errno;
				goto out;
			}
			for (int cpu = 0; cpu < ncpus; cpu++)
				for (__u32 b = 0; b < TCPC_HIST_SUB; b++)
					h->counts[c * TCPC_HIST_SUB + b] += chunks[cpu].count[b];
		}
		hist__sum(h);
	}
	key = 0;
	if (bpf_map__lookup_elem(skel->maps.hist_max, &key, sizeof(key), max,
				 ncpus * sizeof(*max), 0)) {
		err = -errno;
		goto out;
	}
	for (int s = 0; s < TCPC_NR_STATES; s++)
		for (int cpu = 0; cpu < ncpus; cpu++)
			if (max[cpu].us[s] > r->cur[s].max_us)
				r->cur[s].max_us = max[cpu].us[s];
	add_core_hists(r);
out:
	free(chunks);
	free(max);
	return err;
}

void reporter__report(struct reporter *r, struct sink *s)
{
	struct tcpc_report rep = {};
	struct hist *swap;
	int err;

	rep.ts_ns = clock__now_ns();
	rep.seconds = (rep.ts_ns - r->last_ns) / 1e9;
	r->last_ns = rep.ts_ns;
	if (r->opts->hist) {
		err = read_hists(r);
		if (err)
			fprintf(stderr, "tcpclose: reading the histograms: %s\n", strerror(-err));
		for (int st = 0; st < TCPC_NR_STATES; st++)
			hist__diff(&r->delta[st], &r->cur[st], &r->prev[st]);
		swap = r->prev;
		r->prev = r->cur;
		r->cur = swap;
		rep.hists = r->delta;
	}
	err = walk__sockets(&r->core->loader, r->opts->netns_path, TCPC_ITER_GAUGES, r->gauges, NULL);
	if (err == -ENOENT && r->opts->netns_path) {
		/* the traced namespace is gone, and its sockets with it */
		memset(r->gauges, 0, sizeof(r->gauges));
		rep.gauges = r->gauges;
	} else if (err)
		fprintf(stderr, "tcpclose: counting sockets per close state: %s\n", strerror(-err));
	else
		rep.gauges = r->gauges;
	sink__report(s, &rep);
}

void reporter__free(struct reporter *r)
{
	free(r->prev);
	free(r->cur);
	free(r->delta);
}
