/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Command-line options. Parsing is kept apart from running so that it can be unit-tested. */
#ifndef __ARGS_H
#define __ARGS_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/socket.h>
#include <linux/types.h>
#include "backend.h"
#include "tcpclose.h"
#include "top_key.h"

#define ARGS_MAX_CIDRS TCPC_MAX_CIDRS
#define ARGS_PORT_PRESSURE_PCT 80	/* --port-pressure without a value */

/* --tw-alloc: when the timewait map ('tws') takes its kernel memory */
enum tcpc_tw_alloc {
	TCPC_TW_ALLOC_AUTO,	/* upfront up to TCPC_TW_UPFRONT_AUTO entries, else ondemand */
	TCPC_TW_ALLOC_UPFRONT,	/* all of --max-tw at start: no allocation per socket */
	TCPC_TW_ALLOC_ONDEMAND,	/* an element as each timewait socket comes, freed as it goes */
};

/* the most entries --tw-alloc auto takes at start: 26 MiB of kernel memory */
#define TCPC_TW_UPFRONT_AUTO (1UL << 18)

/* "auto", "upfront", "ondemand"; false for anything else */
bool tw_alloc__parse(const char *s, enum tcpc_tw_alloc *mode);

struct tcpc_opts {
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
	__u64 cgroup_id;	/* --cgroup: the cgroup v2 directory's inode, 0 for all */
	unsigned int cgroup_level;	/* its depth below the cgroup2 root */
	struct tcpc_cidr_key laddrs[ARGS_MAX_CIDRS];	/* --laddr */
	struct tcpc_cidr_key raddrs[ARGS_MAX_CIDRS];	/* --raddr */
	int nr_laddrs, nr_raddrs;
	bool metrics;		/* --metrics: serve Prometheus metrics at metrics_addr */
	struct sockaddr_storage metrics_addr;
	bool quiet;		/* -q: no records or reports on stdout */
	bool ladder;		/* --ladder: each record drawn as the four-way close */
	const char *ladder_svg;	/* --ladder-svg: write one SVG per record into this directory */
	int ladder_svg_fd;	/* and the directory, opened when parsed; -1 without */
	const char *user;	/* --user: drop to this user once attached */
	double port_pressure;	/* --port-pressure: the share of ports to warn from; 0: off */
	unsigned long stuck;	/* --stuck: seconds in CLOSE_WAIT/FIN_WAIT2/LAST_ACK to report */
	unsigned long interval;	/* -i: seconds between histogram and gauge prints, 0: at exit */
	unsigned long duration;	/* -d: seconds, 0 to run until interrupted */
	unsigned long ringbuf_size;	/* --ringbuf-size: bytes */
	unsigned long max_tw;	/* --max-tw: timewait sockets followed at once; 0: as many
				 * as tcp_max_tw_buckets (loader.max_tw) */
	unsigned long max_closing;	/* --max-closing: full sockets followed while closing */
	enum tcpc_tw_alloc tw_alloc;	/* --tw-alloc: when the timewait map takes its memory */
	bool tw_entry_always;	/* --tw-entry always: an entry for every timewait socket */
	enum tcpc_backend backend;	/* --backend */
	/* tcpclose top */
	bool top;		/* the live view instead of records */
	struct top_keys top_keys;	/* -k: what a row groups by */
	int top_sort;		/* -s: enum top_col */
	unsigned long top_groups;	/* --max-groups: groups kept before folding into other */
};

enum args_result {
	ARGS_RUN,		/* go on and trace */
	ARGS_EXIT_OK,		/* --help or --version was answered */
	ARGS_EXIT_USAGE,	/* bad arguments: a one-line error was printed */
};

/* "10.0.0.0/8", "::1", "fd00::/8" into an LPM key; false if it is not one */
bool args__parse_cidr(const char *s, struct tcpc_cidr_key *key);

/* the options with nothing given: no filter, the default ring buffer and timewait map */
void args__defaults(struct tcpc_opts *opts);

/* parse argv into opts; messages go to out (help, version) and err (errors) */
enum args_result args__parse(struct tcpc_opts *opts, int argc, char **argv, FILE *out, FILE *err);

#endif /* __ARGS_H */
