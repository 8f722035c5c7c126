// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* check_ladder: a record's ladder against the capture; see check_ladder.h */
#include <stdarg.h>
#include <stdio.h>
#include "check_ladder.h"

struct ladder_judge {
	const struct wire_facts *f;
	const struct tcpc_conn *rec;
	size_t from, to;		/* the connection's segments */
	struct wire_span spans[WIRE_MAX_CHANGES];
	int nchanges;
	__u64 slack;		/* how early a time read off jiffies may be (check_wire.h) */
	__u64 late_slack;	/* how late */
	__u64 base_ns;		/* times in difference lines count from here */
	void (*diff)(void *ctx, const char *line);
	void *ctx;
	int bad;
};

static void judge__diff(struct ladder_judge *j, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void judge__diff(struct ladder_judge *j, const char *what, const char *fmt, ...)
{
	char line[224], tail[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tail, sizeof(tail), fmt, ap);
	va_end(ap);
	snprintf(line, sizeof(line), "ladder: %s: %s", what, tail);
	j->diff(j->ctx, line);
	j->bad++;
}

static bool seq__before(__u32 a, __u32 b)
{
	return (__s32)(a - b) < 0;
}

/* the first segment of the connection from that end with all of flags; NULL if none */
static const struct tcp_seg *judge__first(const struct ladder_judge *j, bool ours, __u8 flags)
{
	for (size_t i = j->from; i < j->to; i++) {
		const struct tcp_seg *s = &j->f->segs[i];

		if ((ours ? check_wire__ours(s, j->rec) : check_wire__theirs(s, j->rec)) &&
		    (s->flags & flags) == flags)
			return s;
	}
	return NULL;
}

/* the first segment from that end acknowledging fin, a FIN */
static const struct tcp_seg *judge__ack_of(const struct ladder_judge *j, bool ours,
					   const struct tcp_seg *fin)
{
	if (!fin)
		return NULL;
	for (size_t i = j->from; i < j->to; i++) {
		const struct tcp_seg *s = &j->f->segs[i];

		if ((ours ? check_wire__ours(s, j->rec) : check_wire__theirs(s, j->rec)) &&
		    (s->flags & TCP_ACK) && !(s->flags & TCP_RST) &&
		    !seq__before(s->ack, tcp_seg__fin_seq(fin) + 1))
			return s;
	}
	return NULL;
}

/*
 * The peer's FIN its change was drawn for: of its sends (one seq; a resend acknowledges what
 * came meanwhile), the last to arrive by then. The ones before were dropped on the way in
 * (the scenarios' nft rules stamp a segment and then drop it), or the change would have
 * come with them. The first, if none arrived by then: the time is judged apart.
 *
 * "By then" is the bound the arrow's time is judged by below, the tick at the segment's
 * arrival: the run's worst tick (the slack) can be later than the peer's next resend, and
 * would take a FIN that came 200 ms after the change for the one that made it.
 */
static const struct tcp_seg *judge__fin_taken(const struct ladder_judge *j, __u64 by_ns)
{
	const struct tcp_seg *fin = judge__first(j, false, TCP_FIN);

	for (size_t i = j->from; fin && i < j->to; i++) {
		const struct tcp_seg *s = &j->f->segs[i];

		if (check_wire__theirs(s, j->rec) && (s->flags & TCP_FIN) &&
		    check_wire__earliest(j->f, check_wire__rx(j->f, s)) <= by_ns)
			fin = s;
	}
	return fin;
}

/* the segment an arrow stands for; NULL if the wire has none */
static const struct tcp_seg *judge__segment(const struct ladder_judge *j,
					    const struct ladder_arrow *a)
{
	bool ours = a->from == LADDER_US;

	switch (a->seg) {
	case LADDER_SEG_FIN:
		return ours ? judge__first(j, true, TCP_FIN) : judge__fin_taken(j, a->t_ns);
	case LADDER_SEG_ACK:
		return judge__ack_of(j, ours, judge__first(j, !ours, TCP_FIN));
	case LADDER_SEG_RST:
		return judge__first(j, ours, TCP_RST);
	case LADDER_SEG_SYN:
		/* the next connection of these ports begins with it */
		if (j->to < j->f->nsegs && (ours ? check_wire__ours : check_wire__theirs)(
						   &j->f->segs[j->to], j->rec))
			return &j->f->segs[j->to];
		return NULL;
	default:
		return NULL;
	}
}

static void judge__num(struct ladder_judge *j, const char *what, const char *name,
		       const struct ladder_num *n, __u32 wire)
{
	char w[96];

	if (!n->known || n->v == wire)
		return;
	snprintf(w, sizeof(w), "%s %s", what, name);
	judge__diff(j, w, "drawn %s%u, the wire's %u", n->inferred ? "~" : "", n->v, wire);
}

static double ms(__u64 t, __u64 base)
{
	return ((double)t - (double)base) / 1e6;
}

/*
 * A restart of the 2MSL timer follows a segment of the peer's that could cause it (one
 * with an ACK, not a reset) arriving after our TIME_WAIT began: one such at most a jiffy
 * after the time drawn, and as many as the restarts drawn.
 */
static bool judge__restart(struct ladder_judge *j, const struct ladder_arrow *a,
			   const struct ladder *l)
{
	__u64 tw_begin = 0;
	int causes = 0;
	bool before = false;

	for (int i = 0; i < l->nstates[LADDER_US]; i++)
		if (l->states[LADDER_US][i].state == TCPC_TIME_WAIT)
			tw_begin = l->states[LADDER_US][i].from_ns;
	for (size_t i = j->from; i < j->to; i++) {
		const struct tcp_seg *s = &j->f->segs[i];
		__u64 rx = check_wire__rx(j->f, s);

		if (!check_wire__theirs(s, j->rec) || !(s->flags & TCP_ACK) || (s->flags & TCP_RST) ||
		    rx + j->late_slack < tw_begin)
			continue;
		causes++;
		before |= rx <= a->t_ns + j->slack;
	}
	if (!before)
		judge__diff(j, "a restart of 2MSL", "drawn at %.2f ms, but no segment of the peer's arrived in TIME_WAIT by then (%d of them in all)",
			    ms(a->t_ns, j->base_ns), causes);
	if (a->count > 1 && causes < (int)j->rec->tw_restarts)
		judge__diff(j, "restarts of 2MSL", "drawn %u, but the peer sent %d segments that could restart it",
			    j->rec->tw_restarts, causes);
	return before;
}

/*
 * Does the change an arrow is dated by come before its segment's stamp (false: after)? A
 * change that makes a segment comes before it leaves: tcp_close() sets FIN_WAIT1 or
 * LAST_ACK, then sends the FIN; close() with a reset to send ends the socket first; our
 * SYN reuses a TIME_WAIT. A delayed ACK is drawn at the earliest it could leave. One that
 * a segment causes comes after it arrives, and so does a change made after our segment
 * left: tcp_fin() acknowledges the peer's FIN, then sets CLOSING or makes the timewait
 * socket (milliseconds later on a stalled guest, check_wire.c), and a keepalive timer
 * sends its reset before it gives up.
 */
static bool arrow__before_segment(const struct ladder_judge *j, const struct ladder_arrow *a)
{
	if (a->from == LADDER_PEER)
		return false;
	switch (a->seg) {
	case LADDER_SEG_ACK:
		return a->t_inferred;
	case LADDER_SEG_RST:
		return j->rec->cause != TCPC_CAUSE_KEEPALIVE_TIMEOUT;
	default:
		return true;
	}
}

static void judge__arrow(struct ladder_judge *j, const struct ladder *l,
			 const struct ladder_arrow *a, int *matched)
{
	const struct tcp_seg *s = judge__segment(j, a);
	bool ours = a->from == LADDER_US;
	char what[48];
	__u64 stamp;

	snprintf(what, sizeof(what), "%s %s", ours ? "our" : "the peer's", ladder__seg_name(a->seg));
	if (a->seg == LADDER_SEG_RESTART) {
		*matched += judge__restart(j, a, l);
		return;
	}
	if (!s) {
		judge__diff(j, what, "drawn at %.2f ms, not on the wire", ms(a->t_ns, j->base_ns));
		return;
	}
	(*matched)++;
	judge__num(j, what, "seq", &a->seq, a->seg == LADDER_SEG_FIN ? tcp_seg__fin_seq(s) : s->seq);
	judge__num(j, what, "ack", &a->ack, s->ack);
	if (arrow__before_segment(j, a)) {
		stamp = check_wire__tx(j->f, s);
		if (a->t_ns > stamp + j->late_slack)
			judge__diff(j, what, "drawn at %.2f ms, after it left at %.2f ms",
				    ms(a->t_ns, j->base_ns), ms(stamp, j->base_ns));
		/* and the other side of its change's bracket, which other evidence sets */
		if (a->change >= 0 && a->change < j->nchanges &&
		    a->t_ns < check_wire__earliest(j->f, j->spans[a->change].lo))
			judge__diff(j, what, "drawn at %.2f ms, before %.2f ms",
				    ms(a->t_ns, j->base_ns), ms(j->spans[a->change].lo, j->base_ns));
		return;
	}
	/*
	 * Our ACK of the peer's FIN is drawn at the change it precedes by microseconds; the
	 * capture's stamp of it was seen up to 28 ms after that change in emulated guests
	 * (6.1, 6.12), where check_wire.c already bounds the change by the socket dumps, not by
	 * this ACK. The change's bracket judges its time; its numbers are judged above.
	 */
	if (ours && a->seg == LADDER_SEG_ACK && a->change >= 0 && a->change < j->nchanges) {
		if (a->t_ns < check_wire__earliest(j->f, j->spans[a->change].lo))
			judge__diff(j, what, "drawn at %.2f ms, before %.2f ms",
				    ms(a->t_ns, j->base_ns), ms(j->spans[a->change].lo, j->base_ns));
	} else {
		stamp = ours ? check_wire__tx(j->f, s) : check_wire__rx(j->f, s);
		if (a->t_ns < check_wire__earliest(j->f, stamp))
			judge__diff(j, what, "drawn at %.2f ms, before it %s at %.2f ms",
				    ms(a->t_ns, j->base_ns), ours ? "left" : "arrived",
				    ms(stamp, j->base_ns));
	}
	if (a->change >= 0 && a->change < j->nchanges &&
	    a->t_ns > j->spans[a->change].hi + j->late_slack)
		judge__diff(j, what, "drawn at %.2f ms, after %.2f ms", ms(a->t_ns, j->base_ns),
			    ms(j->spans[a->change].hi, j->base_ns));
}

int check_ladder__judge(const struct wire_facts *f, const struct tcpc_conn *rec, int nth,
			__u64 arrived_ns, __u64 base_ns, void (*diff)(void *ctx, const char *line),
			void *ctx, int *arrows)
{
	struct ladder_judge j = { .f = f, .rec = rec, .diff = diff, .ctx = ctx,
				  .slack = check_wire__slack(f),
				  .late_slack = check_wire__late_slack(f), .base_ns = base_ns };
	struct ladder l;
	int matched = 0;

	if (arrows)
		*arrows = 0;
	if (!check_wire__conn_segs(f, rec, nth, &j.from, &j.to))
		return 0;	/* no wire: check_wire says so */
	j.nchanges = check_wire__brackets(f, rec, nth, arrived_ns, j.spans);
	ladder__build(&l, rec);
	for (int i = 0; i < l.narrows; i++)
		judge__arrow(&j, &l, &l.arrows[i], &matched);
	if (arrows)
		*arrows = matched;
	return j.bad;
}
