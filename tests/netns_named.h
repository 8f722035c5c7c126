/* SPDX-License-Identifier: GPL-2.0 */
/* netns_named: named network namespaces for tests, at /run/netns/NAME */
#ifndef TCPCLOSE_NETNS_NAMED_H
#define TCPCLOSE_NETNS_NAMED_H

#include <net/if.h>
#include "netns.h"

struct netns {
	char name[64];
	char path[96];		/* /run/netns/NAME: what --netns of the tracer takes */
	char veth[IF_NAMESIZE];	/* our end of a veth into it; it goes when its cleanup runs */
	int home;		/* the namespace we came from, while inside; else -1 */
	unsigned long long ino;	/* its inode number: the tracer's "netns" field */
};

int netns__create(struct netns *ns, const char *prefix);
int netns__enter(struct netns *ns);
int netns__leave(struct netns *ns);
int netns__destroy(struct netns *ns, int timeout_ms);

#endif
