// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The cgroup id cache over a directory tree standing in for the cgroup2 mount (a mountinfo
 * of the test's own says it is one): ids found by a walk, once each; an id whose directory
 * is gone still answers, without a path; the cache holds no more than asked. The real
 * hierarchy, with file handles, is the integration tests' (cgroup_identity.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cgroup.h"
#include "test.h"

#define UID "7c9b3f1e-2d4a-4b6c-8e0f-1a3c5e7b9d2f"
#define CID "4f8c2a6e9b1d3c5e7f9a0b2c4d6e8f0a1b3c5d7e9f1a2b4c6d8e0f2a4b6c8d0e"

static const char *const dirs[] = {
	"/system.slice", "/system.slice/nginx.service", "/kubepods", "/kubepods/burstable",
	"/kubepods/burstable/pod" UID, "/kubepods/burstable/pod" UID "/" CID, "/gone",
};

struct fake_root {
	char root[64];		/* with a space: mountinfo writes it \040 */
	char mountinfo[96];
};

static bool fake_root__make(struct fake_root *fr)
{
	char path[512];
	FILE *f;

	snprintf(fr->root, sizeof(fr->root), "/tmp/tcpclose cg.XXXXXX");
	if (!ASSERT_NOT_NULL(mkdtemp(fr->root), "a temporary directory"))
		return false;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", fr->root, dirs[i]);
		if (!ASSERT_OK(mkdir(path, 0755), path))
			return false;
	}
	snprintf(fr->mountinfo, sizeof(fr->mountinfo), "%s.mountinfo", fr->root);
	f = fopen(fr->mountinfo, "w");
	if (!ASSERT_NOT_NULL(f, "write a mountinfo"))
		return false;
	fprintf(f, "25 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n");
	fprintf(f, "40 30 0:37 / /tmp/tcpclose\\040cg.%s rw,relatime shared:9 - cgroup2 cgroup2 rw\n",
		fr->root + strlen("/tmp/tcpclose cg."));
	fclose(f);
	return true;
}

static void fake_root__remove(struct fake_root *fr)
{
	char path[512];

	for (int i = sizeof(dirs) / sizeof(dirs[0]) - 1; i >= 0; i--) {
		snprintf(path, sizeof(path), "%s%s", fr->root, dirs[i]);
		rmdir(path);
	}
	rmdir(fr->root);
	unlink(fr->mountinfo);
}

static __u64 ino_of(const struct fake_root *fr, const char *dir)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s%s", fr->root, dir);
	return stat(path, &st) ? 0 : st.st_ino;
}

void test_cgroup_mountinfo(void)
{
	struct fake_root fr;
	char mnt[128];

	if (!fake_root__make(&fr))
		goto out;
	if (ASSERT_OK(cgroups__find_mount(fr.mountinfo, mnt, sizeof(mnt)), "a cgroup2 line"))
		ASSERT_STREQ(mnt, fr.root, "the mount point, \\040 undone");
	ASSERT_EQ(cgroups__find_mount("/dev/null", mnt, sizeof(mnt)), -ENOENT, "no cgroup2 line");
out:
	fake_root__remove(&fr);
}

void test_cgroup_cache(void)
{
	struct cgroups cg = { .mnt_fd = -1 };
	const struct cgroup_info *ci;
	struct fake_root fr;
	__u64 gone, used = 0;
	char path[512];

	if (!fake_root__make(&fr) || !ASSERT_OK(cgroups__init(&cg, fr.mountinfo, 4), "init"))
		goto out;
	ASSERT_EQ(cg.handle_type, -1, "no kernfs file handles on a plain directory: a walk");
	ci = cgroups__lookup(&cg, ino_of(&fr, "/system.slice/nginx.service"));
	if (ASSERT_NOT_NULL(ci, "found") && ASSERT_NOT_NULL(ci->path, "with a path")) {
		ASSERT_STREQ(ci->path, "/system.slice/nginx.service", "from the mount's root");
		ASSERT_STREQ(ci->container.unit, "nginx.service", "its unit");
	}
	ASSERT_STREQ(cgroups__name(&cg, ino_of(&fr, "/kubepods/burstable/pod" UID "/" CID)),
		     "container:4f8c2a6e9b1d", "a pod's container, by name");
	ASSERT_EQ(cg.walks, 2, "one walk for each of two ids");
	cgroups__lookup(&cg, ino_of(&fr, "/system.slice/nginx.service"));
	ASSERT_EQ(cg.walks, 2, "none for an id seen before");

	/* removed before it was asked for: the id stays, the path is unknown */
	gone = ino_of(&fr, "/gone");
	snprintf(path, sizeof(path), "%s/gone", fr.root);
	rmdir(path);
	ci = cgroups__lookup(&cg, gone);
	if (ASSERT_NOT_NULL(ci, "a removed cgroup's id")) {
		ASSERT_EQ(ci->id, gone, "its id");
		ASSERT_TRUE(ci->path == NULL, "no path");
	}
	snprintf(path, sizeof(path), "cgroup:%llu", (unsigned long long)gone);
	ASSERT_STREQ(cgroups__name(&cg, gone), path, "named by its id");
	ASSERT_TRUE(cgroups__lookup(&cg, 0) == NULL, "id 0: no cgroup");

	/* every directory, twice: never more than 4 kept */
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]) - 1; i++)
			ASSERT_NOT_NULL(cgroups__lookup(&cg, ino_of(&fr, dirs[i]))->path, dirs[i]);
	for (unsigned int i = 0; i < cg.nsets * 4; i++)
		used += cg.slots[i].id != 0;
	ASSERT_LE(used, 4, "cgroups kept");
	ASSERT_STREQ(cgroups__lookup(&cg, ino_of(&fr, ""))->path, "/", "the root is \"/\"");
out:
	cgroups__free(&cg);
	fake_root__remove(&fr);
}
