/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * backlog: the events read from the ring buffer and not yet taken, in order. The ring buffer
 * is kernel memory, locked and taken at start; a burst can outrun the reader (a namespace
 * deleted with a million timewait sockets sends a million ends in about a second, while the
 * reader shares the CPUs with the purge). Events are copied out here as soon as they come,
 * which frees their room in the ring buffer at once, and taken from here in order as time
 * allows: user-space memory, and only while a burst lasts. Kept in chunks of CHUNK bytes; a
 * chunk emptied waits for backlog__trim() to go back, as freeing it costs more than a burst
 * has time for.
 */
#ifndef __BACKLOG_H
#define __BACKLOG_H

#include <stddef.h>
#include <linux/types.h>

struct backlog_chunk;

struct backlog {
	struct backlog_chunk *head, *tail;	/* read from head, written to tail */
	struct backlog_chunk *spare;		/* emptied, for backlog__trim() */
	size_t bytes;				/* taken by the events queued */
	size_t count;				/* events queued */
	size_t peak;				/* the most bytes queued at once */
};

/* a copy of the event at the back: 0, or -ENOMEM (nothing queued) */
int backlog__push(struct backlog *q, const void *ev, size_t size);

/* up to max events from the front, in order, into ev and size: how many; they stay queued */
size_t backlog__peek(const struct backlog *q, const void **ev, __u32 *size, size_t max);

/* the n events at the front gone (what backlog__peek() gave is then no longer valid) */
void backlog__pop(struct backlog *q, size_t n);

/* the emptied chunks back to the system */
void backlog__trim(struct backlog *q);

void backlog__free(struct backlog *q);

#endif /* __BACKLOG_H */
