// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "support.h"
#include "probe.h"

/* can an fentry program attach to func? Load one, as libbpf-tools' fentry_can_attach() */
static int fentry_probe(const char *func)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_FENTRY);
	struct btf *btf = btf__load_vmlinux_btf();
	int id, fd;

	if (!btf)
		return -ENOENT;
	id = btf__find_by_name_kind(btf, func, BTF_KIND_FUNC);
	btf__free(btf);
	if (id <= 0)
		return -ENOENT;
	opts.attach_btf_id = id;
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "fentry_probe", "GPL", insns, 2, &opts);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static const char *yes_no(bool v)
{
	return v ? "yes" : "no";
}

int support__print(FILE *out)
{
	bool btf = probe__has_btf(), ksyms = probe__ksym("tw_timer_handler") != 0;
	bool kprobes = !access("/sys/bus/event_source/devices/kprobe/type", R_OK);
	int retrans = probe__tp_btf_nargs("tcp_retransmit_skb");
	int fentry = fentry_probe("tcp_timewait_state_process");
	bool iter = btf && probe__tp_btf_nargs("inet_sock_set_state") >= 3;
	struct utsname u;

	uname(&u);
	fprintf(out, "kernel %s %s, HZ %u\n\n", u.release, u.machine, probe__kernel_hz());
	fprintf(out, "%-34s %-14s %s\n", "MECHANISM", "AVAILABLE", "TCPCLOSE USES IT FOR");
	fprintf(out, "%-34s %-14s %s\n", "BTF (/sys/kernel/btf/vmlinux)", yes_no(btf),
		"CO-RE relocation and typed tracepoints: required");
	fprintf(out, "%-34s %-14s %s\n", "BTF tracepoints (tp_btf)", yes_no(iter),
		"state changes, resets, FIN retransmits, TCP timers: required");
	fprintf(out, "%-34s %-14s %s\n", "kernel symbol addresses", ksyms ? "visible" : "hidden",
		"telling TCP timers from the host's others: required");
	fprintf(out, "%-34s %-14s %s\n", "iter/tcp", yes_no(btf),
		"connections closing at start-up, gauges, --stuck");
	fprintf(out, "%-34s %-14s %s\n", "tcp_retransmit_skb arguments",
		retrans < 0 ? "none" : retrans >= 3 ? "3 (with err)" : "2",
		retrans >= 3 ? "counting only retransmits that were sent" :
			       "counting retransmits (only sent ones fire)");
	fprintf(out, "%-34s %-14s %s\n", "fentry", fentry ? (fentry == -EPERM ? "no (EPERM)" : "no") :
		"yes", "not needed: every signal comes from tracepoints");
	fprintf(out, "%-34s %-14s %s\n", "kprobes", yes_no(kprobes),
		"not needed: every signal comes from tracepoints");
	fprintf(out, "\nbackend: tracepoints (the only one; it needs no kprobe or fentry)\n");
	if (!btf || !iter || !ksyms) {
		fprintf(out, "tcpclose cannot run here: %s\n",
			!btf ? "no BTF (CONFIG_DEBUG_INFO_BTF=y is needed)" :
			!iter ? "no BTF tracepoints" :
				"kernel symbol addresses are hidden: run as root or with CAP_SYSLOG");
		return 1;
	}
	return 0;
}
