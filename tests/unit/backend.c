// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Backend choice: what auto takes on each kind of kernel, a forced one that is missing, and
 * which programs of the skeleton each backend loads.
 */
#include <errno.h>
#include <bpf/libbpf.h>
#include "backend.h"
#include "tcpclose.skel.h"
#include "test.h"

static const struct backend_support with_fentry = { .fentry_err = 0, .kprobe = true };
static const struct backend_support kprobes_only = { .fentry_err = -ENOTSUP, .kprobe = true };
/* this machine's kind: no kprobes, fentry refused */
static const struct backend_support tracepoints_only = { .fentry_err = -EPERM };

static enum tcpc_backend choose(enum tcpc_backend want, const struct backend_support *s, int *err)
{
	enum tcpc_backend got = TCPC_BACKEND_AUTO;
	char why[160] = "";

	*err = backend__choose(want, s, &got, why, sizeof(why));
	if (*err)
		ASSERT_TRUE(why[0] != '\0', "a refusal says why");
	return got;
}

void test_backend_auto(void)
{
	int err;

	ASSERT_EQ(choose(TCPC_BACKEND_AUTO, &with_fentry, &err), TCPC_BACKEND_FENTRY, "fentry first");
	ASSERT_EQ(choose(TCPC_BACKEND_AUTO, &kprobes_only, &err), TCPC_BACKEND_KPROBE,
		  "kprobes without fentry");
	ASSERT_EQ(choose(TCPC_BACKEND_AUTO, &tracepoints_only, &err), TCPC_BACKEND_TRACEPOINT,
		  "tracepoints without either");
	ASSERT_OK(err, "auto always finds one");
}

void test_backend_forced(void)
{
	int err;

	ASSERT_EQ(choose(TCPC_BACKEND_TRACEPOINT, &with_fentry, &err), TCPC_BACKEND_TRACEPOINT,
		  "tracepoints even where fentry works");
	ASSERT_OK(err, "tracepoints are always there");
	ASSERT_EQ(choose(TCPC_BACKEND_KPROBE, &with_fentry, &err), TCPC_BACKEND_KPROBE, "kprobe");
	choose(TCPC_BACKEND_FENTRY, &tracepoints_only, &err);
	ASSERT_EQ(err, -ENOTSUP, "fentry where it is refused");
	choose(TCPC_BACKEND_KPROBE, &tracepoints_only, &err);
	ASSERT_EQ(err, -ENOTSUP, "kprobe where there are none");
}

void test_backend_names(void)
{
	enum tcpc_backend b;

	for (b = TCPC_BACKEND_AUTO; b <= TCPC_BACKEND_KPROBE; b++) {
		enum tcpc_backend back = -1;

		ASSERT_OK(backend__parse(backend__name(b), &back), backend__name(b));
		ASSERT_EQ(back, b, "name round trip");
	}
	ASSERT_EQ(backend__parse("bpf", &b), -EINVAL, "unknown name");
}

/* the lists in backend.c; the shared one in slot TCPC_BACKEND_AUTO, which has none of its own */
static int lists__get(const struct tcpclose_bpf *skel,
		      struct bpf_program *lists[][BACKEND_MAX_PROGS], int n[])
{
	int total;

	total = n[TCPC_BACKEND_AUTO] = backend__shared_progs(skel, lists[TCPC_BACKEND_AUTO]);
	for (enum tcpc_backend b = TCPC_BACKEND_TRACEPOINT; b <= TCPC_BACKEND_KPROBE; b++)
		total += n[b] = backend__progs(skel, b, lists[b]);
	return total;
}

/*
 * Every program of the object belongs to one backend, or to every backend: a program added
 * to the BPF side and to no list would load with every backend, its hook maybe missing.
 */
void test_backend_programs(void)
{
	struct bpf_program *lists[TCPC_BACKEND_KPROBE + 1][BACKEND_MAX_PROGS], *prog;
	int n[TCPC_BACKEND_KPROBE + 1], total, nprogs = 0;
	struct tcpclose_bpf *skel;

	/* opened, not loaded: no privilege or kernel feature needed */
	skel = tcpclose_bpf__open();
	if (!ASSERT_TRUE(skel != NULL, "open the skeleton"))
		return;
	total = lists__get(skel, lists, n);
	for (enum tcpc_backend b = TCPC_BACKEND_TRACEPOINT; b <= TCPC_BACKEND_KPROBE; b++)
		ASSERT_GT(n[b], 0, backend__name(b));
	bpf_object__for_each_program(prog, skel->obj) {
		int owners = 0;

		for (int l = 0; l <= TCPC_BACKEND_KPROBE; l++)
			for (int i = 0; i < n[l]; i++)
				owners += lists[l][i] == prog;
		ASSERT_EQ(owners, 1, bpf_program__name(prog));
		nprogs++;
	}
	ASSERT_EQ(total, nprogs, "the lists name each program once, and nothing else");
	tcpclose_bpf__destroy(skel);
}

/* a backend chosen loads its own programs and the shared ones, none of the others' */
void test_backend_select(void)
{
	struct bpf_program *lists[TCPC_BACKEND_KPROBE + 1][BACKEND_MAX_PROGS];
	int n[TCPC_BACKEND_KPROBE + 1];

	for (enum tcpc_backend want = TCPC_BACKEND_TRACEPOINT; want <= TCPC_BACKEND_KPROBE; want++) {
		struct tcpclose_bpf *skel = tcpclose_bpf__open();

		if (!ASSERT_TRUE(skel != NULL, "open the skeleton"))
			return;
		lists__get(skel, lists, n);
		backend__select(skel, want);
		for (int l = 0; l <= TCPC_BACKEND_KPROBE; l++)
			for (int i = 0; i < n[l]; i++)
				ASSERT_EQ(bpf_program__autoload(lists[l][i]),
					  l == TCPC_BACKEND_AUTO || l == (int)want,
					  bpf_program__name(lists[l][i]));
		tcpclose_bpf__destroy(skel);
	}
}
