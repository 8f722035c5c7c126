// SPDX-License-Identifier: GPL-2.0
/*
 * tcpclose as a service without root, short of a capability: it refuses to start and says
 * which (caps.h). Serial: kernel.kptr_restrict is global.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "caps.h"
#include "netns_named.h"
#include "test.h"
#include "clock.h"
#include "tracer.h"

/* a root process of ours parked in the namespace, for a /proc/PID/ns/net path */
static pid_t caps__park(struct netns *ns)
{
	pid_t pid;

	pid = test__fork_child();
	if (pid)
		return pid;
	if (netns__enter(ns))
		_exit(1);
	pause();
	_exit(0);
}

/*
 * Without any one of CAP_BPF, CAP_PERFMON, CAP_SYSLOG it refuses to start and names what it
 * lacks; a /proc/PID/ns/net of another user's process needs CAP_SYS_PTRACE as well.
 */
void serial_test_service_caps_missing(void)
{
	static const char *const sets[][2] = {
		{ "perfmon,syslog", "CAP_BPF" },
		{ "bpf,syslog", "CAP_PERFMON" },
		{ "bpf,perfmon", "CAP_SYSLOG" },
		{ "", "CAP_" },		/* one of them, whichever it checks first */
	};
	const char *args[] = { "--metrics", "9465", "--netns", NULL, NULL };
	struct netns ns = { .home = -1 };
	char kptr[16] = "", msg[160], path[64];
	bool ns_alive = false;
	struct tracer t = {};
	pid_t parked = 0;
	size_t i;
	int err;

	if (!ASSERT_OK(caps__kptr_restrict("1", kptr, sizeof(kptr)), "kernel.kptr_restrict=1"))
		goto out;
	for (i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		err = caps__spawn(&t, sets[i][0], (const char *const[]){ "-q", NULL });
		snprintf(msg, sizeof(msg), "tcpclose with only '%s' exits before tracing",
			 sets[i][0]);
		if (ASSERT_EQ(err, -ECHILD, msg)) {
			ASSERT_TRUE(WIFEXITED(t.status) && WEXITSTATUS(t.status), msg);
			snprintf(msg, sizeof(msg), "with only '%s', stderr names %s", sets[i][0],
				 sets[i][1]);
			if (!ASSERT_TRUE(caps__stderr_has(&t, sets[i][1], false), msg))
				tracer__dump_stderr(&t);
		}
		tracer__free(&t);
	}

	if (!ASSERT_OK(netns__create(&ns, "tcpclose-caps"), "create namespace"))
		goto out;
	ns_alive = true;
	parked = caps__park(&ns);
	if (!ASSERT_GT(parked, 0, "a process in the namespace"))
		goto out;
	/* it must be in there before its path is handed out */
	clock__sleep_ms(200);
	snprintf(path, sizeof(path), "/proc/%d/ns/net", parked);
	args[3] = path;
	err = caps__spawn(&t, CAPS_NETNS, args);
	if (ASSERT_EQ(err, -ECHILD, "--netns /proc/PID/ns/net of root's process without "
				    "CAP_SYS_PTRACE: exits before tracing"))
		ASSERT_TRUE(caps__stderr_has(&t, path, false), "stderr names the path");
	tracer__free(&t);
	err = caps__spawn(&t, CAPS_NETNS ",sys_ptrace", args);
	ASSERT_OK(err, "--netns /proc/PID/ns/net with CAP_SYS_PTRACE too: tracing");
	if (!err)
		ASSERT_OK(tracer__stop(&t), "tracer exits 0 after SIGINT, JSON only");
out:
	if (test__failed())
		tracer__dump_stderr(&t);
	tracer__free(&t);
	if (parked > 0) {
		kill(parked, SIGKILL);
		waitpid(parked, NULL, 0);
	}
	if (ns_alive)
		netns__destroy(&ns, 0);
	if (kptr[0])
		caps__kptr_restrict(kptr, NULL, 0);
}
