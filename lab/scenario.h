/* SPDX-License-Identifier: GPL-2.0 */
/* scenario: real TCP connections over loopback, closed in one chosen way */
#ifndef TCPCLOSE_SCENARIO_H
#define TCPCLOSE_SCENARIO_H

#include <stdbool.h>
#include <sys/types.h>
#include <linux/types.h>

struct capture;

struct scenario_opts {
	int family;		/* 4 or 6; 0: the scenario's own (6 for active6, else 4) */
	int delay_ms;		/* active: the server closes this long after EOF */
	long bytes;		/* halfclose: bytes the server sends after the client's FIN */
	int count;		/* churn: connections */
	bool watch_resends;	/* capture the run: resends, conns[] */
	struct capture *wire;	/* watch_resends: the capture is handed over here, to free */
};

struct scenario_side {
	pid_t pid;		/* the process that owned this end */
	char comm[16];
	unsigned short port;	/* local port of this end; the server's is the listener's */
	int err;		/* errno a read on this end failed with (ECONNRESET), or 0 */
	int fins;		/* FINs this end sent, from a capture (drops, crossing) */
};

/* which fields of the result mean something for a scenario */
enum {
	SCENARIO_F_DELAY = 1 << 0,	/* delay_ms */
	SCENARIO_F_HALFCLOSE = 1 << 1,	/* halfclosed_bytes, halfclosed_received */
	SCENARIO_F_ERR = 1 << 2,	/* client.err, server.err */
	SCENARIO_F_DROPS = 1 << 3,	/* drops, client.fins, server.fins, fin_retrans */
	SCENARIO_F_CROSS = 1 << 4,	/* attempts, and the drops fields */
	SCENARIO_F_CHURN = 1 << 5,	/* connections, client_closed_first */
	SCENARIO_F_CONNS = 1 << 6,	/* conns[] (more than one connection), tw_sockets */
	SCENARIO_F_TIMER = 1 << 7,	/* mark_ns and the settings the timers run on */
};

/* halfclose: how long the server goes on sending after the client's FIN, and closes */
#define SCENARIO_HALFCLOSE_MS 200

#define SCENARIO_MAX_CONNS 4

/* one connection of a scenario: the client's port and the listener's */
struct scenario_conn {
	unsigned short cport;
	unsigned short sport;
	int cfin_resends;	/* FINs the client end resent (watch_resends) */
	int sfin_resends;	/* and the server end */
};

/* what a scenario set for the kernel's timers, in its namespace or on its sockets */
struct scenario_settings {
	int keepalive_idle_s, keepalive_intvl_s, keepalive_cnt;
	unsigned int user_timeout_ms;
	int retries;			/* tcp_retries2 or tcp_orphan_retries */
	int fin_timeout_s;		/* tcp_fin_timeout */
};

struct scenario_result {
	const char *name;
	unsigned int fields;		/* SCENARIO_F_* */
	int family;			/* 4 or 6 */
	struct scenario_side client;	/* churn: port 0, the ports differ per connection */
	struct scenario_side server;
	int delay_ms;			/* active: how long the server waited after EOF */
	long halfclosed_bytes;		/* halfclose: bytes the server sent after the peer's FIN */
	long halfclosed_received;	/* halfclose: bytes the client read after shutdown() */
	long drops;			/* segments the nft rule dropped */
	int fin_retrans;		/* FIN retransmits by the end whose segment was dropped */
	int attempts;			/* simultaneous: connections tried until the FINs crossed */
	int connections;		/* churn: connections made, each with two closing ends */
	int client_closed_first;	/* churn: of those, closed by the client first */
	/*
	 * churn: connections the server accepted from a client port whose last connection it
	 * had closed first: the new one's SYN (or the reset that answered our ACK of it) ended
	 * that one's TIME_WAIT, unless it had expired (in a run of over a minute)
	 */
	int server_tw_taken;
	int nconns;			/* the connections, in order; conns[0] is client/server */
	struct scenario_conn conns[SCENARIO_MAX_CONNS];
	long long tw_sockets;		/* timewait sockets the namespace had at the end */
	__u64 mark_ns;			/* CLOCK_MONOTONIC: when what the timers time began */
	/* scripted peer, one kernel end: CLOCK_MONOTONIC just before its close() or shutdown(),
	 * which its FIN_WAIT1 cannot precede; 0 for the others */
	__u64 close_ns;
	/* watch_resends: segments sent again (a slow host's timers resend on loopback too) */
	int resends;
	struct scenario_settings set;
	double elapsed_ms;
	char error[256];		/* why the scenario failed */
};

void scenario__default_opts(struct scenario_opts *opts);
int scenario__run(const char *name, const struct scenario_opts *opts,
		  struct scenario_result *res);
const char *scenario__name(int i, const char **help);

#endif
