// SPDX-License-Identifier: GPL-2.0
/* caps: tcpclose run as nobody with only some capabilities, and its credentials checked */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "caps.h"
#include "test.h"
#include "clock.h"

#define NOBODY 65534
#define READY_MS 10000
#define KPTR_RESTRICT "/proc/sys/kernel/kptr_restrict"

static char *caps__slurp(int fd)
{
	off_t size = lseek(fd, 0, SEEK_END);
	char *buf = size >= 0 ? malloc(size + 1) : NULL;
	ssize_t n;

	if (!buf)
		return NULL;
	n = pread(fd, buf, size, 0);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* whether the tracer's stderr so far has a line starting with prefix, or containing it */
bool caps__stderr_has(const struct tracer *t, const char *needle, bool at_start)
{
	char *text = caps__slurp(t->err), *p;
	bool found = false;

	for (p = text; p && *p && !found; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		found = at_start ? !strncmp(p, needle, strlen(needle)) : !!strstr(p, needle);
	free(text);
	return found;
}

/*
 * Run "setpriv ... $TCPCLOSE -j ARGS" as nobody, with caps (comma-separated, as setpriv
 * names them; "" for none) inheritable, ambient and bounding, nothing else. Fills t as
 * tracer__start() would, so tracer__stop() and tracer__free() apply. 0 once it is tracing;
 * -ECHILD if it exited first (its stderr says why), -ETIMEDOUT.
 */
int caps__spawn(struct tracer *t, const char *caps, const char *const *args)
{
	const char *path = getenv("TCPCLOSE") ?: "./tcpclose";
	char list[128], set[160], inh[180], amb[180], bnd[180], *cap, *save = NULL;
	const char *argv[48];
	double deadline;
	int argc = 0, status;

	memset(t, 0, sizeof(*t));
	t->out = memfd_create("tcpclose-stdout", MFD_CLOEXEC);
	t->err = memfd_create("tcpclose-stderr", MFD_CLOEXEC);
	if (t->out < 0 || t->err < 0)
		return -errno;
	/* "bpf,perfmon" -> "-all,+bpf,+perfmon" */
	snprintf(list, sizeof(list), "%s", caps);
	snprintf(set, sizeof(set), "-all");
	for (cap = strtok_r(list, ",", &save); cap; cap = strtok_r(NULL, ",", &save))
		snprintf(set + strlen(set), sizeof(set) - strlen(set), ",+%s", cap);
	snprintf(inh, sizeof(inh), "--inh-caps=%s", set);
	snprintf(amb, sizeof(amb), "--ambient-caps=%s", set);
	snprintf(bnd, sizeof(bnd), "--bounding-set=%s", set);
	argv[argc++] = "setpriv";
	argv[argc++] = "--reuid=nobody";
	argv[argc++] = "--regid=nogroup";
	argv[argc++] = "--clear-groups";
	argv[argc++] = inh;
	argv[argc++] = amb;
	argv[argc++] = bnd;
	argv[argc++] = "--";
	argv[argc++] = path;
	argv[argc++] = "-j";
	for (int i = 0; args && args[i] && argc < 47; i++)
		argv[argc++] = args[i];
	argv[argc] = NULL;
	fflush(NULL);
	t->pid = fork();
	if (t->pid < 0)
		return -errno;
	if (t->pid == 0) {
		dup2(t->out, STDOUT_FILENO);
		dup2(t->err, STDERR_FILENO);
		execvp("setpriv", (char *const *)argv);
		fprintf(stderr, "exec setpriv: %s (apt-get install util-linux)\n", strerror(errno));
		_exit(127);
	}
	deadline = clock__now_ms() + READY_MS;
	while (!caps__stderr_has(t, "tcpclose: tracing", true)) {
		if (waitpid(t->pid, &status, WNOHANG) == t->pid) {
			t->pid = 0;
			t->status = status;
			return -ECHILD;
		}
		if (clock__now_ms() > deadline)
			return -ETIMEDOUT;
		clock__sleep_ms(10);
	}
	return 0;
}

/* a field of /proc/PID/status ("Uid:", "CapEff:"): the rest of its line */
static bool caps__status(pid_t pid, const char *field, char *value, size_t size)
{
	char path[64], line[256], *p;
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		if (strncmp(line, field, strlen(field)))
			continue;
		line[strcspn(line, "\n")] = '\0';
		p = line + strlen(field);
		snprintf(value, size, "%s", p + strspn(p, "\t "));
		found = true;
	}
	fclose(f);
	return found;
}

/* real, effective, saved and filesystem ids all nobody's */
static void caps__check_ids(pid_t pid, const char *field)
{
	char value[128] = "", msg[64];
	int id[4], n;

	snprintf(msg, sizeof(msg), "%s real, effective, saved and fs ids of the tracer", field);
	if (!ASSERT_TRUE(caps__status(pid, field, value, sizeof(value)), msg))
		return;
	n = sscanf(value, "%d %d %d %d", &id[0], &id[1], &id[2], &id[3]);
	if (!ASSERT_EQ(n, 4, msg))
		return;
	for (int i = 0; i < 4; i++) {
		if (!ASSERT_EQ(id[i], NOBODY, msg))
			break;
	}
}

/* the tracer runs as nobody, in no group, with exactly these capabilities, none held back */
void caps__check_creds(pid_t pid, unsigned long long want_caps)
{
	char value[128] = "";

	caps__check_ids(pid, "Uid:");
	caps__check_ids(pid, "Gid:");
	if (ASSERT_TRUE(caps__status(pid, "Groups:", value, sizeof(value)), "Groups in /proc"))
		ASSERT_STREQ(value, "", "the tracer's supplementary groups");
	if (ASSERT_TRUE(caps__status(pid, "CapEff:", value, sizeof(value)), "CapEff in /proc"))
		ASSERT_EQ(strtoull(value, NULL, 16), want_caps, "the tracer's CapEff");
	if (ASSERT_TRUE(caps__status(pid, "CapPrm:", value, sizeof(value)), "CapPrm in /proc"))
		ASSERT_EQ(strtoull(value, NULL, 16), want_caps, "the tracer's CapPrm");
}

/* kernel.kptr_restrict: set to value, the old one kept in old */
int caps__kptr_restrict(const char *value, char *old, size_t size)
{
	ssize_t n;
	int fd;

	fd = open(KPTR_RESTRICT, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (old) {
		n = read(fd, old, size - 1);
		old[n > 0 ? n : 0] = '\0';
		old[strcspn(old, "\n")] = '\0';
	}
	n = pwrite(fd, value, strlen(value), 0);
	close(fd);
	return n == (ssize_t)strlen(value) ? 0 : -EIO;
}
