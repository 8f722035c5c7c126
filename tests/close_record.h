/* SPDX-License-Identifier: GPL-2.0 */
/* close_record: synthetic close records for the tests of what draws or prints them */
#ifndef TCPCLOSE_CLOSE_RECORD_H
#define TCPCLOSE_CLOSE_RECORD_H

#include <linux/types.h>
#include "tcpclose.h"

/*
 * A record of 10.0.0.1:40000 (pid 1234, curl) to 10.0.0.2:80 that began to close at
 * start_ns and went through n close states, states[i] dwelling ms[i] milliseconds; gone
 * when the last ended. No FIN numbers, no end: the test sets what it needs.
 */
struct tcpc_conn close_record__through(int role, __u64 start_ns, const int *states,
				       const unsigned int *ms, int n);

#endif
