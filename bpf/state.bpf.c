// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The full socket's close: sock:inet_sock_set_state for TCP. Every close state a connection
 * visits is timed here; the record is sent when the full socket reaches CLOSE, or handed to
 * the timewait socket that carries the connection on (timewait.bpf.h).
 */
#include "conn.bpf.h"
#include "context.bpf.h"
#include "timewait.bpf.h"
#include "keepalive.bpf.h"

static __always_inline bool tcp_need_reset(int state)
{
	/* include/net/tcp.h: the states a local abort answers with a reset */
	return (1 << state) & ((1 << TCP_ESTABLISHED) | (1 << TCP_CLOSE_WAIT) |
			       (1 << TCP_FIN_WAIT1) | (1 << TCP_FIN_WAIT2) | (1 << TCP_SYN_RECV));
}

static __always_inline void emit_transition(const struct tcpc_closing *c, int oldstate,
					    int newstate, bool task, __u64 now)
{
	struct tcpc_transition *t;

	t = bpf_ringbuf_reserve(&events, sizeof(*t), 0);
	if (!t) {
		drop__count(TCPC_DROP_RINGBUF);
		return;
	}
	t->type = TCPC_EV_TRANSITION;
	t->family = c->family;
	t->oldstate = oldstate;
	t->newstate = newstate;
	t->sport = c->sport;
	t->dport = c->dport;
	t->netns = c->netns;
	t->ts_ns = now;
	t->unanswered = 0;
	t->pad = 0;
	t->cgroup_id = c->cgroup_id;
	__builtin_memcpy(t->saddr, c->saddr, sizeof(t->saddr));
	__builtin_memcpy(t->daddr, c->daddr, sizeof(t->daddr));
	if (task) {
		t->pid = bpf_get_current_pid_tgid() >> 32;
		bpf_get_current_comm(t->comm, sizeof(t->comm));
	} else {
		t->pid = 0;
		__builtin_memset(t->comm, 0, sizeof(t->comm));
	}
	bpf_ringbuf_submit(t, ringbuf__flags(sizeof(*t)));
}

/*
 * We are about to send our FIN: it takes sequence number write_seq. Only the first: close()
 * after shutdown(SHUT_WR) sets FIN_WAIT1 again, with write_seq already past that FIN.
 */
static __always_inline void note_our_fin(struct tcpc_closing *c, const struct tcp_sock *tp)
{
	if (c->flags & TCPC_F_OUR_FIN)
		return;
	c->fin_seq = tp->write_seq;
	c->fin_ack = tp->rcv_nxt;
	c->flags |= TCPC_F_OUR_FIN;
}

/* close() or shutdown(SHUT_WR) from ESTABLISHED or SYN_RECV: we close first */
static __always_inline void enter__fin_wait1(struct tcpc_closing *c, const struct tcp_sock *tp)
{
	c->role = TCPC_ROLE_ACTIVE;
	note_our_fin(c, tp);
	conn__set_task(c);
}

/* the peer's FIN came first */
static __always_inline void enter__close_wait(struct tcpc_closing *c, const struct sock *sk,
					      const struct tcp_sock *tp)
{
	c->role = TCPC_ROLE_PASSIVE;
	note_peer_fin(c, sk, tp);
	c->cw_write_seq = tp->write_seq;
	c->cw_known = 1;
}

/*
 * A connection's first close state, FIN_WAIT1 or CLOSE_WAIT from ESTABLISHED or SYN_RECV:
 * its entry made without a lookup first, as mostly there is none. False if one is there
 * after all (an earlier socket's at the address, or this one's since a reset), for the
 * caller to look at; true if done.
 */
static __always_inline bool conn__first_state(struct tcpc_closing *c, const struct sock *sk,
					      const struct tcp_sock *tp, int oldstate,
					      int newstate, __u64 now)
{
	if (conn__start(c, sk, tp, oldstate, now))
		return true;
	conn__note_rcv_shut(c, sk, tp);
	if (newstate == TCP_FIN_WAIT1)
		enter__fin_wait1(c, tp);
	else
		enter__close_wait(c, sk, tp);
	conn__enter(c, newstate, now);
	/* no room: a later state starts the record again, flagged (conn__start()) */
	if (conns__insert(sk, c) == -EEXIST)
		return false;
	if (emit_transitions)
		emit_transition(c, oldstate, newstate, newstate == TCP_FIN_WAIT1, now);
	return true;
}

/* why a local abort (the kernel's own close paths, net/ipv4/tcp.c) sends its reset */
static __always_inline __u8 local_abort_reason(const struct tcpc_closing *c, const struct sock *sk,
						const struct tcp_sock *tp)
{
	__u32 unread = tp->rcv_nxt - tp->copied_seq;
	unsigned long linger_bit = 1UL << bpf_core_enum_value(enum sock_flags, SOCK_LINGER);

	/*
	 * Never accepted (no socket, and no FIN of ours: an orphan that sent one was closed by
	 * its process): inet_child_forget() aborts it as its listener closes, whatever data it
	 * holds. A TCP Fast Open child too.
	 */
	if (!sk->sk_socket && !(c->flags & TCPC_F_OUR_FIN))
		return TCPC_RST_LISTENER_CLOSED;
	/* a FIN takes one sequence number but is not data; reading EOF counts it as copied */
	if ((c->flags & TCPC_F_PEER_FIN) && unread)
		unread--;
	if (unread)
		return TCPC_RST_UNREAD_DATA;
	if ((sk->__sk_common.skc_flags & linger_bit) && !sk->sk_lingertime)
		return TCPC_RST_LINGER0;
	return TCPC_RST_ABORT;
}

/*
 * A FIN_WAIT2 reached CLOSE with no timewait socket and no reset taken in: why the kernel
 * reset it, or TCPC_RST_NONE if it did not (tcp_time_wait() could make no timewait socket for
 * the peer's FIN just taken in: tcp_max_tw_buckets). TCP_LINGER2 below 0 skips FIN_WAIT2;
 * data after close() aborts it (tcp_rcv_state_process()); close() with unread data or with
 * SO_LINGER {1, 0} resets it (__tcp_close()), before any FIN of the peer's.
 */
static __always_inline __u8 fin_wait2__reset_reason(const struct tcpc_closing *c,
						   const struct sock *sk, const struct tcp_sock *tp)
{
	__u8 why;

	if (tp->linger2 < 0)
		return TCPC_RST_LINGER2;
	if (conn__aborted_on_data(c, tp))
		return TCPC_RST_DATA_AFTER_CLOSE;
	if (peer_fin__segment(sk, tp))
		return TCPC_RST_NONE;
	why = local_abort_reason(c, sk, tp);
	return why == TCPC_RST_UNREAD_DATA || why == TCPC_RST_LINGER0 ? why : TCPC_RST_NONE;
}

/*
 * The full socket reached CLOSE: settle why, and send the record, hand it to the timewait
 * socket that carries the connection on, or keep it for its owner. Returns true if it is
 * kept: ended by a reset or a timer in softirq, while a process still holds the socket, it
 * is sent when that process closes it, which names the process (tcpc_destroy).
 */
static __always_inline bool conn__closed(struct tcpc_closing *c, const struct sock *sk,
					 const struct tcp_sock *tp, int oldstate, __u64 now)
{
	bool fin_done = oldstate == TCP_FIN_WAIT2 || oldstate == TCP_CLOSING;
	__u8 timer_cause;

	keepalive__collect(c, sk);
	if (fin_done && timewait__claim(c, sk, tp, now, false))
		return false;
	timer_cause = tcptimer__cause(sk, oldstate, now);
	if (timer_cause != TCPC_CAUSE_NORMAL) {
		/* a timer gave up; it may have sent a reset first, but the timer is the cause */
		c->cause = timer_cause;
	} else if (c->flags & TCPC_F_RST_RECEIVED) {
		c->cause = TCPC_CAUSE_RST_RECEIVED;
	} else if (c->flags & TCPC_F_RST_SENT) {
		c->cause = TCPC_CAUSE_RST_SENT;
		if (!c->rst_reason)
			c->rst_reason = TCPC_RST_ABORT;
	} else if (sk->sk_err == ETIMEDOUT) {
		c->cause = TCPC_CAUSE_TIMEOUT;
	} else if (oldstate == TCP_FIN_WAIT2 &&
		   (c->rst_reason = fin_wait2__reset_reason(c, sk, tp))) {
		/* the kernel sends the reset just after this CLOSE */
		c->cause = TCPC_CAUSE_RST_SENT;
		if (context__now() == TCPC_CTX_PROCESS)
			conn__set_task(c);
	} else if (fin_done) {
		/* tcp_time_wait() made no timewait socket: tcp_max_tw_buckets reached */
		c->tw_end = TCPC_TW_OVERFLOW;
	} else if (tcp_need_reset(oldstate)) {
		/* tcp_close(), tcp_disconnect() and inet_child_forget() set CLOSE before the
		 * reset goes out, so the reason is read from the socket, as they decide it */
		c->cause = TCPC_CAUSE_RST_SENT;
		c->rst_reason = local_abort_reason(c, sk, tp);
		/*
		 * A process closing the socket or its listener, but not always: softirq ends
		 * unaccepted children too (inet_csk_complete_hashdance() when the listener closes
		 * on another CPU, inet_ehash_nolisten() for the loser of two CPUs completing one
		 * request, tcp_v4_syn_recv_sock() finding no route back), and SYN_RECV sockets an
		 * ICMP error ends (tcp_v4_err()). There the task is the softirq's: name none.
		 */
		if (context__now() == TCPC_CTX_PROCESS) {
			conn__set_task(c);
		} else if (oldstate == TCP_SYN_RECV) {
			/*
			 * Of those, only the listener's going (inet_child_forget(), which resets
			 * it next) ends a connection the peer knew. The loser of two CPUs was
			 * never hashed: its twin carries the connection on. Whether a reset
			 * follows is known when it is destroyed, just after.
			 */
			c->await_reset = 1;
		}
	}
	/* the full socket ended without a FIN exchange: by a reset or a timer */
	if (c->cause != TCPC_CAUSE_NORMAL && c->cause != TCPC_CAUSE_FIN_WAIT2_TIMEOUT)
		c->role = TCPC_ROLE_ABORTED;
	conn__end(c, now);
	if (c->await_reset)
		return true;
	if (!c->pid && sk->sk_socket) {
		c->await_owner = 1;
		return true;
	}
	conn__send(c);
	return false;
}

/* the new states this program does anything for: SYN_SENT, CLOSE and the close states */
#define STATES_FOLLOWED ((1U << TCP_SYN_SENT) | (1U << TCP_CLOSE) | (1U << TCP_FIN_WAIT1) | \
			 (1U << TCP_FIN_WAIT2) | (1U << TCP_CLOSE_WAIT) | (1U << TCP_LAST_ACK) | \
			 (1U << TCP_CLOSING))

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tcpc_state, struct sock *sk, int oldstate, int newstate)
{
	struct tcpc_closing fresh, *c;
	__u64 now;
	struct tcp_sock *tp;
	bool created = false;

	/*
	 * The changes that open a connection (SYN_RECV, ESTABLISHED: two in five of a
	 * connection's) leave on the arguments alone, before the socket is read. A listener
	 * closing is no connection.
	 */
	if ((__u32)newstate > TCP_CLOSING || !((1U << newstate) & STATES_FOLLOWED) ||
	    (newstate == TCP_CLOSE && oldstate == TCP_LISTEN))
		return 0;
	if (sk->sk_protocol != IPPROTO_TCP)
		return 0;
	if (newstate == TCP_SYN_SENT) {
		timewait__note_connect(sk);
		return 0;
	}
	tp = bpf_skc_to_tcp_sock(sk);
	if (!tp)
		return 0;

	now = bpf_ktime_get_ns();
	if ((newstate == TCP_FIN_WAIT1 || newstate == TCP_CLOSE_WAIT) &&
	    state__index(oldstate) == TCPC_NOT_CLOSING &&
	    conn__first_state(&fresh, sk, tp, oldstate, newstate, now))
		return 0;
	c = conns__lookup(sk);
	if (c && conn__other_socket(c, sk, tp)) {
		/* an earlier socket's at this address, whose end we never saw */
		conn__send_unseen(c, sk);
		c = NULL;
	}
	if (c && c->await_owner) {
		/* closing again (tcp_disconnect(), then connect()) before its owner closed it:
		 * the earlier record goes as it is */
		conn__send(c);
		conns__delete(sk);
		c = NULL;
	}
	if (!c) {
		/* the first close state: the entry is made once this change is applied */
		c = &fresh;
		if (conn__start(c, sk, tp, oldstate, now))
			return 0;
		created = true;
	} else if (c->state != oldstate && state__index(oldstate) != TCPC_NOT_CLOSING) {
		/* a change the kernel did not let us see (a run nested in another one on this
		 * CPU is skipped): its state was entered by now, and says who closed first */
		if (oldstate == TCP_CLOSING)
			c->role = TCPC_ROLE_SIMULTANEOUS;
		else if (!c->role)
			c->role = role__of_state(oldstate);
		conn__enter(c, oldstate, now);
	}

	conn__note_rcv_shut(c, sk, tp);
	if (emit_transitions)
		emit_transition(c, oldstate, newstate,
				newstate == TCP_FIN_WAIT1 || newstate == TCP_LAST_ACK, now);

	switch (newstate) {
	case TCP_FIN_WAIT1:
		enter__fin_wait1(c, tp);
		break;
	case TCP_CLOSE_WAIT:
		enter__close_wait(c, sk, tp);
		break;
	case TCP_LAST_ACK:
		/* our FIN takes write_seq: fin_seq less cw_write_seq were sent half-closed */
		note_our_fin(c, tp);
		conn__set_task(c);
		break;
	case TCP_CLOSING:
		c->role = TCPC_ROLE_SIMULTANEOUS;
		note_peer_fin(c, sk, tp);
		break;
	case TCP_CLOSE:
		if (oldstate == TCP_SYN_SENT || oldstate == TCP_SYN_RECV ||
		    oldstate == TCP_ESTABLISHED)
			c->role = TCPC_ROLE_NONE;
		if (!conn__closed(c, sk, tp, oldstate, now)) {
			if (!created)
				conns__delete(sk);
		} else if (created && conns__insert(sk, c)) {
			/* no room to wait for the owner: send it without */
			conn__send(c);
		}
		return 0;
	}
	conn__enter(c, newstate, now);
	/* no room: a later state starts the record again, flagged (conn__start()) */
	if (created)
		conns__insert(sk, c);
	return 0;
}

/*
 * A full socket destroyed with its entry still there: a record waiting for its owner, who
 * is closing it now (this runs in its close()); or one whose CLOSE was missed (the kernel
 * skips a run of a program nested in another run of it on the same CPU, as when a softirq
 * interrupts one in process context): settle and send that now, counted as late.
 */
SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(tcpc_destroy, struct sock *sk)
{
	struct tcp_sock *tp;
	enum tcpc_context now_in;
	struct tcpc_closing *c;

	c = conns__lookup(sk);
	if (!c)
		return 0;
	tp = bpf_skc_to_tcp_sock(sk);
	if (!tp)
		return 0;
	if (conn__other_socket(c, sk, tp)) {
		conn__send_unseen(c, sk);
		return 0;
	}
	if (c->await_reset) {
		/* a reset went out: the listener's going ended it; none: it was a twin, or
		 * a child tcp_v4_syn_recv_sock() made and dropped, never a connection */
		if (c->flags & TCPC_F_RST_SENT)
			conn__send(c);
		goto out;
	}
	if (!c->await_owner) {
		drop__count(TCPC_DROP_LATE);
		/* an orphan is destroyed right after its CLOSE: if that made a timewait socket,
		 * the record goes on there, whatever state change was missed before */
		if (timewait__claim(c, sk, tp, bpf_ktime_get_ns(), true) ||
		    !conn__closed(c, sk, tp, c->state, bpf_ktime_get_ns()))
			goto out;
	}
	/*
	 * Its owner closes it now, or nobody will: it waits no longer. A socket still held at
	 * its CLOSE is destroyed by its holder's close(), a process; an orphan whose CLOSE was
	 * missed, where that CLOSE ran: often a softirq, whose task is nobody's to name.
	 */
	now_in = context__now();
	if (now_in == TCPC_CTX_PROCESS || (now_in == TCPC_CTX_UNKNOWN && c->await_owner))
		conn__set_task(c);
	conn__send(c);
out:
	conns__delete(sk);
	return 0;
}
