// SPDX-License-Identifier: GPL-2.0
/*
 * runner: run the tests listed in the generated TESTS_H, each in its own process (and, for
 * integration tests, its own network namespace), up to -j at a time, and report them.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "netns_named.h"
#include "test.h"

#ifndef TESTS_H
#error "build with -DTESTS_H='\"unit_tests.h\"' or the integration one"
#endif
#ifndef TEST_NETNS
#define TEST_NETNS 0
#endif
#ifndef TEST_JOBS
#define TEST_JOBS 4
#endif

#define DEFINE_TEST(name) void test_##name(void);
#define DEFINE_SERIAL_TEST(name) void serial_test_##name(void);
#include TESTS_H
#undef DEFINE_TEST
#undef DEFINE_SERIAL_TEST

struct test_def {
	const char *name;
	void (*fn)(void);
	bool serial;		/* runs alone: it counts everything a tracer sees, say */
};

#define DEFINE_TEST(name) { #name, test_##name, false },
#define DEFINE_SERIAL_TEST(name) { #name, serial_test_##name, true },
static const struct test_def tests[] = {
#include TESTS_H
};
#undef DEFINE_TEST
#undef DEFINE_SERIAL_TEST

#define NR_TESTS (sizeof(tests) / sizeof(tests[0]))

struct job {
	int idx;		/* into tests[] */
	pid_t pid;		/* also its process group: leftovers are killed with it */
	int out;		/* memfd holding the test's stdout and stderr */
	double start;
};

bool test__verbose;
static bool test__has_failed;

bool test__check(bool ok, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	if (ok)
		return true;
	test__has_failed = true;
	printf("%s:%d ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	return false;
}

void test__fail(void)
{
	test__has_failed = true;
}

bool test__failed(void)
{
	return test__has_failed;
}

const char *test__strerror(long long err)
{
	if (err == -1)
		return strerror(errno);
	return strerror(err < 0 ? (int)-err : (int)err);
}

/* the command's exit status, 128 + signal if it was killed, or -1 */
int test__system(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	fflush(NULL);
	st = system(cmd);
	if (st == -1)
		return -1;
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}

int test__parse(test_parse_fn parse, void *opts, const char **argv, char *out, size_t outlen,
		char *err, size_t errlen)
{
	FILE *o, *e;
	int argc = 0, res;

	memset(out, 0, outlen);
	memset(err, 0, errlen);
	o = fmemopen(out, outlen - 1, "w");
	e = fmemopen(err, errlen - 1, "w");
	while (argv[argc])
		argc++;
	res = parse(opts, argc, (char **)argv, o, e);
	fclose(o);
	fclose(e);
	return res;
}

static double runner__now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void runner__child(const struct test_def *t, int out)
{
	int err;

	setpgid(0, 0);
	dup2(out, STDOUT_FILENO);
	dup2(out, STDERR_FILENO);
	close(out);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (TEST_NETNS) {
		err = netns__unshare();
		if (err) {
			printf("runner: private network namespace with lo up: %s\n",
			       strerror(-err));
			exit(1);
		}
	}
	t->fn();
	fflush(NULL);
	exit(test__failed() ? 1 : 0);
}

static int runner__start(struct job *j, int idx)
{
	j->idx = idx;
	j->out = memfd_create(tests[idx].name, MFD_CLOEXEC);
	if (j->out < 0)
		return -errno;
	j->start = runner__now();
	fflush(NULL);
	j->pid = fork();
	if (j->pid < 0) {
		close(j->out);
		return -errno;
	}
	if (j->pid == 0)
		runner__child(&tests[idx], j->out);
	setpgid(j->pid, j->pid);
	return 0;
}

static void runner__dump(int fd)
{
	char buf[4096];
	ssize_t n;
	off_t off = 0;

	fflush(stdout);
	while ((n = pread(fd, buf, sizeof(buf), off)) > 0) {
		fwrite(buf, 1, n, stdout);
		off += n;
	}
}

/*
 * Reap one finished test, if any. Its leftovers (a tracer, a scenario process) are killed
 * first, while the zombie still holds its process group id, so no other group is hit.
 */
static pid_t runner__reap(int *status)
{
	siginfo_t info = { 0 };

	if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) || !info.si_pid)
		return 0;
	kill(-info.si_pid, SIGKILL);
	return waitpid(info.si_pid, status, 0);
}

/* namespaces a killed or crashed test left in /run/netns: netns__create() names them *-PID-N */
static void runner__sweep(pid_t pid)
{
	char pattern[64], path[PATH_MAX];
	struct dirent *de;
	DIR *dir;

	dir = opendir("/run/netns");
	if (!dir)
		return;
	snprintf(pattern, sizeof(pattern), "-%d-", pid);
	while ((de = readdir(dir))) {
		if (!strstr(de->d_name, pattern))
			continue;
		snprintf(path, sizeof(path), "/run/netns/%s", de->d_name);
		umount2(path, MNT_DETACH);
		unlink(path);
	}
	closedir(dir);
}

/* report a finished (or timed out) job; returns whether it passed */
static bool runner__report(struct job *j, int status, bool timed_out)
{
	bool ok = !timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0;
	char why[64] = "";

	if (timed_out)
		snprintf(why, sizeof(why), " (timed out)");
	else if (WIFSIGNALED(status))
		snprintf(why, sizeof(why), " (killed by signal %d)", WTERMSIG(status));
	runner__sweep(j->pid);
	printf("#%d %s: %s%s %.1fs\n", j->idx + 1, tests[j->idx].name, ok ? "OK" : "FAIL", why,
	       runner__now() - j->start);
	if (!ok || test__verbose)
		runner__dump(j->out);
	fflush(stdout);
	close(j->out);
	j->pid = 0;
	return ok;
}

static bool runner__selected(int idx, char **filters, int nfilters)
{
	int i;

	if (!nfilters)
		return true;
	for (i = 0; i < nfilters; i++) {
		if (strstr(tests[idx].name, filters[i]))
			return true;
	}
	return false;
}

static const char usage[] =
	"usage: %s [-j N] [-t NAME]... [-T SECONDS] [-v] [-l]\n"
	"  -j N        run up to N tests at once (default %d)\n"
	"  -t NAME     run the tests whose name contains NAME (may be repeated)\n"
	"  -T SECONDS  fail a test that runs longer (default 300)\n"
	"  -v          show every test's output, not only failing ones'\n"
	"  -l          list the tests\n";

int main(int argc, char **argv)
{
	int jobs = TEST_JOBS, timeout = 300, nfilters = 0, passed = 0, failed = 0;
	int order[NR_TESTS], nsel = 0, next = 0, running = 0, status, c, i;
	char **filters = calloc(argc, sizeof(char *));
	struct job *pool;
	bool list = false;
	pid_t pid;

	while ((c = getopt(argc, argv, "j:t:T:vlh")) != -1) {
		switch (c) {
		case 'j':
			jobs = atoi(optarg);
			break;
		case 't':
			filters[nfilters++] = optarg;
			break;
		case 'T':
			timeout = atoi(optarg);
			break;
		case 'v':
			test__verbose = true;
			break;
		case 'l':
			list = true;
			break;
		default:
			fprintf(stderr, usage, argv[0], TEST_JOBS);
			return 2;
		}
	}
	if (jobs < 1 || timeout < 1 || optind != argc) {
		fprintf(stderr, usage, argv[0], TEST_JOBS);
		return 2;
	}
	for (c = 0; c < 2; c++) {
		for (i = 0; i < (int)NR_TESTS; i++) {
			if (tests[i].serial == c && runner__selected(i, filters, nfilters))
				order[nsel++] = i;
		}
	}
	if (list) {
		for (i = 0; i < nsel; i++)
			printf("#%d %s\n", order[i] + 1, tests[order[i]].name);
		return 0;
	}
	pool = calloc(jobs, sizeof(*pool));
	if (!pool)
		return 1;
	if (!nsel)
		printf("no test matches the -t filters\n");
	while (next < nsel || running) {
		for (i = 0; i < jobs && next < nsel; i++) {
			if (pool[i].pid)
				continue;
			/* a serial test starts when nothing runs, and nothing starts beside it */
			if (tests[order[next]].serial && running)
				break;
			if (runner__start(&pool[i], order[next])) {
				printf("#%d %s: FAIL (cannot start: %s)\n", order[next] + 1,
				       tests[order[next]].name, strerror(errno));
				failed++;
			} else {
				running++;
			}
			next++;
			if (tests[order[next - 1]].serial)
				break;
		}
		pid = runner__reap(&status);
		for (i = 0; i < jobs; i++) {
			bool late = pool[i].pid && runner__now() - pool[i].start > timeout;

			if (!pool[i].pid || (pool[i].pid != pid && !late))
				continue;
			if (late && pool[i].pid != pid) {
				kill(-pool[i].pid, SIGKILL);
				waitpid(pool[i].pid, &status, 0);
			}
			if (runner__report(&pool[i], status, late && pool[i].pid != pid))
				passed++;
			else
				failed++;
			running--;
		}
		if (pid <= 0)
			nanosleep(&(struct timespec){ .tv_nsec = 10000000 }, NULL);
	}
	printf("%d passed, %d failed\n", passed, failed);
	free(pool);
	free(filters);
	return failed || !nsel ? 1 : 0;
}
