// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* head_codec: compact records' heads; see head_codec.h */
#include <string.h>
#include "head_codec.h"

/* what many heads share: interned whole, compared byte by byte (no padding inside) */
struct head_who {
	__u64 cgroup_id;
	__u32 pid;
	__u32 netns;
	char comm[TCPC_COMM_LEN];
};

/*
 * Not the remote port: a server's connections each have another (the client's ephemeral
 * one), and each would intern an endpoint pair of its own
 */
struct head_where {
	__u8 saddr[16];
	__u8 daddr[16];
	__u8 family;
	__u8 pad[3];
};

void head_codec__init(struct head_codec *hc)
{
	intern__init(&hc->who, sizeof(struct head_who));
	intern__init(&hc->where, sizeof(struct head_where));
}

void head_codec__free(struct head_codec *hc)
{
	intern__free(&hc->who);
	intern__free(&hc->where);
}

/* unsigned LEB128 */
static __u8 *put(__u8 *p, __u64 v)
{
	while (v >= 0x80) {
		*p++ = (__u8)v | 0x80;
		v >>= 7;
	}
	*p++ = (__u8)v;
	return p;
}

static const __u8 *get(const __u8 *p, __u64 *v)
{
	unsigned int shift = 0;

	*v = 0;
	do {
		*v |= (__u64)(*p & 0x7f) << shift;
		shift += 7;
	} while (*p++ & 0x80);
	return p;
}

/* a signed difference, small either way (zigzag) */
static __u8 *put_diff(__u8 *p, __s64 d)
{
	return put(p, ((__u64)d << 1) ^ (__u64)(d >> 63));
}

static const __u8 *get_diff(const __u8 *p, __s64 *d)
{
	__u64 v;

	p = get(p, &v);
	*d = (__s64)(v >> 1) ^ -(__s64)(v & 1);
	return p;
}

/* a time of the record after its start, 0 if unset */
static __u8 *put_time(__u8 *p, __u64 t, __u64 start)
{
	return put_diff(p, t ? (__s64)(t - start) + 1 : 0);
}

static const __u8 *get_time(const __u8 *p, __u64 *t, __u64 start)
{
	__s64 d;

	p = get_diff(p, &d);
	*t = d ? start + d - 1 : 0;
	return p;
}

static __u8 *put_u32(__u8 *p, __u32 v)
{
	memcpy(p, &v, sizeof(v));
	return p + sizeof(v);
}

static const __u8 *get_u32(const __u8 *p, __u32 *v)
{
	memcpy(v, p, sizeof(*v));
	return p + sizeof(*v);
}

/* the record's small fields in one integer: the close states visited, in order, last */
static __u64 small__pack(const struct tcpc_conn *r)
{
	int k = __builtin_popcount(r->visited);
	__u64 v = 0;

	/* order[] lists each state visited once, left to right, TCPC_NOT_CLOSING after */
	for (int i = k - 1; i >= 0; i--)
		v = v << 3 | (r->order[i] & 7);
	return (__u64)r->visited | (__u64)(r->role & 7) << 6 | (__u64)(r->state & 15) << 9 |
	       (__u64)(r->cause & 15) << 13 | (__u64)(r->rst_reason & 15) << 17 |
	       (__u64)(r->tw_end & 15) << 21 | v << 25;
}

static void small__unpack(struct tcpc_conn *r, __u64 v)
{
	int k;

	r->visited = v & 63;
	r->role = v >> 6 & 7;
	r->state = v >> 9 & 15;
	r->cause = v >> 13 & 15;
	r->rst_reason = v >> 17 & 15;
	r->tw_end = v >> 21 & 15;
	v >>= 25;
	k = __builtin_popcount(r->visited);
	for (int i = 0; i < TCPC_NR_STATES; i++, v >>= 3)
		r->order[i] = i < k ? (__u8)(v & 7) : TCPC_NOT_CLOSING;
}

/* the fields mostly 0, each written only if it is not: which are, in a bitmap first */
enum {
	RARE_CW = 1 << 0,
	RARE_FIN_RETRANS = 1 << 1,
	RARE_KA_PROBES = 1 << 2,
	RARE_KA_UNANSWERED = 1 << 3,
	RARE_RESTARTS = 1 << 4,		/* tw_restarts and its two times */
	RARE_HALFCLOSED = 1 << 5,
	RARE_END = 1 << 6,
	RARE_TW_LEFT = 1 << 7,
};

/* a record's flags, less the two every head has */
#define HEAD_FLAGS (TCPC_F_TW | TCPC_F_TW_HEAD)

size_t head_codec__encode(struct head_codec *hc, const struct tcpc_conn *rec, __u8 *buf)
{
	struct head_who who = { .cgroup_id = rec->cgroup_id, .pid = rec->pid, .netns = rec->netns };
	struct head_where where = { .family = rec->family };
	__u8 rare = 0, *p = buf;
	long who_id, where_id;

	memcpy(who.comm, rec->comm, sizeof(who.comm));
	memcpy(where.saddr, rec->saddr, sizeof(where.saddr));
	memcpy(where.daddr, rec->daddr, sizeof(where.daddr));
	who_id = intern__get(&hc->who, &who);
	if (who_id < 0)
		return 0;
	where_id = intern__get(&hc->where, &where);
	if (where_id < 0) {
		intern__put(&hc->who, who_id);
		return 0;
	}
	rare |= rec->cw_write_seq ? RARE_CW : 0;
	rare |= rec->fin_retrans ? RARE_FIN_RETRANS : 0;
	rare |= rec->keepalive_probes ? RARE_KA_PROBES : 0;
	rare |= rec->keepalive_unanswered ? RARE_KA_UNANSWERED : 0;
	rare |= rec->tw_restarts || rec->tw_restart_first_ns || rec->tw_restart_last_ns ?
		RARE_RESTARTS : 0;
	rare |= rec->halfclosed_bytes ? RARE_HALFCLOSED : 0;
	rare |= rec->end_ns ? RARE_END : 0;
	rare |= rec->tw_left_ns ? RARE_TW_LEFT : 0;
	p = put(p, who_id);
	p = put(p, where_id);
	p = put(p, small__pack(rec));
	p = put(p, rec->sport);
	p = put(p, rec->dport);
	p = put(p, rec->flags ^ HEAD_FLAGS);
	p = put_u32(p, rec->fin_seq);
	p = put_u32(p, rec->peer_fin_seq);
	p = put_u32(p, rec->tw_expires);
	/* our FIN acknowledges up to the peer's, the peer's ours + 1: mostly */
	p = put_diff(p, (__s32)(rec->fin_ack - rec->peer_fin_seq));
	p = put_diff(p, (__s32)(rec->peer_fin_ack - rec->fin_seq - 1));
	p = put(p, rec->start_ns);
	p = put_time(p, rec->enter_ns, rec->start_ns);
	for (int s = 0; s < TCPC_NR_STATES; s++)
		if (rec->visited & (1 << s))
			p = put(p, rec->dwell_ns[s]);
	*p++ = rare;
	if (rare & RARE_CW)
		p = put_diff(p, (__s32)(rec->cw_write_seq - rec->fin_seq));
	if (rare & RARE_FIN_RETRANS)
		p = put(p, rec->fin_retrans);
	if (rare & RARE_KA_PROBES)
		p = put(p, rec->keepalive_probes);
	if (rare & RARE_KA_UNANSWERED)
		p = put(p, rec->keepalive_unanswered);
	if (rare & RARE_RESTARTS) {
		p = put(p, rec->tw_restarts);
		p = put_time(p, rec->tw_restart_first_ns, rec->start_ns);
		p = put_time(p, rec->tw_restart_last_ns, rec->start_ns);
	}
	if (rare & RARE_HALFCLOSED)
		p = put(p, rec->halfclosed_bytes);
	if (rare & RARE_END)
		p = put_time(p, rec->end_ns, rec->start_ns);
	if (rare & RARE_TW_LEFT)
		p = put(p, rec->tw_left_ns);
	return p - buf;
}

void head_codec__decode(const struct head_codec *hc, const __u8 *buf, struct tcpc_conn *rec)
{
	const struct head_who *who;
	const struct head_where *where;
	const __u8 *p = buf;
	__u8 rare;
	__u64 v;
	__s64 d;

	memset(rec, 0, sizeof(*rec));
	rec->type = TCPC_EV_CLOSE;
	p = get(p, &v);
	who = intern__val(&hc->who, v);
	p = get(p, &v);
	where = intern__val(&hc->where, v);
	rec->cgroup_id = who->cgroup_id;
	rec->pid = who->pid;
	rec->netns = who->netns;
	memcpy(rec->comm, who->comm, sizeof(rec->comm));
	rec->family = where->family;
	memcpy(rec->saddr, where->saddr, sizeof(rec->saddr));
	memcpy(rec->daddr, where->daddr, sizeof(rec->daddr));
	p = get(p, &v);
	small__unpack(rec, v);
	p = get(p, &v);
	rec->sport = v;
	p = get(p, &v);
	rec->dport = v;
	p = get(p, &v);
	rec->flags = v ^ HEAD_FLAGS;
	p = get_u32(p, &rec->fin_seq);
	p = get_u32(p, &rec->peer_fin_seq);
	p = get_u32(p, &rec->tw_expires);
	p = get_diff(p, &d);
	rec->fin_ack = rec->peer_fin_seq + (__u32)d;
	p = get_diff(p, &d);
	rec->peer_fin_ack = rec->fin_seq + 1 + (__u32)d;
	p = get(p, &rec->start_ns);
	p = get_time(p, &rec->enter_ns, rec->start_ns);
	for (int s = 0; s < TCPC_NR_STATES; s++)
		if (rec->visited & (1 << s))
			p = get(p, &rec->dwell_ns[s]);
	rare = *p++;
	if (rare & RARE_CW) {
		p = get_diff(p, &d);
		rec->cw_write_seq = rec->fin_seq + (__u32)d;
	}
	if (rare & RARE_FIN_RETRANS) {
		p = get(p, &v);
		rec->fin_retrans = v;
	}
	if (rare & RARE_KA_PROBES) {
		p = get(p, &v);
		rec->keepalive_probes = v;
	}
	if (rare & RARE_KA_UNANSWERED) {
		p = get(p, &v);
		rec->keepalive_unanswered = v;
	}
	if (rare & RARE_RESTARTS) {
		p = get(p, &v);
		rec->tw_restarts = v;
		p = get_time(p, &rec->tw_restart_first_ns, rec->start_ns);
		p = get_time(p, &rec->tw_restart_last_ns, rec->start_ns);
	}
	if (rare & RARE_HALFCLOSED)
		p = get(p, &rec->halfclosed_bytes);
	if (rare & RARE_END)
		p = get_time(p, &rec->end_ns, rec->start_ns);
	if (rare & RARE_TW_LEFT)
		get(p, &rec->tw_left_ns);
}

void head_codec__release(struct head_codec *hc, const __u8 *buf)
{
	const __u8 *p = buf;
	__u64 who, where;

	p = get(p, &who);
	get(p, &where);
	intern__put(&hc->who, who);
	intern__put(&hc->where, where);
}
