/* SPDX-License-Identifier: GPL-2.0 */
/*
 * proctcp: lines of /proc/net/tcp and /proc/net/tcp6, whose socket each is and whether it
 * is still exchanging segments. An address there is printed as the kernel holds it: each
 * 32-bit word of it, as the host reads it, in hex.
 */
#ifndef TCPCLOSE_LAB_PROCTCP_H
#define TCPCLOSE_LAB_PROCTCP_H

#include <stdbool.h>

#define PROCTCP_ADDR_LEN 33	/* 32 hex digits for IPv6, and the NUL */

/* the loopback address of family 4 or 6, as those files print it */
void proctcp__loopback(int family, char addr[PROCTCP_ADDR_LEN]);

/*
 * Is the line's socket one end of a connection to the listener at addr:port (its local or
 * its remote endpoint), and not yet in TIME_WAIT? The listener itself counts too.
 */
bool proctcp__busy(const char *line, const char *addr, unsigned short port);

/*
 * How many sockets of the connections to the loopback listener of this port are not yet in
 * TIME_WAIT (the listener itself included), or -errno: once none, no segment of them is
 * still to come. Matched by address and port: by the port alone, a socket of another address
 * that bind() gave the same port number would count (with 500 clients of 127.0.0.2, as
 * metrics_slow_clients makes, a listener on 127.0.0.1 took one of their port numbers in
 * 3.7% of binds here). A timewait socket shows its substate: an orphaned FIN_WAIT2 counts.
 */
int proctcp__busy_sockets(int family, unsigned short port);

#endif
