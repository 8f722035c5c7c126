// SPDX-License-Identifier: GPL-2.0
/*
 * tcpclose-check: what "tcpclose check" runs. A program of its own so that tcpclose, the
 * agent that runs in production with CAP_SYS_ADMIN, carries none of the scenario lab
 * (fork, AF_PACKET, nftables) that checking needs.
 */
#include "check.h"

int main(int argc, char **argv)
{
	return check__main(argc, argv);
}
