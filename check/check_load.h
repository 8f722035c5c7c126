/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * check_load: tcpclose check --load, busy-loop processes that keep every CPU busy while the
 * scenarios run, so that a window too tight for a loaded host fails here rather than in CI.
 */
#ifndef __CHECK_LOAD_H
#define __CHECK_LOAD_H

#include <sys/types.h>

#define CHECK_LOAD_COMM "tcpclose-load"

struct check_load {
	int n;
	pid_t *pids;
};

/*
 * Fork n workers, each spinning at the caller's priority until killed, and dying with the
 * caller. Returns 0, or -errno with none left running.
 */
int check_load__start(struct check_load *l, int n);

/* kill and reap every worker; safe on a load never started */
void check_load__stop(struct check_load *l);

#endif /* __CHECK_LOAD_H */
