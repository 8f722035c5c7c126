// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "support.h"
#include "backend.h"
#include "cas.h"
#include "probe.h"

static const char *yes_no(bool v)
{
	return v ? "yes" : "no";
}

int support__print(FILE *out)
{
	bool btf = probe__has_btf(), ksyms = probe__ksym("tw_timer_handler") != 0;
	bool kprobes = !access("/sys/bus/event_source/devices/kprobe/type", R_OK);
	int retrans = probe__tp_btf_nargs("tcp_retransmit_skb");
	int send_reset = probe__tp_btf_nargs("tcp_send_reset");
	bool tp_btf = btf && probe__tp_btf_nargs("inet_sock_set_state") >= 3;
	bool iter = btf && probe__btf_struct("bpf_iter__tcp");
	/* the tick's hrtimer handler: renamed in 6.12, where the old name is gone */
	const char *tick = probe__ksym("tick_sched_timer") ? "tick_sched_timer" :
			   probe__ksym("tick_nohz_handler") ? "tick_nohz_handler" : "not found";
	struct backend_support bs;
	enum tcpc_backend chosen;
	long long pc_off;
	enum probe_preempt_count pc = probe__preempt_count(&pc_off);
	char fentry[32], why[160];
	struct utsname u;

	uname(&u);
	backend__probe(&bs);
	backend__choose(TCPC_BACKEND_AUTO, &bs, &chosen, why, sizeof(why));
	snprintf(fentry, sizeof(fentry), "%s", !bs.fentry_err ? "yes" :
		 bs.fentry_err == -ENOENT ? "no (no function)" :
		 bs.fentry_err == -EPERM ? "no (EPERM)" :
		 bs.fentry_err == -524 ? "no (ENOTSUPP)" : "no");
	fprintf(out, "kernel %s %s, HZ %u\n\n", u.release, u.machine, probe__kernel_hz());
	fprintf(out, "%-34s %-18s %s\n", "MECHANISM", "AVAILABLE", "TCPCLOSE USES IT FOR");
	fprintf(out, "%-34s %-18s %s\n", "BTF (/sys/kernel/btf/vmlinux)", yes_no(btf),
		"CO-RE relocation and typed tracepoints: required");
	fprintf(out, "%-34s %-18s %s\n", "BTF tracepoints (tp_btf)", yes_no(tp_btf),
		"state changes, resets, FIN retransmits: required");
	fprintf(out, "%-34s %-18s %s\n", "iter/tcp", yes_no(iter),
		"connections closing at start-up, gauges, --stuck: required");
	fprintf(out, "%-34s %-18s %s\n", "tcp_retransmit_skb arguments",
		retrans < 0 ? "none" : retrans >= 3 ? "3 (with err)" : "2",
		retrans >= 3 ? "counting only retransmits that were sent" :
			       "counting retransmits (only sent ones fire)");
	fprintf(out, "%-34s %-18s %s\n", "tcp_send_reset arguments",
		send_reset < 0 ? "none" : send_reset >= 3 ? "3 (with reason)" : "2",
		send_reset >= 3 ? "resets sent, a timewait socket's too" :
				  "resets sent; a timewait socket's told by its kill's stack");
	fprintf(out, "%-34s %-18s %s\n", "tick's hrtimer handler", tick,
		"anchoring jiffies to the clock: timewait deadlines to within microseconds");
	fprintf(out, "%-34s %-18s %s\n", "fentry on the timewait functions", fentry,
		"backend fentry: exact re-arms and kill causes, no cost on other timers");
	fprintf(out, "%-34s %-18s %s\n", "kprobes on the timewait functions",
		bs.kprobe ? "yes" : kprobes ? "no (symbols)" : "no",
		"backend kprobe: the same, dearer per call");
	fprintf(out, "%-34s %-18s %s\n", "timer tracepoints", yes_no(tp_btf),
		"backend tracepoint: works everywhere");
	fprintf(out, "%-34s %-18s %s\n", "kernel symbol addresses", ksyms ? "visible" : "hidden",
		"backend tracepoint: telling TCP timers from the host's others");
	fprintf(out, "%-34s %-18s %s\n", "preempt count",
		pc == PROBE_PREEMPT_TASK ? "in the task" :
		pc == PROBE_PREEMPT_PERCPU ? "per CPU (BTF)" :
		pc == PROBE_PREEMPT_PERCPU_KSYMS ? "per CPU (ksyms)" : "no",
		"naming a process only in process context, never a softirq's");
	fprintf(out, "%-34s %-18s %s\n", "BPF compare-and-swap", yes_no(cas__supported()),
		"slots for closing connections, cheaper than the hash (5.12+)");
	fprintf(out, "\nbackend: %s (auto picks fentry, then kprobe, then tracepoint; --backend forces one)\n",
		backend__name(chosen));
	if (!btf || !tp_btf || !iter || (chosen == TCPC_BACKEND_TRACEPOINT && !ksyms)) {
		fprintf(out, "tcpclose cannot run here: %s\n",
			!btf ? "no BTF (CONFIG_DEBUG_INFO_BTF=y is needed)" :
			!tp_btf ? "no BTF tracepoints" :
			!iter ? "no iter/tcp (a kernel before 5.9)" :
				"kernel symbol addresses are hidden: run as root or with CAP_SYSLOG");
		return 1;
	}
	return 0;
}
