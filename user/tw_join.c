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
 * A head kept: its socket's address (never 0), which of that socket's heads it is, its
 * ports (whose it is, to the events of a socket without an entry: the address may be
 * another socket's by then), the last walk that found its socket, and its encoding
 * (head_codec.h), in a slot of its length
 */
struct head {
	__u64 tw;
	__u32 serial;
	__u16 sport, dport;
	__u8 mark;
	__u8 code[];
} __attribute__((packed));

/*
 * Without entries: the events of sockets whose head has not come (yet): kept while their
 * head may still come, a few microseconds behind in the ring buffer; an event older than
 * EARLY_SEEN_NS than the newest is of a socket not followed (made before tcpclose started
 * and not found by the walk, or its head lost), and is counted and forgotten.
 */
#define EARLY_SEEN_MAX 1024
#define EARLY_SEEN_NS 1000000000ULL

/*
 * Without entries: heads displaced from the table by a new socket's at their address before
 * their own socket's end came (it ended on another CPU meanwhile). A few at most.
 */
#define DISPLACED_MAX 1024

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
	struct tcpc_tw_seen early_seen[EARLY_SEEN_MAX];
	int nearly_seen;
	bool bare;		/* timewait sockets followed without entries */
	__u64 now;		/* as tw_join__tick() said last */
	__u32 displaced[DISPLACED_MAX];
	int ndisplaced;
	struct tw_join_stats stats;
};

struct tw_join *tw_join__new(bool bare)
{
	struct tw_join *j = calloc(1, sizeof(struct tw_join));

	if (!j)
		return NULL;
	head_codec__init(&j->codec);
	j->bare = bare;
	return j;
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
 * Under an eighth full, to a quarter full or more (far from growing again): the table a
 * burst of timewait sockets grew goes back once they are gone, not while they go. Without
 * memory to move it, it stays as it is.
 */
static bool join__shrink(struct tw_join *j)
{
	size_t cap = j->cap;

	while (cap > JOIN_MIN_CAP && j->n * 8 < cap)
		cap /= 2;
	return cap != j->cap && !join__resize(j, cap);
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

void tw_join__free(struct tw_join *j)
{
	if (!j)
		return;
	free(j->rows);
	for (int i = 0; i < j->ndisplaced; i++)
		head__free(j, j->displaced[i]);
	slots__release(&j->heads);
	head_codec__free(&j->codec);
	free(j);
}

/* rec, encoded, as a new head of its socket (rec->tw_sock): its slot, or 0 without memory */
static __u32 head__new(struct tw_join *j, const struct tcpc_conn *rec)
{
	__u8 buf[HEAD_CODEC_MAX];
	struct head *head;
	size_t len;
	__u32 ref;

	len = head_codec__encode(&j->codec, rec, buf);
	if (!len || !(ref = slots__alloc(&j->heads, sizeof(*head) + len))) {
		if (len)
			head_codec__release(&j->codec, buf);
		return 0;
	}
	head = head__at(j, ref);
	head->tw = rec->tw_sock;
	head->serial = j->serial++;
	head->sport = rec->sport;
	head->dport = rec->dport;
	head->mark = 0;
	memcpy(head->code, buf, len);
	return ref;
}

/* keep rec, encoded, as the head of its socket (rec->tw_sock), over any there */
static int join__put(struct tw_join *j, const struct tcpc_conn *rec)
{
	struct head *head;
	size_t at;
	__u32 ref;

	/* at most three quarters full: probes stay short (a head replaced may grow it early) */
	if ((j->n + 1) * 4 > j->cap * 3 && join__grow(j))
		return -ENOMEM;
	at = slot__find(j, rec->tw_sock);
	ref = head__new(j, rec);
	if (!ref)
		return -ENOMEM;
	head = head__at(j, ref);
	if (j->rows[at].ref) {
		/* the same socket's head, brought up to date: what the last walk said holds */
		head->mark = head__at(j, j->rows[at].ref)->mark;
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
 * Empty row i, whose head the caller has freed or kept elsewhere; the rows after it that
 * probed past it move back (no tombstones)
 */
static void row__take(struct tw_join *j, size_t i)
{
	size_t k, home;

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
}

/* forget the head in row i; the rows after it may move, the callers are done with theirs */
static void join__del(struct tw_join *j, size_t i)
{
	head__free(j, j->rows[i].ref);
	row__take(j, i);
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

/* the peer's FIN in the timewait socket, if the record has none yet: rcv_nxt was its end */
static void rec__peer_fin(struct tcpc_conn *r, const struct tcpc_tw_seen *ev)
{
	if (r->flags & TCPC_F_PEER_FIN)
		return;
	r->peer_fin_seq = ev->rcv_nxt - 1;
	r->peer_fin_ack = ev->snd_nxt;
	r->flags |= TCPC_F_PEER_FIN;
}

/*
 * Bring r up to date with what its socket showed, as timewait__settle() an entry: an orphaned
 * FIN_WAIT2 become TIME_WAIT when 2MSL was armed, or a TIME_WAIT whose 2MSL restarted
 * since last seen (the resends in between, if several, count as one). Not where every
 * re-arm is seen (TCPC_TWF_EXACT): each came as a re-arm, and a deadline a little later than
 * noted then is the tick the kernel read after, no restart.
 */
static void rec__settle(struct tcpc_conn *r, const struct tcpc_tw_seen *ev)
{
	if (ev->substate != TCP_TIME_WAIT)
		return;
	rec__peer_fin(r, ev);
	if (r->state == TCP_FIN_WAIT2) {
		rec__enter(r, TCP_TIME_WAIT, ev->armed_ns);
		r->tw_expires = ev->expires;
	} else if (!(ev->flags & TCPC_TWF_EXACT) && (__s32)(ev->expires - r->tw_expires) > 0) {
		rec__restarted(r, ev->armed_ns);
		r->tw_expires = ev->expires;
	}
}

/* a peer FIN re-armed the timer at ev->ns: TIME_WAIT begins, or 2MSL restarts */
static void rec__rearmed(struct tcpc_conn *r, const struct tcpc_tw_seen *ev)
{
	rec__peer_fin(r, ev);
	if (r->state == TCP_FIN_WAIT2)
		rec__enter(r, TCP_TIME_WAIT, ev->ns);
	else
		rec__restarted(r, ev->ns);
	r->tw_expires = ev->expires;
}

/*
 * Apply ev to the record r it belongs to; 1 if that made it whole, into *out, as the entry's
 * end made it (timewait__finish(), tw_join__complete()).
 */
static int rec__seen(struct tcpc_conn *r, const struct tcpc_tw_seen *ev, struct tcpc_conn *out)
{
	struct tcpc_tw_event end = { .type = TCPC_EV_TW_END };

	switch (ev->what) {
	case TCPC_TW_SEEN_MOVED:
		if (ev->expires != r->tw_expires)
			rec__settle(r, ev);
		return 0;
	case TCPC_TW_SEEN_REARM:
		rec__rearmed(r, ev);
		return 0;
	case TCPC_TW_SEEN_END:
		rec__settle(r, ev);
		end.state = r->state;
		end.tw_end = ev->tw_end;
		end.flags = ev->flags & (TCPC_TWF_RST_SENT | TCPC_TWF_RST_SYN);
		end.tw = ev->tw;
		end.ns = ev->ns;
		end.enter_ns = r->enter_ns;
		tw_join__complete(r, &end, out);
		return 1;
	default:
		rec__settle(r, ev);
		return 0;
	}
}

static bool head__is(const struct head *head, __u64 tw, __u16 sport, __u16 dport)
{
	return head->tw == tw && head->sport == sport && head->dport == dport;
}

/* the displaced head of tw with these ports: its index in j->displaced, or -1 */
static int displaced__find(const struct tw_join *j, __u64 tw, __u16 sport, __u16 dport)
{
	for (int i = 0; i < j->ndisplaced; i++)
		if (head__is(head__at(j, j->displaced[i]), tw, sport, dport))
			return i;
	return -1;
}

static void displaced__del(struct tw_join *j, int i)
{
	j->displaced[i] = j->displaced[--j->ndisplaced];
}

/* move the head in row i out of the table, its socket's end still to come */
static void join__displace(struct tw_join *j, size_t i)
{
	__u32 ref = j->rows[i].ref;

	if (j->ndisplaced == DISPLACED_MAX) {
		/* the oldest: its end was lost, most likely */
		head__free(j, j->displaced[0]);
		displaced__del(j, 0);
		j->stats.lost++;
	}
	j->displaced[j->ndisplaced++] = ref;
	row__take(j, i);
}

/* forget the early events older than EARLY_SEEN_NS before now: their heads never came */
static void early_seen__expire(struct tw_join *j, __u64 now)
{
	int k = 0;

	for (int i = 0; i < j->nearly_seen; i++) {
		if (j->early_seen[i].ns + EARLY_SEEN_NS < now) {
			j->stats.no_head++;
			continue;
		}
		j->early_seen[k++] = j->early_seen[i];
	}
	j->nearly_seen = k;
}

/* an event of a socket whose head is not here: kept for a while, in the order it came */
static int early_seen__add(struct tw_join *j, const struct tcpc_tw_seen *ev)
{
	if (j->nearly_seen == EARLY_SEEN_MAX)
		early_seen__expire(j, j->now);
	if (j->nearly_seen == EARLY_SEEN_MAX) {
		j->stats.no_head++;
		return 0;
	}
	j->early_seen[j->nearly_seen++] = *ev;
	return 0;
}

/*
 * A head without entries: a socket made killed before its head came has its events early;
 * the start-up walk's partial head of a socket the claim sent one for too (either first)
 * is the lesser, and a head already here for another socket at the address is displaced.
 */
static int join__head_seen(struct tw_join *j, const struct tcpc_conn *head, struct tcpc_conn *out)
{
	struct tcpc_conn rec = *head;
	long at = join__get(j, head->tw_sock);
	int k = 0, done = 0;

	if (at >= 0) {
		const struct head *was = head__at(j, j->rows[at].ref);

		if (head__is(was, head->tw_sock, head->sport, head->dport)) {
			struct tcpc_conn kept;

			join__read(j, at, &kept);
			if ((head->flags & TCPC_F_PARTIAL) && !(kept.flags & TCPC_F_PARTIAL))
				return 0;
			if (!(head->flags & TCPC_F_PARTIAL) && !(kept.flags & TCPC_F_PARTIAL))
				join__displace(j, at);	/* a new connection of the same ports */
		} else {
			join__displace(j, at);
		}
	}
	/* its events that came first, in their order */
	for (int i = 0; i < j->nearly_seen; i++) {
		const struct tcpc_tw_seen *ev = &j->early_seen[i];

		if (done || ev->tw != head->tw_sock || ev->sport != head->sport ||
		    ev->dport != head->dport) {
			j->early_seen[k++] = *ev;
			continue;
		}
		done = rec__seen(&rec, ev, out);
	}
	j->nearly_seen = k;
	if (done)
		return 1;
	return join__put(j, &rec);
}

static int join__seen(struct tw_join *j, const struct tcpc_tw_seen *ev, struct tcpc_conn *out)
{
	long at = join__get(j, ev->tw);
	struct tcpc_conn rec;
	int d, n;

	if (at >= 0 && head__is(head__at(j, j->rows[at].ref), ev->tw, ev->sport, ev->dport)) {
		join__read(j, at, &rec);
		n = rec__seen(&rec, ev, out);
		if (n) {
			join__del(j, at);
			return n;
		}
		return join__put(j, &rec);
	}
	d = displaced__find(j, ev->tw, ev->sport, ev->dport);
	if (d < 0)
		return early_seen__add(j, ev);
	head_codec__decode(&j->codec, head__at(j, j->displaced[d])->code, &rec);
	rec.tw_sock = ev->tw;
	n = rec__seen(&rec, ev, out);
	if (n) {
		head__free(j, j->displaced[d]);
		displaced__del(j, d);
	} else {
		/* brought up to date where it is: in the table, it would displace another */
		__u32 ref = head__new(j, &rec);

		if (!ref)
			return -ENOMEM;
		head__at(j, ref)->mark = head__at(j, j->displaced[d])->mark;
		head__free(j, j->displaced[d]);
		j->displaced[d] = ref;
	}
	return n;
}

int tw_join__take(struct tw_join *j, const void *ev, struct tcpc_conn *out)
{
	__u8 type = *(const __u8 *)ev;

	if (type == TCPC_EV_CLOSE)
		return j->bare ? join__head_seen(j, ev, out) : join__head(j, ev, out);
	if (type == TCPC_EV_TW_SEEN)
		return join__seen(j, ev, out);
	return join__event(j, ev, out);
}

/* the timewait socket an event names, 0 if none */
static __u64 event__tw(const void *ev)
{
	switch (*(const __u8 *)ev) {
	case TCPC_EV_CLOSE:
		return ((const struct tcpc_conn *)ev)->flags & TCPC_F_TW_HEAD ?
			((const struct tcpc_conn *)ev)->tw_sock : 0;
	case TCPC_EV_TW_RESTART:
	case TCPC_EV_TW_END:
		return ((const struct tcpc_tw_event *)ev)->tw;
	case TCPC_EV_TW_SEEN:
		return ((const struct tcpc_tw_seen *)ev)->tw;
	}
	return 0;
}

void tw_join__prefetch(const struct tw_join *j, const void *ev, bool head)
{
	__u64 key = event__tw(ev), h;
	const __u8 *at;
	size_t i;

	if (!key || !j->cap)
		return;
	h = key__mix(key);
	i = h & (j->cap - 1);
	if (!head) {
		__builtin_prefetch(&j->rows[i]);
		return;
	}
	/* most keys sit in their home row; a head takes some 70 bytes: the lines of 96 */
	if (j->rows[i].ref && j->rows[i].tag == (__u8)(h >> 56)) {
		at = (const __u8 *)head__at(j, j->rows[i].ref);
		__builtin_prefetch(at);
		__builtin_prefetch(at + 48);
		__builtin_prefetch(at + 95);
	}
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
	return j->n + j->ndisplaced;
}

void tw_join__tick(struct tw_join *j, __u64 now)
{
	j->now = now;
	if (j->nearly_seen)
		early_seen__expire(j, now);
}

void tw_join__trim(struct tw_join *j)
{
	slots__trim(&j->heads);
	/* malloc() keeps what is freed (the old rows) for itself unless told */
	if (join__shrink(j))
		malloc_trim(0);
}

void tw_join__stats(const struct tw_join *j, struct tw_join_stats *st)
{
	*st = j->stats;
}

/* the head named by ref, in row 'row' of the table or (row -1) displaced */
typedef void (*head_fn)(struct tw_join *j, __u32 ref, long row, void *ctx);

/* fn on every head kept; fn may forget the one it is given, and only that one */
static void join__each(struct tw_join *j, head_fn fn, void *ctx)
{
	struct tw_join_ref *refs;
	long n = tw_join__heads(j, &refs);

	/* by reference, not row: forgetting one moves rows */
	for (long i = 0; i < n; i++) {
		long at = join__get(j, refs[i].tw);

		if (at >= 0)
			fn(j, j->rows[at].ref, at, ctx);
	}
	free(refs);
	for (int i = j->ndisplaced - 1; i >= 0; i--)
		fn(j, j->displaced[i], -1 - i, ctx);
}

void tw_join__mark(struct tw_join *j, const struct tcpc_tw_found *f, __u8 mark)
{
	long at = join__get(j, f->tw);
	int d;

	if (at >= 0 && head__is(head__at(j, j->rows[at].ref), f->tw, f->sport, f->dport)) {
		head__at(j, j->rows[at].ref)->mark = mark;
		return;
	}
	d = displaced__find(j, f->tw, f->sport, f->dport);
	if (d >= 0)
		head__at(j, j->displaced[d])->mark = mark;
}

bool tw_join__forget_found(struct tw_join *j, const struct tcpc_tw_found *f)
{
	long at = join__get(j, f->tw);
	int d;

	if (at >= 0 && head__is(head__at(j, j->rows[at].ref), f->tw, f->sport, f->dport)) {
		join__del(j, at);
		return true;
	}
	d = displaced__find(j, f->tw, f->sport, f->dport);
	if (d < 0)
		return false;
	head__free(j, j->displaced[d]);
	displaced__del(j, d);
	return true;
}

struct unmarked {
	__u8 mark;
	tw_join_record_fn fn;
	void *ctx;
	long n;
};

static void head__forget(struct tw_join *j, long row)
{
	if (row >= 0) {
		join__del(j, row);
	} else {
		head__free(j, j->displaced[-1 - row]);
		displaced__del(j, -1 - row);
	}
}

static void unmarked__one(struct tw_join *j, __u32 ref, long row, void *ctx)
{
	struct unmarked *u = ctx;
	const struct head *head = head__at(j, ref);
	struct tcpc_tw_event end = { .type = TCPC_EV_TW_END, .flags = TCPC_TWF_END_UNSEEN };
	struct tcpc_conn rec, whole;

	if (head->mark == u->mark)
		return;
	head_codec__decode(&j->codec, head->code, &rec);
	rec.tw_sock = head->tw;
	/* as far as seen: its last state closed at the moment it began */
	end.tw = head->tw;
	end.state = rec.state;
	end.ns = end.enter_ns = rec.enter_ns;
	tw_join__complete(&rec, &end, &whole);
	u->fn(u->ctx, &whole);
	head__forget(j, row);
	u->n++;
}

long tw_join__unmarked(struct tw_join *j, __u8 mark, tw_join_record_fn fn, void *ctx)
{
	struct unmarked u = { .mark = mark, .fn = fn, .ctx = ctx };

	join__each(j, unmarked__one, &u);
	return u.n;
}

size_t tw_join__bytes(const struct tw_join *j)
{
	return slots__bytes(&j->heads) + j->cap * sizeof(*j->rows) +
	       intern__bytes(&j->codec.who) + intern__bytes(&j->codec.where);
}
