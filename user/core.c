// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* core: poll, deliver to consumers, settle, drain; see core.h */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/libbpf.h>
#include "clock.h"
#include "core.h"
#include "walk.h"

/*
 * Longer than the 50 ms loader__settle_timewait() leaves a cancel for what follows it: a
 * timewait socket pending at the end is decided as it would have been while running.
 */
#define DRAIN_SETTLE_NS (60 * 1000000L)

/* how often core__sweep_heads() looks whether the ring buffer lost anything */
#define SWEEP_NS (10 * 1000000000ULL)

/* the longest the memory of heads gone waits for a poll that finds nothing to read */
#define TRIM_NS (10 * 1000000000ULL)

static void core__deliver(struct core *t, const struct tcpc_conn *rec)
{
	/* --hist alone: what comes is a timewait socket's record, for its dwells only */
	if (!t->loader.records)
		return;
	t->records++;
	for (int i = 0; i < t->nconsumers; i++)
		t->consumers[i].record(t->consumers[i].ctx, rec);
}

/* a record's head or its timewait phase's events: delivered once whole (tw_join.h) */
static void core__join(struct core *t, const void *ev)
{
	struct tcpc_conn whole;
	int n = tw_join__take(t->loader.tw_heads, ev, &whole);

	if (n > 0) {
		if (t->hists)
			hist__add_record(t->hists, &whole);
		core__deliver(t, &whole);
	} else if (n < 0)
		t->join_lost++;
}

/* one event, taken now */
static int core__take(struct core *t, const void *data, size_t size)
{
	__u8 type = *(const __u8 *)data;

	if (type == TCPC_EV_CLOSE && size >= sizeof(struct tcpc_conn)) {
		if (((const struct tcpc_conn *)data)->flags & TCPC_F_TW_HEAD)
			core__join(t, data);
		else
			core__deliver(t, data);
	} else if ((type == TCPC_EV_TW_RESTART || type == TCPC_EV_TW_END) &&
		   size >= sizeof(struct tcpc_tw_event)) {
		core__join(t, data);
	} else if (type == TCPC_EV_TW_SEEN && size >= sizeof(struct tcpc_tw_seen)) {
		core__join(t, data);
	} else if (type == TCPC_EV_TRANSITION && size >= sizeof(struct tcpc_transition)) {
		t->transitions++;
		for (int i = 0; i < t->nconsumers; i++)
			if (t->consumers[i].transition)
				t->consumers[i].transition(t->consumers[i].ctx, data);
	}
	return 0;
}

/*
 * The most bytes of events the backlog holds, and a ring buffer more: past that, the ring
 * buffer is left to fill (what it cannot take is counted lost, in the kernel) until the
 * backlog is taken down. A million timewait ends are 56 MB.
 */
#define BACKLOG_MAX (64UL << 20)

static int core__fill(void *ctx)
{
	struct core *t = ctx;

	return ring_buffer__consume(t->loader.rb);
}

static void core__take_one(void *ctx, const void *ev, size_t size)
{
	core__take(ctx, ev, size);
}

static void core__prefetch(void *ctx, const void *ev, bool head)
{
	struct core *t = ctx;

	tw_join__prefetch(t->loader.tw_heads, ev, head);
}

static const struct pump_ops core__pump_ops = {
	.fill = core__fill,
	.take = core__take_one,
	.prefetch = core__prefetch,
};

/* the ring buffer's callback: the event copied to the backlog, its room freed at once */
static int core__on_event(void *ctx, void *data, size_t size)
{
	struct core *t = ctx;

	return pump__push(&t->pump, data, size);
}

/* every event sent by now, taken (pump.h): how many were read, or a negative errno */
static int core__read(struct core *t)
{
	return pump__read(&t->pump);
}

void core__consume_with(struct core *t, const struct core_consumer *c)
{
	if (t->nconsumers < CORE_MAX_CONSUMERS)
		t->consumers[t->nconsumers++] = *c;
}

int core__open(struct core *t, const struct tcpc_opts *opts)
{
	int err;

	t->filter_pid = opts->pid;
	t->pump = (struct pump){ .ops = &core__pump_ops, .ctx = t, .max_bytes = BACKLOG_MAX,
				 .source_bytes = opts->ringbuf_size };
	err = loader__open(&t->loader, opts, core__on_event, t);
	if (err || !opts->hist || !t->loader.tw_entryless)
		return err;
	/* the kernel cannot count what it does not see end: a timewait socket without entry */
	t->hists = calloc(TCPC_NR_STATES, sizeof(*t->hists));
	if (!t->hists) {
		fprintf(stderr, "tcpclose: out of memory for histograms\n");
		return -ENOMEM;
	}
	return 0;
}

/* an entry sent at exit: counted as the BPF side counts one, delivered as it would be */
static int core__on_unseen(void *ctx, void *data, size_t size)
{
	struct core *t = ctx;
	const struct tcpc_conn *rec = data;

	t->unseen_at_exit++;
	/* a timewait socket's end: its head was -p's, or it was not followed */
	if (rec->type == TCPC_EV_CLOSE && t->filter_pid && rec->pid != t->filter_pid)
		return 0;
	return core__take(t, data, size);
}

/* an entry sent at exit that is no unseen end: delivered as any */
static int core__on_entry(void *ctx, void *data, size_t size)
{
	return core__take(ctx, data, size);
}

void core__seed(struct core *t, const struct tcpc_opts *opts)
{
	int err = walk__sockets(&t->loader, opts->netns_path, TCPC_ITER_SEED, NULL, NULL);

	if (err)
		fprintf(stderr, "tcpclose: finding connections already closing: %s; those in network namespaces that could not be walked are not reported%s\n",
			strerror(-err), err == -EPERM ? " (that needs CAP_SYS_ADMIN)" : "");
	else if (t->loader.walk_denied)
		fprintf(stderr, "tcpclose: connections already closing in %u network namespaces are not reported: entering them needs CAP_SYS_ADMIN\n",
			t->loader.walk_denied);
}

void core__announce(const struct core *t, const struct tcpc_opts *opts)
{
	char mem[64];

	if (t->loader.tw_entryless) {
		fprintf(stderr, "tcpclose: tracing TCP closes (HZ=%u, %s backend), timewait sockets followed with no kernel memory (--tw-entry); Ctrl-C to end\n",
			t->loader.hz, backend__name(t->loader.backend));
		return;
	}
	if (t->loader.tw_upfront)
		snprintf(mem, sizeof(mem), "%.1f MiB of kernel memory taken now",
			 t->loader.tw_table_bytes / 1048576.0);
	else
		snprintf(mem, sizeof(mem), "kernel memory as they come");
	fprintf(stderr, "tcpclose: tracing TCP closes (HZ=%u, %s backend), up to %lu timewait sockets at once%s, %s (--tw-alloc); Ctrl-C to end\n",
		t->loader.hz, backend__name(t->loader.backend), t->loader.max_tw,
		opts->max_tw ? "" : " (tcp_max_tw_buckets; --max-tw to change)", mem);
}

/* the next mark for a walk to leave: never 0, which a head or entry has before any */
static __u8 core__next_mark(struct core *t)
{
	t->mark = t->mark == 255 ? 1 : t->mark + 1;
	return t->mark;
}

/* names of lost ends taken from the kernel's queue at a time */
#define LOST_ENDS_BATCH 256

/*
 * Without entries: forget the heads of the sockets whose end the ring buffer lost, and count
 * each record lost. Their names are taken first, the ring buffer read then: each head was
 * sent before its end was lost, so it is taken before it is forgotten (read first, a head
 * sent after the read and named before the names were taken would stay).
 */
static void core__forget_lost_ends(struct core *t)
{
	struct tcpc_tw_found lost[LOST_ENDS_BATCH];
	long n;

	do {
		n = loader__take_lost_ends(&t->loader, lost, LOST_ENDS_BATCH);
		core__read(t);
		for (long i = 0; i < n; i++)
			t->ends_lost += tw_join__forget_found(t->loader.tw_heads, &lost[i]);
	} while (n == LOST_ENDS_BATCH);
}

/*
 * Forget the heads whose end will never come: a part of their record found the ring buffer
 * full (the BPF side counted the record lost, and sent no more of it), and their socket is
 * no longer followed. An end sent before its entry went is read first: the ring buffer is
 * read again between finding those not followed and forgetting them.
 */
static void core__sweep_heads(struct core *t)
{
	__u64 drops[TCPC_NR_DROPS];
	struct tw_join_ref *refs;
	long n, gone = 0;

	if (t->loader.tw_entryless) {
		core__forget_lost_ends(t);
		return;
	}
	loader__drops(&t->loader, drops);
	if (drops[TCPC_DROP_RINGBUF] == t->swept_ringbuf)
		return;
	t->swept_ringbuf = drops[TCPC_DROP_RINGBUF];
	n = tw_join__heads(t->loader.tw_heads, &refs);
	if (n < 0)
		return;
	for (long i = 0; i < n; i++)
		if (!loader__tw_followed(&t->loader, refs[i].tw))
			refs[gone++] = refs[i];
	/* a new socket's head at a forgotten one's address may come now: it is not forgotten */
	core__read(t);
	for (long i = 0; i < gone; i++)
		tw_join__forget(t->loader.tw_heads, &refs[i]);
	free(refs);
}

int core__poll(struct core *t, int timeout_ms)
{
	/* events still queued: none to wait for */
	int n = pump__queued(&t->pump) ? 0 : ring_buffer__poll(t->loader.rb, timeout_ms), err = n;
	__u64 now;

	if (err >= 0 || err == -EINTR)
		err = core__read(t);
	if (err < 0 && err != -EINTR)
		return err;
	loader__settle_timewait(&t->loader, false);
	now = clock__now_ns();
	tw_join__tick(t->loader.tw_heads, now);
	/* what a burst took goes back once it is over: nothing came in this poll */
	if ((n <= 0 && err <= 0 && !pump__queued(&t->pump)) || now - t->trimmed_ns >= TRIM_NS) {
		t->trimmed_ns = now;
		tw_join__trim(t->loader.tw_heads);
		backlog__trim(&t->pump.q);
	}
	if (now - t->swept_ns >= SWEEP_NS) {
		t->swept_ns = now;
		core__sweep_heads(t);
	}
	return 0;
}

void core__consume(struct core *t)
{
	core__read(t);
}

void core__drain(struct core *t, const struct tcpc_opts *opts)
{
	struct timespec settle = { .tv_nsec = DRAIN_SETTLE_NS };
	unsigned int denied = t->loader.walk_denied;
	int err, tw = 0;

	/* nothing changes from here on: what the programs sent is all there is to send */
	loader__detach(&t->loader);
	core__read(t);
	nanosleep(&settle, NULL);
	loader__settle_timewait(&t->loader, true);
	core__read(t);
	/* a head whose end the ring buffer lost is no socket gone unseen: its record was
	 * counted lost */
	if (t->loader.tw_entryless)
		core__forget_lost_ends(t);
	/*
	 * Only after a walk that entered every namespace: an entry of one it could not enter
	 * would be taken for gone. The one namespace of --netns, gone itself, has no socket
	 * left: every entry of it went away unseen.
	 */
	err = walk__mark(&t->loader, opts->netns_path, core__next_mark(t));
	if ((!err || (err == -ENOENT && opts->netns_path)) && t->loader.walk_denied == denied)
		loader__flush_unseen(&t->loader, t->mark, core__on_unseen, t, &tw);
	t->tw_unseen_at_exit = tw;
	/* the heads kept from here on are those of sockets still followed (without entries,
	 * the walk just made found them) */
	if (!t->loader.tw_entryless) {
		t->swept_ringbuf = ~0ULL;
		core__sweep_heads(t);
	}
	/* their owner is unknown: -p wants none of them */
	if (!opts->pid)
		loader__flush_awaiting(&t->loader, core__on_entry, t);
}

void core__drops(struct core *t, __u64 drops[TCPC_NR_DROPS])
{
	loader__drops(&t->loader, drops);
	drops[TCPC_DROP_UNSEEN] += t->unseen_at_exit;
	drops[TCPC_DROP_RINGBUF] += t->ends_lost;
}

void core__stats(struct core *t, struct tcpc_stats *st)
{
	struct tw_join_stats js;

	st->records = t->records;
	st->transitions = t->transitions;
	core__drops(t, st->drops);
	st->tw_live = loader__tw_live(&t->loader, &st->tw_bytes);
	/* sent at exit, no longer followed */
	if (st->tw_live >= t->tw_unseen_at_exit) {
		/* preallocated, the map's memory stays whatever it holds */
		if (!t->loader.tw_upfront)
			st->tw_bytes -= st->tw_bytes / (st->tw_live ?: 1) * t->tw_unseen_at_exit;
		st->tw_live -= t->tw_unseen_at_exit;
	}
	st->tw_head_bytes = tw_join__bytes(t->loader.tw_heads);
	st->tw_heads = tw_join__count(t->loader.tw_heads);
	tw_join__stats(t->loader.tw_heads, &js);
	st->join_lost = t->join_lost + js.lost;
	st->tw_unfollowed = js.no_head;
	loader__misses(&t->loader, &st->state_missed, &st->other_missed);
}

void core__close(struct core *t)
{
	free(t->hists);
	pump__free(&t->pump);
	loader__close(&t->loader);
}
