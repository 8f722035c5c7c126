// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cgroup.h"

#define CGROUPS_WAYS 4
#define FILEID_KERNFS 0xfe	/* include/linux/exportfs.h: a kernfs node's 64-bit id */

/* undo mountinfo's escapes of space, tab, newline and backslash: \040, \011, \012, \134 */
static void mountinfo__unescape(const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (; *in && o + 1 < len; in++) {
		if (in[0] == '\\' && in[1] >= '0' && in[1] <= '3' && in[2] >= '0' && in[2] <= '7' &&
		    in[3] >= '0' && in[3] <= '7') {
			out[o++] = (in[1] - '0') << 6 | (in[2] - '0') << 3 | (in[3] - '0');
			in += 3;
		} else {
			out[o++] = *in;
		}
	}
	out[o] = '\0';
}

int cgroups__find_mount(const char *mountinfo, char *buf, size_t len)
{
	char *line = NULL, *sep, mnt[PATH_MAX], path[PATH_MAX], fstype[64];
	size_t cap = 0;
	int err = -ENOENT;
	struct stat st;
	FILE *f = fopen(mountinfo, "re");

	if (!f)
		return -errno;
	/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER */
	while (getline(&line, &cap, f) > 0) {
		sep = strstr(line, " - ");
		if (!sep || sscanf(sep, " - %63s", fstype) != 1 || strcmp(fstype, "cgroup2"))
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
			continue;
		mountinfo__unescape(mnt, path, sizeof(path));
		if (err)
			snprintf(buf, len, "%s", path);
		err = 0;
		/*
		 * The whole hierarchy, whose root cgroup has id 1, before a mount of a subtree:
		 * in a container with a cgroup namespace of its own, /sys/fs/cgroup shows only
		 * the container's, and the host's may be mounted beside it (a hostPath /sys)
		 */
		if (!stat(path, &st) && st.st_ino == 1) {
			snprintf(buf, len, "%s", path);
			break;
		}
	}
	free(line);
	fclose(f);
	return err;
}

/* the type of the mount's file handles, if this process may open by handle; else -1 */
static int cgroups__probe_handles(struct cgroups *cg)
{
	struct {
		struct file_handle fh;
		unsigned char bytes[sizeof(__u64)];
	} h = { .fh.handle_bytes = sizeof(__u64) };
	int mount_id, fd;

	if (name_to_handle_at(cg->mnt_fd, "", &h.fh, &mount_id, AT_EMPTY_PATH) ||
	    h.fh.handle_type != FILEID_KERNFS || h.fh.handle_bytes != sizeof(__u64))
		return -1;
	/* the root itself, by its handle: EPERM without CAP_DAC_READ_SEARCH */
	fd = open_by_handle_at(cg->mnt_fd, &h.fh, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	close(fd);
	return h.fh.handle_type;
}

int cgroups__init(struct cgroups *cg, const char *mountinfo, unsigned int max)
{
	memset(cg, 0, sizeof(*cg));
	cg->mnt_fd = -1;
	cg->handle_type = -1;
	cg->nsets = (max + CGROUPS_WAYS - 1) / CGROUPS_WAYS ?: 1;
	cg->slots = calloc((size_t)cg->nsets * CGROUPS_WAYS, sizeof(*cg->slots));
	if (!cg->slots)
		return -ENOMEM;
	if (cgroups__find_mount(mountinfo, cg->mnt, sizeof(cg->mnt)))
		return 0;
	cg->mnt_fd = open(cg->mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg->mnt_fd < 0) {
		cg->mnt[0] = '\0';
		return 0;
	}
	cg->handle_type = cgroups__probe_handles(cg);
	return 0;
}

void cgroups__free(struct cgroups *cg)
{
	for (size_t i = 0; cg->slots && i < (size_t)cg->nsets * CGROUPS_WAYS; i++)
		free(cg->slots[i].path);
	free(cg->slots);
	cg->slots = NULL;
	if (cg->mnt_fd >= 0)
		close(cg->mnt_fd);
	cg->mnt_fd = -1;
}

/* path of an open directory below the mount, from the cgroup2 root; NULL if not below it */
static char *cgroups__fd_path(const struct cgroups *cg, int fd)
{
	char link[64], target[PATH_MAX];
	size_t m = strlen(cg->mnt);
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return NULL;
	target[n] = '\0';
	if (strncmp(target, cg->mnt, m) || (target[m] && target[m] != '/'))
		return NULL;
	return strdup(target[m] ? target + m : "/");
}

/* by the handle the kernel makes of the id: ESTALE once the cgroup is removed */
static int cgroups__by_handle(const struct cgroups *cg, __u64 id, char **path)
{
	struct {
		struct file_handle fh;
		unsigned char bytes[sizeof(__u64)];
	} h = { .fh.handle_bytes = sizeof(__u64), .fh.handle_type = cg->handle_type };
	int fd;

	memcpy(h.fh.f_handle, &id, sizeof(id));
	fd = open_by_handle_at(cg->mnt_fd, &h.fh, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*path = cgroups__fd_path(cg, fd);
	close(fd);
	return 0;
}

/* depth-first below dir (path rel, from the root) for the directory whose inode is id */
static char *cgroups__walk(int fd, const char *rel, __u64 id)
{
	char sub[PATH_MAX], *found = NULL;
	struct dirent *e;
	struct stat st;
	DIR *d = fdopendir(fd);

	if (!d) {
		close(fd);
		return NULL;
	}
	while (!found && (e = readdir(d))) {
		if (e->d_type != DT_DIR || !strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (snprintf(sub, sizeof(sub), "%s/%s", rel, e->d_name) >= (int)sizeof(sub))
			continue;
		fd = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			continue;
		if (!fstat(fd, &st) && st.st_ino == id) {
			close(fd);
			found = strdup(sub);
		} else {
			found = cgroups__walk(fd, sub, id);
		}
	}
	closedir(d);
	return found;
}

/* where id is now, or NULL: removed, or not under the mount (another cgroup namespace) */
static char *cgroups__resolve(struct cgroups *cg, __u64 id)
{
	struct stat st;
	char *path = NULL;
	int fd;

	if (cg->mnt_fd < 0)
		return NULL;
	if (cg->handle_type >= 0 && cgroups__by_handle(cg, id, &path) != -EPERM)
		return path;
	if (!fstat(cg->mnt_fd, &st) && st.st_ino == id)
		return strdup("/");
	cg->walks++;
	fd = openat(cg->mnt_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? NULL : cgroups__walk(fd, "", id);
}

static void cgroup_info__fill(struct cgroup_info *ci, __u64 id, char *path)
{
	free(ci->path);
	memset(ci, 0, sizeof(*ci));
	ci->id = id;
	ci->path = path;
	if (!path)
		return;
	container__parse(path, &ci->container);
	container__name(&ci->container, ci->name, sizeof(ci->name));
}

const struct cgroup_info *cgroups__lookup(struct cgroups *cg, __u64 id)
{
	/* the ids of cgroups made one after another differ in their low bits: mix them */
	__u64 h = id * 0x9e3779b97f4a7c15ULL;
	struct cgroup_info *set = &cg->slots[(h >> 32) % cg->nsets * CGROUPS_WAYS], *victim = set;

	if (!id)
		return NULL;
	cg->lookups++;
	cg->ticks++;
	for (int i = 0; i < CGROUPS_WAYS; i++) {
		if (set[i].id == id) {
			set[i].used = cg->ticks;
			return &set[i];
		}
		if (set[i].used < victim->used)
			victim = &set[i];
	}
	/* a removed cgroup's id is never given to another: "not found" is kept as well */
	cg->misses++;
	cgroup_info__fill(victim, id, cgroups__resolve(cg, id));
	victim->used = cg->ticks;
	return victim;
}

const char *cgroups__name(struct cgroups *cg, __u64 id)
{
	struct cgroup_info *ci = (struct cgroup_info *)cgroups__lookup(cg, id);

	if (!ci)
		return "-";
	if (ci->name[0])
		return ci->name;
	if (ci->path)
		return ci->path;
	snprintf(ci->name, sizeof(ci->name), "cgroup:%llu", (unsigned long long)ci->id);
	return ci->name;
}
