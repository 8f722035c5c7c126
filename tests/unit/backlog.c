// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * backlog: events come out in the order they went in, each with its own size and bytes,
 * across as many chunks as a burst takes; taken down, its memory goes back at a trim.
 */
#include <string.h>
#include "backlog.h"
#include "test.h"

/* a burst of timewait ends and the odd record: well over a chunk */
#define N 100000

static size_t size__of(unsigned int i)
{
	return i % 97 ? 48 : 248;
}

static void fill(__u8 *p, size_t len, unsigned int i)
{
	for (size_t k = 0; k < len; k++)
		p[k] = (__u8)(i * 13 + k);
}

static bool intact(const __u8 *p, size_t len, unsigned int i)
{
	for (size_t k = 0; k < len; k++)
		if (p[k] != (__u8)(i * 13 + k))
			return false;
	return true;
}

/* take up to 'slice' at a time, as core.c does; false at the first event out of place */
static bool take(struct backlog *q, unsigned int *next, size_t count, size_t slice)
{
	const void *ev[64];
	__u32 size[64];

	while (count) {
		size_t n = backlog__peek(q, ev, size, count < slice ? count : slice);

		if (!n)
			return false;
		for (size_t i = 0; i < n; i++, (*next)++)
			if (size[i] != size__of(*next) || !intact(ev[i], size[i], *next))
				return false;
		backlog__pop(q, n);
		count -= n;
	}
	return true;
}

void test_backlog_order(void)
{
	static __u8 buf[256];
	struct backlog q = {};
	unsigned int in = 0, out = 0;

	/* half in, a third out, the rest in, all out: in order, each event its own */
	for (; in < N / 2; in++) {
		fill(buf, size__of(in), in);
		if (!ASSERT_OK(backlog__push(&q, buf, size__of(in)), "queued"))
			goto out;
	}
	ASSERT_EQ(q.count, N / 2, "all queued");
	ASSERT_TRUE(take(&q, &out, N / 3, 64), "the first third, in order");
	for (; in < N; in++) {
		fill(buf, size__of(in), in);
		if (!ASSERT_OK(backlog__push(&q, buf, size__of(in)), "queued"))
			goto out;
	}
	ASSERT_TRUE(take(&q, &out, N - N / 3, 37), "the rest, in order");
	ASSERT_EQ(q.count, 0, "none left");
	ASSERT_EQ(q.bytes, 0, "no bytes left");
	ASSERT_GT(q.peak, 2 << 20, "the peak: more than a chunk or two");
	ASSERT_NOT_NULL(q.spare, "emptied chunks kept until a trim");
	backlog__trim(&q);
	ASSERT_TRUE(!q.spare, "none kept after it");
	ASSERT_TRUE(!q.head, "nor the last one, empty");
	/* and again from nothing */
	fill(buf, size__of(0), 0);
	ASSERT_OK(backlog__push(&q, buf, size__of(0)), "queued after a trim");
	out = 0;
	ASSERT_TRUE(take(&q, &out, 1, 64), "taken after a trim");
out:
	backlog__free(&q);
}

void test_backlog_peek(void)
{
	struct backlog q = {};
	const void *ev[4];
	__u32 size[4];
	__u8 a = 1, b[300] = { 2 };

	ASSERT_EQ(backlog__peek(&q, ev, size, 4), 0, "nothing in an empty one");
	backlog__pop(&q, 3);
	ASSERT_EQ(q.count, 0, "popping nothing is nothing");
	ASSERT_OK(backlog__push(&q, &a, 1), "one byte");
	ASSERT_OK(backlog__push(&q, b, sizeof(b)), "300 bytes");
	ASSERT_EQ(backlog__peek(&q, ev, size, 4), 2, "two");
	ASSERT_EQ(size[0], 1, "the first's size");
	ASSERT_EQ(size[1], sizeof(b), "the second's");
	ASSERT_EQ(*(const __u8 *)ev[1], 2, "its bytes");
	ASSERT_EQ(backlog__peek(&q, ev, size, 4), 2, "peeking takes none");
	backlog__pop(&q, 1);
	ASSERT_EQ(backlog__peek(&q, ev, size, 4), 1, "one popped");
	ASSERT_EQ(size[0], sizeof(b), "the second is first");
	backlog__free(&q);
}
