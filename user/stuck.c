// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "stuck.h"
#include "walk.h"

static void read_comm(const char *proc_root, pid_t pid, char *comm, size_t len)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%d/comm", proc_root, pid);
	comm[0] = '\0';
	f = fopen(path, "r");
	if (!f)
		return;
	if (fgets(comm, len, f))
		comm[strcspn(comm, "\n")] = '\0';
	fclose(f);
}

static void add_holder(struct holders *hs, int n, __u64 ino, pid_t pid, const char *proc_root)
{
	for (int i = 0; i < n; i++) {
		struct holders *h = &hs[i];

		if (h->ino != ino || h->n == STUCK_MAX_HOLDERS)
			continue;
		/* a process holding it by several descriptors is listed once */
		if (h->n && h->h[h->n - 1].pid == pid)
			continue;
		h->h[h->n].pid = pid;
		read_comm(proc_root, pid, h->h[h->n].comm, sizeof(h->h[h->n].comm));
		h->n++;
	}
}

void holders__find(struct holders *hs, int n, const char *proc_root)
{
	struct dirent *pe, *fe;
	char path[300], link[64];
	DIR *proc, *fds;

	proc = opendir(proc_root);
	if (!proc)
		return;
	/* one pass over every process's descriptors: "socket:[INODE]" names a socket */
	while ((pe = readdir(proc))) {
		pid_t pid = atoi(pe->d_name);

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "%s/%d/fd", proc_root, pid);
		fds = opendir(path);
		if (!fds)
			continue;
		while ((fe = readdir(fds))) {
			unsigned long long ino;
			ssize_t len;

			if (fe->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%d/fd/%s", proc_root, pid, fe->d_name);
			len = readlink(path, link, sizeof(link) - 1);
			if (len <= 0)
				continue;
			link[len] = '\0';
			if (sscanf(link, "socket:[%llu]", &ino) == 1)
				add_holder(hs, n, ino, pid, proc_root);
		}
		closedir(fds);
	}
	closedir(proc);
}

int stuck__report(struct loader *l, const struct tcpc_opts *opts, struct sink *s)
{
	struct walk_out out = {};
	struct holders *hs = NULL;
	const struct tcpc_stuck *st;
	int n, err;

	err = walk__sockets(l, opts->netns_path, TCPC_ITER_STUCK, NULL, &out);
	n = out.len / sizeof(*st);
	if (n) {
		hs = calloc(n, sizeof(*hs));
		if (!hs) {
			free(out.buf);
			return -ENOMEM;
		}
		for (int i = 0; i < n; i++)
			hs[i].ino = ((const struct tcpc_stuck *)out.buf)[i].ino;
		holders__find(hs, n, "/proc");
	}
	for (int i = 0; i < n; i++) {
		st = (const struct tcpc_stuck *)out.buf + i;
		/* stamped when the walk saw it, as its age is; not at the /proc scan after */
		sink__stuck(s, st, hs[i].ino ? hs[i].h : NULL, hs[i].ino ? hs[i].n : 0, st->ts_ns);
	}
	free(hs);
	free(out.buf);
	return err == -ENOENT && opts->netns_path ? 0 : err;
}
