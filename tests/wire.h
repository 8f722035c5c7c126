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
 * Times: a change of state the tracer reads with bpf_ktime_get_ns() lies between the two
 * stamps that bracket it; one it reads off the timer wheel (TIME_WAIT with the tracepoint
 * backend) is a jiffy coarse, and later still while the host holds its tick up, which the
 * socket dumps measure (sswatch worst_tick_lag_ns). So a dwell is judged against the
 * capture's bracket widened by that, wire__tol_ms(), and by nothing else.
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
 * When the socket dumps last saw c's kernel end and first missed it (the capture's clock): the
 * kernel let it go in between. false if they never saw it go.
 */
bool wire__gone(const struct wire *w, const struct peer_conn *c, double *lo, double *hi);

/* wait until c's kernel end, a timewait socket, is gone from the namespace: 0 or -ETIMEDOUT */
int wire__wait_gone(const struct peer_conn *c, int timeout_ms);

/* an active close straight into TIME_WAIT: what the wire showed of it */
struct wire_close {
	double t_close;			/* close() was called */
	struct peer_seg fin;		/* our FIN */
	struct peer_seg pfin;		/* the peer's FIN, which acknowledged ours */
	struct peer_seg ack;		/* our ACK of it */
};

/*
 * close(fd), and the peer answers our FIN with its own FIN that acknowledges it, after
 * pause_ms: the timewait socket is born in TIME_WAIT (tcp_fin()), FIN_WAIT2 lasting only
 * within that segment's processing. false (and an assertion failed) if the wire differs.
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

/* the record's dwell in state lies in [lo_ms, hi_ms], each widened by wire__tol_ms() */
bool wire__check_dwell(const struct wire *w, json_object *rec, const char *state, double lo_ms,
		       double hi_ms, const char *what);

/* addresses, ports, family, netns, and the process: pid (0 and comm null: none) */
void wire__check_ends(const struct wire *w, json_object *rec, const struct peer_conn *c,
		      pid_t pid, const char *what);
/* fin_seq and fin_ack are the numbers of this FIN segment of ours (NULL: both null) */
void wire__check_fin(json_object *rec, const struct peer_seg *fin, const char *what);
/* peer_fin_seq and peer_fin_ack, of the peer's (NULL: both null) */
void wire__check_peer_fin(json_object *rec, const struct peer_seg *fin, const char *what);
/* tw_restarts, and the first and last restart in ms into TIME_WAIT (n == 0: both null) */
void wire__check_restarts(const struct wire *w, json_object *rec, int n, double first_ms,
			  double last_ms, const char *what);
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
