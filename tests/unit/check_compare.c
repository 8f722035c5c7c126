// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tcpclose check's comparison: what matches, how each kind of difference reads, which record
 * each end claims, and what --expect accepts.
 */
#include <errno.h>
#include <math.h>
#include <sys/socket.h>
#include "check_expect.h"
#include "test.h"

#define CPORT 40000
#define SPORT 5000

struct fixture {
	struct scenario_result res;
	struct nstat_entry counters[4];
	struct nstat delta;
	struct check_facts facts;
	struct check_expect e;
	struct tcpc_conn recs[4];
	struct check_diffs d;
};

static void rec__states(struct tcpc_conn *rec, const enum tcpc_state *s, const double *ms, int n)
{
	memset(rec->order, TCPC_NOT_CLOSING, sizeof(rec->order));
	for (int i = 0; i < n; i++) {
		rec->order[i] = s[i];
		rec->visited |= 1 << s[i];
		rec->dwell_ns[s[i]] = ms[i] * 1e6;
	}
}

/* the "active" scenario as it goes right: client active and purged, server passive */
static void fixture__active(struct fixture *x)
{
	static const enum tcpc_state cs[] = { TCPC_FIN_WAIT1, TCPC_FIN_WAIT2, TCPC_TIME_WAIT };
	static const enum tcpc_state ss[] = { TCPC_CLOSE_WAIT, TCPC_LAST_ACK };
	static const double cms[] = { 40, 160, 30 }, sms[] = { 200.2, 0.1 };

	memset(x, 0, sizeof(*x));
	x->res.delay_ms = 200;
	x->res.nconns = 1;
	x->res.conns[0].cport = CPORT;
	x->res.conns[0].sport = SPORT;
	snprintf(x->res.client.comm, sizeof(x->res.client.comm), "closegen-cli");
	snprintf(x->res.server.comm, sizeof(x->res.server.comm), "closegen-srv");
	snprintf(x->counters[0].name, sizeof(x->counters[0].name), "TcpExtTW");
	x->counters[0].value = 1;
	x->delta.v = x->counters;
	x->delta.n = 1;
	x->facts = (struct check_facts){ .res = &x->res, .delta = &x->delta, .hz = 250 };
	check_expect__build(&x->e, check_expect__find("active"), &x->facts);

	x->recs[0] = (struct tcpc_conn){ .type = TCPC_EV_CLOSE, .family = AF_INET,
		.role = TCPC_ROLE_ACTIVE, .tw_end = TCPC_TW_PURGED, .sport = CPORT, .dport = SPORT };
	rec__states(&x->recs[0], cs, cms, 3);
	snprintf(x->recs[0].comm, sizeof(x->recs[0].comm), "closegen-cli");
	x->recs[1] = (struct tcpc_conn){ .type = TCPC_EV_CLOSE, .family = AF_INET,
		.role = TCPC_ROLE_PASSIVE, .sport = SPORT, .dport = CPORT };
	rec__states(&x->recs[1], ss, sms, 2);
	snprintf(x->recs[1].comm, sizeof(x->recs[1].comm), "closegen-srv");
}

static int fixture__compare(struct fixture *x, int nrecs)
{
	int n = check_expect__compare(&x->e, x->recs, nrecs, &x->delta, NULL, &x->d);

	for (int i = 0; i < x->d.n; i++)
		test__log("difference: %s", x->d.line[i]);
	return n;
}

void test_check_compare_match(void)
{
	struct fixture x;

	fixture__active(&x);
	ASSERT_EQ(x.e.nr_ends, 2, "active has two ends");
	ASSERT_STREQ(x.e.ends[0].name, "client", "first end");
	ASSERT_EQ(x.e.ends[1].lport, SPORT, "the server's local port");
	ASSERT_EQ(fixture__compare(&x, 2), 0, "a run as designed differs in nothing");
	/* the records may come in any order */
	x.recs[2] = x.recs[0];
	x.recs[0] = x.recs[1];
	x.recs[1] = x.recs[2];
	ASSERT_EQ(fixture__compare(&x, 2), 0, "server's record first");
}

void test_check_compare_names_field(void)
{
	struct fixture x;

	fixture__active(&x);
	x.recs[0].role = TCPC_ROLE_PASSIVE;
	ASSERT_EQ(fixture__compare(&x, 2), 1, "one difference");
	ASSERT_STREQ(x.d.line[0], "client.role: got passive, want active", "how it reads");

	fixture__active(&x);
	x.recs[0].tw_end = TCPC_TW_NONE;
	x.recs[1].rst_reason = TCPC_RST_LINGER0;
	fixture__compare(&x, 2);
	ASSERT_STREQ(x.d.line[0], "client.tw_end: got -, want purged", "none reads as -");
	ASSERT_STREQ(x.d.line[1], "server.rst_reason: got linger0, want -", "a reason not wanted");
}

/* the process a record names: the end's own, or "-" when it names none */
void test_check_compare_comm(void)
{
	struct fixture x;

	fixture__active(&x);
	x.recs[1].comm[0] = '\0';
	ASSERT_EQ(fixture__compare(&x, 2), 1, "one difference");
	ASSERT_STREQ(x.d.line[0], "server.comm: got -, want closegen-srv", "how it reads");
	snprintf(x.recs[1].comm, sizeof(x.recs[1].comm), "closegen-cli");
	fixture__compare(&x, 2);
	ASSERT_STREQ(x.d.line[0], "server.comm: got closegen-cli, want closegen-srv",
		     "the peer's process");
}

void test_check_compare_durations(void)
{
	struct fixture x;

	fixture__active(&x);
	/* CLOSE_WAIT: the server waited 200 ms after EOF before it closed; how much longer is
	 * the host's, which the wire judges (check_wire) */
	x.recs[1].dwell_ns[TCPC_CLOSE_WAIT] = 150e6;
	fixture__compare(&x, 2);
	ASSERT_STREQ(x.d.line[0], "server.CLOSE_WAIT: got 150.0 ms, want at least 200.0 ms",
		     "too short");
	x.recs[1].dwell_ns[TCPC_CLOSE_WAIT] = 200e6;
	ASSERT_EQ(fixture__compare(&x, 2), 0, "the bound holds");
	x.recs[1].dwell_ns[TCPC_CLOSE_WAIT] = 5000e6;
	ASSERT_EQ(fixture__compare(&x, 2), 0, "no upper bound from a model");

	/* a state that must be timed but was not visited */
	fixture__active(&x);
	x.recs[1].visited = 1 << TCPC_LAST_ACK;
	x.recs[1].order[0] = TCPC_LAST_ACK;
	x.recs[1].order[1] = TCPC_NOT_CLOSING;
	fixture__compare(&x, 2);
	ASSERT_STREQ(x.d.line[0], "server.states: got LAST_ACK, want CLOSE_WAIT,LAST_ACK",
		     "states");
	ASSERT_STREQ(x.d.line[1], "server.CLOSE_WAIT: got not visited, want at least 200.0 ms",
		     "its dwell");
}

void test_check_compare_missing_extra_counters(void)
{
	struct fixture x;

	fixture__active(&x);
	ASSERT_EQ(fixture__compare(&x, 1), 1, "the server's record missing");
	ASSERT_STREQ(x.d.line[0], "server: no close record (local port 5000, remote port 40000)",
		     "missing");

	fixture__active(&x);
	x.recs[2] = x.recs[1];
	x.recs[2].sport = 7;
	ASSERT_EQ(fixture__compare(&x, 3), 2, "one record too many: the count and the record");
	ASSERT_STREQ(x.d.line[0], "extra: got 1 records no end claims, want 0", "extra");
	ASSERT_TRUE(strstr(x.d.line[1], "extra: 7>40000 closegen-srv passive normal") == x.d.line[1],
		    "what it was");

	fixture__active(&x);
	x.counters[0].value = 0;
	fixture__compare(&x, 2);
	ASSERT_STREQ(x.d.line[0], "TcpExtTW: got 0, want 1", "a counter");
}

/* connect() reused the 4-tuple: both connections' records have the same ports */
void test_check_compare_same_ports(void)
{
	struct fixture x;

	fixture__active(&x);
	x.res.nconns = 2;
	x.res.conns[1] = x.res.conns[0];
	x.counters[0].value = 2;
	snprintf(x.counters[1].name, sizeof(x.counters[1].name), "TcpExtTWRecycled");
	x.counters[1].value = 1;
	x.delta.n = 2;
	check_expect__build(&x.e, check_expect__find("tw_reused"), &x.facts);
	x.recs[0].tw_end = TCPC_TW_REUSED;
	x.recs[2] = x.recs[0];
	x.recs[2].tw_end = TCPC_TW_PURGED;
	x.recs[3] = x.recs[1];
	x.recs[2].start_ns = x.recs[3].start_ns = 5000;
	ASSERT_EQ(fixture__compare(&x, 4), 0, "the first record is the first connection's");
	x.recs[2].tw_end = TCPC_TW_REUSED;
	x.recs[0].tw_end = TCPC_TW_PURGED;
	fixture__compare(&x, 4);
	ASSERT_STREQ(x.d.line[0], "client.tw_end: got purged, want reused",
		     "claimed by when they began to close");
	ASSERT_STREQ(x.d.line[1], "client2.tw_end: got reused, want purged", "the second");
	/* arrived in the other order (a reused TIME_WAIT settled late): the same claims */
	x.recs[0].start_ns = 5000;
	x.recs[2].start_ns = 0;
	ASSERT_EQ(fixture__compare(&x, 4), 0, "the earlier to close is the first connection's");
}

static int override(struct check_expect *e, const char *path, const char *value, char *err)
{
	return check_expect__override(e, path, value, err, 256);
}

void test_check_expect_override(void)
{
	struct fixture x;
	char err[256] = "";

	fixture__active(&x);
	ASSERT_OK(override(&x.e, "client.role", "passive", err), "a name");
	ASSERT_STREQ(x.e.ends[0].want[CHECK_ROLE].name, "passive", "set");
	ASSERT_OK(override(&x.e, "server.CLOSE_WAIT", "10..20", err), "a range of ms");
	ASSERT_EQ(x.e.ends[1].want[CHECK_DWELL + TCPC_CLOSE_WAIT].hi, 20, "its upper end");
	ASSERT_OK(override(&x.e, "client.TIME_WAIT", "100..", err), "no upper end");
	ASSERT_TRUE(isinf(x.e.ends[0].want[CHECK_DWELL + TCPC_TIME_WAIT].hi), "infinite");
	ASSERT_OK(override(&x.e, "client.states", "FIN_WAIT1,CLOSING,TIME_WAIT", err), "states");
	ASSERT_OK(override(&x.e, "server.tw_end", "-", err), "none");
	ASSERT_OK(override(&x.e, "TcpExtTW", "2", err), "a counter it checks");
	ASSERT_EQ(x.e.counters[0].want.lo, 2, "changed");
	ASSERT_OK(override(&x.e, "TcpExtTWKilled", "0", err), "a counter it did not check");
	ASSERT_STREQ(x.e.counters[x.e.nr_counters - 1].name, "TcpExtTWKilled", "added");
	ASSERT_OK(override(&x.e, "extra", "*", err), "extra not checked");
	ASSERT_FALSE(x.e.extra.set, "unset");

	ASSERT_EQ(override(&x.e, "client.role", "bogus", err), -EINVAL, "an unknown role");
	ASSERT_TRUE(strstr(err, "'bogus' is not a value of role") != NULL, err);
	ASSERT_EQ(override(&x.e, "peer.role", "active", err), -EINVAL, "an unknown end");
	ASSERT_STREQ(err, "scenario 'active' has no end 'peer' (its ends: client, server)", "says");
	ASSERT_EQ(override(&x.e, "client.colour", "1", err), -EINVAL, "an unknown field");
	ASSERT_EQ(override(&x.e, "client.fin_retrans", "1.5.", err), -EINVAL, "not a number");
	ASSERT_EQ(override(&x.e, "client.fin_retrans", "3..1", err), -EINVAL,
		  "a range upside down");
	ASSERT_EQ(override(&x.e, "client.states", "FIN_WAIT1,", err), -EINVAL, "a trailing comma");
	ASSERT_EQ(override(&x.e, "lower", "1", err), -EINVAL, "not a counter name");
}

/* end_ms counts from the scenario's mark: --expect SCENARIO.END.end_ms means what it says */
void test_check_compare_end_ms(void)
{
	struct fixture x;
	char err[256];

	fixture__active(&x);
	x.res.mark_ns = 1000000000ULL;
	check_expect__build(&x.e, check_expect__find("active"), &x.facts);
	ASSERT_EQ(x.e.mark_ns, 1000000000ULL, "the mark");
	x.recs[0].end_ns = 1250000000ULL;
	ASSERT_OK(check_expect__override(&x.e, "client.end_ms", "240..260", err, sizeof(err)),
		  "expect end_ms");
	ASSERT_EQ(fixture__compare(&x, 2), 0, "250 ms after the mark");
	ASSERT_OK(check_expect__override(&x.e, "client.end_ms", "0..100", err, sizeof(err)),
		  "expect end_ms");
	ASSERT_EQ(fixture__compare(&x, 2), 1, "not within 100 ms");
}

/* the FINs' numbers: a number when the record has that FIN, none (-1) when it has not */
void test_check_compare_fins(void)
{
	struct fixture x;
	char err[256];

	fixture__active(&x);
	x.recs[0].flags = TCPC_F_OUR_FIN;
	x.recs[0].fin_seq = 4000000000u;
	x.recs[0].fin_ack = 7;
	ASSERT_OK(override(&x.e, "client.fin_seq", "4000000000", err), "expect fin_seq");
	ASSERT_OK(override(&x.e, "client.fin_ack", "7", err), "expect fin_ack");
	ASSERT_OK(override(&x.e, "client.peer_fin_ack", "-1", err), "expect no peer FIN");
	ASSERT_OK(override(&x.e, "client.tw_restarts", "0", err), "expect no restart");
	ASSERT_EQ(fixture__compare(&x, 2), 0, "our FIN's numbers, and no peer FIN");
	x.recs[0].flags |= TCPC_F_PEER_FIN;
	x.recs[0].peer_fin_ack = 9;
	ASSERT_EQ(fixture__compare(&x, 2), 1, "a peer FIN the wire did not show");
	ASSERT_STREQ(x.d.line[0], "client.peer_fin_ack: got 9, want none", "how it reads");
	x.recs[0].flags = 0;
	ASSERT_EQ(fixture__compare(&x, 2), 2, "no FIN where the wire showed one");
	ASSERT_STREQ(x.d.line[0], "client.fin_seq: got none, want 4000000000", "how it reads");
}

/* a kernel that counts TcpExtTW at expiry (5.10) counts no TIME_WAIT that was cut short */
void test_check_expect_tw_at_expiry(void)
{
	struct fixture x;

	fixture__active(&x);
	ASSERT_EQ(x.e.counters[0].want.lo, 1, "counted when armed: the purged one counts");
	x.facts.tw_at_expiry = true;
	check_expect__build(&x.e, check_expect__find("active"), &x.facts);
	ASSERT_STREQ(x.e.counters[0].name, "TcpExtTW", "the counter");
	ASSERT_EQ(x.e.counters[0].want.hi, 0, "counted at expiry: the purged one does not");
	check_expect__build(&x.e, check_expect__find("tw_expire"), &x.facts);
	ASSERT_EQ(x.e.counters[0].want.lo, 1, "the one that expired in TIME_WAIT does");
	check_expect__build(&x.e, check_expect__find("fin_wait2_timeout"), &x.facts);
	for (int i = 0; i < x.e.nr_counters; i++)
		if (!strcmp(x.e.counters[i].name, "TcpExtTW"))
			ASSERT_EQ(x.e.counters[i].want.hi, 0, "one expired in FIN_WAIT2 does not");
}
