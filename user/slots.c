// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* slots: small objects in pages of one size each, named by 32-bit references; see slots.h */
#include <stdlib.h>
#include <string.h>
#include "slots.h"

#define PAGE_SHIFT 16				/* 64 KiB pages */
#define PAGE_BYTES (1U << PAGE_SHIFT)
#define OFFSET_BITS (PAGE_SHIFT - 3)		/* offsets in grains */
#define MAX_PAGES ((1U << (32 - OFFSET_BITS)) - 1)

/* a reference: its page, from 1, then its offset in grains */
static __u32 ref__make(__u32 page, __u32 offset)
{
	return (page + 1) << OFFSET_BITS | offset / SLOTS_GRAIN;
}

static __u32 ref__page(__u32 ref)
{
	return (ref >> OFFSET_BITS) - 1;
}

static __u32 ref__offset(__u32 ref)
{
	return (ref & ((1U << OFFSET_BITS) - 1)) * SLOTS_GRAIN;
}

static unsigned int class__of(size_t len)
{
	return (len + SLOTS_GRAIN - 1) / SLOTS_GRAIN;
}

size_t slots__size(size_t len)
{
	return class__of(len) * SLOTS_GRAIN;
}

void *slots__at(const struct slots *s, __u32 ref)
{
	return s->pages[ref__page(ref)] + ref__offset(ref);
}

/* a new page for slots of class c: its first slot becomes the class's next never used */
static int page__add(struct slots *s, unsigned int c)
{
	if (s->npages == MAX_PAGES)
		return -1;
	if (s->npages == s->cap) {
		__u32 cap = s->cap ? s->cap * 2 : 16;
		__u8 **pages = realloc(s->pages, cap * sizeof(*pages));
		__u8 *classes;

		if (!pages)
			return -1;
		s->pages = pages;
		classes = realloc(s->page_class, cap);
		if (!classes)
			return -1;
		s->page_class = classes;
		s->cap = cap;
	}
	s->pages[s->npages] = malloc(PAGE_BYTES);
	if (!s->pages[s->npages])
		return -1;
	s->page_class[s->npages] = c;
	s->bump[c] = ref__make(s->npages, 0);
	s->npages++;
	return 0;
}

__u32 slots__alloc(struct slots *s, size_t len)
{
	unsigned int c = class__of(len), size = c * SLOTS_GRAIN;
	__u32 ref;

	if (!len || len > SLOTS_MAX)
		return 0;
	ref = s->free[c];
	if (ref) {
		memcpy(&s->free[c], slots__at(s, ref), sizeof(__u32));
	} else {
		if (!s->bump[c] && page__add(s, c))
			return 0;
		ref = s->bump[c];
		/* the next slot, if a whole one is left in the page */
		s->bump[c] = ref__offset(ref) + 2 * size <= PAGE_BYTES ? ref + size / SLOTS_GRAIN : 0;
	}
	s->used += size;
	return ref;
}

void slots__free(struct slots *s, __u32 ref)
{
	unsigned int c = s->page_class[ref__page(ref)];

	memcpy(slots__at(s, ref), &s->free[c], sizeof(__u32));
	s->free[c] = ref;
	s->used -= c * SLOTS_GRAIN;
}

size_t slots__bytes(const struct slots *s)
{
	return (size_t)s->npages * PAGE_BYTES + s->cap * (sizeof(*s->pages) + 1);
}

void slots__release(struct slots *s)
{
	for (__u32 i = 0; i < s->npages; i++)
		free(s->pages[i]);
	free(s->pages);
	free(s->page_class);
	memset(s, 0, sizeof(*s));
}
