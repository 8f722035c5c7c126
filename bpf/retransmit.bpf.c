// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Our FIN's retransmits, and resets sent and received: they mark the connection's state for
 * state.bpf.c, which settles the record when the full socket reaches CLOSE.
 */
#include "timewait.bpf.h"

static __always_inline void count_fin_retrans(struct sock *sk, const struct sk_buff *skb)
{
	int state = sk->__sk_common.skc_state;
	struct tcpc_closing *c;
	/* the states in which our FIN is unacknowledged */
	if (state != TCP_FIN_WAIT1 && state != TCP_CLOSING && state != TCP_LAST_ACK)
		return;
	if (!(skb_tcp_flags(skb) & TCPHDR_FIN))
		return;
	c = conns__lookup(sk);
	if (c)
		c->fin_retrans++;
}

/* up to 6.1 (and more): (sk, skb), fired only for segments that went out */
SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(tcpc_retransmit, struct sock *sk, const struct sk_buff *skb)
{
	count_fin_retrans(sk, skb);
	return 0;
}

/* later kernels add err and fire for failed attempts too: count what reached the wire */
SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(tcpc_retransmit_err, struct sock *sk, const struct sk_buff *skb, int err)
{
	if (!err)
		count_fin_retrans(sk, skb);
	return 0;
}

/*
 * A reset taken in: tcp_reset() fires this before the socket goes to CLOSE. Not always one
 * that came: tcp_rcv_state_process() calls tcp_reset() too when data comes to a FIN_WAIT1 or
 * FIN_WAIT2 socket that no longer receives, and sends the reset itself.
 */
SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(tcpc_receive_reset, struct sock *sk)
{
	struct tcp_sock *tp = bpf_skc_to_tcp_sock(sk);
	struct tcpc_closing *c;
	int state;

	if (!tp)
		return 0;
	c = conn__get(sk, tp, bpf_ktime_get_ns());
	if (!c)
		return 0;
	state = sk->__sk_common.skc_state;
	if ((state == TCP_FIN_WAIT1 || state == TCP_FIN_WAIT2) && conn__aborted_on_data(c, tp)) {
		c->flags |= TCPC_F_RST_SENT;
		c->rst_reason = TCPC_RST_DATA_AFTER_CLOSE;
		return 0;
	}
	c->flags |= TCPC_F_RST_RECEIVED;
	return 0;
}

/*
 * A reset sent on a full socket before it closes (keepalive and other timer aborts). The
 * close paths of tcp_close() and tcp_disconnect() send theirs after CLOSE: state.bpf.c
 * reads those from the socket instead.
 */
SEC("tp_btf/tcp_send_reset")
int BPF_PROG(tcpc_send_reset, const struct sock *sk, const struct sk_buff *skb)
{
	struct tcp_sock *tp;
	struct tcpc_closing *c;
	int state;

	if (!sk)
		return 0;
	state = sk->__sk_common.skc_state;
	/* an unaccepted child softirq ended, whose reset says it was a connection */
	if (state == TCP_CLOSE) {
		c = conns__lookup(sk);
		if (c && c->await_reset)
			c->flags |= TCPC_F_RST_SENT;
		return 0;
	}
	if (state == TCP_TIME_WAIT) {
		timewait__reset_sent((__u64)sk, skb);
		return 0;
	}
	/* request sockets are no full sockets; a closed socket's record is sent */
	if (state == TCP_NEW_SYN_RECV || state == TCP_CLOSE || state == TCP_LISTEN)
		return 0;
	tp = bpf_skc_to_tcp_sock((void *)sk);
	if (!tp)
		return 0;
	c = conn__get(sk, tp, bpf_ktime_get_ns());
	if (c)
		c->flags |= TCPC_F_RST_SENT;
	return 0;
}
