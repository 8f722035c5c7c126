/* SPDX-License-Identifier: GPL-2.0 */
/*
 * scenario_internal: how scenario.c runs a scenario, for the files that add scenarios. The
 * calling process conducts; the client and the server each run in a forked child and step
 * through the scenario by passing single bytes over pipes; results land in shared memory.
 */
#ifndef TCPCLOSE_SCENARIO_INTERNAL_H
#define TCPCLOSE_SCENARIO_INTERNAL_H

#include <stdbool.h>
#include <sys/types.h>
#include "capture.h"
#include "scenario.h"

/*
 * How long a step may take before the scenario gives up on it: liveness bounds, never a
 * verdict (those come from the wire), so they allow for an emulated guest on a host whose
 * CPUs are all busy, where running nft alone was seen to take seconds. The conductor's waits
 * only: a child waits for the conductor's word for as long as the conductor takes
 * (step__recv()), and a wait for what its peer sends once the conductor lets the peer go on
 * starts from then (server__await_client()).
 */
#define STEP_TIMEOUT_MS 30000
#define REAP_TIMEOUT_MS 30000
#define SETTLE_TIMEOUT_MS 30000	/* a lost FIN or ACK is resent within 1 s on a healthy host */
#define CROSS_ATTEMPTS 5
#define CLIENT_COMM "closegen-cli"
#define SERVER_COMM "closegen-srv"

struct child {
	pid_t pid;
	int up;			/* child -> conductor */
	int down;		/* conductor -> child */
};

struct run {
	const struct scenario_opts *opts;
	struct scenario_result *res;	/* shared with the children */
	int family;
	int lfd;			/* the listener; only the server keeps it */
	unsigned short port;		/* the listener's port */
	int pin_cpu;			/* run both children on this CPU, or -1 */
	bool rt_close;			/* close on step 'G' at real-time priority */
	struct capture *wire;		/* watch_resends: the whole run's capture, else NULL */
	struct child client;
	struct child server;
};

typedef int (*child_fn)(struct run *r, struct child *me);

/* the first error wins: later ones are usually its consequences; returns err or -EIO */
int run__fail(struct run *r, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* start the server, then the client, in children; run__finish() reaps them and waits for
 * the last segment of their connections */
int run__start(struct run *r, child_fn client, child_fn server);
int run__finish(struct run *r);

/* steps: one byte names the step, so a confused peer is caught at once */
int step__send(int fd, char step);
int step__recv(int fd, char step);		/* in a child: the conductor's word */
int step__await(int fd, char step, int timeout_ms);
int run__step_wait(struct run *r, struct child *c, char step);
int run__step_await(struct run *r, struct child *c, char step, int timeout_ms);
int run__step_tell(struct run *r, struct child *c, char step);

/* in the children */
int client__open(struct run *r);
int client__connect(struct run *r, int bind_port);
void run__add_conn(struct run *r, unsigned short cport);
int client__ping(struct run *r, int fd);
int server__accept(struct run *r);
int server__pong(struct run *r, int fd);
int server__wait_eof(struct run *r, int fd);
int server__await_client(struct child *me);
int run__expect_reset(struct run *r, struct child *me, int fd);
int client__close_when_told(struct run *r, struct child *me);
void sched__realtime(bool on);
int halfclose__client(struct run *r, struct child *me);

/* in the conductor */
int run__sysctl(struct run *r, const char *name, int value);
/* run both children on the first CPU this process may use */
int run__pin_first_cpu(struct run *r);
int run__capture(struct run *r, struct capture *cap);
int run__count_fins(struct run *r, struct capture *cap, int err, bool server);
/* the end of a run watched whole (--watch-resends): err is the run's, returned if set */
int run__watch_end(struct run *r, struct capture *cap, int err);
/* a run that failed: kill what is left of its children */
void run__kill(struct run *r);

/* scenario_orderly.c: FINs both ways; active's ends are reused by the tw scenarios */
int active__client(struct run *r, struct child *me);
int active__server(struct run *r, struct child *me);
int scenario__active(struct run *r);
int scenario__passive(struct run *r);
int scenario__fin_data(struct run *r);
int scenario__halfclose(struct run *r);
int scenario__simultaneous(struct run *r);
/* scenario_reset.c: a reset sent or received */
int scenario__unread(struct run *r);
int scenario__linger0(struct run *r);
int scenario__peer_reset(struct run *r);
int scenario__listener_close(struct run *r);
/* scenario_drop.c: a FIN or the last ACK dropped once */
int scenario__fin_drop(struct run *r);
int scenario__lastack_drop(struct run *r);
/* scenario_churn.c: many connections at once */
int scenario__churn(struct run *r);

/* scenario_tw.c: how a timewait socket ends */
int scenario__tw_expire(struct run *r);
int scenario__tw_reused(struct run *r);
int scenario__tw_reused_cpu(struct run *r);
int scenario__tw_rst(struct run *r);
int scenario__tw_syn(struct run *r);
int scenario__tw_purged(struct run *r);
int scenario__tw_overflow(struct run *r);

/* scenario_timer.c: timers that end a connection */
int scenario__keepalive(struct run *r);
int scenario__user_timeout(struct run *r);
int scenario__retrans_timeout(struct run *r);
int scenario__fin_wait2_timeout(struct run *r);
int scenario__orphan_retries(struct run *r);

/*
 * scenario_peer.c: one kernel socket and a scripted peer on a tun device (lab/peer.h), for
 * what the kernel does with segments loopback never delivers. They need a namespace of
 * their own; the peer's capture joins the run's (r->wire).
 */
int scenario__data_after_close(struct run *r);
int scenario__data_acks_fin(struct run *r);
int scenario__tw_restart(struct run *r);
int scenario__fins_crossed(struct run *r);
int scenario__fin_reordered(struct run *r);
int scenario__shutdown_close(struct run *r);

#endif
