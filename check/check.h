/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * tcpclose check: run built-in close scenarios, each in a throwaway network namespace, trace
 * them with the real BPF programs, and compare every record with what it must say.
 */
#ifndef __CHECK_H
#define __CHECK_H

#include <stdbool.h>
#include <stdio.h>
#include "args.h"
#include "backend.h"
#include "check_expect.h"
#include "check_tamper.h"

#define CHECK_DEFAULT_TIMEOUT_S 600
#define CHECK_MAX_ROUNDS 1000
#define CHECK_MAX_LOAD 1024

struct check_opts {
	bool list;		/* -l: list the scenarios */
	bool tap;		/* --tap: TAP version 13 instead of the table */
	bool verbose;		/* -v: every record, and libbpf's messages */
	const char *junit;	/* --junit FILE */
	unsigned long timeout_s;	/* -t: give up on what still runs */
	int nr_names;		/* scenarios to run (pointers into argv); 0: all */
	char **names;
	int nr_expects;		/* --expect SCENARIO.FIELD=VALUE, validated */
	char **expects;
	enum tcpc_backend backend;	/* --backend */
	unsigned long repeat;	/* --repeat N: rounds, then a flake summary; 0: one, without */
	unsigned long load;	/* --load[=N]: busy-loop workers beside the scenarios; 0: none */
	struct check_tamper tamper;	/* --tamper SPEC: alter every record, on purpose */
};

/* "tcpclose check ..." with argv[0] "check": parse, validated; messages to out and err */
enum args_result check__parse(struct check_opts *o, int argc, char **argv, FILE *out, FILE *err);
void check__free(struct check_opts *o);

/* is scenario (or the scenario of "SCENARIO.FIELD=VALUE") one that the run selects? */
bool check__selected(const struct check_opts *o, const char *scenario);

/* apply the --expect values for e's scenario; returns -EINVAL with a message in err */
int check__apply_expects(const struct check_opts *o, struct check_expect *e, char *err,
			 size_t len);

/* the whole command: 0 all as expected, 1 a difference or a scenario that failed, 2 usage */
int check__main(int argc, char **argv);

#endif /* __CHECK_H */
