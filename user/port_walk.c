// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include "clock.h"
#include "port_walk.h"
#include "walk.h"

/* the limits of each namespace walked */
struct port_walk {
	struct port_limits *limits;
	int n, cap;
};

static int port_walk__in_netns(void *ctx, ino_t netns)
{
	struct port_walk *pw = ctx;
	struct port_limits *more;

	if (pw->n == pw->cap) {
		more = realloc(pw->limits, (pw->cap ? 2 * pw->cap : 16) * sizeof(*more));
		if (!more)
			return -ENOMEM;
		pw->limits = more;
		pw->cap = pw->cap ? 2 * pw->cap : 16;
	}
	/* /proc/sys/net is the namespace of the thread that opens it: this one, now */
	if (port_limits__read(&pw->limits[pw->n], "/proc/sys/net/ipv4", netns)) {
		/* its sockets are then not counted: a namespace being torn down */
		port_limits__free(&pw->limits[pw->n]);
		return 0;
	}
	pw->n++;
	return 0;
}

int port_walk__run(struct port_pressure *pp, struct loader *l, const char *netns_path)
{
	struct port_walk pw = {};
	struct walk_out out = { .in_netns = port_walk__in_netns, .ctx = &pw };
	__u64 start = clock__now_ns(), end;
	int err;

	err = walk__sockets(l, netns_path, TCPC_ITER_PORTS, NULL, &out);
	end = clock__now_ns();
	/* the one namespace of --netns, gone: nothing holds a port there any more */
	if (!err || (err == -ENOENT && netns_path))
		err = port_pressure__update(pp, (const struct tcpc_port *)out.buf,
					    out.len / sizeof(struct tcpc_port), pw.limits, pw.n,
					    start, end);
	for (int i = 0; i < pw.n; i++)
		port_limits__free(&pw.limits[i]);
	free(pw.limits);
	free(out.buf);
	return err;
}
