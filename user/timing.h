/* SPDX-License-Identifier: GPL-2.0 */
/*
 * timing: our clocks, and when the kernel's timers fire: how late the timer wheel lets a
 * timer run, and when TCP resends a segment nobody acknowledges and when it gives up.
 */
#ifndef TCPCLOSE_TIMING_H
#define TCPCLOSE_TIMING_H

#include <linux/types.h>

/* CLOCK_MONOTONIC, the clock of a record's times */
double timing__now_ms(void);
__u64 timing__now_ns(void);
void timing__sleep_ms(double ms);

/* how late, in jiffies, a timer armed delta jiffies ahead may fire */
long timing__granule(long delta);

/* the same in ms for a timer armed ms ahead, with the jiffy its deadline is rounded up by */
double timing__late_ms(unsigned int hz, double ms);

/* one jiffy, and the constants of include/net/tcp.h in ms */
double timing__jiffy_ms(unsigned int hz);
double timing__rto_min_ms(unsigned int hz);	/* TCP_RTO_MIN, HZ / 5 */
double timing__delack_max_ms(unsigned int hz);	/* TCP_DELACK_MAX, HZ / 5 */

/*
 * A lone segment over loopback that nothing acknowledges: sent at 0, resent first by a
 * tail-loss probe and then by the retransmit timer, backing off, until the connection gives
 * up: at tcp_retries2 or tcp_orphan_retries resends (retries), or TCP_USER_TIMEOUT.
 */
struct timing_rto {
	unsigned int hz;
	int retries;			/* the boundary tcp_write_timeout() uses */
	unsigned int user_timeout_ms;	/* 0: none */
	/*
	 * The connection's RTO and smoothed RTT as the segment left (tcpi_rto, tcpi_rtt);
	 * 0: loopback's, TCP_RTO_MIN and nothing. A slow host measures longer round trips.
	 */
	double rto_ms, srtt_ms;
	/* its congestion state (tcpi_ca_state): a tail-loss probe only in Open or CWR */
	int ca_state;
	/*
	 * Up to this long before 0, segments of the connection were resent and acknowledged
	 * (a slow host resent its SYN or first data). Some kernels (Debian's 6.1 here) keep
	 * the first of those resends as retrans_stamp, where the give-up clock starts. 0: none.
	 */
	double stale_ms;
};

/* when the nth resend (from 1) leaves, earliest and latest, in ms */
void timing__resend(const struct timing_rto *t, int n, double *lo, double *hi);

/* when the connection is given up, earliest and latest, in ms, and how many resends before;
 * with stale_ms, as soon as a clock started that early allows */
void timing__give_up(const struct timing_rto *t, double *lo, double *hi, int *resends_lo,
		     int *resends_hi);

#endif
