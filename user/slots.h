/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * slots: small objects (up to SLOTS_MAX bytes) kept in 64 KiB pages, each page cut into
 * slots of one size, a multiple of SLOTS_GRAIN. An object is named by a 32-bit reference,
 * never 0, not by a pointer: a table of a million of them then costs 4 bytes a row, not 8,
 * and an object costs its size rounded up to 8 bytes, not malloc()'s 16-byte steps and its
 * 8-byte header. A freed slot is reused by the next object of its size; pages are kept.
 */
#ifndef __SLOTS_H
#define __SLOTS_H

#include <stddef.h>
#include <linux/types.h>

#define SLOTS_GRAIN 8
#define SLOTS_MAX 256
#define SLOTS_CLASSES (SLOTS_MAX / SLOTS_GRAIN)

struct slots {
	__u8 **pages;
	__u8 *page_class;		/* the slot size of each page, in grains */
	__u32 npages, cap;
	__u32 free[SLOTS_CLASSES + 1];	/* per class, the first free slot; 0: none */
	__u32 bump[SLOTS_CLASSES + 1];	/* per class, the next slot never used; 0: none */
	size_t used;			/* bytes of the slots in use */
};

/* a slot of at least len bytes (1 to SLOTS_MAX): its reference, or 0 without memory */
__u32 slots__alloc(struct slots *s, size_t len);
void *slots__at(const struct slots *s, __u32 ref);
void slots__free(struct slots *s, __u32 ref);
/* the bytes a slot of len bytes takes */
size_t slots__size(size_t len);
/* the bytes the pages take, used or not */
size_t slots__bytes(const struct slots *s);
void slots__release(struct slots *s);

#endif /* __SLOTS_H */
