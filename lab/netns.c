// SPDX-License-Identifier: GPL-2.0
/* netns: the current network namespace: a fresh one, its identity, sysctls and sockets */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "netns.h"

int netns__lo_up(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd, err = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, SIOCGIFFLAGS, &ifr)) {
		err = -errno;
	} else {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr))
			err = -errno;
	}
	close(fd);
	return err;
}

int netns__unshare(void)
{
	if (unshare(CLONE_NEWNET))
		return -errno;
	return netns__lo_up();
}

int netns__unshare_own_hash(unsigned int buckets)
{
	char value[16];
	int err;

	/* the setting is read from the namespace that makes the child: one in between */
	if (unshare(CLONE_NEWNET))
		return -errno;
	snprintf(value, sizeof(value), "%u", buckets);
	err = netns__sysctl("net/ipv4/tcp_child_ehash_entries", value);
	if (err && err != -ENOENT)
		return err;
	return netns__unshare();
}

unsigned int netns__inode(void)
{
	struct stat st;

	if (stat("/proc/self/ns/net", &st))
		return 0;
	return st.st_ino;
}

int netns__sysctl(const char *name, const char *value)
{
	char path[128], got[64] = "";
	ssize_t n;
	size_t i;
	int fd, err = 0;

	n = snprintf(path, sizeof(path), "/proc/sys/%s", name);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	for (i = strlen("/proc/sys/"); path[i]; i++) {
		if (path[i] == '.')
			path[i] = '/';
	}
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, value, strlen(value)) != (ssize_t)strlen(value))
		err = -errno ?: -EIO;
	/* read it back: a value the kernel clamped or ignored is not what the caller assumes */
	if (!err) {
		n = pread(fd, got, sizeof(got) - 1, 0);
		if (n <= 0 || atoll(got) != atoll(value))
			err = -EINVAL;
	}
	close(fd);
	return err;
}

/*
 * The timewait sockets of the current namespace right now, as /proc/net/sockstat counts them
 * (its death row's refcount): exact, where a dump can miss one that moves meanwhile.
 */
long long netns__tw_sockets(void)
{
	char line[256];
	long long tw = -ENOENT;
	FILE *f;

	f = fopen("/proc/net/sockstat", "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "TCP: inuse %*d orphan %*d tw %lld", &tw) == 1)
			break;
	}
	fclose(f);
	return tw;
}
