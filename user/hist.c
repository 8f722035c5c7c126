// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <string.h>
#include "hist.h"
#include "record.h"

void hist__bounds(unsigned int i, __u64 *lo, __u64 *hi)
{
	unsigned int e, sub;

	if (i < TCPC_HIST_SUB) {
		*lo = i;
		*hi = i + 1;
		return;
	}
	/* the inverse of tcpc_hist_index() */
	e = i / TCPC_HIST_SUB + TCPC_HIST_SUB_BITS - 1;
	sub = i % TCPC_HIST_SUB;
	*lo = (__u64)(TCPC_HIST_SUB + sub) << (e - TCPC_HIST_SUB_BITS);
	*hi = *lo + (1ULL << (e - TCPC_HIST_SUB_BITS));
}

void hist__add_record(struct hist *h, const struct tcpc_conn *rec)
{
	if (!record__dwells_whole(rec))
		return;
	for (unsigned int s = 0; s < TCPC_NR_STATES; s++) {
		__u64 us = rec->dwell_ns[s] / 1000;

		if (!record__visited(rec, s))
			continue;
		h[s].counts[tcpc_hist_index(us)]++;
		h[s].total++;
		if (us > h[s].max_us)
			h[s].max_us = us;
	}
}

void hist__sum(struct hist *h)
{
	h->total = 0;
	for (unsigned int i = 0; i < TCPC_HIST_BUCKETS; i++)
		h->total += h->counts[i];
}

void hist__diff(struct hist *h, const struct hist *a, const struct hist *b)
{
	__u64 lo, hi;
	int top = -1;

	for (unsigned int i = 0; i < TCPC_HIST_BUCKETS; i++) {
		h->counts[i] = a->counts[i] - b->counts[i];
		if (h->counts[i])
			top = i;
	}
	hist__sum(h);
	/* the kernel keeps one maximum for the whole run: it is this interval's only if it
	 * fell in this interval's top bucket; else the middle of that bucket stands for it */
	h->max_us = 0;
	if (top < 0)
		return;
	if ((unsigned int)top == tcpc_hist_index(a->max_us)) {
		h->max_us = a->max_us;
	} else {
		hist__bounds(top, &lo, &hi);
		h->max_us = top < (int)TCPC_HIST_SUB ? lo : (lo + hi) / 2;
	}
}

double hist__percentile(const struct hist *h, double p)
{
	__u64 rank, seen = 0, lo, hi;

	if (!h->total)
		return 0;
	/* nearest rank: the smallest value with at least p% of all at or below it */
	rank = (__u64)(p / 100.0 * h->total + 0.999999);
	if (rank < 1)
		rank = 1;
	for (unsigned int i = 0; i < TCPC_HIST_BUCKETS; i++) {
		seen += h->counts[i];
		if (seen < rank)
			continue;
		hist__bounds(i, &lo, &hi);
		if (i < TCPC_HIST_SUB)
			return lo;
		/* the middle of the bucket, but never past the largest value seen */
		return h->max_us && h->max_us < (lo + hi) / 2.0 ? h->max_us : (lo + hi) / 2.0;
	}
	return h->max_us;
}

static void print_stars(FILE *out, __u64 val, __u64 max, int width)
{
	int n = max ? (int)(val * width / max) : 0;

	for (int i = 0; i < width; i++)
		fputc(i < n ? '*' : ' ', out);
}

void hist__print_log2(const struct hist *h, FILE *out)
{
	__u64 slots[64] = {}, lo, hi, max = 0;
	int first = -1, last = -1;

	/* fold the fine buckets into powers of two of milliseconds */
	for (unsigned int i = 0; i < TCPC_HIST_BUCKETS; i++) {
		__u64 ms;
		int slot = 0;

		if (!h->counts[i])
			continue;
		hist__bounds(i, &lo, &hi);
		ms = lo / 1000;
		while (ms) {
			slot++;
			ms >>= 1;
		}
		slots[slot] += h->counts[i];
	}
	for (int s = 0; s < 64; s++) {
		if (!slots[s])
			continue;
		if (first < 0)
			first = s;
		last = s;
		if (slots[s] > max)
			max = slots[s];
	}
	if (first < 0)
		return;
	fprintf(out, "%24s : %-10s %-40s\n", "msecs", "count", "distribution");
	for (int s = first; s <= last; s++) {
		__u64 low = s ? 1ULL << (s - 1) : 0, high = (1ULL << s) - 1;

		fprintf(out, "%10llu -> %-10llu : %-10llu |", (unsigned long long)low,
			(unsigned long long)high, (unsigned long long)slots[s]);
		print_stars(out, slots[s], max, 40);
		fprintf(out, "|\n");
	}
}
