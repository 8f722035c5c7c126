/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * pump: events from a source that loses what it has no room for (the ring buffer) to a
 * taker that may be slower than the source for a while (the sink, a head's join, an SVG
 * file a record), through a backlog (backlog.h). The source is read again every PUMP_TAKE
 * events taken, so that its room is freed as fast as it is read, not as fast as events are
 * taken; the backlog holds up to max_bytes, then the source is left to fill (and to count
 * what it loses) until the backlog is taken down.
 */
#ifndef __PUMP_H
#define __PUMP_H

#include <stdbool.h>
#include <stddef.h>
#include "backlog.h"

/* events taken between two reads of the source */
#define PUMP_TAKE 16

struct pump_ops {
	/* read what the source holds, each event through pump__push(): how many, or -errno */
	int (*fill)(void *ctx);
	void (*take)(void *ctx, const void *ev, size_t size);
	/* a hint for an event soon to be taken (its data, then with deep, what that points
	 * to): NULL for none */
	void (*prefetch)(void *ctx, const void *ev, bool deep);
};

struct pump {
	struct backlog q;
	const struct pump_ops *ops;
	void *ctx;
	size_t max_bytes;	/* the backlog's, before the source is left to fill */
	size_t source_bytes;	/* the most one fill may bring */
};

/* the source's callback: ev queued (or, without memory, taken in its turn); 0 */
int pump__push(struct pump *p, const void *ev, size_t size);

/*
 * Every event the source holds now, taken in order, the source read again as they are: what
 * came meanwhile stays queued for the next call. The events read, or the source's -errno.
 */
int pump__read(struct pump *p);

/* events queued, not taken yet */
static inline size_t pump__queued(const struct pump *p)
{
	return p->q.count;
}

void pump__free(struct pump *p);

#endif /* __PUMP_H */
