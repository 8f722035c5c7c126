// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The cgroup id cache over a directory tree standing in for the cgroup2 mount (a mountinfo
 * of the test's own says it is one): ids found by a walk, once each; an id whose directory
 * is gone still answers, without a path; the cache holds no more than asked. The real
 * hierarchy, with file handles, is the integration tests' (cgroup_identity.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cgroup.h"
#include "sink.h"
#include "test.h"

#define UID "7c9b3f1e-2d4a-4b6c-8e0f-1a3c5e7b9d2f"
/*
 * A cgroup named by whoever may make one (a delegated subtree, a rootless runtime): ESC ] 0 ;
 * title BEL sets the reader's terminal title; a space, a backslash, a byte that is not UTF-8
 * and a quote. (cgroup v2 refuses '\n' in a name.)
 */
#define HOSTILE "/evil\x1b]0;x\x07 a\\b\xff\""
#define HOSTILE_TEXT "/evil\\x1b]0;x\\x07\\x20a\\x5cb\\xff\""
#define HOSTILE_UTF8 "/evil\x1b]0;x\x07 a\\b\xef\xbf\xbd\""

#define CID "4f8c2a6e9b1d3c5e7f9a0b2c4d6e8f0a1b3c5d7e9f1a2b4c6d8e0f2a4b6c8d0e"

static const char *const dirs[] = {
	"/system.slice", "/system.slice/nginx.service", "/kubepods", "/kubepods/burstable",
	"/kubepods/burstable/pod" UID, "/kubepods/burstable/pod" UID "/" CID, "/gone", HOSTILE,
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
	char path[PATH_MAX];
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
		for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
			if (!strcmp(dirs[i], "/gone"))
				continue;
			ci = cgroups__lookup(&cg, ino_of(&fr, dirs[i]));
			ASSERT_TRUE(ci && ci->path, dirs[i]);
		}
	for (unsigned int i = 0; i < cg.nsets * 4; i++)
		used += cg.slots[i].id != 0;
	ASSERT_LE(used, 4, "cgroups kept");
	ASSERT_STREQ(cgroups__lookup(&cg, ino_of(&fr, ""))->path, "/", "the root is \"/\"");
out:
	cgroups__free(&cg);
	fake_root__remove(&fr);
}

/* one record through a sink that resolves its cgroup with cg */
static void render(const struct sink_ops *ops, struct cgroups *cg, const struct tcpc_conn *rec,
		   char *buf, size_t len)
{
	FILE *f = fmemopen(buf, len, "w");
	struct sink s;

	memset(buf, 0, len);
	sink__init(&s, ops, f, false);
	s.cgroups = cg;
	s.ops->record(&s, rec);
	fclose(f);
}

/* a record whose cgroup has a hostile name, through both sinks: escaped, one line each */
void test_cgroup_hostile_name(void)
{
	struct tcpc_conn rec = {
		.type = TCPC_EV_CLOSE, .family = AF_INET, .role = TCPC_ROLE_ACTIVE,
		.sport = 40000, .dport = 80, .pid = 1234, .comm = "curl", .start_ns = 1, .end_ns = 2,
		.saddr = { 127, 0, 0, 1 }, .daddr = { 127, 0, 0, 2 },
	};
	struct cgroups cg = { .mnt_fd = -1 };
	struct fake_root fr;
	json_object *o = NULL;
	char buf[4096];

	memset(rec.order, TCPC_NOT_CLOSING, sizeof(rec.order));
	if (!fake_root__make(&fr) || !ASSERT_OK(cgroups__init(&cg, fr.mountinfo, 16), "init"))
		goto out;
	rec.cgroup_id = ino_of(&fr, HOSTILE);

	render(&sink_text_ops, &cg, &rec, buf, sizeof(buf));
	ASSERT_EQ(strcspn(buf, "\x1b\x07\xff"), strlen(buf), "no raw control or 8-bit byte");
	ASSERT_EQ(strchr(buf, '\n') - buf, (long)strlen(buf) - 1, "one line");
	ASSERT_TRUE(strstr(buf, " " HOSTILE_TEXT "\n") != NULL, "the path, escaped, last");

	render(&sink_json_ops, &cg, &rec, buf, sizeof(buf));
	o = json_tokener_parse(buf);
	if (!ASSERT_NOT_NULL(o, "the JSON record parses"))
		goto out;
	ASSERT_STREQ(json_object_get_string(json_object_object_get(o, "cgroup")), HOSTILE_UTF8,
		     "cgroup: the path, the bad byte replaced");
	ASSERT_EQ(json_object_get_uint64(json_object_object_get(o, "cgroup_id")), rec.cgroup_id,
		  "cgroup_id");
	ASSERT_TRUE(json_object_object_get(o, "container_id") == NULL, "no container");
out:
	json_object_put(o);
	cgroups__free(&cg);
	fake_root__remove(&fr);
}

/* a path longer than a line's buffer: whole in JSON (written out in parts), cut in text */
void test_cgroup_long_path(void)
{
	struct tcpc_conn rec = {
		.type = TCPC_EV_CLOSE, .family = AF_INET, .start_ns = 1, .end_ns = 2,
	};
	struct cgroups cg = { .mnt_fd = -1 };
	char path[PATH_MAX], rel[PATH_MAX] = "", comp[201], *buf = malloc(16384);
	json_object *o = NULL;
	struct fake_root fr;
	int depth = 0;

	memset(rec.order, TCPC_NOT_CLOSING, sizeof(rec.order));
	memset(comp, 'c', 200);
	comp[200] = '\0';
	if (!ASSERT_NOT_NULL(buf, "a buffer") || !fake_root__make(&fr) ||
	    !ASSERT_OK(cgroups__init(&cg, fr.mountinfo, 16), "init"))
		goto out;
	/* 15 levels of 200 bytes: 3015 bytes, more than the 2048 of a line buffer */
	for (depth = 0; depth < 15; depth++) {
		strcat(rel, "/");
		strcat(rel, comp);
		snprintf(path, sizeof(path), "%s%s", fr.root, rel);
		if (!ASSERT_OK(mkdir(path, 0755), "mkdir a deep level"))
			goto out;
	}
	rec.cgroup_id = ino_of(&fr, rel);
	render(&sink_json_ops, &cg, &rec, buf, 16384);
	o = json_tokener_parse(buf);
	if (ASSERT_NOT_NULL(o, "the JSON record parses"))
		ASSERT_STREQ(json_object_get_string(json_object_object_get(o, "cgroup")), rel,
			     "the whole path");
	render(&sink_text_ops, &cg, &rec, buf, 16384);
	ASSERT_TRUE(strstr(buf, "...\n") != NULL, "text: cut, and says so");
	ASSERT_LT(strlen(buf), 2048, "text: one line of a line buffer");
out:
	/* deepest first */
	while (depth-- > 0) {
		snprintf(path, sizeof(path), "%s%s", fr.root, rel);
		rmdir(path);
		*strrchr(rel, '/') = '\0';
	}
	json_object_put(o);
	free(buf);
	cgroups__free(&cg);
	fake_root__remove(&fr);
}
