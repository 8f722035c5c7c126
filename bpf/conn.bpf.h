/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Building a close record: the connection's identity, the clock of its states, sending it. */
#ifndef __CONN_BPF_H
#define __CONN_BPF_H

#include "conns.bpf.h"

/* the close state a kernel TCP state is kept as, or TCPC_NOT_CLOSING */
static __always_inline __u8 state__index(int state)
{
	switch (state) {
	case TCP_FIN_WAIT1:	return TCPC_FIN_WAIT1;
	case TCP_FIN_WAIT2:	return TCPC_FIN_WAIT2;
	case TCP_CLOSE_WAIT:	return TCPC_CLOSE_WAIT;
	case TCP_LAST_ACK:	return TCPC_LAST_ACK;
	case TCP_CLOSING:	return TCPC_CLOSING;
	case TCP_TIME_WAIT:	return TCPC_TIME_WAIT;
	default:		return TCPC_NOT_CLOSING;
	}
}

/*
 * The local and remote address of a socket of family, in 16 bytes each, IPv4 in the first 4.
 * Probe reads, for any socket: a timewait socket reached from its timer is not a pointer the
 * verifier trusts.
 */
static __always_inline void skc__read_addrs(const struct sock_common *skc, __u16 family,
					    __u8 *saddr, __u8 *daddr)
{
	if (family == AF_INET) {
		bpf_core_read(saddr, 4, &skc->skc_rcv_saddr);
		bpf_core_read(daddr, 4, &skc->skc_daddr);
	} else {
		bpf_core_read(saddr, 16, &skc->skc_v6_rcv_saddr);
		bpf_core_read(daddr, 16, &skc->skc_v6_daddr);
	}
}

/*
 * The family, remote port, network namespace and addresses of a full, request or timewait
 * socket: all three begin with struct sock_common. The local port is the caller's to read:
 * skc_num of a full socket is 0 once it is unhashed, inet_sport is not in sock_common.
 */
static __always_inline void skc__read_tuple(const struct sock_common *skc, __u8 *family,
					    __u16 *dport, __u32 *netns, __u8 *saddr, __u8 *daddr)
{
	*family = BPF_CORE_READ(skc, skc_family);
	*dport = bpf_ntohs(BPF_CORE_READ(skc, skc_dport));
	*netns = BPF_CORE_READ(skc, skc_net.net, ns.inum);
	skc__read_addrs(skc, *family, saddr, daddr);
}

/* the connection's tuple, of a socket whose skc_num still holds the local port */
static __always_inline void conn__read_tuple(struct tcpc_closing *rec, const struct sock_common *skc)
{
	skc__read_tuple(skc, &rec->family, &rec->dport, &rec->netns, rec->saddr, rec->daddr);
	rec->sport = BPF_CORE_READ(skc, skc_num);
}

/*
 * --netns: a namespace's inode number is reused once it is gone, its cookie never is; match
 * the cookie where the kernel has one (5.14+, read by user space with SO_NETNS_COOKIE)
 */
static __always_inline bool netns__filtered(const struct net *net)
{
	if (filter_netns_cookie)
		return BPF_CORE_READ(net, net_cookie) != filter_netns_cookie;
	if (filter_netns)
		return BPF_CORE_READ(net, ns.inum) != filter_netns;
	return false;
}

/* the filters that need only the tuple; the pid filter waits until a pid is known */
static __always_inline bool tuple__filtered(__u16 family, __u16 sport, __u16 dport,
					    const struct net *net)
{
	if (filter_family && family != filter_family)
		return true;
	if (family != AF_INET && family != AF_INET6)
		return true;
	if (netns__filtered(net))
		return true;
	if (filter_lport && sport != filter_lport)
		return true;
	if (filter_dport && dport != filter_dport)
		return true;
	return false;
}

/* is addr inside one of the CIDRs in trie? */
static __always_inline bool cidr__match(void *trie, __u8 family, const __u8 *addr)
{
	struct tcpc_cidr_key key = { .prefixlen = 8 + 128, .family = family };

	__builtin_memcpy(key.addr, addr, sizeof(key.addr));
	return bpf_map_lookup_elem(trie, &key) != NULL;
}

/* --laddr, --raddr on a socket not yet read into a record: its addresses, read only if asked */
static __always_inline bool skc__addrs_filtered(const struct sock_common *skc, __u16 family)
{
	__u8 saddr[16] = {}, daddr[16] = {};

	if (!filter_laddr && !filter_raddr)
		return false;
	skc__read_addrs(skc, family, saddr, daddr);
	return (filter_laddr && !cidr__match(&laddrs, family, saddr)) ||
	       (filter_raddr && !cidr__match(&raddrs, family, daddr));
}

static __always_inline bool conn__filtered(const struct tcpc_closing *rec, const struct net *net)
{
	if (tuple__filtered(rec->family, rec->sport, rec->dport, net))
		return true;
	if (filter_laddr && !cidr__match(&laddrs, rec->family, rec->saddr))
		return true;
	if (filter_raddr && !cidr__match(&raddrs, rec->family, rec->daddr))
		return true;
	return false;
}

/* before 5.15 (commit 8520e224f547) the cgroup pointer was packed into a u64 with flags */
struct sock_cgroup_data___old {
	__u64 val;
};

/* before 6.0 (commit 7f203bc89eb6) a cgroup kept its ancestors' ids, not pointers to them */
struct cgroup___old {
	__u64 ancestor_ids[0];
} __attribute__((preserve_access_index));

#define CGROUP_ROOT_ID 1	/* the root's kernfs node: the first one made */

/*
 * The cgroup v2 a full socket was made in (sk_cgrp_data, set at socket() from the creator's
 * cgroup and never changed after), as sock_cgroup_ptr() finds it; NULL for the root where a
 * kernel before 5.15 keeps net_cls or net_prio data in its place (a low bit set) or nothing.
 * Probe reads: a timer's socket is no pointer the verifier trusts.
 */
static __always_inline const struct cgroup *sk__cgroup(const struct sock *sk)
{
	const struct sock_cgroup_data___old *old;
	__u64 v;

	if (bpf_core_field_exists(sk->sk_cgrp_data.cgroup))
		return BPF_CORE_READ(sk, sk_cgrp_data.cgroup);
	old = (const void *)&sk->sk_cgrp_data;
	v = BPF_CORE_READ(old, val);
	return v & 3 ? NULL : (const void *)v;
}

/* the id (its directory's inode) of cg's ancestor at level, itself at its own */
static __always_inline __u64 cgroup__ancestor_id(const struct cgroup *cg, __u32 level)
{
	__u64 id = 0;

	if (bpf_core_field_exists(cg->ancestors))
		return BPF_CORE_READ(cg, ancestors[level & 0xff], kn, id);
	bpf_probe_read_kernel(&id, sizeof(id), (const void *)cg +
			      bpf_core_field_offset(struct cgroup___old, ancestor_ids) +
			      (level & 0xff) * sizeof(__u64));
	return id;
}

/*
 * --cgroup: is the socket's cgroup (its creator's, cgroup v2) the one given or below it?
 * Only full sockets know their cgroup; a timewait socket follows its full socket's verdict.
 */
static __always_inline bool sk__cgroup_filtered(const struct sock *sk)
{
	const struct cgroup *cg;
	__u32 level;

	if (!filter_cgroup)
		return false;
	cg = sk__cgroup(sk);
	if (!cg)
		return filter_cgroup_level || filter_cgroup != CGROUP_ROOT_ID;
	level = BPF_CORE_READ(cg, level);
	if (level < filter_cgroup_level)
		return true;
	return cgroup__ancestor_id(cg, filter_cgroup_level) != filter_cgroup;
}

/*
 * The socket's cgroup as its id, what user space finds it by; 0 if it has none. Two plain
 * loads past the socket since 5.15; before, the packed value is no pointer the verifier
 * lets a program follow: probe reads.
 */
static __always_inline __u64 sk__cgroup_id(const struct sock *sk)
{
	const struct cgroup *cg;

	if (bpf_core_field_exists(sk->sk_cgrp_data.cgroup)) {
		cg = sk->sk_cgrp_data.cgroup;
		return cg ? cg->kn->id : 0;
	}
	cg = sk__cgroup(sk);
	return cg ? BPF_CORE_READ(cg, kn, id) : CGROUP_ROOT_ID;
}

/* the same for a socket the verifier does not trust (a timer's): probe reads only */
static __always_inline __u64 sk__cgroup_id_probed(const struct sock *sk)
{
	const struct cgroup *cg = sk__cgroup(sk);

	if (cg)
		return BPF_CORE_READ(cg, kn, id);
	return bpf_core_field_exists(sk->sk_cgrp_data.cgroup) ? 0 : CGROUP_ROOT_ID;
}

/*
 * The task running now. Only where it is a process: entering FIN_WAIT1 or LAST_ACK (close(),
 * shutdown(): no softirq does), or where context__now() said so.
 */
static __always_inline void conn__set_task(struct tcpc_closing *rec)
{
	rec->pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(rec->comm, sizeof(rec->comm));
}

/*
 * A connection first seen already closing: who closed first, as far as its state tells.
 * TIME_WAIT follows an active or a simultaneous close; active is the likelier.
 */
static __always_inline __u8 role__of_state(int state)
{
	switch (state) {
	case TCP_CLOSE_WAIT:
	case TCP_LAST_ACK:
		return TCPC_ROLE_PASSIVE;
	case TCP_CLOSING:
		return TCPC_ROLE_SIMULTANEOUS;
	case TCP_FIN_WAIT1:
	case TCP_FIN_WAIT2:
	case TCP_TIME_WAIT:
		return TCPC_ROLE_ACTIVE;
	default:
		return TCPC_ROLE_NONE;
	}
}

/*
 * Close the clock of the current state at 'now' and start the one of 'state'. Never before
 * the current state began: another CPU may have read its clock a moment before this
 * record's last change, and a time derived from jiffies is only exact to one.
 */
static __always_inline void conn__enter(struct tcpc_closing *c, int state, __u64 now)
{
	__u8 from = state__index(c->state), to = state__index(state);

	if (now < c->enter_ns)
		now = c->enter_ns;
	if (from < TCPC_NR_STATES)
		c->dwell_ns[from] += now - c->enter_ns;
	if (to < TCPC_NR_STATES && !(c->visited & (1 << to))) {
		if (!c->visited)
			c->start_ns = now;
		/* order[] is filled left to right; a state is listed once */
		for (int i = 0; i < TCPC_NR_STATES; i++) {
			if (c->order[i] == TCPC_NOT_CLOSING) {
				c->order[i] = to;
				break;
			}
		}
		c->visited |= 1 << to;
	}
	c->state = state;
	c->enter_ns = now;
}

/* who the connection is; true if the filters do not want it */
static __always_inline bool conn__identify(struct tcpc_closing *c, const struct sock_common *skc)
{
	conn__read_tuple(c, skc);
	return conn__filtered(c, BPF_CORE_READ(skc, skc_net.net));
}

/*
 * The same for a full socket the program was handed (a pointer the verifier trusts): plain
 * loads instead of probe reads, a few nanoseconds instead of tens each. Once the socket is
 * unhashed on its way to CLOSE, inet_put_port() has zeroed skc_num, but inet_sport still holds
 * the local port.
 */
static __always_inline bool conn__identify_sk(struct tcpc_closing *c, const struct sock *sk,
					      const struct tcp_sock *tp)
{
	const struct sock_common *skc = &sk->__sk_common;
	const struct net *net = skc->skc_net.net;

	if (!net)
		return conn__identify(c, skc);
	c->family = skc->skc_family;
	c->sport = bpf_ntohs(tp->inet_conn.icsk_inet.inet_sport);
	c->dport = bpf_ntohs(skc->skc_dport);
	c->netns = net->ns.inum;
	if (c->family == AF_INET) {
		*(__u32 *)c->saddr = skc->skc_rcv_saddr;
		*(__u32 *)c->daddr = skc->skc_daddr;
	} else {
		__builtin_memcpy(c->saddr, &skc->skc_v6_rcv_saddr, 16);
		__builtin_memcpy(c->daddr, &skc->skc_v6_daddr, 16);
	}
	return conn__filtered(c, net) || sk__cgroup_filtered(sk);
}

/* a fresh record, not yet identified (connect() has not bound the local port yet) */
static __always_inline void conn__init(struct tcpc_closing *c, __u64 now)
{
	__builtin_memset(c, 0, sizeof(*c));
	__builtin_memset(c->order, TCPC_NOT_CLOSING, sizeof(c->order));
	c->enter_ns = now;
}

/* tcp_skb_cb.tcp_flags is __u8 in 6.1 and __u16 later: read it by its size either way */
static __always_inline __u16 skb_tcp_flags(const struct sk_buff *skb)
{
	const struct tcp_skb_cb *tcb = (const void *)skb->cb;

	return BPF_CORE_READ_BITFIELD_PROBED(tcb, tcp_flags);
}

/*
 * The peer's FIN segment, if one was just taken in (else NULL), and the acknowledgement
 * number it carried. tcp_fin() runs just after the FIN's
 * segment joined the receive queue (tcp_data_queue(), tcp_ofo_queue()): it is the queue's
 * tail, or was merged into the tail, which then took its end_seq, ack_seq and flags
 * (tcp_try_coalesce()). snd_una is no substitute: a FIN that crossed ours does not
 * acknowledge it, and one taken in out of order was overtaken by later acknowledgements.
 * The queue's tail is a plain load from the socket the program was handed.
 */
static __always_inline const struct tcp_skb_cb *peer_fin__segment(const struct sock *sk,
								   const struct tcp_sock *tp)
{
	const struct sk_buff *skb;
	const struct tcp_skb_cb *tcb;

	if (!sk->sk_receive_queue.qlen)
		return NULL;
	skb = sk->sk_receive_queue.prev;
	tcb = (const void *)skb->cb;
	/* probe reads: older verifiers refuse a 4-byte load inside the char array cb[] */
	if (!(skb_tcp_flags(skb) & TCPHDR_FIN) || BPF_CORE_READ(tcb, end_seq) != tp->rcv_nxt)
		return NULL;
	return tcb;
}

static __always_inline __u32 peer_fin__ack(const struct sock *sk, const struct tcp_sock *tp)
{
	const struct tcp_skb_cb *tcb = peer_fin__segment(sk, tp);

	return tcb ? BPF_CORE_READ(tcb, ack_seq) : tp->snd_una;
}

/* the peer's FIN has just been taken in: it is the byte before rcv_nxt */
static __always_inline void note_peer_fin(struct tcpc_closing *c, const struct sock *sk,
					  const struct tcp_sock *tp)
{
	if (c->flags & TCPC_F_PEER_FIN)
		return;
	c->peer_fin_seq = tp->rcv_nxt - 1;
	c->peer_fin_ack = peer_fin__ack(sk, tp);
	c->flags |= TCPC_F_PEER_FIN;
}

#define RCV_SHUTDOWN_BIT 1	/* include/net/sock.h: RCV_SHUTDOWN */

/* once receiving is shut down (close(), shutdown(SHUT_RD)): count the data taken in so far */
static __always_inline void conn__note_rcv_shut(struct tcpc_closing *c, const struct sock *sk,
						const struct tcp_sock *tp)
{
	if (c->rcv_shut_known || !(BPF_CORE_READ_BITFIELD(sk, sk_shutdown) & RCV_SHUTDOWN_BIT))
		return;
	c->rcv_shut_known = 1;
	c->rcv_shut_data_segs = tp->data_segs_in;
}

/*
 * Is the socket (FIN_WAIT1 or FIN_WAIT2, receiving shut down) being aborted for the data the
 * segment taken in now brings? The kernel then ends it and sends the reset itself
 * (tcp_rcv_state_process(): TcpExtTCPAbortOnData), in some paths through tcp_reset(), which
 * fires the receive-reset tracepoint although no reset came. New data after the shutdown
 * aborts at once, and the segment that brings it was counted in data_segs_in
 * (tcp_segs_in()) before: data counted since the shutdown says so. A reset taken in is
 * taken for an abort only if it carries data itself, or if the peer resent old data after
 * the shutdown (neither aborts): the count cannot tell those apart, and nothing the socket
 * keeps can. (The jiffy of the segment's acknowledgement, rcv_tstamp, looked like it
 * could; an emulated guest stalled between the two, and it read a real abort as a reset.)
 */
static __always_inline bool conn__aborted_on_data(const struct tcpc_closing *c,
						  const struct tcp_sock *tp)
{
	return c->rcv_shut_known && tp->data_segs_in != c->rcv_shut_data_segs;
}

/* count one dwell in close state s (enum tcpc_state) into the --hist histograms of this CPU:
 * a global function, verified once (hist.bpf.c) */
int hist__add_state(__u64 s, __u64 ns);

/* count a record's dwells but that of state 'skip' (one still going on) */
static __always_inline void hist__add_before(const struct tcpc_closing *rec, __u32 skip)
{
	for (__u32 s = 0; s < TCPC_NR_STATES; s++)
		if ((rec->visited & (1 << s)) && s != skip)
			hist__add_state(s, rec->dwell_ns[s]);
}

/* count a complete record's dwells */
static __always_inline void hist__add(const struct tcpc_closing *rec)
{
	hist__add_before(rec, TCPC_NR_STATES);
}

/* the connection is gone: close the clock of its last state, CLOSE's beginning its end */
static __always_inline void conn__end(struct tcpc_closing *c, __u64 now)
{
	conn__enter(c, TCP_CLOSE, now);
	if (!c->start_ns)
		c->start_ns = c->enter_ns;
}

/*
 * Put c's record in the ring buffer, ended at end_ns (0: a head, not yet ended, its timewait
 * socket's timer due at tw_expires); false if it had no room. Made in place, not copied in:
 * the entry keeps less than the record holds.
 */
static __always_inline bool conn__output(const struct tcpc_closing *c, __u64 end_ns,
					 __u64 tw_sock, __u64 tw_left_ns, __u32 tw_expires)
{
	struct tcpc_conn *rec = bpf_ringbuf_reserve(&events, sizeof(*rec), 0);

	if (!rec)
		return false;
	tcpc_closing__record(rec, c, end_ns, tw_sock, tw_left_ns);
	rec->tw_expires = tw_expires;
	bpf_ringbuf_submit(rec, ringbuf__flags(sizeof(*rec)));
	return true;
}

/* the record is complete: send it, or count it as lost */
static __always_inline void conn__send(struct tcpc_closing *c)
{
	if (filter_pid && c->pid != filter_pid)
		return;
	/* a timewait socket no full socket claimed has no cgroup to match */
	if (filter_cgroup && (c->flags & TCPC_F_PARTIAL) && (c->flags & TCPC_F_TW))
		return;
	/* a partial record's dwell is a lower bound: it would bias the percentiles */
	if (hist_enabled && !(c->flags & TCPC_F_DWELL_BOUNDS))
		hist__add(c);
	if (c->flags & TCPC_F_STATES_LOST)
		drop__count(TCPC_DROP_STATES_LOST);
	/* sent only once ended (conn__end()): CLOSE began when it ended */
	if (emit_records && !conn__output(c, c->enter_ns, 0, 0, 0))
		drop__count(TCPC_DROP_RINGBUF);
}

static __always_inline void conn__emit(struct tcpc_closing *c, __u64 now)
{
	conn__end(c, now);
	conn__send(c);
}

/*
 * A fresh record of the full socket sk, in state 'state' now. A connection first seen
 * already closing has lost its first close states: the map had no room for them, or the
 * kernel skipped those runs (the start-up walk, which finds those that began before
 * tcpclose, says TCPC_F_PARTIAL instead). Returns true if the filters do not want it.
 */
static __always_inline bool conn__start(struct tcpc_closing *c, const struct sock *sk,
					const struct tcp_sock *tp, int state, __u64 now)
{
	conn__init(c, now);
	if (conn__identify_sk(c, sk, tp))
		return true;
	c->cgroup_id = sk__cgroup_id(sk);
	c->state = state;
	if (state__index(state) != TCPC_NOT_CLOSING) {
		c->flags |= TCPC_F_STATES_LOST;
		c->role = role__of_state(state);
	}
	return false;
}

/*
 * Is c, found under sk's address, another socket's? A kernel may run none of the programs for
 * a socket's later state changes and its destruction, and count nothing: the project's 6.18
 * test kernel runs no BPF while the current task is its PID 1, and a softirq on one of PID
 * 1's threads takes its TCP events with it (docs/KERNEL-SKIPS.md). The entry stays, and the
 * next socket the allocator puts at the same address would take it over. The ports tell them
 * apart: a socket keeps its local port (inet_sport) until it is freed.
 */
static __always_inline bool conn__other_socket(const struct tcpc_closing *c, const struct sock *sk,
					       const struct tcp_sock *tp)
{
	return c->sport != bpf_ntohs(tp->inet_conn.icsk_inet.inet_sport) ||
	       c->dport != bpf_ntohs(sk->__sk_common.skc_dport);
}

/* send the record of a socket whose end went unseen, as far as it was seen, and forget it */
static __always_inline void conn__send_unseen(struct tcpc_closing *c, const void *sk)
{
	drop__count(TCPC_DROP_UNSEEN);
	c->flags |= TCPC_F_END_UNSEEN;
	/* when it ended is unknown: its last state is closed at the moment it began */
	conn__end(c, c->enter_ns);
	conn__send(c);
	conns__delete(sk);
}

/* the entry of sk, made if it has none (and the filters want it); NULL if not followed */
static __always_inline struct tcpc_closing *conn__get(const struct sock *sk,
						    const struct tcp_sock *tp, __u64 now)
{
	struct tcpc_closing fresh, *c;

	c = conns__lookup(sk);
	if (c && !conn__other_socket(c, sk, tp))
		return c;
	if (c)
		conn__send_unseen(c, sk);
	if (conn__start(&fresh, sk, tp, sk->__sk_common.skc_state, now))
		return NULL;
	return conns__lookup_or_insert(sk, &fresh);
}

#endif /* __CONN_BPF_H */
