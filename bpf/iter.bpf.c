// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A walk over one network namespace's TCP sockets (iter/tcp: full, request and timewait
 * sockets), run by user space: at start-up to find the connections that were already
 * closing, and each interval to count the sockets in each close state, as ss would.
 */
#include "conn.bpf.h"
#include "timewait.bpf.h"

/* a full socket already closing when tcpclose started: follow it from now on */
static __always_inline void seed_full(struct tcp_sock *tp, int state, __u64 now)
{
	struct sock *sk = (struct sock *)tp;
	struct conn *c;

	c = bpf_sk_storage_get(&conns, sk, NULL, BPF_SK_STORAGE_GET_F_CREATE);
	if (!c) {
		drop__count(TC_DROP_CONN_MAP);
		return;
	}
	if (c->rec.type)
		return;		/* followed since attach */
	conn__init(c, now);
	conn__identify_sk(c, sk);
	c->rec.flags |= TC_F_PARTIAL;
	c->state = TCP_CLOSE;
	conn__enter(c, state, now);
}

SEC("iter/tcp")
int tc_iter(struct bpf_iter__tcp *ctx)
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
	if (tw)
		state = tw->tw_sk.tw_substate;	/* as ss shows it: FIN_WAIT2 or TIME_WAIT */
	idx = state__index(state);
	if (idx >= TC_NR_STATES)
		return 0;
	if (tuple__filtered(skc->skc_family, skc->skc_num, bpf_ntohs(skc->skc_dport),
			    skc->skc_net.net->ns.inum))
		return 0;

	if (iter_mode == TC_ITER_GAUGES) {
		gauges[idx]++;
		return 0;
	}
	if (tw) {
		timewait__follow((__u64)tw, bpf_ktime_get_ns(), true);
		return 0;
	}
	tp = bpf_skc_to_tcp_sock(skc);
	if (tp)
		seed_full(tp, state, bpf_ktime_get_ns());
	return 0;
}
