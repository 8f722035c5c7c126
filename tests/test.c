// SPDX-License-Identifier: GPL-2.0
/*
 * test: what a test calls (tests/test.h): assertions, skips and subtests, recorded in the
 * state its process shares with the runner (tests/test_state.h). tests/runner.c runs them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "clock.h"
#include "test.h"
#include "test_state.h"

bool test__verbose;
char **test__filters;
int test__nfilters;

/* in a test's process: its name, its shared state, the subtest running (NULL: none) */
static bool test__has_failed;
static const char *test__name;
static struct test_state *test__state;
static struct subtest_state *test__sub;
static int test__nsub_seen;
static double test__sub_start;

static void test__mark_failed(void)
{
	test__has_failed = true;
	if (test__sub)
		test__sub->failed = true;
	else if (test__state)
		test__state->failed_outside = true;
}

bool test__check(bool ok, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	if (ok)
		return true;
	test__mark_failed();
	printf("%s:%d ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	return false;
}

void test__fail(void)
{
	test__mark_failed();
}

/* within a subtest, whether it has failed; outside, whether the test has */
bool test__failed(void)
{
	return test__sub ? test__sub->failed : test__has_failed;
}

/* a reason given to the runner: one line of at most SKIP_LEN - 1 bytes, printed after label */
static void test__reason(char *buf, const char *label, const char *fmt, va_list ap)
{
	vsnprintf(buf, SKIP_LEN, fmt, ap);
	buf[strcspn(buf, "\n")] = '\0';
	printf("%s: %s\n", label, buf);
}

void test__skip(const char *fmt, ...)
{
	char *why = test__sub ? test__sub->why : test__state ? test__state->why : NULL;
	char buf[SKIP_LEN];
	va_list ap;

	va_start(ap, fmt);
	test__reason(buf, "SKIP", fmt, ap);
	va_end(ap);
	if (!why)
		return;
	memcpy(why, buf, sizeof(buf));
	if (test__sub)
		test__sub->skipped = true;
	else
		test__state->skipped = true;
}

void test__off_script(const char *fmt, ...)
{
	char buf[SKIP_LEN];
	va_list ap;

	va_start(ap, fmt);
	test__reason(buf, "off script", fmt, ap);
	va_end(ap);
	if (test__state && !test__state->off_script[0])
		memcpy(test__state->off_script, buf, sizeof(buf));
}

/* where the test's output has got to: its stdout is the job's memfd */
static off_t test__log_offset(void)
{
	off_t off;

	fflush(NULL);
	off = lseek(STDOUT_FILENO, 0, SEEK_CUR);
	return off < 0 ? 0 : off;
}

void test__end_subtest(void)
{
	if (!test__sub)
		return;
	test__sub->log_end = test__log_offset();
	test__sub->secs = clock__now_s() - test__sub_start;
	test__sub->ended = true;
	test__sub = NULL;
}

const char *test__filter(int i, char *part, size_t size)
{
	const char *f = test__filters[i], *slash = strchr(f, '/');

	snprintf(part, size, "%.*s", slash ? (int)(slash - f) : (int)strlen(f), f);
	return slash ? slash + 1 : NULL;
}

/* whether -t selects subtest sub of test: "-t TEST" all of them, "-t TEST/SUB" some */
static bool test__sub_selected(const char *test, const char *sub)
{
	const char *want;
	char part[128];
	int i;

	if (!test__nfilters)
		return true;
	for (i = 0; i < test__nfilters; i++) {
		want = test__filter(i, part, sizeof(part));
		if (strstr(test, part) && (!want || strstr(sub, want)))
			return true;
	}
	return false;
}

bool test__start_subtest(const char *name)
{
	struct subtest_state *s;

	test__end_subtest();
	test__nsub_seen++;
	if (!test__state)
		return false;
	test__state->has_subtests = true;
	if (!test__sub_selected(test__name, name))
		return false;
	if (test__state->nsub == MAX_SUBTESTS) {
		printf("runner: %s has more than %d subtests\n", test__name, MAX_SUBTESTS);
		test__fail();
		return false;
	}
	s = &test__state->sub[test__state->nsub];
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->num = test__nsub_seen;
	s->log_start = test__log_offset();
	test__sub_start = clock__now_s();
	test__sub = s;
	test__state->nsub++;
	return true;
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

void test__begin(const char *name, struct test_state *state)
{
	test__name = name;
	test__state = state;
}

bool test__has_failed_any(void)
{
	return test__has_failed;
}

pid_t test__fork_child(void)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0)
		prctl(PR_SET_PDEATHSIG, SIGKILL);
	return pid;
}
