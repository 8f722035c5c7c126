/* SPDX-License-Identifier: GPL-2.0 */
/*
 * wire: what the wire-level tests share. The tracer watches a namespace in which the kernel's
 * sockets talk to a scripted peer (lab/peer.h) over a tun device; every segment is captured
 * at the device with the kernel's stamps, and every expected value of a record comes from
 * that capture, the test's own clock around its system calls, the socket dumps (sswatch) or
 * the namespace's counters: never from the tracer. All times are CLOCK_MONOTONIC seconds,
 * the tracer's clock: dwells are compared, not the records' wall-clock "ts", so a step of
 * the wall clock during a run (seen on this project's VMs) moves nothing.
 *
 * Times: every change of state is bracketed (struct wire_when): one a segment of the peer's
 * caused within that segment's receive, [ts, done]; one our own call made between the time
 * the test took before the call and the segment the kernel then sent; an expiry by the
 * socket dumps; a purge by the namespace's deletion and the tracer's exit. A dwell from
 * change a to change b lies in [b.lo - a.hi, b.hi - a.lo]. The tracer reads a change with
 * bpf_ktime_get_ns(), inside its bracket; one it reads off the timer wheel (TIME_WAIT with
 * the tracepoint backend) is a jiffy coarse, and later still while the host holds its tick
 * up, which the socket dumps measure (sswatch worst_tick_lag_ns). So the dwell of a state a
 * timewait socket holds (FIN_WAIT2, TIME_WAIT) and a restart are judged against the brackets
 * widened by that, wire__tol_ms(); the dwell of any other, a full socket's only, against the
 * brackets alone.
 */
#ifndef TCPCLOSE_WIRE_H
#define TCPCLOSE_WIRE_H

#include <stdbool.h>
#include "fixture.h"
#include "peer.h"

struct wire {
	struct fixture f;	/* the namespace, the tracer, the socket dumps, the counters */
	struct peer peer;
	int family;
	double purge_ts;	/* when the namespace's deletion began (CLOCK_MONOTONIC s), or 0 */
};

/* when a change of state happened: no sooner than lo, no later than hi (CLOCK_MONOTONIC s) */
struct wire_when {
	double lo, hi;
};

static inline struct wire_when wire__when(double lo, double hi)
{
	return (struct wire_when){ lo, hi };
}

/*
 * A change a segment of the peer's caused: the kernel made it after the segment's stamp and
 * before the peer's write() of it returned
 */
static inline struct wire_when wire__by(const struct peer_seg *s)
{
	return wire__when(s->ts, s->done);
}

/*
 * c, for a change the kernel made before it sent out, in the same receive or call: no later
 * than out's stamp either, taken as it left. (A segment sent before a change bounds nothing
 * of it: when the change followed, only the kernel knows.) An assertion fails if out left
 * before c could begin: not the segment the test meant.
 */
struct wire_when wire__before(struct wire_when c, const struct peer_seg *out);

/* tracer with --backend, namespace, tun and capture; the test then runs inside it */
bool wire__start(struct wire *w, const char *backend, int family);
/*
 * The script is over (the test closed every socket of its own): counters, the capture as
 * f.cap, then delete the namespace, which ends what is left in TIME_WAIT (tw_end purged),
 * and stop the tracer.
 */
bool wire__finish(struct wire *w);
void wire__cleanup(struct wire *w);

/*
 * run(backend, family) as a subtest per backend --backend can force ("tracepoint"), and with
 * both families one per backend and family ("tracepoint-ipv6"); a backend this kernel
 * lacks is skipped in the tracer's words.
 */
void wire__each(void (*run)(const char *backend, int family), bool both_families);

/* when the tracer had stopped (CLOCK_MONOTONIC s, as the capture): after every record */
double wire__stop_ts(const struct wire *w);

/* an end by the purge: after the namespace's deletion began, before the tracer had stopped */
static inline struct wire_when wire__purge(const struct wire *w)
{
	return wire__when(w->purge_ts, wire__stop_ts(w));
}

/*
 * wire__start(), then a kernel socket connected to the peer at its port 80: c and *fd (-1
 * until it is made, for the caller to close). false (an assertion failed) if not
 */
bool wire__start_connected(struct wire *w, const char *backend, int family, struct peer_conn *c,
			   int *fd);

/* a socket of the test's family in the namespace, bound to port (0: any) */
int wire__socket(const struct wire *w, unsigned short port);
/* a listener on the kernel's address: its port in *port */
int wire__listen(const struct wire *w, unsigned short *port);

/*
 * When the socket dumps last saw c's kernel end (that dump began) and first missed it (that
 * dump ended), on the capture's clock: the kernel let it go in between. false if they never
 * saw it go.
 */
bool wire__gone(const struct wire *w, const struct peer_conn *c, struct wire_when *gone);
/* what the socket dumps kept of c's ports, into the test's log: why wire__gone() said no */
void wire__log_dumps(const struct wire *w, const struct peer_conn *c);

/* wait until c's kernel end, a timewait socket, is gone from the namespace: 0 or -ETIMEDOUT */
int wire__wait_gone(const struct peer_conn *c, int timeout_ms);

/* an active close straight into TIME_WAIT: what the wire showed of it */
struct wire_close {
	struct peer_seg fin;		/* our FIN */
	struct peer_seg pfin;		/* the peer's FIN, which acknowledged ours */
	struct peer_seg ack;		/* our ACK of it */
	struct wire_when fin_wait1;	/* FIN_WAIT1 began: in close(), before our FIN left */
};

/*
 * close(fd), and the peer answers our FIN with its own FIN that acknowledges it, after
 * pause_ms: the timewait socket is born in TIME_WAIT (tcp_fin()), FIN_WAIT2 lasting only
 * within that segment's processing, wire__by(&pfin) at both ends. Our ACK leaves within it
 * too, but before the timewait socket is made (tcp_fin() acknowledges first): its stamp
 * bounds neither end of FIN_WAIT2. false (and an assertion failed) if the wire differs.
 */
bool wire__close_to_timewait(struct peer_conn *c, int fd, int pause_ms, struct wire_close *out);

/* the tracer's record of c's kernel end */
json_object *wire__record(const struct wire *w, const struct peer_conn *c);

/* milliseconds from a to b, on the capture's clock */
static inline double wire__ms(double a, double b)
{
	return (b - a) * 1e3;
}

/* the resolution a dwell read off jiffies has in this run (ms): a jiffy, or the worst tick lag */
double wire__tol_ms(const struct wire *w);

/*
 * The record's dwell in state, from the change that began it (in from) to the one that ended
 * it (in to), lies in [to.lo - from.hi, to.hi - from.lo]; each end widened by wire__tol_ms()
 * for FIN_WAIT2 and TIME_WAIT, whose ends may be read off the timer wheel
 */
bool wire__check_dwell(const struct wire *w, json_object *rec, const char *state,
		       struct wire_when from, struct wire_when to, const char *what);

/* addresses, ports, family, netns, and the process: pid (0 and comm null: none) */
void wire__check_ends(const struct wire *w, json_object *rec, const struct peer_conn *c,
		      pid_t pid, const char *what);
/* fin_seq and fin_ack are the numbers of this FIN segment of ours (NULL: both null) */
void wire__check_fin(json_object *rec, const struct peer_seg *fin, const char *what);
/* peer_fin_seq and peer_fin_ack, of the peer's (NULL: both null) */
void wire__check_peer_fin(json_object *rec, const struct peer_seg *fin, const char *what);
/*
 * tw_restarts is n (> 0), and the first and last restart, in ms into the TIME_WAIT that began
 * in tw, are as far into it as the changes in first and last, widened as a dwell
 */
void wire__check_restarts(const struct wire *w, json_object *rec, int n, struct wire_when tw,
			  struct wire_when first, struct wire_when last, const char *what);
/* tw_restarts 0, tw_restart_first_ms and tw_restart_last_ms null */
void wire__check_no_restarts(json_object *rec, const char *what);
/* what every record of a connection that never restarted or probed says; fin_retrans as
 * the capture counts our FINs */
void wire__check_quiet(json_object *rec, const struct peer_conn *c, const char *what);
/* role, cause, rst_reason (NULL: null) and states, in one go */
void wire__check_kind(json_object *rec, const char *role, const char *cause,
		      const char *rst_reason, const char *states, const char *what);

/* how the TIME_WAIT ended (NULL: tw_end is null) */
void wire__check_tw_end(json_object *rec, const char *want, const char *what);

/* what a record must say, each from the script or the capture */
struct wire_expect {
	pid_t pid;			/* the process named (0: none, comm null) */
	const char *role, *cause;
	const char *rst_reason;		/* NULL: null */
	const char *states;		/* "FIN_WAIT1,FIN_WAIT2", "" for none */
	const struct peer_seg *fin;	/* our FIN segment (NULL: fin_seq and fin_ack null) */
	const struct peer_seg *pfin;	/* the peer's (NULL: peer_fin_* null) */
	const char *tw_end;		/* NULL: null */
	bool busy;			/* restarts, resends or probes: the test checks those */
};

/*
 * The record of c's kernel end says what e says, and, unless e->busy, that nothing was
 * restarted, resent or probed: the dwells and what a test stages are the test's to check
 */
void wire__check_record(const struct wire *w, json_object *rec, const struct peer_conn *c,
			const struct wire_expect *e, const char *what);

/* the comm of this process, as a record names it */
const char *wire__comm(void);

#endif
