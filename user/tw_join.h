/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * tw_join: the records a timewait socket carried on, made whole in user space. When a
 * timewait socket takes a connection on, the BPF side sends what the record has so far, its
 * head (TCPC_F_TW_HEAD), and keeps in the kernel only what the timewait phase changes (struct
 * tcpc_tw: 32 bytes a socket instead of the whole record); the phase's restarts and end
 * follow as struct tcpc_tw_event. This keeps the heads until their end, and completes each as
 * the BPF side once did. The events of one socket come in order, but the end of a socket
 * killed within microseconds of being made may reach the ring buffer before its head: kept
 * until the head comes. Heads are kept encoded (head_codec.h), each in a slot of its length
 * (slots.h) named by 4 bytes in the table: about 70 bytes each, with the table's share.
 *
 * Without entries (bpf/timewait_noentry.bpf.h), the kernel keeps nothing of the socket: its
 * events (struct tcpc_tw_seen) say what the socket showed, and this settles the record as
 * the kernel settles an entry. They name the socket by its address and ports: a head whose
 * address a new socket's head takes before its own end came is kept aside until it does.
 */
#ifndef __TW_JOIN_H
#define __TW_JOIN_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "tcpclose.h"

struct tw_join;

/* bare: the timewait sockets are followed without entries */
struct tw_join *tw_join__new(bool bare);
void tw_join__free(struct tw_join *j);

/*
 * Take an event of the ring buffer: a head (struct tcpc_conn with TCPC_F_TW_HEAD), a
 * struct tcpc_tw_event, or without entries a struct tcpc_tw_seen. Returns 1 with a whole record in *out, 0 if none is whole yet, or
 * -ENOMEM (the head or event is then lost).
 */
int tw_join__take(struct tw_join *j, const void *ev, struct tcpc_conn *out);

/*
 * A hint, for an event soon to be taken: bring its row of the table into the cache (head
 * false), or, the row there by now, its head. Each is a cache miss in a table of many, and
 * events taken one by one wait for both; taken a few at a time, they are waited for side by
 * side (pump.c).
 */
void tw_join__prefetch(const struct tw_join *j, const void *ev, bool head);

/* the head of the record the timewait socket tw carries on, into *head; false if none */
bool tw_join__find(const struct tw_join *j, __u64 tw, struct tcpc_conn *head);

/* a head kept: its socket, and which of the heads that socket has had */
struct tw_join_ref {
	__u64 tw;
	__u32 serial;
};

/* the heads kept now, into *refs (free() it); how many, or -ENOMEM */
long tw_join__heads(const struct tw_join *j, struct tw_join_ref **refs);

/* forget the head ref names, if it is still kept (not one that came since): no end will */
void tw_join__forget(struct tw_join *j, const struct tw_join_ref *ref);

/* heads kept now, and the bytes they take */
size_t tw_join__count(const struct tw_join *j);
size_t tw_join__bytes(const struct tw_join *j);

/* what was not joined, without entries */
struct tw_join_stats {
	__u64 no_head;		/* events of sockets with no head (not followed, or the head
				 * lost and counted then) */
	__u64 lost;		/* heads given up on, their end never seen: counted as lost */
};

void tw_join__stats(const struct tw_join *j, struct tw_join_stats *st);

/* the clock now: events kept for a head that has not come are forgotten after a second */
void tw_join__tick(struct tw_join *j, __u64 now);

/*
 * Give back what heads no longer kept took (the table's rows, their pages): costly, so not
 * as they go, but when a burst of them is over (core.c)
 */
void tw_join__trim(struct tw_join *j);

/* a timewait socket a walk found: the head it has, if any, is marked with mark */
void tw_join__mark(struct tw_join *j, const struct tcpc_tw_found *f, __u8 mark);

/* forget the head of the socket f names, if there is one: its end will not come */
bool tw_join__forget_found(struct tw_join *j, const struct tcpc_tw_found *f);

typedef void (*tw_join_record_fn)(void *ctx, const struct tcpc_conn *rec);

/*
 * The heads kept that the walk which marked with mark did not find: their sockets went away
 * unseen. Each is made whole as far as seen (TCPC_F_END_UNSEEN, its last state closed at the
 * moment it began), given to fn, and forgotten. How many.
 */
long tw_join__unmarked(struct tw_join *j, __u8 mark, tw_join_record_fn fn, void *ctx);

/* complete head with the end ev, as the BPF side would have: into *out */
void tw_join__complete(const struct tcpc_conn *head, const struct tcpc_tw_event *ev,
		       struct tcpc_conn *out);

#endif /* __TW_JOIN_H */
