/* SPDX-License-Identifier: GPL-2.0 */
/*
 * caps: tcpclose as a service without root, run as nobody by setpriv(1) with only the
 * capabilities a test gives it, and what the test checks of that process; kptr_restrict
 * set for it hides symbol addresses from whoever lacks CAP_SYSLOG.
 */
#ifndef TCPCLOSE_TEST_CAPS_H
#define TCPCLOSE_TEST_CAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "tracer.h"

/* capability numbers, from linux/capability.h */
#define CAP_SYS_PTRACE_BIT 19
#define CAP_SYS_ADMIN_BIT 21
#define CAP_SYSLOG_BIT 34
#define CAP_PERFMON_BIT 38
#define CAP_BPF_BIT 39

/* what the README names: to trace and serve metrics; and to walk another namespace */
#define CAPS_TRACE "bpf,perfmon,syslog"
#define CAPS_NETNS CAPS_TRACE ",sys_admin"

int caps__spawn(struct tracer *t, const char *caps, const char *const *args);
bool caps__stderr_has(const struct tracer *t, const char *needle, bool at_start);
void caps__check_creds(pid_t pid, unsigned long long want_caps);
int caps__kptr_restrict(const char *value, char *old, size_t size);

#endif
