/* SPDX-License-Identifier: GPL-2.0 */
/* netns: the current network namespace: a fresh one, its identity, sysctls and sockets */
#ifndef TCPCLOSE_NETNS_H
#define TCPCLOSE_NETNS_H

/* bring lo up: a new namespace has it down */
int netns__lo_up(void);

/* move the calling process into a fresh namespace whose lo is up */
int netns__unshare(void);

/*
 * The same, with a TCP hash table of its own of that many buckets where the kernel has
 * net.ipv4.tcp_child_ehash_entries (6.1 on), so that dumping its sockets (ss, sock_diag)
 * walks its few buckets, not the host's hundreds of thousands; elsewhere a plain one.
 */
int netns__unshare_own_hash(unsigned int buckets);

/* its inode number, what a close record calls "netns"; 0 and errno if unreadable */
unsigned int netns__inode(void);

/* write a sysctl ("net.ipv4.tcp_fin_timeout") and read it back; the tcp ones are per namespace */
int netns__sysctl(const char *name, const char *value);

/* the timewait sockets of the namespace right now (/proc/net/sockstat "tw"), or -errno */
long long netns__tw_sockets(void);

#endif
