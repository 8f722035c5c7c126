// SPDX-License-Identifier: GPL-2.0
/*
 * proctcp: a scenario's sockets told apart in /proc/net/tcp{,6} by address and port, not by
 * port alone; judged against the kernel's own file, with listeners made here.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include "proctcp.h"
#include "sock.h"
#include "test.h"

static const char line_listen[] =
	"   0: 0100007F:2505 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0";
static const char line_other_addr[] =
	"   1: 0200007F:2505 0100007F:24E9 01 00000000:00000000 00:00000000 00000000     0        0 2 1 0000000000000000 20 4 30 10 -1";
static const char line_client[] =
	"   2: 0100007F:9C40 0100007F:2505 01 00000000:00000000 00:00000000 00000000     0        0 3 1 0000000000000000 20 4 30 10 -1";
static const char line_tw[] =
	"   3: 0100007F:2505 0100007F:9C41 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000";

void test_proctcp_lines(void)
{
	const char *lo = "0100007F";	/* 127.0.0.1 as a little-endian host prints it */

	ASSERT_TRUE(proctcp__busy(line_listen, lo, 0x2505), "the listener");
	ASSERT_TRUE(proctcp__busy(line_client, lo, 0x2505), "a client of the listener");
	ASSERT_FALSE(proctcp__busy(line_other_addr, lo, 0x2505),
		     "another address's socket of the same port number");
	ASSERT_FALSE(proctcp__busy(line_tw, lo, 0x2505), "a timewait socket");
	ASSERT_FALSE(proctcp__busy(line_client, lo, 0x2506), "another port");
	ASSERT_FALSE(proctcp__busy("  sl  local_address rem_address   st", lo, 0x2505),
		     "the header");
}

/* a listener on the loopback address, and one on 127.0.0.2 given the same port number */
void test_proctcp_kernel(void)
{
	struct sockaddr_in other = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000002) };
	unsigned short port = 0;
	int lfd, ofd = -1;

	for (int family = 4; family <= 6; family += 2) {
		lfd = sock__listen(family, &port);
		if (!ASSERT_GE(lfd, 0, "listen on loopback"))
			return;
		ASSERT_EQ(proctcp__busy_sockets(family, port), 1, "the listener, found by address");
		if (family == 4) {
			ofd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
			other.sin_port = htons(port);
			if (ASSERT_GE(ofd, 0, "socket") &&
			    ASSERT_OK(bind(ofd, (struct sockaddr *)&other, sizeof(other)) ?: listen(ofd, 1),
				      "the same port number on 127.0.0.2"))
				ASSERT_EQ(proctcp__busy_sockets(family, port), 1,
					  "127.0.0.2's listener not counted");
			if (ofd >= 0)
				close(ofd);
		}
		close(lfd);
		ASSERT_EQ(proctcp__busy_sockets(family, port), 0, "none once it is closed");
	}
}
