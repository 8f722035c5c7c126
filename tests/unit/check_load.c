// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* tcpclose check --load's workers: they spin, are named, and none is left once stopped. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
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

void test_check_load(void)
{
	struct timespec spin = { .tv_nsec = 300 * 1000 * 1000 };
	struct check_load l = {};
	unsigned long ticks[2] = {};
	pid_t pids[2];
	char comm[32];

	if (!ASSERT_OK(check_load__start(&l, 2), "start two workers"))
		return;
	ASSERT_EQ(l.n, 2, "two workers");
	pids[0] = l.pids[0];
	pids[1] = l.pids[1];
	nanosleep(&spin, NULL);
	for (int i = 0; i < 2; i++) {
		ASSERT_TRUE(proc__stat(pids[i], comm, sizeof(comm), &ticks[i]), "its /proc stat");
		ASSERT_STREQ(comm, CHECK_LOAD_COMM, "named for ps and pgrep");
	}
	/* 300 ms at USER_HZ 100 is 30 ticks each on an idle CPU; a busy host gives less */
	ASSERT_GT(ticks[0] + ticks[1], 5, "they used the CPU");
	check_load__stop(&l);
	ASSERT_EQ(l.n, 0, "none left");
	for (int i = 0; i < 2; i++)
		ASSERT_TRUE(kill(pids[i], 0) && errno == ESRCH, "killed and reaped: no zombie");
	check_load__stop(&l);
	ASSERT_EQ(l.n, 0, "stopping twice is harmless");
}
