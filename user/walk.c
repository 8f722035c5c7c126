// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include "tcpclose.skel.h"
#include "walk.h"

#define MAX_NETNS 4096

static int out__reserve(struct walk_out *out, size_t more)
{
	char *p;

	if (out->len + more <= out->cap)
		return 0;
	p = realloc(out->buf, out->cap * 2 + more);
	if (!p)
		return -ENOMEM;
	out->buf = p;
	out->cap = out->cap * 2 + more;
	return 0;
}

/* an iterator walks the namespace of whoever creates it: drain one created there */
static int walk_one(struct loader *l, int nsfd, struct walk_out *out)
{
	char buf[4096];
	int fd, n, err = 0;

	if (nsfd >= 0 && setns(nsfd, CLONE_NEWNET))
		return -errno;
	fd = bpf_iter_create(bpf_link__fd(l->skel->links.tc_iter));
	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (!out)
			continue;
		err = out__reserve(out, n);
		if (err)
			break;
		memcpy(out->buf + out->len, buf, n);
		out->len += n;
	}
	if (n < 0)
		err = -errno;
	close(fd);
	return err;
}

struct ns_set {
	ino_t seen[MAX_NETNS];
	int n;
};

/* open path if it is a namespace not walked yet; -1 otherwise */
static int ns_set__open(struct ns_set *set, const char *path)
{
	struct stat st;
	int fd;

	if (stat(path, &st))
		return -1;
	for (int i = 0; i < set->n; i++)
		if (set->seen[i] == st.st_ino)
			return -1;
	if (set->n == MAX_NETNS)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		set->seen[set->n++] = st.st_ino;
	return fd;
}

static bool is_netns(int fd)
{
	struct statfs sfs;

	return !fstatfs(fd, &sfs) && sfs.f_type == NSFS_MAGIC;
}

static int walk_dir(struct loader *l, struct ns_set *set, const char *dir, const char *fmt,
		    struct walk_out *out)
{
	struct dirent *de;
	char path[512];
	int err = 0;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		int fd, e;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), fmt, de->d_name);
		fd = ns_set__open(set, path);
		if (fd < 0)
			continue;
		/*
		 * A file in /run/netns with no namespace mounted on it yet (an "ip netns add"
		 * under way, or one that died) is not a namespace: setns() would say EINVAL.
		 */
		if (!is_netns(fd)) {
			close(fd);
			continue;
		}
		e = walk_one(l, fd, out);
		/* another namespace it may not enter: walk the rest, and let the caller say so */
		if (e == -EPERM)
			l->walk_denied++;
		else if (e && !err)
			err = e;
		close(fd);
	}
	closedir(d);
	return err;
}

int walk__sockets(struct loader *l, const char *netns_path, enum tc_iter_mode mode,
		  __u64 gauges[TC_NR_STATES], struct walk_out *out)
{
	struct ns_set *set;
	int self, fd, err;

	l->skel->bss->iter_mode = mode;
	memset(l->skel->bss->gauges, 0, sizeof(l->skel->bss->gauges));

	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	if (netns_path) {
		fd = open(netns_path, O_RDONLY | O_CLOEXEC);
		err = fd < 0 ? -errno : walk_one(l, fd, out);
		if (fd >= 0)
			close(fd);
	} else {
		set = calloc(1, sizeof(*set));
		if (!set) {
			close(self);
			return -ENOMEM;
		}
		ns_set__open(set, "/proc/self/ns/net");
		err = walk_one(l, -1, out);
		if (!err)
			err = walk_dir(l, set, "/run/netns", "/run/netns/%s", out);
		if (!err)
			err = walk_dir(l, set, "/proc", "/proc/%s/ns/net", out);
		free(set);
	}
	/* back home, whatever happened */
	if (setns(self, CLONE_NEWNET) && !err)
		err = -errno;
	close(self);
	if (gauges)
		memcpy(gauges, (const void *)l->skel->bss->gauges, sizeof(__u64) * TC_NR_STATES);
	return err;
}
