// SPDX-License-Identifier: GPL-2.0
/*
 * floor: the least a tp_btf program can cost on the hooks tcpclose uses, measured the way
 * `make bench` measures tcpclose (kernel.bpf_stats_enabled, run_time_ns / run_cnt).
 *
 * On the timer hooks it attaches "f_*", which does what a tcpclose timer program must do for a
 * timer that is not TCP's: load timer->function, compare it with tw_timer_handler (on
 * hrtimer_expire_exit with the tick's handler, as tcpc_tick does), return. On
 * inet_sock_set_state it attaches "e_set_state", which returns at once. What tcpclose costs
 * above these is its own code; these themselves are the price of the call and of the
 * measurement (two sched_clock() reads around every run). One program per hook, as tcpclose
 * has: a second one on the same hook would change what the first one measures. Built from
 * raw instructions, so that it needs neither clang nor a skeleton. Runs until SIGINT or
 * SIGTERM.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define INSN(c, d, s, o, i) \
	((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })

struct hook {
	const char *tp;		/* raw tracepoint */
	const char *name;	/* e_*: empty; f_*: the timer filter */
	const char *timer;	/* f_*: the timer's struct, whose 'function' it loads */
};

static const struct hook hooks[] = {
	{ "inet_sock_set_state", "e_set_state", NULL },
	{ "timer_start", "f_timer_start", "timer_list" },
	{ "timer_cancel", "f_timer_cancel", "timer_list" },
	{ "timer_expire_entry", "f_timer_expire", "timer_list" },
	{ "timer_expire_exit", "f_timer_exit", "timer_list" },
	/* tcpclose's tcpc_tick: the tick's own hrtimer, not a TCP one */
	{ "hrtimer_expire_exit", "f_tick", "hrtimer" },
};

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

/* a function's address, from /proc/kallsyms (root: real addresses) */
static unsigned long long ksym__addr(const char *name)
{
	unsigned long long addr, found = 0;
	char sym[256], type;
	FILE *f = fopen("/proc/kallsyms", "r");

	if (!f)
		return 0;
	while (fscanf(f, "%llx %c %255s%*[^\n]", &addr, &type, sym) == 3) {
		if (!strcmp(sym, name)) {
			found = addr;
			break;
		}
	}
	fclose(f);
	return found;
}

/* byte offset of a timer struct's 'function' in this kernel, from its BTF */
static int btf__timer_function_off(const char *timer)
{
	struct btf *btf = btf__load_vmlinux_btf();
	const struct btf_member *m;
	const struct btf_type *t;
	int id, i, off = -ENOENT;

	if (!btf)
		return -errno;
	id = btf__find_by_name_kind(btf, timer, BTF_KIND_STRUCT);
	if (id > 0) {
		t = btf__type_by_id(btf, id);
		m = btf_members(t);
		for (i = 0; i < btf_vlen(t); i++, m++) {
			if (!strcmp(btf__name_by_offset(btf, m->name_off), "function"))
				off = btf_member_bit_offset(t, i) / 8;
		}
	}
	btf__free(btf);
	return off;
}

static int prog__load_attach(const char *name, const char *tp, const struct bpf_insn *insns,
			     size_t cnt)
{
	static char log[65536];
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = BPF_TRACE_RAW_TP,
		    .log_buf = log, .log_size = sizeof(log), .log_level = 0);
	int id, fd, link;

	id = libbpf_find_vmlinux_btf_id(tp, BPF_TRACE_RAW_TP);
	if (id < 0) {
		fprintf(stderr, "floor: %s: no BTF for this tracepoint: %s\n", tp, strerror(-id));
		return id;
	}
	o.attach_btf_id = id;
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, name, "GPL", insns, cnt, &o);
	if (fd < 0) {
		/* load again with the verifier's log, to say why */
		o.log_level = 1;
		bpf_prog_load(BPF_PROG_TYPE_TRACING, name, "GPL", insns, cnt, &o);
		fprintf(stderr, "floor: loading %s: %s\n%s", name, strerror(errno), log);
		return -errno;
	}
	link = bpf_raw_tracepoint_open(NULL, fd);
	if (link < 0) {
		fprintf(stderr, "floor: attaching %s to %s: %s\n", name, tp, strerror(errno));
		return -errno;
	}
	/* both fds stay open until we exit: the program stays attached and visible in fdinfo */
	return 0;
}

int main(int argc, char **argv)
{
	const struct bpf_insn empty[] = {
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0),
		INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	unsigned long long tw = ksym__addr("tw_timer_handler");
	/*
	 * the tick's hrtimer handler: tick_sched_timer in older kernels, tick_nohz_handler in
	 * newer ones (in the older, the low-resolution tick's)
	 */
	unsigned long long tick = ksym__addr("tick_sched_timer");
	size_t i;

	if (argc > 1) {
		fputs("usage: floor\nAttach filter-only (f_*, timer hooks) and empty (e_*) tp_btf\n"
		      "programs to tcpclose's hooks until SIGINT; their costs are in bpf_stats.\n",
		      stderr);
		return argc == 2 && !strcmp(argv[1], "-h") ? 0 : 2;
	}
	if (!tick)
		tick = ksym__addr("tick_nohz_handler");
	if (!tw || !tick) {
		fprintf(stderr, "floor: tw_timer_handler or the tick's handler not found\n");
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	for (i = 0; i < ARRAY_SIZE(hooks); i++) {
		bool is_tick = !strcmp(hooks[i].name, "f_tick");
		unsigned long long fn = is_tick ? tick : tw;
		int off = hooks[i].timer ? btf__timer_function_off(hooks[i].timer) : 0;
		const struct bpf_insn filter[] = {
			/* r1 = ctx[0], the timer; r1 = timer->function */
			INSN(BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_1, BPF_REG_1, 0, 0),
			INSN(BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_1, BPF_REG_1, off, 0),
			INSN(BPF_LD | BPF_IMM | BPF_DW, BPF_REG_2, 0, 0, (__u32)fn),
			INSN(0, 0, 0, 0, (__u32)(fn >> 32)),
			INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0),
			INSN(BPF_JMP | BPF_JNE | BPF_X, BPF_REG_1, BPF_REG_2, 1, 0),
			INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 1),
			INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
		};

		bool is_filter = hooks[i].name[0] == 'f';
		int err;

		if (off < 0) {
			fprintf(stderr, "floor: %s.function not found\n", hooks[i].timer);
			return 1;
		}
		err = is_filter ?
			prog__load_attach(hooks[i].name, hooks[i].tp, filter, ARRAY_SIZE(filter)) :
			prog__load_attach(hooks[i].name, hooks[i].tp, empty, ARRAY_SIZE(empty));
		if (err)
			return 1;
	}
	fprintf(stderr, "floor: attached\n");
	while (!exiting)
		pause();
	return 0;
}
