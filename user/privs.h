/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* --user: root dropped once the programs are attached, and what must be kept of it. */
#ifndef __PRIVS_H
#define __PRIVS_H

#include <stdbool.h>

/*
 * Become 'user' with no capability, or with CAP_BPF alone where the kernel refuses the
 * tracer's own bpf() commands without it: 'can_bpf' makes those commands (0, or -errno) and
 * is asked first without CAP_BPF, then with it. *kept_bpf says which. 0, or -errno once
 * the reason has been printed.
 */
int privs__drop(const char *user, int (*can_bpf)(void *ctx), void *ctx, bool *kept_bpf);

#endif /* __PRIVS_H */
