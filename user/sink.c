// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "output.h"
#include "sink.h"
#include "clock.h"

void sink__init(struct sink *s, const struct sink_ops *ops, FILE *out, bool timestamp)
{
	memset(s, 0, sizeof(*s));
	s->ops = ops;
	s->out = out;
	s->timestamp = timestamp;
	/* paired: a test reads "ts" back on CLOCK_MONOTONIC with its own pairing */
	s->read_offset = clock__real_offset_ns;
	s->mono_to_real_ns = s->read_offset();
	s->offset_read_ns = clock__now_ns();
}

/* how often the wall clock's offset is read again */
#define SINK_OFFSET_EVERY_NS 1000000000ULL

/*
 * A line's times are wall-clock times, and the wall clock may be stepped (NTP, an
 * administrator) while tcpclose runs for days: its offset is read again once a second, so
 * that a line written after a step agrees with the host's logs and captures. Between lines
 * only: the times of one line share one offset.
 */
static void sink__follow_wall_clock(struct sink *s)
{
	__u64 now = clock__now_ns();

	if (now - s->offset_read_ns < SINK_OFFSET_EVERY_NS)
		return;
	s->mono_to_real_ns = s->read_offset();
	s->offset_read_ns = now;
}

void sink__track(struct sink *s, struct output *o)
{
	s->out = o->f;
	s->tracked = o;
}

static void sink__broke(struct sink *s)
{
	s->broken = true;
	if (s->tracked)
		output__unwritten(s->tracked, &s->unwritten, &s->unwritten_other);
	s->unwritten += s->pending;
	s->unwritten_other += s->pending_other;
	s->pending = s->pending_other = 0;
}

/* after an op has written one line (a record when is_record) */
static void sink__wrote(struct sink *s, bool is_record)
{
	if (s->tracked)
		output__line(s->tracked, is_record);
	else if (is_record)
		s->pending++;
	else
		s->pending_other++;
	/* unlocked, as the lines are written (lb__write()): one thread writes them */
	if (ferror_unlocked(s->out))
		sink__broke(s);
}

/* false (and counted) once the output has failed */
static bool sink__open(struct sink *s, bool is_record)
{
	if (!s->broken) {
		sink__follow_wall_clock(s);
		return true;
	}
	if (is_record)
		s->unwritten++;
	else
		s->unwritten_other++;
	return false;
}

void sink__record(struct sink *s, const struct tcpc_conn *rec)
{
	if (!sink__open(s, true))
		return;
	s->ops->record(s, rec);
	sink__wrote(s, true);
}

void sink__transition(struct sink *s, const struct tcpc_transition *t)
{
	if (!sink__open(s, false))
		return;
	s->ops->transition(s, t);
	sink__wrote(s, false);
}

void sink__report(struct sink *s, const struct tcpc_report *r)
{
	if (!sink__open(s, false))
		return;
	s->ops->report(s, r);
	sink__wrote(s, false);
}

void sink__stuck(struct sink *s, const struct tcpc_stuck *st, const struct holder *h, int nh,
		 __u64 ts_ns)
{
	if (!sink__open(s, false))
		return;
	s->ops->stuck(s, st, h, nh, ts_ns);
	sink__wrote(s, false);
}

void sink__port_pressure(struct sink *s, const struct pp_tuple *t, double threshold)
{
	if (!sink__open(s, false))
		return;
	s->ops->port_pressure(s, t, threshold);
	sink__wrote(s, false);
}

int sink__flush(struct sink *s)
{
	if (!s->broken && (fflush(s->out) || ferror(s->out)))
		sink__broke(s);
	if (s->broken)
		return -EIO;
	s->pending = s->pending_other = 0;
	return 0;
}

void sink__summary(struct sink *s, struct tcpc_stats *st)
{
	sink__flush(s);
	st->unwritten = s->unwritten;
	st->unwritten_other = s->unwritten_other;
	if (s->broken) {
		sink__print_lost(st);
		return;
	}
	s->ops->summary(s, st);
	fflush(s->out);
}

static void sink__print_counts(const struct tcpc_stats *st, const char *when)
{
	fprintf(stderr, "tcpclose: %s%llu records (%llu sent late, at socket destruction; %llu without their first close states; %llu sent partial, their end unseen); lost: %llu (ring buffer full), %llu (timewait map full), %llu (keepalive map full), %llu (no memory for a head); state changes skipped by the kernel: %llu; %llu timewait sockets still followed (%.1f MiB in the kernel, %.1f MiB here)",
		when, (unsigned long long)st->records, (unsigned long long)st->drops[TCPC_DROP_LATE],
		(unsigned long long)st->drops[TCPC_DROP_STATES_LOST],
		(unsigned long long)st->drops[TCPC_DROP_UNSEEN],
		(unsigned long long)st->drops[TCPC_DROP_RINGBUF],
		(unsigned long long)st->drops[TCPC_DROP_TW_MAP],
		(unsigned long long)st->drops[TCPC_DROP_KA_MAP], (unsigned long long)st->join_lost,
		(unsigned long long)st->state_missed, (unsigned long long)st->tw_live,
		st->tw_bytes / 1048576.0, st->tw_head_bytes / 1048576.0);
	if (st->drops[TCPC_DROP_TW_SEEN])
		fprintf(stderr, "; %llu timewait re-arms lost (ring buffer full: their records may lack a restart)",
			(unsigned long long)st->drops[TCPC_DROP_TW_SEEN]);
	if (st->tw_unfollowed)
		fprintf(stderr, "; %llu timewait sockets ended that were not followed",
			(unsigned long long)st->tw_unfollowed);
	/* the output closed or stalled: what never reached it */
	if (st->unwritten || st->unwritten_other)
		fprintf(stderr, "; not written (output closed or stalled): %llu records, %llu other lines",
			(unsigned long long)st->unwritten, (unsigned long long)st->unwritten_other);
	fputc('\n', stderr);
}

void sink__print_lost(const struct tcpc_stats *st)
{
	sink__print_counts(st, "");
}

void sink__so_far(const struct sink *s, struct tcpc_stats *st)
{
	st->unwritten = s->unwritten;
	st->unwritten_other = s->unwritten_other;
	sink__print_counts(st, "so far ");
}

double sink__wall_seconds(const struct sink *s, __u64 mono_ns)
{
	return ((long long)mono_ns + s->mono_to_real_ns) / 1e9;
}

static void null_header(struct sink *s)
{
}

static void null_record(struct sink *s, const struct tcpc_conn *rec)
{
}

static void null_transition(struct sink *s, const struct tcpc_transition *t)
{
}

static void null_report(struct sink *s, const struct tcpc_report *r)
{
}

static void null_stuck(struct sink *s, const struct tcpc_stuck *st, const struct holder *h, int nh,
		       __u64 ts_ns)
{
}

static void null_port_pressure(struct sink *s, const struct pp_tuple *t, double threshold)
{
}

static void null_summary(struct sink *s, const struct tcpc_stats *st)
{
	sink__print_lost(st);
}

const struct sink_ops sink_null_ops = {
	.header = null_header,
	.record = null_record,
	.transition = null_transition,
	.report = null_report,
	.stuck = null_stuck,
	.port_pressure = null_port_pressure,
	.summary = null_summary,
};
