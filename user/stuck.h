/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --stuck: connections left in CLOSE_WAIT (an application forgot to close), FIN_WAIT2 (a
 * peer never closes) or LAST_ACK past a threshold, reported while they are stuck, with the
 * processes that hold their sockets open.
 */
#ifndef __STUCK_H
#define __STUCK_H

#include <sys/types.h>
#include <linux/types.h>
#include "args.h"
#include "loader.h"
#include "sink.h"

#define STUCK_MAX_HOLDERS 8

struct holder {
	pid_t pid;
	char comm[16];
};

/* the processes holding each socket, by inode */
struct holders {
	__u64 ino;
	int n;
	struct holder h[STUCK_MAX_HOLDERS];
};

/* one walk: hand every stuck connection to the sink */
int stuck__report(struct loader *l, const struct tcpc_opts *opts, struct sink *s);

/* fill hs[i].h for each hs[i].ino, from the file descriptors under proc_root (/proc) */
void holders__find(struct holders *hs, int n, const char *proc_root);

#endif /* __STUCK_H */
