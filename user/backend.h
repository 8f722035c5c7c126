/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Which hooks follow timewait sockets and TCP timers: the timer tracepoints everywhere, or,
 * where the kernel allows it, fentry or kprobes on the kernel's own timewait functions
 * (exact re-arms and kill causes, and no cost on the host's other timers). Chosen by
 * probing what loads and attaches, never by kernel version.
 */
#ifndef __BACKEND_H
#define __BACKEND_H

#include <stdbool.h>

struct tcpclose_bpf;
struct bpf_program;

enum tcpc_backend {
	TCPC_BACKEND_AUTO,
	TCPC_BACKEND_TRACEPOINT,
	TCPC_BACKEND_FENTRY,
	TCPC_BACKEND_KPROBE,
};

struct backend_support {
	int fentry_err;		/* 0 if fentry loads and attaches on every function below, else -errno */
	bool kprobe;		/* kprobes exist and every function below is in kallsyms */
	const char *missing;	/* a function the kernel lacks, if one does */
};

/* the kernel functions the fentry and kprobe backends hook, NULL-ended */
extern const char *const backend__funcs[];

const char *backend__name(enum tcpc_backend b);

/* "auto", "tracepoint", "fentry", "kprobe"; -EINVAL for anything else */
int backend__parse(const char *s, enum tcpc_backend *b);

void backend__probe(struct backend_support *s);

/*
 * The backend to use for 'want' on a kernel offering s: auto takes fentry, else kprobe,
 * else the tracepoints. Asked for one the kernel lacks: -ENOTSUP, and why in a line.
 */
int backend__choose(enum tcpc_backend want, const struct backend_support *s,
		    enum tcpc_backend *got, char *why, int why_size);

/* room enough for the programs of any one list below */
#define BACKEND_MAX_PROGS 16

/*
 * The skeleton's programs that only backend b (tracepoint, fentry or kprobe) loads, from
 * the lists in backend.c: fills progs and returns how many (0 for auto, no backend).
 */
int backend__progs(const struct tcpclose_bpf *skel, enum tcpc_backend b,
		   struct bpf_program *progs[BACKEND_MAX_PROGS]);

/* the skeleton's programs that every backend loads */
int backend__shared_progs(const struct tcpclose_bpf *skel,
			  struct bpf_program *progs[BACKEND_MAX_PROGS]);

/* before load: keep the programs of backend b, turn off the other backends' */
void backend__select(struct tcpclose_bpf *skel, enum tcpc_backend b);

#endif /* __BACKEND_H */
