// SPDX-License-Identifier: GPL-2.0
/*
 * The walks that --stuck and -i make every interval stay steady: no file descriptor is
 * left behind by walking every namespace (each walk leaked one, two a second here), and a
 * tracer that dropped root (--user nobody) still walks its own namespace, which it never
 * has to leave (each walk failed with EPERM from a setns() back home).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "clock.h"
#include "test.h"
#include "tracer.h"

/* a walk opens a few fds for a moment: the fewest seen over a while is what it keeps */
#define FD_SAMPLES 20
#define FD_SAMPLE_MS 50
/* --stuck 1 -i 1: two walks a second; this many seconds make the leak plain */
#define WALK_SECONDS 4

static int fds_of(pid_t pid)
{
	char path[64];
	struct dirent *de;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

static int fewest_fds(pid_t pid)
{
	int fewest = -1, n;

	for (int i = 0; i < FD_SAMPLES; i++) {
		n = fds_of(pid);
		if (n >= 0 && (fewest < 0 || n < fewest))
			fewest = n;
		clock__sleep_ms(FD_SAMPLE_MS);
	}
	return fewest;
}

void test_walk_steady_fds(void)
{
	const char *const args[] = { "-q", "--stuck", "1", "-i", "1", NULL };
	struct tracer t = {};
	int before, after;

	if (!ASSERT_OK(tracer__spawn(&t, &(struct tracer_spawn){ .netns_path = TRACER_ALL_NETNS,
								  .out_fd = -1 }, args),
		       "start tracer over every namespace, --stuck 1 -i 1"))
		goto out;
	before = fewest_fds(t.pid);
	clock__sleep_ms(WALK_SECONDS * 1000);
	after = fewest_fds(t.pid);
	test__log("fds: %d, then %d after %d s of walks", before, after, WALK_SECONDS);
	ASSERT_GT(before, 0, "its fds can be counted");
	ASSERT_LE(after, before, "no fd left behind by the walks");
	ASSERT_OK(tracer__stop(&t), "tracer exits 0");
out:
	tracer__free(&t);
}

void test_walk_steady_unprivileged(void)
{
	const char *const args[] = { "--user", "nobody", "--stuck", "1", "-i", "1", NULL };
	struct tracer t = {};
	int gauges = 0;
	char *err;

	if (!ASSERT_OK(tracer__start(&t, NULL, args), "start tracer --user nobody, own netns"))
		goto out;
	clock__sleep_ms(WALK_SECONDS * 1000);
	if (!ASSERT_OK(tracer__stop(&t), "tracer exits 0"))
		goto out;
	for (int i = 0; i < t.nrecs; i++)
		gauges += json__str(t.recs[i], "type") && !strcmp(json__str(t.recs[i], "type"),
								   "gauges");
	err = tracer__stderr(&t);
	ASSERT_TRUE(err && !strstr(err, "Operation not permitted"), "no walk failed for privileges");
	free(err);
	ASSERT_GE(gauges, 1, "gauges counted as nobody");
out:
	if (test__failed())
		tracer__dump_stderr(&t);
	tracer__free(&t);
}
