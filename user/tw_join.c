// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* tw_join: records continued in timewait sockets, made whole; see tw_join.h */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "tw_join.h"

/* the kernel's TCP states (include/net/tcp_states.h) that a timewait phase goes through */
enum {
	TCP_FIN_WAIT2 = 5,
	TCP_TIME_WAIT = 6,
	TCP_CLOSE = 7,
};

/* the close state a kernel TCP state is kept as, as state__index() in bpf/conn.bpf.h */
static __u8 close_index(int state)
{
	static const __u8 index[] = {
		[4] = TCPC_FIN_WAIT1, [TCP_FIN_WAIT2] = TCPC_FIN_WAIT2,
		[TCP_TIME_WAIT] = TCPC_TIME_WAIT, [8] = TCPC_CLOSE_WAIT, [9] = TCPC_LAST_ACK,
		[11] = TCPC_CLOSING,
	};

	if (state >= 4 && state < (int)sizeof(index) && state != TCP_CLOSE && state != 10)
		return index[state];
	return TCPC_NOT_CLOSING;
}

/* a timewait socket's record: its head, or what came before it */
struct tw_pending {
	struct tcpc_conn rec;		/* the head, once it came */
	struct tcpc_tw_event end;	/* the end, if it came first */
	__u32 restarts;			/* restarts that came before the head */
	__u64 restart_first_ns, restart_last_ns;
	bool head, ended;
};

/* open addressing, linear probing: keys are socket addresses, never 0 */
struct tw_join {
	__u64 *keys;
	struct tw_pending **vals;
	size_t cap;		/* a power of two */
	size_t n;
};

struct tw_join *tw_join__new(void)
{
	return calloc(1, sizeof(struct tw_join));
}

void tw_join__free(struct tw_join *j)
{
	if (!j)
		return;
	for (size_t i = 0; i < j->cap; i++)
		free(j->vals[i]);
	free(j->keys);
	free(j->vals);
	free(j);
}

static size_t slot__hash(__u64 key, size_t cap)
{
	/* addresses share their low bits (slab alignment): mix them all in */
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdULL;
	key ^= key >> 33;
	return key & (cap - 1);
}

/* where key is, or the empty slot where it would go */
static size_t slot__find(const struct tw_join *j, __u64 key)
{
	size_t i = slot__hash(key, j->cap);

	while (j->keys[i] && j->keys[i] != key)
		i = (i + 1) & (j->cap - 1);
	return i;
}

static int join__grow(struct tw_join *j)
{
	size_t cap = j->cap ? j->cap * 2 : 1024;
	__u64 *keys = calloc(cap, sizeof(*keys)), *old_keys = j->keys;
	struct tw_pending **vals = calloc(cap, sizeof(*vals)), **old_vals = j->vals;
	size_t old_cap = j->cap;

	if (!keys || !vals) {
		free(keys);
		free(vals);
		return -ENOMEM;
	}
	j->keys = keys;
	j->vals = vals;
	j->cap = cap;
	for (size_t i = 0; i < old_cap; i++) {
		size_t k;

		if (!old_keys[i])
			continue;
		k = slot__find(j, old_keys[i]);
		j->keys[k] = old_keys[i];
		j->vals[k] = old_vals[i];
	}
	free(old_keys);
	free(old_vals);
	return 0;
}

static struct tw_pending *join__get(const struct tw_join *j, __u64 key)
{
	size_t i;

	if (!j->cap)
		return NULL;
	i = slot__find(j, key);
	return j->keys[i] ? j->vals[i] : NULL;
}

/* the entry of key, made if there is none; NULL without memory */
static struct tw_pending *join__put(struct tw_join *j, __u64 key)
{
	struct tw_pending *p = join__get(j, key);
	size_t i;

	if (p)
		return p;
	/* at most three quarters full: probes stay short */
	if ((j->n + 1) * 4 > j->cap * 3 && join__grow(j))
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	i = slot__find(j, key);
	j->keys[i] = key;
	j->vals[i] = p;
	j->n++;
	return p;
}

/* forget key's entry; the slots after it that probed past it move back (no tombstones) */
static void join__del(struct tw_join *j, __u64 key)
{
	size_t i = slot__find(j, key), k, home;

	if (!j->keys[i])
		return;
	free(j->vals[i]);
	j->keys[i] = 0;
	j->vals[i] = NULL;
	j->n--;
	for (k = (i + 1) & (j->cap - 1); j->keys[k]; k = (k + 1) & (j->cap - 1)) {
		home = slot__hash(j->keys[k], j->cap);
		/* k's key may stay if its home lies cyclically in (i, k] */
		if (i <= k ? (home > i && home <= k) : (home > i || home <= k))
			continue;
		j->keys[i] = j->keys[k];
		j->vals[i] = j->vals[k];
		j->keys[k] = 0;
		j->vals[k] = NULL;
		i = k;
	}
}

static void rec__restarted(struct tcpc_conn *r, __u64 ns)
{
	if (!r->tw_restarts)
		r->tw_restart_first_ns = ns;
	r->tw_restart_last_ns = ns;
	r->tw_restarts++;
	r->flags |= TCPC_F_TW_RESTART;
}

/* as conn__enter() in bpf/conn.bpf.h: the current state's clock closes at ns */
static void rec__enter(struct tcpc_conn *r, int state, __u64 ns)
{
	__u8 from = close_index(r->state), to = close_index(state);

	if (ns < r->enter_ns)
		ns = r->enter_ns;
	if (from < TCPC_NR_STATES)
		r->dwell_ns[from] += ns - r->enter_ns;
	if (to < TCPC_NR_STATES && !(r->visited & (1 << to))) {
		if (!r->visited)
			r->start_ns = ns;
		for (int i = 0; i < TCPC_NR_STATES; i++) {
			if (r->order[i] == TCPC_NOT_CLOSING) {
				r->order[i] = to;
				break;
			}
		}
		r->visited |= 1 << to;
	}
	r->state = state;
	r->enter_ns = ns;
}

void tw_join__complete(const struct tcpc_conn *head, const struct tcpc_tw_event *ev,
		       struct tcpc_conn *out)
{
	struct tcpc_conn *r = out;
	__u8 tw_end = ev->tw_end, last;

	*r = *head;
	r->flags &= ~TCPC_F_TW_HEAD;
	/* the peer's FIN in the timewait socket: the ACK was our FIN + 1, all it knows */
	if (!(r->flags & TCPC_F_PEER_FIN) && (ev->flags & TCPC_TWF_PEER_FIN)) {
		r->peer_fin_seq = ev->rcv_nxt - 1;
		r->peer_fin_ack = ev->snd_nxt;
		r->flags |= TCPC_F_PEER_FIN;
	}
	if (ev->state != r->state)
		rec__enter(r, ev->state, ev->enter_ns);
	last = r->state;
	rec__enter(r, TCP_CLOSE, ev->ns);
	if (!r->start_ns)
		r->start_ns = r->enter_ns;
	r->end_ns = r->enter_ns;
	if (ev->flags & TCPC_TWF_END_UNSEEN)
		r->flags |= TCPC_F_END_UNSEEN;
	if (ev->flags & TCPC_TWF_RST_SENT) {
		/* it answered a segment with a reset, and ended by it */
		r->flags |= TCPC_F_RST_SENT;
		r->rst_reason = ev->flags & TCPC_TWF_RST_SYN ? TCPC_RST_SYN_AFTER_CLOSE :
							      TCPC_RST_DATA_AFTER_CLOSE;
		r->cause = TCPC_CAUSE_RST_SENT;
		r->role = TCPC_ROLE_ABORTED;
		tw_end = TCPC_TW_RST;
	} else if (tw_end == TCPC_TW_RST) {
		r->flags |= TCPC_F_RST_RECEIVED;
		/*
		 * Before the peer's FIN the close had not finished: the reset ended the
		 * connection, as it ends a FIN_WAIT2 its process still holds. After it, the
		 * close was done and the reset only cut TIME_WAIT short.
		 */
		if (last == TCP_FIN_WAIT2) {
			r->cause = TCPC_CAUSE_RST_RECEIVED;
			r->role = TCPC_ROLE_ABORTED;
		}
	}
	r->tw_end = tw_end;
	/* an orphaned FIN_WAIT2 that ran out of tcp_fin_timeout before the peer's FIN */
	if (tw_end == TCPC_TW_EXPIRED && last == TCP_FIN_WAIT2)
		r->cause = TCPC_CAUSE_FIN_WAIT2_TIMEOUT;
}

static int join__head(struct tw_join *j, const struct tcpc_conn *head, struct tcpc_conn *out)
{
	struct tw_pending *p = join__put(j, head->tw_sock);

	if (!p)
		return -ENOMEM;
	p->rec = *head;
	p->head = true;
	/* what came before it: a socket killed as soon as it was made */
	for (__u32 i = 0; i < p->restarts; i++)
		rec__restarted(&p->rec, i ? p->restart_last_ns : p->restart_first_ns);
	p->restarts = 0;
	if (!p->ended)
		return 0;
	tw_join__complete(&p->rec, &p->end, out);
	join__del(j, head->tw_sock);
	return 1;
}

static int join__event(struct tw_join *j, const struct tcpc_tw_event *ev, struct tcpc_conn *out)
{
	struct tw_pending *p = join__get(j, ev->tw);

	if (!p || !p->head) {
		/* before its head, or its head lost (counted by the BPF side) */
		p = join__put(j, ev->tw);
		if (!p)
			return -ENOMEM;
		if (ev->type == TCPC_EV_TW_END) {
			p->end = *ev;
			p->ended = true;
		} else {
			if (!p->restarts++)
				p->restart_first_ns = ev->ns;
			p->restart_last_ns = ev->ns;
		}
		return 0;
	}
	if (ev->type == TCPC_EV_TW_RESTART) {
		rec__restarted(&p->rec, ev->ns);
		return 0;
	}
	tw_join__complete(&p->rec, ev, out);
	join__del(j, ev->tw);
	return 1;
}

int tw_join__take(struct tw_join *j, const void *ev, struct tcpc_conn *out)
{
	__u8 type = *(const __u8 *)ev;

	if (type == TCPC_EV_CLOSE)
		return join__head(j, ev, out);
	return join__event(j, ev, out);
}

const struct tcpc_conn *tw_join__find(const struct tw_join *j, __u64 tw)
{
	const struct tw_pending *p = join__get(j, tw);

	return p && p->head ? &p->rec : NULL;
}

long tw_join__heads(const struct tw_join *j, __u64 **tws)
{
	long n = 0;

	*tws = malloc((j->n ?: 1) * sizeof(**tws));
	if (!*tws)
		return -ENOMEM;
	for (size_t i = 0; i < j->cap; i++)
		if (j->keys[i] && j->vals[i]->head)
			(*tws)[n++] = j->keys[i];
	return n;
}

void tw_join__forget(struct tw_join *j, __u64 tw)
{
	if (j->cap)
		join__del(j, tw);
}

size_t tw_join__count(const struct tw_join *j)
{
	return j->n;
}

size_t tw_join__bytes(const struct tw_join *j)
{
	return j->n * sizeof(struct tw_pending) + j->cap * (sizeof(__u64) + sizeof(void *));
}
