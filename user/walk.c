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

/*
 * An iterator walks the namespace of whoever creates it: drain one created there. *moved
 * says we left home (and must go back): never for our own namespace, so that a walk of it
 * alone needs no CAP_SYS_ADMIN.
 */
static int walk_one(struct loader *l, int nsfd, ino_t ino, struct walk_out *out, bool *moved)
{
	char buf[4096];
	int fd, n, err = 0;

	if (nsfd >= 0) {
		if (setns(nsfd, CLONE_NEWNET))
			return -errno;
		*moved = true;
	}
	fd = bpf_iter_create(bpf_link__fd(l->skel->links.tcpc_iter));
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
	/* still in it: what the caller reads of the namespace itself (its sysctls) */
	if (!err && out && out->in_netns)
		err = out->in_netns(out->ctx, ino);
	return err;
}

/* the namespaces walked so far, by inode: as many as the host has */
struct ns_set {
	ino_t *seen;
	int n, cap;
};

static bool ns_set__seen(const struct ns_set *set, ino_t ino)
{
	for (int i = 0; i < set->n; i++)
		if (set->seen[i] == ino)
			return true;
	return false;
}

static int ns_set__add(struct ns_set *set, ino_t ino)
{
	ino_t *more;

	if (set->n == set->cap) {
		more = realloc(set->seen, (set->cap ? 2 * set->cap : 64) * sizeof(*more));
		if (!more)
			return -ENOMEM;
		set->seen = more;
		set->cap = set->cap ? 2 * set->cap : 64;
	}
	set->seen[set->n++] = ino;
	return 0;
}

/*
 * Open path if it is a namespace not walked yet: its fd, -1 if there is nothing to walk,
 * or a negative errno below -1 (-EACCES: another user's process, which needs
 * CAP_SYS_PTRACE to look into).
 */
static int ns_set__open(struct ns_set *set, const char *path)
{
	struct stat st;
	int fd;

	if (stat(path, &st) || ns_set__seen(set, st.st_ino))
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == EACCES || errno == EPERM ? -EACCES : -1;
	if (ns_set__add(set, st.st_ino)) {
		close(fd);
		return -ENOMEM;
	}
	return fd;
}

static bool is_netns(int fd)
{
	struct statfs sfs;

	return !fstatfs(fd, &sfs) && sfs.f_type == NSFS_MAGIC;
}

static int walk_dir(struct loader *l, struct ns_set *set, const char *dir, const char *fmt,
		    struct walk_out *out, bool *moved)
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
		if (fd == -EACCES) {
			l->walk_denied++;
			continue;
		}
		if (fd == -ENOMEM)
			err = err ?: fd;
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
		/* ns_set__open() added it last */
		e = walk_one(l, fd, set->seen[set->n - 1], out, moved);
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

/*
 * A followed timewait socket's row names it (tcpc_stuck.tw): its process and cgroup are
 * its record's head's, which the BPF side sent when the socket took the connection on.
 * Without entries the walk names every timewait socket, followed or not: the head at its
 * address is its own if the ports are, and gives its age too; a --stuck row is kept if
 * that is past the threshold, a held one (top) whatever it is, as not followed (tw 0) if
 * there is no such head. Returns how many rows are left.
 */
static size_t walk__fill_heads(struct loader *l, struct tcpc_stuck *st, size_t n, bool stuck)
{
	__u64 threshold = l->skel->rodata->stuck_ns;
	struct tcpc_conn head;
	size_t kept = 0;

	for (size_t i = 0; i < n; i++) {
		struct tcpc_stuck *row = &st[kept];
		bool found;

		if (kept != i)
			*row = st[i];
		found = row->tw && tw_join__find(l->tw_heads, row->tw, &head) &&
			(!l->tw_entryless || (head.sport == row->sport && head.dport == row->dport));
		if (row->tw && l->tw_entryless) {
			if (found && head.state == row->state && row->ts_ns > head.enter_ns)
				row->age_ns = row->ts_ns - head.enter_ns;
			row->partial = found && (head.flags & (TCPC_F_PARTIAL | TCPC_F_STATES_LOST));
			if (stuck && (!found || row->age_ns < threshold))
				continue;
			if (!found)
				row->tw = 0;
		}
		kept++;
		if (!found)
			continue;
		row->pid = head.pid;
		row->cgroup_id = head.cgroup_id;
		memcpy(row->comm, head.comm, sizeof(row->comm));
	}
	return kept;
}

int walk__sockets(struct loader *l, const char *netns_path, enum tcpc_iter_mode mode,
		  __u64 gauges[TCPC_NR_STATES], struct walk_out *out)
{
	struct ns_set set = {};
	struct stat home, st;
	bool moved = false;
	int self, fd, err;

	l->skel->bss->iter_mode = mode;
	memset(l->skel->bss->gauges, 0, sizeof(l->skel->bss->gauges));

	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0 || fstat(self, &home)) {
		err = -errno;
		if (self >= 0)
			close(self);
		return err;
	}
	if (netns_path) {
		fd = open(netns_path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			err = -errno;
		else if (fstat(fd, &st))
			err = -errno;
		else if (st.st_ino == home.st_ino)
			err = walk_one(l, -1, st.st_ino, out, &moved);
		else
			err = walk_one(l, fd, st.st_ino, out, &moved);
		if (fd >= 0)
			close(fd);
	} else {
		err = ns_set__add(&set, home.st_ino);
		if (!err)
			err = walk_one(l, -1, home.st_ino, out, &moved);
		if (!err)
			err = walk_dir(l, &set, "/run/netns", "/run/netns/%s", out, &moved);
		if (!err)
			err = walk_dir(l, &set, "/proc", "/proc/%s/ns/net", out, &moved);
		free(set.seen);
	}
	/* back home, whatever happened */
	if (moved && setns(self, CLONE_NEWNET) && !err)
		err = -errno;
	close(self);
	if (gauges)
		memcpy(gauges, (const void *)l->skel->bss->gauges, sizeof(__u64) * TCPC_NR_STATES);
	if (out && (mode == TCPC_ITER_STUCK || mode == TCPC_ITER_HELD))
		out->len = walk__fill_heads(l, (struct tcpc_stuck *)out->buf,
					    out->len / sizeof(struct tcpc_stuck),
					    mode == TCPC_ITER_STUCK) * sizeof(struct tcpc_stuck);
	return err;
}

int walk__mark(struct loader *l, const char *netns_path, __u8 mark)
{
	struct walk_out out = {};
	const struct tcpc_tw_found *f;
	int err;

	l->skel->bss->iter_mark = mark;
	if (!l->tw_entryless)
		return walk__sockets(l, netns_path, TCPC_ITER_MARK, NULL, NULL);
	/* the timewait sockets have no entry to mark: their heads here are marked */
	err = walk__sockets(l, netns_path, TCPC_ITER_MARK, NULL, &out);
	f = (const void *)out.buf;
	for (size_t i = 0; i < out.len / sizeof(*f); i++)
		tw_join__mark(l->tw_heads, &f[i], mark);
	free(out.buf);
	return err;
}
