// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "backend.h"
#include "probe.h"

const char *const backend__funcs[] = {
	"__inet_twsk_schedule", "inet_twsk_deschedule_put", "inet_twsk_kill", "tw_timer_handler",
	"tcp_timewait_state_process", "tcp_keepalive_timer", "tcp_write_timer", "tcp_write_wakeup",
	NULL,
};

static const char *const names[] = {
	[TC_BACKEND_AUTO] = "auto",
	[TC_BACKEND_TRACEPOINT] = "tracepoint",
	[TC_BACKEND_FENTRY] = "fentry",
	[TC_BACKEND_KPROBE] = "kprobe",
};

const char *backend__name(enum tc_backend b)
{
	return b <= TC_BACKEND_KPROBE ? names[b] : "?";
}

int backend__parse(const char *s, enum tc_backend *b)
{
	for (int i = 0; i <= TC_BACKEND_KPROBE; i++) {
		if (!strcmp(s, names[i])) {
			*b = i;
			return 0;
		}
	}
	return -EINVAL;
}

/* can an fentry program load on func? One that returns 0, as libbpf-tools' fentry_can_attach() */
static int fentry__loads(const struct btf *btf, const char *func)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_FENTRY);
	int id, fd;

	id = btf__find_by_name_kind(btf, func, BTF_KIND_FUNC);
	if (id <= 0)
		return -ENOENT;
	opts.attach_btf_id = id;
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "fentry_probe", "GPL", insns, 2, &opts);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

void backend__probe(struct backend_support *s)
{
	struct btf *btf = btf__load_vmlinux_btf();
	unsigned long addrs[sizeof(backend__funcs) / sizeof(backend__funcs[0])] = {};
	int i, err;

	memset(s, 0, sizeof(*s));
	s->fentry_err = btf ? 0 : -ENOENT;
	for (i = 0; btf && backend__funcs[i] && !s->fentry_err; i++) {
		err = fentry__loads(btf, backend__funcs[i]);
		if (err == -ENOENT)
			s->missing = backend__funcs[i];
		s->fentry_err = err;
	}
	btf__free(btf);

	/* libbpf attaches kprobes through the kprobe PMU, by symbol name */
	s->kprobe = !access("/sys/bus/event_source/devices/kprobe/type", R_OK);
	probe__ksyms(backend__funcs, addrs);
	for (i = 0; s->kprobe && backend__funcs[i]; i++) {
		if (!addrs[i]) {
			s->kprobe = false;
			s->missing = s->missing ?: backend__funcs[i];
		}
	}
}

int backend__choose(enum tc_backend want, const struct backend_support *s,
		    enum tc_backend *got, char *why, int why_size)
{
	switch (want) {
	case TC_BACKEND_AUTO:
		*got = !s->fentry_err ? TC_BACKEND_FENTRY :
		       s->kprobe ? TC_BACKEND_KPROBE : TC_BACKEND_TRACEPOINT;
		return 0;
	case TC_BACKEND_TRACEPOINT:
		*got = want;
		return 0;
	case TC_BACKEND_FENTRY:
		if (!s->fentry_err) {
			*got = want;
			return 0;
		}
		snprintf(why, why_size, "this kernel refuses fentry on %s: %s",
			 s->missing ?: "the timewait functions", strerror(-s->fentry_err));
		return -ENOTSUP;
	case TC_BACKEND_KPROBE:
		if (s->kprobe) {
			*got = want;
			return 0;
		}
		snprintf(why, why_size, "%s", s->missing ?
			 "a timewait function to probe is missing from /proc/kallsyms" :
			 "this kernel has no kprobes (CONFIG_KPROBES)");
		return -ENOTSUP;
	}
	snprintf(why, why_size, "unknown backend");
	return -EINVAL;
}
