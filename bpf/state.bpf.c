// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The full socket's close: sock:inet_sock_set_state for TCP. Every close state a connection
 * visits is timed here; the record is sent when the full socket reaches CLOSE, or handed to
 * the timewait socket that carries the connection on (timewait.bpf.c).
 */
#include "conn.bpf.h"
#include "timewait.bpf.h"
#include "keepalive.bpf.h"

static __always_inline bool tcp_need_reset(int state)
{
	/* include/net/tcp.h: the states a local abort answers with a reset */
	return (1 << state) & ((1 << TCP_ESTABLISHED) | (1 << TCP_CLOSE_WAIT) |
			       (1 << TCP_FIN_WAIT1) | (1 << TCP_FIN_WAIT2) | (1 << TCP_SYN_RECV));
}

static __always_inline void emit_transition(const struct conn *c, int oldstate, int newstate,
					    bool task, __u64 now)
{
	struct tc_transition *t;

	t = bpf_ringbuf_reserve(&events, sizeof(*t), 0);
	if (!t) {
		drop__count(TC_DROP_RINGBUF);
		return;
	}
	t->type = TC_EV_TRANSITION;
	t->family = c->rec.family;
	t->oldstate = oldstate;
	t->newstate = newstate;
	t->sport = c->rec.sport;
	t->dport = c->rec.dport;
	t->netns = c->rec.netns;
	t->ts_ns = now;
	__builtin_memcpy(t->saddr, c->rec.saddr, sizeof(t->saddr));
	__builtin_memcpy(t->daddr, c->rec.daddr, sizeof(t->daddr));
	if (task) {
		t->pid = bpf_get_current_pid_tgid() >> 32;
		bpf_get_current_comm(t->comm, sizeof(t->comm));
	} else {
		t->pid = 0;
		__builtin_memset(t->comm, 0, sizeof(t->comm));
	}
	bpf_ringbuf_submit(t, ringbuf__flags());
}

/* the peer's FIN has just been taken in: it is the byte before rcv_nxt */
static __always_inline void note_peer_fin(struct conn *c, const struct tcp_sock *tp)
{
	if (c->rec.flags & TC_F_PEER_FIN)
		return;
	c->rec.peer_fin_seq = tp->rcv_nxt - 1;
	c->rec.peer_fin_ack = tp->snd_una;
	c->rec.flags |= TC_F_PEER_FIN;
}

/* we are about to send our FIN: it takes sequence number write_seq */
static __always_inline void note_our_fin(struct conn *c, const struct tcp_sock *tp)
{
	c->rec.fin_seq = tp->write_seq;
	c->rec.fin_ack = tp->rcv_nxt;
	c->rec.flags |= TC_F_OUR_FIN;
}

/* why a local abort (the kernel's own close paths, net/ipv4/tcp.c) sends its reset */
static __always_inline __u8 local_abort_reason(const struct conn *c, const struct sock *sk,
						const struct tcp_sock *tp)
{
	__u32 unread = tp->rcv_nxt - tp->copied_seq;
	unsigned long linger_bit = 1UL << bpf_core_enum_value(enum sock_flags, SOCK_LINGER);

	/* a FIN takes one sequence number but is not data; reading EOF counts it as copied */
	if ((c->rec.flags & TC_F_PEER_FIN) && unread)
		unread--;
	if (unread)
		return TC_RST_UNREAD_DATA;
	if ((sk->__sk_common.skc_flags & linger_bit) && !sk->sk_lingertime)
		return TC_RST_LINGER0;
	/* never accepted: inet_child_forget() aborts it before orphaning it */
	if (!sk->sk_socket)
		return TC_RST_LISTENER_CLOSED;
	return TC_RST_ABORT;
}

/*
 * FIN_WAIT2 or CLOSING reached CLOSE: if tcp_time_wait() has just made a timewait socket for
 * the connection, move the record there to be sent when that ends.
 */
static __always_inline bool hand_to_timewait(struct conn *c, const struct tcp_sock *tp)
{
	struct twconn *t;
	__u64 tw;

	t = timewait__claim(c, &tw);
	if (!t)
		return false;
	if (t->c.state == TCP_TIME_WAIT) {
		/* the peer's FIN ended FIN_WAIT2 or CLOSING just now */
		note_peer_fin(c, tp);
		conn__enter(c, TCP_TIME_WAIT, t->c.enter_ns);
	}
	/* else an orphaned FIN_WAIT2 goes on in the timewait socket, on the same clock */
	c->rec.flags |= TC_F_TW;
	__builtin_memcpy(&t->c, c, sizeof(t->c));
	return true;
}

/* the full socket reached CLOSE: settle why, and send the record or hand it on */
static __always_inline void conn__closed(struct conn *c, const struct sock *sk,
					 const struct tcp_sock *tp, int oldstate, __u64 now)
{
	struct tc_conn *rec = &c->rec;
	bool fin_done = oldstate == TCP_FIN_WAIT2 || oldstate == TCP_CLOSING;
	__u8 timer_cause;

	keepalive__collect(c, sk);
	conn__name_accepter(c, sk);
	if (fin_done && hand_to_timewait(c, tp))
		return;
	timer_cause = tcptimer__cause(sk, oldstate, now);
	if (timer_cause != TC_CAUSE_NORMAL) {
		/* a timer gave up; it may have sent a reset first, but the timer is the cause */
		rec->cause = timer_cause;
	} else if (rec->flags & TC_F_RST_RECEIVED) {
		rec->cause = TC_CAUSE_RST_RECEIVED;
	} else if (rec->flags & TC_F_RST_SENT) {
		rec->cause = TC_CAUSE_RST_SENT;
		rec->rst_reason = TC_RST_ABORT;
	} else if (sk->sk_err == ETIMEDOUT) {
		rec->cause = TC_CAUSE_TIMEOUT;
	} else if (fin_done) {
		/* tcp_time_wait() made no timewait socket: tcp_max_tw_buckets reached */
		rec->tw_end = TC_TW_OVERFLOW;
	} else if (tcp_need_reset(oldstate)) {
		/* tcp_close(), tcp_disconnect() and inet_child_forget() set CLOSE before the
		 * reset goes out, so the reason is read from the socket, as they decide it */
		rec->cause = TC_CAUSE_RST_SENT;
		rec->rst_reason = local_abort_reason(c, sk, tp);
		conn__set_task(rec);
	}
	/* the full socket ended without a FIN exchange: by a reset or a timer */
	if (rec->cause != TC_CAUSE_NORMAL && rec->cause != TC_CAUSE_FIN_WAIT2_TIMEOUT)
		rec->role = TC_ROLE_ABORTED;
	conn__emit(c, now);
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tc_state, struct sock *sk, int oldstate, int newstate)
{
	struct tcp_sock *tp;
	struct conn *c;
	__u64 now;

	if (sk->sk_protocol != IPPROTO_TCP)
		return 0;
	/* listeners, and the children they clone, are not connections closing */
	if (oldstate == TCP_LISTEN || newstate == TCP_LISTEN)
		return 0;
	if (newstate == TCP_SYN_SENT) {
		timewait__note_connect(sk);
		/* connect(): the one moment the client's process is surely current */
		c = bpf_sk_storage_get(&conns, sk, NULL, BPF_SK_STORAGE_GET_F_CREATE);
		if (!c) {
			drop__count(TC_DROP_CONN_MAP);
			return 0;
		}
		/* the local port is chosen after SYN_SENT: identify at the first close state */
		conn__init(c, bpf_ktime_get_ns());
		c->state = TCP_SYN_SENT;
		conn__set_task(&c->rec);
		return 0;
	}
	if (state__index(newstate) == TC_NOT_CLOSING && newstate != TCP_CLOSE)
		return 0;
	tp = bpf_skc_to_tcp_sock(sk);
	if (!tp)
		return 0;

	now = bpf_ktime_get_ns();
	c = bpf_sk_storage_get(&conns, sk, NULL, BPF_SK_STORAGE_GET_F_CREATE);
	if (!c) {
		drop__count(TC_DROP_CONN_MAP);
		return 0;
	}
	/* new, or finished and now closing again: a fresh record */
	if (!c->rec.type) {
		conn__init(c, now);
		conn__identify_sk(c, sk);
		c->state = oldstate;
		/* already closing when we started: its earlier states were not seen */
		if (state__index(oldstate) != TC_NOT_CLOSING) {
			c->rec.flags |= TC_F_PARTIAL;
			c->rec.role = role__of_state(oldstate);
		}
	} else if (!c->rec.sport) {
		conn__identify_sk(c, sk);
	}
	if (c->ignore) {
		/* its timewait socket passed the tuple filters alone: forget it too */
		if (newstate == TCP_CLOSE &&
		    (oldstate == TCP_FIN_WAIT2 || oldstate == TCP_CLOSING))
			timewait__forget(c);
		return 0;
	}

	if (emit_transitions)
		emit_transition(c, oldstate, newstate,
				newstate == TCP_FIN_WAIT1 || newstate == TCP_LAST_ACK, now);

	switch (newstate) {
	case TCP_FIN_WAIT1:
		/* close() or shutdown(SHUT_WR) from ESTABLISHED or SYN_RECV */
		c->rec.role = TC_ROLE_ACTIVE;
		note_our_fin(c, tp);
		conn__set_task(&c->rec);
		break;
	case TCP_CLOSE_WAIT:
		c->rec.role = TC_ROLE_PASSIVE;
		note_peer_fin(c, tp);
		c->cw_write_seq = tp->write_seq;
		c->cw_known = 1;
		break;
	case TCP_LAST_ACK:
		if (c->cw_known)
			c->rec.halfclosed_bytes = tp->write_seq - c->cw_write_seq;
		note_our_fin(c, tp);
		conn__set_task(&c->rec);
		break;
	case TCP_CLOSING:
		c->rec.role = TC_ROLE_SIMULTANEOUS;
		note_peer_fin(c, tp);
		break;
	case TCP_CLOSE:
		if (oldstate == TCP_SYN_SENT || oldstate == TCP_SYN_RECV ||
		    oldstate == TCP_ESTABLISHED)
			c->rec.role = TC_ROLE_NONE;
		conn__closed(c, sk, tp, oldstate, now);
		/* done: the storage goes with the socket; deleting it here would only cost more */
		c->rec.type = 0;
		return 0;
	}
	conn__enter(c, newstate, now);
	return 0;
}

/*
 * A socket destroyed with its record still open: its CLOSE was missed (the kernel skips a
 * run of a program nested in another run of it on the same CPU, as when a softirq
 * interrupts one in process context). Settle and send the record now, counted as late.
 */
SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(tc_destroy, struct sock *sk)
{
	struct tcp_sock *tp;
	struct conn *c;

	c = bpf_sk_storage_get(&conns, sk, NULL, 0);
	if (!c || c->ignore || !c->rec.type)
		return 0;
	tp = bpf_skc_to_tcp_sock(sk);
	if (!tp)
		return 0;
	if (!c->rec.sport)
		conn__identify_sk(c, sk);
	drop__count(TC_DROP_LATE);
	/* an orphan is destroyed right after its CLOSE: if that made a timewait socket, the
	 * record goes on there, whatever state change was missed before */
	if (!hand_to_timewait(c, tp))
		conn__closed(c, sk, tp, c->state, bpf_ktime_get_ns());
	c->rec.type = 0;
	return 0;
}
