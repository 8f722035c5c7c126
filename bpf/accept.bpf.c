// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Who accepted a connection. A server's socket may close without ever changing state in
 * its process (its peer resets it, a timer gives up), so the syscall that returned it is
 * where its process is named: the fd accept() returned leads through the fd table to the
 * socket. Classic tracepoints, since syscalls have no BTF ones; one run per accept().
 */
#include "conn.bpf.h"

/* the format of syscalls:sys_exit_* */
struct syscall_exit {
	__u64 common;
	long nr;
	long ret;
};

static __always_inline void note_accepter(long fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct accepter a = {};
	struct fdtable *fdt;
	struct file **fds, *file;
	struct socket *sock;
	__u64 sk;

	if (fd < 0)
		return;
	fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return;
	fds = BPF_CORE_READ(fdt, fd);
	bpf_probe_read_kernel(&file, sizeof(file), fds + fd);
	if (!file)
		return;
	sock = BPF_CORE_READ(file, private_data);
	if (!sock)
		return;
	sk = (__u64)BPF_CORE_READ(sock, sk);
	if (!sk || BPF_CORE_READ((struct sock *)sk, sk_protocol) != IPPROTO_TCP)
		return;
	a.pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(a.comm, sizeof(a.comm));
	bpf_map_update_elem(&accepted, &sk, &a, BPF_ANY);
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int tc_accept4(struct syscall_exit *ctx)
{
	note_accepter(ctx->ret);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept")
int tc_accept(struct syscall_exit *ctx)
{
	note_accepter(ctx->ret);
	return 0;
}
