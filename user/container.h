/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Who a cgroup v2 path belongs to, as the container runtimes and systemd write their paths:
 * a systemd unit, a container id and its runtime, a Kubernetes pod UID. Only what the path
 * itself says: nothing is asked of a runtime. The patterns: docs/CONTAINERS.md.
 */
#ifndef __CONTAINER_H
#define __CONTAINER_H

#include <stddef.h>

#define CONTAINER_ID_LEN 64		/* hex digits of a Docker, containerd, CRI-O, Podman id */
#define CONTAINER_POD_UID_LEN 36	/* a Kubernetes pod UID: 8-4-4-4-12 */
#define CONTAINER_UNIT_LEN 256		/* systemd unit names are at most 255 bytes */
#define CONTAINER_NAME_LEN 64		/* container__name() */

struct container {
	/* "docker", "containerd", "cri-o", "podman", "conmon" (the monitor of a Podman or a
	 * CRI-O container: its id is that container's); NULL if the path names none */
	const char *runtime;
	char id[CONTAINER_ID_LEN + 1];		/* the innermost container's id, or "" */
	char pod_uid[CONTAINER_POD_UID_LEN + 1];	/* with dashes, as the API shows it, or "" */
	char unit[CONTAINER_UNIT_LEN];		/* the innermost *.service or *.scope, or "" */
};

/* parse path (as /proc/PID/cgroup shows it: from the cgroup2 root, "/" for the root) */
void container__parse(const char *path, struct container *c);

/*
 * A short name to group by: "RUNTIME:ID12" (the first 12 digits of the id, as docker ps
 * shows it; "container:ID12" if the runtime is unnamed), else "pod:UID", else the unit,
 * else "" (the caller then has the path or the id). Not escaped: a unit name is whatever
 * the unit's creator chose.
 */
void container__name(const struct container *c, char *buf, size_t len);

#endif /* __CONTAINER_H */
