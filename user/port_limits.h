/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * port_limits: what bounds the local ports connect() may pick in one network namespace,
 * read from its sysctls: ip_local_port_range less ip_local_reserved_ports, and whether
 * tcp_tw_reuse lets connect() take a port from a TIME_WAIT of the same destination.
 */
#ifndef __PORT_LIMITS_H
#define __PORT_LIMITS_H

#include <stdbool.h>
#include <linux/types.h>

struct port_span {
	__u16 lo, hi;		/* inclusive */
};

struct port_limits {
	__u32 netns;			/* the namespace's inode number */
	__u16 lo, hi;			/* ip_local_port_range, inclusive */
	__u8 tw_reuse;			/* tcp_tw_reuse: 0 off, 1 on, 2 loopback only */
	__u32 tw_reuse_delay_ms;	/* tcp_tw_reuse_delay; 1000 where there is none */
	struct port_span *reserved;	/* ip_local_reserved_ports, malloc'd */
	int nreserved;
};

/*
 * The sysctls of the namespace the calling thread is in: /proc/sys/net resolves against
 * it when opened. dir is /proc/sys/net/ipv4 but in tests. 0 or a negative errno.
 */
int port_limits__read(struct port_limits *pl, const char *dir, __u32 netns);
void port_limits__free(struct port_limits *pl);

/* "32768\t60999": false if it is not a range */
bool port_limits__parse_range(const char *text, __u16 *lo, __u16 *hi);
/* "8080,9000-9010\n" (or empty) into pl->reserved: 0 or a negative errno */
int port_limits__parse_reserved(struct port_limits *pl, const char *text);

/* a port connect() may pick in this namespace */
bool port_limits__usable(const struct port_limits *pl, __u16 port);
/* how many connect() always tries: an odd range's last but one (see port_limits.c) */
unsigned int port_limits__range(const struct port_limits *pl);

#endif /* __PORT_LIMITS_H */
