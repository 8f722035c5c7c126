/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The tracepoint backend's view of a timewait socket (timer.bpf.c), for kernels that offer
 * neither fentry nor kprobes (as this project's own machines). The socket's life shows only
 * through its timer (tw->tw_timer, handler tw_timer_handler):
 *   timer_start		armed: created (then the full socket's ->CLOSE follows on this
 *				CPU and claims it, moving the record to 'tws'), or re-armed by a
 *				peer FIN that moved the deadline far enough to change timer-wheel
 *				bucket
 *   timer_cancel		before every expiry, before every bucket-changing re-arm, and
 *				when the socket is killed early; what follows on this CPU tells
 *				which (struct tcpc_tw_pending)
 *   timer_expire_entry	2MSL (or tcp_fin_timeout) ran out
 * A re-arm that stays in its bucket emits nothing, so the deadline (timer->expires) is
 * read whenever the socket is seen, and TIME_WAIT began 60 s before its final deadline.
 * A cancel is a guess until the next timer event on its CPU settles it
 * (timewait__resolve()), or user space does, through tcpc_flush, when nothing follows.
 */
#ifndef __TIMEWAIT_TRACEPOINT_BPF_H
#define __TIMEWAIT_TRACEPOINT_BPF_H

#include "timewait_noentry.bpf.h"

enum tw_next {
	TW_NEXT_START,		/* timer_start of a timewait timer */
	TW_NEXT_EXPIRE,		/* timer_expire_entry of a timewait timer */
	TW_NEXT_REQSK,		/* timer_start of a request socket: a SYN was taken in */
	TW_NEXT_OTHER,
};

/*
 * The socket of a cancel that nothing explained is still there, its timer armed again for
 * another deadline: the cancel was a re-arm's, whose timer_start the kernel did not run
 * for us (a run nested in another run of the same program on this CPU is skipped, as when
 * a softirq takes in the peer's FIN while that program runs in process context). A killed
 * socket's timer is left unarmed (entry.pprev cleared), and its memory, if reused since,
 * belongs to another connection: other ports, or the same ones from another snd_nxt.
 */
static __always_inline bool timewait__armed_again(__u64 tw, const struct tcpc_tw *t,
						  const struct tcpc_tw_pending *p,
						  struct tcpc_tw_pending *now)
{
	const struct inet_timewait_sock *itw = (const void *)tw;

	if (!timewait__same_socket(tw, t) || !BPF_CORE_READ(itw, tw_timer.entry.pprev))
		return false;
	timewait__snapshot(now, tw);
	return now->expires != p->expires && now->snd_nxt == p->snd_nxt;
}

/*
 * How the socket of the cancel p (ports sport, dport) ended, known to be gone by what came
 * next: a timer is cancelled just before it runs, so one due by then expired, unless the
 * guess already knew better (a purge, a recycling connect()); a request socket for the same
 * ports in its namespace means a SYN took the 4-tuple.
 */
static __always_inline __u8 timewait__gone_kind(enum tw_next next,
						const struct tcpc_tw_pending *p,
						const struct sock_common *req, __u16 sport,
						__u16 dport)
{
	__u8 kind = p->kind;

	if (kind == TCPC_TW_RST && (__s64)(p->jiffies - p->expires) >= 0)
		kind = TCPC_TW_EXPIRED;
	if (next == TW_NEXT_REQSK && kind == TCPC_TW_RST &&
	    BPF_CORE_READ(req, skc_num) == sport &&
	    bpf_ntohs(BPF_CORE_READ(req, skc_dport)) == dport &&
	    BPF_CORE_READ(req, skc_net.net, ns.inum) == p->netns)
		kind = TCPC_TW_SYN;
	return kind;
}

/* is the cancel p's guess a kill, whatever follows? (see timewait__resolve()) */
static __always_inline bool timewait__known_kill(const struct tcpc_tw_pending *p)
{
	return p->kind == TCPC_TW_REUSED || p->kind == TCPC_TW_PURGED ||
	       p->kind == TCPC_TW_KILLED;
}

/*
 * Without an entry: tw's timer, whose cancel p read, is armed again for another deadline,
 * its timer_start skipped (see timewait__armed_again()); now: what it shows now
 */
static __always_inline bool noentry__armed_again(__u64 tw, const struct tcpc_tw_pending *p,
						 struct tcpc_tw_pending *now)
{
	const struct inet_timewait_sock *itw = (const void *)tw;

	if (!BPF_CORE_READ(itw, tw_timer.entry.pprev))
		return false;
	noentry__snapshot(now, tw);
	return noentry__same(now, p) && now->expires != p->expires;
}

/*
 * Without an entry: settle the earlier cancel on this CPU as timewait__resolve() does, by
 * sending what it read for user space to settle the record with. True if it was the
 * cancel before ptr's re-arm (next TW_NEXT_START: the socket lives on) or expiry
 * (TW_NEXT_EXPIRE: its end is sent, from what the cancel read an instant before).
 */
static __always_inline bool noentry__resolve(enum tw_next next, __u64 ptr,
					     const struct sock_common *req)
{
	struct tcpc_tw_pending *p = percpu__get(&tw_pending), now = {};
	bool killed;
	__u64 tw;

	if (!p || !p->tw)
		return false;
	tw = p->tw;
	p->tw = 0;
	killed = timewait__known_kill(p);
	if (next == TW_NEXT_EXPIRE && ptr == tw && !killed) {
		noentry__send(TCPC_TW_SEEN_END, tw, p, TCPC_TW_EXPIRED, p->flags,
			      bpf_ktime_get_ns());
		return true;
	}
	if (next == TW_NEXT_START && ptr == tw && !killed) {
		noentry__snapshot(&now, tw);
		if (noentry__same(&now, p)) {
			/* the deadline before the re-arm: if not the one last known, an earlier
			 * peer FIN re-armed the timer within its bucket, unseen */
			noentry__send(TCPC_TW_SEEN_MOVED, tw, p, 0, 0, p->ts_ns);
			return true;
		}
	}
	if (!killed && noentry__armed_again(tw, p, &now)) {
		noentry__send(TCPC_TW_SEEN_MOVED, tw, p, 0, 0, p->ts_ns);
		noentry__send(TCPC_TW_SEEN_SETTLE, tw, &now, 0, 0, bpf_ktime_get_ns());
		return false;
	}
	noentry__send(TCPC_TW_SEEN_END, tw, p, timewait__gone_kind(next, p, req, p->sport, p->dport),
		      p->flags, p->ts_ns);
	return false;
}

/*
 * Settle an earlier cancel on this CPU by what came next: the same socket armed again
 * (a re-arm that changed bucket) or expiring (the cancel was expiry's) means it lives on;
 * a request socket for the same ports means a SYN took the 4-tuple; anything else means
 * the socket was killed as the cancel guessed, unless it is found armed again (a skipped
 * timer_start) or its deadline had come when it was cancelled (a skipped expiry).
 */
static __always_inline void timewait__resolve(enum tw_next next, __u64 ptr,
					      const struct sock_common *req)
{
	struct tcpc_tw_pending *p = percpu__get(&tw_pending), now = {};
	struct tcpc_tw *t;
	bool killed;
	__u8 kind;
	__u64 tw;

	if (tw_entryless) {
		noentry__resolve(next, ptr, req);
		return;
	}
	if (!p || !p->tw)
		return;
	tw = p->tw;
	p->tw = 0;
	t = bpf_map_lookup_elem(&tws, &tw);
	if (!t)
		return;
	/* the entry was finished and replaced, by a new socket at the same address */
	if (t->sport != p->sport || t->dport != p->dport)
		return;
	/*
	 * A cancel known to be a kill (connect() recycling it, its namespace's purge, a process
	 * aborting it) is one, whatever follows: a new socket for the same 4-tuple, which the
	 * allocator may put at the address just freed on this CPU, is not the old one armed
	 * again. connect() recycling a socket makes exactly that: its own connection's
	 * timewait socket, at the same address when nothing else on this CPU took it (no
	 * request socket follows its SYN under syncookies, or when the task moved to the other
	 * CPU to send it).
	 */
	killed = timewait__known_kill(p);
	/* the same socket armed again or expiring lives on; a new one made at the killed one's
	 * address for the same 4-tuple (a new connection from that port) is not it */
	if ((next == TW_NEXT_START || next == TW_NEXT_EXPIRE) && ptr == tw && !killed &&
	    timewait__same_socket(tw, t) && tw__snd_nxt(tw) == p->snd_nxt) {
		/*
		 * A cancel before a re-arm reads the new substate but the old deadline. A
		 * deadline other than the one last seen says an earlier peer FIN re-armed the
		 * timer within its bucket, unseen (FIN_WAIT2 became TIME_WAIT, or 2MSL
		 * restarted): settle that first, and the re-arm that follows is a later FIN.
		 */
		if (next == TW_NEXT_EXPIRE || (__u32)p->expires != t->expires)
			timewait__settle(tw, t, p->substate, p->expires, p->rcv_nxt, p->snd_nxt);
		t->cancel_kind = 0;
		return;
	}
	if (!killed && timewait__armed_again(tw, t, p, &now)) {
		if ((__u32)p->expires != t->expires)
			timewait__settle(tw, t, p->substate, p->expires, p->rcv_nxt, p->snd_nxt);
		timewait__settle(tw, t, now.substate, now.expires, now.rcv_nxt, now.snd_nxt);
		t->cancel_kind = 0;
		return;
	}
	kind = timewait__gone_kind(next, p, req, t->sport, t->dport);
	timewait__settle(tw, t, p->substate, p->expires, p->rcv_nxt, p->snd_nxt);
	timewait__finish(tw, t, kind, p->ts_ns);
}

/*
 * timer_start of tw's timer: made, or re-armed (a re-arm that changed bucket). A re-arm of a
 * pending timer detaches it first, in the same __mod_timer() call with the timer base locked:
 * our timer_cancel of a followed socket came just before, on this CPU, and left it pending.
 * Without that, the timer was not pending: the socket is new, and 'tws' is not looked up,
 * which cost more than the rest of the program (a bucket of a large hash map, cold). An entry
 * a killed socket left at the new one's address is finished when the new one is claimed
 * (timewait__insert()), or by its own cancel's CPU. If the kernel skipped the cancel's run,
 * the re-arm is taken for a new socket, and its end settles it by the deadline it reads.
 */
static __always_inline void timewait__timer_start(__u64 tw)
{
	struct tcpc_tw_pending *p = percpu__get(&tw_pending);
	bool rearm = p && p->tw == tw;
	struct tcpc_tw *t;
	__u64 now;

	if (tw_entryless) {
		/* the same socket armed again: a peer FIN re-armed it; else it is new */
		if (noentry__resolve(TW_NEXT_START, tw, NULL))
			noentry__rearmed(tw, 0, bpf_ktime_get_ns());
		else
			timewait__made(tw, bpf_ktime_get_ns());
		return;
	}
	timewait__resolve(TW_NEXT_START, tw, NULL);
	now = bpf_ktime_get_ns();
	if (rearm) {
		t = bpf_map_lookup_elem(&tws, &tw);
		if (t && timewait__same_socket(tw, t)) {
			timewait__rearmed(tw, t, 0, now);
			return;
		}
		/* an entry left at this address by a socket killed while its end waits on
		 * another CPU: that socket is gone */
		if (t)
			timewait__finish_stale(tw, t, now);
	}
	timewait__made(tw, now);
}

/* which of the functions of tw_kill_text holds the address, or TW_KILL_NR */
static __always_inline int kill_text__of(__u64 addr)
{
	for (int i = 0; i < TW_KILL_NR; i++)
		if (addr >= tw_kill_text[i][0] && addr < tw_kill_text[i][1])
			return i;
	return TW_KILL_NR;
}

#define KILL_STACK_DEPTH 16

/*
 * Which of the functions of tw_kill_text this cancel comes from: the first of them on the
 * stack, as a segment taken in while a process aborts another socket runs on top of it
 * (softirqs run at tcp_abort()'s local_bh_enable()). TW_KILL_NR: none, or none known
 * (user space looked them all up if it found tcp_abort(), which every kernel since 4.5 has).
 */
static __always_inline int timewait__kill_fn(void *ctx)
{
	__u64 stack[KILL_STACK_DEPTH];
	long n;
	int fn;

	if (!tw_kill_text[TW_KILL_ABORT][1])
		return TW_KILL_NR;
	n = bpf_get_stack(ctx, stack, sizeof(stack), 0);
	if (n <= 0)
		return TW_KILL_NR;
	n = (__u64)n >> 3;		/* frames: 8 bytes each */
	for (int i = 0; i < KILL_STACK_DEPTH; i++) {
		if (i >= n)
			break;
		fn = kill_text__of(stack[i]);
		if (fn != TW_KILL_NR)
			return fn;
	}
	return TW_KILL_NR;
}

/*
 * A cancel neither a purge nor connect() recycling the socket: its kind, guessed. At or past
 * the deadline it is expiry's (timewait__resolve() says so). Before it, the stack tells
 * (only there: a stack is read for few): a process aborting the socket (tcp_abort():
 * sock_destroy, ss -K) killed it; before 6.10, tcp_v4_rcv() (tcp_v6_rcv()) kills an
 * orphaned FIN_WAIT2 itself after the reset it answered new data or a SYN with, while a
 * reset taken in is killed for from within tcp_timewait_state_process(). Anything else is
 * a reset taken in, or a SYN if a request socket follows, or a re-arm if the socket is
 * seen again. The context cannot tell a process from a segment: a tun device's segments
 * are taken in by the process that writes them.
 */
static __always_inline __u8 timewait__early_kill_kind(void *ctx, __u8 *twf,
						      const struct tcpc_tw_pending *p)
{
	int fn;

	if ((__s64)(p->jiffies - p->expires) >= 0)
		return TCPC_TW_RST;
	fn = timewait__kill_fn(ctx);
	if (fn == TW_KILL_ABORT)
		return TCPC_TW_KILLED;
	if (tw_reset_by_stack && p->substate == TCP_FIN_WAIT2 &&
	    (fn == TW_KILL_V4_RCV || fn == TW_KILL_V6_RCV))
		/* which of data or a SYN it answered the stack cannot tell: data, far likelier */
		return timewait__answered(twf, 0);
	return TCPC_TW_RST;
}

/*
 * The cancel p of tw (its snapshot and ports taken): guess which kill it would be, while the
 * socket can still be read. twf: the TCPC_TWF_* a reset it answered goes to.
 */
static __always_inline void timewait__guess(void *ctx, __u64 tw, struct tcpc_tw_pending *p,
					    __u8 *twf)
{
	const struct inet_timewait_sock *itw = (const void *)tw;

	p->ts_ns = bpf_ktime_get_ns();
	p->jiffies = bpf_jiffies64();
	if (timewait__netns_dying(tw))
		p->kind = TCPC_TW_PURGED;
	else if (timewait__reused_by_connect(tw, p->sport, p->dport, p->jiffies))
		p->kind = TCPC_TW_REUSED;
	else
		p->kind = timewait__early_kill_kind(ctx, twf, p);
	/* only a kill before the deadline can be a SYN's, in the namespace it took it in */
	if (p->kind == TCPC_TW_RST && (__s64)(p->jiffies - p->expires) < 0)
		p->netns = BPF_CORE_READ(itw, __tw_common.skc_net.net, ns.inum);
}

/*
 * Without an entry: timer_cancel of tw's timer, any timewait socket's the filters want.
 * Its guess is made as timewait__timer_cancel() makes it, from what the socket shows.
 */
static __always_inline void noentry__timer_cancel(void *ctx, __u64 tw)
{
	struct tcpc_tw_pending *p;

	noentry__resolve(TW_NEXT_OTHER, tw, NULL);
	p = percpu__get(&tw_pending);
	if (!p)
		return;
	noentry__snapshot(p, tw);
	if (noentry__filtered(tw, p))
		return;
	p->flags = timewait__take_reset(tw);
	timewait__guess(ctx, tw, p, &p->flags);
	p->tw = tw;
}

/*
 * timer_cancel of tw's timer: before its expiry, before a re-arm that changes bucket, or
 * the socket killed. Guess which kill it would be, while the socket can still be read, and
 * leave the guess for what follows on this CPU to settle.
 */
static __always_inline void timewait__timer_cancel(void *ctx, __u64 tw)
{
	struct tcpc_tw_pending *p;
	struct tcpc_tw *t;

	if (tw_entryless) {
		noentry__timer_cancel(ctx, tw);
		return;
	}
	timewait__resolve(TW_NEXT_OTHER, tw, NULL);
	t = bpf_map_lookup_elem(&tws, &tw);
	p = percpu__get(&tw_pending);
	if (!t || !p)
		return;
	timewait__snapshot(p, tw);
	p->sport = t->sport;
	p->dport = t->dport;
	timewait__guess(ctx, tw, p, &t->flags);
	p->tw = tw;
	t->cancel_kind = p->kind;
	t->cancel_substate = p->substate;
	t->cancel_expires = p->expires;
	/* what settles a TIME_WAIT reads them: the peer's FIN, the same since it came */
	t->rcv_nxt = p->rcv_nxt;
	t->snd_nxt = p->snd_nxt;
}

/* timer_expire_entry of tw's timer: the cancel just before was expiry's */
static __always_inline void timewait__timer_expire(__u64 tw)
{
	if (tw_entryless) {
		/* its end, unless the kernel skipped the cancel's run */
		if (!noentry__resolve(TW_NEXT_EXPIRE, tw, NULL))
			noentry__end(tw, TCPC_TW_EXPIRED, 0, bpf_ktime_get_ns());
		return;
	}
	timewait__resolve(TW_NEXT_EXPIRE, tw, NULL);
	timewait__expired(tw, bpf_ktime_get_ns());
}

#endif /* __TIMEWAIT_TRACEPOINT_BPF_H */
