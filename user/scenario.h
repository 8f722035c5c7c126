/* SPDX-License-Identifier: GPL-2.0 */
/* scenario: real TCP connections over loopback, closed in one chosen way */
#ifndef TCPCLOSE_SCENARIO_H
#define TCPCLOSE_SCENARIO_H

#include <stdbool.h>
#include <sys/types.h>

struct scenario_opts {
	int family;		/* 4 or 6; 0: the scenario's own (6 for active6, else 4) */
	int delay_ms;		/* active: the server closes this long after EOF */
	long bytes;		/* halfclose: bytes the server sends after the client's FIN */
	int count;		/* churn: connections */
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
	double elapsed_ms;
	char error[256];		/* why the scenario failed */
};

void scenario__default_opts(struct scenario_opts *opts);
int scenario__run(const char *name, const struct scenario_opts *opts,
		  struct scenario_result *res);
const char *scenario__name(int i, const char **help);

#endif
