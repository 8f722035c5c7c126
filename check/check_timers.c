// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * check_timers: lower bounds on when the kernel's timers may act, read off the capture
 * (check_timers.h). Times here are the capture's own (seconds); only differences are used.
 */
#include <stdio.h>
#include "check_timers.h"

/* TCP_RTO_MIN: HZ / 5 jiffies, 200 ms at any HZ */
#define RTO_MIN_S 0.2

static double jiffy_s(const struct wire_facts *f)
{
	return 1.0 / (f->hz ? f->hz : 100);
}

/*
 * How much sooner than its delay a timer may fire, as the clock reads it: a jiffy (it is
 * armed anywhere in one), and how late this run saw the tick (sswatch): a timer armed while
 * jiffies lag the clock is due by jiffies that the clock passed long before, and fires when
 * the tick catches up. An emulated guest's tick runs a hundred milliseconds late.
 */
static double timer_slack_s(const struct wire_facts *f)
{
	return jiffy_s(f) + (f->ss ? f->ss->worst_tick_lag_ns / 1e9 : 0);
}

static unsigned int seg__end(const struct tcp_seg *s)
{
	return s->seq + s->len + !!(s->flags & (TCP_SYN | TCP_FIN));
}

static bool seg__same_flow(const struct tcp_seg *a, const struct tcp_seg *b)
{
	return a->family == b->family && a->sport == b->sport && a->dport == b->dport;
}

/*
 * Resends of segment i (the first transmission of its sequence space): the kth resend comes
 * no sooner than RTO_MIN * (2^(k-1) - 1) after it. The first may be a tail-loss probe, at
 * any time; each one after is the retransmit timer's, which waits at least the RTO
 * (TCP_RTO_MIN or more), doubled at each resend, whether it counts from the segment's first
 * transmission or from the probe.
 */
static int rto__judge_one(const struct wire_facts *f, size_t i,
			  void (*diff)(void *ctx, const char *line), void *ctx)
{
	const struct tcp_seg *first = &f->segs[i];
	double want;
	char line[256];
	int k = 0, bad = 0;

	for (size_t j = i + 1; j < f->nsegs; j++) {
		const struct tcp_seg *s = &f->segs[j];

		if (!seg__same_flow(s, first))
			continue;
		if ((s->flags & TCP_SYN) && !(first->flags & TCP_SYN))
			break;	/* a new connection of the same ports */
		if (s->seq != first->seq || seg__end(s) != seg__end(first))
			continue;
		k++;
		want = RTO_MIN_S * ((1 << (k - 1)) - 1) - timer_slack_s(f);
		if (k >= 2 && s->ts - first->ts < want) {
			snprintf(line, sizeof(line),
				 "resends: %u>%u sent seq %u again (resend %d) %.1f ms after it first left, want at least %.1f ms (TCP_RTO_MIN backing off)",
				 first->sport, first->dport, first->seq, k,
				 (s->ts - first->ts) * 1e3, want * 1e3);
			diff(ctx, line);
			bad++;
		}
	}
	return bad;
}

static int rto__judge(const struct wire_facts *f, void (*diff)(void *ctx, const char *line),
		      void *ctx)
{
	int bad = 0;

	for (size_t i = 0; i < f->nsegs; i++) {
		const struct tcp_seg *s = &f->segs[i];
		bool earlier = false;

		/* an ACK or RST occupies nothing; a scripted peer resends when told, not on a timer */
		if (seg__end(s) == s->seq || s->scripted)
			continue;
		/* only from a segment's first transmission */
		for (size_t j = 0; j < i && !earlier; j++)
			earlier = seg__same_flow(&f->segs[j], s) && f->segs[j].seq == s->seq &&
				  seg__end(&f->segs[j]) == seg__end(s);
		if (!earlier)
			bad += rto__judge_one(f, i, diff, ctx);
	}
	return bad;
}

static void keepalive__diff(void (*diff)(void *ctx, const char *line), void *ctx,
			    const char *what, double got_s, double want_ms, const char *setting)
{
	char line[256];

	snprintf(line, sizeof(line), "keepalive: %s %.1f ms, want at least %.1f ms (%s)", what,
		 got_s * 1e3, want_ms, setting);
	diff(ctx, line);
}

/* a keepalive probe: an empty segment one below what the peer acknowledged last */
struct ka_scan {
	unsigned int acked;
	bool have_ack;
};

static bool ka__probe(struct ka_scan *k, const struct tcp_seg *s, unsigned short port)
{
	if (s->dport == port && (s->flags & TCP_ACK)) {
		k->acked = s->ack;
		k->have_ack = true;
	}
	return s->sport == port && k->have_ack && !s->len && s->seq == k->acked - 1 &&
	       !(s->flags & (TCP_SYN | TCP_FIN | TCP_RST));
}

int check_timers__keepalive_probes(const struct wire_facts *f, unsigned short port)
{
	struct ka_scan k = {};
	int n = 0;

	for (size_t i = 0; i < f->nsegs; i++)
		n += ka__probe(&k, &f->segs[i], port);
	return n;
}

/*
 * Keepalive probes of port. The first
 * comes tcp_keepalive_time after the peer was last heard from; each other one, and the reset
 * that gives up, at least tcp_keepalive_intvl after the probe before (after an answered one,
 * tcp_keepalive_time from the answer, but the scenarios drop the later answers on input,
 * where the capture still sees them: so only the first probe is judged by what was heard).
 */
static int keepalive__judge(const struct wire_facts *f, const struct check_timers *t,
			    void (*diff)(void *ctx, const char *line), void *ctx)
{
	double heard = 0, probe = 0, j = timer_slack_s(f);
	double idle = t->ka_idle_ms - j * 1e3, intvl = t->ka_intvl_ms - j * 1e3;
	struct ka_scan k = {};
	int bad = 0;

	for (size_t i = 0; i < f->nsegs; i++) {
		const struct tcp_seg *s = &f->segs[i];
		bool is_probe = ka__probe(&k, s, t->ka_port);

		if (s->dport == t->ka_port) {
			if (!probe)
				heard = s->rx_ts ? s->rx_ts : s->ts;
			continue;
		}
		if (s->sport != t->ka_port)
			continue;
		if (s->flags & TCP_RST) {
			if (probe && s->ts - probe < intvl / 1e3) {
				keepalive__diff(diff, ctx, "the reset came after the last probe by",
						s->ts - probe, intvl, "tcp_keepalive_intvl");
				bad++;
			}
			break;
		}
		if (!is_probe)
			continue;
		if (!probe && s->ts - heard < idle / 1e3) {
			keepalive__diff(diff, ctx, "the first probe came after the peer was last heard by",
					s->ts - heard, idle, "tcp_keepalive_time");
			bad++;
		}
		if (probe && s->ts - probe < intvl / 1e3) {
			keepalive__diff(diff, ctx, "a probe came after the one before by", s->ts - probe,
					intvl, "tcp_keepalive_intvl");
			bad++;
		}
		probe = s->ts;
	}
	return bad;
}

int check_timers__judge(const struct wire_facts *f, const struct check_timers *t,
			void (*diff)(void *ctx, const char *line), void *ctx)
{
	int bad = 0;

	if (t->rto)
		bad += rto__judge(f, diff, ctx);
	if (t->ka_port)
		bad += keepalive__judge(f, t, diff, ctx);
	return bad;
}
