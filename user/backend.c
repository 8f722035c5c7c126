// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "backend.h"
#include "probe.h"
#include "tcpclose.skel.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* a program of the skeleton by its place in struct tcpclose_bpf: a name it lacks won't build */
#define PROG(name) offsetof(struct tcpclose_bpf, progs.name)

/*
 * every backend's: the full socket's close, resets and FIN retransmits, the socket walk,
 * the tick that anchors jiffies to the clock
 */
static const size_t shared_progs[] = {
	PROG(tcpc_state), PROG(tcpc_destroy), PROG(tcpc_receive_reset), PROG(tcpc_send_reset),
	/* one of the two, by the tracepoint's arguments (loader.c) */
	PROG(tcpc_retransmit), PROG(tcpc_retransmit_err),
	PROG(tcpc_iter), PROG(tcpc_tick),
};

/* bpf/timer.bpf.c: the timer tracepoints, and the run that settles a cancel left alone */
static const size_t tracepoint_progs[] = {
	PROG(tcpc_timer_start), PROG(tcpc_timer_cancel), PROG(tcpc_timer_expire),
	PROG(tcpc_timer_exit), PROG(tcpc_flush),
};

/* bpf/fentry.bpf.c: the timewait functions and the TCP timer handlers */
static const size_t fentry_progs[] = {
	PROG(tcpc_fe_tw_schedule), PROG(tcpc_fe_tw_kill), PROG(tcpc_fe_tw_kill_any),
	PROG(tcpc_fe_tw_expire), PROG(tcpc_fe_tw_segment), PROG(tcpc_fe_keepalive),
	PROG(tcpc_fe_keepalive_exit), PROG(tcpc_fe_write_wakeup), PROG(tcpc_fe_write),
	PROG(tcpc_fe_write_exit),
};

/* bpf/kprobe.bpf.c: the same functions, probed */
static const size_t kprobe_progs[] = {
	PROG(tcpc_kp_tw_schedule), PROG(tcpc_kp_tw_kill), PROG(tcpc_kp_tw_kill_any),
	PROG(tcpc_kp_tw_expire), PROG(tcpc_kp_tw_segment), PROG(tcpc_kp_keepalive),
	PROG(tcpc_kp_keepalive_exit), PROG(tcpc_kp_write_wakeup), PROG(tcpc_kp_write),
	PROG(tcpc_kp_write_exit),
};

static const struct {
	const size_t *offs;
	int n;
} backend_progs[] = {
	[TCPC_BACKEND_TRACEPOINT] = { tracepoint_progs, ARRAY_SIZE(tracepoint_progs) },
	[TCPC_BACKEND_FENTRY] = { fentry_progs, ARRAY_SIZE(fentry_progs) },
	[TCPC_BACKEND_KPROBE] = { kprobe_progs, ARRAY_SIZE(kprobe_progs) },
};

_Static_assert(ARRAY_SIZE(shared_progs) <= BACKEND_MAX_PROGS &&
	       ARRAY_SIZE(tracepoint_progs) <= BACKEND_MAX_PROGS &&
	       ARRAY_SIZE(fentry_progs) <= BACKEND_MAX_PROGS &&
	       ARRAY_SIZE(kprobe_progs) <= BACKEND_MAX_PROGS, "raise BACKEND_MAX_PROGS");

const char *const backend__funcs[] = {
	"__inet_twsk_schedule", "inet_twsk_deschedule_put", "inet_twsk_kill", "tw_timer_handler",
	"tcp_timewait_state_process", "tcp_keepalive_timer", "tcp_write_timer", "tcp_write_wakeup",
	NULL,
};

static const char *const names[] = {
	[TCPC_BACKEND_AUTO] = "auto",
	[TCPC_BACKEND_TRACEPOINT] = "tracepoint",
	[TCPC_BACKEND_FENTRY] = "fentry",
	[TCPC_BACKEND_KPROBE] = "kprobe",
};

const char *backend__name(enum tcpc_backend b)
{
	return b <= TCPC_BACKEND_KPROBE ? names[b] : "?";
}

int backend__parse(const char *s, enum tcpc_backend *b)
{
	for (int i = 0; i <= TCPC_BACKEND_KPROBE; i++) {
		if (!strcmp(s, names[i])) {
			*b = i;
			return 0;
		}
	}
	return -EINVAL;
}

/*
 * can an fentry program load on func, and attach? One that returns 0, as libbpf-tools'
 * fentry_can_attach() loads, then attached for a moment: arm64 kernels before direct calls
 * from ftrace (Debian 12's 6.1) load it and refuse the attach (ENOTSUPP)
 */
static int fentry__attaches(const struct btf *btf, const char *func)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_FENTRY);
	int id, fd, link, err = 0;

	id = btf__find_by_name_kind(btf, func, BTF_KIND_FUNC);
	if (id <= 0)
		return -ENOENT;
	opts.attach_btf_id = id;
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "fentry_probe", "GPL", insns, 2, &opts);
	if (fd < 0)
		return -errno;
	/* the attach that works on every kernel with fentry (LINK_CREATE came later) */
	link = bpf_raw_tracepoint_open(NULL, fd);
	if (link < 0)
		err = -errno;
	else
		close(link);
	close(fd);
	return err;
}

void backend__probe(struct backend_support *s)
{
	struct btf *btf = btf__load_vmlinux_btf();
	unsigned long addrs[sizeof(backend__funcs) / sizeof(backend__funcs[0])] = {};
	int i, err;

	memset(s, 0, sizeof(*s));
	s->fentry_err = btf ? 0 : -ENOENT;
	for (i = 0; btf && backend__funcs[i] && !s->fentry_err; i++) {
		err = fentry__attaches(btf, backend__funcs[i]);
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

int backend__choose(enum tcpc_backend want, const struct backend_support *s,
		    enum tcpc_backend *got, char *why, int why_size)
{
	switch (want) {
	case TCPC_BACKEND_AUTO:
		*got = !s->fentry_err ? TCPC_BACKEND_FENTRY :
		       s->kprobe ? TCPC_BACKEND_KPROBE : TCPC_BACKEND_TRACEPOINT;
		return 0;
	case TCPC_BACKEND_TRACEPOINT:
		*got = want;
		return 0;
	case TCPC_BACKEND_FENTRY:
		if (!s->fentry_err) {
			*got = want;
			return 0;
		}
		/* ENOTSUPP, the kernel's own 524, has no strerror() */
		snprintf(why, why_size, "this kernel refuses fentry on %s: %s",
			 s->missing ?: "the timewait functions", s->fentry_err == -524 ?
			 "attaching is not supported (ENOTSUPP)" : strerror(-s->fentry_err));
		return -ENOTSUP;
	case TCPC_BACKEND_KPROBE:
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

static int progs__fill(const struct tcpclose_bpf *skel, const size_t *offs, int n,
		       struct bpf_program *progs[])
{
	for (int i = 0; i < n; i++)
		progs[i] = *(struct bpf_program *const *)((const char *)skel + offs[i]);
	return n;
}

int backend__progs(const struct tcpclose_bpf *skel, enum tcpc_backend b,
		   struct bpf_program *progs[BACKEND_MAX_PROGS])
{
	if (b < TCPC_BACKEND_TRACEPOINT || b > TCPC_BACKEND_KPROBE)
		return 0;
	return progs__fill(skel, backend_progs[b].offs, backend_progs[b].n, progs);
}

int backend__shared_progs(const struct tcpclose_bpf *skel,
			  struct bpf_program *progs[BACKEND_MAX_PROGS])
{
	return progs__fill(skel, shared_progs, ARRAY_SIZE(shared_progs), progs);
}

/* the others' hooks may not exist here: their programs must not even load */
void backend__select(struct tcpclose_bpf *skel, enum tcpc_backend b)
{
	struct bpf_program *progs[BACKEND_MAX_PROGS];

	for (enum tcpc_backend each = TCPC_BACKEND_TRACEPOINT; each <= TCPC_BACKEND_KPROBE; each++) {
		int n = backend__progs(skel, each, progs);

		for (int i = 0; i < n; i++)
			bpf_program__set_autoload(progs[i], each == b);
	}
}
