/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * tcpclose top: the groups and what each adds up to, in bounded memory. At most cap groups
 * are kept; a new group past that takes the place of the smallest one (fewest closes since
 * start plus sockets held now), whose counts are folded into the "other" row. Every close
 * is therefore counted exactly once, in a row or in "other", however many groups there
 * are, and memory is cap groups (and one TIME_WAIT histogram each) at most.
 */
#ifndef __TOP_TABLE_H
#define __TOP_TABLE_H

#include <stdbool.h>
#include <linux/types.h>
#include "hist.h"
#include "tcpclose.h"
#include "top_key.h"

#define TOP_DEFAULT_GROUPS 256	/* each with up to a 37 KiB histogram: 10 MiB at most */

/* what a group counts over one interval */
struct top_counts {
	__u64 closes;		/* records, every role */
	__u64 active;		/* we sent the first FIN (simultaneous closes too) */
	__u64 passive;
	__u64 aborted;
	__u64 fin_retrans;	/* our FIN's resends, of the connections that closed */
	__u64 resets;		/* closes with a reset sent or received */
};

struct top_group {
	struct top_key key;
	__u64 hash;
	struct top_counts cur;		/* the interval under way */
	struct top_counts shown;	/* the last interval's */
	__u64 closes_total;		/* since start */
	__u64 held[TCPC_NR_STATES];	/* sockets in each close state at the last walk */
	struct hist *tw;		/* TIME_WAIT dwell since start; NULL: none yet */
	/* the share of the local ports towards its remote endpoint that no connect() can
	 * have now (port_pressure.h), the worst over source addresses and namespaces; < 0:
	 * none held, or no remote key */
	double ports_ratio;
};

struct top_table {
	const struct top_keys *keys;
	struct top_group *groups;
	int n, cap;
	struct top_group other;	/* the groups folded away, added up */
	__u64 folded;		/* how many groups were folded into other */
	bool oom;		/* a histogram could not be allocated: its dwell is not counted */
};

int top_table__init(struct top_table *t, const struct top_keys *keys, int cap);
void top_table__free(struct top_table *t);

/* a close record: into its group's interval, total and TIME_WAIT dwell */
void top_table__record(struct top_table *t, const struct tcpc_conn *rec);

/* a walk: held_begin() forgets the last walk's counts, held() counts one socket */
void top_table__held_begin(struct top_table *t);
void top_table__held(struct top_table *t, const struct tcpc_stuck *st);

/* the interval ends: what it counted becomes what is shown */
void top_table__roll(struct top_table *t);

struct port_pressure;
/* a port walk: each group keyed by its remote endpoint takes its ports_ratio from pp
 * (NULL: the walk failed, every ratio unknown) */
void top_table__ports(struct top_table *t, const struct port_pressure *pp);

/* the columns a view shows, and sorts by */
enum top_col {
	TOP_COL_CLOSES,
	TOP_COL_ACTIVE,
	TOP_COL_PASSIVE,
	TOP_COL_ABORTED,
	TOP_COL_TW,
	TOP_COL_CW,
	TOP_COL_FW2,
	TOP_COL_TW_P50,
	TOP_COL_TW_P99,
	TOP_COL_FINRT,
	TOP_COL_RST,
	TOP_COL_TOTAL,
	TOP_COL_PORTS,
	TOP_NR_COLS,
};

struct top_col_desc {
	const char *name;	/* -s NAME */
	const char *title;	/* heading */
	char key;		/* the key that sorts by it */
	int width;
};

extern const struct top_col_desc top_cols[TOP_NR_COLS];

/* a column by -s name; -1 if none */
int top_col__parse(const char *name);

/* what a group shows in col; seconds: the interval's length, for rates */
double top_group__value(const struct top_group *g, enum top_col col, double seconds);

/* the groups, largest first by col (ties by key), into rows[t->n]; returns t->n */
int top_table__sorted(struct top_table *t, enum top_col col, const struct top_group **rows);

#endif /* __TOP_TABLE_H */
