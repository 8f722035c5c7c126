/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Keepalive probes and the timers that end connections, on tracepoints alone.
 *
 * tcp_keepalive_timer sends a probe with icsk_probes_out++ and tcp_ack() sets it back to 0:
 * comparing it at the timer's entry and while it still holds the socket lock counts probes,
 * and its peak is the longest run unanswered. Not at its exit: that runs after
 * bh_unlock_sock(), when an ACK of the probe processed on another CPU may have reset the
 * count already (a peer answering through a NIC of another CPU, or a vCPU stalled there),
 * and the answered probe would be lost. What holds the lock: the re-arm of the timer itself
 * (timer_start) for the tracepoints, the return of tcp_write_wakeup() for fexit and kretprobe.
 * The exit still counts what no hook under the lock saw (a tp_btf program skipped as
 * recursive). When a timer aborts a connection (tcp_write_err() ->
 * tcp_done()), the CLOSE happens inside that timer's run: the timer running on this CPU
 * for this socket names the cause, the way the kernel's own code path decides it.
 */
#ifndef __KEEPALIVE_BPF_H
#define __KEEPALIVE_BPF_H

#include "conn.bpf.h"

static __always_inline __u64 sk_from_timer(const struct timer_list *timer, __u32 offset)
{
	/* container_of() on the trusted timer pointer is refused by the verifier */
	return (__u64)timer - offset;
}

/*
 * Some kernels run keepalives on a timer of the connection socket rather than sk->sk_timer
 * (Debian's 6.1 and 6.12 have icsk_keepalive_timer, in a union with MPTCP's timeout timer);
 * this one's BTF has it or not, and the offset follows.
 */
struct inet_connection_sock___ka {
	struct timer_list icsk_keepalive_timer;
} __attribute__((preserve_access_index));

/* the sockets of the keepalive and the retransmit timer */
static __always_inline __u64 sk_of_keepalive_timer(const struct timer_list *timer)
{
	if (bpf_core_field_exists(struct inet_connection_sock___ka, icsk_keepalive_timer))
		return sk_from_timer(timer, bpf_core_field_offset(struct inet_connection_sock___ka,
								  icsk_keepalive_timer));
	return sk_from_timer(timer, bpf_core_field_offset(struct sock, sk_timer));
}

static __always_inline __u64 sk_of_write_timer(const struct timer_list *timer)
{
	return sk_from_timer(timer, bpf_core_field_offset(struct inet_connection_sock,
							  icsk_retransmit_timer));
}

static __always_inline __u8 sk_probes_out(__u64 sk)
{
	return BPF_CORE_READ((const struct inet_connection_sock *)sk, icsk_probes_out);
}

/* a timer's socket's ports: inet_sport, which CLOSE leaves (skc_num it zeroes), and dport */
static __always_inline void sk_ports(__u64 sk, __u16 *sport, __u16 *dport)
{
	*sport = bpf_ntohs(BPF_CORE_READ((const struct inet_sock *)sk, inet_sport));
	*dport = bpf_ntohs(BPF_CORE_READ((const struct sock *)sk, __sk_common.skc_dport));
}

/*
 * Would the filters drop the connection of sk? Then its probes are not counted: no record
 * would collect them, and their entry would stay in kas for good.
 */
static __always_inline bool ka__filtered(__u64 sk, __u16 sport, __u16 dport)
{
	const struct sock_common *skc = (const void *)sk;
	__u16 family = BPF_CORE_READ(skc, skc_family);

	return tuple__filtered(family, sport, dport, BPF_CORE_READ(skc, skc_net.net)) ||
	       skc__addrs_filtered(skc, family) || sk__cgroup_filtered((const struct sock *)sk);
}

/* 'run' probes in a row are known to have gone unanswered; probes_out is the count now */
static __always_inline void ka__note(struct ka_count *ka, __u32 run, __u32 probes_out)
{
	if (run > ka->unanswered)
		ka->unanswered = run;
	ka->last = probes_out;
}

/*
 * icsk_probes_out counts the probes sent since the last ACK. When the k-th goes out, the
 * k - 1 before it went unanswered; its own answer is yet to come.
 */
static __always_inline void ka__sent(struct ka_count *ka, __u32 probes_out)
{
	ka__note(ka, probes_out - 1, probes_out);
}

/*
 * At the connection's end: back at 0 after k, the k-th probe was answered and the k - 1
 * before it were not; still at k, none of the k got an answer before the end.
 */
static __always_inline void ka__settle(struct ka_count *ka, __u32 probes_out)
{
	ka__note(ka, probes_out ? probes_out : (ka->last ? ka->last - 1 : 0), probes_out);
}

/* a keepalive or retransmit timer of socket sk begins to run on this CPU */
static __always_inline void tcptimer__enter(__u64 sk, __u8 kind)
{
	struct timer_run *run = percpu__get(&timer_run);
	struct ka_count *ka;

	if (!run)
		return;
	run->sk = sk;
	run->kind = kind;
	run->probes_out = kind == TIMER_KEEPALIVE ? sk_probes_out(sk) : 0;
	if (kind == TIMER_KEEPALIVE && !run->probes_out) {
		/* back at 0: an ACK answered the last probe since the previous run */
		ka = bpf_map_lookup_elem(&kas, &sk);
		if (ka)
			ka__settle(ka, 0);
	}
}

/* --transitions: 'run' probes in a row have gone unanswered on socket sk */
static __always_inline void emit_unanswered(__u64 sk, __u32 run, __u64 now)
{
	const struct sock_common *skc = (const void *)sk;
	struct tcpc_transition *t;

	t = bpf_ringbuf_reserve(&events, sizeof(*t), 0);
	if (!t) {
		drop__count(TCPC_DROP_RINGBUF);
		return;
	}
	__builtin_memset(t, 0, sizeof(*t));
	t->type = TCPC_EV_TRANSITION;
	t->oldstate = TCP_ESTABLISHED;
	t->newstate = TCPC_KEEPALIVE_UNANSWERED;
	skc__read_tuple(skc, &t->family, &t->dport, &t->netns, t->saddr, t->daddr);
	/* inet_sport: by CLOSE, inet_put_port() has zeroed skc_num */
	t->sport = bpf_ntohs(BPF_CORE_READ((const struct inet_sock *)sk, inet_sport));
	t->ts_ns = now;
	t->unanswered = run;
	t->cgroup_id = sk__cgroup_id_probed((const struct sock *)sk);
	bpf_ringbuf_submit(t, ringbuf__flags(sizeof(*t)));
}

/*
 * Make the entry of sk, counted in ka_entries before it exists, so that a CPU that reads 0
 * there may take it that kas holds nothing (keepalive__collect())
 */
static __always_inline struct ka_count *ka__insert(__u64 sk, const struct ka_count *fresh)
{
	struct ka_count *ka;

	__sync_fetch_and_add(&ka_entries, 1);
	if (bpf_map_update_elem(&kas, &sk, fresh, BPF_NOEXIST))
		__sync_fetch_and_add(&ka_entries, -1);
	/* another CPU may have made it meanwhile: only one still missing is a loss */
	ka = bpf_map_lookup_elem(&kas, &sk);
	if (!ka)
		drop__count(TCPC_DROP_KA_MAP);
	return ka;
}

/*
 * icsk_probes_out of the socket whose keepalive timer runs on this CPU is (or is about to be)
 * 'out': count the probes sent since the timer began, once (run->probes_out moves on).
 */
static __always_inline void ka__count(struct timer_run *run, __u8 out)
{
	struct ka_count *ka, fresh = {};
	__u64 sk = run->sk;
	__u8 sent;

	if (out <= run->probes_out)
		return;
	sent = out - run->probes_out;
	run->probes_out = out;
	sk_ports(sk, &fresh.sport, &fresh.dport);
	ka = bpf_map_lookup_elem(&kas, &sk);
	if (ka && (ka->sport != fresh.sport || ka->dport != fresh.dport)) {
		/* an earlier socket's at this address, whose end no record collected */
		*ka = fresh;
	} else if (!ka) {
		if (ka__filtered(sk, fresh.sport, fresh.dport))
			return;
		ka = ka__insert(sk, &fresh);
	}
	if (!ka)
		return;
	ka->probes += sent;
	ka__sent(ka, out);
	/* another probe while some are out: the one before it went unanswered */
	if (emit_transitions && out >= 2)
		emit_unanswered(sk, out - 1, bpf_ktime_get_ns());
}

/* the keepalive timer of socket sk (0: of whichever socket) runs on this CPU */
static __always_inline struct timer_run *ka__running(__u64 sk)
{
	struct timer_run *run = percpu__get(&timer_run);

	if (!run || !run->sk || run->kind != TIMER_KEEPALIVE || (sk && run->sk != sk))
		return NULL;
	return run;
}

/*
 * timer_start of sk's keepalive timer: inside its own run, that is its re-arm by
 * inet_csk_reset_keepalive_timer(), after any icsk_probes_out++ and before bh_unlock_sock().
 * The timer is not pending in its own handler, so __mod_timer() always starts it.
 */
static __always_inline void tcptimer__rearm(__u64 sk)
{
	struct timer_run *run = ka__running(sk);

	if (run)
		ka__count(run, sk_probes_out(sk));
}

/*
 * tcp_write_wakeup() returned ret in sk's keepalive timer (sk 0: the running one's), with the
 * lock held: <= 0 and tcp_keepalive_timer() does icsk_probes_out++ next. tcp_probe_timer()
 * calls it too (zero-window probes), in a write timer: not counted here.
 */
static __always_inline void tcptimer__wakeup_done(__u64 sk, int ret)
{
	struct timer_run *run = ka__running(sk);

	if (run && ret <= 0)
		ka__count(run, sk_probes_out(run->sk) + 1);
}

/* the timer has run: count the probes no hook under the lock counted (sk 0: whichever) */
static __always_inline void tcptimer__exit(__u64 sk)
{
	struct timer_run *run = percpu__get(&timer_run);

	if (!run || !run->sk || (sk && run->sk != sk))
		return;
	if (run->kind == TIMER_KEEPALIVE)
		ka__count(run, sk_probes_out(run->sk));
	run->sk = 0;
}

/*
 * The full socket reaches CLOSE: if one of its timers is running, that timer ended it.
 * Mirrors tcp_keepalive_timer() and tcp_write_timeout(): a user timeout set on the socket
 * is what expired; else keepalive probes ran out, an orphan's FIN retries ran out, an
 * orphaned FIN_WAIT2 timed out, or data retransmissions did.
 */
static __always_inline __u8 tcptimer__cause(const struct sock *sk, int oldstate, __u64 now)
{
	const struct inet_connection_sock *icsk = (const void *)sk;
	unsigned long dead_bit = 1UL << bpf_core_enum_value(enum sock_flags, SOCK_DEAD);
	struct timer_run *run = percpu__get(&timer_run);

	if (!run || run->sk != (__u64)sk || run->kind == TIMER_NONE)
		return TCPC_CAUSE_NORMAL;
	if (run->kind == TIMER_KEEPALIVE && oldstate == TCP_FIN_WAIT2)
		return TCPC_CAUSE_FIN_WAIT2_TIMEOUT;
	if (BPF_CORE_READ(icsk, icsk_user_timeout))
		return TCPC_CAUSE_USER_TIMEOUT;
	if (run->kind == TIMER_KEEPALIVE) {
		/* the probes ran out: the last one went unanswered as well */
		if (emit_transitions)
			emit_unanswered((__u64)sk, BPF_CORE_READ(icsk, icsk_probes_out), now);
		return TCPC_CAUSE_KEEPALIVE_TIMEOUT;
	}
	if (sk->__sk_common.skc_flags & dead_bit)
		return TCPC_CAUSE_ORPHAN_RETRIES;
	return TCPC_CAUSE_RETRANS_TIMEOUT;
}

/* move the socket's probe counts into its record */
static __always_inline void keepalive__collect(struct tcpc_closing *c, const struct sock *sk)
{
	__u64 key = (__u64)sk;
	struct ka_count *ka;

	/*
	 * Looked up whatever SO_KEEPALIVE says now: a socket may have sent probes and then
	 * turned it off, and its entry must go with it. Not when kas is empty, as it mostly is:
	 * that saves every close a hash lookup.
	 */
	if (!ka_entries)
		return;
	ka = bpf_map_lookup_elem(&kas, &key);
	if (!ka)
		return;
	if (ka->sport == c->sport && ka->dport == c->dport) {
		ka__settle(ka, BPF_CORE_READ((const struct inet_connection_sock *)sk,
					     icsk_probes_out));
		c->keepalive_probes = ka->probes;
		c->keepalive_unanswered = ka->unanswered;
	}
	if (!bpf_map_delete_elem(&kas, &key))
		__sync_fetch_and_add(&ka_entries, -1);
}

#endif /* __KEEPALIVE_BPF_H */
