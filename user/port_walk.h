/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * port_walk: --port-pressure's walk. The tcpc_iter program lists the sockets that hold a
 * local port, namespace by namespace; in each, while the walking thread is still inside,
 * its port range and tcp_tw_reuse are read from its own /proc/sys/net. port_pressure
 * counts them.
 */
#ifndef __PORT_WALK_H
#define __PORT_WALK_H

#include "loader.h"
#include "port_pressure.h"

/* one walk of netns_path's namespace, or of all: 0 or a negative errno */
int port_walk__run(struct port_pressure *pp, struct loader *l, const char *netns_path);

#endif /* __PORT_WALK_H */
