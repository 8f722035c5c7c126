// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pump: a source that loses what it has no room for (as the ring buffer does), and a taker
 * three times slower than the source for as long as it runs (as a namespace's purge sends
 * timewait ends faster than a slow consumer takes them). Read again every PUMP_TAKE events
 * taken, the source never fills, and every event is taken once, in order; with no room left
 * in the backlog, the source fills and counts its losses, and what it kept is still taken in
 * order.
 */
#include "pump.h"
#include "test.h"

#define TOTAL 20000
#define PER_TAKE 3	/* events the source makes while one is taken */
#define ROOM 64		/* the source's room: four reads' worth at that pace */

struct fake {
	struct pump pump;
	unsigned int made;	/* events made so far (each its number) */
	unsigned int held;	/* made and not read yet, in the source */
	unsigned int first;	/* the number of the first held */
	unsigned int lost;	/* made with no room in the source */
	unsigned int taken;
	unsigned int next;	/* the number the next event taken should have */
	unsigned int out_of_order;
	unsigned int peak_held;
	unsigned int hinted;	/* deep hints of events not taken yet */
};

/* n more events from the source, as its room allows */
static void fake__make(struct fake *f, unsigned int n)
{
	for (; n && f->made < TOTAL; n--, f->made++) {
		if (f->held == ROOM) {
			f->lost++;
			continue;
		}
		if (!f->held)
			f->first = f->made;
		f->held++;
		if (f->held > f->peak_held)
			f->peak_held = f->held;
	}
}

static int fake__fill(void *ctx)
{
	struct fake *f = ctx;
	int n = f->held;

	/* the held events are the last 'held' made, less the lost: numbered from first */
	for (unsigned int i = 0; i < f->held; i++) {
		unsigned int ev = f->first + i;

		pump__push(&f->pump, &ev, sizeof(ev));
	}
	f->held = 0;
	return n;
}

static void fake__take(void *ctx, const void *ev, size_t size)
{
	struct fake *f = ctx;
	unsigned int seq = *(const unsigned int *)ev;

	/* lost events leave gaps: order is all that is asked */
	if (size != sizeof(seq) || (f->taken && seq < f->next))
		f->out_of_order++;
	f->next = seq + 1;
	f->taken++;
	fake__make(f, PER_TAKE);
}

static void fake__prefetch(void *ctx, const void *ev, bool deep)
{
	struct fake *f = ctx;

	if (deep && *(const unsigned int *)ev >= f->next)
		f->hinted++;
}

static const struct pump_ops fake_ops = {
	.fill = fake__fill,
	.take = fake__take,
	.prefetch = fake__prefetch,
};

static void fake__run(struct fake *f, size_t max_bytes)
{
	f->pump = (struct pump){ .ops = &fake_ops, .ctx = f, .max_bytes = max_bytes,
				 .source_bytes = ROOM * 16 };
	/* a burst the size of the source's room starts it */
	fake__make(f, ROOM);
	f->peak_held = 0;
	while (f->made < TOTAL || f->held || pump__queued(&f->pump))
		if (pump__read(&f->pump) < 0)
			break;
}

void test_pump_slow_taker(void)
{
	struct fake f = {};

	fake__run(&f, 64 << 20);
	ASSERT_EQ(f.lost, 0, "the source never full");
	ASSERT_LE(f.peak_held, PUMP_TAKE * PER_TAKE, "read again every PUMP_TAKE taken");
	ASSERT_EQ(f.taken, TOTAL, "every event taken");
	ASSERT_EQ(f.out_of_order, 0, "in order");
	ASSERT_GT(f.pump.q.peak, (size_t)TOTAL / 2 * 16, "the backlog held what the taker was behind");
	ASSERT_GE(f.hinted, TOTAL - PUMP_TAKE, "each hinted before taken");
	pump__free(&f.pump);
}

void test_pump_backlog_full(void)
{
	struct fake f = {};

	/* room for a source's worth and little more: the source fills and counts */
	fake__run(&f, ROOM * 16 + 256);
	ASSERT_GT(f.lost, 0, "the source lost what it had no room for");
	ASSERT_EQ(f.taken + f.lost, TOTAL, "every event taken or lost, once");
	ASSERT_EQ(f.out_of_order, 0, "what was kept, in order");
	ASSERT_LE(f.pump.q.peak, (size_t)ROOM * 16 + 256 + ROOM * 16, "the backlog within its room");
	pump__free(&f.pump);
}
