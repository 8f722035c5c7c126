// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * check_wire: bracket each change of a connection's state by the run's capture and its
 * socket dumps (check_wire.h). The rules say which segment must precede a change and which
 * can only follow it, as net/ipv4/tcp_input.c, tcp.c and tcp_minisocks.c order them:
 *
 *  entering       no sooner than                     no later than
 *  FIN_WAIT1      close() or shutdown() called (+)   our first FIN leaving
 *  LAST_ACK       -                                  our first FIN leaving
 *  CLOSE_WAIT     the peer's first FIN arriving      our ACK of it leaving
 *  CLOSING        the peer's first FIN arriving      our ACK of it leaving
 *  FIN_WAIT2      the peer's ACK of our FIN arriving our ACK of the peer's FIN leaving
 *  TIME_WAIT      from FIN_WAIT2: the peer's FIN;    from FIN_WAIT2: our ACK of it (*)
 *                 from CLOSING: the ACK of our FIN
 *  the end        our last segment but a reset (a socket sends nothing once gone); from
 *                 LAST_ACK the ACK of our FIN; a reset received; the reset a keepalive
 *                 timer sends before it gives up; the new SYN that takes a TIME_WAIT; the
 *                 scenario's end, for a purge. No later than: a reset close() sends after
 *                 it, our SYN reusing a TIME_WAIT, the first dump without the socket, and
 *                 the record reaching us.
 *
 * A restart of TIME_WAIT's timer (tw_restart_last_ns, with TCPC_F_TW_RESTART) lies after the
 * peer's last segment that could restart it (one with an ACK, not a reset) arrived, and
 * before our next segment left, the ACK tcp_timewait_state_process() asks for a resent FIN,
 * or the record reached us.
 *
 * (+) Where the scenario stamped it: a scripted peer's, whose one end is ours.
 * (*) tcp_fin() sends that ACK just before tcp_time_wait() in the same softirq run: within
 * the jiffy the judge allows. With the tracepoint backend an orphan's FIN_WAIT2 may end at
 * any of the peer's FINs, as docs/LIMITS.md says (wire_facts.rearm_blind). A segment dropped on input (the scenarios' nft rules) was
 * still stamped on arrival: it only makes a lower bound earlier, never wrong. Every change
 * also lies after the one before it, which carries bounds from one change to the next.
 */
#include <stdio.h>
#include <string.h>
#include "check_wire.h"
#include "record.h"

#define OPEN (-1)
#define GONE TCPC_NR_STATES
#define NO_TIME UINT64_MAX

/* the segments of one end of one connection, as they bound its changes (ns, or NO_TIME) */
struct wire_end {
	size_t from, to;		/* its connection's segments: [from, to) */
	int nconns;			/* connections of these ports in the capture */
	__u64 begin;			/* the connection's first segment leaving */
	__u64 our_fin;			/* our first FIN leaving */
	__u64 peer_fin;			/* the peer's first FIN arriving */
	__u64 peer_acked_fin;		/* the peer's first ACK of our FIN arriving */
	__u64 we_acked_fin;		/* our first ACK of the peer's FIN leaving */
	__u64 we_acked_fin_last;	/* and our last one (a TIME_WAIT answers each resend) */
	__u64 our_rst, peer_rst;	/* the first reset each way: leaving, arriving */
	__u64 our_last;			/* our last segment but a reset leaving */
	__u64 next_our_syn;		/* the next connection of these ports: our SYN leaving */
	__u64 next_peer_syn;		/* or the peer's arriving */
};

static __u64 wire__mono(const struct wire_facts *f, double ts)
{
	double ns = (ts - f->real_ref_s) * 1e9;

	return f->mono_ref_ns + (__s64)(ns < 0 ? ns - 0.5 : ns + 0.5);
}

/* when a segment left; when it arrived (when it left, if the capture missed that) */
static __u64 seg__tx(const struct wire_facts *f, const struct tcp_seg *s)
{
	return wire__mono(f, s->ts);
}

static __u64 seg__rx(const struct wire_facts *f, const struct tcp_seg *s)
{
	return wire__mono(f, s->rx_ts ? s->rx_ts : s->ts);
}

static bool seq__before(__u32 a, __u32 b)
{
	return (__s32)(a - b) < 0;
}

static int family__of(const struct tcpc_conn *rec)
{
	return rec->family == 10 /* AF_INET6 */ ? 6 : 4;
}

static bool seg__ours(const struct tcp_seg *s, const struct tcpc_conn *rec)
{
	return s->family == family__of(rec) && s->sport == rec->sport && s->dport == rec->dport;
}

static bool seg__theirs(const struct tcp_seg *s, const struct tcpc_conn *rec)
{
	return s->family == family__of(rec) && s->sport == rec->dport && s->dport == rec->sport;
}

/* a SYN that opens a connection (not a SYN-ACK), and not a resend of the last one */
static bool seg__opens(const struct tcp_seg *s, const struct tcp_seg *last_syn)
{
	return (s->flags & (TCP_SYN | TCP_ACK)) == TCP_SYN &&
	       !(last_syn && last_syn->seq == s->seq && last_syn->sport == s->sport);
}

/* the segments of the nth connection of rec's ports; false if the capture has no such */
static bool wire__conn(const struct wire_facts *f, const struct tcpc_conn *rec, int nth,
		       struct wire_end *w)
{
	const struct tcp_seg *last_syn = NULL;
	int conn = -1;

	w->from = w->to = f->nsegs;
	for (size_t i = 0; i < f->nsegs; i++) {
		const struct tcp_seg *s = &f->segs[i];

		if (!seg__ours(s, rec) && !seg__theirs(s, rec))
			continue;
		/* a capture that began after the handshake: its first connection */
		if (conn >= 0 && !seg__opens(s, last_syn))
			continue;
		if (seg__opens(s, last_syn))
			last_syn = s;
		if (++conn == nth)
			w->from = i;
		else if (conn == nth + 1)
			w->to = i;
	}
	w->nconns = conn + 1;
	return w->from < f->nsegs;
}

static void wire__end(const struct wire_facts *f, const struct tcpc_conn *rec, struct wire_end *w)
{
	__u32 fin_seq = 0, peer_fin_seq = 0;
	bool fin = false, peer_fin = false;

	w->begin = seg__tx(f, &f->segs[w->from]);
	w->our_fin = w->peer_fin = w->peer_acked_fin = NO_TIME;
	w->we_acked_fin = w->we_acked_fin_last = NO_TIME;
	w->our_rst = w->peer_rst = w->next_our_syn = NO_TIME;
	w->next_peer_syn = NO_TIME;
	w->our_last = 0;
	for (size_t i = w->from; i < w->to; i++) {
		const struct tcp_seg *s = &f->segs[i];

		if (seg__ours(s, rec)) {
			if ((s->flags & TCP_FIN) && !fin) {
				fin = true;
				fin_seq = tcp_seg__fin_seq(s);
				w->our_fin = seg__tx(f, s);
			}
			if ((s->flags & TCP_RST) && w->our_rst == NO_TIME)
				w->our_rst = seg__tx(f, s);
			if (!(s->flags & TCP_RST))
				w->our_last = seg__tx(f, s);
			if (peer_fin && (s->flags & TCP_ACK) && !seq__before(s->ack, peer_fin_seq + 1)) {
				if (w->we_acked_fin == NO_TIME)
					w->we_acked_fin = seg__tx(f, s);
				w->we_acked_fin_last = seg__tx(f, s);
			}
			continue;
		}
		if (!seg__theirs(s, rec))
			continue;
		if ((s->flags & TCP_FIN) && !peer_fin) {
			peer_fin = true;
			peer_fin_seq = tcp_seg__fin_seq(s);
			w->peer_fin = seg__rx(f, s);
		}
		if ((s->flags & TCP_RST) && w->peer_rst == NO_TIME)
			w->peer_rst = seg__rx(f, s);
		if (fin && (s->flags & TCP_ACK) && !seq__before(s->ack, fin_seq + 1) &&
		    w->peer_acked_fin == NO_TIME)
			w->peer_acked_fin = seg__rx(f, s);
	}
	if (w->to < f->nsegs) {
		const struct tcp_seg *s = &f->segs[w->to];

		if (seg__ours(s, rec))
			w->next_our_syn = seg__tx(f, s);
		else
			w->next_peer_syn = seg__rx(f, s);
	}
}

static void span__lo(struct wire_span *s, __u64 t, const char *why)
{
	if (t != NO_TIME && t > s->lo) {
		s->lo = t;
		snprintf(s->lo_why, sizeof(s->lo_why), "%s", why);
	}
}

static void span__hi(struct wire_span *s, __u64 t, const char *why)
{
	if (t != NO_TIME && t < s->hi) {
		s->hi = t;
		snprintf(s->hi_why, sizeof(s->hi_why), "%s", why);
	}
}

bool check_wire__conn_segs(const struct wire_facts *f, const struct tcpc_conn *rec, int nth,
			   size_t *from, size_t *to)
{
	struct wire_end w;

	if (!wire__conn(f, rec, nth, &w))
		return false;
	*from = w.from;
	*to = w.to;
	return true;
}

bool check_wire__ours(const struct tcp_seg *s, const struct tcpc_conn *rec)
{
	return seg__ours(s, rec);
}

bool check_wire__theirs(const struct tcp_seg *s, const struct tcpc_conn *rec)
{
	return seg__theirs(s, rec);
}

__u64 check_wire__tx(const struct wire_facts *f, const struct tcp_seg *s)
{
	return seg__tx(f, s);
}

__u64 check_wire__rx(const struct wire_facts *f, const struct tcp_seg *s)
{
	return seg__rx(f, s);
}

static __u64 wire__jiffy_ns(const struct wire_facts *f)
{
	return 1000000000ULL / (f->hz ? f->hz : 100);
}

__u64 check_wire__slack(const struct wire_facts *f)
{
	__u64 jiffy = wire__jiffy_ns(f);
	__u64 lag = f->ss ? f->ss->worst_tick_lag_ns : 0;

	return lag > jiffy ? lag : jiffy;
}

__u64 check_wire__late_slack(const struct wire_facts *f)
{
	return wire__jiffy_ns(f);
}

/* a record's times are kept in 1.024 us units (struct tcpc_tw), truncated */
#define RECORD_RESOLUTION_NS 1024

__u64 check_wire__earliest(const struct wire_facts *f, __u64 lo)
{
	__u64 coarse, slack;

	if (!f->ss || !f->ss->nticks || !sswatch__coarse_at(f->ss, lo, &coarse)) {
		slack = check_wire__slack(f);
		return lo > slack ? lo - slack : 0;
	}
	slack = wire__jiffy_ns(f) + RECORD_RESOLUTION_NS;
	return coarse > slack ? coarse - slack : 0;
}

int check_wire__record_changes(const struct tcpc_conn *rec, __u64 *t)
{
	return record__changes(rec, t);
}

/* the state before change j and after it: OPEN, a close state, or GONE */
static void change__states(const struct tcpc_conn *rec, int j, int nchanges, int *from, int *to)
{
	*from = j ? rec->order[j - 1] : OPEN;
	*to = j < nchanges - 1 ? rec->order[j] : GONE;
}

/* what the segments say of change j, from state p to state n */
static void wire__bound(const struct wire_facts *f, const struct tcpc_conn *rec,
			const struct wire_end *w, int p, int n, struct wire_span *s)
{
	switch (n) {
	case TCPC_FIN_WAIT1:
		span__lo(s, f->close_ns ? f->close_ns : NO_TIME, "close() was called");
		span__hi(s, w->our_fin, "our FIN left");
		break;
	case TCPC_LAST_ACK:
		span__hi(s, w->our_fin, "our FIN left");
		break;
	case TCPC_CLOSE_WAIT:
		span__lo(s, w->peer_fin, "the peer's FIN arrived");
		span__hi(s, w->we_acked_fin, "our ACK of its FIN left");
		break;
	case TCPC_CLOSING:
		/*
		 * tcp_fin() in FIN_WAIT1 acknowledges the FIN first, then sets CLOSING: a
		 * stalled guest read the change 21 ms after our ACK left. The dumps bound it.
		 */
		span__lo(s, w->peer_fin, "the peer's FIN arrived");
		break;
	case TCPC_FIN_WAIT2:
		span__lo(s, w->peer_acked_fin, "the ACK of our FIN arrived");
		span__hi(s, w->we_acked_fin, "our ACK of its FIN left");
		break;
	case TCPC_TIME_WAIT:
		if (p == TCPC_CLOSING) {
			span__lo(s, w->peer_acked_fin, "the ACK of our FIN arrived");
			break;
		}
		span__lo(s, w->peer_fin, "the peer's FIN arrived");
		/*
		 * A full FIN_WAIT2 socket acknowledges the FIN first and then makes its timewait
		 * socket (tcp_fin(): tcp_send_ack(), tcp_time_wait()), milliseconds later on a
		 * stalled guest; an orphaned one's timewait socket enters TIME_WAIT before it
		 * answers. Our ACK bounds it only where a timewait socket took the FIN, as it
		 * takes any resent one; else the socket dumps do.
		 */
		if (f->rearm_blind && w->we_acked_fin_last != w->we_acked_fin)
			span__hi(s, w->we_acked_fin_last, "our ACK of its last FIN left");
		break;
	case GONE:
		span__lo(s, w->our_last ? w->our_last : NO_TIME, "our last segment left");
		if (p == TCPC_LAST_ACK)
			span__lo(s, w->peer_acked_fin, "the ACK of our FIN arrived");
		if (rec->cause == TCPC_CAUSE_RST_RECEIVED || rec->tw_end == TCPC_TW_RST)
			span__lo(s, w->peer_rst, "its reset arrived");
		if (rec->cause == TCPC_CAUSE_RST_SENT)
			span__hi(s, w->our_rst, "our reset left");
		if (rec->cause == TCPC_CAUSE_KEEPALIVE_TIMEOUT)
			span__lo(s, w->our_rst, "our reset left");
		if (rec->tw_end == TCPC_TW_SYN)
			span__lo(s, w->next_peer_syn, "its new SYN arrived");
		if (rec->tw_end == TCPC_TW_REUSED)
			span__hi(s, w->next_our_syn, "our new SYN left");
		if (rec->tw_end == TCPC_TW_PURGED)
			span__lo(s, f->done_ns, "the scenario ended");
		break;
	}
}

/* rank of a kernel state in rec's changes: OPEN before change 0, i after change i */
static int ss__rank(const struct tcpc_conn *rec, int nchanges, int kstate)
{
	static const int close_state[] = {
		[4] = TCPC_FIN_WAIT1 + 1, [5] = TCPC_FIN_WAIT2 + 1, [6] = TCPC_TIME_WAIT + 1,
		[8] = TCPC_CLOSE_WAIT + 1, [9] = TCPC_LAST_ACK + 1, [11] = TCPC_CLOSING + 1,
	};
	int s = kstate >= 0 && kstate < 12 ? close_state[kstate] - 1 : -1;

	if (s < 0)
		return OPEN;
	for (int i = 0; i < nchanges - 1; i++)
		if (rec->order[i] == s)
			return i;
	return -2;	/* a close state the record does not have */
}

/* SYN_SENT, SYN_RECV, NEW_SYN_RECV: before the connection's first segments are through */
static bool state__opening(int kstate)
{
	return kstate == 2 || kstate == 3 || kstate == 12;
}

/* rank of a kernel state in rec's changes: OPEN before change 0, i after change i */
static int ss__rank(const struct tcpc_conn *rec, int nchanges, int kstate);

/*
 * Could ss have seen this socket, if it were the one of this end? Not in a state before the
 * segments say it could have entered it, nor after they say it left it. (A socket of the
 * next connection of the same ports may be seen in SYN_SENT before its SYN; a TIME_WAIT that
 * connect() reuses, just after the new SYN left.)
 */
static bool ss__fits(const struct sswatch_sock *s, const struct tcpc_conn *rec, int n,
		     const struct wire_end *w, const struct wire_span *spans, const bool *blind)
{
	bool seen = false;

	for (int r = 0; r < s->nruns; r++) {
		const struct sswatch_run *run = &s->runs[r];
		int rank = ss__rank(rec, n, run->state);

		/* a state the record lacks: this socket's, if the ports had but one connection */
		if (rank == -2 && w->nconns > 1)
			return false;
		if (rank == -2 || (rank == OPEN && state__opening(run->state)))
			continue;
		seen = true;
		if (rank >= 0 && run->first_t1 < spans[rank].lo)
			return false;
		if (rank + 1 < n && !blind[rank + 1] && run->last_t0 > spans[rank + 1].hi)
			return false;
	}
	return seen && (!s->gone_t1 || s->gone_t1 >= spans[n - 1].lo);
}

/*
 * The dumps' socket for this end: of those with its ports that fit its connection's
 * segments, the one seen longest while that connection lasted. None may fit: then the
 * dumps add nothing, which costs precision, never correctness.
 */
static const struct sswatch_sock *ss__find(const struct wire_facts *f, const struct tcpc_conn *rec,
					   const struct wire_end *w, int n,
					   const struct wire_span *spans, const bool *blind)
{
	__u64 until = w->next_our_syn != NO_TIME ? w->next_our_syn : w->next_peer_syn;
	const struct sswatch_sock *best = NULL;
	__s64 best_overlap = -1;

	if (!f->ss)
		return NULL;
	for (int i = 0; i < f->ss->nsocks; i++) {
		const struct sswatch_sock *s = &f->ss->socks[i];
		__u64 lo, hi;

		if (s->sport != rec->sport || s->dport != rec->dport || s->family != rec->family ||
		    s->overflow || !s->nruns || !ss__fits(s, rec, n, w, spans, blind))
			continue;
		lo = s->runs[0].first_t0 > w->begin ? s->runs[0].first_t0 : w->begin;
		hi = s->runs[s->nruns - 1].last_t1 < until ? s->runs[s->nruns - 1].last_t1 : until;
		if ((__s64)(hi - lo) > best_overlap) {
			best_overlap = hi - lo;
			best = s;
		}
	}
	return best;
}

/*
 * What the dumps say: a change lies before the first dump of a later state, or the first
 * without the socket. Not after the last dump of an earlier state: tcp_set_state() runs
 * the tracepoint before it stores the new state, and a CPU held up between the two (an
 * emulated guest's vCPU, for 17.6 ms on the 6.12 guest) leaves the old state for a dump
 * to see after the change's time. *unknown is a close state the record does not have.
 */
static void ss__bound(const struct sswatch_sock *ss, const struct tcpc_conn *rec, int nchanges,
		      const bool *blind, struct wire_span *spans, int *unknown)
{
	char why[48];

	*unknown = -1;
	for (int r = 0; r < ss->nruns; r++) {
		const struct sswatch_run *run = &ss->runs[r];
		int rank = ss__rank(rec, nchanges, run->state);

		if (rank == -2) {
			*unknown = run->state;
			continue;
		}
		for (int j = 0; j < nchanges; j++) {
			snprintf(why, sizeof(why), "ss: %s", record__tcp_state_name(run->state));
			if (rank >= j && !blind[j])
				span__hi(&spans[j], run->first_t1, why);
		}
	}
	if (ss->gone_t1)
		for (int j = 0; j < nchanges; j++)
			span__hi(&spans[j], ss->gone_t1, "ss: gone");
}

/*
 * An orphan's FIN_WAIT2 is a timewait socket's (tcp_time_wait() made it when the ACK of our
 * FIN came), and it takes the peer's FIN itself: tcp_timewait_state_process() enters
 * TIME_WAIT and re-arms the timer, and only then is the ACK sent. So where a dump showed the
 * socket in FIN_WAIT2 as a timewait socket, our ACK of the peer's FIN bounds TIME_WAIT's
 * start: of its last FIN, where the tracepoint backend may read TIME_WAIT from a resend.
 */
static void ss__timewait_took_fin(const struct sswatch_sock *ss, const struct tcpc_conn *rec,
				  const struct wire_end *w, bool rearm_blind, int nchanges,
				  struct wire_span *spans)
{
	bool fw2_timewait = false;
	int from, to;

	for (int r = 0; r < ss->nruns; r++)
		fw2_timewait |= ss->runs[r].state == 5 /* FIN_WAIT2 */ && ss->runs[r].timewait;
	if (!fw2_timewait)
		return;
	for (int j = 0; j < nchanges; j++) {
		change__states(rec, j, nchanges, &from, &to);
		if (from == TCPC_FIN_WAIT2 && to == TCPC_TIME_WAIT)
			span__hi(&spans[j], rearm_blind ? w->we_acked_fin_last : w->we_acked_fin,
				 "our ACK of its FIN left, a timewait socket's");
	}
}

/* what the record says went over the wire that the wire does not show; NULL if nothing */
static const char *wire__contradiction(const struct tcpc_conn *rec, const struct wire_end *w)
{
	if (rec->cause == TCPC_CAUSE_RST_SENT && w->our_rst == NO_TIME)
		return "cause: rst_sent, but no reset of it is on the wire";
	if (rec->cause == TCPC_CAUSE_RST_RECEIVED && w->peer_rst == NO_TIME)
		return "cause: rst_received, but no reset to it is on the wire";
	if (rec->tw_end == TCPC_TW_RST && w->peer_rst == NO_TIME)
		return "tw_end: rst, but no reset to it is on the wire";
	return NULL;
}

static int wire__spans(const struct wire_facts *f, const struct tcpc_conn *rec, int nth,
		       __u64 arrived_ns, struct wire_span *spans, int *unknown,
		       const char **contradiction)
{
	__u64 t[WIRE_MAX_CHANGES];
	int n = check_wire__record_changes(rec, t), from, to;
	const struct sswatch_sock *ss;
	bool blind[WIRE_MAX_CHANGES];
	struct wire_end w;

	*unknown = -1;
	*contradiction = NULL;
	for (int j = 0; j < n; j++) {
		spans[j].lo = 0;
		spans[j].hi = arrived_ns;
		snprintf(spans[j].lo_why, sizeof(spans[j].lo_why), "-");
		snprintf(spans[j].hi_why, sizeof(spans[j].hi_why), "the record reached us");
	}
	if (!wire__conn(f, rec, nth, &w))
		return n;
	wire__end(f, rec, &w);
	*contradiction = wire__contradiction(rec, &w);
	for (int j = 0; j < n; j++) {
		span__lo(&spans[j], w.begin, "the connection began");
		change__states(rec, j, n, &from, &to);
		wire__bound(f, rec, &w, from, to, &spans[j]);
		/*
		 * The tracepoint backend may read an orphan's TIME_WAIT from the peer's last
		 * resent FIN, later than the dumps saw it begin: only where the peer resent it
		 */
		blind[j] = f->rearm_blind && from == TCPC_FIN_WAIT2 && to == TCPC_TIME_WAIT &&
			   w.we_acked_fin_last != w.we_acked_fin;
	}
	ss = ss__find(f, rec, &w, n, spans, blind);
	if (ss) {
		ss__bound(ss, rec, n, blind, spans, unknown);
		ss__timewait_took_fin(ss, rec, &w, f->rearm_blind, n, spans);
	}
	/* each change follows the one before */
	for (int j = 1; j < n; j++)
		span__lo(&spans[j], spans[j - 1].lo, spans[j - 1].lo_why);
	for (int j = n - 1; j > 0; j--)
		span__hi(&spans[j - 1], spans[j].hi, spans[j].hi_why);
	return n;
}

int check_wire__brackets(const struct wire_facts *f, const struct tcpc_conn *rec, int nth,
			 __u64 arrived_ns, struct wire_span *spans)
{
	const char *contradiction;
	int unknown;

	return wire__spans(f, rec, nth, arrived_ns, spans, &unknown, &contradiction);
}

/* the last restart of TIME_WAIT's 2MSL timer: false if the record has none or no wire */
static bool wire__restart_span(const struct wire_facts *f, const struct tcpc_conn *rec, int nth,
			       __u64 arrived_ns, struct wire_span *s)
{
	struct wire_end w;
	size_t last = 0;
	bool found = false;

	if (!(rec->flags & TCPC_F_TW_RESTART) || !wire__conn(f, rec, nth, &w))
		return false;
	s->lo = 0;
	s->hi = arrived_ns;
	snprintf(s->lo_why, sizeof(s->lo_why), "-");
	snprintf(s->hi_why, sizeof(s->hi_why), "the record reached us");
	for (size_t i = w.from; i < w.to; i++) {
		const struct tcp_seg *g = &f->segs[i];

		if (seg__theirs(g, rec) && (g->flags & TCP_ACK) && !(g->flags & TCP_RST)) {
			last = i;
			found = true;
		}
	}
	if (!found)
		return true;
	span__lo(s, seg__rx(f, &f->segs[last]), "its last segment arrived");
	for (size_t i = last + 1; i < w.to; i++) {
		if (seg__ours(&f->segs[i], rec)) {
			span__hi(s, seg__tx(f, &f->segs[i]), "our answer left");
			break;
		}
	}
	return true;
}

static const char *change__name(const struct tcpc_conn *rec, int j, int n, char *buf, size_t len)
{
	if (j == n - 1)
		snprintf(buf, len, "end");
	else
		snprintf(buf, len, "%s.begin", record__state_name(rec->order[j]));
	return buf;
}

int check_wire__judge(const struct wire_facts *f, const struct tcpc_conn *rec, int nth,
		      __u64 arrived_ns, __u64 base_ns,
		      void (*diff)(void *ctx, const char *line), void *ctx)
{
	struct wire_span spans[WIRE_MAX_CHANGES + 1];	/* and the last restart */
	/*
	 * A time read off jiffies is early by where in its jiffy the change came, and by how
	 * late the tick that ended that jiffy was: check_wire__earliest() bounds both by the
	 * coarse clock at the change's lower bound. It is late by how far into its jiffy the
	 * tracer's anchor was read: less than a jiffy (check_wire__late_slack()).
	 */
	__u64 t[WIRE_MAX_CHANGES], slack = check_wire__late_slack(f);
	int n, unknown, bad = 0;
	const char *contradiction;
	char line[256], name[32];

	n = wire__spans(f, rec, nth, arrived_ns, spans, &unknown, &contradiction);
	check_wire__record_changes(rec, t);
	if (contradiction) {
		diff(ctx, contradiction);
		bad++;
	}
	if (unknown >= 0) {
		snprintf(line, sizeof(line), "states: ss saw it in %s, which the record does not have",
			 record__tcp_state_name(unknown));
		diff(ctx, line);
		bad++;
	}
	if (wire__restart_span(f, rec, nth, arrived_ns, &spans[n])) {
		__u64 r = rec->tw_restart_last_ns;
		const struct wire_span *s = &spans[n];

		if (r < check_wire__earliest(f, s->lo) || r > s->hi + slack) {
			snprintf(line, sizeof(line), "tw_restart_last: got %.2f ms, want %.2f to %.2f ms (after %s, before %s)",
				 ((double)r - (double)base_ns) / 1e6, ((double)s->lo - (double)base_ns) / 1e6,
				 ((double)s->hi - (double)base_ns) / 1e6, s->lo_why, s->hi_why);
			diff(ctx, line);
			bad++;
		}
	}
	for (int j = 0; j < n; j++) {
		const struct wire_span *s = &spans[j];
		__u64 earliest = check_wire__earliest(f, s->lo);
		char early[64] = "";

		if (t[j] >= earliest && t[j] <= s->hi + slack)
			continue;
		if (t[j] < earliest)
			snprintf(early, sizeof(early), "; off jiffies, no sooner than %.2f ms",
				 ((double)earliest - (double)base_ns) / 1e6);
		snprintf(line, sizeof(line), "%s: got %.2f ms, want %.2f to %.2f ms (after %s, before %s%s)",
			 change__name(rec, j, n, name, sizeof(name)),
			 ((double)t[j] - (double)base_ns) / 1e6, ((double)s->lo - (double)base_ns) / 1e6,
			 ((double)s->hi - (double)base_ns) / 1e6, s->lo_why, s->hi_why, early);
		diff(ctx, line);
		bad++;
	}
	return bad;
}

void check_wire__describe(const struct wire_facts *f, const struct tcpc_conn *rec, int nth,
			  __u64 arrived_ns, __u64 base_ns, char *buf, size_t len)
{
	struct wire_span spans[WIRE_MAX_CHANGES];
	__u64 t[WIRE_MAX_CHANGES];
	int n = check_wire__brackets(f, rec, nth, arrived_ns, spans);
	size_t o = 0;
	char name[32];

	check_wire__record_changes(rec, t);
	buf[0] = '\0';
	for (int j = 0; j < n && o < len; j++)
		o += snprintf(buf + o, len - o, "%s%s %.2f in %.2f..%.2f", j ? ", " : "",
			      change__name(rec, j, n, name, sizeof(name)),
			      ((double)t[j] - (double)base_ns) / 1e6,
			      ((double)spans[j].lo - (double)base_ns) / 1e6,
			      ((double)spans[j].hi - (double)base_ns) / 1e6);
	if (o < len && wire__restart_span(f, rec, nth, arrived_ns, &spans[0]))
		snprintf(buf + o, len - o, ", tw_restart_last %.2f in %.2f..%.2f",
			 ((double)rec->tw_restart_last_ns - (double)base_ns) / 1e6,
			 ((double)spans[0].lo - (double)base_ns) / 1e6,
			 ((double)spans[0].hi - (double)base_ns) / 1e6);
}

bool check_wire__first_fin(const struct wire_facts *f, int family, unsigned short sport,
			   unsigned short dport, __u32 *seq, __u32 *ack)
{
	for (size_t i = 0; i < f->nsegs; i++) {
		const struct tcp_seg *s = &f->segs[i];

		if (s->family == family && s->sport == sport && s->dport == dport &&
		    (s->flags & TCP_FIN)) {
			*seq = tcp_seg__fin_seq(s);
			*ack = s->ack;
			return true;
		}
	}
	return false;
}

int check_wire__fins(const struct wire_facts *f, int family, unsigned short sport,
		     unsigned short dport)
{
	int n = 0;

	for (size_t i = 0; i < f->nsegs; i++)
		n += f->segs[i].family == family && f->segs[i].sport == sport &&
		     f->segs[i].dport == dport && (f->segs[i].flags & TCP_FIN);
	return n;
}
