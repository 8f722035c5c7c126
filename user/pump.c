// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pump: a lossy source's events to a slower taker, through a backlog; see pump.h */
#include "pump.h"

/*
 * How far ahead of the event taken its data (2 * AHEAD) and then what that points to
 * (AHEAD) are brought into the cache: for a timewait event, its table row and its head, each
 * a cache miss of some hundred ns in a table of many, waited for side by side rather than
 * one after another
 */
#define AHEAD 4

/* up to max (at most PUMP_TAKE) events from the front of the backlog, taken: how many */
static size_t pump__take_some(struct pump *p, size_t max)
{
	void (*prefetch)(void *ctx, const void *ev, bool deep) = p->ops->prefetch;
	const void *ev[PUMP_TAKE + 2 * AHEAD];
	__u32 size[PUMP_TAKE + 2 * AHEAD];
	/* those after them too, to be asked for ahead */
	size_t n = backlog__peek(&p->q, ev, size, PUMP_TAKE + 2 * AHEAD), take;

	take = n < max ? n : max;
	if (take > PUMP_TAKE)
		take = PUMP_TAKE;
	/* the first few's: asked again if the last call asked (a hint costs a few ns) */
	for (size_t i = 0; prefetch && i < n && i < 2 * AHEAD; i++)
		prefetch(p->ctx, ev[i], false);
	for (size_t i = 0; prefetch && i < n && i < AHEAD; i++)
		prefetch(p->ctx, ev[i], true);
	for (size_t i = 0; i < take; i++) {
		if (prefetch && i + 2 * AHEAD < n)
			prefetch(p->ctx, ev[i + 2 * AHEAD], false);
		if (prefetch && i + AHEAD < n)
			prefetch(p->ctx, ev[i + AHEAD], true);
		p->ops->take(p->ctx, ev[i], size[i]);
	}
	backlog__pop(&p->q, take);
	return take;
}

int pump__push(struct pump *p, const void *ev, size_t size)
{
	if (!backlog__push(&p->q, ev, size))
		return 0;
	/* no memory to queue it: what is queued first, then it, in order */
	while (p->q.count)
		pump__take_some(p, PUMP_TAKE);
	p->ops->take(p->ctx, ev, size);
	return 0;
}

/* the source read into the backlog, if it has room for all the source may hold */
static int pump__fill(struct pump *p)
{
	if (p->q.bytes + p->source_bytes > p->max_bytes)
		return 0;
	return p->ops->fill(p->ctx);
}

int pump__read(struct pump *p)
{
	int n = pump__fill(p), got;
	size_t left;

	if (n < 0)
		return n;
	for (left = p->q.count; left; left -= pump__take_some(p, left)) {
		got = pump__fill(p);
		if (got < 0)
			return got;
		n += got;
	}
	return n;
}

void pump__free(struct pump *p)
{
	backlog__free(&p->q);
}
