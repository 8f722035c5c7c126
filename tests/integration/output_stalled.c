// SPDX-License-Identifier: GPL-2.0
/*
 * A reader that stops reading (a log shipper stalled, a pipe nobody drains) must not make
 * tcpclose unkillable: SIGTERM, SIGINT or SIGHUP ends it with its summary, and every record
 * is either on the pipe, whole, or counted as not written. The records to expect are the
 * connections the churn scenario made, two ends each; with tcp_max_tw_buckets=0 no end
 * waits in TIME_WAIT, so each has its record at once and the pipe fills during the run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "scenario.h"
#include "test.h"
#include "tracer.h"

/* far more than a pipe (64 KiB) and stdio's buffer hold: a JSON record is ~500 bytes */
#define CONNECTIONS 1000

static int set_tw_buckets(int n)
{
	FILE *f = fopen("/proc/sys/net/ipv4/tcp_max_tw_buckets", "w");
	int err;

	if (!f)
		return -errno;
	fprintf(f, "%d\n", n);
	err = fclose(f) ? -errno : 0;
	return err;
}

/* whole lines on the pipe, once the writer is gone */
static long long whole_lines(int fd)
{
	char buf[65536];
	long long lines = 0;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < n; i++)
			lines += buf[i] == '\n';
	return lines;
}

static void stalled_by(int sig)
{
	unsigned long long records = 0, unwritten = 0, other = 0;
	struct scenario_opts opts;
	struct scenario_result res;
	struct tracer t = {};
	char *err = NULL, *p;
	long long lines;
	int pipefd[2];

	if (!ASSERT_OK(pipe2(pipefd, O_CLOEXEC), "a pipe for its stdout"))
		return;
	if (!ASSERT_OK(set_tw_buckets(0), "tcp_max_tw_buckets=0 in the test's namespace") ||
	    !ASSERT_OK(tracer__spawn(&t, &(struct tracer_spawn){ .out_fd = pipefd[1] }, NULL),
		       "start tracer, stdout a pipe nobody reads"))
		goto out;
	close(pipefd[1]);
	pipefd[1] = -1;
	scenario__default_opts(&opts);
	opts.count = CONNECTIONS;
	if (!ASSERT_OK(scenario__run("churn", &opts, &res), "churn"))
		goto out;
	/* it is blocked writing now; the signal must end it, with its summary */
	if (!ASSERT_OK(tracer__stop_with(&t, sig), "it exits 0 on the signal, output stalled"))
		goto out;
	lines = whole_lines(pipefd[0]);
	err = tracer__stderr(&t);
	p = err ? strstr(err, "tcpclose: ") : NULL;
	while (p && sscanf(p, "tcpclose: %llu records (", &records) != 1)
		p = strstr(p + 1, "tcpclose: ");
	p = err ? strstr(err, "not written (output closed or stalled): ") : NULL;
	if (p)
		sscanf(p, "not written (output closed or stalled): %llu records, %llu other lines",
		       &unwritten, &other);
	test__log("records %llu: %lld on the pipe, %llu not written", records, lines, unwritten);
	ASSERT_EQ(records, 2ULL * res.connections, "records: two ends a connection");
	ASSERT_GT(unwritten, 0, "the reader stalled: some records were not written");
	ASSERT_EQ(lines + unwritten, records, "each record on the pipe whole, or counted");
	ASSERT_EQ(other, 0, "no other lines (no --transitions, -i or --stuck)");
out:
	if (test__failed() && t.err > 0)
		tracer__dump_stderr(&t);
	free(err);
	close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	tracer__free(&t);
}

void test_output_stalled(void)
{
	if (test__start_subtest("sigterm"))
		stalled_by(SIGTERM);
	if (test__start_subtest("sigint"))
		stalled_by(SIGINT);
	if (test__start_subtest("sighup"))
		stalled_by(SIGHUP);
}
