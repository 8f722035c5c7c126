/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kernel_skips: a witness, outside BPF, of the tracepoints this project's test kernel ran in
 * the context of PID 1, where it skips every BPF program without counting the skip
 * (docs/KERNEL-SKIPS.md). A tracefs instance records them with the kernel's own event
 * tracer, which that skip does not touch: the hooks tcpclose attaches to, filtered to
 * common_pid 1 (and, for timers, to TCP's handlers). When a test fails with such an event
 * in its window, the kernel did not run the programs for an event the test may judge.
 */
#ifndef TCPCLOSE_KERNEL_SKIPS_H
#define TCPCLOSE_KERNEL_SKIPS_H

struct kernel_skips {
	char dir[320];		/* the tracefs instance, "" if none could be made */
};

/* remove the instances a runner killed before it could (named prefix-PID-...) left behind */
void kernel_skips__sweep(const char *prefix);
/* start witnessing; without tracefs (or its filters), the witness stays empty */
void kernel_skips__start(struct kernel_skips *k, const char *name);
/* stop, remove the instance, and return how many such events it saw (-1: no witness) */
long kernel_skips__stop(struct kernel_skips *k);

#endif
