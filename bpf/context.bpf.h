/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Is the kernel running a process now, or serving a softirq (or an interrupt)?
 *
 * Many TCP state changes run in softirq, where the current task is whichever process the
 * softirq interrupted (on loopback, often the sender of the segment) or ksoftirqd: a record
 * must not name it. The kernel tells by its preempt count (include/linux/preempt.h):
 * SOFTIRQ_OFFSET is set while a softirq is served, the hardirq and NMI counts sit above it. A
 * process that only disabled softirqs (local_bh_disable(), as tcp_close() and
 * inet_csk_listen_stop() do around a socket's end) adds 2 * SOFTIRQ_OFFSET a time, and is
 * still a process.
 *
 * Where the count lives:
 * - in the task, thread_info.preempt_count (arm64, riscv, powerpc, ...): read through CO-RE;
 * - per CPU on x86: __preempt_count (before 6.2, and again from 6.15) or
 *   pcpu_hot.preempt_count (6.2 to 6.14). The kernel's selftests read it as an extern __ksym,
 *   but the verifier finds a per-CPU variable's address through kallsyms, which lists data
 *   only with CONFIG_KALLSYMS_ALL: without it (this project's own 6.18 kernel) the whole
 *   object fails to load. Every static per-CPU variable lies at the same distance from its
 *   CPU's run queue, which the running task points to (se.cfs_rq->rq): user space reads that
 *   distance from the kernel's BTF (probe__preempt_count()) into preempt_count_off;
 * - PREEMPT_RT serves softirqs in a task: its softirq_disable_cnt counts them.
 * Reading it costs four loads: only the rare branches that may name a process pay for it.
 */
#ifndef __CONTEXT_BPF_H
#define __CONTEXT_BPF_H

#include "tcpclose.bpf.h"

#define TCPC_SOFTIRQ_OFFSET	(1U << 8)
#define TCPC_HARDIRQ_MASK		(0xfU << 16)
#define TCPC_NMI_MASK		(0xfU << 20)

enum tcpc_context {
	TCPC_CTX_UNKNOWN,		/* this kernel keeps its preempt count where we cannot read it */
	TCPC_CTX_PROCESS,
	TCPC_CTX_INTERRUPT,	/* a softirq, a hardirq or an NMI */
};

struct thread_info___ctx {
	int preempt_count;	/* arm64: the low half of a u64 (little-endian) */
} __attribute__((preserve_access_index));

struct task_struct___ctx {
	struct thread_info___ctx thread_info;
	int softirq_disable_cnt;	/* CONFIG_PREEMPT_RT */
} __attribute__((preserve_access_index));

/* the preempt count of this CPU; false if it cannot be read here */
static __always_inline bool context__preempt_count(const struct task_struct___ctx *task,
						   __u32 *count)
{
	struct rq *rq;

	if (bpf_core_field_exists(task->thread_info.preempt_count)) {
		*count = BPF_CORE_READ(task, thread_info.preempt_count);
		return true;
	}
	if (!preempt_count_off || !bpf_core_field_exists(struct sched_entity, cfs_rq) ||
	    !bpf_core_field_exists(struct cfs_rq, rq))
		return false;
	/* the task running here is queued on this CPU's run queue */
	rq = BPF_CORE_READ((struct task_struct *)task, se.cfs_rq, rq);
	return rq && !bpf_probe_read_kernel(count, sizeof(*count), (void *)rq + preempt_count_off);
}

static __always_inline enum tcpc_context context__now(void)
{
	const struct task_struct___ctx *task = (void *)bpf_get_current_task();
	__u32 count;

	/* x86 keeps PREEMPT_NEED_RESCHED inverted in bit 31: only the masks below matter */
	if (!context__preempt_count(task, &count))
		return TCPC_CTX_UNKNOWN;
	if (count & (TCPC_SOFTIRQ_OFFSET | TCPC_HARDIRQ_MASK | TCPC_NMI_MASK))
		return TCPC_CTX_INTERRUPT;
	if (bpf_core_field_exists(task->softirq_disable_cnt) &&
	    (BPF_CORE_READ(task, softirq_disable_cnt) & TCPC_SOFTIRQ_OFFSET))
		return TCPC_CTX_INTERRUPT;
	return TCPC_CTX_PROCESS;
}

#endif /* __CONTEXT_BPF_H */
