// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * check_load: busy-loop children for tcpclose check --load. Plain processes rather than an
 * external tool (stress-ng), so that it runs as it is in the busybox guests of make vmtest.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check_load.h"

static void __attribute__((noreturn)) check_load__spin(pid_t parent)
{
	volatile unsigned long spins = 0;

	/* the parent's handlers would only set its flag in our copy: a signal ends us */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	/* a parent killed outright takes us with it; it may be gone already */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	prctl(PR_SET_NAME, CHECK_LOAD_COMM);
	for (;;)
		spins++;
}

int check_load__start(struct check_load *l, int n)
{
	pid_t parent = getpid(), pid;
	int err;

	l->n = 0;
	l->pids = calloc(n, sizeof(*l->pids));
	if (!l->pids)
		return -ENOMEM;
	fflush(NULL);
	while (l->n < n) {
		pid = fork();
		if (pid < 0) {
			err = -errno;
			check_load__stop(l);
			return err;
		}
		if (!pid)
			check_load__spin(parent);
		l->pids[l->n++] = pid;
	}
	return 0;
}

void check_load__stop(struct check_load *l)
{
	for (int i = 0; i < l->n; i++)
		kill(l->pids[i], SIGKILL);
	for (int i = 0; i < l->n; i++)
		while (waitpid(l->pids[i], NULL, 0) < 0 && errno == EINTR)
			;
	free(l->pids);
	l->pids = NULL;
	l->n = 0;
}
