// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The one definition of the maps and load-time settings the other BPF files share. */
#define TCPCLOSE_DEFINE_MAPS
#include "conns.bpf.h"

const volatile __u32 filter_netns = 0;
const volatile __u64 filter_netns_cookie = 0;
const volatile __u32 filter_pid = 0;
const volatile __u16 filter_lport = 0;
const volatile __u16 filter_dport = 0;
const volatile __u8 filter_family = 0;
const volatile __u8 emit_transitions = 0;
const volatile __u32 kernel_hz = 250;
const volatile __u8 emit_records = 1;
const volatile __u8 hist_enabled = 0;
const volatile __u64 stuck_ns = 0;
const volatile __u32 ringbuf_batch = TCPC_WAKEUP_BYTES;
const volatile __u32 ringbuf_wake_bytes = 0;
const volatile __u64 filter_cgroup = 0;
const volatile __u32 filter_cgroup_level = 0;
const volatile __u8 filter_laddr = 0;
const volatile __u8 filter_raddr = 0;
const volatile __s64 preempt_count_off = 0;
const volatile __u8 tw_rearms_seen = 0;
const volatile __u8 tw_entryless = 0;
const volatile __u64 tw_kill_text[TW_KILL_NR][2] = {};
const volatile __u8 tw_reset_by_stack = 0;
const volatile __u8 conn_slots_bits = 0;

__u32 iter_mode;
__u8 iter_mark;
__u64 gauges[TCPC_NR_STATES];
__u64 ka_entries;
__u64 conns_hashed;
__u64 jiffies_offset;

char LICENSE[] SEC("license") = "Dual BSD/GPL";
