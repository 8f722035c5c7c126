/* SPDX-License-Identifier: GPL-2.0 */
/*
 * prom: a real Prometheus server run on loopback, scraping one target every second, queried
 * through its HTTP API into the samples of prom_text.h.
 */
#ifndef TCPCLOSE_TEST_PROM_H
#define TCPCLOSE_TEST_PROM_H

#include <sys/types.h>
#include "prom_text.h"

struct prom {
	pid_t pid;		/* the server; 0 once stopped */
	unsigned short port;	/* its HTTP API on 127.0.0.1 */
	char job[32];		/* the one scrape job */
	char dir[64];		/* its config, data and log */
};

int prom__start(struct prom *p, unsigned short port, const char *job, const char *target);
int prom__wait_up(struct prom *p, int timeout_ms);
int prom__query(struct prom *p, const char *expr, struct prom_vec *out);
int prom__wait_scrapes(struct prom *p, int n, double after, int timeout_ms);
void prom__dump_log(const struct prom *p);
void prom__stop(struct prom *p);

#endif
