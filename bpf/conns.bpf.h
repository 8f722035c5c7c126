/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The connections being closed, each found by its full socket: every program that reads,
 * makes or forgets one does it here, so that how they are kept is this file's alone.
 *
 * Most are kept in a small array of slots, each held by the socket written in it; the rest
 * in a hash map behind it. A hash element costs an insert and a delete under a bucket lock
 * and an allocation, a slot a compare-and-swap: docs/COST.md, "What `conns` costs".
 */
#ifndef __CONNS_BPF_H
#define __CONNS_BPF_H

#include "tcpclose.bpf.h"

/*
 * Connections between their first close state and CLOSE whose slot another socket holds,
 * keyed by the full socket. Not socket-local storage: creating that costs two allocations
 * charged to the socket's memory cgroup and two RCU frees per socket, several times what a
 * hash element costs; and a connection needs an entry only while it closes. --max-closing
 * bounds it and the slots together.
 */
TCPC_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, TCPC_MAX_CLOSING);
	__type(key, __u64);		/* struct sock * */
	__type(value, struct tcpc_closing);
} conns SEC(".maps");

/*
 * The slots, each chosen by the socket's address as the hash's buckets are: a socket at an
 * address whose entry was left behind (docs/KERNEL-SKIPS.md) finds it there. Small on
 * purpose: slots spread over megabytes are cold in the caches and the TLB, and cost more
 * than the hash (COST.md). A leak of CLOSE_WAITs fills them, and the hash takes the rest.
 */
TCPC_MAP struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TCPC_CONN_SLOTS);
	__type(key, __u32);
	__type(value, struct tcpc_conn_slot);
} conn_slots SEC(".maps");

/*
 * The slots in use: 1 << conn_slots_bits, at most TCPC_CONN_SLOTS (user/loader.c), and none
 * if it is 0. Slots are taken and freed by compare-and-swap, which needs BPF atomics (Linux
 * 5.12); where the kernel has none, user space leaves conn_slots_bits 0 and loads every
 * compare-and-swap as its failure (user/cas.c): no slot is taken, and every entry is hashed.
 */
extern const volatile __u8 conn_slots_bits;
/* entries in conns now: 0 lets a lookup skip the hash, as it mostly may */
extern __u64 conns_hashed;

/*
 * The low half of sk's address as a number. The verifier lets no arithmetic touch a pointer;
 * a 32-bit move of one it allows a program that may read kernel addresses (CAP_PERFMON), as
 * tcpclose's may: its maps are keyed by them. Without alu32 (clang's default) only inline
 * assembly makes that move, in a register it names.
 */
static __always_inline __u32 sk__low32(const void *sk)
{
	register __u64 r1 asm("r1") = (__u64)sk;

	asm volatile("w1 = w1" : "+r"(r1));
	return r1;
}

static __always_inline struct tcpc_conn_slot *slot__of(const void *sk)
{
	/* Fibonacci hashing: the top bits of the product mix every bit of the address */
	__u32 i = (sk__low32(sk) * 0x9e3779b1U) >> (32 - conn_slots_bits);

	return bpf_map_lookup_elem(&conn_slots, &i);
}

/* the slot sk holds, or NULL */
static __always_inline struct tcpc_conn_slot *slot__held(const void *sk)
{
	struct tcpc_conn_slot *s;

	if (!conn_slots_bits)
		return NULL;
	s = slot__of(sk);
	return s && s->sk == (__u64)sk ? s : NULL;
}

/* the entry of the full socket sk, or NULL */
static __always_inline struct tcpc_closing *conns__lookup(const void *sk)
{
	struct tcpc_conn_slot *s = slot__held(sk);
	__u64 key = (__u64)sk;

	if (s)
		return &s->c;
	if (!conns_hashed)
		return NULL;
	return bpf_map_lookup_elem(&conns, &key);
}

/*
 * Hash sk's entry, counted in conns_hashed before it exists, so that a CPU that reads 0
 * there may take it that conns holds nothing: 0, -EEXIST, or another error if no room.
 */
static __always_inline long conns__hash(const void *sk, const struct tcpc_closing *c)
{
	__u64 key = (__u64)sk;
	long err;

	__sync_fetch_and_add(&conns_hashed, 1);
	err = bpf_map_update_elem(&conns, &key, c, BPF_NOEXIST);
	if (err)
		__sync_fetch_and_add(&conns_hashed, -1);
	return err;
}

/*
 * Make sk's entry from c: 0, -EEXIST if sk has one already, another error if there is no
 * room. No room loses no record: a later state makes the entry, and its record says what it
 * lacks (TCPC_F_STATES_LOST), counted when it is sent.
 */
static __always_inline long conns__insert(const void *sk, const struct tcpc_closing *c)
{
	struct tcpc_conn_slot *s;
	__u64 key = (__u64)sk;

	if (conns_hashed && bpf_map_lookup_elem(&conns, &key))
		return -EEXIST;
	if (conn_slots_bits && (s = slot__of(sk))) {
		__u64 holder = s->sk;

		if (!holder)
			holder = __sync_val_compare_and_swap(&s->sk, 0, key);
		if (!holder) {
			/* the socket's later changes wait on its lock: none reads the entry
			 * before it is written */
			__builtin_memcpy(&s->c, c, sizeof(s->c));
			return 0;
		}
		/* sk's own, made meanwhile on another CPU if it was not before */
		if (holder == key)
			return -EEXIST;
	}
	return conns__hash(sk, c);
}

/*
 * Free the slot sk holds. A compare-and-swap, not a store: it orders every read of the entry
 * before it, on arm64 too, so that a CPU taking the slot next cannot write under them.
 */
static __always_inline void slot__free(struct tcpc_conn_slot *s, const void *sk)
{
	__sync_val_compare_and_swap(&s->sk, (__u64)sk, 0);
}

static __always_inline void conns__delete(const void *sk)
{
	struct tcpc_conn_slot *s = slot__held(sk);
	__u64 key = (__u64)sk;

	if (s)
		slot__free(s, sk);
	else if (conns_hashed && !bpf_map_delete_elem(&conns, &key))
		__sync_fetch_and_add(&conns_hashed, -1);
}

/* sk's entry made from c unless it has one, and then found; NULL if there is no room */
static __always_inline struct tcpc_closing *conns__lookup_or_insert(const void *sk,
								   const struct tcpc_closing *c)
{
	conns__insert(sk, c);
	return conns__lookup(sk);
}

#endif /* __CONNS_BPF_H */
