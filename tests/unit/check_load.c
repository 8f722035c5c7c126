// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* tcpclose check --load's workers: they spin, are named, and none is left once stopped. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "check_load.h"
#include "test.h"

/* /proc/PID/stat's comm and the CPU ticks it used (utime + stime) */
static bool proc__stat(pid_t pid, char *comm, size_t len, unsigned long *ticks)
{
	unsigned long utime, stime;
	char path[64], name[32];
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	n = fscanf(f, "%*d (%31[^)]) %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", name,
		   &utime, &stime);
	fclose(f);
	snprintf(comm, len, "%s", name);
	*ticks = utime + stime;
	return n == 3;
}

/*
 * How long the workers may wait for a CPU before each has used a tick: on an idle host 10 ms,
 * on one as loaded as the tests make it far less than this. Only a worker that never runs
 * reaches it.
 */
#define LOAD_RAN_MS 60000

void test_check_load(void)
{
	struct timespec pause = { .tv_nsec = 10 * 1000 * 1000 };
	unsigned long ticks0[2] = {}, ticks[2] = {};
	struct check_load l = {};
	bool grew = false, named = false;
	char comm[2][32] = {};
	pid_t pids[2];

	if (!ASSERT_OK(check_load__start(&l, 2), "start two workers"))
		return;
	ASSERT_EQ(l.n, 2, "two workers");
	pids[0] = l.pids[0];
	pids[1] = l.pids[1];
	for (int i = 0; i < 2; i++)
		ASSERT_TRUE(proc__stat(pids[i], comm[i], sizeof(comm[i]), &ticks0[i]),
			    "its /proc stat");
	/*
	 * They name themselves, then spin: each one's name set and CPU time grown, however long
	 * a loaded host makes them wait.
	 */
	for (int ms = 0; !(grew && named) && ms < LOAD_RAN_MS; ms += 10) {
		nanosleep(&pause, NULL);
		grew = named = true;
		for (int i = 0; i < 2; i++) {
			bool ok = proc__stat(pids[i], comm[i], sizeof(comm[i]), &ticks[i]);

			grew &= ok && ticks[i] > ticks0[i];
			named &= ok && !strcmp(comm[i], CHECK_LOAD_COMM);
		}
	}
	for (int i = 0; i < 2; i++)
		ASSERT_STREQ(comm[i], CHECK_LOAD_COMM, "named for ps and pgrep");
	ASSERT_TRUE(grew, "each used the CPU");
	check_load__stop(&l);
	ASSERT_EQ(l.n, 0, "none left");
	for (int i = 0; i < 2; i++)
		ASSERT_TRUE(kill(pids[i], 0) && errno == ESRCH, "killed and reaped: no zombie");
	check_load__stop(&l);
	ASSERT_EQ(l.n, 0, "stopping twice is harmless");
}
