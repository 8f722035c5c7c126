/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Following a connection through its timewait socket, what every backend shares.
 *
 * sock:inet_sock_set_state never sees TIME_WAIT: tcp_time_wait() hands the connection to a
 * struct inet_timewait_sock and the full socket goes to CLOSE. Every backend notes the
 * timewait sockets armed on this CPU (timewait__made()); the full socket's CLOSE that follows
 * claims its own (timewait__claim()), moving the record from 'conns' to 'tws', keyed by the
 * timewait socket. From there the record is kept up to date (timewait__rearmed(),
 * timewait__settle()) and sent when the socket is gone (timewait__end(),
 * timewait__finish()). What tells each of these differs by backend: the timer tracepoints
 * (timewait_tracepoint.bpf.h), or the timewait functions themselves (timewait_funcs.bpf.h).
 * The iterator seeds the timewait sockets that were there before tcpclose
 * (timewait__seed()).
 */
#ifndef __TIMEWAIT_BPF_H
#define __TIMEWAIT_BPF_H

#include "conn.bpf.h"
#include "jiffies.bpf.h"

/* 6.1 keeps these in tcp_timewait_sock; later kernels moved them into sock_common */
struct tcp_timewait_sock___old {
	u32 tw_rcv_nxt;
	u32 tw_snd_nxt;
} __attribute__((preserve_access_index));

/*
 * the network namespace's refcount: net.count (5.10), then ns.count, then ns.__ns_ref (6.18);
 * all flavours, so that the programs build against an older vmlinux.h (vmlinux/aarch64/)
 */
struct net___old {
	refcount_t count;
} __attribute__((preserve_access_index));

struct ns_common___old {
	refcount_t count;
} __attribute__((preserve_access_index));

struct ns_common___new {
	refcount_t __ns_ref;
} __attribute__((preserve_access_index));

static __always_inline __u64 timewait__from_timer(const struct timer_list *timer)
{
	/* container_of() on the trusted timer pointer is refused by the verifier */
	return (__u64)timer - bpf_core_field_offset(struct inet_timewait_sock, tw_timer);
}

/* a deadline the entry keeps modulo 2^32, whole again: near jiffies now */
static __always_inline __u64 tw__jiffies(__u32 j32)
{
	__u64 now = bpf_jiffies64();

	return now + (__s32)(j32 - (__u32)now);
}

/* is deadline a later than deadline b (jiffies, modulo 2^32)? */
static __always_inline bool tw__later(__u64 a, __u32 b)
{
	return (__s32)((__u32)a - b) > 0;
}

/* is the entry for tw about this socket, or left by an earlier one at the same address? */
static __always_inline bool timewait__same_socket(__u64 tw, const struct tcpc_tw *t)
{
	const struct inet_timewait_sock *itw = (const void *)tw;

	return BPF_CORE_READ(itw, __tw_common.skc_num) == t->sport &&
	       bpf_ntohs(BPF_CORE_READ(itw, __tw_common.skc_dport)) == t->dport;
}

/*
 * The timewait socket's snd_nxt: it never moves (a timewait socket sends no data), and a later
 * connection of the same 4-tuple sends from another initial sequence number (connect()
 * recycling this one starts 65537 past it): what tells this socket from one the allocator
 * puts at its address for that connection.
 */
static __always_inline __u32 tw__snd_nxt(__u64 tw)
{
	if (bpf_core_field_exists(struct sock_common, skc_tw_snd_nxt))
		return BPF_CORE_READ((const struct inet_timewait_sock *)tw,
				     __tw_common.skc_tw_snd_nxt);
	return BPF_CORE_READ((const struct tcp_timewait_sock___old *)tw, tw_snd_nxt);
}

/* what a cancel must remember of the socket, which may be freed right after */
static __always_inline void timewait__snapshot(struct tcpc_tw_pending *p, __u64 tw)
{
	const struct inet_timewait_sock *itw = (const void *)tw;

	p->substate = BPF_CORE_READ(itw, tw_substate);
	p->expires = BPF_CORE_READ(itw, tw_timer.expires);
	p->snd_nxt = tw__snd_nxt(tw);
	if (bpf_core_field_exists(struct sock_common, skc_tw_rcv_nxt))
		p->rcv_nxt = BPF_CORE_READ(itw, __tw_common.skc_tw_rcv_nxt);
	else
		p->rcv_nxt = BPF_CORE_READ((const struct tcp_timewait_sock___old *)tw, tw_rcv_nxt);
}

static __always_inline bool timewait__netns_dying(__u64 tw)
{
	const struct inet_timewait_sock *itw = (const void *)tw;
	struct net *net = BPF_CORE_READ(itw, __tw_common.skc_net.net);

	/* inet_twsk_purge() kills the timewait sockets of a namespace whose refcount is 0 */
	if (bpf_core_field_exists(struct ns_common___new, __ns_ref))
		return BPF_CORE_READ((struct ns_common___new *)&net->ns, __ns_ref.refs.counter) == 0;
	if (bpf_core_field_exists(struct ns_common___old, count))
		return BPF_CORE_READ((struct ns_common___old *)&net->ns, count.refs.counter) == 0;
	return BPF_CORE_READ((struct net___old *)net, count.refs.counter) == 0;
}

/* --hist: one dwell of a record into this CPU's histograms */
static __always_inline void timewait__hist(const struct tcpc_tw *t, __u8 state, __u64 ns)
{
	if (hist_enabled && !(t->flags & TCPC_TWF_NO_HIST))
		hist__add_state(state__index(state), ns);
}

/*
 * The entry's state ends at ns and 'state' begins: never before the state it ends began (a
 * time derived from jiffies is only exact to one). Its dwell is the record's, which user
 * space completes from the head; --hist counts it here.
 */
static __always_inline void timewait__enter(struct tcpc_tw *t, __u8 state, __u64 ns)
{
	__u64 began = tcpc_tw__enter_ns(t);

	if (ns < began)
		ns = began;
	timewait__hist(t, t->state, ns - began);
	t->state = state;
	tcpc_tw__set_enter(t, ns);
}

/*
 * Send a part of t's record (its head, a restart, its end). The first that finds the ring
 * buffer full loses the record, counted once; the parts after it are not sent.
 */
static __always_inline void timewait__output(struct tcpc_tw *t, const void *part, __u64 size)
{
	if (!emit_records || (t->flags & TCPC_TWF_LOST))
		return;
	if (bpf_ringbuf_output(&events, (void *)part, size, ringbuf__flags(size))) {
		t->flags |= TCPC_TWF_LOST;
		drop__count(TCPC_DROP_RINGBUF);
	}
}

/* a resent peer FIN (our last ACK lost) restarted the 2MSL timer at ns: for user space */
static __always_inline void timewait__restarted(__u64 tw, struct tcpc_tw *t, __u64 ns)
{
	struct tcpc_tw_event ev = { .type = TCPC_EV_TW_RESTART, .tw = tw, .ns = ns };

	timewait__output(t, &ev, sizeof(ev));
}

/* what the socket says of the peer's FIN: tw_rcv_nxt is its end_seq, the ACK our FIN + 1 */
static __always_inline void timewait__note_nxt(struct tcpc_tw *t, __u8 substate, __u32 rcv_nxt,
					       __u32 snd_nxt)
{
	t->rcv_nxt = rcv_nxt;
	t->snd_nxt = snd_nxt;
	if (substate == TCP_TIME_WAIT)
		t->flags |= TCPC_TWF_PEER_FIN;
}

/*
 * Bring the entry up to date with the socket's substate and deadline: a FIN_WAIT2 that
 * became TIME_WAIT, or a TIME_WAIT whose 2MSL was restarted, without a timer_start seen.
 */
static __always_inline void timewait__settle(__u64 tw, struct tcpc_tw *t, __u8 substate,
					     __u64 expires, __u32 rcv_nxt, __u32 snd_nxt)
{
	__u64 armed_ns;

	if (substate != TCP_TIME_WAIT)
		return;
	armed_ns = jiffies__to_ns(expires - TCP_TIMEWAIT_LEN_SEC * (__u64)kernel_hz);
	timewait__note_nxt(t, substate, rcv_nxt, snd_nxt);
	if (t->state == TCP_FIN_WAIT2) {
		/* the peer's FIN came when the 60 s were armed */
		timewait__enter(t, TCP_TIME_WAIT, armed_ns);
		t->expires = expires;
	} else if (!tw_rearms_seen && tw__later(expires, t->expires)) {
		/*
		 * Restarted since last seen: the resends in between, if several, count as one.
		 * Not where every re-arm is seen: there each was counted as it came, and the
		 * deadline noted then (jiffies at the call, plus the timeout) is the timer's
		 * own only if no tick came before the kernel set it, which under emulation
		 * one or two may; a deadline a little later than noted is no restart.
		 */
		timewait__restarted(tw, t, armed_ns);
		t->expires = expires;
	}
}

/*
 * it answered a segment with flags (a SYN, or data) with a reset: the kill that follows.
 * twf: the TCPC_TWF_* of its entry, or of its end without one.
 */
static __always_inline __u8 timewait__answered(__u8 *twf, __u8 flags)
{
	*twf |= TCPC_TWF_RST_SENT;
	if (flags & TCPHDR_SYN)
		*twf |= TCPC_TWF_RST_SYN;
	return TCPC_TW_RST;
}

/* without an entry: the reset tw answered a segment with, for the kill that follows */
static __always_inline void timewait__note_reset(__u64 tw, __u8 flags)
{
	struct tw_note *n = percpu__get(&tw_note);

	if (!n)
		return;
	n->reset_tw = tw;
	n->reset_flags = 0;
	timewait__answered(&n->reset_flags, flags);
}

/* without an entry: the TCPC_TWF_* of a reset tw answered a segment with, taken once */
static __always_inline __u8 timewait__take_reset(__u64 tw)
{
	struct tw_note *n = percpu__get(&tw_note);

	if (!n || n->reset_tw != tw)
		return 0;
	n->reset_tw = 0;
	return n->reset_flags;
}

/*
 * The timewait socket refused the segment skb and answers it with a reset, before it kills
 * itself (tcp_timewait_state_process() said TCP_TW_RST): an orphaned FIN_WAIT2 that got data
 * or a SYN after close(). The reset is ours; the kill that follows is told by it.
 */
static __always_inline void timewait__reset_sent(__u64 tw, const struct sk_buff *skb)
{
	struct tcpc_tw *t;

	if (!skb)
		return;
	if (tw_entryless) {
		timewait__note_reset(tw, skb_tcp_flags(skb));
		return;
	}
	t = bpf_map_lookup_elem(&tws, &tw);
	if (!t || !timewait__same_socket(tw, t))
		return;
	timewait__answered(&t->flags, skb_tcp_flags(skb));
}

/* the end of the timewait phase, for user space to complete the record's head with */
static __always_inline void timewait__send_end(__u64 tw, struct tcpc_tw *t, __u8 tw_end,
					       __u64 now)
{
	struct tcpc_tw_event ev = {
		.type = TCPC_EV_TW_END, .state = t->state, .tw_end = tw_end, .flags = t->flags,
		.rcv_nxt = t->rcv_nxt, .snd_nxt = t->snd_nxt, .tw = tw, .ns = now,
		.enter_ns = tcpc_tw__enter_ns(t),
	};

	if (ev.enter_ns > now)
		ev.ns = ev.enter_ns;
	timewait__output(t, &ev, sizeof(ev));
}

/*
 * The timewait socket is gone: send the end of its record and forget the socket. Killed
 * after a reset it sent (timewait__reset_sent()), it ended by that reset, whatever the kill
 * looked like to the backend. Why the connection ended, user space says (user/tw_join.c).
 */
static __always_inline void timewait__finish(__u64 tw, struct tcpc_tw *t, __u8 tw_end, __u64 now)
{
	__u64 began = tcpc_tw__enter_ns(t);

	if (t->flags & TCPC_TWF_RST_SENT)
		tw_end = TCPC_TW_RST;
	timewait__hist(t, t->state, now > began ? now - began : 0);
	timewait__send_end(tw, t, tw_end, now);
	if (!bpf_map_delete_elem(&tws, &tw))
		tw_live__add(-1);
}

/*
 * An entry found at an address a new timewait socket now holds: its socket was freed while
 * the cancel that killed it waits to be settled on another CPU (a namespace's purge runs on
 * one CPU while the next namespace's sockets are made on the other). That cancel's guess is
 * the best word on how it ended; without one, it was killed, cause unknown.
 */
static __always_inline __u8 timewait__stale_kind(const struct tcpc_tw *t)
{
	return t->cancel_kind ? t->cancel_kind : TCPC_TW_KILLED;
}

/*
 * Finish a stale entry as its cancel's CPU would have: settled by what that cancel read (a
 * FIN_WAIT2 that had become TIME_WAIT by a re-arm no timer_start showed), then ended as it
 * guessed. Without the settle the record lacked the TIME_WAIT that ss had seen.
 */
static __always_inline void timewait__finish_stale(__u64 tw, struct tcpc_tw *t, __u64 now)
{
	if (t->cancel_kind)
		timewait__settle(tw, t, t->cancel_substate, tw__jiffies(t->cancel_expires),
				 t->rcv_nxt, t->snd_nxt);
	timewait__finish(tw, t, timewait__stale_kind(t), now);
}

/*
 * How long after its SYN_SENT a connect() by the same task may have recycled a timewait
 * socket. tcp_v4_connect() and tcp_v6_connect() set SYN_SENT just before
 * inet_hash_connect(), which kills the socket it recycles in the same call: far sooner.
 */
#define CONNECT_REUSE_WINDOW_MS 100

/* connect() is about to look for a timewait socket to recycle (tcp_twsk_unique()) */
static __always_inline void timewait__note_connect(const struct sock *sk)
{
	struct connecting *cn = percpu__get(&connecting);

	if (!cn)
		return;
	cn->pid_tgid = bpf_get_current_pid_tgid();
	cn->jiffies = bpf_jiffies64();
	cn->sk = (__u64)sk;
	cn->dport = bpf_ntohs(sk->__sk_common.skc_dport);
	/* plain loads from the socket the program was handed, not probe reads */
	if (sk->__sk_common.skc_family == AF_INET)
		*(__u32 *)cn->daddr = sk->__sk_common.skc_daddr;
	else
		__builtin_memcpy(cn->daddr, &sk->__sk_common.skc_v6_daddr, 16);
}

/*
 * is the timewait socket tw (ports sport, dport), still readable, being recycled by this
 * task's connect()? j: the jiffies now
 */
static __always_inline bool timewait__reused_by_connect(__u64 tw, __u16 sport, __u16 dport,
							__u64 j)
{
	const struct inet_timewait_sock *itw = (const void *)tw;
	struct connecting *cn = percpu__get(&connecting);
	__u8 saddr[16] = {}, daddr[16] = {};
	const struct sock *csk;
	__u16 family;
	__u32 n;

	if (!cn || cn->pid_tgid != bpf_get_current_pid_tgid() ||
	    j - cn->jiffies > CONNECT_REUSE_WINDOW_MS * kernel_hz / 1000)
		return false;
	/* the same 4-tuple: by the time it recycles the timewait socket, connect() has bound
	 * its local port (inet_bind_hash() in __inet_hash_connect()) */
	csk = (const void *)cn->sk;
	if (cn->dport != dport || BPF_CORE_READ(csk, __sk_common.skc_num) != sport)
		return false;
	family = BPF_CORE_READ(itw, __tw_common.skc_family);
	skc__read_addrs(&itw->__tw_common, family, saddr, daddr);
	n = family == AF_INET ? 4 : 16;
	for (__u32 i = 0; i < 16; i++)
		if (i < n && cn->daddr[i] != daddr[i])
			return false;
	return true;
}

/*
 * Armed again, to expire at 'expires' (0: read it from the timer, armed by now): the peer's
 * FIN ended FIN_WAIT2, or a retransmitted one restarted 2MSL
 */
static __always_inline void timewait__rearmed(__u64 tw, struct tcpc_tw *t, __u64 expires,
					      __u64 now)
{
	struct tcpc_tw_pending snap = {};

	timewait__snapshot(&snap, tw);
	if (snap.substate != TCP_TIME_WAIT)
		return;
	timewait__note_nxt(t, snap.substate, snap.rcv_nxt, snap.snd_nxt);
	if (t->state == TCP_FIN_WAIT2)
		timewait__enter(t, TCP_TIME_WAIT, now);
	else
		timewait__restarted(tw, t, now);
	t->expires = expires ? expires : snap.expires;
}

/*
 * Put t in the map of timewait sockets under tw. An entry already there is an earlier
 * socket's at the same address, killed and freed while its end waits on another CPU: send it
 * now, as killed, rather than lose it; its end then reaches user space before the new
 * record's head. No lookup of the new entry: nobody changes it here.
 */
static __always_inline bool timewait__insert(__u64 tw, const struct tcpc_tw *t, __u64 now)
{
	struct tcpc_tw *stale;

	if (bpf_map_update_elem(&tws, &tw, t, BPF_NOEXIST)) {
		stale = bpf_map_lookup_elem(&tws, &tw);
		if (stale)
			timewait__finish_stale(tw, stale, now);
		if (bpf_map_update_elem(&tws, &tw, t, BPF_NOEXIST)) {
			drop__count(TCPC_DROP_TW_MAP);
			return false;
		}
	}
	tw_live__add(1);
	return true;
}

/*
 * Without an entry: send c as the head of tw's record, with the timer's deadline, which
 * user space settles the record by (user/tw_join.c); nothing is kept. Sent with --hist alone
 * too: user space counts the settled record's dwells, all of them (user/core.c). A head lost
 * is counted; the socket's end then finds no head.
 */
static __always_inline void timewait__follow_bare(__u64 tw, struct tcpc_closing *c,
						  __u64 expires, __u64 tw_left_ns)
{
	c->flags |= TCPC_F_TW | TCPC_F_TW_HEAD;
	if (c->flags & TCPC_F_STATES_LOST)
		drop__count(TCPC_DROP_STATES_LOST);
	if (!conn__output(c, 0, tw, tw_left_ns, expires))
		drop__count(TCPC_DROP_RINGBUF);
}

/*
 * The timewait socket tw carries the connection of record c on from now, in state 'state'
 * since c->enter_ns: follow it in 'tws', and send what the record has so far as its
 * head, after the entry is in (an earlier socket's stale entry at the address, finished by
 * timewait__insert(), sends its end first). --hist counts the states that are over now.
 * tw_left_ns: of a socket found at start-up, the time its timer had left then.
 */
static __always_inline void timewait__follow(__u64 tw, struct tcpc_closing *c, __u64 expires,
					     __u64 tw_left_ns, __u64 now)
{
	struct tcpc_tw t = {
		.expires = expires, .sport = c->sport, .dport = c->dport, .state = c->state,
	};

	/* -p: no record will be sent; a timewait socket has no process of its own */
	if (filter_pid && c->pid != filter_pid)
		return;
	if (tw_entryless) {
		timewait__follow_bare(tw, c, expires, tw_left_ns);
		return;
	}
	tcpc_tw__set_enter(&t, c->enter_ns);
	if (c->flags & TCPC_F_PARTIAL)
		t.flags |= TCPC_TWF_PARTIAL;
	if (c->flags & TCPC_F_DWELL_BOUNDS)
		t.flags |= TCPC_TWF_NO_HIST;
	if (!timewait__insert(tw, &t, now))
		return;
	c->flags |= TCPC_F_TW | TCPC_F_TW_HEAD;
	if (hist_enabled && !(t.flags & TCPC_TWF_NO_HIST))
		hist__add_before(c, state__index(c->state));
	if (c->flags & TCPC_F_STATES_LOST)
		drop__count(TCPC_DROP_STATES_LOST);
	if (emit_records && !conn__output(c, 0, tw, tw_left_ns, expires)) {
		/* lost: counted now, and its end not sent */
		struct tcpc_tw *in = bpf_map_lookup_elem(&tws, &tw);

		drop__count(TCPC_DROP_RINGBUF);
		if (in)
			in->flags |= TCPC_TWF_LOST;
	}
}

/*
 * A timewait socket found by the iterator at start-up: it began before tcpclose did, and
 * only what follows is observed. Read through probe reads: the iterator's pointer to it
 * is not one the helpers that read full sockets accept.
 */
static __always_inline void timewait__seed(__u64 tw, __u64 now)
{
	const struct inet_timewait_sock *itw = (const void *)tw;
	struct tcpc_closing c;
	__u64 expires, tw_left_ns = 0, j = bpf_jiffies64();
	__u8 substate;

	/* a cgroup is known of full sockets only: one found at start-up cannot be placed */
	if (filter_cgroup)
		return;
	/* without entries, user space keeps the claim's head over this one */
	if (!tw_entryless && bpf_map_lookup_elem(&tws, &tw))
		return;		/* followed since attach */
	conn__init(&c, now);
	if (conn__identify(&c, &itw->__tw_common))
		return;
	c.flags = TCPC_F_PARTIAL;
	substate = BPF_CORE_READ(itw, tw_substate);
	c.state = TCP_CLOSE;
	conn__enter(&c, substate, now);
	c.role = role__of_state(substate);
	expires = BPF_CORE_READ(itw, tw_timer.expires);
	if (expires > j)
		tw_left_ns = (expires - j) * jiffies__tick_ns();
	if (substate != TCP_TIME_WAIT) {
		/* an orphaned FIN_WAIT2 was armed for tcp_fin_timeout: its age is what that
		 * timeout has used up (for --stuck; the record stays partial) */
		__u64 timeout = BPF_CORE_READ(itw, __tw_common.skc_net.net,
					      ipv4.sysctl_tcp_fin_timeout);
		__u64 armed_ns = jiffies__to_ns(expires - timeout);

		c.enter_ns = c.start_ns = armed_ns < now ? armed_ns : now;
	}
	timewait__follow(tw, &c, expires, tw_left_ns, now);
}

/* a timewait socket's timer was armed for the first time: remember it for the claim */
static __always_inline void timewait__made(__u64 tw, __u64 now)
{
	struct tw_recent *recent = percpu__get(&tw_last);
	struct tw_made *m;

	if (!recent)
		return;
	m = &recent->made[recent->next++ % TW_RECENT];
	m->tw = tw;
	m->ns = now;
	m->j = bpf_jiffies64();
	jiffies__note(now, m->j);
}

/* is the timewait socket tw the one tcp_time_wait() just made of sk? */
static __always_inline bool timewait__of_sk(__u64 tw, const struct sock *sk,
					    const struct tcp_sock *tp)
{
	const struct inet_timewait_sock *itw = (const void *)tw;
	const struct sock_common *skc = &sk->__sk_common;

	struct {
		__u32 hash;
		__u16 dport;
		__u16 num;
	} id;

	/*
	 * inet_twsk_alloc() copies the hash and the ports; skc_num of the full socket is
	 * already 0 (inet_put_port()), inet_sport is not. One read: skc_portpair has followed
	 * skc_hash in struct sock_common since both exist.
	 */
	if (bpf_core_read(&id, sizeof(id), &itw->__tw_common.skc_hash))
		return false;
	return id.hash == skc->skc_hash && id.dport == skc->skc_dport &&
	       id.num == bpf_ntohs(tp->inet_conn.icsk_inet.inet_sport);
}

/*
 * The full socket reached CLOSE from FIN_WAIT2 or CLOSING. If tcp_time_wait() has just
 * made a timewait socket for it on this CPU, that socket carries the connection on: it is
 * followed in 'tws' (timewait__follow()), on the clock of the moment its timer was armed. An
 * orphaned FIN_WAIT2 goes on in it (substate FIN_WAIT2) until the peer's FIN; else TIME_WAIT
 * begins. late: claimed at the socket's destruction, its CLOSE unseen (tcpc_destroy).
 */
static __always_inline bool timewait__claim(struct tcpc_closing *c, const struct sock *sk,
					    const struct tcp_sock *tp, __u64 now, bool late)
{
	struct tw_recent *recent = percpu__get(&tw_last);
	const struct inet_timewait_sock *itw;
	struct tw_made *m;
	__u32 slot;

	if (!recent)
		return false;
	/* the newest first: a nested softirq may have made another since */
	for (int i = 1; i <= TW_RECENT; i++) {
		slot = (recent->next - i) % TW_RECENT;
		m = &recent->made[slot];
		if (!m->tw || !timewait__of_sk(m->tw, sk, tp))
			continue;
		itw = (const void *)m->tw;
		/*
		 * Only a FIN_WAIT2 or a CLOSING becomes a timewait socket. Still FIN_WAIT1 at a
		 * late claim (tcpc_destroy), the kernel skipped the runs of the change and of
		 * CLOSE (nested in another on this CPU): FIN_WAIT2 was entered by the time the
		 * socket was made, the likelier of the two (CLOSING needs crossed FINs). Without
		 * it the timewait entry took FIN_WAIT1 for TIME_WAIT and the peer's FIN for a
		 * restart of 2MSL. tcpc_state has entered CLOSE's old state already.
		 */
		if (late && c->state != TCP_FIN_WAIT2 && c->state != TCP_CLOSING)
			conn__enter(c, TCP_FIN_WAIT2, m->ns);
		if (BPF_CORE_READ(itw, tw_substate) == TCP_TIME_WAIT) {
			/* the peer's FIN ended FIN_WAIT2 or CLOSING just now */
			note_peer_fin(c, sk, tp);
			conn__enter(c, TCP_TIME_WAIT, m->ns);
		}
		timewait__follow(m->tw, c, BPF_CORE_READ(itw, tw_timer.expires), 0, now);
		m->tw = 0;
		return true;
	}
	return false;
}

/* the socket ends now, still readable: settle its entry by what it says, and end it */
static __always_inline void timewait__end(__u64 tw, struct tcpc_tw *t, __u8 tw_end, __u64 now)
{
	struct tcpc_tw_pending snap = {};

	timewait__snapshot(&snap, tw);
	timewait__settle(tw, t, snap.substate, snap.expires, snap.rcv_nxt, snap.snd_nxt);
	timewait__finish(tw, t, tw_end, now);
}

/* the socket's timer ran out: 2MSL, or tcp_fin_timeout of an orphaned FIN_WAIT2 */
static __always_inline void timewait__expired(__u64 tw, __u64 now)
{
	struct tcpc_tw *t = bpf_map_lookup_elem(&tws, &tw);

	if (t)
		timewait__end(tw, t, TCPC_TW_EXPIRED, now);
}

#endif /* __TIMEWAIT_BPF_H */
