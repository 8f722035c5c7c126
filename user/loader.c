// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/tcp.h>
#include <bpf/bpf.h>
#include "clock.h"
#include "tcpclose.skel.h"
#include "cas.h"
#include "loader.h"
#include "probe.h"

#define SETTLE_AGE_NS (50 * 1000000ULL)

/*
 * What a hash map element costs beyond its key and value: the kernel's struct htab_elem (48
 * bytes since 5.10: bpftool btf dump file /sys/kernel/btf/vmlinux) and, since 6.1, the 8 of
 * the BPF allocator's free list. A 'tws' element is then 96 bytes, a slab object's size.
 * Preallocated, 88: the elements are one array, with no allocator's word.
 */
#define HTAB_ELEM_HEADER 48
#define HTAB_ELEM_OVERHEAD (HTAB_ELEM_HEADER + 8)
#define HTAB_BUCKET 16

/*
 * Preallocate 'tws'? Taken at start, its elements come off a per-CPU free list, mostly the
 * one a timewait socket's expiry just gave back, likely warmer than the BPF allocator's:
 * 0.4 us of BPF a connection less in a burst, 0.9 to 2.8 at the steady state (COST.md). But
 * it holds all of --max-tw from the start, whatever the host's TIME_WAIT: auto does so only
 * up to TCPC_TW_UPFRONT_AUTO entries, as tcp_max_tw_buckets is unless raised.
 */
static bool tw_alloc__upfront(enum tcpc_tw_alloc mode, unsigned long max_tw)
{
	if (mode == TCPC_TW_ALLOC_AUTO)
		return max_tw <= TCPC_TW_UPFRONT_AUTO;
	return mode == TCPC_TW_ALLOC_UPFRONT;
}

/* the kernel memory of 'tws' preallocated for n entries: its elements and its buckets */
static __u64 tws__upfront_bytes(const struct bpf_map *map, unsigned long n)
{
	__u64 elem = HTAB_ELEM_HEADER + ((bpf_map__key_size(map) + 7) & ~7U) +
		     ((bpf_map__value_size(map) + 7) & ~7U);
	__u64 buckets = 1;

	while (buckets < n)
		buckets <<= 1;
	return elem * n + buckets * HTAB_BUCKET;
}

/* fill_cidrs() puts every --laddr (--raddr) in one trie */

static int fail(const char *what, int err)
{
	/* as root, EACCES is the verifier's refusal, not a missing privilege */
	if ((err == -EPERM || err == -EACCES) && geteuid() != 0)
		fprintf(stderr, "tcpclose: %s: permission denied: run as root, or with CAP_BPF, CAP_PERFMON and CAP_SYSLOG\n",
			what);
	else
		fprintf(stderr, "tcpclose: %s: %s (run with -v for libbpf's details)\n", what,
			strerror(-err));
	return err;
}

/*
 * As many timewait sockets as the kernel keeps at once in this network namespace
 * (net.ipv4.tcp_max_tw_buckets, sized by the kernel from its memory): past that it makes
 * none, so following more is waste and following fewer loses records. TCPC_MAX_TW if
 * unreadable.
 */
static unsigned long tw_buckets(void)
{
	unsigned long n = 0;
	FILE *f = fopen("/proc/sys/net/ipv4/tcp_max_tw_buckets", "r");

	if (f) {
		if (fscanf(f, "%lu", &n) != 1)
			n = 0;
		fclose(f);
	}
	/* the map needs one entry at least; --max-tw's own bound above */
	if (!n)
		return TCPC_MAX_TW;
	return n > TCPC_MAX_TW_LIMIT ? TCPC_MAX_TW_LIMIT : n;
}

/* the bytes each of ncpus CPUs sends into a ring buffer of size before it wakes the reader */
static __u32 ringbuf__batch(__u32 size, int ncpus)
{
	__u32 share = size / 16 / (ncpus > 0 ? ncpus : 1);

	return share < TCPC_WAKEUP_BYTES ? share : TCPC_WAKEUP_BYTES;
}

/*
 * Can timewait sockets be followed without an entry (bpf/timewait_noentry.bpf.h)? Only where
 * nothing asks the kernel about a timewait socket: -p and --cgroup keep there the verdict
 * its full socket had (without it every socket's end would be sent). The walks of --stuck
 * and top read a timewait socket's process and age from its head here (walk.c).
 * --hist counts the dwells of such a record in user space once it is settled (core.c); with
 * --hist alone the heads are sent all the same, and no other record.
 */
static bool tw_entry__needed(const struct tcpc_opts *opts)
{
	return opts->tw_entry_always || opts->pid || opts->cgroup_id;
}

/*
 * The slots in front of conns (bpf/conns.bpf.h): TCPC_CONN_SLOTS, or as many as half of
 * --max-closing (a power of two), so that slots and hash together hold no more than it; none
 * below 2, which a hash of the address cannot choose between.
 */
static __u32 conn_slots(__u32 max_closing)
{
	__u32 n = TCPC_CONN_SLOTS;

	while (n > max_closing / 2)
		n /= 2;
	return n >= 2 ? n : 0;
}

static int configure(struct loader *l, const struct tcpc_opts *opts)
{
	struct tcpclose_bpf *skel = l->skel;
	long long pc_off;
	int nargs, err;

	skel->rodata->filter_netns = opts->netns;
	skel->rodata->filter_pid = opts->pid;
	skel->rodata->filter_lport = opts->lport;
	skel->rodata->filter_dport = opts->dport;
	skel->rodata->filter_family = opts->family;
	skel->rodata->emit_transitions = opts->transitions;
	skel->rodata->kernel_hz = l->hz;
	skel->rodata->hist_enabled = opts->hist;
	skel->rodata->stuck_ns = opts->stuck * 1000000000ULL;
	skel->rodata->filter_cgroup = opts->cgroup_id;
	skel->rodata->filter_cgroup_level = opts->cgroup_level;
	skel->rodata->filter_laddr = opts->nr_laddrs > 0;
	skel->rodata->filter_raddr = opts->nr_raddrs > 0;
	/* x86 keeps it per CPU: without it, records name no process in doubt (context.bpf.h) */
	switch (probe__preempt_count(&pc_off)) {
	case PROBE_PREEMPT_PERCPU:
	case PROBE_PREEMPT_PERCPU_KSYMS:
		skel->rodata->preempt_count_off = pc_off;
		break;
	default:
		break;
	}
	/* --hist alone wants no record per connection: the kernel counts (timewait sockets'
	 * heads and events still go, for user space to count) */
	l->records = !opts->hist || opts->json || opts->metrics || opts->ladder || opts->ladder_svg;
	skel->rodata->emit_records = l->records;
	bpf_map__set_max_entries(skel->maps.events, opts->ringbuf_size);
	/*
	 * Each CPU asks the ring how much is unread after its share of a batch: all of them
	 * together after at most a sixteenth of the ring buffer (a small --ringbuf-size must not
	 * fill before the reader is woken), one of them after at most TCPC_WAKEUP_BYTES. The
	 * reader is woken if a sixteenth is unread (bpf/tcpclose.bpf.h, ringbuf__flags()).
	 */
	skel->rodata->ringbuf_batch = ringbuf__batch(opts->ringbuf_size, libbpf_num_possible_cpus());
	skel->rodata->ringbuf_wake_bytes = opts->ringbuf_size / 16;
	l->max_tw = opts->max_tw ? opts->max_tw : tw_buckets();
	l->tw_entryless = !tw_entry__needed(opts);
	skel->rodata->tw_entryless = l->tw_entryless;
	/* without entries the map is never used: one entry, taking no memory until then */
	bpf_map__set_max_entries(skel->maps.tws, l->tw_entryless ? 1 : l->max_tw);
	if (!l->tw_entryless)
		bpf_map__set_max_entries(skel->maps.tw_ends_lost, 1);
	l->tw_upfront = !l->tw_entryless && tw_alloc__upfront(opts->tw_alloc, l->max_tw);
	if (l->tw_upfront) {
		bpf_map__set_map_flags(skel->maps.tws,
				       bpf_map__map_flags(skel->maps.tws) & ~BPF_F_NO_PREALLOC);
		l->tw_table_bytes = tws__upfront_bytes(skel->maps.tws, l->max_tw);
	}
	/* no slots where the kernel has no BPF atomics: it refuses a program that holds one */
	l->conn_slots = 0;
	if (cas__supported())
		l->conn_slots = conn_slots(opts->max_closing);
	else if ((err = cas__fail_programs(skel->obj)))
		return fail("preparing the BPF programs for a kernel without BPF atomics", err);
	/* 0: no slots; there are never fewer than 2 */
	skel->rodata->conn_slots_bits = l->conn_slots ? __builtin_ctz(l->conn_slots) : 0;
	bpf_map__set_max_entries(skel->maps.conn_slots, l->conn_slots ? l->conn_slots : 1);
	bpf_map__set_max_entries(skel->maps.conns, opts->max_closing - l->conn_slots);
	/* a per-CPU copy of every bucket only for --hist: 37 KiB a CPU and close state */
	if (!opts->hist)
		bpf_map__set_max_entries(skel->maps.hists, 1);

	/* tcp_retransmit_skb gained 'err' and fires for failed attempts too: pick by its BTF */
	nargs = probe__tp_btf_nargs("tcp_retransmit_skb");
	bpf_program__set_autoload(skel->progs.tcpc_retransmit, nargs < 3);
	bpf_program__set_autoload(skel->progs.tcpc_retransmit_err, nargs >= 3);
	/*
	 * The tracepoint backend tells where a timewait socket's early kill comes from by the
	 * functions on its stack (timewait_tracepoint.bpf.h): a process's (tcp_abort()) from a
	 * segment's. tcp_send_reset sees a timewait socket's resets since it gained 'reason'
	 * (6.10); before, the same stack tells the reset an orphaned FIN_WAIT2 sends from one
	 * it takes in.
	 */
	if (l->backend == TCPC_BACKEND_TRACEPOINT) {
		static const char *const fns[TW_KILL_NR] = {
			[TW_KILL_PROCESS] = "tcp_timewait_state_process",
			[TW_KILL_V4_RCV] = "tcp_v4_rcv", [TW_KILL_V6_RCV] = "tcp_v6_rcv",
			[TW_KILL_ABORT] = "tcp_abort",
		};
		unsigned long start, end;

		for (int i = 0; i < TW_KILL_NR; i++)
			if (!probe__ksym_range(fns[i], &start, &end)) {
				skel->rodata->tw_kill_text[i][0] = start;
				skel->rodata->tw_kill_text[i][1] = end;
			}
		skel->rodata->tw_reset_by_stack = probe__tp_btf_nargs("tcp_send_reset") < 3 &&
						  skel->rodata->tw_kill_text[TW_KILL_V4_RCV][1];
	}
	if (opts->netns_path) {
		/* the cookie is read from inside the namespace: entering it needs CAP_SYS_ADMIN */
		skel->rodata->filter_netns_cookie = probe__netns_cookie(opts->netns_path);
		if (!skel->rodata->filter_netns_cookie && errno == EPERM) {
			fprintf(stderr, "tcpclose: cannot enter network namespace '%s' to identify it: run as root or with CAP_SYS_ADMIN\n",
				opts->netns_path);
			return -EPERM;
		}
	}
	/* run on demand by loader__settle_timewait(), never attached */
	bpf_program__set_autoattach(skel->progs.tcpc_flush, false);
	/* load the programs of one backend only */
	backend__select(skel, l->backend);
	skel->rodata->tw_rearms_seen = l->backend != TCPC_BACKEND_TRACEPOINT;
	return 0;
}

static int fill_cidrs(struct bpf_map *map, const struct tcpc_cidr_key *keys, int n)
{
	__u8 one = 1;

	for (int i = 0; i < n; i++)
		if (bpf_map__update_elem(map, &keys[i], sizeof(keys[i]), &one, sizeof(one), 0))
			return -errno;
	return 0;
}

int loader__open(struct loader *l, const struct tcpc_opts *opts, ring_buffer_sample_fn fn,
		 void *ctx)
{
	int err;

	struct backend_support support;
	char why[160];

	memset(l, 0, sizeof(*l));
	if (!probe__has_btf()) {
		fprintf(stderr, "tcpclose: this kernel has no BTF (/sys/kernel/btf/vmlinux is missing): it needs CONFIG_DEBUG_INFO_BTF=y\n");
		return -ENOTSUP;
	}
	backend__probe(&support);
	err = backend__choose(opts->backend, &support, &l->backend, why, sizeof(why));
	if (err) {
		fprintf(stderr, "tcpclose: --backend %s: %s; 'tcpclose features' shows what this kernel offers\n",
			backend__name(opts->backend), why);
		return err;
	}
	/* the timer programs tell TCP timers by their handlers' addresses, which libbpf reads
	 * from /proc/kallsyms: hidden addresses would read as 0 and TIME_WAIT go unseen */
	if (l->backend == TCPC_BACKEND_TRACEPOINT && !probe__ksym("tw_timer_handler")) {
		fprintf(stderr, "tcpclose: kernel symbol addresses are hidden from this process (/proc/kallsyms shows 0): run as root or with CAP_SYSLOG\n");
		return -EPERM;
	}
	l->hz = probe__kernel_hz();
	if (!l->hz) {
		fprintf(stderr, "tcpclose: cannot tell the kernel's HZ (no /proc/config.gz, /boot/config-*, or /proc/timer_list); TIME_WAIT times assume 250\n");
		l->hz = 250;
	}
	l->ncpus = libbpf_num_possible_cpus();
	if (l->ncpus < 0)
		return fail("counting CPUs", l->ncpus);

	l->skel = tcpclose_bpf__open();
	if (!l->skel)
		return fail("opening the BPF object", -errno);
	err = configure(l, opts);
	if (err)
		return err;

	err = tcpclose_bpf__load(l->skel);
	if (err == -ENOMEM && l->tw_upfront) {
		fprintf(stderr, "tcpclose: cannot take %.1f MiB of kernel memory for %lu timewait sockets at once: lower --max-tw, or give --tw-alloc ondemand\n",
			l->tw_table_bytes / 1048576.0, l->max_tw);
		return err;
	}
	if (err)
		return fail("loading the BPF programs", err);
	err = fill_cidrs(l->skel->maps.laddrs, opts->laddrs, opts->nr_laddrs);
	if (!err)
		err = fill_cidrs(l->skel->maps.raddrs, opts->raddrs, opts->nr_raddrs);
	if (err)
		return fail("setting the address filters", err);
	err = tcpclose_bpf__attach(l->skel);
	if (err)
		return fail("attaching the BPF programs", err);

	l->rb = ring_buffer__new(bpf_map__fd(l->skel->maps.events), fn, ctx, NULL);
	if (!l->rb)
		return fail("opening the ring buffer", -errno);
	l->tw_heads = tw_join__new(l->tw_entryless);
	if (!l->tw_heads)
		return fail("allocating", -ENOMEM);
	return 0;
}

void loader__settle_timewait(struct loader *l, bool all)
{
	struct tcpc_tw_pending *p;
	size_t sz = (sizeof(*p) + 7) & ~7UL;
	__u32 zero = 0;
	char *vals;
	__u64 now;

	vals = calloc(l->ncpus, sz);
	if (!vals)
		return;
	if (bpf_map__lookup_elem(l->skel->maps.tw_pending, &zero, sizeof(zero), vals,
				 l->ncpus * sz, 0))
		goto out;
	now = clock__now_ns();
	for (int cpu = 0; cpu < l->ncpus; cpu++) {
		__u64 seen[2];
		LIBBPF_OPTS(bpf_test_run_opts, run, .flags = BPF_F_TEST_RUN_ON_CPU, .cpu = cpu,
			    .ctx_in = seen, .ctx_size_in = sizeof(seen));

		p = (void *)(vals + cpu * sz);
		if (!p->tw || (!all && now - p->ts_ns < SETTLE_AGE_NS))
			continue;
		/* the BPF side decides and sends the record, on that CPU, if the cancel there
		 * is still the one read here */
		seen[0] = p->tw;
		seen[1] = p->ts_ns;
		bpf_prog_test_run_opts(bpf_program__fd(l->skel->progs.tcpc_flush), &run);
	}
out:
	free(vals);
}

/* the keys of map (a walk whose current key is deleted starts over): free() them */
static __u64 *map__keys(struct bpf_map *map, size_t *n)
{
	__u64 *keys = NULL, *more, key, *prev = NULL;
	size_t cap = 0;

	*n = 0;
	while (!bpf_map__get_next_key(map, prev, &key, sizeof(key))) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 256;
			more = realloc(keys, cap * sizeof(*keys));
			if (!more)
				break;
			keys = more;
		}
		keys[(*n)++] = key;
		prev = &keys[*n - 1];
	}
	return keys;
}

/* a taken entry pick() wants, forgotten already: its record to fn */
static void conns__flush_one(struct tcpc_closing *c, ring_buffer_sample_fn fn, void *ctx)
{
	struct tcpc_conn rec;

	/* ended (CLOSE, or as far as seen): when its last state began */
	tcpc_closing__record(&rec, c, c->enter_ns, 0, 0);
	fn(ctx, &rec, sizeof(rec));
}

/*
 * Hand fn the entries of 'conns' and its slots that pick() wants, each forgotten first (a
 * program must not send it a second time); pick may finish the record. Returns how many.
 * Only once the programs are detached: a slot is freed by a plain write, and conns_hashed
 * is left as it is, as nothing reads it any more.
 */
static int conns__flush(struct loader *l, bool (*pick)(struct tcpc_closing *c, __u8 mark),
			__u8 mark, ring_buffer_sample_fn fn, void *ctx)
{
	struct bpf_map *map = l->skel->maps.conns, *slots = l->skel->maps.conn_slots;
	size_t nkeys;
	__u64 *keys = map__keys(map, &nkeys);
	struct tcpc_conn_slot s;
	struct tcpc_closing c;
	int n = 0;

	for (size_t i = 0; i < nkeys; i++) {
		if (bpf_map__lookup_elem(map, &keys[i], sizeof(keys[i]), &c, sizeof(c), 0) ||
		    !pick(&c, mark))
			continue;
		if (!bpf_map__delete_elem(map, &keys[i], sizeof(keys[i]), 0)) {
			conns__flush_one(&c, fn, ctx);
			n++;
		}
	}
	free(keys);
	for (__u32 i = 0; i < l->conn_slots; i++) {
		if (bpf_map__lookup_elem(slots, &i, sizeof(i), &s, sizeof(s), 0) || !s.sk ||
		    !pick(&s.c, mark))
			continue;
		s.sk = 0;
		if (!bpf_map__update_elem(slots, &i, sizeof(i), &s, sizeof(s), 0)) {
			conns__flush_one(&s.c, fn, ctx);
			n++;
		}
	}
	return n;
}

/*
 * The timewait sockets followed that the walk which marked with mark did not find: each
 * gone unseen, its end sent to fn as the BPF side sends one, its state closed at the moment
 * it began (when it ended is unknown).
 */
static int tws__flush_unseen(struct loader *l, __u8 mark, ring_buffer_sample_fn fn, void *ctx)
{
	struct bpf_map *map = l->skel->maps.tws;
	size_t nkeys;
	__u64 *keys = map__keys(map, &nkeys);
	struct tcpc_tw t;
	int n = 0;

	for (size_t i = 0; i < nkeys; i++) {
		struct tcpc_tw_event ev = { .type = TCPC_EV_TW_END, .tw = keys[i] };

		if (bpf_map__lookup_elem(map, &keys[i], sizeof(keys[i]), &t, sizeof(t), 0) ||
		    t.walk_mark == mark || bpf_map__delete_elem(map, &keys[i], sizeof(keys[i]), 0))
			continue;
		/* its record was lost to a full ring buffer, and counted then */
		if (t.flags & TCPC_TWF_LOST)
			continue;
		ev.state = t.state;
		ev.flags = t.flags | TCPC_TWF_END_UNSEEN;
		ev.rcv_nxt = t.rcv_nxt;
		ev.snd_nxt = t.snd_nxt;
		ev.enter_ns = ev.ns = tcpc_tw__enter_ns(&t);
		fn(ctx, &ev, sizeof(ev));
		n++;
	}
	free(keys);
	return n;
}

static bool awaits_owner(struct tcpc_closing *c, __u8 mark)
{
	return c->await_owner;
}

int loader__flush_awaiting(struct loader *l, ring_buffer_sample_fn fn, void *ctx)
{
	return conns__flush(l, awaits_owner, 0, fn, ctx);
}

/*
 * Not found by the walk that marked with mark, and waiting for nothing: its socket went
 * away unseen. Finished as conn__send_unseen() finishes one: as far as it was seen, its
 * last state closed at the moment it began.
 */
static bool went_unseen(struct tcpc_closing *c, __u8 mark)
{
	if (c->walk_mark == mark || c->await_owner || c->await_reset)
		return false;
	c->flags |= TCPC_F_END_UNSEEN;
	c->state = TCP_CLOSE;
	if (!c->start_ns)
		c->start_ns = c->enter_ns;
	return true;
}

struct unseen_to {
	ring_buffer_sample_fn fn;
	void *ctx;
};

static void unseen__deliver(void *ctx, const struct tcpc_conn *rec)
{
	struct unseen_to *to = ctx;

	to->fn(to->ctx, (void *)rec, sizeof(*rec));
}

int loader__flush_unseen(struct loader *l, __u8 mark, ring_buffer_sample_fn fn, void *ctx,
			 int *timewait)
{
	int n = conns__flush(l, went_unseen, mark, fn, ctx);
	struct unseen_to to = { fn, ctx };

	if (!l->tw_entryless) {
		*timewait = tws__flush_unseen(l, mark, fn, ctx);
		return n + *timewait;
	}
	/* the heads are all there is of them: forgotten as they are sent */
	*timewait = 0;
	return n + tw_join__unmarked(l->tw_heads, mark, unseen__deliver, &to);
}

long loader__take_lost_ends(struct loader *l, struct tcpc_tw_found *f, long max)
{
	long n = 0;

	while (n < max && !bpf_map__lookup_and_delete_elem(l->skel->maps.tw_ends_lost, NULL, 0,
							    &f[n], sizeof(f[n]), 0))
		n++;
	return n;
}

bool loader__tw_followed(struct loader *l, __u64 tw)
{
	struct tcpc_tw t;

	return !bpf_map__lookup_elem(l->skel->maps.tws, &tw, sizeof(tw), &t, sizeof(t), 0);
}

void loader__detach(struct loader *l)
{
	const struct bpf_object_skeleton *s = l->skel->skeleton;

	for (int i = 0; i < s->prog_cnt; i++) {
		const struct bpf_prog_skeleton *p = (const void *)s->progs + i * s->prog_skel_sz;

		/* the walks still need theirs */
		if (*p->prog == l->skel->progs.tcpc_iter || !*p->link)
			continue;
		bpf_link__destroy(*p->link);
		*p->link = NULL;
	}
}

int loader__bpf_usable(struct loader *l)
{
	__u64 *vals = calloc(l->ncpus, sizeof(__u64));
	__u32 zero = 0;
	int err = 0, fd;

	if (!vals)
		return -ENOMEM;
	if (bpf_map__lookup_elem(l->skel->maps.drops, &zero, sizeof(zero), vals,
				 l->ncpus * sizeof(__u64), 0))
		err = -errno;
	free(vals);
	if (err || !l->skel->links.tcpc_iter)
		return err;
	fd = bpf_iter_create(bpf_link__fd(l->skel->links.tcpc_iter));
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

void loader__drops(struct loader *l, __u64 drops[TCPC_NR_DROPS])
{
	__u64 *vals = calloc(l->ncpus, sizeof(__u64));
	static bool warned;

	memset(drops, 0, sizeof(__u64) * TCPC_NR_DROPS);
	if (!vals)
		return;
	for (__u32 k = 0; k < TCPC_NR_DROPS; k++) {
		if (bpf_map__lookup_elem(l->skel->maps.drops, &k, sizeof(k), vals,
					 l->ncpus * sizeof(__u64), 0)) {
			/* a count that cannot be read must not pass for none lost */
			if (!warned) {
				warned = true;
				fprintf(stderr, "tcpclose: reading the loss counts: %s (the counts shown leave them out)\n",
					strerror(errno));
			}
			continue;
		}
		for (int cpu = 0; cpu < l->ncpus; cpu++)
			drops[k] += vals[cpu];
	}
	free(vals);
}

__u64 loader__tw_live(struct loader *l, __u64 *bytes)
{
	__s64 *vals, sum = 0;
	__u32 zero = 0;

	/* no kernel memory: their heads here are what is kept of them */
	if (l->tw_entryless) {
		if (bytes)
			*bytes = 0;
		return tw_join__count(l->tw_heads);
	}
	vals = calloc(l->ncpus, sizeof(__s64));

	if (vals && !bpf_map__lookup_elem(l->skel->maps.tw_live, &zero, sizeof(zero), vals,
					  l->ncpus * sizeof(__s64), 0))
		for (int cpu = 0; cpu < l->ncpus; cpu++)
			sum += vals[cpu];
	free(vals);
	if (sum < 0)
		sum = 0;
	if (bytes && l->tw_upfront)
		*bytes = l->tw_table_bytes;
	else if (bytes)
		*bytes = sum * (bpf_map__key_size(l->skel->maps.tws) +
				bpf_map__value_size(l->skel->maps.tws) + HTAB_ELEM_OVERHEAD);
	return sum;
}

void loader__misses_each(struct loader *l,
			 void (*fn)(const struct bpf_program *prog, __u64 misses, void *ctx),
			 void *ctx)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, l->skel->obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len) && info.recursion_misses)
			fn(prog, info.recursion_misses, ctx);
	}
}

struct misses {
	const struct bpf_program *state_prog;
	__u64 *state, *other;
};

static void misses__add(const struct bpf_program *prog, __u64 misses, void *ctx)
{
	struct misses *m = ctx;

	*(prog == m->state_prog ? m->state : m->other) += misses;
}

void loader__misses(struct loader *l, __u64 *state, __u64 *other)
{
	struct misses m = { l->skel->progs.tcpc_state, state, other };

	*state = *other = 0;
	loader__misses_each(l, misses__add, &m);
}

void loader__close(struct loader *l)
{
	tw_join__free(l->tw_heads);
	ring_buffer__free(l->rb);
	tcpclose_bpf__destroy(l->skel);
	memset(l, 0, sizeof(*l));
}
