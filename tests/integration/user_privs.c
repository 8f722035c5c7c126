// SPDX-License-Identifier: GPL-2.0
/*
 * --user: once attached, the tracer becomes the user with no capability at all where the
 * kernel lets such a process use the BPF maps it holds, and with CAP_BPF alone where it does
 * not (5.10 refuses every bpf() command without it while kernel.unprivileged_bpf_disabled is
 * set). Which kernel this is, a child of the test tells: it becomes nobody with nothing and
 * reads a map the test made. And what the tracer reads from its maps after the drop must be
 * there: its histograms count the scenario's connection, both of whose FINs the capture saw,
 * and its loss counts are read.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include "caps.h"
#include "fixture.h"
#include "test.h"

/* the close states a full socket's record carries, which the kernel counts in its maps */
static const char *const user_privs__states[] = {
	"FIN_WAIT1", "FIN_WAIT2", "CLOSE_WAIT", "LAST_ACK",
};

/* 1 if the kernel refuses nobody, with no capability, a map it was handed; 0; or -errno */
static int user_privs__kernel_refuses(void)
{
	struct passwd *pw = getpwnam("nobody");
	__u32 key = 0;
	__u64 val;
	int fd, status;
	pid_t pid;

	if (!pw)
		return -ENOENT;
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "tc_privs", sizeof(key), sizeof(val), 1, NULL);
	if (fd < 0)
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		/* without PR_SET_KEEPCAPS, setuid() from root empties every capability set */
		if (setgroups(0, NULL) || setgid(pw->pw_gid) || setuid(pw->pw_uid))
			_exit(3);
		if (!bpf_map_lookup_elem(fd, &key, &val))
			_exit(0);
		_exit(errno == EPERM ? 1 : 2);
	}
	close(fd);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -ECHILD;
	if (!WIFEXITED(status) || WEXITSTATUS(status) > 1) {
		printf("the child that became nobody: status %#x\n", status);
		return -EIO;
	}
	return WEXITSTATUS(status);
}

void test_user_privs(void)
{
	const char *const args[] = { "--user", "nobody", "--hist", NULL };
	int refuses = user_privs__kernel_refuses();
	struct scenario_opts opts;
	json_object *hist, *states, *state, *count;
	struct fixture f;
	char *err;

	if (!ASSERT_GE(refuses, 0, "a child as nobody reads a map the test made"))
		return;
	test__log("this kernel %s a process without CAP_BPF the maps it holds",
		  refuses ? "refuses" : "lets");
	scenario__default_opts(&opts);
	if (!fixture__start(&f, args))
		goto out;
	caps__check_creds(f.tracer.pid, refuses ? 1ULL << CAP_BPF_BIT : 0);
	ASSERT_EQ(caps__stderr_has(&f.tracer, "with CAP_BPF", false), refuses,
		  "it says it kept CAP_BPF, where the kernel needs it only");
	if (!fixture__run(&f, "active", &opts) || !fixture__finish(&f))
		goto out;
	ASSERT_NOT_NULL(capture__fin(&f.cap, f.res.client.port, 0), "the client's FIN on the wire");
	ASSERT_NOT_NULL(capture__fin(&f.cap, f.res.server.port, 0), "the server's FIN on the wire");
	hist = tracer__last(&f.tracer, "hist");
	if (ASSERT_NOT_NULL(hist, "a histogram at exit") &&
	    ASSERT_TRUE(json_object_object_get_ex(hist, "states", &states), "its states")) {
		for (size_t i = 0; i < sizeof(user_privs__states) / sizeof(*user_privs__states); i++) {
			const char *name = user_privs__states[i];

			if (!ASSERT_TRUE(json_object_object_get_ex(states, name, &state), name))
				continue;
			count = json_object_object_get(state, "count");
			ASSERT_EQ(count ? json_object_get_int64(count) : -1, 1, name);
		}
	}
	err = tracer__stderr(&f.tracer);
	ASSERT_TRUE(err && !strstr(err, "reading the loss counts"), "its loss counts were read");
	ASSERT_TRUE(err && !strstr(err, "Operation not permitted"), "nothing refused for privileges");
	free(err);
out:
	fixture__cleanup(&f);
}
