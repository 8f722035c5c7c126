/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * tcpclose top: what a row groups by. Each key (-k process,remote,...) is one small
 * struct top_key_ops that fills its part of a struct top_key from a close record or from a
 * socket the walk found held, and prints that part, escaped, for a terminal. A group is
 * the set of records and sockets whose top_key is equal with the chosen keys filled and
 * the others zero.
 */
#ifndef __TOP_KEY_H
#define __TOP_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "tcpclose.h"

struct top_key {
	__u32 pid;			/* process: the pid and comm of the record or entry */
	char comm[TCPC_COMM_LEN];
	__u8 family;			/* remote: address family, address and port */
	__u8 raddr[16];
	__u16 rport;
	__u16 lport;			/* lport: the local port */
	__u64 container;		/* container: the socket's cgroup v2 id */
};

struct top_key_ops {
	const char *name;	/* as -k takes it */
	const char *title;	/* its column's heading */
	int width;		/* its column's width in the view */
	void (*from_record)(struct top_key *k, const struct tcpc_conn *rec);
	void (*from_held)(struct top_key *k, const struct tcpc_stuck *st);
	/* its part as text safe for a terminal and a JSON string (printable ASCII only) */
	void (*format)(const struct top_key *k, char *buf, size_t len);
};

#define TOP_MAX_KEYS 4

/* the keys chosen with -k, in the order given */
struct top_keys {
	const struct top_key_ops *k[TOP_MAX_KEYS];
	int n;
};

/* "process,remote" into keys; false (and the name it did not know in *bad) if not keys */
bool top_keys__parse(struct top_keys *keys, const char *list, const char **bad, size_t *badlen);

/* is name (as -k takes it) among the keys? */
bool top_keys__has(const struct top_keys *keys, const char *name);

struct cgroups;
/* the cache that names a container key's cgroup (NULL: by its id only) */
void top_keys__use_cgroups(struct cgroups *cg);

/* a comma-separated list of every key's name, for messages and --help */
const char *top_keys__names(void);

void top_keys__from_record(const struct top_keys *keys, struct top_key *k,
			   const struct tcpc_conn *rec);
void top_keys__from_held(const struct top_keys *keys, struct top_key *k,
			 const struct tcpc_stuck *st);

#endif /* __TOP_KEY_H */
