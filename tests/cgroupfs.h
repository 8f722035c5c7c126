/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cgroupfs: the cgroup v2 hierarchy as the tests read and change it, straight from the
 * kernel's files (not through tcpclose's own user/cgroup.c, which they judge).
 */
#ifndef TCPCLOSE_CGROUPFS_H
#define TCPCLOSE_CGROUPFS_H

#include <stddef.h>
#include <sys/types.h>

/* where cgroup2 is mounted (/proc/self/mounts), or -ENOENT */
int cgroupfs__mount(char *mnt, size_t size);

/* the cgroup v2 directory of this process ("0::/PATH" in /proc/self/cgroup, under mnt) */
int cgroupfs__self(const char *mnt, char *path, size_t size);

/* move a process (0: this one, and so the children it forks next) into a cgroup */
int cgroupfs__move(const char *path, pid_t pid);

#endif
