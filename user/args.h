/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Command-line options. Parsing is kept apart from running so that it can be unit-tested. */
#ifndef __ARGS_H
#define __ARGS_H

#include <stdbool.h>
#include <stdio.h>

struct tc_opts {
	bool json;		/* -j: JSON Lines */
	bool timestamp;		/* -T: wall-clock time of each record */
	bool verbose;		/* -v: libbpf's messages too */
	bool transitions;	/* --transitions: every state change as it happens */
	int family;		/* -4/-6: AF_INET, AF_INET6, or 0 for both */
	unsigned int pid;	/* -p */
	unsigned int lport;	/* -L */
	unsigned int dport;	/* -D */
	unsigned int netns;	/* --netns: inode number of the namespace, 0 for all */
	const char *netns_path;	/* --netns as given */
	bool hist;		/* --hist: dwell histograms per close state */
	unsigned long stuck;	/* --stuck: seconds in CLOSE_WAIT/FIN_WAIT2/LAST_ACK to report */
	unsigned long interval;	/* -i: seconds between histogram and gauge prints, 0: at exit */
	unsigned long duration;	/* -d: seconds, 0 to run until interrupted */
	unsigned long ringbuf_size;	/* --ringbuf-size: bytes */
	unsigned long max_tw;	/* --max-tw: timewait sockets followed at once */
};

enum args_result {
	ARGS_RUN,		/* go on and trace */
	ARGS_EXIT_OK,		/* --help or --version was answered */
	ARGS_EXIT_USAGE,	/* bad arguments: a one-line error was printed */
};

/* parse argv into opts; messages go to out (help, version) and err (errors) */
enum args_result args__parse(struct tc_opts *opts, int argc, char **argv, FILE *out, FILE *err);

#endif /* __ARGS_H */
