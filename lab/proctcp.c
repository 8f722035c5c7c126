// SPDX-License-Identifier: GPL-2.0
/* proctcp: lines of /proc/net/tcp{,6} (proctcp.h) */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/types.h>
#include <netinet/in.h>
#include "proctcp.h"
#include "sock.h"

#define TCP_TIME_WAIT_STATE 6

void proctcp__loopback(int family, char addr[PROCTCP_ADDR_LEN])
{
	struct sockaddr_storage ss;
	const void *a;
	int words;

	sock__addr(family, 0, &ss);
	if (family == 6) {
		a = &((const struct sockaddr_in6 *)&ss)->sin6_addr;
		words = 4;
	} else {
		a = &((const struct sockaddr_in *)&ss)->sin_addr;
		words = 1;
	}
	addr[0] = '\0';
	for (int i = 0; i < words; i++) {
		__u32 w;

		memcpy(&w, (const char *)a + 4 * i, sizeof(w));
		snprintf(addr + 8 * i, PROCTCP_ADDR_LEN - 8 * i, "%08X", w);
	}
}

bool proctcp__busy(const char *line, const char *addr, unsigned short port)
{
	char laddr[PROCTCP_ADDR_LEN], raddr[PROCTCP_ADDR_LEN];
	unsigned int lport, rport, st;

	if (sscanf(line, " %*u: %32[0-9A-Fa-f]:%x %32[0-9A-Fa-f]:%x %x", laddr, &lport, raddr,
		   &rport, &st) != 5)
		return false;
	if (st == TCP_TIME_WAIT_STATE)
		return false;
	return (lport == port && !strcmp(laddr, addr)) || (rport == port && !strcmp(raddr, addr));
}

int proctcp__busy_sockets(int family, unsigned short port)
{
	char line[512], addr[PROCTCP_ADDR_LEN];
	int busy = 0;
	FILE *f;

	f = fopen(family == 6 ? "/proc/net/tcp6" : "/proc/net/tcp", "r");
	if (!f)
		return -errno;
	proctcp__loopback(family, addr);
	while (fgets(line, sizeof(line), f))
		busy += proctcp__busy(line, addr, port);
	fclose(f);
	return busy;
}
