/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A record's cgroup id as a cgroup v2 path and the identity it shows (container.h), with a
 * bounded cache: the kernel gives only the id, and a lookup costs a system call or a walk
 * of the hierarchy, once per cgroup rather than once per record.
 */
#ifndef __CGROUP_H
#define __CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "container.h"

#define CGROUPS_DEFAULT_MAX 1024	/* cgroups kept; beyond, the least recently used goes */

struct cgroup_info {
	__u64 id;			/* 0: an empty slot */
	char *path;			/* from the cgroup2 root ("/" for it); NULL: not found,
					 * the cgroup was removed before the record was read */
	struct container container;	/* what the path shows */
	char name[CONTAINER_NAME_LEN];	/* container__name(), or "" */
	__u64 used;			/* the lookup that last returned it */
};

struct cgroups {
	char mnt[4096];			/* where cgroup2 is mounted; "" if it is not */
	int mnt_fd;
	int handle_type;		/* of the mount's file handles; -1: ids are found by a walk */
	struct cgroup_info *slots;
	unsigned int nsets;		/* slots: nsets sets of CGROUPS_WAYS */
	__u64 ticks;
	__u64 lookups, misses, walks;	/* misses: resolved by a system call or a walk */
};

/*
 * The cgroup2 mount point in a mountinfo file (/proc/self/mountinfo), its octal escapes
 * undone: the first that shows the whole hierarchy (its root's id is 1), else the first.
 * 0, or -ENOENT if there is none.
 */
int cgroups__find_mount(const char *mountinfo, char *buf, size_t len);

/*
 * Find the cgroup2 mount in mountinfo and keep at most max cgroups. Without a cgroup2 mount
 * every lookup finds no path (the ids are still reported). 0 or a negative errno.
 */
int cgroups__init(struct cgroups *cg, const char *mountinfo, unsigned int max);
void cgroups__free(struct cgroups *cg);

/*
 * The cgroup of id, resolved once: by open_by_handle_at() on the cgroup2 mount (cgroup v2
 * file handles hold the id) where that is allowed (CAP_DAC_READ_SEARCH), else by a walk of
 * the hierarchy comparing inode numbers. Never NULL for a non-zero id (an id not found has
 * path NULL); NULL for 0. Valid until the next lookup.
 */
const struct cgroup_info *cgroups__lookup(struct cgroups *cg, __u64 id);

/*
 * The name a record's connection is grouped by: its container ("docker:0123456789ab"), pod,
 * systemd unit, else its cgroup path, else "cgroup:ID" for a cgroup gone, "-" for none. Not
 * escaped. Valid until the next lookup.
 */
const char *cgroups__name(struct cgroups *cg, __u64 id);

#endif /* __CGROUP_H */
