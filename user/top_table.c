// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "port_pressure.h"
#include "record.h"
#include "top_table.h"

const struct top_col_desc top_cols[TOP_NR_COLS] = {
	[TOP_COL_CLOSES] = { "closes", "CLOSE/s", 'c', 8 },
	[TOP_COL_ACTIVE] = { "active", "ACTV/s", 'a', 7 },
	[TOP_COL_PASSIVE] = { "passive", "PASV/s", 'p', 7 },
	[TOP_COL_ABORTED] = { "aborted", "ABRT/s", 'b', 7 },
	[TOP_COL_TW] = { "time_wait", "TW", 't', 6 },
	[TOP_COL_CW] = { "close_wait", "CW", 'w', 6 },
	[TOP_COL_FW2] = { "fin_wait2", "FW2", 'f', 6 },
	[TOP_COL_TW_P50] = { "tw_p50", "TWp50", 'm', 7 },
	[TOP_COL_TW_P99] = { "tw_p99", "TWp99", 'n', 7 },
	[TOP_COL_FINRT] = { "fin_retrans", "FINRT", 'x', 6 },
	[TOP_COL_RST] = { "resets", "RST", 'r', 6 },
	[TOP_COL_TOTAL] = { "total", "TOTAL", 'o', 8 },
	[TOP_COL_PORTS] = { "ports", "PORTS%", 'u', 6 },
};

void top_table__ports(struct top_table *t, const struct port_pressure *pp)
{
	const struct pp_tuple **top = pp ? calloc(PP_MAX_TRACKED, sizeof(*top)) : NULL;
	bool remote = top_keys__has(t->keys, "remote");
	int n = top ? port_pressure__top(pp, top, PP_MAX_TRACKED) : 0;

	t->other.ports_ratio = -1;
	for (int i = 0; i < t->n; i++) {
		struct top_group *g = &t->groups[i];
		size_t alen = g->key.family == AF_INET6 ? 16 : 4;

		g->ports_ratio = -1;
		for (int j = 0; remote && j < n; j++) {
			const struct pp_key *k = &top[j]->key;

			if (k->family == g->key.family && k->dport == g->key.rport &&
			    !memcmp(k->daddr, g->key.raddr, alen) && top[j]->ratio > g->ports_ratio)
				g->ports_ratio = top[j]->ratio;
		}
	}
	free(top);
}

int top_col__parse(const char *name)
{
	for (int c = 0; c < TOP_NR_COLS; c++)
		if (!strcmp(top_cols[c].name, name))
			return c;
	return -1;
}

int top_table__init(struct top_table *t, const struct top_keys *keys, int cap)
{
	memset(t, 0, sizeof(*t));
	t->keys = keys;
	t->cap = cap;
	t->groups = calloc(cap, sizeof(*t->groups));
	t->other.ports_ratio = -1;
	return t->groups ? 0 : -ENOMEM;
}

void top_table__free(struct top_table *t)
{
	for (int i = 0; i < t->n; i++)
		free(t->groups[i].tw);
	free(t->other.tw);
	free(t->groups);
	t->groups = NULL;
}

/* FNV-1a over the key: a cheap first comparison before the whole key */
static __u64 key_hash(const struct top_key *k)
{
	const unsigned char *p = (const unsigned char *)k;
	__u64 h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

static __u64 group_weight(const struct top_group *g)
{
	__u64 w = g->closes_total;

	for (int s = 0; s < TCPC_NR_STATES; s++)
		w += g->held[s];
	return w;
}

static void counts_add(struct top_counts *a, const struct top_counts *b)
{
	a->closes += b->closes;
	a->active += b->active;
	a->passive += b->passive;
	a->aborted += b->aborted;
	a->fin_retrans += b->fin_retrans;
	a->resets += b->resets;
}

/* g's counts into other, histogram bucket by bucket; g is then free to reuse */
static void fold(struct top_table *t, struct top_group *g)
{
	struct top_group *o = &t->other;

	counts_add(&o->cur, &g->cur);
	counts_add(&o->shown, &g->shown);
	o->closes_total += g->closes_total;
	for (int s = 0; s < TCPC_NR_STATES; s++)
		o->held[s] += g->held[s];
	if (g->tw) {
		if (!o->tw) {
			o->tw = g->tw;	/* the first one folded: take it as it is */
			g->tw = NULL;
		} else {
			for (unsigned int i = 0; i < TCPC_HIST_BUCKETS; i++)
				o->tw->counts[i] += g->tw->counts[i];
			o->tw->total += g->tw->total;
			if (g->tw->max_us > o->tw->max_us)
				o->tw->max_us = g->tw->max_us;
		}
	}
	free(g->tw);
	t->folded++;
}

static struct top_group *group_of(struct top_table *t, const struct top_key *k)
{
	__u64 h = key_hash(k);
	struct top_group *g, *smallest = NULL;

	for (int i = 0; i < t->n; i++) {
		g = &t->groups[i];
		if (g->hash == h && !memcmp(&g->key, k, sizeof(*k)))
			return g;
	}
	if (t->n < t->cap) {
		g = &t->groups[t->n++];
	} else {
		/* full: the smallest group makes room, its counts kept in other */
		for (int i = 0; i < t->n; i++)
			if (!smallest || group_weight(&t->groups[i]) < group_weight(smallest))
				smallest = &t->groups[i];
		fold(t, smallest);
		g = smallest;
	}
	memset(g, 0, sizeof(*g));
	g->ports_ratio = -1;
	/* padding and all: keys are compared and hashed as bytes */
	memcpy(&g->key, k, sizeof(*k));
	g->hash = h;
	return g;
}

void top_table__record(struct top_table *t, const struct tcpc_conn *rec)
{
	__u64 us = rec->dwell_ns[TCPC_TIME_WAIT] / 1000;
	struct top_group *g;
	struct top_key k;

	top_keys__from_record(t->keys, &k, rec);
	g = group_of(t, &k);
	g->cur.closes++;
	g->closes_total++;
	if (rec->role == TCPC_ROLE_ACTIVE || rec->role == TCPC_ROLE_SIMULTANEOUS)
		g->cur.active++;
	else if (rec->role == TCPC_ROLE_PASSIVE)
		g->cur.passive++;
	else if (rec->role == TCPC_ROLE_ABORTED)
		g->cur.aborted++;
	g->cur.fin_retrans += rec->fin_retrans;
	if (rec->flags & (TCPC_F_RST_SENT | TCPC_F_RST_RECEIVED))
		g->cur.resets++;
	/* as --hist: a partial record's dwell is only a lower bound, an unseen end's none */
	if (!record__visited(rec, TCPC_TIME_WAIT) || !record__dwells_whole(rec))
		return;
	if (!g->tw)
		g->tw = calloc(1, sizeof(*g->tw));
	if (!g->tw) {
		t->oom = true;
		return;
	}
	g->tw->counts[tcpc_hist_index(us)]++;
	g->tw->total++;
	if (us > g->tw->max_us)
		g->tw->max_us = us;
}

void top_table__held_begin(struct top_table *t)
{
	for (int i = 0; i < t->n; i++)
		memset(t->groups[i].held, 0, sizeof(t->groups[i].held));
	memset(t->other.held, 0, sizeof(t->other.held));
}

void top_table__held(struct top_table *t, const struct tcpc_stuck *st)
{
	int s = st->close_state;
	struct top_key k;

	if (s >= TCPC_NR_STATES)
		return;
	top_keys__from_held(t->keys, &k, st);
	group_of(t, &k)->held[s]++;
}

void top_table__roll(struct top_table *t)
{
	for (int i = 0; i < t->n; i++) {
		t->groups[i].shown = t->groups[i].cur;
		memset(&t->groups[i].cur, 0, sizeof(t->groups[i].cur));
	}
	t->other.shown = t->other.cur;
	memset(&t->other.cur, 0, sizeof(t->other.cur));
}

double top_group__value(const struct top_group *g, enum top_col col, double seconds)
{
	double per_s = seconds > 0 ? 1 / seconds : 0;

	switch (col) {
	case TOP_COL_CLOSES: return g->shown.closes * per_s;
	case TOP_COL_ACTIVE: return g->shown.active * per_s;
	case TOP_COL_PASSIVE: return g->shown.passive * per_s;
	case TOP_COL_ABORTED: return g->shown.aborted * per_s;
	case TOP_COL_TW: return g->held[TCPC_TIME_WAIT];
	case TOP_COL_CW: return g->held[TCPC_CLOSE_WAIT];
	case TOP_COL_FW2: return g->held[TCPC_FIN_WAIT2];
	case TOP_COL_TW_P50: return g->tw ? hist__percentile(g->tw, 50) : 0;
	case TOP_COL_TW_P99: return g->tw ? hist__percentile(g->tw, 99) : 0;
	case TOP_COL_FINRT: return g->shown.fin_retrans;
	case TOP_COL_RST: return g->shown.resets;
	case TOP_COL_TOTAL: return g->closes_total;
	case TOP_COL_PORTS: return g->ports_ratio * 100;
	default: return 0;
	}
}

/* qsort has no context argument: the sort's column and its values, computed once */
struct sort_row {
	const struct top_group *g;
	double v;
};

static int sort_row_cmp(const void *a, const void *b)
{
	const struct sort_row *x = a, *y = b;

	if (x->v != y->v)
		return x->v < y->v ? 1 : -1;
	return memcmp(&x->g->key, &y->g->key, sizeof(x->g->key));
}

int top_table__sorted(struct top_table *t, enum top_col col, const struct top_group **rows)
{
	struct sort_row *r = malloc((t->n ?: 1) * sizeof(*r));

	if (!r) {
		for (int i = 0; i < t->n; i++)
			rows[i] = &t->groups[i];	/* unsorted rather than nothing */
		return t->n;
	}
	for (int i = 0; i < t->n; i++) {
		r[i].g = &t->groups[i];
		/* the rates' common factor (1 / seconds) does not change the order */
		r[i].v = top_group__value(&t->groups[i], col, 1);
	}
	qsort(r, t->n, sizeof(*r), sort_row_cmp);
	for (int i = 0; i < t->n; i++)
		rows[i] = r[i].g;
	free(r);
	return t->n;
}
