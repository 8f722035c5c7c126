/* SPDX-License-Identifier: GPL-2.0 */
/* ss: the TCP sockets of the current network namespace as ss(8) shows them */
#ifndef TCPCLOSE_SS_H
#define TCPCLOSE_SS_H

struct ss_sock {
	char state[16];		/* as ss prints it: TIME-WAIT, FIN-WAIT-2, ... */
	int recvq;
	int sendq;
	char laddr[64];
	unsigned short lport;
	char raddr[64];
	unsigned short rport;
	char timer[16];		/* timewait, keepalive, on, persist, ...; "" without one */
	double timer_ms;	/* time left on the timer */
	int timer_count;	/* its third field: retransmits or probes */
};

int ss__query(const char *filter, struct ss_sock **socks);
int ss__parse_line(const char *line, const char *state, struct ss_sock *s);
double ss__parse_ms(const char *text);
const struct ss_sock *ss__find(const struct ss_sock *socks, int n, unsigned short lport,
			       unsigned short rport);

#endif
