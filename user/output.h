/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * output: stdout as a stdio stream that knows which lines reached the reader. stdio cannot
 * say how much of its buffer a failed write took; this stream does its own write(2)s and
 * keeps the end of every line not yet wholly written, so that when the reader goes away or
 * stalls (and a signal ends the blocked write) every line is either written or counted.
 */
#ifndef __OUTPUT_H
#define __OUTPUT_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

/* lines that may wait for the reader at once: more than stdio's buffer holds */
#define OUTPUT_MAX_WAITING 1024

struct output {
	FILE *f;			/* write the lines here */
	int fd;
	__u64 written;			/* bytes fd took */
	/* lines handed to f and not wholly written yet: where each ends, and its kind */
	__u64 end[OUTPUT_MAX_WAITING];
	bool is_record[OUTPUT_MAX_WAITING];
	unsigned int head, n;
	__u64 lost_records, lost_other;	/* lines that found no room after f failed */
};

/* a stream over fd (line-less until output__line() is called); NULL and errno on failure */
struct output *output__open(int fd);

/* one line has been handed to o->f: note where it ends */
void output__line(struct output *o, bool is_record);

/* the lines handed to f that never wholly reached fd: after f failed, what was lost */
void output__unwritten(struct output *o, __u64 *records, __u64 *other);

void output__close(struct output *o);

#endif /* __OUTPUT_H */
