// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * port_limits and port_pressure: the ports connect() may pick in a namespace, and the
 * count per destination of those held, fed sockets as the tcpc_iter walk writes them.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/tcp.h>
#include "metrics.h"
#include "port_pressure.h"
#include "test.h"

#define NETNS 4026531840U
#define SEC 1000000000ULL

void test_port_limits_parse(void)
{
	struct port_limits pl = { .lo = 40000, .hi = 40039 };
	__u16 lo, hi;

	ASSERT_TRUE(port_limits__parse_range("32768\t60999\n", &lo, &hi), "the default range");
	ASSERT_EQ(lo, 32768, "lo");
	ASSERT_EQ(hi, 60999, "hi");
	ASSERT_FALSE(port_limits__parse_range("61000 32768\n", &lo, &hi), "reversed");
	ASSERT_FALSE(port_limits__parse_range("1024 70000\n", &lo, &hi), "past 65535");
	ASSERT_FALSE(port_limits__parse_range("1024\n", &lo, &hi), "one number");

	ASSERT_OK(port_limits__parse_reserved(&pl, "\n"), "none reserved");
	ASSERT_EQ(pl.nreserved, 0, "none reserved");
	ASSERT_EQ(port_limits__range(&pl), 40, "an even range: all of it");
	ASSERT_OK(port_limits__parse_reserved(&pl, "8080,40010-40014,40039\n"), "reserved");
	ASSERT_EQ(pl.nreserved, 3, "three spans");
	ASSERT_EQ(port_limits__range(&pl), 40 - 5 - 1, "less the reserved in the range");
	ASSERT_FALSE(port_limits__usable(&pl, 40012), "a reserved port");
	ASSERT_TRUE(port_limits__usable(&pl, 40015), "past the reserved span");
	ASSERT_FALSE(port_limits__usable(&pl, 39999), "below the range");
	ASSERT_TRUE(port_limits__parse_reserved(&pl, "1-x\n") < 0, "junk");
	port_limits__free(&pl);

	/* connect() scans an even count, missing one port of an odd range each time */
	pl = (struct port_limits){ .lo = 40000, .hi = 40040 };
	ASSERT_EQ(port_limits__range(&pl), 40, "an odd range of 41: 40 always tried");
	ASSERT_TRUE(port_limits__usable(&pl, 40040), "the last of an odd range, held, counts");
	ASSERT_FALSE(port_limits__usable(&pl, 40041), "past it");
}

/* a socket 10.0.0.1:sport -> 10.0.0.2:80 (or from 127.0.0.1 if lo) */
static struct tcpc_port sock(__u16 sport, int state, bool tw, __u32 age_ms, bool lo)
{
	struct tcpc_port s = {
		.family = AF_INET, .state = state, .sport = sport, .dport = 80, .netns = NETNS,
		.flags = tw ? TCPC_PORT_TW | TCPC_PORT_TS : 0, .tw_age_ms = age_ms,
		.saddr = { 10, 0, 0, 1 }, .daddr = { 10, 0, 0, 2 },
	};

	if (lo) {
		s.saddr[0] = s.daddr[0] = 127;
		s.saddr[3] = s.daddr[3] = 1;
	}
	return s;
}

static struct port_limits limits(__u8 tw_reuse)
{
	return (struct port_limits){ .netns = NETNS, .lo = 40000, .hi = 40009,
				     .tw_reuse = tw_reuse, .tw_reuse_delay_ms = 1000 };
}

void test_port_pressure_count(void)
{
	struct port_limits pl = limits(0);
	struct port_pressure *pp = port_pressure__new(0.8);
	const struct pp_tuple *t[4];
	struct tcpc_port s[8];
	int n = 0;

	if (!ASSERT_NOT_NULL(pp, "new"))
		return;
	s[n++] = sock(40000, TCP_ESTABLISHED, false, 0, false);
	s[n++] = sock(40001, TCP_SYN_SENT, false, 0, false);
	s[n++] = sock(40002, TCP_TIME_WAIT, true, 5000, false);
	s[n++] = sock(40003, TCP_FIN_WAIT2, true, 5000, false);
	s[n++] = sock(39000, TCP_ESTABLISHED, false, 0, false);	/* bound by hand */
	s[n] = sock(40004, TCP_ESTABLISHED, false, 0, false);
	s[n++].dport = 443;						/* another tuple */
	s[n] = sock(40005, TCP_ESTABLISHED, false, 0, false);
	s[n++].netns = NETNS + 1;					/* unwalked namespace */
	ASSERT_OK(port_pressure__update(pp, s, n, &pl, 1, 0, SEC), "update");
	ASSERT_EQ(port_pressure__top(pp, t, 4), 2, "two tuples");
	ASSERT_EQ(t[0]->key.dport, 80, "the worst first");
	ASSERT_EQ(t[0]->held, 4, "every state holding a port in the range");
	ASSERT_EQ(t[0]->reusable, 0, "tcp_tw_reuse=0: none reusable");
	ASSERT_EQ(t[0]->range, 10, "range");
	ASSERT_NEAR(t[0]->ratio, 0.4, 1e-9, "ratio");
	ASSERT_FALSE(t[0]->rate_known, "one walk: no rate");
	ASSERT_EQ(t[1]->held, 1, "the other tuple");
	ASSERT_EQ(port_pressure__due(pp, t, 4), 0, "nothing over 80%");
	port_pressure__free(pp);
}

/* tcp_tw_reuse: 1 everywhere, 2 on loopback; TIME_WAIT only, past the delay, timestamps */
void test_port_pressure_tw_reuse(void)
{
	static const struct {
		__u8 reuse;
		bool lo;
		int want;
	} cases[] = { { 0, true, 0 }, { 1, false, 2 }, { 2, false, 0 }, { 2, true, 2 } };
	const struct pp_tuple *t[1];
	struct tcpc_port s[5];
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct port_limits pl = limits(cases[i].reuse);
		struct port_pressure *pp = port_pressure__new(0.8);
		char what[64];

		s[0] = sock(40000, TCP_TIME_WAIT, true, 1001, cases[i].lo);
		s[1] = sock(40001, TCP_TIME_WAIT, true, 30000, cases[i].lo);
		s[2] = sock(40002, TCP_TIME_WAIT, true, 1000, cases[i].lo);	/* not past it */
		s[3] = sock(40003, TCP_FIN_WAIT2, true, 30000, cases[i].lo);	/* substate */
		s[4] = sock(40004, TCP_TIME_WAIT, true, 30000, cases[i].lo);
		s[4].flags &= ~TCPC_PORT_TS;					/* no timestamps */
		if (!ASSERT_NOT_NULL(pp, "new"))
			return;
		ASSERT_OK(port_pressure__update(pp, s, 5, &pl, 1, 0, SEC), "update");
		snprintf(what, sizeof(what), "tcp_tw_reuse=%u %s: reusable", cases[i].reuse,
			 cases[i].lo ? "loopback" : "10/8");
		if (ASSERT_EQ(port_pressure__top(pp, t, 1), 1, "one tuple")) {
			ASSERT_EQ(t[0]->reusable, cases[i].want, what);
			ASSERT_EQ(t[0]->held, 5, "held, reusable or not");
		}
		port_pressure__free(pp);
	}
}

/* a tuple growing by 2 ports a second: its rate, time left, and warnings */
void test_port_pressure_rate_warnings(void)
{
	struct port_limits pl = limits(0);
	struct port_pressure *pp = port_pressure__new(0.8);
	const struct pp_tuple *t[2];
	struct tcpc_port s[10];
	int w, due[10] = {};

	if (!ASSERT_NOT_NULL(pp, "new"))
		return;
	for (w = 0; w < 5; w++) {
		s[2 * w] = sock(40000 + 2 * w, TCP_TIME_WAIT, true, 0, false);
		s[2 * w + 1] = sock(40001 + 2 * w, TCP_ESTABLISHED, false, 0, false);
		ASSERT_OK(port_pressure__update(pp, s, 2 * w + 2, &pl, 1, w * SEC, w * SEC + 1),
			  "update");
		due[w] = port_pressure__due(pp, t, 2);
	}
	ASSERT_EQ(port_pressure__top(pp, t, 2), 1, "one tuple");
	ASSERT_TRUE(t[0]->rate_known, "rate known");
	ASSERT_NEAR(t[0]->rate, 2, 1e-6, "ports a second");
	ASSERT_NEAR(t[0]->secs_left, 0, 1e-9, "none left");
	ASSERT_EQ(due[2], 0, "60%: no warning");
	ASSERT_EQ(due[3], 1, "80%: warned when it got there");
	ASSERT_EQ(due[4], 0, "still over: not again within 10 s");
	/* 10 s on, still over: again; then below, then over: at once */
	ASSERT_OK(port_pressure__update(pp, s, 10, &pl, 1, 14 * SEC, 14 * SEC + 1), "update");
	ASSERT_EQ(port_pressure__due(pp, t, 2), 1, "again after 10 s");
	ASSERT_OK(port_pressure__update(pp, s, 7, &pl, 1, 15 * SEC, 15 * SEC + 1), "update");
	ASSERT_EQ(port_pressure__due(pp, t, 2), 0, "70%");
	ASSERT_OK(port_pressure__update(pp, s, 8, &pl, 1, 16 * SEC, 16 * SEC + 1), "update");
	ASSERT_EQ(port_pressure__due(pp, t, 2), 1, "over again: warned again");
	ASSERT_EQ(port_pressure__top(pp, t, 2), 1, "one tuple");
	ASSERT_TRUE(t[0]->rate_known, "rate known");
	/* from 10 at 14 s (the oldest walk of the last 10 s) to 8 at 16 s */
	ASSERT_NEAR(t[0]->rate, -1, 1e-6, "shrinking");
	ASSERT_TRUE(t[0]->secs_left < 0, "not growing: no time left given");
	port_pressure__free(pp);
}

/* however many tuples, PP_MAX_TRACKED are kept, the worst */
void test_port_pressure_bounded(void)
{
	int n = PP_MAX_TRACKED + 100, got;
	struct port_limits pl = { .netns = NETNS, .lo = 1024, .hi = 65535 };
	struct tcpc_port *s = calloc(n + 1, sizeof(*s));
	struct port_pressure *pp = port_pressure__new(0.8);
	const struct pp_tuple *t[1];

	if (!ASSERT_NOT_NULL(s, "sockets") || !ASSERT_NOT_NULL(pp, "new"))
		goto out;
	for (int i = 0; i < n; i++) {
		s[i] = sock(1024 + i, TCP_ESTABLISHED, false, 0, false);
		s[i].dport = 1 + i;		/* a tuple each */
	}
	s[n] = sock(1024 + n, TCP_ESTABLISHED, false, 0, false);
	s[n].dport = 7;			/* the 7th has two */
	ASSERT_OK(port_pressure__update(pp, s, n + 1, &pl, 1, 0, SEC), "update");
	got = port_pressure__top(pp, t, 1);
	ASSERT_EQ(got, 1, "top 1");
	ASSERT_EQ(t[0]->key.dport, 7, "the worst");
	ASSERT_EQ(t[0]->held, 2, "its ports");
	{
		const struct pp_tuple **all = calloc(n, sizeof(*all));

		if (ASSERT_NOT_NULL(all, "all"))
			ASSERT_EQ(port_pressure__top(pp, all, n), PP_MAX_TRACKED, "kept");
		free(all);
	}
out:
	port_pressure__free(pp);
	free(s);
}

/* /metrics: the worst METRICS_PP_TOP tuples only, worst first, labelled by tuple */
void test_port_pressure_metrics(void)
{
	struct port_limits pl = { .netns = NETNS, .lo = 40000, .hi = 40099 };
	struct port_pressure *pp = port_pressure__new(0.8);
	const struct pp_tuple *t[METRICS_PP_TOP + 2];
	struct tcpc_port s[(METRICS_PP_TOP + 2) * 2];
	struct metrics m;
	int n = 0, got, lines = 0;
	char *text, *p;
	size_t len;

	if (!ASSERT_NOT_NULL(pp, "new"))
		return;
	/* tuple i (dport 1 + i) holds one port, but the first holds two */
	for (int i = 0; i < METRICS_PP_TOP + 2; i++) {
		s[n] = sock(40000 + i, TCP_ESTABLISHED, false, 0, false);
		s[n++].dport = 1 + i;
	}
	s[n++] = sock(40000 + METRICS_PP_TOP + 2, TCP_TIME_WAIT, true, 0, false);
	s[n - 1].dport = 1;
	metrics__init(&m);
	ASSERT_OK(port_pressure__update(pp, s, n, &pl, 1, 0, SEC), "update");
	got = port_pressure__top(pp, t, METRICS_PP_TOP + 2);
	ASSERT_EQ(got, METRICS_PP_TOP + 2, "every tuple");
	metrics__set_port_pressure(&m, t, got);
	text = metrics__render(&m, false, &len);
	if (!ASSERT_NOT_NULL(text, "render"))
		goto out;
	for (p = text; (p = strstr(p, "\ntcpclose_port_pressure_ratio{")); p++)
		lines++;
	ASSERT_EQ(lines, METRICS_PP_TOP, "ratio series: the worst 10 only");
	ASSERT_NOT_NULL(strstr(text, "\ntcpclose_port_pressure_ratio{netns=\"4026531840\","
				     "saddr=\"10.0.0.1\",daddr=\"10.0.0.2\",dport=\"1\"} 0.0200\n"),
			"the worst first, with its labels");
	ASSERT_NOT_NULL(strstr(text, "\ntcpclose_port_pressure_ports_held{netns=\"4026531840\","
				     "saddr=\"10.0.0.1\",daddr=\"10.0.0.2\",dport=\"1\"} 2\n"),
			"its ports held");
	free(text);
	/* a failed walk: none served, not stale ones */
	metrics__set_port_pressure(&m, NULL, 0);
	text = metrics__render(&m, false, &len);
	if (ASSERT_NOT_NULL(text, "render"))
		ASSERT_TRUE(!strstr(text, "tcpclose_port_pressure"), "nothing after a failed walk");
	free(text);
out:
	port_pressure__free(pp);
}
