// SPDX-License-Identifier: GPL-2.0
/*
 * timing: our clocks, and when the kernel's timers fire. The numbers come from the kernel's
 * own rules (kernel/time/timer.c, net/ipv4/tcp_timer.c) and its HZ; nothing here is measured.
 */
#include <errno.h>
#include <stdbool.h>
#include <time.h>
#include <netinet/tcp.h>
#include "timing.h"

#define TCP_RTO_MAX_MS 120000.0
#define RTO_MAX_RESENDS 64

double timing__now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

__u64 timing__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

void timing__sleep_ms(double ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = (time_t)(ms / 1e3);
	ts.tv_nsec = (long)((ms - ts.tv_sec * 1e3) * 1e6);
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * How late a timer armed delta jiffies ahead may fire, in jiffies (kernel/time/timer.c).
 * calc_wheel_index() puts it in level n, the first with delta < LVL_START(n + 1), that is
 * 63 << 3n jiffies, and calc_index() rounds its expiry up to the next multiple of that
 * level's granularity, 8^n jiffies: it fires 1 to 8^n jiffies after its expiry. At HZ=250
 * the 15000 jiffies of 2MSL sit in level 3: 512 jiffies, 2.048 s.
 */
long timing__granule(long delta)
{
	int lvl = 0;

	/* LVL_DEPTH is 9 above HZ=100: level 8 is the last */
	while (lvl < 8 && delta >= (63L << (3 * lvl)))
		lvl++;
	return 1L << (3 * lvl);
}

double timing__jiffy_ms(unsigned int hz)
{
	return 1000.0 / hz;
}

double timing__late_ms(unsigned int hz, double ms)
{
	long delta = (long)(ms * hz / 1000 + 0.5);

	/* msecs_to_jiffies() rounds up: one jiffy more */
	return (timing__granule(delta) + 1) * timing__jiffy_ms(hz);
}

double timing__rto_min_ms(unsigned int hz)
{
	return (hz / 5) * timing__jiffy_ms(hz);
}

double timing__delack_max_ms(unsigned int hz)
{
	return (hz / 5) * timing__jiffy_ms(hz);
}

/* tcp_model_timeout(): how long the resends may go on, from the first RTO resend */
static double rto__model_timeout(int boundary, double rto_base)
{
	/* ilog2(TCP_RTO_MAX / TCP_RTO_MIN) is 9 */
	const int thresh = 9;

	if (boundary <= thresh)
		return ((2 << boundary) - 1) * rto_base;
	return ((2 << thresh) - 1) * rto_base + (boundary - thresh) * TCP_RTO_MAX_MS;
}

static double rto__min(double a, double b)
{
	return a < b ? a : b;
}

/*
 * One way the timers may run (rto__run()): at their deadlines, or as late as the wheel
 * lets them with a jiffy of round trip in each RTO (late); or that late while every
 * decision still falls as at the deadlines (late_unseen), which is the latest a give-up
 * can come; and with retrans_stamp an earlier resend, stale_ms before 0 (stale).
 */
struct rto_path {
	bool late;
	bool late_unseen;
	bool stale;
};

/*
 * The kernel's decisions. At 0 the segment leaves and tcp_schedule_loss_probe() waits two
 * RTTs and TCP_RTO_MIN for a delayed ACK (one segment in flight), or the RTO if that is
 * sooner; the probe resends it without starting the clock and arms the retransmit timer
 * for the RTO: TCP_RTO_MIN on loopback. A connection still recovering from an earlier
 * loss sends no probe: the RTO comes first. Each RTO firing first asks
 * tcp_write_timeout() whether to give up: not before one RTO resend (icsk_retransmits),
 * then once retrans_stamp, that first RTO resend, is older than tcp_model_timeout(retries)
 * or the user timeout. Otherwise it resends, doubles the RTO and clamps it to what is left
 * of a user timeout (tcp_clamp_rto_to_user_timeout()). now is the clock the decisions
 * see, at when things happen. Fills times[] with the resends and returns the give-up.
 */
static double rto__run(const struct timing_rto *t, struct rto_path p, double *times, int *n)
{
	double jiffy = timing__jiffy_ms(t->hz), rto_min = timing__rto_min_ms(t->hz);
	double limit = t->user_timeout_ms ? t->user_timeout_ms :
		       rto__model_timeout(t->retries, rto_min);
	bool measured = t->rto_ms > 0, late = p.late || p.late_unseen;
	double rto = measured ? t->rto_ms : rto_min;
	double now = 0, at = 0, start = -t->stale_ms, extra, left;
	int retrans = 0;

	*n = 0;
	if (t->ca_state == TCP_CA_Open || t->ca_state == TCP_CA_CWR) {
		now = at = rto__min(2 * t->srtt_ms + rto_min, rto);
		now += p.late ? timing__late_ms(t->hz, now) : 0;
		at += late ? timing__late_ms(t->hz, at) : 0;
		times[(*n)++] = at;
	}
	/* a measured RTO has the round trip in it already; extra: what the decisions miss */
	rto += p.late && !measured ? jiffy : 0;
	extra = p.late_unseen && !measured ? jiffy : 0;
	while (*n < RTO_MAX_RESENDS) {
		now += rto + (p.late ? timing__late_ms(t->hz, rto) : 0);
		at += rto + extra + (late ? timing__late_ms(t->hz, rto + extra) : 0);
		if (retrans && now - start >= limit)
			return at;
		if (!retrans && !p.stale)
			start = now;
		retrans++;
		times[(*n)++] = at;
		rto = rto__min(rto * 2, TCP_RTO_MAX_MS);
		extra = rto__min(extra * 2, TCP_RTO_MAX_MS - rto);
		if (t->user_timeout_ms) {
			left = t->user_timeout_ms - (now - start);
			if (left < rto)
				extra = 0;
			rto = rto__min(rto, left > 0 ? left : jiffy);
		}
	}
	return at;
}

void timing__resend(const struct timing_rto *t, int n, double *lo, double *hi)
{
	double early[RTO_MAX_RESENDS], late[RTO_MAX_RESENDS];
	int ne, nl;

	rto__run(t, (struct rto_path){}, early, &ne);
	rto__run(t, (struct rto_path){ .late = true }, late, &nl);
	if (n < 1)
		n = 1;
	*lo = early[n <= ne ? n - 1 : ne - 1];
	*hi = late[n <= nl ? n - 1 : nl - 1];
}

static void rto__widen(double at, int resends, double *lo, double *hi, int *resends_lo,
		       int *resends_hi)
{
	*lo = rto__min(*lo, at);
	*hi = at > *hi ? at : *hi;
	*resends_lo = resends < *resends_lo ? resends : *resends_lo;
	*resends_hi = resends > *resends_hi ? resends : *resends_hi;
}

void timing__give_up(const struct timing_rto *t, double *lo, double *hi, int *resends_lo,
		     int *resends_hi)
{
	static const struct rto_path paths[] = {
		{}, { .late = true }, { .late_unseen = true }, { .stale = true },
	};
	double times[RTO_MAX_RESENDS], at;
	int n;

	*lo = 1e300;
	*hi = -1;
	*resends_lo = RTO_MAX_RESENDS;
	*resends_hi = 0;
	/* a late timer may cross a limit one resend sooner, or not: take the widest */
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		if (paths[i].stale && !(t->stale_ms > 0))
			continue;
		at = rto__run(t, paths[i], times, &n);
		rto__widen(at, n, lo, hi, resends_lo, resends_hi);
	}
}
