// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "port_limits.h"

bool port_limits__parse_range(const char *text, __u16 *lo, __u16 *hi)
{
	unsigned int a, b;
	char end;

	if (sscanf(text, "%u %u %c", &a, &b, &end) != 2 || !a || a > b || b > 65535)
		return false;
	*lo = a;
	*hi = b;
	return true;
}

int port_limits__parse_reserved(struct port_limits *pl, const char *text)
{
	const char *p = text;
	struct port_span *more;
	unsigned int a, b;
	int n;

	pl->nreserved = 0;
	while (*p && *p != '\n') {
		if (sscanf(p, "%u%n", &a, &n) != 1 || a > 65535)
			return -EINVAL;
		p += n;
		b = a;
		if (*p == '-') {
			if (sscanf(p + 1, "%u%n", &b, &n) != 1 || b < a || b > 65535)
				return -EINVAL;
			p += 1 + n;
		}
		if (*p == ',')
			p++;
		else if (*p && *p != '\n')
			return -EINVAL;
		more = realloc(pl->reserved, (pl->nreserved + 1) * sizeof(*more));
		if (!more)
			return -ENOMEM;
		pl->reserved = more;
		pl->reserved[pl->nreserved++] = (struct port_span){ a, b };
	}
	return 0;
}

/* one line of a sysctl file, or a negative errno */
static int read_sysctl(const char *dir, const char *name, char *buf, size_t size)
{
	char path[256];
	FILE *f;
	int err = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (!fgets(buf, size, f))
		err = ferror(f) ? -EIO : -ENODATA;
	fclose(f);
	return err;
}

int port_limits__read(struct port_limits *pl, const char *dir, __u32 netns)
{
	char buf[4096];
	int err;

	memset(pl, 0, sizeof(*pl));
	pl->netns = netns;
	err = read_sysctl(dir, "ip_local_port_range", buf, sizeof(buf));
	if (err)
		return err;
	if (!port_limits__parse_range(buf, &pl->lo, &pl->hi))
		return -EINVAL;
	err = read_sysctl(dir, "tcp_tw_reuse", buf, sizeof(buf));
	if (err)
		return err;
	pl->tw_reuse = atoi(buf);
	/* 6.14 made the delay a sysctl; before, a port waited a second past its last timestamp */
	pl->tw_reuse_delay_ms = 1000;
	if (!read_sysctl(dir, "tcp_tw_reuse_delay", buf, sizeof(buf)))
		pl->tw_reuse_delay_ms = strtoul(buf, NULL, 10);
	/* a file of its own since 2.6.35; empty if none is reserved */
	err = read_sysctl(dir, "ip_local_reserved_ports", buf, sizeof(buf));
	if (err == -ENODATA || err == -ENOENT)
		return 0;
	return err ?: port_limits__parse_reserved(pl, buf);
}

void port_limits__free(struct port_limits *pl)
{
	free(pl->reserved);
	pl->reserved = NULL;
	pl->nreserved = 0;
}

/*
 * __inet_hash_connect() scans n = hi - lo + 1 rounded down to even ports, one parity then
 * the other, from an offset that changes with each connect(): of an odd range it misses one
 * port each time, a different one. So a destination may run out with one port of an odd
 * range free: measured with 40000-40040 on 6.18, the first EADDRNOTAVAIL came after 40 or
 * after 41 connections. What counts is the n it always scans.
 */
static unsigned int scanned(const struct port_limits *pl)
{
	unsigned int n = pl->hi - pl->lo + 1;

	return n > 1 ? n & ~1U : n;
}

static bool reserved(const struct port_limits *pl, __u16 port)
{
	for (int i = 0; i < pl->nreserved; i++)
		if (port >= pl->reserved[i].lo && port <= pl->reserved[i].hi)
			return true;
	return false;
}

/* every port of the range counts as held, the one an odd range may miss too */
bool port_limits__usable(const struct port_limits *pl, __u16 port)
{
	return port >= pl->lo && port <= pl->hi && !reserved(pl, port);
}

unsigned int port_limits__range(const struct port_limits *pl)
{
	unsigned int n = scanned(pl), last = pl->lo + n - 1, lo, hi, left = n;

	/* the kernel prints its bitmap of them as spans that do not overlap */
	for (int i = 0; i < pl->nreserved; i++) {
		lo = pl->reserved[i].lo > pl->lo ? pl->reserved[i].lo : pl->lo;
		hi = pl->reserved[i].hi < last ? pl->reserved[i].hi : last;
		if (lo <= hi)
			left -= hi - lo + 1;
	}
	return left;
}
