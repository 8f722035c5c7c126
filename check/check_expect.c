// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * check_expect: what each scenario of tcpclose check must produce. Names and counts are
 * exact, counts of resends as the capture shows them. When each state began and ended is
 * judged against the run's own capture and socket dumps (check_wire.c), however slow the
 * host; what is left here of durations are the bounds that the scenario's settings and
 * its own waits set, and none of them is an upper bound: how late a timer fires, or a
 * process wakes, is the host's, and the evidence shows it.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "check_expect.h"
#include "timing.h"

/* TCP_TIMEWAIT_LEN */
#define TW_LEN_MS 60000.0

static void want__name(struct check_end *x, enum check_field f, const char *name)
{
	x->want[f].set = true;
	snprintf(x->want[f].name, sizeof(x->want[f].name), "%s", name);
}

static void want__num(struct check_end *x, enum check_field f, double lo, double hi)
{
	x->want[f].set = true;
	x->want[f].lo = lo;
	x->want[f].hi = hi;
}

static void want__ms(struct check_end *x, enum tcpc_state s, double lo, double hi)
{
	want__num(x, CHECK_DWELL + s, lo > 0 ? lo : 0, hi);
}

static void counter__want(struct check_expect *e, const char *name, double lo, double hi)
{
	struct check_counter *c;

	if (e->nr_counters == CHECK_MAX_COUNTERS)
		return;
	c = &e->counters[e->nr_counters++];
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->want.set = true;
	c->want.lo = lo;
	c->want.hi = hi;
}

/* the client ("client", "client2", ...) or server end of connection i */
static struct check_end *end__add(struct check_expect *e, const struct check_facts *f, int i,
				  bool server)
{
	const struct scenario_conn *c = &f->res->conns[i];
	struct check_end *x = &e->ends[e->nr_ends++];
	const char *comm;

	snprintf(x->name, sizeof(x->name), "%s", server ? "server" : "client");
	if (i)
		snprintf(x->name + strlen(x->name), sizeof(x->name) - strlen(x->name), "%d", i + 1);
	x->lport = server ? c->sport : c->cport;
	x->rport = server ? c->cport : c->sport;
	/* a slow host's timers may resend a FIN: as many as the capture shows */
	x->fins_resent = server ? c->sfin_resends : c->cfin_resends;
	/* each end closes in its own process, which the record names */
	comm = server ? f->res->server.comm : f->res->client.comm;
	want__name(x, CHECK_COMM, comm[0] ? comm : "-");
	return x;
}

/* what every record states about how it ended */
static void end__ended(struct check_end *x, const char *role, const char *cause,
		       const char *rst_reason, const char *states, const char *tw_end)
{
	want__name(x, CHECK_ROLE, role);
	want__name(x, CHECK_CAUSE, cause);
	want__name(x, CHECK_RST_REASON, rst_reason);
	want__name(x, CHECK_STATES, states);
	want__name(x, CHECK_TW_END, tw_end);
	want__num(x, CHECK_FIN_RETRANS, x->fins_resent, x->fins_resent);
	want__num(x, CHECK_KA_PROBES, 0, 0);
	want__num(x, CHECK_KA_UNANSWERED, 0, 0);
}

/* an orderly close, our FIN first; its TIME_WAIT ends as tw_end */
static struct check_end *end__active(struct check_expect *e, const struct check_facts *f,
				     int i, bool server, const char *tw_end)
{
	struct check_end *x = end__add(e, f, i, server);

	end__ended(x, "active", "normal", "-", "FIN_WAIT1,FIN_WAIT2,TIME_WAIT", tw_end);
	return x;
}

/* an orderly close, the peer's FIN first */
static struct check_end *end__passive(struct check_expect *e, const struct check_facts *f,
				      int i, bool server)
{
	struct check_end *x = end__add(e, f, i, server);

	end__ended(x, "passive", "normal", "-", "CLOSE_WAIT,LAST_ACK", "-");
	return x;
}

static struct check_end *end__aborted(struct check_expect *e, const struct check_facts *f,
				      bool server, const char *cause, const char *rst_reason,
				      const char *states)
{
	struct check_end *x = end__add(e, f, 0, server);

	end__ended(x, "aborted", cause, rst_reason, states, "-");
	return x;
}

/* TcpRetransSegs: every segment the capture shows sent again, and no other */
static void resends__want(struct check_expect *e, const struct check_facts *f)
{
	counter__want(e, "TcpRetransSegs", f->res->resends, f->res->resends);
}

/*
 * An orderly close where one end (the server if server_first) closes first and the other
 * delay_ms after EOF, which it read in CLOSE_WAIT; the first closer's TIME_WAIT is purged.
 */
static void orderly__expect(struct check_expect *e, const struct check_facts *f,
			    bool server_first)
{
	struct check_end *second;

	end__active(e, f, 0, server_first, "purged");
	second = end__passive(e, f, 0, !server_first);
	want__ms(second, TCPC_CLOSE_WAIT, f->res->delay_ms, INFINITY);
	counter__want(e, "TcpExtTW", 1, 1);
	/* none on loopback, but what a slow host's timers resent */
	resends__want(e, f);
	counter__want(e, "TcpOutRsts", 0, 0);
}

static void expect__active(struct check_expect *e, const struct check_facts *f)
{
	orderly__expect(e, f, false);
}

static void expect__passive(struct check_expect *e, const struct check_facts *f)
{
	orderly__expect(e, f, true);
}

static void expect__halfclose(struct check_expect *e, const struct check_facts *f)
{
	struct check_end *s;

	end__active(e, f, 0, false, "purged");
	s = end__passive(e, f, 0, true);
	want__num(s, CHECK_HALFCLOSED, f->res->halfclosed_bytes, f->res->halfclosed_bytes);
	want__ms(s, TCPC_CLOSE_WAIT, SCENARIO_HALFCLOSE_MS, INFINITY);
	counter__want(e, "TcpExtTW", 1, 1);
}

static void expect__fin_data(struct check_expect *e, const struct check_facts *f)
{
	end__active(e, f, 0, false, "purged");
	end__passive(e, f, 0, true);
	counter__want(e, "TcpExtTW", 1, 1);
}

/* both FINs dropped once: each end goes FIN_WAIT1 -> CLOSING when the peer's resend comes */
static void simultaneous__end(struct check_expect *e, const struct check_facts *f, bool server)
{
	const struct scenario_side *me = server ? &f->res->server : &f->res->client;
	struct check_end *x = end__add(e, f, 0, server);

	end__ended(x, "simultaneous", "normal", "-", "FIN_WAIT1,CLOSING,TIME_WAIT", "purged");
	want__num(x, CHECK_FIN_RETRANS, me->fins - 1, me->fins - 1);
}

static void expect__simultaneous(struct check_expect *e, const struct check_facts *f)
{
	simultaneous__end(e, f, false);
	simultaneous__end(e, f, true);
	/* both ends of every attempt whose FINs did not cross */
	e->extra.lo = e->extra.hi = 2 * (f->res->attempts - 1);
	counter__want(e, "TcpExtTW", 2 * f->res->attempts, 2 * f->res->attempts);
}

/* a reset: the end that sent it and why; the other receives it; the counter it bumps */
static void reset__expect(struct check_expect *e, const struct check_facts *f, bool server,
			  const char *rst_reason, const char *counter)
{
	end__aborted(e, f, false, server ? "rst_received" : "rst_sent", server ? "-" : rst_reason,
		     "-");
	end__aborted(e, f, true, server ? "rst_sent" : "rst_received", server ? rst_reason : "-",
		     "-");
	counter__want(e, counter, 1, 1);
	counter__want(e, "TcpExtTW", 0, 0);
}

static void expect__unread(struct check_expect *e, const struct check_facts *f)
{
	reset__expect(e, f, true, "unread_data", "TcpExtTCPAbortOnClose");
}

static void expect__linger0(struct check_expect *e, const struct check_facts *f)
{
	reset__expect(e, f, false, "linger0", "TcpExtTCPAbortOnData");
}

static void expect__peer_reset(struct check_expect *e, const struct check_facts *f)
{
	reset__expect(e, f, true, "linger0", "TcpExtTCPAbortOnData");
}

/* inet_csk_listen_stop() resets the unaccepted child: no abort counter, one RST out */
static void expect__listener_close(struct check_expect *e, const struct check_facts *f)
{
	reset__expect(e, f, true, "listener_closed", "TcpOutRsts");
}

/* one segment dropped once (more on a slow host: the scenario counts the FINs on the wire) */
static void expect__fin_drop(struct check_expect *e, const struct check_facts *f)
{
	struct check_end *c = end__active(e, f, 0, false, "purged");
	int n = f->res->fin_retrans;

	end__passive(e, f, 0, true);
	want__num(c, CHECK_FIN_RETRANS, n, n);
	counter__want(e, "TcpExtTW", 1, 1);
	resends__want(e, f);
}

static void expect__lastack_drop(struct check_expect *e, const struct check_facts *f)
{
	struct check_end *s;
	int n = f->res->fin_retrans;

	end__active(e, f, 0, false, "purged");
	s = end__passive(e, f, 0, true);
	want__num(s, CHECK_FIN_RETRANS, n, n);
	counter__want(e, "TcpExtTW", 1, 1);
	resends__want(e, f);
}

/*
 * TIME_WAIT lasts 2MSL at least: its timer is armed in jiffies when the peer's FIN comes,
 * so it cannot fire sooner than a jiffy short of that. How late it fired is the host's:
 * the socket dumps show when it went.
 */
static void expect__tw_expire(struct check_expect *e, const struct check_facts *f)
{
	struct check_end *c = end__active(e, f, 0, false, "expired");

	end__passive(e, f, 0, true);
	want__ms(c, TCPC_TIME_WAIT, TW_LEN_MS - timing__jiffy_ms(f->hz), INFINITY);
	counter__want(e, "TcpExtTW", 1, 1);
}

static void expect__tw_reused(struct check_expect *e, const struct check_facts *f)
{
	end__active(e, f, 0, false, "reused");
	end__passive(e, f, 0, true);
	end__active(e, f, 1, false, "purged");
	end__passive(e, f, 1, true);
	counter__want(e, "TcpExtTWRecycled", 1, 1);
	counter__want(e, "TcpExtTW", 2, 2);
}

static void expect__tw_rst(struct check_expect *e, const struct check_facts *f)
{
	end__active(e, f, 0, false, "rst");
	end__passive(e, f, 0, true);
	counter__want(e, "TcpExtTW", 1, 1);
	counter__want(e, "TcpOutRsts", 0, 0);
}

static void expect__tw_syn(struct check_expect *e, const struct check_facts *f)
{
	end__passive(e, f, 0, false);
	end__active(e, f, 0, true, "syn");
	end__active(e, f, 1, false, "purged");
	end__passive(e, f, 1, true);
	counter__want(e, "TcpExtTW", 2, 2);
}

static void expect__tw_purged(struct check_expect *e, const struct check_facts *f)
{
	for (int i = 0; i < 3; i++) {
		end__active(e, f, i, false, "purged");
		end__passive(e, f, i, true);
	}
	counter__want(e, "TcpExtTW", 3, 3);
}

static void expect__tw_overflow(struct check_expect *e, const struct check_facts *f)
{
	struct check_end *c = end__active(e, f, 0, false, "overflow");

	want__name(c, CHECK_STATES, "FIN_WAIT1,FIN_WAIT2");
	end__passive(e, f, 0, true);
	counter__want(e, "TcpExtTCPTimeWaitOverflow", 1, 1);
	counter__want(e, "TcpExtTW", 0, 0);
}

/*
 * keepalive: a probe answered, then keepcnt unanswered, then the abort and its reset. A slow
 * host may get another probe answered before the answers are dropped: as many probes as the
 * capture shows, of which the last keepcnt went unanswered.
 */
static void expect__keepalive(struct check_expect *e, const struct check_facts *f)
{
	const struct scenario_settings *set = &f->res->set;
	struct check_end *c = end__aborted(e, f, false, "keepalive_timeout", "-", "-");
	int probes = f->wire ? check_timers__keepalive_probes(f->wire, c->lport) :
			       1 + set->keepalive_cnt;

	end__aborted(e, f, true, "rst_received", "-", "-");
	e->timers.ka_port = c->lport;
	e->timers.ka_idle_ms = set->keepalive_idle_s * 1e3;
	e->timers.ka_intvl_ms = set->keepalive_intvl_s * 1e3;
	want__num(c, CHECK_KA_PROBES, probes, probes);
	want__num(c, CHECK_KA_UNANSWERED, set->keepalive_cnt, set->keepalive_cnt);
	counter__want(e, "TcpExtTCPKeepAlive", probes, probes);
	counter__want(e, "TcpExtTCPAbortOnTimeout", 1, 1);
}

/* data never acknowledged until TCP_USER_TIMEOUT or tcp_retries2 gives up */
static void unacked__expect(struct check_expect *e, const struct check_facts *f,
			    const char *cause)
{
	end__aborted(e, f, false, cause, "-", "-");
	end__aborted(e, f, true, "rst_sent", "linger0", "-");
	counter__want(e, "TcpExtTCPAbortOnTimeout", 1, 1);
	resends__want(e, f);
}

static void expect__user_timeout(struct check_expect *e, const struct check_facts *f)
{
	unacked__expect(e, f, "user_timeout");
	/* TCP_USER_TIMEOUT clamps the retransmit timer to what is left of it */
	e->timers.rto = false;
}

static void expect__retrans_timeout(struct check_expect *e, const struct check_facts *f)
{
	unacked__expect(e, f, "retrans_timeout");
}

/* the orphan's timewait socket is armed for tcp_fin_timeout when our FIN is acknowledged */
static void expect__fin_wait2_timeout(struct check_expect *e, const struct check_facts *f)
{
	double tmo = f->res->set.fin_timeout_s * 1e3;
	struct check_end *c = end__active(e, f, 0, false, "expired");

	want__name(c, CHECK_CAUSE, "fin_wait2_timeout");
	want__name(c, CHECK_STATES, "FIN_WAIT1,FIN_WAIT2");
	want__ms(c, TCPC_FIN_WAIT2, tmo - timing__jiffy_ms(f->hz), INFINITY);
	end__aborted(e, f, true, "rst_sent", "linger0", "CLOSE_WAIT");
	counter__want(e, "TcpExtTWKilled", 1, 1);
	counter__want(e, "TcpExtTW", 0, 0);
}

static void expect__orphan_retries(struct check_expect *e, const struct check_facts *f)
{
	struct check_end *c = end__aborted(e, f, false, "orphan_retries", "-", "FIN_WAIT1");
	int n = f->res->fin_retrans;

	end__aborted(e, f, true, "rst_sent", "linger0", "CLOSE_WAIT");
	want__num(c, CHECK_FIN_RETRANS, n, n);
	counter__want(e, "TcpExtTCPAbortOnTimeout", 1, 1);
	resends__want(e, f);
	counter__want(e, "TcpExtTW", 0, 0);
}

/*
 * The scripted peer's scenarios (lab/scenario_peer.c): one kernel end, "client", whose
 * FINs' numbers are those the first FIN each way carried on the wire (none if none), and
 * which made no restart of TIME_WAIT unless the script asked for one.
 */
/* fin_seq and fin_ack (field, field + 1): the first FIN from port from to port to */
static void fin__want(struct check_end *x, enum check_field field, const struct check_facts *f,
		      unsigned short from, unsigned short to)
{
	__u32 seq = 0, ack = 0;
	bool seen = check_wire__first_fin(f->wire, f->res->family, from, to, &seq, &ack);

	want__num(x, field, seen ? seq : CHECK_NO_FIN, seen ? seq : CHECK_NO_FIN);
	want__num(x, field + 1, seen ? ack : CHECK_NO_FIN, seen ? ack : CHECK_NO_FIN);
}

static struct check_end *scripted__end(struct check_expect *e, const struct check_facts *f,
				       const char *role, const char *cause,
				       const char *rst_reason, const char *states,
				       const char *tw_end)
{
	struct check_end *x = end__add(e, f, 0, false);

	end__ended(x, role, cause, rst_reason, states, tw_end);
	want__num(x, CHECK_TW_RESTARTS, 0, 0);
	resends__want(e, f);
	if (f->wire) {
		fin__want(x, CHECK_FIN_SEQ, f, x->lport, x->rport);
		fin__want(x, CHECK_PEER_FIN_SEQ, f, x->rport, x->lport);
	}
	return x;
}

/* data to an orphan: the kernel resets it (RFC 1122), the counter says why; no TIME_WAIT */
static void data__abort(struct check_expect *e, const struct check_facts *f, const char *states)
{
	scripted__end(e, f, "aborted", "rst_sent", "data_after_close", states, "-");
	counter__want(e, "TcpExtTCPAbortOnData", 1, 1);
	counter__want(e, "TcpOutRsts", 1, 1);
	counter__want(e, "TcpExtTW", 0, 0);
}

static void expect__data_after_close(struct check_expect *e, const struct check_facts *f)
{
	data__abort(e, f, "FIN_WAIT1");
}

static void expect__data_acks_fin(struct check_expect *e, const struct check_facts *f)
{
	data__abort(e, f, "FIN_WAIT1,FIN_WAIT2");
}

/*
 * Each FIN the peer resent into TIME_WAIT restarts its timer. The tracepoint backend sees
 * a restart only when the timer moves to another bucket of its wheel, and merges the silent
 * ones it finds later (docs/LIMITS.md): at least one, at most the resends; the others see
 * each. When the last one came is judged by the wire (check_wire.c).
 */
static void expect__tw_restart(struct check_expect *e, const struct check_facts *f)
{
	struct check_end *x = scripted__end(e, f, "active", "normal", "-",
					    "FIN_WAIT1,FIN_WAIT2,TIME_WAIT", "purged");
	int resends = f->wire ? check_wire__fins(f->wire, f->res->family, x->rport, x->lport) - 1 :
				0;

	want__num(x, CHECK_TW_RESTARTS, f->wire && f->wire->rearm_blind && resends ? 1 : resends,
		  resends);
	counter__want(e, "TcpExtTW", 1, 1);
}

static void expect__fins_crossed(struct check_expect *e, const struct check_facts *f)
{
	scripted__end(e, f, "simultaneous", "normal", "-", "FIN_WAIT1,CLOSING,TIME_WAIT",
		      "purged");
	counter__want(e, "TcpExtTW", 1, 1);
}

/* fin_reordered and shutdown_close: an active close, the FINs' numbers are what is at stake */
static void expect__scripted_active(struct check_expect *e, const struct check_facts *f)
{
	scripted__end(e, f, "active", "normal", "-", "FIN_WAIT1,FIN_WAIT2,TIME_WAIT", "purged");
	counter__want(e, "TcpExtTW", 1, 1);
}

static const struct check_scenario scenarios[] = {
	{ "active", false, 120, expect__active },
	{ "active6", false, 120, expect__active },
	{ "passive", false, 120, expect__passive },
	{ "halfclose", false, 120, expect__halfclose },
	{ "fin_data", false, 120, expect__fin_data },
	{ "simultaneous", false, 180, expect__simultaneous },
	{ "unread", false, 120, expect__unread },
	{ "linger0", false, 120, expect__linger0 },
	{ "peer_reset", false, 120, expect__peer_reset },
	{ "listener_close", false, 120, expect__listener_close },
	{ "fin_drop", false, 120, expect__fin_drop },
	{ "lastack_drop", false, 120, expect__lastack_drop },
	{ "tw_expire", true, 240, expect__tw_expire },
	{ "tw_reused", false, 120, expect__tw_reused },
	{ "tw_reused_cpu", false, 120, expect__tw_reused },
	{ "tw_rst", false, 120, expect__tw_rst },
	{ "tw_syn", false, 120, expect__tw_syn },
	{ "tw_purged", false, 120, expect__tw_purged },
	{ "tw_overflow", false, 120, expect__tw_overflow },
	{ "keepalive", true, 180, expect__keepalive },
	{ "user_timeout", true, 180, expect__user_timeout },
	{ "retrans_timeout", true, 180, expect__retrans_timeout },
	{ "fin_wait2_timeout", true, 180, expect__fin_wait2_timeout },
	{ "orphan_retries", true, 180, expect__orphan_retries },
	{ "data_after_close", false, 120, expect__data_after_close },
	{ "data_acks_fin", false, 120, expect__data_acks_fin },
	{ "tw_restart", false, 120, expect__tw_restart },
	{ "fins_crossed", false, 120, expect__fins_crossed },
	{ "fin_reordered", false, 120, expect__scripted_active },
	{ "shutdown_close", false, 120, expect__scripted_active },
};

const struct check_scenario *check_expect__scenario(int i)
{
	if (i < 0 || (size_t)i >= sizeof(scenarios) / sizeof(scenarios[0]))
		return NULL;
	return &scenarios[i];
}

const struct check_scenario *check_expect__find(const char *name)
{
	const struct check_scenario *sc;

	for (int i = 0; (sc = check_expect__scenario(i)); i++)
		if (!strcmp(sc->name, name))
			return sc;
	return NULL;
}

/*
 * Kernels that count TcpExtTW when the timer expires (5.10: inet_twsk_schedule() notes
 * tw_kill, tw_timer_handler() counts) count only the timewait sockets that expired in
 * TIME_WAIT, which the scenarios expect their ends to say; one killed early counts nowhere.
 * TcpExtTWKilled needs nothing: the scenarios' short timers expire before they end.
 */
static void tw__counted_at_expiry(struct check_expect *e)
{
	const char *tw = "TIME_WAIT";
	int expired = 0;

	for (int i = 0; i < e->nr_ends; i++) {
		const struct check_end *x = &e->ends[i];
		const char *states = x->want[CHECK_STATES].name;
		size_t n = strlen(states);

		if (!strcmp(x->want[CHECK_TW_END].name, "expired") && n >= strlen(tw) &&
		    !strcmp(states + n - strlen(tw), tw))
			expired++;
	}
	for (int i = 0; i < e->nr_counters; i++) {
		if (strcmp(e->counters[i].name, "TcpExtTW"))
			continue;
		e->counters[i].want.lo = expired;
		e->counters[i].want.hi = expired;
	}
}

void check_expect__build(struct check_expect *e, const struct check_scenario *sc,
			 const struct check_facts *f)
{
	memset(e, 0, sizeof(*e));
	e->scenario = sc->name;
	/* by default every record of the namespace belongs to an end, and every resend comes
	 * when the retransmit timer allows */
	e->extra.set = true;
	e->timers.rto = true;
	/* end_ms (--expect, -v) counts from when what the scenario's timers time began */
	e->mark_ns = f->res->mark_ns;
	sc->expect(e, f);
	if (f->tw_at_expiry)
		tw__counted_at_expiry(e);
}
