// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <time.h>
#include "sink.h"

void sink__init(struct sink *s, const struct sink_ops *ops, FILE *out, bool timestamp)
{
	struct timespec mono, real;

	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	s->ops = ops;
	s->out = out;
	s->timestamp = timestamp;
	s->mono_to_real_ns = (real.tv_sec - mono.tv_sec) * 1000000000LL +
			     (real.tv_nsec - mono.tv_nsec);
}

double sink__wall_seconds(const struct sink *s, __u64 mono_ns)
{
	return ((long long)mono_ns + s->mono_to_real_ns) / 1e9;
}
