// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cgroupfs.h"

int cgroupfs__mount(char *mnt, size_t size)
{
	char dev[256], dir[256], type[64];
	FILE *f = fopen("/proc/self/mounts", "r");
	int err = -ENOENT;

	if (!f)
		return -errno;
	while (fscanf(f, "%255s %255s %63s %*[^\n]", dev, dir, type) == 3) {
		if (!strcmp(type, "cgroup2")) {
			snprintf(mnt, size, "%s", dir);
			err = 0;
			break;
		}
	}
	fclose(f);
	return err;
}

int cgroupfs__self(const char *mnt, char *path, size_t size)
{
	char line[512];
	FILE *f = fopen("/proc/self/cgroup", "r");
	int err = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(path, size, "%s%s", mnt, strcmp(line + 3, "/") ? line + 3 : "");
		err = 0;
		break;
	}
	fclose(f);
	return err;
}

int cgroupfs__move(const char *path, pid_t pid)
{
	char procs[4200], num[16];
	int fd, n, err = 0;

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", path);
	n = snprintf(num, sizeof(num), "%d", (int)pid);
	fd = open(procs, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, num, n) != n)
		err = -errno;
	close(fd);
	return err;
}
