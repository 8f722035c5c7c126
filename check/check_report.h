/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* check_report: tcpclose check's results as a table, as TAP version 13, and as JUnit XML */
#ifndef __CHECK_REPORT_H
#define __CHECK_REPORT_H

#include <stdio.h>
#include "check_expect.h"

enum check_status {
	CHECK_PASS,
	CHECK_FAIL,		/* the tracer or the kernel did not do what was expected */
	CHECK_ERROR,		/* the scenario could not run */
};

struct check_result {
	const char *scenario;
	const char *description;
	enum check_status status;
	double seconds;
	struct check_diffs diffs;	/* CHECK_FAIL: the differences; CHECK_ERROR: why */
	char *records;			/* what the tracer reported, one record a line */
	char *ladders;			/* -v, CHECK_FAIL: each record drawn, with what its end
					 * was expected to say; NULL otherwise */
};

/* facts about the run, for the JUnit file's properties */
struct check_run_info {
	const char *kernel;
	unsigned int hz;
	double seconds;
	const char *timestamp;		/* ISO 8601, when the run began */
	const char *hostname;
	int rounds;			/* --repeat: rounds run, each a testsuite; 0 without */
	const double *round_seconds;	/* with rounds: how long each took */
};

const char *check_report__status_name(enum check_status s);

/* the table: a header, then one row a scenario, differences on the lines under it */
void check_report__table_header(FILE *f);
void check_report__table_row(FILE *f, const struct check_result *r, bool verbose);

/* TAP version 13: the plan first, then one test point a scenario with a YAML block */
void check_report__tap_plan(FILE *f, int n);
void check_report__tap(FILE *f, int num, const struct check_result *r, bool verbose);

/*
 * testsuites/testsuite/testcase with failure or error elements; returns -errno. With
 * info->rounds, rs holds that many rounds of n results one after another, and each round
 * is a testsuite "tcpclose check round K".
 */
int check_report__junit(const char *path, const struct check_result *rs, int n,
			const struct check_run_info *info);

/* the escaping they rely on, exposed for the unit tests */
void check_report__xml_text(FILE *f, const char *s);
void check_report__yaml_string(FILE *f, const char *s);
void check_report__tap_description(FILE *f, const char *s);

#endif /* __CHECK_REPORT_H */
