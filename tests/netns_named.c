// SPDX-License-Identifier: GPL-2.0
/*
 * netns_named: private network namespaces for tests. A named namespace is bind-mounted at
 * /run/netns/NAME, as "ip netns add" does, so the tracer can be pointed at it; deleting it
 * purges its TIME_WAIT sockets, and netns__destroy() waits until that has happened.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "netns_named.h"

#define NETNS_RUN_DIR "/run/netns"

static double netns__now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int netns__run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int netns__run(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int status;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	status = system(cmd);
	if (status == -1)
		return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

/*
 * Create /run/netns/PREFIX-PID-N with lo up, without entering it, and a veth whose far end
 * lives in it: the near end disappears when the kernel starts cleaning the namespace up.
 */
int netns__create(struct netns *ns, const char *prefix)
{
	static int seq;
	struct stat st = { 0 };
	int home, fd, err;

	memset(ns, 0, sizeof(*ns));
	ns->home = -1;
	snprintf(ns->name, sizeof(ns->name), "%s-%d-%d", prefix, getpid(), seq);
	snprintf(ns->path, sizeof(ns->path), NETNS_RUN_DIR "/%s", ns->name);
	snprintf(ns->veth, sizeof(ns->veth), "nsv%d", seq++);
	if (mkdir(NETNS_RUN_DIR, 0755) && errno != EEXIST)
		return -errno;
	fd = open(ns->path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
	if (fd < 0)
		return -errno;
	close(fd);
	home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (home < 0) {
		err = -errno;
		goto err_unlink;
	}
	if (unshare(CLONE_NEWNET)) {
		err = -errno;
		close(home);
		goto err_unlink;
	}
	err = netns__lo_up();
	if (!err && mount("/proc/self/ns/net", ns->path, "none", MS_BIND, NULL))
		err = -errno;
	if (!err && stat(ns->path, &st))
		err = -errno;
	ns->ino = st.st_ino;
	if (setns(home, CLONE_NEWNET) && !err)
		err = -errno;
	close(home);
	if (err)
		goto err_unlink;
	err = netns__run("ip link add %s type veth peer name veth0 netns %s", ns->veth,
			 ns->name);
	if (err) {
		netns__destroy(ns, 0);
		return err;
	}
	return 0;

err_unlink:
	umount2(ns->path, MNT_DETACH);
	unlink(ns->path);
	return err;
}

int netns__enter(struct netns *ns)
{
	int fd, err = 0;

	if (ns->home >= 0)
		return -EBUSY;
	ns->home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (ns->home < 0)
		return -errno;
	fd = open(ns->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET)) {
		err = -errno;
		close(ns->home);
		ns->home = -1;
	}
	if (fd >= 0)
		close(fd);
	return err;
}

int netns__leave(struct netns *ns)
{
	int err = 0;

	if (ns->home < 0)
		return 0;
	if (setns(ns->home, CLONE_NEWNET))
		err = -errno;
	close(ns->home);
	ns->home = -1;
	return err;
}

static int netns__wait_gone(const char *ifname, double deadline)
{
	while (if_nametoindex(ifname)) {
		if (netns__now_ms() > deadline)
			return -ETIMEDOUT;
		nanosleep(&(struct timespec){ .tv_nsec = 2000000 }, NULL);
	}
	return 0;
}

/*
 * Delete the namespace and, unless timeout_ms is 0, wait until the kernel has finished
 * cleaning it up, TIME_WAIT purge included. Cleanups run one batch at a time on a single
 * ordered workqueue ("netns"). Our veth end going away means this namespace's batch has
 * begun; a probe namespace deleted after that is cleaned in a later batch, so once its
 * veth is gone too, ours is complete.
 */
int netns__destroy(struct netns *ns, int timeout_ms)
{
	double deadline = netns__now_ms() + timeout_ms;
	struct netns probe;
	int err;

	netns__leave(ns);
	if (umount2(ns->path, MNT_DETACH) && errno != EINVAL && errno != ENOENT)
		return -errno;
	if (unlink(ns->path) && errno != ENOENT)
		return -errno;
	if (!timeout_ms)
		return 0;
	/* still there: a process, socket or open fd holds the namespace */
	err = netns__wait_gone(ns->veth, deadline);
	if (err)
		return err;
	err = netns__create(&probe, "probe");
	if (err)
		return err;
	err = netns__destroy(&probe, 0);
	return err ? err : netns__wait_gone(probe.veth, deadline);
}
