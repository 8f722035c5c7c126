// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Compare-and-swap loaded as its failure, for kernels without BPF atomics (user/cas.c). */
#include <string.h>
#include <linux/bpf.h>
#include <bpf/libbpf.h>
#include "cas.h"
#include "tcpclose.skel.h"
#include "test.h"

#define CAS(size, dst, src, at) \
	{ .code = BPF_STX | (size) | BPF_ATOMIC, .dst_reg = (dst), .src_reg = (src), \
	  .off = (at), .imm = BPF_CMPXCHG }
#define ADD(dst, src, at) \
	{ .code = BPF_STX | BPF_DW | BPF_ATOMIC, .dst_reg = (dst), .src_reg = (src), \
	  .off = (at), .imm = BPF_ADD }

void test_cas_fail_insns(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_LD | BPF_IMM | BPF_DW, .dst_reg = BPF_REG_1, .imm = 7 },
		{ .imm = 0 },
		CAS(BPF_DW, BPF_REG_1, BPF_REG_2, 8),
		ADD(BPF_REG_1, BPF_REG_3, 0),
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		CAS(BPF_W, BPF_REG_4, BPF_REG_5, -4),
		{ .code = BPF_JMP | BPF_EXIT },
	};
	const struct bpf_insn add = ADD(BPF_REG_1, BPF_REG_3, 0);
	const size_t n = sizeof(insns) / sizeof(insns[0]);

	ASSERT_EQ(cas__fail_insns(insns, n), 2, "both compare-and-swaps");
	for (size_t i = 2; i < n; i += 3) {
		ASSERT_EQ(insns[i].code, BPF_ALU64 | BPF_MOV | BPF_K, "a move");
		ASSERT_EQ(insns[i].dst_reg, BPF_REG_0, "into r0, where the value found goes");
		ASSERT_EQ(insns[i].imm, -1, "of ~0: no value a caller compares with");
	}
	ASSERT_EQ(insns[0].imm, 7, "the 64-bit immediate untouched");
	ASSERT_EQ(memcmp(&insns[3], &add, sizeof(add)), 0, "an atomic add untouched (5.10 has it)");
	ASSERT_EQ(cas__fail_insns(insns, n), 0, "none left");
}

/* the compare-and-swaps in the programs of obj */
static int object__cas(struct bpf_object *obj)
{
	struct bpf_program *prog;
	int nr = 0;

	bpf_object__for_each_program(prog, obj) {
		const struct bpf_insn *insns = bpf_program__insns(prog);

		for (size_t i = 0; i < bpf_program__insn_cnt(prog); i++)
			nr += BPF_CLASS(insns[i].code) == BPF_STX &&
			      BPF_MODE(insns[i].code) == BPF_ATOMIC && insns[i].imm == BPF_CMPXCHG;
	}
	return nr;
}

void test_cas_fail_programs(void)
{
	struct tcpclose_bpf *skel = tcpclose_bpf__open();

	if (!ASSERT_NOT_NULL(skel, "open the BPF object"))
		return;
	ASSERT_GT(object__cas(skel->obj), 0, "the slots of conns are taken by compare-and-swap");
	ASSERT_OK(cas__fail_programs(skel->obj), "rewritten");
	ASSERT_EQ(object__cas(skel->obj), 0, "no program holds one");
	tcpclose_bpf__destroy(skel);
}

void test_cas_this_kernel(void)
{
	/* the project's kernel is 6.18; 5.10 says no (tcpclose features, docs/KERNELS.md) */
	ASSERT_TRUE(cas__supported(), "this kernel takes a compare-and-swap");
}
