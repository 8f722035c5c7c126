// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tcpclose top's table and keys: the memory bound (a cap, the smallest folded into
 * "other", every close counted once), sorting, and keys escaped before a terminal.
 */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "record.h"
#include "test.h"
#include "top_table.h"
#include "top_view.h"

static struct tcpc_conn rec_to(__u16 dport, enum tcpc_role role, double tw_ms)
{
	struct tcpc_conn rec = { .type = TCPC_EV_CLOSE, .family = AF_INET, .role = role,
				 .sport = 40000, .dport = dport, .pid = 7, .comm = "client" };

	rec.daddr[0] = 127;
	rec.daddr[3] = 1;
	if (tw_ms > 0) {
		rec.visited |= 1u << TCPC_TIME_WAIT;
		rec.dwell_ns[TCPC_TIME_WAIT] = tw_ms * 1e6;
	}
	return rec;
}

static bool keys(struct top_keys *k, const char *list)
{
	const char *bad;
	size_t badlen;

	return ASSERT_TRUE(top_keys__parse(k, list, &bad, &badlen), list);
}

static __u64 total_closes(const struct top_table *t)
{
	__u64 sum = t->other.closes_total;

	for (int i = 0; i < t->n; i++)
		sum += t->groups[i].closes_total;
	return sum;
}

/*
 * 100,000 records over 100,000 remote endpoints with a cap of 8 groups: the table never
 * holds more than 8, every close is counted once (in a row or in other), a heavy group
 * stays exact, and the heap grows by no more than 8 groups' histograms and other's.
 */
void test_top_table_bound(void)
{
	const int cap = 8, n = 100000, heavy_every = 10;
	struct top_keys k;
	struct top_table t;
	__u64 heavy = 0, before, grown;
	int hists = 0;

	if (!keys(&k, "remote") || !ASSERT_OK(top_table__init(&t, &k, cap), "init"))
		return;
	before = mallinfo2().uordblks;
	for (int i = 0; i < n; i++) {
		struct tcpc_conn rec;

		if (i % heavy_every == 0 || i < 2) {
			rec = rec_to(80, TCPC_ROLE_ACTIVE, 60000);
			heavy++;
		} else {
			rec = rec_to(1024 + i % 60000, TCPC_ROLE_PASSIVE, 60000 + i % 1000);
			rec.daddr[1] = i / 60000;	/* every endpoint its own */
		}
		top_table__record(&t, &rec);
		if (t.n > cap)
			break;
	}
	grown = mallinfo2().uordblks - before;
	ASSERT_LE(t.n, cap, "never more groups than the cap");
	ASSERT_GT(t.folded, 0, "groups were folded into other");
	ASSERT_EQ(total_closes(&t), heavy + (n - heavy), "every close counted once");
	for (int i = 0; i < t.n; i++) {
		hists += t.groups[i].tw != NULL;
		if (t.groups[i].key.rport == 80)
			ASSERT_EQ(t.groups[i].closes_total, heavy, "the heavy group stays exact");
	}
	ASSERT_LE(hists, cap, "a histogram per group at most");
	test__log("heap grew by %llu bytes for %d groups (a histogram: %zu bytes)",
		  (unsigned long long)grown, t.n, sizeof(struct hist));
	ASSERT_LE(grown, (cap + 1) * (sizeof(struct hist) + 64), "heap bounded by the cap");
	top_table__free(&t);
}

/* the interval's counts by role, per second, and the sort they give */
void test_top_table_roll_sort(void)
{
	const struct top_group *rows[4];
	struct top_keys k;
	struct top_table t;
	struct tcpc_conn rec;
	int n;

	if (!keys(&k, "remote") || !ASSERT_OK(top_table__init(&t, &k, 4), "init"))
		return;
	for (int i = 0; i < 3; i++) {
		rec = rec_to(80, TCPC_ROLE_ACTIVE, 60000 + i);
		top_table__record(&t, &rec);
	}
	rec = rec_to(443, TCPC_ROLE_PASSIVE, 0);
	rec.flags |= TCPC_F_RST_RECEIVED;
	rec.fin_retrans = 2;
	top_table__record(&t, &rec);
	rec = rec_to(443, TCPC_ROLE_SIMULTANEOUS, 0);
	top_table__record(&t, &rec);
	top_table__roll(&t);

	n = top_table__sorted(&t, TOP_COL_CLOSES, rows);
	ASSERT_EQ(n, 2, "two groups");
	ASSERT_EQ(rows[0]->key.rport, 80, "most closes first");
	ASSERT_NEAR(top_group__value(rows[0], TOP_COL_CLOSES, 2), 1.5, 1e-9, "per second");
	ASSERT_EQ(rows[1]->shown.active, 1, "simultaneous counts as active");
	ASSERT_EQ(rows[1]->shown.resets, 1, "a reset received");
	ASSERT_EQ(rows[1]->shown.fin_retrans, 2, "FIN retransmits");
	n = top_table__sorted(&t, TOP_COL_PASSIVE, rows);
	ASSERT_EQ(rows[0]->key.rport, 443, "sorted by passive");
	/* 60000, 60001, 60002 ms: p50 is the middle one, within the bucket's 0.4% */
	ASSERT_NEAR(top_group__value(t.groups[0].key.rport == 80 ? &t.groups[0] : &t.groups[1],
				     TOP_COL_TW_P50, 1) / 1e3, 60001, 60001 * 0.004, "TW p50");
	top_table__roll(&t);
	ASSERT_EQ(t.groups[0].shown.closes, 0, "a new interval starts at zero");
	ASSERT_EQ(t.groups[0].closes_total + t.groups[1].closes_total, 5, "totals kept");
	top_table__free(&t);
}

/* a process may name itself anything: what reaches a terminal is printable ASCII */
void test_top_key_escaped(void)
{
	struct tcpc_conn rec = rec_to(80, TCPC_ROLE_ACTIVE, 0);
	struct top_view v = {};
	struct top_keys k;
	struct top_table t;
	const struct top_group *rows[1];
	char line[512];

	memcpy(rec.comm, "\x1b]0;pwn\a\x1b[2J\n", 14);
	if (!keys(&k, "process,remote") || !ASSERT_OK(top_table__init(&t, &k, 1), "init"))
		return;
	top_table__record(&t, &rec);
	v = (struct top_view){ .table = &t, .rows = rows, .seconds = 1 };
	top_view__sort(&v);
	top_view__row(&v, rows[0], false, line, sizeof(line));
	test__log("row: %s", line);
	for (const char *p = line; *p; p++)
		if (!ASSERT_TRUE(*p >= 0x20 && *p < 0x7f, "only printable ASCII in a row"))
			break;
	ASSERT_TRUE(strstr(line, "7/\\x1b]0;pwn\\x07\\x1b[2J\\x0a") != NULL, "comm escaped");
	ASSERT_TRUE(strstr(line, "127.0.0.1:80") != NULL, "remote endpoint");
	top_table__free(&t);
}
