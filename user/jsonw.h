/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The tracer's one JSON Lines writer, over struct linebuf: records go out at tens of
 * thousands a second, and json-c, which builds a tree of allocated objects per record, cost
 * ~9 us a record (measured); this writes the text straight into one buffer. Strings are escaped per
 * RFC 8259; callers pass valid UTF-8 (record__comm_utf8() makes a comm so).
 */
#ifndef __JSONW_H
#define __JSONW_H

#include <stdbool.h>
#include "linebuf.h"

struct jsonw {
	struct linebuf lb;
	bool first;		/* no member written yet in the current object or array */
	FILE *spill;		/* a line longer than lb (a histogram report) goes out in parts */
};

/* room left in lb for the longest single member: an escaped comm, a key, a number */
#define JW_SPILL_ROOM 512

static inline void jw__sep(struct jsonw *w)
{
	if (!w->first)
		lb__char(&w->lb, ',');
	w->first = false;
	if (w->spill && w->lb.len > sizeof(w->lb.buf) - JW_SPILL_ROOM)
		lb__write(&w->lb, w->spill);
}

/* an empty writer, a long line spilling to spill (NULL: cut short), as lb__start() */
static inline void jw__start(struct jsonw *w, FILE *spill)
{
	lb__start(&w->lb);
	w->first = false;
	w->spill = spill;
}

static inline void jw__open(struct jsonw *w, char c)
{
	lb__char(&w->lb, c);
	w->first = true;
}

static inline void jw__close(struct jsonw *w, char c)
{
	lb__char(&w->lb, c);
	w->first = false;
}

static inline void jw__string(struct jsonw *w, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	lb__char(&w->lb, '"');
	for (; *s; s++) {
		unsigned char c = *s;

		/* a long string (a cgroup path) goes out in parts rather than cut */
		if (w->spill && w->lb.len > sizeof(w->lb.buf) - 8)
			lb__write(&w->lb, w->spill);

		if (c == '"' || c == '\\') {
			lb__char(&w->lb, '\\');
			lb__char(&w->lb, c);
		} else if (c == '\n') {
			lb__str(&w->lb, "\\n", 0);
		} else if (c == '\t') {
			lb__str(&w->lb, "\\t", 0);
		} else if (c < 0x20 || c == 0x7f) {
			lb__str(&w->lb, "\\u00", 0);
			lb__char(&w->lb, hex[c >> 4]);
			lb__char(&w->lb, hex[c & 15]);
		} else {
			lb__char(&w->lb, c);
		}
	}
	lb__char(&w->lb, '"');
}

/* "key": — the value follows */
static inline void jw__key(struct jsonw *w, const char *key)
{
	jw__sep(w);
	jw__string(w, key);
	lb__char(&w->lb, ':');
	w->first = true;	/* the value itself takes no comma */
}

static inline void jw__str(struct jsonw *w, const char *key, const char *v)
{
	jw__key(w, key);
	if (v)
		jw__string(w, v);
	else
		lb__str(&w->lb, "null", 0);
	w->first = false;
}

static inline void jw__uint(struct jsonw *w, const char *key, __u64 v)
{
	jw__key(w, key);
	lb__uint(&w->lb, v, 0);
	w->first = false;
}

/* v / 10^decimals, e.g. nanoseconds as milliseconds with 3 decimals: (ns / 1000, 3) */
static inline void jw__fixed(struct jsonw *w, const char *key, __u64 v, unsigned int decimals)
{
	jw__key(w, key);
	lb__fixed(&w->lb, v, decimals, 0);
	w->first = false;
}

/* a measured value printed with fmt's precision, e.g. "%.3f" */
static inline void jw__double(struct jsonw *w, const char *key, double v, const char *fmt)
{
	char buf[48];

	snprintf(buf, sizeof(buf), fmt, v);
	jw__key(w, key);
	lb__str(&w->lb, buf, 0);
	w->first = false;
}

static inline void jw__null(struct jsonw *w, const char *key)
{
	jw__str(w, key, NULL);
}

static inline void jw__bool(struct jsonw *w, const char *key, bool v)
{
	jw__key(w, key);
	lb__str(&w->lb, v ? "true" : "false", 0);
	w->first = false;
}

/* the finished object as one line */
static inline void jw__line(struct jsonw *w, FILE *out)
{
	lb__char(&w->lb, '\n');
	lb__write(&w->lb, out);
}

#endif /* __JSONW_H */
