/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Following a timewait socket without an entry (tw_entryless), what every backend shares.
 *
 * Where nothing needs the kernel to know a timewait socket at its end (no -p or --cgroup:
 * user/loader.c; the walks of --stuck and top name the socket, and user space gives it its
 * head's process and age), its claim sends the record's head with
 * the timer's deadline and keeps nothing (timewait__follow_bare()). What its timer shows
 * later is read from the socket itself, warm then (the kernel is at its timer), and sent as
 * struct tcpc_tw_seen: its deadline before a re-arm, a re-arm, its end. User space settles
 * the record from the head and those (user/tw_join.c), as timewait__settle() settles an
 * entry. No map operation a socket: the entry's insert, the cold lookups at its end and its
 * delete were the largest part of a connection's BPF time at the steady state
 * (docs/COST.md). Every timewait socket the filters want is reported so; user space counts
 * the ends of those it has no head for (made before tcpclose, and not found by the walk).
 * Heads and these events are sent with --hist alone too, where no other record is: user
 * space counts the dwells of the records it settles, the kernel those of the records it
 * sends whole.
 */
#ifndef __TIMEWAIT_NOENTRY_BPF_H
#define __TIMEWAIT_NOENTRY_BPF_H

#include "timewait.bpf.h"

/* what tw's timer shows now, and whose it is: its ports */
static __always_inline void noentry__snapshot(struct tcpc_tw_pending *p, __u64 tw)
{
	const struct inet_timewait_sock *itw = (const void *)tw;

	timewait__snapshot(p, tw);
	p->sport = BPF_CORE_READ(itw, __tw_common.skc_num);
	p->dport = bpf_ntohs(BPF_CORE_READ(itw, __tw_common.skc_dport));
}

/* is tw, snapshot p, the socket whose snapshot was 'was'? Its ports, and its snd_nxt: a new
 * connection of the same 4-tuple starts from another sequence number */
static __always_inline bool noentry__same(const struct tcpc_tw_pending *p,
					  const struct tcpc_tw_pending *was)
{
	return p->sport == was->sport && p->dport == was->dport && p->snd_nxt == was->snd_nxt;
}

/* not wanted by the filters, as its full socket's record was not: read only if asked */
static __always_inline bool noentry__filtered(__u64 tw, const struct tcpc_tw_pending *p)
{
	const struct inet_timewait_sock *itw = (const void *)tw;
	__u16 family;

	if (!filter_family && !filter_netns && !filter_netns_cookie && !filter_lport &&
	    !filter_dport && !filter_laddr && !filter_raddr)
		return false;
	family = BPF_CORE_READ(itw, __tw_common.skc_family);
	return tuple__filtered(family, p->sport, p->dport,
			       BPF_CORE_READ(itw, __tw_common.skc_net.net)) ||
	       skc__addrs_filtered(&itw->__tw_common, family);
}

/*
 * Send what p read of tw, as 'what' (enum tcpc_tw_seen_what) at ns. An end lost is named in
 * tw_ends_lost for user space to forget its head and count the record lost once (its head
 * may have been lost and counted too: the kernel keeps nothing to tell); anything else lost
 * leaves a record that is still sent, and may lack a restart: counted apart.
 */
static __always_inline void noentry__send(__u8 what, __u64 tw, const struct tcpc_tw_pending *p,
					  __u8 tw_end, __u8 flags, __u64 ns)
{
	struct tcpc_tw_seen ev = {
		.type = TCPC_EV_TW_SEEN, .what = what, .substate = p->substate,
		.tw_end = tw_end, .flags = flags, .sport = p->sport, .dport = p->dport,
		.expires = p->expires, .rcv_nxt = p->rcv_nxt, .snd_nxt = p->snd_nxt,
		.tw = tw, .ns = ns,
	};

	if (tw_rearms_seen)
		ev.flags |= TCPC_TWF_EXACT;
	if (p->substate == TCP_TIME_WAIT)
		ev.armed_ns = jiffies__to_ns(p->expires -
					     TCP_TIMEWAIT_LEN_SEC * (__u64)kernel_hz);
	if (!bpf_ringbuf_output(&events, &ev, sizeof(ev), ringbuf__flags(sizeof(ev))))
		return;
	if (what == TCPC_TW_SEEN_END) {
		struct tcpc_tw_found lost = {
			.tw = tw, .sport = p->sport, .dport = p->dport, .snd_nxt = p->snd_nxt,
		};

		/*
		 * User space forgets its head, and counts the record lost if it had one. With
		 * no room to name it, the head stays, and at exit is sent as gone unseen
		 * (end_unseen, counted unseen): as far as tcpclose saw it, counted once.
		 */
		bpf_map_push_elem(&tw_ends_lost, &lost, 0);
		drop__count(TCPC_DROP_TW_END);
	} else {
		drop__count(TCPC_DROP_TW_SEEN);
	}
}

/* tw is gone at ns, as kind says (flags: a reset it answered): read it and say so */
static __always_inline void noentry__end(__u64 tw, __u8 kind, __u8 flags, __u64 ns)
{
	struct tcpc_tw_pending snap = {};

	noentry__snapshot(&snap, tw);
	if (!noentry__filtered(tw, &snap))
		noentry__send(TCPC_TW_SEEN_END, tw, &snap, kind, flags, ns);
}

/* a peer FIN re-armed tw at ns, to expire at 'expires' (0: as the timer says) */
static __always_inline void noentry__rearmed(__u64 tw, __u64 expires, __u64 ns)
{
	struct tcpc_tw_pending snap = {};

	noentry__snapshot(&snap, tw);
	/* a re-arm that leaves it in FIN_WAIT2 is no peer FIN (as timewait__rearmed()) */
	if (snap.substate != TCP_TIME_WAIT || noentry__filtered(tw, &snap))
		return;
	if (expires)
		snap.expires = expires;
	noentry__send(TCPC_TW_SEEN_REARM, tw, &snap, 0, 0, ns);
}

#endif /* __TIMEWAIT_NOENTRY_BPF_H */
