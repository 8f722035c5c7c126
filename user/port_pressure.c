// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* port_pressure: local ports held per destination; see port_pressure.h */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/tcp.h>
#include "port_pressure.h"

struct port_pressure {
	double threshold;
	struct pp_tuple *tuples;	/* the last walk's, worst first */
	int n;
	__u64 now_ns;			/* the last walk's end */
};

/*
 * A socket as counted (its tuple, and whether connect() may take its port now), then, once
 * sorted, its tuple's count: runs of one key fold into their first element.
 */
struct pp_sock {
	struct pp_key key;
	const struct port_limits *pl;
	__u32 held, reusable;
	double ratio;
};

struct port_pressure *port_pressure__new(double threshold)
{
	struct port_pressure *pp = calloc(1, sizeof(*pp));

	if (pp)
		pp->threshold = threshold;
	return pp;
}

void port_pressure__free(struct port_pressure *pp)
{
	if (!pp)
		return;
	free(pp->tuples);
	free(pp);
}

double port_pressure__threshold(const struct port_pressure *pp)
{
	return pp->threshold;
}

static int key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct pp_key));
}

static int limits_cmp(const void *a, const void *b)
{
	const struct port_limits *x = *(const struct port_limits *const *)a;
	const struct port_limits *y = *(const struct port_limits *const *)b;

	return x->netns < y->netns ? -1 : x->netns > y->netns;
}

/* worst first: the larger share, then more ports held; then by tuple, for a stable order */
static int worst_cmp(const void *a, const void *b)
{
	const struct pp_sock *x = a, *y = b;

	if (x->ratio != y->ratio)
		return x->ratio > y->ratio ? -1 : 1;
	if (x->held != y->held)
		return x->held > y->held ? -1 : 1;
	return key_cmp(&x->key, &y->key);
}

static bool is_loopback(__u8 family, const __u8 *a)
{
	static const __u8 v4mapped[12] = { [10] = 0xff, [11] = 0xff };
	static const __u8 v6lo[16] = { [15] = 1 };

	if (family == AF_INET)
		return a[0] == 127;
	return !memcmp(a, v6lo, 16) || (!memcmp(a, v4mapped, 12) && a[12] == 127);
}

/*
 * tcp_twsk_unique(): connect() may take the port of a TIME_WAIT of the same four-tuple if
 * tcp_tw_reuse allows (2: only where either address is loopback or the socket is bound to
 * lo), the connection used timestamps, and it entered TIME_WAIT over tcp_tw_reuse_delay
 * ago. Never from the FIN_WAIT2 substate.
 */
static bool tw_reusable(const struct tcpc_port *s, const struct port_limits *pl)
{
	bool lo;

	if (!(s->flags & TCPC_PORT_TW) || s->state != TCP_TIME_WAIT || !(s->flags & TCPC_PORT_TS))
		return false;
	lo = (s->flags & TCPC_PORT_LO_BOUND) || is_loopback(s->family, s->saddr) ||
	     is_loopback(s->family, s->daddr);
	if (pl->tw_reuse != 1 && !(pl->tw_reuse == 2 && lo))
		return false;
	return s->tw_age_ms > pl->tw_reuse_delay_ms;
}

static const struct port_limits *limits_of(const struct port_limits **sorted, int n, __u32 netns)
{
	struct port_limits want = { .netns = netns };
	const struct port_limits *key = &want, **found;

	found = bsearch(&key, sorted, n, sizeof(*sorted), limits_cmp);
	return found ? *found : NULL;
}

/* the sockets that hold a port connect() could pick, with their namespace's limits */
static int pp__socks(const struct tcpc_port *socks, size_t n, const struct port_limits *limits,
		     int nlimits, struct pp_sock **out)
{
	const struct port_limits **sorted = malloc((nlimits ?: 1) * sizeof(*sorted));
	struct pp_sock *ps = malloc((n ?: 1) * sizeof(*ps));
	int m = 0;

	if (!sorted || !ps) {
		free(sorted);
		free(ps);
		return -ENOMEM;
	}
	for (int i = 0; i < nlimits; i++)
		sorted[i] = &limits[i];
	qsort(sorted, nlimits, sizeof(*sorted), limits_cmp);
	for (size_t i = 0; i < n; i++) {
		const struct tcpc_port *s = &socks[i];
		const struct port_limits *pl = limits_of(sorted, nlimits, s->netns);
		struct pp_sock *p = &ps[m];

		/* a port out of the range was bound by hand (or is a server's): connect() never
		 * picks it, whatever it holds */
		if (!pl || !port_limits__usable(pl, s->sport))
			continue;
		memset(&p->key, 0, sizeof(p->key));
		p->key.netns = s->netns;
		p->key.family = s->family;
		p->key.dport = s->dport;
		memcpy(p->key.saddr, s->saddr, sizeof(p->key.saddr));
		memcpy(p->key.daddr, s->daddr, sizeof(p->key.daddr));
		p->pl = pl;
		p->held = 1;
		p->reusable = tw_reusable(s, pl);
		m++;
	}
	free(sorted);
	qsort(ps, m, sizeof(*ps), key_cmp);
	*out = ps;
	return m;
}

/* fold the runs of one key of sorted sockets into counts, in place; worst first */
static int pp__count(struct pp_sock *ps, int n)
{
	int m = 0;

	for (int i = 0; i < n; i++) {
		if (m && !key_cmp(&ps[m - 1].key, &ps[i].key)) {
			ps[m - 1].held++;
			ps[m - 1].reusable += ps[i].reusable;
			continue;
		}
		ps[m++] = ps[i];
	}
	for (int i = 0; i < m; i++) {
		__u32 range = port_limits__range(ps[i].pl);

		/* of an odd range, one more than the range may be held: it is full then */
		ps[i].ratio = range ? (double)(ps[i].held - ps[i].reusable) / range : 1.0;
		if (ps[i].ratio > 1)
			ps[i].ratio = 1;
	}
	qsort(ps, m, sizeof(*ps), worst_cmp);
	return m;
}

/* the worst tuples, at most PP_MAX_TRACKED: memory does not grow with the tuples there are */
static int pp__tuples(const struct pp_sock *ps, int n, struct pp_tuple **out)
{
	struct pp_tuple *t;

	if (n > PP_MAX_TRACKED)
		n = PP_MAX_TRACKED;
	t = calloc(n ?: 1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		t[i].key = ps[i].key;
		t[i].held = ps[i].held;
		t[i].reusable = ps[i].reusable;
		t[i].ratio = ps[i].ratio;
		t[i].range = port_limits__range(ps[i].pl);
		t[i].port_lo = ps[i].pl->lo;
		t[i].port_hi = ps[i].pl->hi;
		t[i].tw_reuse = ps[i].pl->tw_reuse;
	}
	*out = t;
	return n;
}

/* the history of a tuple the last walk tracked too, and this walk's sample after it */
static void pp__follow(struct pp_tuple *t, const struct pp_tuple *prev, __u64 now)
{
	__u32 pressing = t->held - t->reusable;
	const struct pp_sample *from = NULL;

	if (prev) {
		memcpy(t->samples, prev->samples, sizeof(t->samples));
		t->nsamples = prev->nsamples;
		t->warned_ns = prev->warned_ns;
	}
	if (t->nsamples == PP_SAMPLES) {
		memmove(t->samples, t->samples + 1, (PP_SAMPLES - 1) * sizeof(t->samples[0]));
		t->nsamples--;
	}
	t->samples[t->nsamples++] = (struct pp_sample){ now, pressing };
	for (unsigned int i = 0; i + 1 < t->nsamples && !from; i++)
		if (now - t->samples[i].ns <= PP_RATE_WINDOW_NS)
			from = &t->samples[i];
	t->rate_known = from && now - from->ns >= 1000000000ULL;
	t->rate = t->rate_known ? ((double)pressing - from->pressing) / ((now - from->ns) / 1e9) : 0;
	if (pressing >= t->range)
		t->secs_left = 0;
	else
		t->secs_left = t->rate > 0 ? (t->range - pressing) / t->rate : -1;
}

int port_pressure__update(struct port_pressure *pp, const struct tcpc_port *socks, size_t n,
			  const struct port_limits *limits, int nlimits, __u64 start_ns,
			  __u64 end_ns)
{
	struct pp_sock *ps;
	struct pp_tuple *t, *prev;
	int m, nt;

	m = pp__socks(socks, n, limits, nlimits, &ps);
	if (m < 0)
		return m;
	nt = pp__tuples(ps, pp__count(ps, m), &t);
	free(ps);
	if (nt < 0)
		return nt;
	/* the last walk's tuples by key, to carry their history over */
	qsort(pp->tuples, pp->n, sizeof(*pp->tuples), key_cmp);
	for (int i = 0; i < nt; i++) {
		t[i].ts_ns = end_ns;
		t[i].walk_ns = end_ns - start_ns;
		prev = pp->n ? bsearch(&t[i].key, pp->tuples, pp->n, sizeof(*prev), key_cmp) : NULL;
		pp__follow(&t[i], prev, end_ns);
		if (t[i].ratio < pp->threshold)
			t[i].warned_ns = 0;
	}
	free(pp->tuples);
	pp->tuples = t;
	pp->n = nt;
	pp->now_ns = end_ns;
	return 0;
}

int port_pressure__top(const struct port_pressure *pp, const struct pp_tuple **out, int n)
{
	int i;

	for (i = 0; i < n && i < pp->n; i++)
		out[i] = &pp->tuples[i];
	return i;
}

int port_pressure__due(struct port_pressure *pp, const struct pp_tuple **out, int n)
{
	int m = 0;

	for (int i = 0; i < pp->n && pp->tuples[i].ratio >= pp->threshold && m < n; i++) {
		struct pp_tuple *t = &pp->tuples[i];

		if (t->warned_ns && pp->now_ns - t->warned_ns < PP_REPEAT_NS)
			continue;
		t->warned_ns = pp->now_ns;
		out[m++] = t;
	}
	return m;
}
