// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <time.h>
#include "sink.h"
#include "clock.h"

void sink__init(struct sink *s, const struct sink_ops *ops, FILE *out, bool timestamp)
{
	s->ops = ops;
	s->out = out;
	s->timestamp = timestamp;
	/* paired: a test reads "ts" back on CLOCK_MONOTONIC with its own pairing */
	s->mono_to_real_ns = clock__real_offset_ns();
}

void sink__print_lost(const struct tc_stats *st)
{
	fprintf(stderr, "tcpclose: %llu records (%llu sent late, at socket destruction); lost: %llu (ring buffer full), %llu (connection map full), %llu (timewait map full), %llu (end unseen: sent partial); state changes skipped by the kernel: %llu; %llu timewait sockets still followed (%.1f MiB)\n",
		(unsigned long long)st->records, (unsigned long long)st->drops[TC_DROP_LATE],
		(unsigned long long)st->drops[TC_DROP_RINGBUF],
		(unsigned long long)st->drops[TC_DROP_CONN_MAP],
		(unsigned long long)st->drops[TC_DROP_TW_MAP],
		(unsigned long long)st->drops[TC_DROP_UNSEEN], (unsigned long long)st->state_missed,
		(unsigned long long)st->tw_live, st->tw_bytes / 1048576.0);
}

double sink__wall_seconds(const struct sink *s, __u64 mono_ns)
{
	return ((long long)mono_ns + s->mono_to_real_ns) / 1e9;
}

static void null_header(struct sink *s)
{
}

static void null_record(struct sink *s, const struct tc_conn *rec)
{
}

static void null_transition(struct sink *s, const struct tc_transition *t)
{
}

static void null_report(struct sink *s, const struct tc_report *r)
{
}

static void null_stuck(struct sink *s, const struct tc_stuck *st, const struct holder *h, int nh,
		       __u64 ts_ns)
{
}

static void null_summary(struct sink *s, const struct tc_stats *st)
{
	sink__print_lost(st);
}

const struct sink_ops sink_null_ops = {
	.header = null_header,
	.record = null_record,
	.transition = null_transition,
	.report = null_report,
	.stuck = null_stuck,
	.summary = null_summary,
};
