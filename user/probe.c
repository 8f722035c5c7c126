// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <zlib.h>
#include <bpf/btf.h>
#include "probe.h"

int probe__tp_btf_nargs(const char *tp)
{
	const struct btf_type *t;
	struct btf *btf;
	char name[128];
	int id, n = -1;

	btf = btf__load_vmlinux_btf();
	if (!btf)
		return -1;
	/* a tracepoint's prototype is "typedef void (*btf_trace_<tp>)(void *, args...)" */
	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
	if (id > 0) {
		t = btf__type_by_id(btf, btf__type_by_id(btf, id)->type);
		if (t && btf_is_ptr(t))
			t = btf__type_by_id(btf, t->type);
		if (t && btf_is_func_proto(t))
			n = btf_vlen(t) - 1;
	}
	btf__free(btf);
	return n;
}

void probe__ksyms(const char *const *names, unsigned long *addrs)
{
	char line[512], sym[256], type;
	unsigned long addr;
	int i, left = 0;
	FILE *f;

	for (i = 0; names[i]; i++, left++)
		addrs[i] = 0;
	f = fopen("/proc/kallsyms", "r");
	if (!f)
		return;
	while (left && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx %c %255s", &addr, &type, sym) != 3)
			continue;
		for (i = 0; names[i]; i++) {
			if (!addrs[i] && addr && !strcmp(sym, names[i])) {
				addrs[i] = addr;
				left--;
			}
		}
	}
	fclose(f);
}

unsigned long probe__ksym(const char *name)
{
	const char *names[] = { name, NULL };
	unsigned long addr;

	probe__ksyms(names, &addr);
	return addr;
}

int probe__ksym_range(const char *name, unsigned long *start, unsigned long *end)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	unsigned long addr;
	char type, sym[256];

	*start = probe__ksym(name);
	*end = 0;
	if (!f)
		return -errno;
	/* the lowest text symbol above it: kallsyms lists modules' after the kernel's */
	while (*start && fscanf(f, "%lx %c %255s%*[^\n]", &addr, &type, sym) == 3)
		if ((type == 't' || type == 'T') && addr > *start && (!*end || addr < *end))
			*end = addr;
	fclose(f);
	return *start && *end ? 0 : -ENOENT;
}

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

unsigned long long probe__netns_cookie(const char *path)
{
	unsigned long long cookie = 0;
	socklen_t len = sizeof(cookie);
	int self, target, sock;

	int err = 0;

	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	target = open(path, O_RDONLY | O_CLOEXEC);
	if (self < 0 || target < 0 || setns(target, CLONE_NEWNET))
		err = errno;
	if (!err) {
		/* a socket made in there carries the namespace's cookie */
		sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (sock < 0 || getsockopt(sock, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len))
			cookie = 0;
		if (sock >= 0)
			close(sock);
		if (setns(self, CLONE_NEWNET))
			cookie = 0;
	}
	if (self >= 0)
		close(self);
	if (target >= 0)
		close(target);
	errno = err;	/* EPERM tells the caller privileges were missing */
	return cookie;
}

bool probe__has_btf(void)
{
	return access("/sys/kernel/btf/vmlinux", R_OK) == 0;
}

bool probe__btf_struct(const char *name)
{
	struct btf *btf = btf__load_vmlinux_btf();
	bool found;

	if (!btf)
		return false;
	found = btf__find_by_name_kind(btf, name, BTF_KIND_STRUCT) > 0;
	btf__free(btf);
	return found;
}

bool probe__btf_member(const char *type, const char *member)
{
	struct btf *btf = btf__load_vmlinux_btf();
	const struct btf_member *m;
	const struct btf_type *t;
	bool found = false;
	int id;

	if (!btf)
		return false;
	id = btf__find_by_name_kind(btf, type, BTF_KIND_STRUCT);
	t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	m = t ? btf_members(t) : NULL;
	for (int i = 0; t && i < btf_vlen(t) && !found; i++, m++)
		found = !strcmp(btf__name_by_offset(btf, m->name_off), member);
	btf__free(btf);
	return found;
}

/*
 * The offset in bytes of member name in struct or union type id (0 for the type itself, no
 * name), looking into anonymous members as C does (6.2's pcpu_hot keeps preempt_count in an
 * anonymous struct in an anonymous union); -1 if it has none.
 */
static long long member_offset(const struct btf *btf, __u32 id, const char *name)
{
	const struct btf_type *t = btf__type_by_id(btf, btf__resolve_type(btf, id));
	const struct btf_member *m;
	long long off;

	if (!name)
		return 0;
	if (!t || !btf_is_composite(t))
		return -1;
	m = btf_members(t);
	for (int i = 0; i < btf_vlen(t); i++, m++) {
		if (m->name_off) {
			if (!strcmp(btf__name_by_offset(btf, m->name_off), name))
				return btf_member_bit_offset(t, i) / 8;
			continue;
		}
		off = member_offset(btf, m->type, name);
		if (off >= 0)
			return btf_member_bit_offset(t, i) / 8 + off;
	}
	return -1;
}

enum probe_preempt_count probe__preempt_count_btf(const struct btf *btf, long long *off)
{
	/* x86: the count alone (up to 6.1, and from 6.15 on), or in struct pcpu_hot */
	static const char *const counts[][2] = {
		{ "__preempt_count", NULL }, { "pcpu_hot", "preempt_count" },
	};
	long long rq = -1, count = -1, member;
	const struct btf_var_secinfo *v;
	const struct btf_type *sec;
	const char *name;
	int id;

	id = btf__find_by_name_kind(btf, "thread_info", BTF_KIND_STRUCT);
	if (id > 0 && member_offset(btf, id, "preempt_count") >= 0)
		return PROBE_PREEMPT_TASK;
	/* each static per-CPU variable: its offset in every CPU's copy of .data..percpu */
	id = btf__find_by_name_kind(btf, ".data..percpu", BTF_KIND_DATASEC);
	if (id <= 0)
		return PROBE_PREEMPT_NONE;
	sec = btf__type_by_id(btf, id);
	v = btf_var_secinfos(sec);
	for (int i = 0; i < btf_vlen(sec); i++, v++) {
		name = btf__name_by_offset(btf, btf__type_by_id(btf, v->type)->name_off);
		if (!strcmp(name, "runqueues"))
			rq = v->offset;
		for (size_t k = 0; k < sizeof(counts) / sizeof(counts[0]); k++) {
			if (count >= 0 || strcmp(name, counts[k][0]))
				continue;
			member = member_offset(btf, btf__type_by_id(btf, v->type)->type,
					       counts[k][1]);
			if (member >= 0)
				count = v->offset + member;
		}
	}
	if (rq < 0 || count < 0)
		return PROBE_PREEMPT_NONE;
	*off = count - rq;
	return PROBE_PREEMPT_PERCPU;
}

/*
 * Some kernels' BTF has no per-CPU variables (Debian 11's 5.10: no .data..percpu section),
 * but /proc/kallsyms lists them with CONFIG_KALLSYMS_ALL, at their place in the per-CPU area:
 * the distance between two of them is the same in every CPU's copy. The count's place in
 * struct pcpu_hot still comes from BTF.
 */
static enum probe_preempt_count preempt_count_kallsyms(const struct btf *btf, long long *off)
{
	const char *const names[] = { "runqueues", "__preempt_count", "pcpu_hot", NULL };
	unsigned long addrs[4];
	long long count, member;
	int id;

	probe__ksyms(names, addrs);
	if (!addrs[0])
		return PROBE_PREEMPT_NONE;
	if (addrs[1]) {
		count = addrs[1];
	} else if (addrs[2]) {
		id = btf__find_by_name_kind(btf, "pcpu_hot", BTF_KIND_STRUCT);
		member = id > 0 ? member_offset(btf, id, "preempt_count") : -1;
		if (member < 0)
			return PROBE_PREEMPT_NONE;
		count = addrs[2] + member;
	} else {
		return PROBE_PREEMPT_NONE;
	}
	/* both in one per-CPU area, which is a few hundred KiB at most */
	if (llabs(count - (long long)addrs[0]) >= 1 << 24)
		return PROBE_PREEMPT_NONE;
	*off = count - (long long)addrs[0];
	return PROBE_PREEMPT_PERCPU_KSYMS;
}

enum probe_preempt_count probe__preempt_count(long long *off)
{
	struct btf *btf = btf__load_vmlinux_btf();
	enum probe_preempt_count where;

	if (!btf)
		return PROBE_PREEMPT_NONE;
	where = probe__preempt_count_btf(btf, off);
	if (where == PROBE_PREEMPT_NONE && btf__find_by_name_kind(btf, ".data..percpu",
								   BTF_KIND_DATASEC) <= 0)
		where = preempt_count_kallsyms(btf, off);
	btf__free(btf);
	return where;
}

unsigned int probe__hz_from_config(const char *text)
{
	const char *p = strstr(text, "\nCONFIG_HZ=");

	if (!p && !strncmp(text, "CONFIG_HZ=", 10))
		p = text - 1;
	return p ? strtoul(p + 11, NULL, 10) : 0;
}

unsigned int probe__round_hz(double measured)
{
	static const unsigned int hz[] = { 100, 250, 300, 1000 };
	unsigned int best = 0;
	double best_err = 0;

	for (size_t i = 0; i < sizeof(hz) / sizeof(hz[0]); i++) {
		double err = measured > hz[i] ? measured - hz[i] : hz[i] - measured;

		if (!best || err < best_err) {
			best = hz[i];
			best_err = err;
		}
	}
	/* more than 10% off any of them: not a measurement to trust */
	return best_err < best * 0.1 ? best : 0;
}

static unsigned int hz_from_file(const char *path)
{
	static char text[1 << 20];
	unsigned int hz = 0;
	gzFile f;
	int n;

	/* gzread reads plain files too */
	f = gzopen(path, "r");
	if (!f)
		return 0;
	n = gzread(f, text + 1, sizeof(text) - 2);
	if (n > 0) {
		text[0] = '\n';
		text[n + 1] = '\0';
		hz = probe__hz_from_config(text);
	}
	gzclose(f);
	return hz;
}

/* /proc/timer_list prints "jiffies: N" for each CPU */
static bool read_jiffies(unsigned long long *j, double *t)
{
	char line[256];
	struct timespec ts;
	bool found = false;
	FILE *f;

	f = fopen("/proc/timer_list", "r");
	if (!f)
		return false;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "jiffies: %llu", j) == 1) {
			found = true;
			break;
		}
	}
	fclose(f);
	*t = ts.tv_sec + ts.tv_nsec / 1e9;
	return found;
}

unsigned int probe__kernel_hz(void)
{
	unsigned long long j0, j1;
	struct utsname u;
	char path[256];
	double t0, t1;
	unsigned int hz;

	hz = hz_from_file("/proc/config.gz");
	if (!hz && !uname(&u)) {
		snprintf(path, sizeof(path), "/boot/config-%s", u.release);
		hz = hz_from_file(path);
	}
	if (hz)
		return hz;
	if (!read_jiffies(&j0, &t0))
		return 0;
	usleep(200 * 1000);
	if (!read_jiffies(&j1, &t1) || t1 <= t0)
		return 0;
	return probe__round_hz((j1 - j0) / (t1 - t0));
}
