/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * BPF compare-and-swap, which the slots of conns are taken and freed with (bpf/conns.bpf.h),
 * on kernels that have it (5.12+) and on those that do not.
 */
#ifndef __CAS_H
#define __CAS_H

#include <stdbool.h>
#include <stddef.h>

struct bpf_insn;
struct bpf_object;

/* does the running kernel's verifier take a compare-and-swap? (it loads one that does) */
bool cas__supported(void);

/*
 * Rewrite every compare-and-swap in insns as its failure: r0, where it leaves the value it
 * found, set to ~0, which no caller asks for (a free slot is 0, a taken one a kernel
 * address). Returns how many. A kernel before 5.12 refuses a program that holds one even
 * where it never runs.
 */
int cas__fail_insns(struct bpf_insn *insns, size_t n);

/*
 * The same in every program of obj, opened and not yet loaded: 0 or a negative errno. Only
 * the programs' own code: libbpf shows no subprogram before load, so a compare-and-swap
 * belongs in code inlined into its program (bpf/conns.bpf.h's is), not in a global function.
 */
int cas__fail_programs(struct bpf_object *obj);

#endif /* __CAS_H */
