/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Open, configure, load and attach the BPF programs, and read what they count. */
#ifndef __LOADER_H
#define __LOADER_H

#include <stdbool.h>
#include <bpf/libbpf.h>
#include "args.h"
#include "backend.h"
#include "tw_join.h"
#include "tcpclose.h"

struct tcpclose_bpf;

struct loader {
	struct tcpclose_bpf *skel;
	struct ring_buffer *rb;
	int ncpus;
	unsigned int hz;
	enum tcpc_backend backend;	/* the one chosen: never TCPC_BACKEND_AUTO */
	unsigned int walk_denied;	/* namespaces a walk could not enter (no CAP_SYS_ADMIN) */
	unsigned long max_tw;		/* timewait sockets followed at once (--max-tw, or as
					 * many as tcp_max_tw_buckets) */
	__u32 conn_slots;		/* slots in front of 'conns' (bpf/conns.bpf.h), 0 if none */
	bool records;			/* a record per connection is wanted: not --hist alone */
	bool tw_entryless;		/* timewait sockets followed without entries in 'tws' */
	bool tw_upfront;		/* 'tws' preallocated (--tw-alloc) */
	__u64 tw_table_bytes;		/* then: its kernel memory, all taken at load */
	struct tw_join *tw_heads;	/* the heads of the records they carry on (tw_join.h) */
};

/*
 * Everything from opening the skeleton to a ring buffer ready to poll; on failure a one-line
 * message naming what is missing has been printed and a negative errno is returned.
 */
int loader__open(struct loader *l, const struct tcpc_opts *opts, ring_buffer_sample_fn fn,
		 void *ctx);

/* settle the timewait sockets whose cancel nothing followed: those older than 50 ms, or
 * (at exit) all of them */
void loader__settle_timewait(struct loader *l, bool all);

/*
 * Hand fn the records still waiting for the process that holds their socket to close it (a
 * connection reset or timed out under an application that has not closed it yet), as they
 * are, and forget them: at exit, so that none is lost. Returns how many.
 */
int loader__flush_awaiting(struct loader *l, ring_buffer_sample_fn fn, void *ctx);

/*
 * At exit, after a TCPC_ITER_MARK walk with mark: send the entries (of full and of timewait
 * sockets) whose socket that walk did not find (it went away with none of its last events
 * seen), marked end_unseen, and forget them: a full socket's as its record, a timewait
 * socket's as the end of its record (struct tcpc_tw_event). Returns how many; *timewait,
 * how many of them were timewait sockets followed.
 */
int loader__flush_unseen(struct loader *l, __u8 mark, ring_buffer_sample_fn fn, void *ctx,
			 int *timewait);

/*
 * Without timewait entries: up to max of the sockets whose end the ring buffer had no room
 * for (the BPF side names them in 'tw_ends_lost'), taken from that queue into f: how many.
 * Their heads are to be forgotten (tw_join__forget_found()) once what was sent before is read.
 */
long loader__take_lost_ends(struct loader *l, struct tcpc_tw_found *f, long max);

/* is the timewait socket tw followed now (an entry in 'tws')? */
bool loader__tw_followed(struct loader *l, __u64 tw);

/* detach every program but the walks': at exit, so that nothing changes under them */
void loader__detach(struct loader *l);

/*
 * 0 if this process may make the bpf() commands a run makes after start-up (read a map,
 * start a walk), or -errno: --user asks, as it drops root (privs.c).
 */
int loader__bpf_usable(struct loader *l);

/* the loss counters, summed over CPUs; a count it cannot read is said once on stderr */
void loader__drops(struct loader *l, __u64 drops[TCPC_NR_DROPS]);

/* timewait sockets followed now, and roughly the kernel memory that takes */
__u64 loader__tw_live(struct loader *l, __u64 *bytes);

/*
 * Runs the kernel skipped because the program was already running on that CPU (a softirq
 * interrupting it): of tcpc_state, which may cost a close state (the record is then sent when
 * the socket is destroyed), and of the others, nearly all for timers that are not TCP's.
 */
void loader__misses(struct loader *l, __u64 *state, __u64 *other);
/* fn for each program some of whose runs the kernel skipped (nested in another run of it) */
void loader__misses_each(struct loader *l,
			 void (*fn)(const struct bpf_program *prog, __u64 misses, void *ctx),
			 void *ctx);

void loader__close(struct loader *l);

#endif /* __LOADER_H */
