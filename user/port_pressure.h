/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * port_pressure: local ports held per destination, against what connect() may pick from.
 *
 * connect() on a socket with no local port picks one from its namespace's
 * ip_local_port_range, and may take one that other sockets hold as long as the four-tuple
 * stays unique: ports run out per (source address, destination address, destination port),
 * in each network namespace. For each such tuple, a walk's sockets give the ports held
 * (every state that holds one, TIME_WAIT included), of them the TIME_WAITs tcp_tw_reuse
 * would let connect() take now, and so the share of the range no connect() to it can have:
 * (held - reusable) / range. Kept from walk to walk for the worst PP_MAX_TRACKED tuples,
 * which gives the rate it grows at and the time left at that rate.
 *
 * Use: port_pressure__update() with each walk's sockets and the limits of each namespace
 * walked, then port_pressure__top() (the worst tuples now: --metrics, tcpclose top) and
 * port_pressure__due() (the warnings to print now).
 */
#ifndef __PORT_PRESSURE_H
#define __PORT_PRESSURE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "port_limits.h"
#include "tcpclose.h"

#define PP_MAX_TRACKED 4096	/* tuples kept from walk to walk: the worst ones */
#define PP_SAMPLES 16		/* the last walks of a tuple, for its rate */
#define PP_RATE_WINDOW_NS (10 * 1000000000ULL)	/* the rate is over the last 10 s */
#define PP_REPEAT_NS (10 * 1000000000ULL)	/* a tuple still over the threshold: warned
						 * again every 10 s */

struct pp_key {
	__u32 netns;
	__u16 dport;
	__u8 family;
	__u8 pad;
	__u8 saddr[16];
	__u8 daddr[16];
};

struct pp_sample {
	__u64 ns;
	__u32 pressing;
};

struct pp_tuple {
	struct pp_key key;
	__u32 held;		/* local ports held towards it, of those connect() picks from */
	__u32 reusable;		/* of them, TIME_WAITs connect() may take now (tcp_tw_reuse) */
	__u32 range;		/* the ports connect() picks from: ip_local_port_range less
				 * ip_local_reserved_ports */
	__u16 port_lo, port_hi;	/* ip_local_port_range */
	__u8 tw_reuse;		/* tcp_tw_reuse */
	double ratio;		/* (held - reusable) / range */
	bool rate_known;	/* two walks at least a second apart saw it */
	double rate;		/* ports per second it grew by, over the last PP_RATE_WINDOW_NS */
	double secs_left;	/* until none is left at that rate; < 0: not growing */
	__u64 ts_ns;		/* the walk that counted it ended (CLOCK_MONOTONIC) */
	__u64 walk_ns;		/* and took this long */
	/* kept from walk to walk */
	struct pp_sample samples[PP_SAMPLES];
	unsigned int nsamples;
	__u64 warned_ns;	/* the last warning, 0 if below the threshold since */
};

struct port_pressure;

/* threshold: the ratio from which to warn, in (0, 1] */
struct port_pressure *port_pressure__new(double threshold);
void port_pressure__free(struct port_pressure *pp);
double port_pressure__threshold(const struct port_pressure *pp);

/*
 * One walk's sockets (struct tcpc_port from TCPC_ITER_PORTS, all namespaces together) and
 * the limits of every namespace it walked; a socket of a namespace without limits is not
 * counted. The walk began at start_ns and ended at end_ns. 0 or -ENOMEM (then the last
 * walk's tuples stay).
 */
int port_pressure__update(struct port_pressure *pp, const struct tcpc_port *socks, size_t n,
			  const struct port_limits *limits, int nlimits, __u64 start_ns,
			  __u64 end_ns);

/* the n worst tuples of the last walk, worst first (until the next update): how many */
int port_pressure__top(const struct port_pressure *pp, const struct pp_tuple **out, int n);

/*
 * The tuples at or over the threshold that are due a warning: those that reached it in
 * the last walk, and every PP_REPEAT_NS those that stay. Worst first, until the next
 * update; how many. Those beyond n are due at the next call.
 */
int port_pressure__due(struct port_pressure *pp, const struct pp_tuple **out, int n);

#endif /* __PORT_PRESSURE_H */
