/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tw: what the TIME_WAIT integration tests share. TCP connections over 127.0.0.1 in the
 * current network namespace, closed the way a test needs; the kernel's timer facts the
 * expected dwells come from; and reading many close records at once.
 */
#ifndef TCPCLOSE_TW_H
#define TCPCLOSE_TW_H

#include <json-c/json.h>
#include <stdbool.h>
#include "conns.h"
#include "fixture.h"
#include "probe.h"
#include "sock.h"
#include "ss.h"
#include "clock.h"
#include "timing.h"
#include "tracer.h"

/* the 2MSL of include/net/tcp.h: TCP_TIMEWAIT_LEN */
#define TW_LEN_MS 60000

/*
 * Under load, loopback can deliver a server's bare ACK after its FIN (the ACK waits in a
 * backlog for ksoftirqd while the FIN goes through another CPU). The client's timewait
 * socket answers the stale ACK, the server, closed by then, answers that with an RST, and
 * with tcp_rfc1337=0 the RST kills the timewait socket: TIME-WAIT assassination, one
 * TcpOutRsts each in a namespace where nothing else resets. Tests with many connections
 * count it in; seen about once in 10,000 connections with 4 tests running, and in bursts
 * more (3 of about 165 runs of the timewait_rst tests on a quiet host, then 0 of 120). A
 * test of one connection that it derails says so (tw__check_no_rst(), tw__check_reordered():
 * test__off_script()), and the runner runs it once more.
 */

/* does this kernel count TcpExtTW as a timewait socket expires (5.10: KERNELS.md), not as it
 * is made? Its BTF says, as tcpclose check reads it */
bool tw__counted_at_expiry(void);
/*
 * The timewait sockets made in f's namespace since it was made (its counters began at 0),
 * read before the purge: TcpExtTW, where the kernel counts them as it makes them; where it
 * counts them as they expire (5.10), those there now (sockstat), those expired (TcpExtTW),
 * those a connect() took over (TcpExtTWRecycled) and, if resets_killed says every reset
 * the namespace sent killed one (the reorder above, in a run with room for them all),
 * TcpOutRsts. There a socket the test killed itself is counted nowhere. -EIO if unread.
 */
long long tw__made(struct fixture *f, bool resets_killed);
int tw__settle(unsigned short port, int timeout_ms);

int tw__connect(struct conn *c, int lfd, unsigned short lport, int bind_port);
int tw__close_active(struct conn *c, int delay_ms);
int tw__active_closes(const int *lfds, const unsigned short *ports, int nports, int n);

bool tw__begin(struct fixture *f, bool capture);
bool tw__end(struct fixture *f);
bool tw__check_no_rst(const struct fixture *f);
void tw__check_reordered(const struct fixture *f);
int tw__ss_count(const char *filter);
int tw__ss_get(const char *filter, unsigned short lport, unsigned short rport,
	       struct ss_sock *s);

bool tw__is_close(json_object *rec);
bool tw__partial(json_object *rec);
/* "end_unseen": true: its socket's end never reached the tracer (kept out of histograms) */
bool tw__end_unseen(json_object *rec);
int tw__count(const struct tracer *t, const char *state, const char *tw_end);
int tw__count_now(const struct tracer *t, const char *tw_end);
bool tw__check_count(const struct tracer *t, const char *state, const char *tw_end,
		     long long want, const char *what);
bool tw__check_foreign(const struct fixture *f);
json_object *tw__record(const struct tracer *t, int lport, int rport, int nth);
double tw__percentile(double *v, int n, int p);

#endif
