/* SPDX-License-Identifier: GPL-2.0 */
/* grow: the lab's growing arrays (captures, the peer's log): room for one more element */
#ifndef TCPCLOSE_GROW_H
#define TCPCLOSE_GROW_H

#include <errno.h>
#include <stdlib.h>

/* *items holds n of *cap elements of size bytes; make room for one more: 0 or -ENOMEM */
static inline int grow__one(void *items, size_t *cap, size_t n, size_t size)
{
	void **p = items;
	size_t want = *cap ? *cap * 2 : 256;
	void *more;

	if (n < *cap)
		return 0;
	more = realloc(*p, want * size);
	if (!more)
		return -ENOMEM;
	*p = more;
	*cap = want;
	return 0;
}

#endif
