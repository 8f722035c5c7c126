// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* backlog: the ring buffer's events waiting to be taken, in order; see backlog.h */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "backlog.h"

/* 1 MiB a chunk: some 18,000 timewait ends */
#define CHUNK (1U << 20)

struct backlog_chunk {
	struct backlog_chunk *next;
	__u32 rd, wr;		/* offsets in data: the next event to read, the end of those written */
	__u8 data[];
};

#define CHUNK_DATA (CHUNK - sizeof(struct backlog_chunk))

/* an event as kept: its size, then its bytes, rounded up to 8 */
struct entry {
	__u32 size;
	__u32 pad;
	__u8 ev[];
};

static __u32 entry__len(size_t size)
{
	return (sizeof(struct entry) + size + 7) & ~7U;
}

static struct entry *entry__at(const struct backlog_chunk *c, __u32 off)
{
	return (struct entry *)(c->data + off);
}

int backlog__push(struct backlog *q, const void *ev, size_t size)
{
	__u32 len = entry__len(size);
	struct backlog_chunk *c = q->tail;
	struct entry *e;

	if (len > CHUNK_DATA)
		return -E2BIG;
	if (!c || c->wr + len > CHUNK_DATA) {
		c = q->spare;
		if (c)
			q->spare = c->next;
		else if (!(c = malloc(CHUNK)))
			return -ENOMEM;
		c->next = NULL;
		c->rd = c->wr = 0;
		if (q->tail)
			q->tail->next = c;
		else
			q->head = c;
		q->tail = c;
	}
	e = entry__at(c, c->wr);
	e->size = size;
	e->pad = 0;
	memcpy(e->ev, ev, size);
	c->wr += len;
	q->count++;
	q->bytes += len;
	if (q->bytes > q->peak)
		q->peak = q->bytes;
	return 0;
}

size_t backlog__peek(const struct backlog *q, const void **ev, __u32 *size, size_t max)
{
	const struct backlog_chunk *c = q->head;
	__u32 off = c ? c->rd : 0;
	size_t n = 0;

	while (c && n < max) {
		const struct entry *e;

		if (off == c->wr) {
			c = c->next;
			off = 0;
			continue;
		}
		e = entry__at(c, off);
		ev[n] = e->ev;
		size[n++] = e->size;
		off += entry__len(e->size);
	}
	return n;
}

void backlog__pop(struct backlog *q, size_t n)
{
	while (n && q->count) {
		struct backlog_chunk *c = q->head;
		__u32 len;

		if (c->rd == c->wr) {
			/* emptied, and (events still queued) more behind it: aside until trimmed */
			q->head = c->next;
			c->next = q->spare;
			q->spare = c;
			continue;
		}
		len = entry__len(entry__at(c, c->rd)->size);
		q->bytes -= len;
		c->rd += len;
		q->count--;
		n--;
	}
	/* nothing left: the last chunk is written from its start again */
	if (!q->count && q->head) {
		while (q->head != q->tail) {
			struct backlog_chunk *c = q->head;

			q->head = c->next;
			c->next = q->spare;
			q->spare = c;
		}
		q->head->rd = q->head->wr = 0;
	}
}

static void chunks__free(struct backlog_chunk *c)
{
	while (c) {
		struct backlog_chunk *next = c->next;

		free(c);
		c = next;
	}
}

void backlog__trim(struct backlog *q)
{
	chunks__free(q->spare);
	q->spare = NULL;
	/* an empty queue keeps no chunk either: a burst's pages go back */
	if (!q->count && q->head) {
		free(q->head);
		q->head = q->tail = NULL;
	}
}

void backlog__free(struct backlog *q)
{
	chunks__free(q->spare);
	chunks__free(q->head);
	memset(q, 0, sizeof(*q));
}
