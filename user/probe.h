/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What the running kernel offers, found by looking, never by its version number. */
#ifndef __PROBE_H
#define __PROBE_H

#include <stdbool.h>

/* the number of arguments of tracepoint tp's BTF prototype, or -1 if it has none */
int probe__tp_btf_nargs(const char *tp);

/* does the kernel describe itself with BTF (needed for CO-RE and tp_btf)? */
bool probe__has_btf(void);
/* does the kernel's BTF have struct name? (bpf_iter__tcp: iter/tcp is there) */
bool probe__btf_struct(const char *name);
/* does the kernel's struct type have a member of that name (at its top level)? */
bool probe__btf_member(const char *type, const char *member);

/* where the preempt count lives, which tells the BPF side softirq from process context */
enum probe_preempt_count {
	PROBE_PREEMPT_NONE,	/* nowhere tcpclose can read: it names no process in doubt */
	PROBE_PREEMPT_TASK,	/* thread_info.preempt_count (arm64 and others): CO-RE reads it */
	PROBE_PREEMPT_PERCPU,	/* per CPU (x86): *off is its distance from the CPU's run queue */
	PROBE_PREEMPT_PERCPU_KSYMS,	/* the same, the distance read from /proc/kallsyms */
};

/* ... as the kernel's BTF says, else (a BTF without per-CPU variables, as 5.10's) as
 * /proc/kallsyms does; probe__preempt_count_btf() reads a given BTF */
enum probe_preempt_count probe__preempt_count(long long *off);
struct btf;
enum probe_preempt_count probe__preempt_count_btf(const struct btf *btf, long long *off);

/* the address /proc/kallsyms shows this process for a kernel symbol: 0 when the symbol is
 * missing or its address is hidden (kptr_restrict without CAP_SYSLOG) */
unsigned long probe__ksym(const char *name);

/* the text of function name: [start, end), end the next text symbol's address; or -ENOENT */
int probe__ksym_range(const char *name, unsigned long *start, unsigned long *end);

/* the addresses of names (NULL-ended) in one pass over /proc/kallsyms, 0 where missing or
 * hidden; addrs has a slot per name */
void probe__ksyms(const char *const *names, unsigned long *addrs);

/* the never-reused cookie of the network namespace at path (SO_NETNS_COOKIE, 5.14+), or 0 */
unsigned long long probe__netns_cookie(const char *path);

/* the kernel's HZ: from its config if readable, else measured from /proc/timer_list;
 * 0 if neither works */
unsigned int probe__kernel_hz(void);

/* HZ from the text of a kernel config, 0 if absent (exposed for the unit tests) */
unsigned int probe__hz_from_config(const char *text);

/* the nearest HZ a kernel can be built with to a measured rate */
unsigned int probe__round_hz(double measured);

#endif /* __PROBE_H */
