/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * tcpclose top: a snapshot of the table as lines of text (the screen and the plain
 * snapshot share them) or as one JSON object (-j). Every key is escaped by its
 * top_key_ops: nothing a process names itself reaches the terminal raw.
 */
#ifndef __TOP_VIEW_H
#define __TOP_VIEW_H

#include <stdio.h>
#include "top_table.h"

struct top_view {
	struct top_table *table;
	enum top_col sort;
	double seconds;		/* the interval just ended */
	double wall;		/* when it ended, wall-clock seconds */
	const struct top_group **rows;	/* [table->cap], sorted by render */
	int nrows;
};

/* sort the table into rows (after each interval, and after each change of sort) */
void top_view__sort(struct top_view *v);

/* the summary line and the column heading */
void top_view__summary(const struct top_view *v, char *buf, size_t len);
void top_view__heading(const struct top_view *v, char *buf, size_t len);

/* a group's line; other: the row of the groups folded away */
void top_view__row(const struct top_view *v, const struct top_group *g, bool other, char *buf,
		   size_t len);

/* one plain-text snapshot: summary, heading, every row, "other" */
void top_view__print_text(const struct top_view *v, FILE *out);

/* one JSON object, one line: {"type":"top",...} */
void top_view__print_json(const struct top_view *v, FILE *out);

#endif /* __TOP_VIEW_H */
