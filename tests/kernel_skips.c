// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "kernel_skips.h"

#define TRACEFS "/sys/kernel/tracing"

/* the events of the hooks tcpclose's programs attach to, and a filter for each */
static const struct {
	const char *event;
	const char *filter;	/* %1$s: PID 1's threads; %2$s: the TCP timer handlers */
} kernel_skips__events[] = {
	{ "sock/inet_sock_set_state", "(%1$s) && protocol == 6" },
	{ "tcp/tcp_destroy_sock", "%1$s" },
	{ "tcp/tcp_receive_reset", "%1$s" },
	{ "tcp/tcp_send_reset", "%1$s" },
	{ "tcp/tcp_retransmit_skb", "%1$s" },
	{ "timer/timer_start", "(%1$s) && (%2$s)" },
	{ "timer/timer_expire_entry", "(%1$s) && (%2$s)" },
};

static const char *const kernel_skips__handlers[] = {
	"tw_timer_handler", "tcp_keepalive_timer", "tcp_write_timer", "reqsk_timer_handler",
};

static int write_file(const char *dir, const char *file, const char *text)
{
	char path[384];
	FILE *f;
	int err;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "w");
	if (!f)
		return -1;
	err = fputs(text, f) < 0;
	return fclose(f) || err ? -1 : 0;
}

/* "function == 0x... || ..." for the TCP timer handlers, from kallsyms (as root) */
static int kernel_skips__timer_terms(char *buf, size_t size)
{
	char line[256], name[128];
	unsigned long long addr;
	size_t len = 0;
	FILE *f = fopen("/proc/kallsyms", "r");
	char type;

	buf[0] = '\0';
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %127s", &addr, &type, name) != 3 || !addr)
			continue;
		for (size_t i = 0; i < sizeof(kernel_skips__handlers) / sizeof(char *); i++) {
			if (strcmp(name, kernel_skips__handlers[i]))
				continue;
			len += snprintf(buf + len, len < size ? size - len : 0, "%sfunction == 0x%llx",
					len ? " || " : "", addr);
		}
	}
	fclose(f);
	return buf[0] && len < size ? 0 : -1;
}

/*
 * "common_pid == T || comm == \"NAME\" ..." for every thread of PID 1: the kernel skips BPF
 * for the whole process (its tgid), ftrace names the thread. PID 1 makes and ends threads as
 * it works (a CI rehearsal failed with the skip's signature and a witness that listed the
 * threads at its start): their names, which stay, match the ones made later too.
 */
static int kernel_skips__pid1_terms(char *buf, size_t size)
{
	char path[300], comm[32];
	struct dirent *d;
	size_t len = 0;
	DIR *dir = opendir("/proc/1/task");
	FILE *f;

	buf[0] = '\0';
	if (!dir)
		return -1;
	while ((d = readdir(dir))) {
		if (d->d_name[0] < '0' || d->d_name[0] > '9')
			continue;
		len += snprintf(buf + len, len < size ? size - len : 0, "%scommon_pid == %s",
				len ? " || " : "", d->d_name);
		snprintf(path, sizeof(path), "/proc/1/task/%.32s/comm", d->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f)) {
			comm[strcspn(comm, "\n\"")] = '\0';
			len += snprintf(buf + len, len < size ? size - len : 0,
					" || comm == \"%s\"", comm);
		}
		fclose(f);
	}
	closedir(dir);
	return buf[0] && len < size ? 0 : -1;
}

void kernel_skips__start(struct kernel_skips *k, const char *name)
{
	char pids[3072], terms[512], filter[3700], path[256];

	snprintf(k->dir, sizeof(k->dir), TRACEFS "/instances/%s", name);
	if (kernel_skips__pid1_terms(pids, sizeof(pids)) ||
	    kernel_skips__timer_terms(terms, sizeof(terms)) || mkdir(k->dir, 0700))
		goto none;
	for (size_t i = 0; i < sizeof(kernel_skips__events) / sizeof(kernel_skips__events[0]); i++) {
		snprintf(filter, sizeof(filter), kernel_skips__events[i].filter, pids, terms);
		snprintf(path, sizeof(path), "events/%s/filter", kernel_skips__events[i].event);
		if (write_file(k->dir, path, filter))
			goto remove;
		snprintf(path, sizeof(path), "events/%s/enable", kernel_skips__events[i].event);
		if (write_file(k->dir, path, "1"))
			goto remove;
	}
	if (!write_file(k->dir, "tracing_on", "1"))
		return;
remove:
	kernel_skips__stop(k);
none:
	k->dir[0] = '\0';
}

long kernel_skips__stop(struct kernel_skips *k)
{
	char path[384], line[512];
	long n = 0;
	FILE *f;

	if (!k->dir[0])
		return -1;
	write_file(k->dir, "tracing_on", "0");
	snprintf(path, sizeof(path), "%s/trace", k->dir);
	f = fopen(path, "r");
	if (f) {
		while (fgets(line, sizeof(line), f))
			n += line[0] != '#';
		fclose(f);
	} else {
		n = -1;
	}
	/* an instance with events enabled cannot be removed: turn them off first */
	write_file(k->dir, "events/enable", "0");
	rmdir(k->dir);
	k->dir[0] = '\0';
	return n;
}

void kernel_skips__sweep(const char *prefix)
{
	size_t len = strlen(prefix);
	struct kernel_skips k;
	struct dirent *d;
	DIR *dir;
	long pid;

	dir = opendir(TRACEFS "/instances");
	if (!dir)
		return;
	while ((d = readdir(dir))) {
		if (strncmp(d->d_name, prefix, len) || d->d_name[len] != '-')
			continue;
		pid = strtol(d->d_name + len + 1, NULL, 10);
		/* its runner still runs: its own */
		if (pid <= 0 || !kill(pid, 0))
			continue;
		snprintf(k.dir, sizeof(k.dir), TRACEFS "/instances/%.255s", d->d_name);
		kernel_skips__stop(&k);
	}
	closedir(dir);
}
