// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* output: stdout that knows which lines reached the reader; see output.h */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <unistd.h>
#include "output.h"

/* stdio hands us its buffer: write all of it, or say how much went */
static ssize_t output__write(void *cookie, const char *buf, size_t len)
{
	struct output *o = cookie;
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(o->fd, buf + done, len - done);

		/* EINTR too: a signal ends a write that a stalled reader blocked */
		if (n < 0)
			return done ? (ssize_t)done : -1;
		done += n;
		o->written += n;
	}
	return done;
}

struct output *output__open(int fd)
{
	cookie_io_functions_t io = { .write = output__write };
	struct output *o = calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	o->fd = fd;
	o->f = fopencookie(o, "w", io);
	if (!o->f) {
		free(o);
		return NULL;
	}
	return o;
}

/* forget the lines fd has wholly taken */
static void output__prune(struct output *o)
{
	while (o->n && o->end[o->head] <= o->written) {
		o->head = (o->head + 1) % OUTPUT_MAX_WAITING;
		o->n--;
	}
}

void output__line(struct output *o, bool is_record)
{
	unsigned int i;

	output__prune(o);
	if (o->n == OUTPUT_MAX_WAITING) {
		/* lines shorter than the buffer holds: make room by writing them */
		fflush(o->f);
		output__prune(o);
		if (o->n == OUTPUT_MAX_WAITING) {
			/* f has failed: this line cannot have reached fd */
			if (is_record)
				o->lost_records++;
			else
				o->lost_other++;
			return;
		}
	}
	i = (o->head + o->n++) % OUTPUT_MAX_WAITING;
	/* what fd took, and what stdio still holds, is all that was handed to f */
	o->end[i] = o->written + __fpending(o->f);
	o->is_record[i] = is_record;
}

void output__unwritten(struct output *o, __u64 *records, __u64 *other)
{
	*records += o->lost_records;
	*other += o->lost_other;
	o->lost_records = o->lost_other = 0;
	output__prune(o);
	for (unsigned int k = 0; k < o->n; k++) {
		if (o->is_record[(o->head + k) % OUTPUT_MAX_WAITING])
			(*records)++;
		else
			(*other)++;
	}
	o->n = 0;
}

void output__close(struct output *o)
{
	if (!o)
		return;
	/* after a failure, what stdio holds is counted lost: writing it could block again */
	if (ferror(o->f))
		__fpurge(o->f);
	fclose(o->f);
	free(o);
}
