// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* tw_join: records continued in timewait sockets, made whole; see tw_join.h */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include "head_codec.h"
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

/*
 * What came of a socket before its head (a socket killed as soon as it was made): a few at
 * most, for microseconds, looked up by a scan
 */
struct tw_early {
	__u64 tw;
	struct tcpc_tw_event end;
	__u64 restart_first_ns, restart_last_ns;
	__u32 restarts;
	bool ended;
};

#define EARLY_MAX 1024

/* open addressing, linear probing: keys are socket addresses, never 0; values, encoded heads */
struct tw_join {
	__u64 *keys;
	__u8 **heads;		/* head_codec.h, each malloc()ed to its length */
	size_t cap;		/* a power of two */
	size_t n;
	size_t head_bytes;	/* what the encoded heads take, as malloc() rounds them */
	__u32 serial;		/* of the next head kept: its first 4 bytes, then its encoding */
	struct head_codec codec;
	struct tw_early early[EARLY_MAX];
	int nearly;
};

struct tw_join *tw_join__new(void)
{
	struct tw_join *j = calloc(1, sizeof(struct tw_join));

	if (j)
		head_codec__init(&j->codec);
	return j;
}

void tw_join__free(struct tw_join *j)
{
	if (!j)
		return;
	for (size_t i = 0; i < j->cap; i++)
		free(j->heads[i]);
	free(j->keys);
	free(j->heads);
	head_codec__free(&j->codec);
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
	__u8 **heads = calloc(cap, sizeof(*heads)), **old_heads = j->heads;
	size_t old_cap = j->cap;

	if (!keys || !heads) {
		free(keys);
		free(heads);
		return -ENOMEM;
	}
	j->keys = keys;
	j->heads = heads;
	j->cap = cap;
	for (size_t i = 0; i < old_cap; i++) {
		size_t k;

		if (!old_keys[i])
			continue;
		k = slot__find(j, old_keys[i]);
		j->keys[k] = old_keys[i];
		j->heads[k] = old_heads[i];
	}
	free(old_keys);
	free(old_heads);
	return 0;
}

/* the slot of key's head, or -1 */
static long join__get(const struct tw_join *j, __u64 key)
{
	size_t i;

	if (!j->cap)
		return -1;
	i = slot__find(j, key);
	return j->keys[i] ? (long)i : -1;
}

/* what a malloc()ed head takes: what it may use, and malloc()'s own header */
static size_t head__bytes(__u8 *head)
{
	return malloc_usable_size(head) + sizeof(size_t);
}

static void head__free(struct tw_join *j, __u8 *head)
{
	head_codec__release(&j->codec, head + sizeof(__u32));
	j->head_bytes -= head__bytes(head);
	free(head);
}

/* keep rec, encoded, as the head of its socket (rec->tw_sock), over any there */
static int join__put(struct tw_join *j, const struct tcpc_conn *rec)
{
	__u8 buf[HEAD_CODEC_MAX], *head;
	size_t len, i;
	long at = join__get(j, rec->tw_sock);

	/* at most three quarters full: probes stay short */
	if (at < 0 && (j->n + 1) * 4 > j->cap * 3 && join__grow(j))
		return -ENOMEM;
	len = head_codec__encode(&j->codec, rec, buf);
	if (!len || !(head = malloc(sizeof(j->serial) + len))) {
		if (len)
			head_codec__release(&j->codec, buf);
		return -ENOMEM;
	}
	memcpy(head, &j->serial, sizeof(j->serial));
	memcpy(head + sizeof(j->serial), buf, len);
	j->serial++;
	j->head_bytes += head__bytes(head);
	if (at >= 0) {
		head__free(j, j->heads[at]);
		j->heads[at] = head;
		return 0;
	}
	i = slot__find(j, rec->tw_sock);
	j->keys[i] = rec->tw_sock;
	j->heads[i] = head;
	j->n++;
	return 0;
}

/* the head kept in slot i, decoded */
static void join__read(const struct tw_join *j, size_t i, struct tcpc_conn *rec)
{
	head_codec__decode(&j->codec, j->heads[i] + sizeof(__u32), rec);
	rec->tw_sock = j->keys[i];
}

/* forget key's head; the slots after it that probed past it move back (no tombstones) */
static void join__del(struct tw_join *j, __u64 key)
{
	long at = join__get(j, key);
	size_t i, k, home;

	if (at < 0)
		return;
	i = at;
	head__free(j, j->heads[i]);
	j->keys[i] = 0;
	j->heads[i] = NULL;
	j->n--;
	for (k = (i + 1) & (j->cap - 1); j->keys[k]; k = (k + 1) & (j->cap - 1)) {
		home = slot__hash(j->keys[k], j->cap);
		/* k's key may stay if its home lies cyclically in (i, k] */
		if (i <= k ? (home > i && home <= k) : (home > i || home <= k))
			continue;
		j->keys[i] = j->keys[k];
		j->heads[i] = j->heads[k];
		j->keys[k] = 0;
		j->heads[k] = NULL;
		i = k;
	}
}

static struct tw_early *early__find(struct tw_join *j, __u64 tw)
{
	for (int i = 0; i < j->nearly; i++)
		if (j->early[i].tw == tw)
			return &j->early[i];
	return NULL;
}

static void early__del(struct tw_join *j, struct tw_early *e)
{
	*e = j->early[--j->nearly];
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
	struct tw_early *e = early__find(j, head->tw_sock);
	struct tcpc_conn rec = *head;

	if (!e)
		return join__put(j, head);
	/* what came before it: a socket killed as soon as it was made */
	for (__u32 i = 0; i < e->restarts; i++)
		rec__restarted(&rec, i ? e->restart_last_ns : e->restart_first_ns);
	if (e->ended) {
		tw_join__complete(&rec, &e->end, out);
		early__del(j, e);
		return 1;
	}
	early__del(j, e);
	return join__put(j, &rec);
}

static int join__event(struct tw_join *j, const struct tcpc_tw_event *ev, struct tcpc_conn *out)
{
	long at = join__get(j, ev->tw);
	struct tcpc_conn rec;
	struct tw_early *e;

	if (at < 0) {
		/* before its head, or its head lost (counted by the BPF side) */
		e = early__find(j, ev->tw);
		if (!e) {
			if (j->nearly == EARLY_MAX)
				return -ENOMEM;
			e = &j->early[j->nearly++];
			memset(e, 0, sizeof(*e));
			e->tw = ev->tw;
		}
		if (ev->type == TCPC_EV_TW_END) {
			e->end = *ev;
			e->ended = true;
		} else {
			if (!e->restarts++)
				e->restart_first_ns = ev->ns;
			e->restart_last_ns = ev->ns;
		}
		return 0;
	}
	join__read(j, at, &rec);
	if (ev->type == TCPC_EV_TW_RESTART) {
		rec__restarted(&rec, ev->ns);
		return join__put(j, &rec);
	}
	tw_join__complete(&rec, ev, out);
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

bool tw_join__find(const struct tw_join *j, __u64 tw, struct tcpc_conn *head)
{
	long at = join__get(j, tw);

	if (at < 0)
		return false;
	join__read(j, at, head);
	return true;
}

long tw_join__heads(const struct tw_join *j, struct tw_join_ref **refs)
{
	long n = 0;

	*refs = malloc((j->n ?: 1) * sizeof(**refs));
	if (!*refs)
		return -ENOMEM;
	for (size_t i = 0; i < j->cap; i++) {
		if (!j->keys[i])
			continue;
		(*refs)[n].tw = j->keys[i];
		memcpy(&(*refs)[n].serial, j->heads[i], sizeof((*refs)[n].serial));
		n++;
	}
	return n;
}

void tw_join__forget(struct tw_join *j, const struct tw_join_ref *ref)
{
	long at = join__get(j, ref->tw);
	__u32 serial;

	if (at < 0)
		return;
	memcpy(&serial, j->heads[at], sizeof(serial));
	if (serial == ref->serial)
		join__del(j, ref->tw);
}

size_t tw_join__count(const struct tw_join *j)
{
	return j->n;
}

size_t tw_join__bytes(const struct tw_join *j)
{
	return j->head_bytes + j->cap * (sizeof(__u64) + sizeof(void *)) +
	       intern__bytes(&j->codec.who) + intern__bytes(&j->codec.where);
}
