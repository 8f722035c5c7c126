/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Walk the TCP sockets of the traced network namespaces with the tcpc_iter program: to find
 * the connections already closing at start-up, and to count sockets per close state.
 */
#ifndef __WALK_H
#define __WALK_H

#include <sys/types.h>
#include <linux/types.h>
#include "loader.h"

/* what a walk wrote (TCPC_ITER_STUCK: struct tcpc_stuck records), all namespaces together */
struct walk_out {
	char *buf;
	size_t len, cap;
	/* if set: called in each namespace once walked, while the thread is still in it */
	int (*in_netns)(void *ctx, ino_t netns);
	void *ctx;
};

/*
 * One walk of every namespace traced: netns_path's alone if given, else every namespace a
 * process or /run/netns holds. With TCPC_ITER_GAUGES, gauges[] receives the counts; out, if
 * given, what the program wrote. Returns 0 or a negative errno (the namespaces that could
 * be walked were).
 */
int walk__sockets(struct loader *l, const char *netns_path, enum tcpc_iter_mode mode,
		  __u64 gauges[TCPC_NR_STATES], struct walk_out *out);

/*
 * a TCPC_ITER_MARK walk: every followed socket that is still there gets walk_mark = mark in
 * its entry, or without entries its head (tw_join__mark())
 */
int walk__mark(struct loader *l, const char *netns_path, __u8 mark);

#endif /* __WALK_H */
