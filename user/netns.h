/* SPDX-License-Identifier: GPL-2.0 */
/* netns: the current network namespace: a fresh one, its identity, sysctls and sockets */
#ifndef TCPCLOSE_NETNS_H
#define TCPCLOSE_NETNS_H

/* bring lo up: a new namespace has it down */
int netns__lo_up(void);

/* move the calling process into a fresh namespace whose lo is up */
int netns__unshare(void);

/* its inode number, what a close record calls "netns"; 0 and errno if unreadable */
unsigned int netns__inode(void);

/* write a sysctl ("net.ipv4.tcp_fin_timeout") and read it back; the tcp ones are per namespace */
int netns__sysctl(const char *name, const char *value);

/* the timewait sockets of the namespace right now (/proc/net/sockstat "tw"), or -errno */
long long netns__tw_sockets(void);

#endif
