// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * check_expect: what each scenario of tcpclose check must produce. Names and counts are
 * exact; durations are windows from the kernel's own rules (timing.c) at this kernel's HZ,
 * widened by the scheduling slack only where a process or softirq has to get a CPU first.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "check_expect.h"
#include "timing.h"

/* TCP_TIMEWAIT_LEN */
#define TW_LEN_MS 60000.0
/* how often the keepalive scenario polls for its first probe */
#define KA_POLL_MS 5.0

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

static void want__ms(struct check_end *x, enum tc_state s, double lo, double hi)
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
	/* a slow host's timers may resend a FIN; any resend sooner than a timer is wrong */
	x->fins_resent = f->res->untimed_resends ? 0 : server ? c->sfin_resends : c->cfin_resends;
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

/* an orderly close, the peer's FIN first: LAST_ACK lasts until loopback brings the ACK */
static struct check_end *end__passive(struct check_expect *e, const struct check_facts *f,
				      int i, bool server)
{
	struct check_end *x = end__add(e, f, i, server);

	end__ended(x, "passive", "normal", "-", "CLOSE_WAIT,LAST_ACK", "-");
	want__ms(x, TC_LAST_ACK, 0, f->slack_ms);
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

/* the peer's ACK of a FIN that reaches an application may wait for the delayed-ACK timer */
static double delack_ms(const struct check_facts *f)
{
	return timing__delack_max_ms(f->hz);
}

/* the retransmit schedule of a lone segment on loopback, with the kernel's default retries */
static struct timing_rto rto__default(const struct check_facts *f)
{
	return (struct timing_rto){ .hz = f->hz, .retries = 15 };
}

/* the same for the client's segment, from its RTO, RTT and loss state as it left */
static struct timing_rto rto__client(const struct check_facts *f, int retries)
{
	return (struct timing_rto){
		.hz = f->hz,
		.retries = retries,
		.rto_ms = f->res->rto_ms,
		.srtt_ms = f->res->srtt_ms,
		.ca_state = f->res->ca_state,
		.stale_ms = f->res->prior_ms,
	};
}

/* TcpRetransSegs: the resends the scenario times, and those a slow host made before */
static void resends__want(struct check_expect *e, const struct check_facts *f, int lo, int hi)
{
	counter__want(e, "TcpRetransSegs", f->res->prior_resends + lo, f->res->prior_resends + hi);
}

/*
 * An orderly close where one end (the server if server_first) closes first and the other
 * delay_ms after EOF; the first closer's TIME_WAIT is purged. Its FIN_WAIT1 lasts until the
 * peer's ACK, which the delayed-ACK timer may hold back.
 */
static void orderly__expect(struct check_expect *e, const struct check_facts *f,
			    bool server_first)
{
	struct check_end *first = end__active(e, f, 0, server_first, "purged");
	struct check_end *second = end__passive(e, f, 0, !server_first);

	want__ms(first, TC_FIN_WAIT1, 0, delack_ms(f) + f->slack_ms);
	want__ms(second, TC_CLOSE_WAIT, f->res->delay_ms, f->res->delay_ms + f->slack_ms);
	counter__want(e, "TcpExtTW", 1, 1);
	/* none, but what a slow host's timers resent */
	counter__want(e, "TcpRetransSegs", f->res->untimed_resends ? 0 : f->res->resends,
		      f->res->untimed_resends ? 0 : f->res->resends);
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
	want__ms(s, TC_CLOSE_WAIT, SCENARIO_HALFCLOSE_MS, SCENARIO_HALFCLOSE_MS + f->slack_ms);
	counter__want(e, "TcpExtTW", 1, 1);
}

static void expect__fin_data(struct check_expect *e, const struct check_facts *f)
{
	struct check_end *s;

	end__active(e, f, 0, false, "purged");
	s = end__passive(e, f, 0, true);
	want__ms(s, TC_CLOSE_WAIT, 0, f->slack_ms);
	counter__want(e, "TcpExtTW", 1, 1);
}

/*
 * Both FINs dropped once: each end's FIN_WAIT1 lasts until the peer's resent FIN arrives
 * (both first FINs leave in the same jiffy), CLOSING until its own is acknowledged, at once.
 */
static void simultaneous__end(struct check_expect *e, const struct check_facts *f, bool server)
{
	const struct scenario_side *me = server ? &f->res->server : &f->res->client;
	const struct scenario_side *peer = server ? &f->res->client : &f->res->server;
	struct timing_rto rto = rto__default(f);
	struct check_end *x = end__add(e, f, 0, server);
	double lo, hi, unused;

	end__ended(x, "simultaneous", "normal", "-", "FIN_WAIT1,CLOSING,TIME_WAIT", "purged");
	want__num(x, CHECK_FIN_RETRANS, me->fins - 1, me->fins - 1);
	timing__resend(&rto, 1, &lo, &unused);
	timing__resend(&rto, peer->fins - 1, &unused, &hi);
	want__ms(x, TC_FIN_WAIT1, lo - timing__jiffy_ms(f->hz), hi + f->slack_ms);
	want__ms(x, TC_CLOSING, 0, f->slack_ms);
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

/*
 * One segment dropped once (more under emulation: the scenario counts the FINs on the wire):
 * the sender's state lasts from its first FIN until the last resend is acknowledged.
 */
static void drop__window(const struct check_facts *f, bool client, int resends, double ack_ms,
			 double *lo, double *hi)
{
	struct timing_rto rto = client ? rto__client(f, 15) : rto__default(f);

	timing__resend(&rto, resends, lo, hi);
	*hi += ack_ms + f->slack_ms;
}

static void expect__fin_drop(struct check_expect *e, const struct check_facts *f)
{
	struct check_end *c = end__active(e, f, 0, false, "purged");
	int n = f->res->fin_retrans;
	double lo, hi;

	end__passive(e, f, 0, true);
	want__num(c, CHECK_FIN_RETRANS, n, n);
	/* the server is in request-reply mode: it delays its ACK of the resent FIN */
	drop__window(f, true, n, delack_ms(f), &lo, &hi);
	want__ms(c, TC_FIN_WAIT1, lo, hi);
	counter__want(e, "TcpExtTW", 1, 1);
	resends__want(e, f, n, n);
}

static void expect__lastack_drop(struct check_expect *e, const struct check_facts *f)
{
	struct check_end *s;
	int n = f->res->fin_retrans;
	double lo, hi;

	end__active(e, f, 0, false, "purged");
	s = end__passive(e, f, 0, true);
	want__num(s, CHECK_FIN_RETRANS, n, n);
	/* a timewait socket acknowledges the resent FIN at once */
	drop__window(f, false, n, 0, &lo, &hi);
	want__ms(s, TC_LAST_ACK, lo, hi);
	counter__want(e, "TcpExtTW", 1, 1);
	resends__want(e, f, n, n);
}

/* TIME_WAIT from the peer's FIN to the timer's firing: 2MSL, late by up to a granule */
static void expect__tw_expire(struct check_expect *e, const struct check_facts *f)
{
	struct check_end *c = end__active(e, f, 0, false, "expired");

	end__passive(e, f, 0, true);
	/* when it starts in an orphan's FIN_WAIT2, tcpclose reads it off a jiffies deadline */
	want__ms(c, TC_TIME_WAIT, TW_LEN_MS - timing__jiffy_ms(f->hz),
		 TW_LEN_MS + timing__late_ms(f->hz, TW_LEN_MS) + f->slack_ms);
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
 * keepalive: from the first probe (answered), the next comes max(idle, intvl) later, as the
 * idle time counts from the answer, then keepcnt unanswered ones intvl apart, and the timer
 * aborts at its next run: keepcnt + 2 arms of the timer, each late by up to a granule. The
 * mark is when the scenario saw the first probe counted, up to a poll (and a wake-up) late.
 */
static void expect__keepalive(struct check_expect *e, const struct check_facts *f)
{
	const struct scenario_settings *set = &f->res->set;
	struct check_end *c = end__aborted(e, f, false, "keepalive_timeout", "-", "-");
	double idle = set->keepalive_idle_s * 1e3, intvl = set->keepalive_intvl_s * 1e3;
	double first = idle > intvl ? idle : intvl, at = first + set->keepalive_cnt * intvl;
	long long probes = nstat__get(f->delta, "TcpExtTCPKeepAlive");

	end__aborted(e, f, true, "rst_received", "-", "-");
	want__num(c, CHECK_KA_PROBES, probes, probes);
	want__num(c, CHECK_KA_UNANSWERED, set->keepalive_cnt, set->keepalive_cnt);
	e->mark_ns = f->res->mark_ns;
	want__num(c, CHECK_END_MS, at - KA_POLL_MS - f->slack_ms,
		  at + (set->keepalive_cnt + 2) * timing__late_ms(f->hz, first) + f->slack_ms);
	counter__want(e, "TcpExtTCPKeepAlive", 1 + set->keepalive_cnt, 1 + set->keepalive_cnt);
	counter__want(e, "TcpExtTCPAbortOnTimeout", 1, 1);
}

/* data never acknowledged until TCP_USER_TIMEOUT or tcp_retries2 gives up: timing.c */
static void unacked__expect(struct check_expect *e, const struct check_facts *f,
			    const char *cause)
{
	const struct scenario_settings *set = &f->res->set;
	struct timing_rto rto = rto__client(f, set->retries ? set->retries : 15);
	struct check_end *c = end__aborted(e, f, false, cause, "-", "-");
	int resends_lo, resends_hi;
	double lo, hi;

	end__aborted(e, f, true, "rst_sent", "linger0", "-");
	rto.user_timeout_ms = set->user_timeout_ms;
	timing__give_up(&rto, &lo, &hi, &resends_lo, &resends_hi);
	e->mark_ns = f->res->mark_ns;
	want__num(c, CHECK_END_MS, lo, hi + f->slack_ms);
	counter__want(e, "TcpExtTCPAbortOnTimeout", 1, 1);
	resends__want(e, f, resends_lo, resends_hi);
}

static void expect__user_timeout(struct check_expect *e, const struct check_facts *f)
{
	unacked__expect(e, f, "user_timeout");
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
	want__ms(c, TC_FIN_WAIT2, tmo - timing__jiffy_ms(f->hz),
		 tmo + timing__late_ms(f->hz, tmo) + f->slack_ms);
	end__aborted(e, f, true, "rst_sent", "linger0", "CLOSE_WAIT");
	counter__want(e, "TcpExtTWKilled", 1, 1);
	counter__want(e, "TcpExtTW", 0, 0);
}

static void expect__orphan_retries(struct check_expect *e, const struct check_facts *f)
{
	struct timing_rto rto = rto__client(f, f->res->set.retries);
	struct check_end *c = end__aborted(e, f, false, "orphan_retries", "-", "FIN_WAIT1");
	int n = f->res->fin_retrans, resends_lo, resends_hi;
	double lo, hi;

	end__aborted(e, f, true, "rst_sent", "linger0", "CLOSE_WAIT");
	want__num(c, CHECK_FIN_RETRANS, n, n);
	timing__give_up(&rto, &lo, &hi, &resends_lo, &resends_hi);
	want__ms(c, TC_FIN_WAIT1, lo, hi + f->slack_ms);
	counter__want(e, "TcpExtTCPAbortOnTimeout", 1, 1);
	resends__want(e, f, resends_lo, resends_hi);
	counter__want(e, "TcpExtTW", 0, 0);
}

static const struct check_scenario scenarios[] = {
	{ "active", false, 60, expect__active },
	{ "active6", false, 60, expect__active },
	{ "passive", false, 60, expect__passive },
	{ "halfclose", false, 60, expect__halfclose },
	{ "fin_data", false, 60, expect__fin_data },
	{ "simultaneous", false, 90, expect__simultaneous },
	{ "unread", false, 60, expect__unread },
	{ "linger0", false, 60, expect__linger0 },
	{ "peer_reset", false, 60, expect__peer_reset },
	{ "listener_close", false, 60, expect__listener_close },
	{ "fin_drop", false, 60, expect__fin_drop },
	{ "lastack_drop", false, 60, expect__lastack_drop },
	{ "tw_expire", true, 150, expect__tw_expire },
	{ "tw_reused", false, 60, expect__tw_reused },
	{ "tw_rst", false, 60, expect__tw_rst },
	{ "tw_syn", false, 60, expect__tw_syn },
	{ "tw_purged", false, 60, expect__tw_purged },
	{ "tw_overflow", false, 60, expect__tw_overflow },
	{ "keepalive", true, 90, expect__keepalive },
	{ "user_timeout", true, 90, expect__user_timeout },
	{ "retrans_timeout", true, 90, expect__retrans_timeout },
	{ "fin_wait2_timeout", true, 90, expect__fin_wait2_timeout },
	{ "orphan_retries", true, 90, expect__orphan_retries },
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

void check_expect__build(struct check_expect *e, const struct check_scenario *sc,
			 const struct check_facts *f)
{
	memset(e, 0, sizeof(*e));
	e->scenario = sc->name;
	/* by default every record of the namespace belongs to an end */
	e->extra.set = true;
	sc->expect(e, f);
}
