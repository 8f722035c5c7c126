// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ladder: a close record as the textbook's four-way close (ladder.h). Which change of our
 * end's state each arrow's time is follows net/ipv4/tcp_input.c:
 *
 *  arrow                   our end's change that dates it
 *  our FIN                 entering FIN_WAIT1 or LAST_ACK (tcp_close() sets the state,
 *                          then sends the FIN)
 *  the peer's ACK of it    FIN_WAIT1 -> FIN_WAIT2, CLOSING -> TIME_WAIT, LAST_ACK -> gone
 *  the peer's FIN          entering CLOSE_WAIT or CLOSING; FIN_WAIT2 -> TIME_WAIT
 *  our ACK of it           the same change: tcp_fin() acknowledges at once in FIN_WAIT1
 *                          and FIN_WAIT2; in ESTABLISHED it enters pingpong mode and the
 *                          ACK waits (delayed, or on our FIN): not seen, inferred
 *  a reset, a new SYN      the end
 */
#include <stddef.h>
#include <stdio.h>
#include "ladder.h"
#include "record.h"

const char *ladder__seg_name(enum ladder_seg seg)
{
	static const char *const names[] = {
		[LADDER_SEG_FIN] = "FIN", [LADDER_SEG_ACK] = "ACK", [LADDER_SEG_RST] = "RST",
		[LADDER_SEG_SYN] = "SYN", [LADDER_SEG_RESTART] = "FIN?",
	};

	return (size_t)seg < sizeof(names) / sizeof(names[0]) ? names[seg] : "?";
}

const char *ladder__state_name(int state)
{
	if (state == LADDER_ESTABLISHED)
		return "ESTABLISHED";
	if (state == LADDER_CLOSED)
		return "CLOSED";
	return record__state_name(state);
}

static struct ladder_num num__read(bool known, __u32 v)
{
	return (struct ladder_num){ .known = known, .v = v };
}

static struct ladder_num num__implied(bool known, __u32 v)
{
	return (struct ladder_num){ .known = known, .inferred = known, .v = v };
}

/* where state s is in rec's order, or -1 */
static int order__index(const struct tcpc_conn *rec, int s)
{
	for (int i = 0; i < TCPC_NR_STATES && rec->order[i] < TCPC_NR_STATES; i++)
		if (rec->order[i] == s)
			return i;
	return -1;
}

static struct ladder_arrow *arrow__add(struct ladder *l, enum ladder_seg seg,
				       enum ladder_end from, __u64 t_ns, int change)
{
	struct ladder_arrow *a;

	if (l->narrows == LADDER_MAX_ARROWS)
		return NULL;
	a = &l->arrows[l->narrows++];
	*a = (struct ladder_arrow){ .seg = seg, .from = from, .t_ns = t_ns, .change = change };
	return a;
}

/* in time order; arrows of the same time keep the order they were added in (stable) */
static void arrows__sort(struct ladder *l)
{
	for (int i = 1; i < l->narrows; i++) {
		struct ladder_arrow a = l->arrows[i];
		int j = i;

		for (; j > 0 && l->arrows[j - 1].t_ns > a.t_ns; j--)
			l->arrows[j] = l->arrows[j - 1];
		l->arrows[j] = a;
	}
}

static void state__add(struct ladder *l, enum ladder_end e, int state, __u64 from, bool inferred)
{
	struct ladder_state *s;
	int n = l->nstates[e];

	if (n == LADDER_MAX_STATES)
		return;
	if (n)
		l->states[e][n - 1].to_ns = from;
	s = &l->states[e][n];
	*s = (struct ladder_state){ .state = state, .from_ns = from, .inferred = inferred };
	l->nstates[e]++;
}

/* our end's side: what the record says, from ESTABLISHED to CLOSED */
static void ladder__our_states(struct ladder *l, const __u64 *t, int n)
{
	const struct tcpc_conn *rec = l->rec;
	bool unseen_start = rec->flags & (TCPC_F_PARTIAL | TCPC_F_STATES_LOST);

	state__add(l, LADDER_US, LADDER_ESTABLISHED, 0, unseen_start);
	for (int i = 0; i < n; i++)
		state__add(l, LADDER_US, rec->order[i], t[i], false);
	state__add(l, LADDER_US, LADDER_CLOSED, t[n], false);
	if (rec->flags & TCPC_F_END_UNSEEN)
		l->states[LADDER_US][l->nstates[LADDER_US] - 1].inferred = true;
}

/*
 * The peer's side: the textbook's state machine fed the arrows, each at the time our end
 * saw it. A segment the peer sent left before we saw it, one we sent reached it after; only
 * for crossed FINs does that change the order the peer saw them in.
 */
static void ladder__peer_states(struct ladder *l)
{
	const struct ladder_arrow *ev[LADDER_MAX_ARROWS];
	int n = 0, cur = LADDER_ESTABLISHED, restarts = 0;

	for (int i = 0; i < l->narrows; i++) {
		ev[n++] = &l->arrows[i];
		restarts += l->arrows[i].seg == LADDER_SEG_RESTART;
	}
	if (l->rec->role == TCPC_ROLE_SIMULTANEOUS) {
		int ours = -1, theirs = -1;

		for (int i = 0; i < n; i++) {
			if (ev[i]->seg == LADDER_SEG_FIN && ev[i]->from == LADDER_US && ours < 0)
				ours = i;
			if (ev[i]->seg == LADDER_SEG_FIN && ev[i]->from == LADDER_PEER && theirs < 0)
				theirs = i;
		}
		/* its FIN left before ours arrived: the peer saw it first */
		if (ours >= 0 && theirs > ours) {
			const struct ladder_arrow *fin = ev[theirs];

			for (int i = theirs; i > ours; i--)
				ev[i] = ev[i - 1];
			ev[ours] = fin;
		}
	}
	state__add(l, LADDER_PEER, cur, 0, true);
	for (int i = 0; i < n; i++) {
		const struct ladder_arrow *a = ev[i];
		bool sent = a->from == LADDER_PEER;
		int next = cur;

		switch (a->seg) {
		case LADDER_SEG_FIN:
			if (sent)
				next = cur == LADDER_ESTABLISHED ? TCPC_FIN_WAIT1 :
				       cur == TCPC_CLOSE_WAIT ? TCPC_LAST_ACK : cur;
			else
				next = cur == LADDER_ESTABLISHED ? TCPC_CLOSE_WAIT :
				       cur == TCPC_FIN_WAIT1 ? TCPC_CLOSING :
				       cur == TCPC_FIN_WAIT2 ? TCPC_TIME_WAIT : cur;
			break;
		case LADDER_SEG_ACK:
			/* a FIN it sent again later says this ACK never reached it */
			if (!sent && !(cur == TCPC_LAST_ACK && restarts))
				next = cur == TCPC_FIN_WAIT1 ? TCPC_FIN_WAIT2 :
				       cur == TCPC_CLOSING ? TCPC_TIME_WAIT :
				       cur == TCPC_LAST_ACK ? LADDER_CLOSED : cur;
			break;
		case LADDER_SEG_RESTART:
			/* after its last resend, our answer to it is what closed it */
			if (!--restarts && cur == TCPC_LAST_ACK)
				next = LADDER_CLOSED;
			break;
		case LADDER_SEG_RST:
			next = LADDER_CLOSED;
			break;
		default:
			break;
		}
		/* reordered for crossed FINs: a state begins no sooner than the one before */
		if (next != cur)
			state__add(l, LADDER_PEER, next,
				   a->t_ns > l->states[LADDER_PEER][l->nstates[LADDER_PEER] - 1].from_ns ?
				   a->t_ns : l->states[LADDER_PEER][l->nstates[LADDER_PEER] - 1].from_ns,
				   true);
		cur = next;
	}
}

/* our FIN, and the peer's ACK of it */
static void ladder__our_fin(struct ladder *l, const __u64 *t, int n, bool peer_fin_first)
{
	const struct tcpc_conn *rec = l->rec;
	bool known = rec->flags & TCPC_F_OUR_FIN;
	int fw1 = order__index(rec, TCPC_FIN_WAIT1), la = order__index(rec, TCPC_LAST_ACK);
	int i = fw1 >= 0 ? fw1 : la, fw2, closing, tw;
	struct ladder_arrow *a;

	if (i < 0 && !known)
		return;
	/* a FIN whose state tcpclose did not see enter (partial): drawn where it begins */
	a = arrow__add(l, LADDER_SEG_FIN, LADDER_US, i >= 0 ? t[i] : t[0], i);
	a->t_inferred = i < 0;
	a->seq = num__read(known, rec->fin_seq);
	a->ack = num__read(known, rec->fin_ack);
	a->resent = rec->fin_retrans;
	l->u = a->seq;

	fw2 = order__index(rec, TCPC_FIN_WAIT2);
	closing = order__index(rec, TCPC_CLOSING);
	tw = order__index(rec, TCPC_TIME_WAIT);
	if (fw2 >= 0)
		i = fw2;
	else if (closing >= 0 && tw == closing + 1)
		i = tw;
	else if (la >= 0 && la == n - 1 && rec->cause == TCPC_CAUSE_NORMAL)
		i = n;
	else
		return;
	a = arrow__add(l, LADDER_SEG_ACK, LADDER_PEER, t[i], i);
	/* the peer acknowledged all we sent: the FIN is the last of it (RFC 9293 3.10.7.4) */
	a->ack = num__implied(known, rec->fin_seq + 1);
	/*
	 * Its FIN came first: it sends from after it. Else its seq is not drawn: sent before
	 * its FIN, it came from where the FIN is; sent after a FIN that was lost and resent,
	 * from past it. The record cannot tell the two (a guest under emulation showed the
	 * second, with FINs that crossed).
	 */
	if (peer_fin_first)
		a->seq = num__implied(rec->flags & TCPC_F_PEER_FIN, rec->peer_fin_seq + 1);
	l->v = a->seq;
}

/* the peer's FIN, and our ACK of it */
static void ladder__peer_fin(struct ladder *l, const __u64 *t, int n)
{
	const struct tcpc_conn *rec = l->rec;
	bool known = rec->flags & TCPC_F_PEER_FIN, delayed = false;
	int cw = order__index(rec, TCPC_CLOSE_WAIT), closing = order__index(rec, TCPC_CLOSING);
	int tw = order__index(rec, TCPC_TIME_WAIT), i = -1;
	struct ladder_arrow *a;
	struct ladder_num seq = {};

	if (cw >= 0) {
		i = cw;
		delayed = true;
	} else if (closing >= 0) {
		i = closing;
	} else if (tw >= 0 && (tw == 0 || rec->order[tw - 1] != TCPC_CLOSING)) {
		i = tw;
	}
	if (i < 0 && !known)
		return;
	a = arrow__add(l, LADDER_SEG_FIN, LADDER_PEER, i >= 0 ? t[i] : t[n], i);
	a->t_inferred = i < 0;
	a->seq = num__read(known, rec->peer_fin_seq);
	a->ack = num__read(known, rec->peer_fin_ack);
	l->w = a->seq;

	if (delayed) {
		/* ours had not been sent: the ACK went from where we were, without data since
		 * (halfclosed_bytes) that is where our FIN went from */
		seq = num__implied((rec->flags & TCPC_F_OUR_FIN) && !rec->halfclosed_bytes,
				   rec->fin_seq);
	} else if (rec->flags & TCPC_F_OUR_FIN) {
		seq = num__implied(true, rec->fin_seq + 1);
	}
	a = arrow__add(l, LADDER_SEG_ACK, LADDER_US, a->t_ns, delayed ? -1 : i);
	a->t_inferred = delayed || i < 0;
	a->seq = seq;
	a->ack = num__implied(known, rec->peer_fin_seq + 1);
}

/* how the connection ended, as a segment where one ended it */
static void ladder__end(struct ladder *l, const __u64 *t, int n)
{
	const struct tcpc_conn *rec = l->rec;
	const char *why = record__rst_reason_name(rec->rst_reason);
	struct ladder_arrow *a;

	if (rec->flags & TCPC_F_TW_RESTART) {
		a = arrow__add(l, LADDER_SEG_RESTART, LADDER_PEER, rec->tw_restart_first_ns, -1);
		if (a)
			a->count = 1;
		if (a && rec->tw_restarts > 1) {
			a = arrow__add(l, LADDER_SEG_RESTART, LADDER_PEER, rec->tw_restart_last_ns, -1);
			if (a)
				a->count = rec->tw_restarts - 1;
		}
	}
	if (rec->tw_end == TCPC_TW_RST || rec->cause == TCPC_CAUSE_RST_RECEIVED)
		arrow__add(l, LADDER_SEG_RST, LADDER_PEER, t[n], n);
	else if (rec->cause == TCPC_CAUSE_RST_SENT || rec->cause == TCPC_CAUSE_KEEPALIVE_TIMEOUT)
		arrow__add(l, LADDER_SEG_RST, LADDER_US, t[n], n);
	else if (rec->tw_end == TCPC_TW_SYN)
		arrow__add(l, LADDER_SEG_SYN, LADDER_PEER, t[n], n);
	else if (rec->tw_end == TCPC_TW_REUSED)
		arrow__add(l, LADDER_SEG_SYN, LADDER_US, t[n], n);

	l->end = record__tw_end_name(rec->tw_end);
	if (!l->end)
		l->end = why;
	if (!l->end && rec->cause != TCPC_CAUSE_NORMAL)
		l->end = record__cause_name(rec->cause);
}

void ladder__build(struct ladder *l, const struct tcpc_conn *rec)
{
	__u64 t[RECORD_MAX_CHANGES];
	int n = record__changes(rec, t) - 1;
	int cw = order__index(rec, TCPC_CLOSE_WAIT);

	/* with no close state, t[0] = t[n] is the end */
	*l = (struct ladder){ .rec = rec, .base_ns = t[0] };
	ladder__our_fin(l, t, n, cw >= 0 || rec->role == TCPC_ROLE_SIMULTANEOUS);
	ladder__peer_fin(l, t, n);
	ladder__end(l, t, n);
	arrows__sort(l);
	ladder__our_states(l, t, n);
	ladder__peer_states(l);
}

/* the next state of end e still to draw, if it begins no later than t (any time: t = ~0) */
static const struct ladder_state *state__due(const struct ladder *l, const int *next,
					     enum ladder_end e, __u64 t, bool strictly)
{
	const struct ladder_state *s;

	if (next[e] >= l->nstates[e])
		return NULL;
	s = &l->states[e][next[e]];
	return (strictly ? s->from_ns < t : s->from_ns <= t) ? s : NULL;
}

/* rows of states alone, for those that begin before t */
static int rows__states_before(const struct ladder *l, int *next, __u64 t, bool strictly,
			       struct ladder_row *rows, int nrows)
{
	for (;;) {
		const struct ladder_state *us = state__due(l, next, LADDER_US, t, strictly);
		const struct ladder_state *peer = state__due(l, next, LADDER_PEER, t, strictly);
		struct ladder_row *r = &rows[nrows];

		if (!us && !peer)
			return nrows;
		/* the earlier of the two; both if they begin together */
		if (us && peer && us->from_ns != peer->from_ns) {
			if (us->from_ns < peer->from_ns)
				peer = NULL;
			else
				us = NULL;
		}
		*r = (struct ladder_row){ .t_ns = (us ? us : peer)->from_ns, .timed = true };
		r->t_inferred = !us;
		r->state[LADDER_US] = us;
		r->state[LADDER_PEER] = peer;
		next[LADDER_US] += !!us;
		next[LADDER_PEER] += !!peer;
		nrows++;
	}
}

int ladder__rows(const struct ladder *l, struct ladder_row *rows)
{
	int next[2] = { 1, 1 }, n = 0;

	rows[n++] = (struct ladder_row){
		.state = { &l->states[LADDER_US][0], &l->states[LADDER_PEER][0] },
	};
	for (int i = 0; i < l->narrows; i++) {
		const struct ladder_arrow *a = &l->arrows[i];
		struct ladder_row *r;

		n = rows__states_before(l, next, a->t_ns, true, rows, n);
		r = &rows[n++];
		*r = (struct ladder_row){ .t_ns = a->t_ns, .timed = true, .arrow = a,
					  .t_inferred = a->t_inferred };
		for (int e = LADDER_US; e <= LADDER_PEER; e++) {
			const struct ladder_state *s = state__due(l, next, e, a->t_ns, false);

			if (s) {
				r->state[e] = s;
				next[e]++;
			}
		}
	}
	return rows__states_before(l, next, ~0ULL, true, rows, n);
}

/* "seq=1000", "seq=~1000", "seq=?" */
static int num__text(const char *name, const struct ladder_num *n, char *buf, size_t len)
{
	if (!n->known)
		return snprintf(buf, len, "%s?", name);
	return snprintf(buf, len, "%s%s%u", name, n->inferred ? "~" : "", n->v);
}

/* snprintf's count, held to what fits: where the next piece goes */
static size_t text__at(size_t o, int n, size_t len)
{
	return n < 0 ? o : o + n < len ? o + n : len - 1;
}

void ladder__label(const struct ladder_arrow *a, char *buf, size_t len)
{
	size_t o = text__at(0, snprintf(buf, len, "%s", ladder__seg_name(a->seg)), len);

	switch (a->seg) {
	case LADDER_SEG_FIN:
	case LADDER_SEG_ACK:
		o = text__at(o, num__text(" seq=", &a->seq, buf + o, len - o), len);
		o = text__at(o, num__text(" ack=", &a->ack, buf + o, len - o), len);
		if (a->resent)
			snprintf(buf + o, len - o, " resent %u", a->resent);
		break;
	case LADDER_SEG_RESTART:
		if (a->count > 1)
			o = text__at(o, snprintf(buf + o, len - o, " x%u", a->count), len);
		snprintf(buf + o, len - o, a->count > 1 ? " restart 2MSL" : " restarts 2MSL");
		break;
	case LADDER_SEG_SYN:
		snprintf(buf + o, len - o, " (a new connection)");
		break;
	default:
		break;
	}
}

void ladder__state_text(const struct ladder *l, const struct ladder_state *s, char *buf,
			size_t len)
{
	const char *name = ladder__state_name(s->state), *mark = s->inferred ? " ~" : " ";
	double ms = (s->to_ns - s->from_ns) / 1e6;

	if (s->state == LADDER_ESTABLISHED || (s->state == LADDER_CLOSED && s->inferred))
		snprintf(buf, len, "%s%s", name, s->inferred ? " ~" : "");
	else if (s->state == LADDER_CLOSED)
		snprintf(buf, len, "%s%s%s", name, l->end ? ": " : "", l->end ? l->end : "");
	else if (!s->to_ns || s->to_ns < s->from_ns)
		snprintf(buf, len, "%s%s%s", name, mark,
			 s->state == TCPC_TIME_WAIT ? "(2MSL, unseen)" : "(unseen)");
	else
		snprintf(buf, len, ms < 100 ? "%s%s%.2f ms" : "%s%s%.0f ms", name, mark, ms);
}

void ladder__letters(const struct ladder *l, char *buf, size_t len)
{
	size_t o = text__at(0, num__text("u=", &l->u, buf, len), len);

	o = text__at(o, num__text(" v=", &l->v, buf + o, len - o), len);
	num__text(" w=", &l->w, buf + o, len - o);
}

void ladder__time_text(const struct ladder *l, __u64 t_ns, bool inferred, char *buf, size_t len)
{
	snprintf(buf, len, "%s%.3f", inferred ? "~" : "", ladder__ms(l, t_ns));
}
