/* SPDX-License-Identifier: GPL-2.0 */
/* nstat: the kernel's own counters of the current network namespace, by nstat name */
#ifndef TCPCLOSE_NSTAT_H
#define TCPCLOSE_NSTAT_H

struct nstat_entry {
	char name[64];		/* as nstat(8) names it: TcpExtTW, TcpRetransSegs, Ip6InReceives */
	long long value;
};

struct nstat {
	struct nstat_entry *v;
	int n;
	int cap;
};

int nstat__read(struct nstat *s);
int nstat__parse_table(struct nstat *s, const char *text);
int nstat__parse_list(struct nstat *s, const char *text);
int nstat__find(const struct nstat *s, const char *name, long long *value);
long long nstat__get(const struct nstat *s, const char *name);
int nstat__delta(const struct nstat *before, const struct nstat *after, struct nstat *delta);
void nstat__free(struct nstat *s);

/* the namespace's counter now, or a negative errno */
long long nstat__value(const char *name);

/* wait until the namespace's counter reaches at_least: its value, or -ETIMEDOUT */
int nstat__wait(const char *name, long long at_least, int timeout_ms);

#endif
