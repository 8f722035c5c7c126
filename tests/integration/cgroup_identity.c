// SPDX-License-Identifier: GPL-2.0
/*
 * Container identity in the records: cgroups v2 made by the test in the shapes systemd and
 * the kubelet give them (a service, a Docker scope, a pod's containerd scope under the
 * systemd driver, a pod's container under the cgroupfs driver), a child process moved into
 * each through cgroup.procs, a connection opened and closed there. Each record must name
 * the cgroup its sockets were made in, as the cgroup filesystem has it (the directory's
 * inode, its path below the cgroup2 mount), and what that path says. One more cgroup is
 * removed before its connection closes: its records keep its id, with no path.
 * Under --user nobody tcpclose cannot open cgroups by file handle and walks the hierarchy:
 * the same must come out. tcpclose top -k container, run alongside, must count each
 * cgroup's two closes in one row named as docs/CONTAINERS.md says: RUNTIME:ID12,
 * container:ID12 for a runtime the path does not name, the unit, cgroup:ID for one gone.
 * With --transitions, each close-state change must name its socket's cgroup the same way.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cgroupfs.h"
#include "conns.h"
#include "netns_named.h"
#include "prom_records.h"
#include "test.h"
#include "tracer.h"

#define PURGE_MS 30000
#define RECORDS_MS 10000

#define ID1 "4f8c2a6e9b1d3c5e7f9a0b2c4d6e8f0a1b3c5d7e9f1a2b4c6d8e0f2a4b6c8d0e"
#define ID2 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define ID3 "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define UID1 "7c9b3f1e-2d4a-4b6c-8e0f-1a3c5e7b9d2f"
#define UID1_ "7c9b3f1e_2d4a_4b6c_8e0f_1a3c5e7b9d2f"
#define UID2 "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"

/* one cgroup the test makes, where a connection is made, and what its records must say */
struct ident_cg {
	const char *dir;	/* below the test's own top directory, "%s" its name */
	const char *runtime, *id, *pod_uid, *unit;	/* NULL: null in the record */
	bool removed;		/* rmdir'ed before the connection closes */
	char rel[512];		/* from the cgroup2 root, as records and /proc/PID/cgroup say */
	char unit_name[128];	/* unit, its "%s" the test's name */
	char path[768];
	unsigned long long ino;
	unsigned short ports[2];	/* the client's and the server's */
};

struct ident_test {
	char mnt[256], home[512];
	char top[2][512];	/* the test's top directories: a systemd slice, a cgroupfs tree */
	struct ident_cg cgs[5];
	int ncgs;
	char made[32][768];	/* the directories made, deepest last */
	int nmade;
	struct netns ns;
	bool ns_alive;
	struct tracer t;
	struct tracer top_tracer;	/* tcpclose top -j -k container, if top_args */
	bool top_started;
};

static void ident__expect(struct ident_test *it)
{
	struct ident_cg cgs[] = {
		{ .dir = "%s.slice/%s-web.service", .unit = "%s-web.service" },
		{ .dir = "%s.slice/docker-" ID1 ".scope", .runtime = "docker", .id = ID1,
		  .unit = "docker-" ID1 ".scope" },
		{ .dir = "%s.slice/kubepods-burstable-pod" UID1_ ".slice/cri-containerd-" ID2
			 ".scope", .runtime = "containerd", .id = ID2, .pod_uid = UID1,
		  .unit = "cri-containerd-" ID2 ".scope" },
		{ .dir = "%s/kubepods/besteffort/pod" UID2 "/" ID3, .id = ID3, .pod_uid = UID2 },
		{ .dir = "%s.slice/gone.service", .removed = true },
	};

	memcpy(it->cgs, cgs, sizeof(cgs));
	it->ncgs = sizeof(cgs) / sizeof(cgs[0]);
}

/* mkdir -p below the mount, remembering each directory made, deepest last */
static bool ident__mkdirs(struct ident_test *it, const char *rel)
{
	char path[768];

	for (const char *p = rel + 1;; p++) {
		if (*p && *p != '/')
			continue;
		snprintf(path, sizeof(path), "%s%.*s", it->mnt, (int)(p - rel), rel);
		if (mkdir(path, 0755) == 0) {
			snprintf(it->made[it->nmade++], sizeof(it->made[0]), "%s", path);
		} else if (errno != EEXIST) {
			ASSERT_OK(-errno, path);
			return false;
		}
		if (!*p)
			return true;
	}
}

static bool ident__make(struct ident_test *it)
{
	char name[64];
	struct stat st;

	if (!ASSERT_OK(cgroupfs__mount(it->mnt, sizeof(it->mnt)), "a cgroup v2 mount") ||
	    !ASSERT_OK(cgroupfs__self(it->mnt, it->home, sizeof(it->home)), "our cgroup v2"))
		return false;
	snprintf(name, sizeof(name), "tcpclose-test-%d", getpid());
	ident__expect(it);
	for (int i = 0; i < it->ncgs; i++) {
		struct ident_cg *cg = &it->cgs[i];

		snprintf(cg->rel, sizeof(cg->rel), "/");
		snprintf(cg->rel + 1, sizeof(cg->rel) - 1, cg->dir, name, name);
		snprintf(cg->path, sizeof(cg->path), "%s%s", it->mnt, cg->rel);
		if (!ident__mkdirs(it, cg->rel) ||
		    !ASSERT_OK(stat(cg->path, &st), cg->path))
			return false;
		/* a cgroup v2 id is its directory's inode number */
		cg->ino = st.st_ino;
		if (cg->unit) {
			snprintf(cg->unit_name, sizeof(cg->unit_name), cg->unit, name);
			cg->unit = cg->unit_name;
		}
	}
	return true;
}

static void ident__unmake(struct ident_test *it)
{
	cgroupfs__move(it->home, 0);
	while (it->nmade > 0) {
		const char *path = it->made[--it->nmade];

		if (rmdir(path) && errno != ENOENT)
			printf("rmdir %s: %s\n", path, strerror(errno));
	}
}

/*
 * A child that, once moved into cg, opens a connection to itself and reports its ports;
 * moved back home first if the cgroup is to be removed, it closes the connection (the
 * client first) when told.
 */
static void ident__child(int sync)
{
	struct conn c = { .cfd = -1, .sfd = -1 };
	unsigned short port;
	char go;
	int lfd;

	if (read(sync, &go, 1) != 1)
		_exit(1);
	lfd = sock__listen(4, &port);
	if (lfd < 0 || conns__open(&c, lfd, 4, port))
		_exit(2);
	if (write(sync, &c.cport, sizeof(c.cport)) != sizeof(c.cport) ||
	    write(sync, &c.sport, sizeof(c.sport)) != sizeof(c.sport) || read(sync, &go, 1) != 1)
		_exit(3);
	conns__close(&c);
	close(lfd);
	_exit(0);
}

static bool ident__connect_in(struct ident_test *it, struct ident_cg *cg)
{
	int sv[2], status = 0;
	bool ok = false;
	pid_t pid;

	if (!ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), "socketpair"))
		return false;
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		ident__child(sv[1]);
	}
	close(sv[1]);
	if (!ASSERT_GT(pid, 0, "fork"))
		goto out;
	if (!ASSERT_OK(cgroupfs__move(cg->path, pid), "move the child in through cgroup.procs") ||
	    !ASSERT_EQ(write(sv[0], "g", 1), 1, "tell it to connect") ||
	    !ASSERT_EQ(read(sv[0], &cg->ports[0], 2), 2, "its client port") ||
	    !ASSERT_EQ(read(sv[0], &cg->ports[1], 2), 2, "its server port"))
		goto out;
	if (cg->removed &&
	    (!ASSERT_OK(cgroupfs__move(it->home, pid), "move the child out") ||
	     !ASSERT_OK(rmdir(cg->path) ? -errno : 0, "remove its cgroup, sockets still open")))
		goto out;
	ok = ASSERT_EQ(write(sv[0], "c", 1), 1, "tell it to close");
out:
	close(sv[0]);
	if (pid > 0) {
		waitpid(pid, &status, 0);
		ok = ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0,
				 "the child connected and closed") && ok;
	}
	return ok;
}

static void ident__check_str(json_object *rec, const char *key, const char *want,
			     const char *end, const struct ident_cg *cg)
{
	char what[700];

	snprintf(what, sizeof(what), "%s record of %s: %s", end, cg->rel, key);
	if (want)
		ASSERT_STREQ(json__str(rec, key), want, what);
	else
		ASSERT_TRUE(json__is_null(rec, key), what);
}

static void ident__check(struct ident_test *it)
{
	for (int i = 0; i < it->ncgs; i++) {
		const struct ident_cg *cg = &it->cgs[i];

		for (int end = 0; end < 2; end++) {
			const char *name = end ? "server" : "client";
			json_object *rec = tracer__close(&it->t, cg->ports[end], cg->ports[!end]);
			char what[700];

			snprintf(what, sizeof(what), "%s record of %s", name, cg->rel);
			if (!ASSERT_NOT_NULL(rec, what))
				continue;
			test__log("%s: cgroup_id %lld cgroup %s container %s/%s pod %s unit %s", what,
				  json__int(rec, "cgroup_id", 0), json__str(rec, "cgroup"),
				  json__str(rec, "container_runtime"), json__str(rec, "container_id"),
				  json__str(rec, "pod_uid"), json__str(rec, "unit"));
			snprintf(what, sizeof(what), "%s record of %s: cgroup_id, the inode", name,
				 cg->rel);
			ASSERT_EQ((unsigned long long)json__int(rec, "cgroup_id", 0), cg->ino, what);
			ident__check_str(rec, "cgroup", cg->removed ? NULL : cg->rel, name, cg);
			ident__check_str(rec, "container_runtime", cg->runtime, name, cg);
			ident__check_str(rec, "container_id", cg->id, name, cg);
			ident__check_str(rec, "pod_uid", cg->pod_uid, name, cg);
			ident__check_str(rec, "unit", cg->unit, name, cg);
		}
	}
}

/*
 * --transitions: each close-state change of each end names its socket's cgroup as the end's
 * record does. Two at least: its first close state and CLOSE (mostly three, FIN_WAIT2 or
 * LAST_ACK between; a host slow to deliver the client's FIN may make it a simultaneous close)
 */
static void ident__check_transitions(struct ident_test *it)
{
	for (int i = 0; i < it->ncgs; i++) {
		const struct ident_cg *cg = &it->cgs[i];

		for (int end = 0; end < 2; end++) {
			const char *name = end ? "server" : "client";
			char what[700];
			int n = 0;

			snprintf(what, sizeof(what), "%s transition of %s", name, cg->rel);
			for (int r = 0; r < it->t.nrecs; r++) {
				json_object *rec = it->t.recs[r];

				if (!conns__is(rec, "transition", cg->ports[end], cg->ports[!end]))
					continue;
				n++;
				ASSERT_EQ((unsigned long long)json__int(rec, "cgroup_id", 0), cg->ino,
					  what);
				ident__check_str(rec, "cgroup", cg->removed ? NULL : cg->rel,
						 name, cg);
				ident__check_str(rec, "container_id", cg->id, name, cg);
			}
			ASSERT_GE(n, 2, what);
		}
	}
}

/* the row top names cg by, as docs/CONTAINERS.md has it */
static void ident__top_name(const struct ident_cg *cg, char *buf, size_t len)
{
	if (cg->removed)
		snprintf(buf, len, "cgroup:%llu", cg->ino);
	else if (cg->id)
		snprintf(buf, len, "%s:%.12s", cg->runtime ?: "container", cg->id);
	else
		snprintf(buf, len, "%s", cg->unit);
}

/*
 * top's first snapshot after every close was recorded (its interval then ended later):
 * each cgroup one row with both of its connection's ends, and no row for another
 */
static void ident__check_top(struct ident_test *it, double all_closed)
{
	json_object **recs = NULL, *snap = NULL, *groups;
	char name[128];
	int n = 0, at;

	at = conns__top_snapshot(&it->top_tracer, all_closed, RECORDS_MS, &recs, &n);
	if (at >= 0)
		snap = recs[at];
	if (!ASSERT_NOT_NULL(snap, "a top snapshot after the closes") ||
	    !ASSERT_TRUE(json_object_object_get_ex(snap, "groups", &groups), "its groups"))
		goto out;
	test__log("top: %s", json_object_to_json_string_ext(snap, JSON_C_TO_STRING_PLAIN));
	ASSERT_EQ((int)json_object_array_length(groups), it->ncgs, "a row per cgroup, no other");
	for (int i = 0; i < it->ncgs; i++) {
		json_object *row = NULL;

		ident__top_name(&it->cgs[i], name, sizeof(name));
		for (size_t g = 0; g < json_object_array_length(groups); g++) {
			json_object *o = json_object_array_get_idx(groups, g);

			if (!strcmp(json__str(o, "container") ?: "", name))
				row = o;
		}
		if (ASSERT_NOT_NULL(row, name))
			ASSERT_EQ(json__int(row, "closes_total", -1), 2, name);
	}
out:
	conns__records_free(recs, n);
}

static void ident__run(const char *const *args, const char *const *top_args, bool transitions)
{
	struct ident_test it = {};
	double all_closed;
	int i, got;

	if (!ident__make(&it) || !ASSERT_OK(netns__create(&it.ns, "tcpclose-ident"), "namespace"))
		goto out;
	it.ns_alive = true;
	if (!ASSERT_OK(tracer__start(&it.t, it.ns.path, args), "start tracer"))
		goto out;
	if (top_args) {
		it.top_started = true;
		if (!ASSERT_OK(tracer__spawn(&it.top_tracer, &(struct tracer_spawn){
				.netns_path = it.ns.path, .out_fd = -1, .command = "top" },
				top_args), "start tcpclose top"))
			goto out;
	}
	if (!ASSERT_OK(netns__enter(&it.ns), "enter namespace"))
		goto out;
	for (i = 0; i < it.ncgs; i++)
		if (!ident__connect_in(&it, &it.cgs[i]))
			break;
	netns__leave(&it.ns);
	if (i < it.ncgs)
		goto out;
	/* the clients' TIME_WAITs end with the namespace */
	it.ns_alive = false;
	if (!ASSERT_OK(netns__destroy(&it.ns, PURGE_MS), "namespace purged"))
		goto out;
	got = prom__wait_closes(&it.t, 2 * it.ncgs, RECORDS_MS);
	all_closed = conns__wall();
	if (!ASSERT_OK(tracer__stop(&it.t), "tracer exits 0 after SIGINT"))
		goto out;
	ASSERT_EQ(got, 2 * it.ncgs, "close records, two per connection");
	ident__check(&it);
	if (transitions)
		ident__check_transitions(&it);
	if (top_args)
		ident__check_top(&it, all_closed);
out:
	if (test__failed())
		tracer__dump_stderr(&it.t);
	if (it.ns.home >= 0 && it.ns_alive)
		netns__destroy(&it.ns, 0);
	if (it.top_started) {
		if (test__failed())
			tracer__dump_stderr(&it.top_tracer);
		tracer__stop(&it.top_tracer);
		tracer__free(&it.top_tracer);
	}
	ident__unmake(&it);
	tracer__free(&it.t);
}

void test_cgroup_identity(void)
{
	const char *walk[] = { "--user", "nobody", NULL };
	const char *top[] = { "-k", "container", NULL };
	const char *transitions[] = { "--transitions", NULL };

	if (test__start_subtest("file_handles"))
		ident__run(NULL, NULL, false);
	if (test__start_subtest("walk"))
		ident__run(walk, NULL, false);
	if (test__start_subtest("top"))
		ident__run(NULL, top, false);
	if (test__start_subtest("transitions"))
		ident__run(transitions, NULL, true);
}
