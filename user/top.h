/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * tcpclose top: the tracer's records and a walk of the sockets held now, added up per
 * group every interval, and shown on a screen or printed as snapshots.
 */
#ifndef __TOP_H
#define __TOP_H

#include "args.h"

/* run until q, -d or a signal; the exit status */
int top__run(const struct tcpc_opts *opts);

#endif /* __TOP_H */
