// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * --hist: a dwell counted into this CPU's histograms. A global function, which the verifier
 * checks once, on its own, for any state and dwell: inlined, it was checked again on every
 * path that reaches one of its many callers (a record has six states to count, and records
 * are sent from a dozen places): with entries (-p, --cgroup, --tw-entry always) and a
 * filter, the 5.10 and 6.1 verifiers walked more than the million instructions they allow
 * through tcpc_state, which would not load there. It takes s as 64 bits: a global
 * function's arguments are unknown to the verifier, and the bound checked on a 32-bit one is
 * lost to the zero extension clang puts after the check.
 */
#include "conn.bpf.h"

__noinline int hist__add_state(__u64 s, __u64 ns)
{
	struct tcpc_hist_max *max = percpu__get(&hist_max);
	struct tcpc_hist_chunk *chunk;
	__u64 us = ns / 1000;
	__u32 i, key;

	if (s >= TCPC_NR_STATES)
		return 0;
	i = tcpc_hist_index(us);
	key = s * TCPC_HIST_CHUNKS + i / TCPC_HIST_SUB;
	chunk = bpf_map_lookup_elem(&hists, &key);
	/* atomic although per CPU: a softirq may interrupt this and count too */
	if (chunk)
		__sync_fetch_and_add(&chunk->count[i & (TCPC_HIST_SUB - 1)], 1);
	if (max && us > max->us[s])
		max->us[s] = us;
	return 0;
}
