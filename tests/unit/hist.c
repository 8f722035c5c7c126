// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The log-linear histogram: buckets invert, and percentiles stay within 0.4% of exact. */
#include <stdlib.h>
#include "hist.h"
#include "test.h"

void test_hist_buckets_invert(void)
{
	static const __u64 values[] = { 0, 1, 127, 128, 129, 255, 256, 1000, 999999, 60000000,
					60000001, 62047999, 1ULL << 41 };
	__u64 lo, hi;

	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		unsigned int b = tcpc_hist_index(values[i]);

		hist__bounds(b, &lo, &hi);
		if (!ASSERT_TRUE(lo <= values[i] && values[i] < hi, "value inside its bucket"))
			printf("  value %llu bucket %u [%llu, %llu)\n",
			       (unsigned long long)values[i], b, (unsigned long long)lo,
			       (unsigned long long)hi);
		ASSERT_LE((hi - lo) * 128, lo < 128 ? 128 : lo, "bucket no wider than 1/128 of it");
	}
	/* adjacent buckets tile the line with no gap */
	for (unsigned int b = 0; b + 1 < TCPC_HIST_BUCKETS - TCPC_HIST_SUB; b++) {
		__u64 lo2, hi2;

		hist__bounds(b, &lo, &hi);
		hist__bounds(b + 1, &lo2, &hi2);
		if (!ASSERT_EQ(hi, lo2, "buckets tile"))
			break;
	}
	ASSERT_EQ(tcpc_hist_index(~0ULL), TCPC_HIST_BUCKETS - 1, "huge values in the last bucket");
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

void test_hist_percentiles(void)
{
	static __u64 v[10000];
	struct hist *h = calloc(1, sizeof(*h));
	const double ps[] = { 50, 90, 99, 100 };
	unsigned int seed = 1;

	if (!ASSERT_NOT_NULL(h, "alloc"))
		return;
	/* TIME_WAIT-like dwells: 60 s plus up to 2 s of timer-wheel slack, and some outliers */
	for (int i = 0; i < 10000; i++) {
		v[i] = 60000000 + rand_r(&seed) % 2048000;
		if (i % 100 == 0)
			v[i] = 1000 + rand_r(&seed) % 5000000;
		h->counts[tcpc_hist_index(v[i])]++;
	}
	hist__sum(h);
	ASSERT_EQ(h->total, 10000, "count");
	qsort(v, 10000, sizeof(v[0]), cmp_u64);
	for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
		size_t rank = (size_t)(ps[i] / 100 * 10000 + 0.999999);
		double exact = v[rank - 1], got = hist__percentile(h, ps[i]);

		ASSERT_NEAR(got, exact, exact * 0.004, "percentile within 0.4%");
	}
	free(h);
}

void test_hist_diff(void)
{
	struct hist *a = calloc(3, sizeof(*a)), *b = a + 1, *d = a + 2;

	if (!ASSERT_NOT_NULL(a, "alloc"))
		return;
	a->counts[tcpc_hist_index(500)] = 3;
	a->counts[tcpc_hist_index(60000000)] = 5;
	a->max_us = 60000123;
	b->counts[tcpc_hist_index(500)] = 1;
	b->counts[tcpc_hist_index(60000000)] = 5;
	hist__sum(a);
	hist__sum(b);
	hist__diff(d, a, b);
	ASSERT_EQ(d->total, 2, "what arrived in between");
	ASSERT_NEAR(d->max_us, 500, 500 * 0.004, "interval max from its own top bucket");
	b->counts[tcpc_hist_index(60000000)] = 4;
	hist__diff(d, a, b);
	ASSERT_EQ(d->max_us, 60000123, "the run's max when it fell in this interval's top bucket");
	free(a);
}
