/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A line built in a buffer with hand-rolled number formatting, then written at once. The
 * text sink prints one line per connection at tens of thousands a second; printf's parsing
 * and float conversion made it cost ~3 us a line, this a fraction of that.
 */
#ifndef __LINEBUF_H
#define __LINEBUF_H

#include <stdio.h>
#include <string.h>
#include <linux/types.h>

struct linebuf {
	char buf[2048];		/* a JSON record, IPv6 and odd comm included, is under 1200 */
	unsigned int len;
};

/*
 * An empty line. Not "= {}": only what is written of the buffer is read, and clearing its
 * 2 KiB for every record took a fifth of a text line's time.
 */
static inline void lb__start(struct linebuf *lb)
{
	lb->len = 0;
}

static inline void lb__pad(struct linebuf *lb, unsigned int n)
{
	if (n > sizeof(lb->buf) - 1 - lb->len)
		n = sizeof(lb->buf) - 1 - lb->len;
	memset(lb->buf + lb->len, ' ', n);
	lb->len += n;
}

/* the n bytes at s, left-aligned in width (no padding if width is 0) */
static inline void lb__mem(struct linebuf *lb, const char *s, unsigned int n, unsigned int width)
{
	if (n > sizeof(lb->buf) - 1 - lb->len)
		n = sizeof(lb->buf) - 1 - lb->len;
	memcpy(lb->buf + lb->len, s, n);
	lb->len += n;
	if (n < width)
		lb__pad(lb, width - n);
}

/* s, left-aligned in width (no padding if width is 0) */
static inline void lb__str(struct linebuf *lb, const char *s, unsigned int width)
{
	lb__mem(lb, s, strlen(s), width);
}

/* v's digits, right to left, into the end of tmp: returns where they start */
static inline char *lb__digits(char *end, __u64 v)
{
	do {
		*--end = '0' + v % 10;
		v /= 10;
	} while (v);
	return end;
}

/* v in decimal, left-aligned in width */
static inline void lb__uint(struct linebuf *lb, __u64 v, unsigned int width)
{
	char tmp[24], *p = lb__digits(tmp + sizeof(tmp), v);

	lb__mem(lb, p, tmp + sizeof(tmp) - p, width);
}

/* v / 10^decimals with that many decimals, right-aligned in width */
static inline void lb__fixed(struct linebuf *lb, __u64 v, unsigned int decimals,
			     unsigned int width)
{
	char tmp[32], *p = tmp + sizeof(tmp);
	unsigned int n;

	for (unsigned int i = 0; i < decimals; i++) {
		*--p = '0' + v % 10;
		v /= 10;
	}
	if (decimals)
		*--p = '.';
	p = lb__digits(p, v);
	n = tmp + sizeof(tmp) - p;
	if (n < width)
		lb__pad(lb, width - n);
	lb__mem(lb, p, n, 0);
}

static inline void lb__char(struct linebuf *lb, char c)
{
	if (lb->len < sizeof(lb->buf) - 1)
		lb->buf[lb->len++] = c;
}

static inline void lb__write(struct linebuf *lb, FILE *out)
{
	fwrite_unlocked(lb->buf, 1, lb->len, out);
	lb->len = 0;
}

#endif /* __LINEBUF_H */
