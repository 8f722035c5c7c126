// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A walk over one network namespace's TCP sockets (iter/tcp: full, request and timewait
 * sockets), run by user space: at start-up to find the connections that were already
 * closing, and each interval to count the sockets in each close state, as ss would.
 */
#include "conn.bpf.h"
#include "timewait.bpf.h"

/*
 * When a connection found closing at start-up entered its state, as well as the socket
 * tells: the last segment received (the peer's FIN for CLOSE_WAIT, the ACK of ours for
 * FIN_WAIT2) or sent (our FIN for LAST_ACK). Else now: a lower bound.
 */
static __always_inline __u64 seed_entered(const struct tcp_sock *tp, int state, __u64 now)
{
	__u32 j = (__u32)bpf_jiffies64(), then, ago;

	if (state == TCP_CLOSE_WAIT || state == TCP_FIN_WAIT2)
		then = tp->rcv_tstamp;
	else if (state == TCP_LAST_ACK)
		then = tp->lsndtime;
	else
		return now;
	ago = j - then;
	if ((__s32)ago < 0 || ago * jiffies__tick_ns() > now)
		return now;
	return now - ago * jiffies__tick_ns();
}

/* a full socket already closing when tcpclose started: follow it from now on */
static __always_inline void seed_full(struct tcp_sock *tp, int state, __u64 now)
{
	struct sock *sk = (struct sock *)tp;
	__u64 entered = seed_entered(tp, state, now);
	struct tcpc_closing c;

	if (conns__lookup(sk))
		return;		/* followed since attach */
	/* started at its estimated entry: a clock never runs back from where it started */
	if (conn__start(&c, sk, tp, TCP_CLOSE, entered))
		return;
	c.flags |= TCPC_F_PARTIAL;
	c.role = role__of_state(state);
	if (state == TCP_CLOSE_WAIT) {
		/* bytes sent half-closed from now on: those before were not seen */
		c.cw_write_seq = tp->write_seq;
		c.cw_known = 1;
	}
	conn__enter(&c, state, entered);
	/* no room: its state changes start it again, flagged STATES_LOST, counted then */
	conns__insert(sk, &c);
}

/* the entry of a full socket the walk is at, and the socket; NULL if it has none */
static __always_inline struct tcpc_closing *full_entry(struct sock_common *skc,
						       struct tcp_sock **tpp)
{
	struct tcp_sock *tp = bpf_skc_to_tcp_sock(skc);

	*tpp = tp;
	return tp ? conns__lookup(tp) : NULL;
}

/* --stuck: a connection in CLOSE_WAIT, FIN_WAIT2 or LAST_ACK since at least stuck_ns */
static __always_inline void report_stuck(struct seq_file *seq, const struct sock_common *skc,
					 const struct tcpc_closing *c, int state, __u64 ino,
					 __u64 now)
{
	struct tcpc_stuck st = {};

	if (c->state != state || now - c->enter_ns < stuck_ns)
		return;
	if (filter_pid && c->pid != filter_pid)
		return;
	st.type = TCPC_EV_STUCK;
	st.family = c->family;
	st.state = state;
	st.close_state = state__index(state);
	st.partial = !!(c->flags & (TCPC_F_PARTIAL | TCPC_F_STATES_LOST));
	st.sport = c->sport;
	st.dport = c->dport;
	st.netns = c->netns;
	st.pid = c->pid;
	st.cgroup_id = c->cgroup_id;
	st.age_ns = now - c->enter_ns;
	st.ts_ns = now;
	st.ino = ino;
	__builtin_memcpy(st.saddr, c->saddr, sizeof(st.saddr));
	__builtin_memcpy(st.daddr, c->daddr, sizeof(st.daddr));
	__builtin_memcpy(st.comm, c->comm, sizeof(st.comm));
	bpf_seq_write(seq, &st, sizeof(st));
}

static __always_inline bool stuck_state(int state)
{
	return state == TCP_CLOSE_WAIT || state == TCP_FIN_WAIT2 || state == TCP_LAST_ACK;
}

/* a timewait socket's row, but for its process, cgroup and age: its tuple is the socket's */
static __always_inline void tw_row(struct tcpc_stuck *st, struct sock_common *skc, __u64 tw,
				   int state, __u64 now)
{
	st->type = TCPC_EV_STUCK;
	st->state = state;
	st->close_state = state__index(state);
	skc__read_tuple(skc, &st->family, &st->dport, &st->netns, st->saddr, st->daddr);
	st->sport = skc->skc_num;
	st->ts_ns = now;
	st->tw = tw;
}

/*
 * --stuck, an orphaned FIN_WAIT2 (a timewait socket): no process holds it any more. Its
 * process and cgroup are in its record's head, which user space has (user/tw_join.c) and
 * fills in by tw. Without entries (tw_entryless) its age is there too: every one is
 * written, and user space keeps those stuck past the threshold (user/walk.c).
 */
static __always_inline void report_stuck_tw(struct seq_file *seq, struct sock_common *skc,
					    struct tcp_timewait_sock *tw, int state, __u64 now)
{
	__u64 key = (__u64)tw, entered;
	struct tcpc_stuck st = {};
	struct tcpc_tw *t;

	if (tw_entryless) {
		tw_row(&st, skc, key, state, now);
		bpf_seq_write(seq, &st, sizeof(st));
		return;
	}
	t = bpf_map_lookup_elem(&tws, &key);
	if (!t || t->state != state)
		return;
	entered = tcpc_tw__enter_ns(t);
	if (now - entered < stuck_ns)
		return;
	tw_row(&st, skc, key, state, now);
	st.partial = !!(t->flags & TCPC_TWF_PARTIAL);
	st.age_ns = now - entered;
	bpf_seq_write(seq, &st, sizeof(st));
}

static __always_inline void walk_stuck(struct seq_file *seq, struct sock_common *skc,
				       struct tcp_timewait_sock *tw, int state)
{
	__u64 now = bpf_ktime_get_ns(), ino = 0;
	struct tcp_sock *tp;
	struct tcpc_closing *c;

	if (!stuck_state(state))
		return;
	if (tw) {
		report_stuck_tw(seq, skc, tw, state, now);
		return;
	}
	c = full_entry(skc, &tp);
	if (!c)
		return;
	if (tp->inet_conn.icsk_inet.sk.sk_socket)
		ino = BPF_CORE_READ(tp, inet_conn.icsk_inet.sk.sk_socket, file, f_inode, i_ino);
	report_stuck(seq, skc, c, state, ino, now);
}

/*
 * tcpclose top: every socket in a close state, as the kernel holds it now (its own tuple,
 * followed or not), with the process of tcpclose's entry for it if there is one, and the
 * socket's inode so that user space can find the holder of a full socket whose entry has
 * no process yet (a CLOSE_WAIT entered in softirq).
 */
static __always_inline void walk_held(struct seq_file *seq, struct sock_common *skc,
				      struct tcp_timewait_sock *tw, int state, __u8 idx)
{
	struct tcpc_stuck st = {};
	struct tcpc_closing *c = NULL;
	struct tcp_sock *tp;
	struct tcpc_tw *t;
	__u64 key = (__u64)tw;

	st.type = TCPC_EV_STUCK;
	st.state = state;
	st.close_state = idx;
	skc__read_tuple(skc, &st.family, &st.dport, &st.netns, st.saddr, st.daddr);
	st.sport = skc->skc_num;
	st.ts_ns = bpf_ktime_get_ns();
	if (tw && tw_entryless) {
		/* whether it is followed, and by whom, its record's head says (user/walk.c) */
		st.tw = key;
		bpf_seq_write(seq, &st, sizeof(st));
		return;
	}
	if (tw) {
		/* followed: -p's, since it is followed only then; the process and cgroup are
		 * its record's head's, which user space fills in by tw (user/tw_join.c) */
		t = bpf_map_lookup_elem(&tws, &key);
		if (t) {
			st.tw = key;
			st.partial = !!(t->flags & TCPC_TWF_PARTIAL);
			st.age_ns = st.ts_ns - tcpc_tw__enter_ns(t);
		} else if (filter_pid) {
			return;
		}
		bpf_seq_write(seq, &st, sizeof(st));
		return;
	}
	c = full_entry(skc, &tp);
	if (tp) {
		if (tp->inet_conn.icsk_inet.sk.sk_socket)
			st.ino = BPF_CORE_READ(tp, inet_conn.icsk_inet.sk.sk_socket, file, f_inode,
					       i_ino);
		/* followed or not, a full socket knows its cgroup */
		st.cgroup_id = sk__cgroup_id(&tp->inet_conn.icsk_inet.sk);
	}
	if (c) {
		if (filter_pid && c->pid != filter_pid)
			return;
		st.pid = c->pid;
		st.partial = !!(c->flags & (TCPC_F_PARTIAL | TCPC_F_STATES_LOST));
		st.age_ns = st.ts_ns - c->enter_ns;
		__builtin_memcpy(st.comm, c->comm, sizeof(st.comm));
	} else if (filter_pid) {
		return;		/* no process known: not -p's */
	}
	bpf_seq_write(seq, &st, sizeof(st));
}

/*
 * At exit: the entry of every socket still there, full or timewait, is marked, so that an
 * entry left unmarked is one whose socket went away unseen (docs/LIMITS.md): user space
 * sends it.
 */
static __always_inline void mark_followed(struct sock_common *skc, struct tcp_timewait_sock *tw)
{
	struct tcp_sock *tp;
	struct tcpc_closing *c;
	struct tcpc_tw *t;
	__u64 key = (__u64)tw;

	if (tw) {
		t = bpf_map_lookup_elem(&tws, &key);
		if (t)
			t->walk_mark = iter_mark;
		return;
	}
	c = full_entry(skc, &tp);
	if (c)
		c->walk_mark = iter_mark;
}

/*
 * At exit, without timewait entries: every timewait socket still there, by its address,
 * ports and snd_nxt, for user space to mark the heads it holds (user/tw_join.c)
 */
static __always_inline void write_found(struct seq_file *seq, struct sock_common *skc,
					struct tcp_timewait_sock *tw)
{
	struct tcpc_tw_found f = {
		.tw = (__u64)tw, .sport = skc->skc_num, .dport = bpf_ntohs(skc->skc_dport),
		.snd_nxt = tw__snd_nxt((__u64)tw),
	};

	bpf_seq_write(seq, &f, sizeof(f));
}

/*
 * The gauges count what the records would be sent for: the address filters apply as to a
 * record, and --cgroup to a full socket; a timewait socket has no cgroup, and counts if
 * tcpclose follows it (its full socket passed). -p cannot apply: a socket has no pid.
 */
static __always_inline bool gauge__filtered(struct sock_common *skc, struct tcp_timewait_sock *tw)
{
	struct tcp_sock *tp;
	__u64 key;

	if (skc__addrs_filtered(skc, skc->skc_family))
		return true;
	if (!filter_cgroup)
		return false;
	if (tw) {
		key = (__u64)tw;
		return !bpf_map_lookup_elem(&tws, &key);
	}
	tp = bpf_skc_to_tcp_sock(skc);
	return !tp || sk__cgroup_filtered((struct sock *)tp);
}

/*
 * How long ago a timewait socket entered TIME_WAIT, as tcp_twsk_unique() counts it against
 * tcp_tw_reuse_delay (milliseconds of tcp_clock_ms(), the monotonic clock). Before 6.14
 * (no tw_entry_stamp, no delay sysctl) it allowed reuse a second after the last timestamp
 * seen (ktime_get_seconds() past tw_ts_recent_stamp): whole seconds then.
 */
/* 6.14's field, in a flavour of its own: the programs build against an older vmlinux.h too
 * (vmlinux/aarch64/ is 6.1's) */
struct inet_timewait_sock___new {
	u32 tw_entry_stamp;
} __attribute__((preserve_access_index));

static __always_inline __u32 tw__age_ms(const struct tcp_timewait_sock *tw)
{
	const struct inet_timewait_sock___new *itw = (const void *)&tw->tw_sk;
	__u64 now = bpf_ktime_get_ns();

	if (bpf_core_field_exists(itw->tw_entry_stamp))
		return (__u32)(now / 1000000) - BPF_CORE_READ(itw, tw_entry_stamp);
	return ((__u32)(now / NSEC_PER_SEC) - (__u32)tw->tw_ts_recent_stamp) * 1000;
}

/*
 * --port-pressure: a socket that holds a local port towards a destination, full or
 * timewait. Listeners and unconnected sockets have no destination; a request socket
 * (NEW_SYN_RECV) shares its listener's port. User space counts them per destination.
 */
static __always_inline void walk_port(struct seq_file *seq, struct sock_common *skc,
				      struct tcp_timewait_sock *tw, int state)
{
	struct tcpc_port p = {};

	if (state == TCP_LISTEN || state == TCP_CLOSE || state == TCP_NEW_SYN_RECV ||
	    !skc->skc_dport)
		return;
	p.family = skc->skc_family;
	p.state = state;
	p.sport = skc->skc_num;
	p.dport = bpf_ntohs(skc->skc_dport);
	p.netns = BPF_CORE_READ(skc, skc_net.net, ns.inum);
	skc__read_addrs(skc, p.family, p.saddr, p.daddr);
	if (skc->skc_bound_dev_if == 1)		/* LOOPBACK_IFINDEX */
		p.flags |= TCPC_PORT_LO_BOUND;
	if (tw) {
		p.flags |= TCPC_PORT_TW;
		if (tw->tw_ts_recent_stamp)
			p.flags |= TCPC_PORT_TS;
		p.tw_age_ms = tw__age_ms(tw);
	}
	bpf_seq_write(seq, &p, sizeof(p));
}

SEC("iter/tcp")
int tcpc_iter(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct tcp_timewait_sock *tw;
	struct tcp_sock *tp;
	int state;
	__u8 idx;

	if (!skc)
		return 0;
	state = skc->skc_state;
	tw = bpf_skc_to_tcp_timewait_sock(skc);
	if (iter_mode == TCPC_ITER_MARK) {
		if (tw && tw_entryless)
			write_found(ctx->meta->seq, skc, tw);
		else
			mark_followed(skc, tw);
		return 0;
	}
	if (tw)
		state = tw->tw_sk.tw_substate;	/* as ss shows it: FIN_WAIT2 or TIME_WAIT */
	if (iter_mode == TCPC_ITER_PORTS) {
		if (!tuple__filtered(skc->skc_family, skc->skc_num, bpf_ntohs(skc->skc_dport),
				     skc->skc_net.net) && !gauge__filtered(skc, tw))
			walk_port(ctx->meta->seq, skc, tw, state);
		return 0;
	}
	idx = state__index(state);
	if (idx >= TCPC_NR_STATES)
		return 0;
	if (tuple__filtered(skc->skc_family, skc->skc_num, bpf_ntohs(skc->skc_dport),
			    skc->skc_net.net))
		return 0;

	if (iter_mode == TCPC_ITER_GAUGES) {
		if (!gauge__filtered(skc, tw))
			gauges[idx]++;
		return 0;
	}
	if (iter_mode == TCPC_ITER_STUCK) {
		walk_stuck(ctx->meta->seq, skc, tw, state);
		return 0;
	}
	if (iter_mode == TCPC_ITER_HELD) {
		if (!gauge__filtered(skc, tw))
			walk_held(ctx->meta->seq, skc, tw, state, idx);
		return 0;
	}
	if (tw) {
		timewait__seed((__u64)tw, bpf_ktime_get_ns());
		return 0;
	}
	tp = bpf_skc_to_tcp_sock(skc);
	if (tp)
		seed_full(tp, state, bpf_ktime_get_ns());
	return 0;
}
