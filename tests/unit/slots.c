// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * slots: objects of every size up to SLOTS_MAX keep their bytes while others come and go,
 * take their size rounded up to a grain, and a freed slot is the next one of its size.
 */
#include <stdlib.h>
#include <string.h>
#include "slots.h"
#include "test.h"

#define N 20000

/* object i's bytes: its own, so that an overlap shows */
static void fill(__u8 *p, size_t len, unsigned int i)
{
	for (size_t k = 0; k < len; k++)
		p[k] = (__u8)(i * 31 + k);
}

static bool intact(const __u8 *p, size_t len, unsigned int i)
{
	for (size_t k = 0; k < len; k++)
		if (p[k] != (__u8)(i * 31 + k))
			return false;
	return true;
}

void test_slots_many(void)
{
	static __u32 refs[N];
	static size_t lens[N];
	struct slots s = {};
	size_t used = 0;
	int bad = 0;

	srand(7);
	for (unsigned int i = 0; i < N; i++) {
		lens[i] = 1 + rand() % SLOTS_MAX;
		refs[i] = slots__alloc(&s, lens[i]);
		if (!ASSERT_NEQ(refs[i], 0, "a slot"))
			goto out;
		fill(slots__at(&s, refs[i]), lens[i], i);
		used += slots__size(lens[i]);
	}
	ASSERT_EQ(s.used, used, "the bytes in use, each rounded up to a grain");
	/* every other one goes, and comes back at another size */
	for (unsigned int i = 0; i < N; i += 2) {
		slots__free(&s, refs[i]);
		used -= slots__size(lens[i]);
	}
	ASSERT_EQ(s.used, used, "less the ones freed");
	for (unsigned int i = 1; i < N; i += 2)
		bad += !intact(slots__at(&s, refs[i]), lens[i], i);
	ASSERT_EQ(bad, 0, "the others kept their bytes");
	for (unsigned int i = 0; i < N; i += 2) {
		lens[i] = 1 + rand() % SLOTS_MAX;
		refs[i] = slots__alloc(&s, lens[i]);
		if (!ASSERT_NEQ(refs[i], 0, "a slot again"))
			goto out;
		fill(slots__at(&s, refs[i]), lens[i], i);
		used += slots__size(lens[i]);
	}
	for (unsigned int i = 0; i < N; i++)
		bad += !intact(slots__at(&s, refs[i]), lens[i], i);
	ASSERT_EQ(bad, 0, "no two objects share a byte");
	ASSERT_EQ(s.used, used, "in use again");
	/* pages hold little more than what is in use: a page per size is partly empty */
	ASSERT_LE(slots__bytes(&s), used + SLOTS_CLASSES * 65536 + 65536, "pages");
out:
	slots__release(&s);
}

void test_slots_reuse(void)
{
	struct slots s = {};
	__u32 a, b, c;

	a = slots__alloc(&s, 41);
	b = slots__alloc(&s, 48);
	ASSERT_EQ(slots__size(41), 48, "41 bytes take 48");
	ASSERT_EQ(s.used, 96, "two of 48");
	slots__free(&s, a);
	c = slots__alloc(&s, 45);
	ASSERT_EQ(c, a, "the freed slot of that size is the next one");
	ASSERT_NEQ(slots__alloc(&s, 8), b, "another size, another slot");
	ASSERT_EQ(slots__alloc(&s, 0), 0, "nothing is no object");
	ASSERT_EQ(slots__alloc(&s, SLOTS_MAX + 1), 0, "nor is one too large");
	slots__release(&s);
}

#define PAGE 65536
#define PER_PAGE (PAGE / 64)

/*
 * A burst's pages go back once it is over (slots__trim()), not while it ends, but one kept
 * for its size; the numbers of pages given back are taken again, and what still lives in
 * other pages keeps its bytes.
 */
void test_slots_return(void)
{
	static __u32 refs[N];
	struct slots s = {};
	size_t table;
	int bad = 0;

	for (unsigned int i = 0; i < N; i++) {
		refs[i] = slots__alloc(&s, 64);
		if (!ASSERT_NEQ(refs[i], 0, "a slot"))
			goto out;
		fill(slots__at(&s, refs[i]), 64, i);
	}
	table = s.cap * sizeof(*s.pages);
	ASSERT_EQ(slots__bytes(&s), (size_t)(N + PER_PAGE - 1) / PER_PAGE * PAGE + table,
		  "whole pages of 64-byte slots");
	/* every other one gone: no page empty, none given back */
	for (unsigned int i = 0; i < N; i += 2)
		slots__free(&s, refs[i]);
	ASSERT_EQ(slots__bytes(&s), (size_t)(N + PER_PAGE - 1) / PER_PAGE * PAGE + table,
		  "pages partly used are kept");
	/* the first half gone: its pages empty, all given back but one */
	for (unsigned int i = 1; i < N / 2; i += 2)
		slots__free(&s, refs[i]);
	ASSERT_EQ(s.live, (N + PER_PAGE - 1) / PER_PAGE, "not given back while they go");
	slots__trim(&s);
	/* the pages wholly below N / 2 are empty now */
	ASSERT_EQ(s.live, (N + PER_PAGE - 1) / PER_PAGE - (N / 2) / PER_PAGE + 1,
		  "empty pages given back, one kept");
	for (unsigned int i = N / 2 + 1; i < N; i += 2)
		bad += !intact(slots__at(&s, refs[i]), 64, i);
	ASSERT_EQ(bad, 0, "the objects left kept their bytes");
	/* the burst again: the pages' numbers are taken again, not new ones */
	for (unsigned int i = 0; i < N / 2; i++) {
		refs[i] = slots__alloc(&s, 64);
		if (!ASSERT_NEQ(refs[i], 0, "a slot again"))
			goto out;
		fill(slots__at(&s, refs[i]), 64, i);
	}
	ASSERT_EQ(s.npages, (N + PER_PAGE - 1) / PER_PAGE, "no more page numbers than at the peak");
	for (unsigned int i = 0; i < N / 2; i++)
		bad += !intact(slots__at(&s, refs[i]), 64, i);
	for (unsigned int i = N / 2 + 1; i < N; i += 2)
		bad += !intact(slots__at(&s, refs[i]), 64, i);
	ASSERT_EQ(bad, 0, "no two objects share a byte");
	/* everything gone: one page left, for the next */
	for (unsigned int i = 0; i < N / 2; i++)
		slots__free(&s, refs[i]);
	for (unsigned int i = N / 2 + 1; i < N; i += 2)
		slots__free(&s, refs[i]);
	slots__trim(&s);
	ASSERT_EQ(s.used, 0, "nothing in use");
	ASSERT_EQ(s.live, 1, "one page kept");
out:
	slots__release(&s);
}
