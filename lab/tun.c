// SPDX-License-Identifier: GPL-2.0
/* tun: a point-to-point tun device to a scripted peer, with addresses of both families */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "netns.h"
#include "tun.h"

#define TUN_ADDR6_WAIT_MS 10000

/* struct in6_ifreq of <linux/ipv6.h>, which does not mix with <netinet/in.h> */
struct tun_in6_ifreq {
	struct in6_addr addr;
	uint32_t prefixlen;
	int ifindex;
};

void tun__addr(int family, int peer, uint8_t *addr)
{
	if (family == 6)
		inet_pton(AF_INET6, peer ? TUN_PEER6 : TUN_LOCAL6, addr);
	else
		inet_pton(AF_INET, peer ? TUN_PEER4 : TUN_LOCAL4, addr);
}

/* 10.77.0.1 with 10.77.0.2 at the other end: the kernel routes the peer to the device */
static int tun__addr4(int fd, const char *name)
{
	struct ifreq ifr = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	sin->sin_family = AF_INET;
	tun__addr(4, 0, (uint8_t *)&sin->sin_addr);
	if (ioctl(fd, SIOCSIFADDR, &ifr))
		return -errno;
	tun__addr(4, 1, (uint8_t *)&sin->sin_addr);
	if (ioctl(fd, SIOCSIFDSTADDR, &ifr))
		return -errno;
	return 0;
}

/* fd77::1/64 on the device: the prefix route takes fd77::2 to it, no neighbours on a tun */
static int tun__addr6(int ifindex)
{
	struct tun_in6_ifreq req = { .prefixlen = 64, .ifindex = ifindex };
	int fd, err = 0;

	tun__addr(6, 0, req.addr.s6_addr);
	fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, SIOCSIFADDR, &req))
		err = -errno;
	close(fd);
	return err;
}

static int tun__up(int fd, const char *name)
{
	struct ifreq ifr = { 0 };

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr))
		return -errno;
	ifr.ifr_flags |= IFF_UP;
	return ioctl(fd, SIOCSIFFLAGS, &ifr) ? -errno : 0;
}

/*
 * Even without duplicate address detection, an IPv6 address stays tentative, and bind()
 * refuses it (EADDRNOTAVAIL), until the kernel's addrconf work has run: soon, but later
 * still on a loaded host. Wait for it, up to TUN_ADDR6_WAIT_MS.
 */
static int tun__wait_addr6(void)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	int fd, err = -ETIMEDOUT;

	tun__addr(6, 0, sin6.sin6_addr.s6_addr);
	for (int waited = 0; waited < TUN_ADDR6_WAIT_MS && err; waited++) {
		fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		err = bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) ? -errno : 0;
		close(fd);
		if (err && err != -EADDRNOTAVAIL)
			return err;
		if (err)
			usleep(1000);
	}
	return err;
}

int tun__open(struct tun *t, const char *name)
{
	struct ifreq ifr = { .ifr_flags = IFF_TUN | IFF_NO_PI };
	char sysctl[96];
	int sfd, err;

	memset(t, 0, sizeof(*t));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	t->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (t->fd < 0)
		return -errno;
	if (ioctl(t->fd, TUNSETIFF, &ifr)) {
		err = -errno;
		goto err_close;
	}
	snprintf(t->name, sizeof(t->name), "%s", ifr.ifr_name);
	t->ifindex = if_nametoindex(t->name);
	/* no duplicate address detection: fd77::1 must be usable the moment the link is up */
	snprintf(sysctl, sizeof(sysctl), "net.ipv6.conf.%s.accept_dad", t->name);
	err = netns__sysctl(sysctl, "0");
	if (err)
		goto err_close;
	sfd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sfd < 0) {
		err = -errno;
		goto err_close;
	}
	err = tun__addr4(sfd, t->name) ?: tun__up(sfd, t->name) ?: tun__addr6(t->ifindex) ?:
	      tun__wait_addr6();
	close(sfd);
	if (err)
		goto err_close;
	return 0;

err_close:
	close(t->fd);
	t->fd = -1;
	return err;
}

void tun__close(struct tun *t)
{
	if (t->fd > 0)
		close(t->fd);
	t->fd = -1;
}
