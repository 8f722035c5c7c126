/* SPDX-License-Identifier: GPL-2.0 */
/*
 * conns: real TCP connections over loopback in the current network namespace, with the
 * socket options and sysctls the timer tests need, processes that hold their sockets, and
 * the tracer's records read while it still runs.
 */
#ifndef TCPCLOSE_CONNS_H
#define TCPCLOSE_CONNS_H

#include <json-c/json.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <sys/types.h>
#include "netns.h"
#include "nstat.h"
#include "sock.h"
#include "tracer.h"

struct conn {
	int cfd;		/* the client end, or -1 once closed */
	int sfd;		/* the server end, accepted; or -1 */
	unsigned short cport;	/* the client's local port */
	unsigned short sport;	/* the server's: the listener's port */
};

struct conns_sock {
	char state[16];		/* as ss prints it: FIN-WAIT-2, TIME-WAIT, ... */
	unsigned short lport;
	unsigned short rport;
};

int conns__open(struct conn *c, int lfd, int family, unsigned short port);
void conns__close(struct conn *c);
void conns__abort(struct conn *c);

int conns__ss(struct conns_sock **socks);
bool conns__ss_has(const struct conns_sock *socks, int n, const char *state, int lport,
		   int rport);

pid_t conns__hold(const char *comm, const int *fds, int nfds);
int conns__release(pid_t pid);
int conns__comm(pid_t pid, char *comm, size_t size);

double conns__now(void);
/* the wall clock (CLOCK_REALTIME s), as tcpclose's "ts" */
double conns__wall(void);
void conns__sleep_ms(int ms);

int conns__records(const struct tracer *t, json_object ***recs);
void conns__records_free(json_object **recs, int n);
/*
 * tcpclose top -j's first snapshot with "ts" (wall clock) after 'after', waiting up to
 * wait_ms for it: its index in *recs (all the lines read, n of them, for
 * conns__records_free()), or -1
 */
int conns__top_snapshot(const struct tracer *t, double after, int wait_ms, json_object ***recs,
			int *n);
bool conns__is(json_object *rec, const char *type, int lport, int rport);
bool conns__check_end(json_object *rec, int family, int lport, int rport,
		      unsigned long long netns, pid_t pid, const char *comm, const char *what);

#endif
