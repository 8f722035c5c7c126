/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sswatch: what ss would show, over and over. A process in the scenario's network namespace
 * dumps every TCP socket with sock_diag (NETLINK_INET_DIAG) every few milliseconds and keeps,
 * per socket (by its cookie, which a timewait socket inherits from its full socket), the
 * states it was seen in and when: so every state change the kernel made is bracketed by the
 * last dump that showed the old state and the first that showed the new one, or none.
 */
#ifndef TCPCLOSE_SSWATCH_H
#define TCPCLOSE_SSWATCH_H

#include <stdbool.h>
#include <sys/types.h>
#include <linux/types.h>

#define SSWATCH_MAX_SOCKS 48
#define SSWATCH_MAX_RUNS 8
/* a step per jiffy at most: 17 minutes of steps at HZ=250, 4 at HZ=1000 */
#define SSWATCH_MAX_TICKS (1 << 18)

/* one state a socket was seen in, over consecutive dumps: [t0, t1] of the dumps, ns */
struct sswatch_run {
	__u8 state;			/* TCP_ESTABLISHED ...; a timewait socket: its substate */
	bool timewait;			/* a dump of it showed a timewait socket (its timer 3) */
	__u64 first_t0, first_t1;	/* the first dump that showed it: began, ended */
	__u64 last_t0, last_t1;		/* the last one */
};

struct sswatch_sock {
	__u64 cookie;
	__u8 family;			/* AF_INET, AF_INET6 */
	__u16 sport, dport;		/* host order */
	int nruns;
	bool overflow;			/* more state changes than runs: the last ones are lost */
	struct sswatch_run runs[SSWATCH_MAX_RUNS];
	__u64 gone_t1;			/* the end of the first dump it was missing from; 0 */
	__u64 seen_dump;		/* the last dump it was in */
};

/*
 * A step of the coarse clock (CLOCK_MONOTONIC_COARSE), as a thread of the watcher polling
 * it every millisecond saw it: the clock read coarse_ns from the poll at seen_ns on.
 */
struct sswatch_tick {
	__u64 seen_ns;			/* CLOCK_MONOTONIC, read just after the coarse clock */
	__u64 coarse_ns;
};

/* shared between the watcher and whoever reads it (MAP_SHARED) */
struct sswatch {
	volatile int stop;		/* set to 1 to end the watcher */
	volatile int err;		/* the watcher's error, if it failed */
	__u64 dumps;			/* how many dumps it made */
	__u64 worst_gap_ns;		/* the longest time between the start of two dumps */
	/*
	 * The most the kernel's tick was seen behind the clock (CLOCK_MONOTONIC less its
	 * coarse twin, which moves at each tick with jiffies), beyond one jiffy: how early a
	 * time read off jiffies in this run may be, on a host that holds the tick up.
	 */
	__u64 worst_tick_lag_ns;
	int nsocks;
	bool overflow;			/* more sockets than fit: the later ones are not kept */
	struct sswatch_sock socks[SSWATCH_MAX_SOCKS];
	/*
	 * The coarse clock's steps, in the order seen. The tick moves it just after it moves
	 * jiffies, so the jiffy in force at a moment began at most a jiffy before the coarse
	 * clock's reading then (sswatch__coarse_at()). Steps past the last are not kept
	 * (ticks_overflow); the last one kept still bounds every later moment, more loosely.
	 */
	__u32 nticks;
	bool ticks_overflow;
	struct sswatch_tick ticks[SSWATCH_MAX_TICKS];
};

/* map a zeroed struct sswatch that a forked watcher can write */
struct sswatch *sswatch__map(void);
void sswatch__unmap(struct sswatch *w);

/* fork the watcher in the current network namespace; it dumps every interval_us at most */
pid_t sswatch__start(struct sswatch *w, unsigned int interval_us);
/* tell it to stop, wait for its last dump; returns its error or 0 */
int sswatch__stop(struct sswatch *w, pid_t pid);

/*
 * one dump's worth, for the watcher and for tests: call with each socket seen at [t0, t1],
 * and whether it was a timewait socket
 */
void sswatch__seen(struct sswatch *w, __u64 dump_id, __u64 cookie, __u8 family, __u16 sport,
		   __u16 dport, __u8 state, bool timewait, __u64 t0, __u64 t1);
/* after a dump at [t0, t1]: the sockets that were not in it are gone */
void sswatch__dumped(struct sswatch *w, __u64 dump_id, __u64 t0, __u64 t1);

/*
 * The coarse clock's reading at the last poll at or before ns (CLOCK_MONOTONIC), which the
 * reading at ns itself is no earlier than; false if the poller had not read it yet.
 */
bool sswatch__coarse_at(const struct sswatch *w, __u64 ns, __u64 *coarse_ns);
/* for tests: the poller saw the coarse clock read coarse_ns at seen_ns */
void sswatch__tick(struct sswatch *w, __u64 seen_ns, __u64 coarse_ns);

#endif
