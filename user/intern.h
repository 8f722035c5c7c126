/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * intern: one copy of each value of a fixed size, counted by its users, named by a small
 * number. Many records share their process or their endpoints: tw_join keeps those once.
 */
#ifndef __INTERN_H
#define __INTERN_H

#include <stddef.h>
#include <linux/types.h>

struct intern {
	size_t size;		/* of a value */
	unsigned char *vals;	/* [nvals * size] */
	__u32 *refs;		/* [nvals]: its users; of a free one, the next free + 1 */
	__u32 nvals, capvals;
	__u32 free;		/* a free value's number + 1, 0 if none; the next in its refs */
	__u32 *index;		/* open addressing: number + 1, 0 for empty */
	size_t capindex;	/* a power of two */
	__u32 used;		/* values in use */
};

void intern__init(struct intern *in, size_t size);
void intern__free(struct intern *in);

/* the number of val, counted once more; val kept if new. -1 without memory */
long intern__get(struct intern *in, const void *val);

/* the value numbered id, kept until intern__put() of its last user */
const void *intern__val(const struct intern *in, __u32 id);

/* one user of id fewer */
void intern__put(struct intern *in, __u32 id);

/* the bytes it takes */
size_t intern__bytes(const struct intern *in);

#endif /* __INTERN_H */
