// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include <sys/socket.h>
#include "close_record.h"

struct tcpc_conn close_record__through(int role, __u64 start_ns, const int *states,
				       const unsigned int *ms, int n)
{
	struct tcpc_conn rec = {
		.type = TCPC_EV_CLOSE, .family = AF_INET, .role = role, .sport = 40000, .dport = 80,
		.pid = 1234, .comm = "curl", .start_ns = start_ns,
		.saddr = { 10, 0, 0, 1 }, .daddr = { 10, 0, 0, 2 },
	};
	__u64 t = start_ns;

	memset(rec.order, TCPC_NOT_CLOSING, sizeof(rec.order));
	for (int i = 0; i < n; i++) {
		rec.order[i] = states[i];
		rec.visited |= 1u << states[i];
		rec.dwell_ns[states[i]] = ms[i] * 1000000ULL;
		t += ms[i] * 1000000ULL;
	}
	rec.end_ns = t;
	return rec;
}
