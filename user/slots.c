// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* slots: small objects in pages of one size each, named by 32-bit references; see slots.h */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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
	return s->pages[ref__page(ref)].mem + ref__offset(ref);
}

/* page i (its number plus 1) first among its size's pages with room */
static void room__add(struct slots *s, __u32 i)
{
	struct slots_page *p = &s->pages[i - 1];
	__u32 first = s->room[p->class];

	p->prev = 0;
	p->next = first;
	if (first)
		s->pages[first - 1].prev = i;
	s->room[p->class] = i;
	p->room = true;
}

static void room__remove(struct slots *s, __u32 i)
{
	struct slots_page *p = &s->pages[i - 1];

	if (p->prev)
		s->pages[p->prev - 1].next = p->next;
	else
		s->room[p->class] = p->next;
	if (p->next)
		s->pages[p->next - 1].prev = p->prev;
	p->room = false;
}

/* room for one more page in the table; false without memory or past MAX_PAGES */
static bool table__grow(struct slots *s)
{
	__u32 cap = s->cap ? s->cap * 2 : 16;
	struct slots_page *pages;

	if (s->npages < s->cap)
		return true;
	if (s->npages == MAX_PAGES)
		return false;
	if (cap > MAX_PAGES)
		cap = MAX_PAGES;
	pages = realloc(s->pages, cap * sizeof(*pages));
	if (!pages)
		return false;
	s->pages = pages;
	s->cap = cap;
	return true;
}

/*
 * A page for slots of class c, with room: its number plus 1, a returned page's if there is
 * one; 0 without memory. Mapped, not taken from malloc(): unmapped, it is the system's again.
 */
static __u32 page__add(struct slots *s, unsigned int c)
{
	void *mem = mmap(NULL, PAGE_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
	struct slots_page *p;
	__u32 i = s->returned;

	if (mem == MAP_FAILED)
		return 0;
	if (i) {
		s->returned = s->pages[i - 1].next;
	} else if (table__grow(s)) {
		i = ++s->npages;
	} else {
		munmap(mem, PAGE_BYTES);
		return 0;
	}
	p = &s->pages[i - 1];
	memset(p, 0, sizeof(*p));
	p->mem = mem;
	p->class = c;
	s->live++;
	room__add(s, i);
	return i;
}

/* page i is empty and not kept: its memory goes back, its number to the next page made */
static void page__return(struct slots *s, __u32 i)
{
	struct slots_page *p = &s->pages[i - 1];

	room__remove(s, i);
	munmap(p->mem, PAGE_BYTES);
	p->mem = NULL;
	p->next = s->returned;
	s->returned = i;
	s->live--;
}

__u32 slots__alloc(struct slots *s, size_t len)
{
	unsigned int c = class__of(len), size = c * SLOTS_GRAIN;
	struct slots_page *p;
	__u32 i, offset;

	if (!len || len > SLOTS_MAX)
		return 0;
	i = s->room[c];
	if (!i && !(i = page__add(s, c)))
		return 0;
	p = &s->pages[i - 1];
	/* an empty page used again (a new one has used none of it): kept, or waiting for
	 * slots__trim() */
	if (!p->used && p->bump) {
		if (s->kept[c] == i)
			s->kept[c] = 0;
		else
			s->empty--;
	}
	if (p->free) {
		offset = (p->free - 1) * SLOTS_GRAIN;
		memcpy(&p->free, p->mem + offset, sizeof(p->free));
	} else {
		offset = p->bump;
		p->bump += size;
	}
	p->used++;
	/* full: no slot freed, and no whole one never used */
	if (!p->free && p->bump + size > PAGE_BYTES)
		room__remove(s, i);
	s->used += size;
	return ref__make(i - 1, offset);
}

void slots__free(struct slots *s, __u32 ref)
{
	__u32 i = ref__page(ref) + 1, offset = ref__offset(ref);
	struct slots_page *p = &s->pages[i - 1];
	unsigned int c = p->class;

	memcpy(p->mem + offset, &p->free, sizeof(p->free));
	p->free = offset / SLOTS_GRAIN + 1;
	p->used--;
	s->used -= c * SLOTS_GRAIN;
	if (!p->room)
		room__add(s, i);
	if (p->used)
		return;
	/* one empty page a size is kept, so that a size used on and off does not map and
	 * unmap a page each time; the others wait for slots__trim() */
	if (!s->kept[c])
		s->kept[c] = i;
	else
		s->empty++;
}

void slots__trim(struct slots *s)
{
	for (__u32 i = 1; s->empty && i <= s->npages; i++) {
		struct slots_page *p = &s->pages[i - 1];

		if (!p->mem || p->used || s->kept[p->class] == i)
			continue;
		page__return(s, i);
		s->empty--;
	}
}

size_t slots__bytes(const struct slots *s)
{
	return (size_t)s->live * PAGE_BYTES + s->cap * sizeof(*s->pages);
}

void slots__release(struct slots *s)
{
	for (__u32 i = 0; i < s->npages; i++)
		if (s->pages[i].mem)
			munmap(s->pages[i].mem, PAGE_BYTES);
	free(s->pages);
	memset(s, 0, sizeof(*s));
}
