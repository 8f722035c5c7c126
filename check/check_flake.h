/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * check_flake: what tcpclose check --repeat sums up over its rounds: how many rounds failed,
 * and in how many rounds each scenario differed in each field.
 */
#ifndef __CHECK_FLAKE_H
#define __CHECK_FLAKE_H

#include <stdio.h>
#include "check_report.h"

#define CHECK_FLAKE_NAME 64

struct check_flake {
	char scenario[CHECK_FLAKE_NAME];
	char field[CHECK_FLAKE_NAME];	/* client.end_ms, TcpRetransSegs, extra; error */
	int rounds;			/* the rounds it differed in */
};

struct check_flakes {
	int rounds;
	int failed_rounds;		/* rounds with a scenario that did not pass */
	int failures;			/* scenario runs that did not pass, over all rounds */
	int n, cap;
	struct check_flake *v;		/* in the order first seen */
};

/*
 * The field of a difference line ("client.end_ms: got 12, want 0..5"): what stands before
 * its first ':', the whole line if it has none.
 */
void check_flake__field(const char *line, char *buf, size_t len);

/*
 * Count one round's results: the round, each scenario that did not pass, and each field it
 * differed in once however many of its lines name it ("error" for one that could not run).
 * Returns 0 or -ENOMEM.
 */
int check_flake__add_round(struct check_flakes *fl, const struct check_result *rs, int n);

/*
 * "flakes over 10 rounds: 2 failed rounds, 3 failures", then "  SCENARIO FIELD  K/10" for
 * each scenario and field, the most frequent first; every line begins with prefix.
 */
void check_flake__print(FILE *f, const struct check_flakes *fl, const char *prefix);

void check_flake__free(struct check_flakes *fl);

#endif /* __CHECK_FLAKE_H */
