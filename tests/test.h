/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test: assertions for tests in the style of the kernel's BPF selftests (test_progs).
 * A test is a function "void test_NAME(void)" in tests/unit/ or tests/integration/; the
 * runner finds it, runs it in its own process and reports it. Every ASSERT_* returns
 * whether it held, and when it did not, prints "file:line what: got X want Y" and marks
 * the test (and the subtest running) failed.
 *
 * As in test_progs, a test that loops over cases runs each as a subtest:
 *
 *	if (test__start_subtest("ipv6"))
 *		close_active__run(6);
 *
 * reported on its own ("#6/2 close_active/ipv6: OK") and picked with -t close_active/ipv6;
 * it ends when the next one starts, or the test returns. A (sub)test that cannot run on this
 * machine calls test__skip() with why, in one line, and is counted as skipped, not passed.
 */
#ifndef TCPCLOSE_TEST_H
#define TCPCLOSE_TEST_H

#include <stdbool.h>
#include <sys/types.h>
#include <stdio.h>
#include <string.h>

extern bool test__verbose;

bool test__check(bool ok, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void test__fail(void);
bool test__failed(void);
bool test__start_subtest(const char *name);
void test__skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * The kernel did not follow the test's script (a segment order loopback cannot promise, seen
 * in the kernel's own counters): the test still fails if an assertion does, and the runner
 * runs it once more, saying why; a second failure counts.
 */
void test__off_script(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int test__system(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* fork(): in the child (0) it dies with the test (PR_SET_PDEATHSIG); in the test, its pid */
pid_t test__fork_child(void);
const char *test__strerror(long long err);

/*
 * Call a command-line parser on a NULL-terminated argv, with what it would print to stdout
 * and stderr captured in out and err (each NUL-terminated); returns what it returned.
 */
typedef int (*test_parse_fn)(void *opts, int argc, char **argv, FILE *out, FILE *err);
int test__parse(test_parse_fn parse, void *opts, const char **argv, char *out, size_t outlen,
		char *err, size_t errlen);

/* a message shown with the test's result in verbose mode, and always when it fails */
#define test__log(fmt, ...) printf(fmt "\n", ##__VA_ARGS__)

#define ASSERT_TRUE(cond, what) ({						\
	bool ___ok = (cond);							\
	test__check(___ok, __FILE__, __LINE__, "%s: got false want true", (what));	\
})

#define ASSERT_FALSE(cond, what) ({						\
	bool ___ok = !(cond);							\
	test__check(___ok, __FILE__, __LINE__, "%s: got true want false", (what));	\
})

#define __ASSERT_CMP(got, want, op, opstr, what) ({				\
	long long ___g = (long long)(got), ___w = (long long)(want);		\
	test__check(___g op ___w, __FILE__, __LINE__, "%s: got %lld want %s%lld",	\
		    (what), ___g, opstr, ___w);					\
})

#define ASSERT_EQ(got, want, what) __ASSERT_CMP(got, want, ==, "", what)
#define ASSERT_NEQ(got, want, what) __ASSERT_CMP(got, want, !=, "!= ", what)
#define ASSERT_GE(got, want, what) __ASSERT_CMP(got, want, >=, ">= ", what)
#define ASSERT_LE(got, want, what) __ASSERT_CMP(got, want, <=, "<= ", what)
#define ASSERT_GT(got, want, what) __ASSERT_CMP(got, want, >, "> ", what)
#define ASSERT_LT(got, want, what) __ASSERT_CMP(got, want, <, "< ", what)

/* err is 0 or a negative errno (or a failed call's -1, then errno says why) */
#define ASSERT_OK(err, what) ({							\
	long long ___e = (long long)(err);					\
	test__check(!___e, __FILE__, __LINE__, "%s: got %lld (%s) want 0", (what),	\
		    ___e, test__strerror(___e));				\
})

#define ASSERT_STREQ(got, want, what) ({					\
	const char *___g = (got), *___w = (want);				\
	bool ___ok = ___g && ___w && !strcmp(___g, ___w);			\
	test__check(___ok, __FILE__, __LINE__, "%s: got \"%s\" want \"%s\"", (what),	\
		    ___g ? ___g : "(null)", ___w ? ___w : "(null)");		\
})

#define ASSERT_NEAR(got, want, tol, what) ({					\
	double ___g = (got), ___w = (want), ___t = (tol);			\
	bool ___ok = ___g >= ___w - ___t && ___g <= ___w + ___t;		\
	test__check(___ok, __FILE__, __LINE__, "%s: got %.3f want %.3f +- %.3f",	\
		    (what), ___g, ___w, ___t);					\
})

#define ASSERT_NOT_NULL(ptr, what) ({						\
	const void *___p = (ptr);						\
	test__check(___p != NULL, __FILE__, __LINE__, "%s: got NULL want non-NULL",	\
		    (what));							\
})

/* run a shell command; on failure report it and go to label */
#define SYS(label, fmt, ...) ({							\
	char ___cmd[1024];							\
	int ___st;								\
	snprintf(___cmd, sizeof(___cmd), fmt, ##__VA_ARGS__);			\
	___st = test__system("%s", ___cmd);					\
	if (!test__check(___st == 0, __FILE__, __LINE__, "%s: exit status %d",	\
			 ___cmd, ___st))					\
		goto label;							\
})

#endif
