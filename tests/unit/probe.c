// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Reading HZ from a kernel config, rounding a measured tick rate, finding the preempt count. */
#include <bpf/btf.h>
#include "probe.h"
#include "test.h"

void test_probe_hz_from_config(void)
{
	ASSERT_EQ(probe__hz_from_config("CONFIG_HZ=250\n"), 250, "first line");
	ASSERT_EQ(probe__hz_from_config("# CONFIG_HZ_100 is not set\nCONFIG_HZ_1000=y\nCONFIG_HZ=1000\n"),
		  1000, "among others");
	ASSERT_EQ(probe__hz_from_config("CONFIG_HZ_250=y\n"), 0, "choice line only");
	ASSERT_EQ(probe__hz_from_config(""), 0, "empty");
}

void test_probe_round_hz(void)
{
	ASSERT_EQ(probe__round_hz(249.2), 250, "near 250");
	ASSERT_EQ(probe__round_hz(1003.0), 1000, "near 1000");
	ASSERT_EQ(probe__round_hz(99.5), 100, "near 100");
	ASSERT_EQ(probe__round_hz(500.0), 0, "nowhere near");
}

void test_probe_this_kernel(void)
{
	unsigned int hz = probe__kernel_hz();

	ASSERT_TRUE(hz == 100 || hz == 250 || hz == 300 || hz == 1000, "a HZ kernels have");
	ASSERT_TRUE(probe__has_btf(), "this kernel has BTF");
	ASSERT_GE(probe__tp_btf_nargs("inet_sock_set_state"), 3, "set_state has 3 args");
	ASSERT_EQ(probe__tp_btf_nargs("no_such_tracepoint"), -1, "missing tracepoint");
}

/* a BTF with the per-CPU variables runqueues at 4096 and, if count, count at 64 */
static struct btf *percpu_btf(const char *count, bool in_pcpu_hot)
{
	struct btf *btf = btf__new_empty();
	int i32 = btf__add_int(btf, "int", 4, BTF_INT_SIGNED), rq, var, hot;

	rq = btf__add_struct(btf, "rq", 64);
	btf__add_field(btf, "cpu", i32, 0, 0);
	var = btf__add_var(btf, "runqueues", BTF_VAR_GLOBAL_ALLOCATED, rq);
	if (count && in_pcpu_hot) {
		/* 6.2 to 6.14: union { struct { current_task; preempt_count; ... }; pad[64]; } */
		int fields = btf__add_struct(btf, NULL, 16), pad, u;

		btf__add_field(btf, "current_task", i32, 0, 0);
		btf__add_field(btf, "preempt_count", i32, 8 * 8, 0);
		pad = btf__add_array(btf, i32, i32, 16);
		u = btf__add_union(btf, NULL, 64);
		btf__add_field(btf, NULL, fields, 0, 0);
		btf__add_field(btf, "pad", pad, 0, 0);
		hot = btf__add_struct(btf, "pcpu_hot", 64);
		btf__add_field(btf, NULL, u, 0, 0);
		hot = btf__add_var(btf, count, BTF_VAR_GLOBAL_ALLOCATED, hot);
	} else if (count) {
		hot = btf__add_var(btf, count, BTF_VAR_GLOBAL_ALLOCATED, i32);
	}
	btf__add_datasec(btf, ".data..percpu", 8192);
	if (count)
		btf__add_datasec_var_info(btf, hot, 64, in_pcpu_hot ? 64 : 4);
	btf__add_datasec_var_info(btf, var, 4096, 64);
	return btf;
}

void test_probe_preempt_count(void)
{
	long long off = 0;
	struct btf *btf;
	int ti;

	btf = percpu_btf("__preempt_count", false);
	ASSERT_EQ(probe__preempt_count_btf(btf, &off), PROBE_PREEMPT_PERCPU, "x86 __preempt_count");
	ASSERT_EQ(off, 64 - 4096, "__preempt_count from runqueues");
	btf__free(btf);

	btf = percpu_btf("pcpu_hot", true);
	ASSERT_EQ(probe__preempt_count_btf(btf, &off), PROBE_PREEMPT_PERCPU, "x86 pcpu_hot");
	ASSERT_EQ(off, 64 + 8 - 4096, "pcpu_hot.preempt_count from runqueues");
	btf__free(btf);

	btf = percpu_btf(NULL, false);
	ASSERT_EQ(probe__preempt_count_btf(btf, &off), PROBE_PREEMPT_NONE, "no count anywhere");
	/* arm64 and others keep it in the task: nothing per CPU is needed */
	ti = btf__add_struct(btf, "thread_info", 24);
	btf__add_field(btf, "flags", 1, 0, 0);
	btf__add_field(btf, "preempt_count", 1, 16 * 8, 0);
	ASSERT_TRUE(ti > 0, "thread_info added");
	ASSERT_EQ(probe__preempt_count_btf(btf, &off), PROBE_PREEMPT_TASK, "in thread_info");
	btf__free(btf);

#ifdef __x86_64__
	off = 0;
	ASSERT_EQ(probe__preempt_count(&off), PROBE_PREEMPT_PERCPU, "this kernel: per CPU");
	ASSERT_NEQ(off, 0, "this kernel: away from the run queue");
#else
	ASSERT_NEQ(probe__preempt_count(&off), PROBE_PREEMPT_NONE, "this kernel: somewhere");
#endif
}
