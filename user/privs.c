// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * While kernel.unprivileged_bpf_disabled is set, 5.10 refuses every bpf() command to a
 * process without CAP_BPF or CAP_SYS_ADMIN, even on the maps and links it holds: a tracer
 * that dropped root there could read neither its loss counts nor its histograms, nor walk
 * its sockets. Later kernels (6.1 here) refuse only making new programs and maps. So the
 * user keeps CAP_BPF in its permitted set alone, the tracer's commands are tried without
 * it, and it is made effective only if the kernel refused them: never more than needed.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include "privs.h"

#ifndef CAP_BPF
#define CAP_BPF 39
#endif

/* the permitted and effective sets, as 64-bit masks; inheritable emptied */
static int caps_set(unsigned long long permitted, unsigned long long effective)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};

	for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++) {
		data[i].permitted = permitted >> (32 * i);
		data[i].effective = effective >> (32 * i);
	}
	return syscall(SYS_capset, &hdr, data) ? -errno : 0;
}

int privs__drop(const char *user, int (*can_bpf)(void *ctx), void *ctx, bool *kept_bpf)
{
	unsigned long long bpf_cap = 1ULL << CAP_BPF;
	struct passwd *pw = getpwnam(user);
	int err;

	*kept_bpf = false;
	if (!pw) {
		fprintf(stderr, "tcpclose: no user '%s' to run as (give an existing user, e.g. nobody)\n",
			user);
		return -ENOENT;
	}
	/* the permitted set survives setuid(); every effective capability is gone after it */
	if (prctl(PR_SET_KEEPCAPS, 1L, 0L, 0L, 0L) || setgroups(0, NULL) ||
	    setgid(pw->pw_gid) || setuid(pw->pw_uid)) {
		err = -errno;
		fprintf(stderr, "tcpclose: cannot become user '%s': %s\n", user, strerror(-err));
		return err;
	}
	prctl(PR_SET_KEEPCAPS, 0L, 0L, 0L, 0L);
	/* a kernel without CAP_BPF (before 5.8) refuses the bit: keep nothing there */
	if (caps_set(bpf_cap, 0)) {
		bpf_cap = 0;
		err = caps_set(0, 0);
		if (err) {
			fprintf(stderr, "tcpclose: cannot give up root's capabilities as user '%s': %s\n",
				user, strerror(-err));
			return err;
		}
	}
	err = can_bpf(ctx);
	if (err == -EPERM && bpf_cap) {
		err = caps_set(bpf_cap, bpf_cap) ?: can_bpf(ctx);
		*kept_bpf = !err;
	}
	if (err) {
		fprintf(stderr, "tcpclose: as user '%s', the kernel refuses tcpclose the use of its own BPF maps: %s (run without --user)\n",
			user, strerror(-err));
		return err;
	}
	if (!*kept_bpf && bpf_cap) {
		err = caps_set(0, 0);
		if (err)
			fprintf(stderr, "tcpclose: cannot give up CAP_BPF as user '%s': %s\n", user,
				strerror(-err));
	}
	return err;
}
