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

#endif
