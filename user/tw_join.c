// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* tw_join: records continued in timewait sockets, made whole; see tw_join.h */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include "head_codec.h"
#include "slots.h"
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

/*
 * A head kept: its socket's address (never 0), which of that socket's heads it is, and its
 * encoding (head_codec.h), in a slot of its length
 */
struct head {
	__u64 tw;
	__u32 serial;
	__u8 code[];
} __attribute__((packed));

_Static_assert(sizeof(struct head) + HEAD_CODEC_MAX <= SLOTS_MAX, "a head fits a slot");

/*
 * A row of the table: its head's slot (0: empty), and what saves reading the head, mostly a
 * cache miss in a table of many: its key's tag (a byte of its hash), for a probe to pass
 * other keys' rows, and how far past its home row it sits (DIST_FAR: that far or farther, its
 * home then read from its head), for a deletion to move rows back. Six bytes, one cache line
 * mostly: a probe reads one, not one in each of several arrays.
 */
struct row {
	__u32 ref;
	__u8 tag;
	__u8 dist;
} __attribute__((packed));

#define DIST_FAR 255

/* open addressing, linear probing, of the heads' slots (0: empty), by their sockets */
struct tw_join {
	struct row *rows;
	size_t cap;		/* a power of two */
	size_t n;
	__u32 serial;		/* of the next head kept */
	struct slots heads;
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
	free(j->rows);
	slots__release(&j->heads);
	head_codec__free(&j->codec);
	free(j);
}

static struct head *head__at(const struct tw_join *j, __u32 ref)
{
	return slots__at(&j->heads, ref);
}

static __u64 key__mix(__u64 key)
{
	/* addresses share their low bits (slab alignment): mix them all in */
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdULL;
	key ^= key >> 33;
	return key;
}

static size_t slot__hash(__u64 key, size_t cap)
{
	return key__mix(key) & (cap - 1);
}

/* the row of the table where key is, or the empty row where it would go */
static size_t slot__find(const struct tw_join *j, __u64 key)
{
	__u64 h = key__mix(key);
	size_t i = h & (j->cap - 1);
	/* a tag of bits no table's index uses */
	__u8 tag = h >> 56;

	while (j->rows[i].ref && (j->rows[i].tag != tag || head__at(j, j->rows[i].ref)->tw != key))
		i = (i + 1) & (j->cap - 1);
	return i;
}

/* row i's distance from home, as kept */
static __u8 row__dist(const struct tw_join *j, size_t i, size_t home)
{
	size_t d = (i - home) & (j->cap - 1);

	return d < DIST_FAR ? d : DIST_FAR;
}

/* put ref, key's head, in row i */
static void row__set(struct tw_join *j, size_t i, __u32 ref, __u64 key)
{
	j->rows[i].ref = ref;
	j->rows[i].tag = key__mix(key) >> 56;
	j->rows[i].dist = row__dist(j, i, slot__hash(key, j->cap));
}

/* the row where row i's key would be if nothing had been in the way */
static size_t row__home(const struct tw_join *j, size_t i)
{
	if (j->rows[i].dist < DIST_FAR)
		return (i - j->rows[i].dist) & (j->cap - 1);
	return slot__hash(head__at(j, j->rows[i].ref)->tw, j->cap);
}

/* the fewest rows the table keeps once it has any */
#define JOIN_MIN_CAP 1024

/* the heads' rows moved into a table of cap rows (a power of two, room for all of them) */
static int join__resize(struct tw_join *j, size_t cap)
{
	size_t old_cap = j->cap;
	struct row *rows = calloc(cap, sizeof(*rows)), *old_rows = j->rows;

	if (!rows)
		return -ENOMEM;
	j->rows = rows;
	j->cap = cap;
	for (size_t i = 0; i < old_cap; i++) {
		__u64 key;

		if (!old_rows[i].ref)
			continue;
		key = head__at(j, old_rows[i].ref)->tw;
		row__set(j, slot__find(j, key), old_rows[i].ref, key);
	}
	free(old_rows);
	return 0;
}

static int join__grow(struct tw_join *j)
{
	return join__resize(j, j->cap ? j->cap * 2 : JOIN_MIN_CAP);
}

/*
 * Under an eighth full, half the rows (a quarter full then, far from growing again): the
 * table a burst of timewait sockets grew goes back as they go. Without memory to move it,
 * it stays as it is. malloc() keeps what is freed for itself unless told.
 */
static void join__shrink(struct tw_join *j)
{
	if (j->cap <= JOIN_MIN_CAP || j->n * 8 >= j->cap)
		return;
	if (!join__resize(j, j->cap / 2))
		malloc_trim(0);
}

/* the row of key's head, or -1 */
static long join__get(const struct tw_join *j, __u64 key)
{
	size_t i;

	if (!j->cap)
		return -1;
	i = slot__find(j, key);
	return j->rows[i].ref ? (long)i : -1;
}

static void head__free(struct tw_join *j, __u32 ref)
{
	head_codec__release(&j->codec, head__at(j, ref)->code);
	slots__free(&j->heads, ref);
}

/* keep rec, encoded, as the head of its socket (rec->tw_sock), over any there */
static int join__put(struct tw_join *j, const struct tcpc_conn *rec)
{
	__u8 buf[HEAD_CODEC_MAX];
	struct head *head;
	size_t len, at;
	__u32 ref;

	/* at most three quarters full: probes stay short (a head replaced may grow it early) */
	if ((j->n + 1) * 4 > j->cap * 3 && join__grow(j))
		return -ENOMEM;
	at = slot__find(j, rec->tw_sock);
	len = head_codec__encode(&j->codec, rec, buf);
	if (!len || !(ref = slots__alloc(&j->heads, sizeof(*head) + len))) {
		if (len)
			head_codec__release(&j->codec, buf);
		return -ENOMEM;
	}
	head = head__at(j, ref);
	head->tw = rec->tw_sock;
	head->serial = j->serial++;
	memcpy(head->code, buf, len);
	if (j->rows[at].ref) {
		head__free(j, j->rows[at].ref);
		j->rows[at].ref = ref;
		return 0;
	}
	row__set(j, at, ref, rec->tw_sock);
	j->n++;
	return 0;
}

/* the head kept in row i, decoded */
static void join__read(const struct tw_join *j, size_t i, struct tcpc_conn *rec)
{
	const struct head *head = head__at(j, j->rows[i].ref);

	head_codec__decode(&j->codec, head->code, rec);
	rec->tw_sock = head->tw;
}

/*
 * Forget the head in row i; the rows after it that probed past it move back (no tombstones),
 * and the table may shrink: every row may move, the callers are done with theirs.
 */
static void join__del(struct tw_join *j, size_t i)
{
	size_t k, home;

	head__free(j, j->rows[i].ref);
	j->rows[i].ref = 0;
	j->n--;
	for (k = (i + 1) & (j->cap - 1); j->rows[k].ref; k = (k + 1) & (j->cap - 1)) {
		home = row__home(j, k);
		/* k's key may stay if its home lies cyclically in (i, k] */
		if (i <= k ? (home > i && home <= k) : (home > i || home <= k))
			continue;
		j->rows[i] = j->rows[k];
		j->rows[i].dist = row__dist(j, i, home);
		j->rows[k].ref = 0;
		i = k;
	}
	join__shrink(j);
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
	join__del(j, at);
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
		const struct head *head;

		if (!j->rows[i].ref)
			continue;
		head = head__at(j, j->rows[i].ref);
		(*refs)[n].tw = head->tw;
		(*refs)[n].serial = head->serial;
		n++;
	}
	return n;
}

void tw_join__forget(struct tw_join *j, const struct tw_join_ref *ref)
{
	long at = join__get(j, ref->tw);

	if (at >= 0 && head__at(j, j->rows[at].ref)->serial == ref->serial)
		join__del(j, at);
}

size_t tw_join__count(const struct tw_join *j)
{
	return j->n;
}

size_t tw_join__bytes(const struct tw_join *j)
{
	return slots__bytes(&j->heads) + j->cap * sizeof(*j->rows) +
	       intern__bytes(&j->codec.who) + intern__bytes(&j->codec.where);
}
