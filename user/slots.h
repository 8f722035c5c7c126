/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * slots: small objects (up to SLOTS_MAX bytes) kept in 64 KiB pages, each page cut into
 * slots of one size, a multiple of SLOTS_GRAIN. An object is named by a 32-bit reference,
 * never 0, not by a pointer: a table of a million of them then costs 4 bytes a row, not 8,
 * and an object costs its size rounded up to 8 bytes, not malloc()'s 16-byte steps and its
 * 8-byte header. A freed slot is reused by a later object of its size. A page left empty
 * goes back to the system at the next slots__trim(), but for one a size, kept for what comes
 * next: what a burst took (a million timewait sockets' heads) is returned when it is over,
 * not page by page while it ends (each unmapping stops the other CPUs to flush their TLBs,
 * as the reader races a namespace's purge for room in the ring buffer).
 */
#ifndef __SLOTS_H
#define __SLOTS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define SLOTS_GRAIN 8
#define SLOTS_MAX 256
#define SLOTS_CLASSES (SLOTS_MAX / SLOTS_GRAIN)

struct slots_page {
	__u8 *mem;		/* its bytes; NULL once returned, its number free for another */
	__u32 free;		/* its first free slot, in grains from mem, plus 1; 0: none */
	__u32 bump;		/* bytes from mem to the first slot never used */
	__u32 prev, next;	/* its neighbours among its size's pages with room (or, returned,
				 * the next free number), as page numbers plus 1; 0: none */
	__u16 used;		/* slots in use */
	__u8 class;		/* its slot size, in grains */
	bool room;		/* on its size's list of pages with room */
};

struct slots {
	struct slots_page *pages;
	__u32 npages, cap;
	__u32 live;			/* pages holding memory */
	__u32 room[SLOTS_CLASSES + 1];	/* per size, the first page with room, plus 1; 0: none */
	__u32 kept[SLOTS_CLASSES + 1];	/* per size, the empty page kept, plus 1; 0: none */
	__u32 returned;			/* the first returned page's number, plus 1; 0: none */
	__u32 empty;			/* pages empty and not kept, for slots__trim() */
	size_t used;			/* bytes of the slots in use */
};

/* a slot of at least len bytes (1 to SLOTS_MAX): its reference, or 0 without memory */
__u32 slots__alloc(struct slots *s, size_t len);
void *slots__at(const struct slots *s, __u32 ref);
void slots__free(struct slots *s, __u32 ref);
/* the empty pages, but one a size, back to the system */
void slots__trim(struct slots *s);
/* the bytes a slot of len bytes takes */
size_t slots__size(size_t len);
/* the bytes the pages take, used or not, and the table of them */
size_t slots__bytes(const struct slots *s);
void slots__release(struct slots *s);

#endif /* __SLOTS_H */
