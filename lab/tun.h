/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tun: a point-to-point tun device in the current network namespace, whose far end is a
 * program rather than a host: 10.77.0.1 <-> 10.77.0.2 and fd77::1 <-> fd77::2. The
 * addresses exist only in that namespace, so nothing sent to them can leave the machine.
 */
#ifndef TCPCLOSE_TUN_H
#define TCPCLOSE_TUN_H

#include <net/if.h>
#include <stdint.h>

#define TUN_LOCAL4 "10.77.0.1"
#define TUN_PEER4 "10.77.0.2"
#define TUN_LOCAL6 "fd77::1"
#define TUN_PEER6 "fd77::2"

struct tun {
	int fd;			/* reads what the kernel sends; writes arrive as received */
	char name[IF_NAMESIZE];
	int ifindex;
};

/* create it (IFF_TUN | IFF_NO_PI), address both families, bring it up; 0 or -errno */
int tun__open(struct tun *t, const char *name);
void tun__close(struct tun *t);

/* the local and the peer address of family 4 or 6, as 4 or 16 bytes */
void tun__addr(int family, int peer, uint8_t *addr);

#endif
