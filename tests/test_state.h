/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test_state: what a test's process tells the runner, in memory shared with it, and the
 * runner's side of the test API (tests/test.c).
 */
#ifndef TCPCLOSE_TEST_STATE_H
#define TCPCLOSE_TEST_STATE_H

#include <stdbool.h>
#include <sys/types.h>

#define MAX_SUBTESTS 32
#define SKIP_LEN 256

struct subtest_state {
	char name[64];
	char why[SKIP_LEN];	/* what test__skip() said */
	int num;		/* from 1, counting those filtered out too */
	bool failed, skipped;
	bool ended;		/* false: the process died in it */
	double secs;
	off_t log_start, log_end;	/* its part of the test's output */
};

/* what a test's process tells the runner, in memory shared with it */
struct test_state {
	char why[SKIP_LEN];
	bool skipped;		/* test__skip() outside any subtest */
	bool failed_outside;	/* an assertion failed outside any subtest */
	char off_script[SKIP_LEN];	/* test__off_script(): what the kernel did instead */
	bool has_subtests;	/* even if -t filtered them all out */
	int nsub;		/* subtests run: those filtered out are not here */
	struct subtest_state sub[MAX_SUBTESTS];
};

/* -t filters, "TEST" or "TEST/SUB" */
extern char **test__filters;
extern int test__nfilters;

/* filter i: TEST into part; SUB returned, or NULL */
const char *test__filter(int i, char *part, size_t size);

/* in the test's process: before its function, and after it (whether anything failed) */
void test__begin(const char *name, struct test_state *state);
void test__end_subtest(void);
bool test__has_failed_any(void);

#endif
