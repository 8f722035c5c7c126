/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The connections being closed, each found by its full socket: every program that reads,
 * makes or forgets one does it here, so that how they are kept is this file's alone.
 */
#ifndef __CONNS_BPF_H
#define __CONNS_BPF_H

#include "tcpclose.bpf.h"

/*
 * Connections between their first close state and CLOSE, keyed by the full socket. Not
 * socket-local storage: creating that costs two allocations charged to the socket's memory
 * cgroup and two RCU frees per socket, several times what a hash element costs; and a
 * connection needs an entry only while it closes. --max-closing bounds it.
 */
TCPC_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, TCPC_MAX_CLOSING);
	__type(key, __u64);		/* struct sock * */
	__type(value, struct tcpc_closing);
} conns SEC(".maps");

/* the entry of the full socket sk, or NULL */
static __always_inline struct tcpc_closing *conns__lookup(const void *sk)
{
	__u64 key = (__u64)sk;

	return bpf_map_lookup_elem(&conns, &key);
}

/*
 * Make sk's entry from c: 0, -EEXIST if sk has one already, another error if there is no
 * room. No room loses no record: a later state makes the entry, and its record says what it
 * lacks (TCPC_F_STATES_LOST), counted when it is sent.
 */
static __always_inline long conns__insert(const void *sk, const struct tcpc_closing *c)
{
	__u64 key = (__u64)sk;

	return bpf_map_update_elem(&conns, &key, c, BPF_NOEXIST);
}

static __always_inline void conns__delete(const void *sk)
{
	__u64 key = (__u64)sk;

	bpf_map_delete_elem(&conns, &key);
}

/* sk's entry made from c unless it has one, and then found; NULL if there is no room */
static __always_inline struct tcpc_closing *conns__lookup_or_insert(const void *sk,
								   const struct tcpc_closing *c)
{
	conns__insert(sk, c);
	return conns__lookup(sk);
}

#endif /* __CONNS_BPF_H */
