// SPDX-License-Identifier: GPL-2.0
/*
 * A real container: Podman from Debian runs an image the test builds from a tarball (a root
 * holding Debian's static busybox, podman import: no registry), in the test's network
 * namespace. Inside, wget fetches from a server the test runs outside the container, three
 * times. The client end of each connection must name the container as podman inspect does
 * (its full id) and the cgroup /proc/PID/cgroup gives its process; the server end, made in
 * the test's own cgroup, names no container.
 *
 * runc, not Podman's default crun: crun refuses cgroup v1 and v2 mixed ("hybrid") hosts
 * where cgroup v2 holds any controller, as this project's machine does (hugetlb); runc
 * puts the container in the v2 hierarchy there too. Low nofile and nproc limits: Podman
 * raises both to 1048576 by default, which a host without CAP_SYS_RESOURCE refuses.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cgroupfs.h"
#include "conns.h"
#include "fixture.h"
#include "netns_named.h"
#include "prom_records.h"
#include "test.h"
#include "tracer.h"

#define FETCHES 3
#define PURGE_MS 30000
#define RECORDS_MS 10000
#define ACCEPT_MS 60000
#define BUSYBOX "/bin/busybox"	/* Debian's busybox-static */
#define PODMAN "podman --runtime runc"
#define RUN_LIMITS "--ulimit nofile=1024:1024 --ulimit nproc=1024:1024"

struct podman_test {
	char image[64];
	char root[64];		/* the image's root before it is a tarball */
	char cid[80];		/* the container, as podman run printed it */
	bool root_made, imported, started;
	char mnt[256], home[512];
	struct netns ns;
	bool ns_alive;
	struct tracer t;
	int lfd;
	unsigned short port;
	unsigned short cports[FETCHES];
};

/* the first line a shell command prints, or -errno / its exit status */
static int podman__output(char *buf, size_t len, const char *cmd)
{
	FILE *f = popen(cmd, "r");
	int st;

	buf[0] = '\0';
	if (!f)
		return -errno;
	if (fgets(buf, len, f))
		buf[strcspn(buf, "\n")] = '\0';
	while (fgetc(f) != EOF)
		;
	st = pclose(f);
	return st == -1 ? -errno : WIFEXITED(st) ? WEXITSTATUS(st) : -EINTR;
}

static bool podman__tools(void)
{
	/* fail, not skip: the test is what shows container identity works */
	return ASSERT_OK(test__system("command -v podman >/dev/null"),
			 "podman installed (apt-get install podman; tools/install-deps.sh)") &&
	       ASSERT_OK(test__system("command -v runc >/dev/null"),
			 "runc installed (apt-get install runc; tools/install-deps.sh)") &&
	       ASSERT_OK(test__system("dpkg-query -W busybox-static >/dev/null 2>&1 && "
				      "test -x " BUSYBOX),
			 "a static " BUSYBOX " (apt-get install busybox-static)");
}

/* an image of busybox alone, from a tarball */
static bool podman__image(struct podman_test *pt)
{
	snprintf(pt->image, sizeof(pt->image), "localhost/tcpclose-test-busybox:%d", getpid());
	snprintf(pt->root, sizeof(pt->root), "/tmp/tcpclose-podman-root.XXXXXX");
	if (!ASSERT_NOT_NULL(mkdtemp(pt->root), "a directory for the image's root"))
		return false;
	pt->root_made = true;
	SYS(fail, "mkdir %s/bin && cp " BUSYBOX " %s/bin/busybox && ln -s busybox %s/bin/sh",
	    pt->root, pt->root, pt->root);
	SYS(fail, "tar -C %s -cf %s.tar . && podman import -q %s.tar %s >/dev/null", pt->root,
	    pt->root, pt->root, pt->image);
	pt->imported = true;
	return true;
fail:
	return false;
}

/* the request's head, all of it: a close with bytes unread would be a reset */
static bool podman__read_request(int fd)
{
	char req[2048];
	size_t len = 0;
	ssize_t n;

	while (len < sizeof(req) - 1) {
		n = read(fd, req + len, sizeof(req) - 1 - len);
		if (n <= 0)
			return false;
		len += n;
		req[len] = '\0';
		if (strstr(req, "\r\n\r\n"))
			return true;
	}
	return false;
}

/*
 * Answer each fetch and close. HTTP/1.0 without a length: the body ends at our FIN, so wget
 * closes only after it, always the passive end, and its record comes at once, not at the
 * end of a TIME_WAIT. The clients' ports noted.
 */
static bool podman__serve(struct podman_test *pt)
{
	static const char reply[] = "HTTP/1.0 200 OK\r\n\r\nok";
	struct pollfd p = { .fd = pt->lfd, .events = POLLIN };
	struct sockaddr_in peer;

	for (int i = 0; i < FETCHES; i++) {
		socklen_t len = sizeof(peer);
		int fd;

		if (!ASSERT_EQ(poll(&p, 1, ACCEPT_MS), 1, "a fetch from the container"))
			return false;
		fd = accept4(pt->lfd, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC);
		if (!ASSERT_GE(fd, 0, "accept"))
			return false;
		pt->cports[i] = ntohs(peer.sin_port);
		if (!podman__read_request(fd) ||
		    write(fd, reply, sizeof(reply) - 1) != sizeof(reply) - 1) {
			close(fd);
			return ASSERT_OK(-EIO, "answer the fetch");
		}
		close(fd);
	}
	return true;
}

static bool podman__start(struct podman_test *pt)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
		 PODMAN " run -d " RUN_LIMITS " --network ns:%s %s /bin/sh -c "
		 "'for i in 1 2 3; do busybox wget -q -O /dev/null http://127.0.0.1:%u/; done; "
		 "exec busybox sleep 120'", pt->ns.path, pt->image, pt->port);
	if (!ASSERT_OK(podman__output(pt->cid, sizeof(pt->cid), cmd), cmd))
		return false;
	pt->started = true;
	return ASSERT_EQ(strlen(pt->cid), 64, "podman run printed a 64-digit id");
}

/* what podman says of the container, and the cgroup its process is in */
static bool podman__inspect(struct podman_test *pt, char id[80], char *rel, size_t rellen,
			    unsigned long long *ino)
{
	char cmd[256], out[128], path[768];
	struct stat st;
	int pid = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "podman inspect --format '{{.Id}} {{.State.Pid}}' %s", pt->cid);
	if (!ASSERT_OK(podman__output(out, sizeof(out), cmd), cmd) ||
	    !ASSERT_EQ(sscanf(out, "%79s %d", id, &pid), 2, "podman inspect: Id and State.Pid") ||
	    !ASSERT_GT(pid, 0, "the container's process runs"))
		return false;
	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	f = fopen(path, "r");
	if (!ASSERT_NOT_NULL(f, path))
		return false;
	rel[0] = '\0';
	while (fgets(path, sizeof(path), f))
		if (!strncmp(path, "0::", 3))
			snprintf(rel, rellen, "%.*s", (int)strcspn(path + 3, "\n"), path + 3);
	fclose(f);
	if (!ASSERT_TRUE(rel[0] == '/', "the container's cgroup v2 in /proc/PID/cgroup"))
		return false;
	snprintf(path, sizeof(path), "%s%s", pt->mnt, rel);
	if (!ASSERT_OK(stat(path, &st) ? -errno : 0, path))
		return false;
	*ino = st.st_ino;
	test__log("container %s: pid %d, cgroup %s (inode %llu)", id, pid, rel, *ino);
	return true;
}

static void podman__check(struct podman_test *pt, const char *id, const char *rel,
			  unsigned long long ino)
{
	const char *home_rel = pt->home + strlen(pt->mnt);

	for (int i = 0; i < FETCHES; i++) {
		json_object *cli = tracer__close(&pt->t, pt->cports[i], pt->port);
		json_object *srv = tracer__close(&pt->t, pt->port, pt->cports[i]);

		if (!ASSERT_NOT_NULL(cli, "the container's end of a fetch") ||
		    !ASSERT_NOT_NULL(srv, "the test's end of it"))
			continue;
		ASSERT_EQ((unsigned long long)json__int(cli, "cgroup_id", 0), ino,
			  "container end: cgroup_id, the inode of its cgroup");
		ASSERT_REC_STR(cli, "cgroup", rel, "container end");
		ASSERT_REC_STR(cli, "container_runtime", "podman", "container end");
		ASSERT_REC_STR(cli, "container_id", id, "container end");
		ASSERT_REC_STR(srv, "cgroup", home_rel[0] ? home_rel : "/", "test's end");
		ASSERT_REC_NULL(srv, "container_id", "test's end");
	}
}

void test_container_podman(void)
{
	struct podman_test pt = { .lfd = -1 };
	char id[80], rel[512];
	unsigned long long ino = 0;
	int got;

	if (!podman__tools() || !podman__image(&pt))
		goto out;
	if (!ASSERT_OK(cgroupfs__mount(pt.mnt, sizeof(pt.mnt)), "a cgroup v2 mount") ||
	    !ASSERT_OK(cgroupfs__self(pt.mnt, pt.home, sizeof(pt.home)), "our cgroup v2") ||
	    !ASSERT_OK(netns__create(&pt.ns, "tcpclose-podman"), "namespace"))
		goto out;
	pt.ns_alive = true;
	if (!ASSERT_OK(tracer__start(&pt.t, pt.ns.path, NULL), "start tracer") ||
	    !ASSERT_OK(netns__enter(&pt.ns), "enter namespace"))
		goto out;
	pt.lfd = sock__listen(4, &pt.port);
	netns__leave(&pt.ns);
	if (!ASSERT_GE(pt.lfd, 0, "listen in the namespace") || !podman__start(&pt) ||
	    !podman__serve(&pt) ||
	    !podman__inspect(&pt, id, rel, sizeof(rel), &ino))
		goto out;
	/* the container ends read before it goes: a cgroup removed would leave only its id */
	for (int i = 0; i < FETCHES; i++) {
		if (ASSERT_OK(tracer__wait_close(&pt.t, pt.cports[i], pt.port, RECORDS_MS),
			      "the container end's record, while the container runs"))
			continue;
		/* go on: what the tracer printed in the end says more */
		test__log("fetch %d from port %u; the namespace's sockets now:", i, pt.cports[i]);
		test__system("ip netns exec %s ss -tanoi", pt.ns.name);
		break;
	}
	SYS(out, PODMAN " rm -f -t 0 %s >/dev/null", pt.cid);
	pt.started = false;
	/* the server ends' TIME_WAITs end with the namespace, which the listener holds */
	close(pt.lfd);
	pt.lfd = -1;
	pt.ns_alive = false;
	if (!ASSERT_OK(netns__destroy(&pt.ns, PURGE_MS), "namespace purged"))
		goto out;
	got = prom__wait_closes(&pt.t, 2 * FETCHES, RECORDS_MS);
	if (!ASSERT_OK(tracer__stop(&pt.t), "tracer exits 0 after SIGINT"))
		goto out;
	ASSERT_EQ(got, 2 * FETCHES, "close records, two per fetch");
	podman__check(&pt, id, rel, ino);
out:
	if (test__failed()) {
		for (int i = 0; i < pt.t.nrecs; i++)
			printf("tracer: %s\n", json_object_to_json_string_ext(pt.t.recs[i],
									  JSON_C_TO_STRING_PLAIN));
		tracer__dump_stderr(&pt.t);
	}
	if (pt.lfd >= 0)
		close(pt.lfd);
	if (pt.started)
		test__system(PODMAN " rm -f -t 0 %s >/dev/null 2>&1", pt.cid);
	if (pt.ns_alive)
		netns__destroy(&pt.ns, 0);
	if (pt.imported)
		test__system("podman rmi -f %s >/dev/null 2>&1", pt.image);
	if (pt.root_made)
		test__system("rm -rf %s %s.tar", pt.root, pt.root);
	tracer__free(&pt.t);
}
