// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Backend choice: what auto takes on each kind of kernel, and a forced one that is missing. */
#include <errno.h>
#include "backend.h"
#include "test.h"

static const struct backend_support with_fentry = { .fentry_err = 0, .kprobe = true };
static const struct backend_support kprobes_only = { .fentry_err = -ENOTSUP, .kprobe = true };
/* this machine's kind: no kprobes, fentry refused */
static const struct backend_support tracepoints_only = { .fentry_err = -EPERM };

static enum tc_backend choose(enum tc_backend want, const struct backend_support *s, int *err)
{
	enum tc_backend got = TC_BACKEND_AUTO;
	char why[160] = "";

	*err = backend__choose(want, s, &got, why, sizeof(why));
	if (*err)
		ASSERT_TRUE(why[0] != '\0', "a refusal says why");
	return got;
}

void test_backend_auto(void)
{
	int err;

	ASSERT_EQ(choose(TC_BACKEND_AUTO, &with_fentry, &err), TC_BACKEND_FENTRY, "fentry first");
	ASSERT_EQ(choose(TC_BACKEND_AUTO, &kprobes_only, &err), TC_BACKEND_KPROBE,
		  "kprobes without fentry");
	ASSERT_EQ(choose(TC_BACKEND_AUTO, &tracepoints_only, &err), TC_BACKEND_TRACEPOINT,
		  "tracepoints without either");
	ASSERT_OK(err, "auto always finds one");
}

void test_backend_forced(void)
{
	int err;

	ASSERT_EQ(choose(TC_BACKEND_TRACEPOINT, &with_fentry, &err), TC_BACKEND_TRACEPOINT,
		  "tracepoints even where fentry works");
	ASSERT_OK(err, "tracepoints are always there");
	ASSERT_EQ(choose(TC_BACKEND_KPROBE, &with_fentry, &err), TC_BACKEND_KPROBE, "kprobe");
	choose(TC_BACKEND_FENTRY, &tracepoints_only, &err);
	ASSERT_EQ(err, -ENOTSUP, "fentry where it is refused");
	choose(TC_BACKEND_KPROBE, &tracepoints_only, &err);
	ASSERT_EQ(err, -ENOTSUP, "kprobe where there are none");
}

void test_backend_names(void)
{
	enum tc_backend b;

	for (b = TC_BACKEND_AUTO; b <= TC_BACKEND_KPROBE; b++) {
		enum tc_backend back = -1;

		ASSERT_OK(backend__parse(backend__name(b), &back), backend__name(b));
		ASSERT_EQ(back, b, "name round trip");
	}
	ASSERT_EQ(backend__parse("bpf", &b), -EINVAL, "unknown name");
}
