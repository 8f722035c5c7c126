/* SPDX-License-Identifier: GPL-2.0 */
/*
 * prom: the Prometheus side of the tests. A parser of the text exposition formats (0.0.4
 * and OpenMetrics 1.0) for what tcpclose serves, and a real Prometheus server run on
 * loopback, scraping one target every second, queried through its HTTP API.
 */
#ifndef TCPCLOSE_TEST_PROM_H
#define TCPCLOSE_TEST_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define PROM_MAX_LABELS 8

struct prom_label {
	char name[32];
	char value[96];
};

struct prom_sample {
	char name[128];		/* a query's result without a metric name has "" */
	struct prom_label labels[PROM_MAX_LABELS];	/* __name__ is not among them */
	int nlabels;
	double value;
	double ts;		/* a query's sample: its time in seconds; text: 0 */
};

struct prom_vec {
	struct prom_sample *v;
	int n;
};

int prom_text__parse(const char *text, size_t len, struct prom_vec *out, char *err,
		     size_t err_size);

const char *prom_sample__label(const struct prom_sample *s, const char *name);
const struct prom_sample *prom_vec__find(const struct prom_vec *v, const char *name, ...)
	__attribute__((sentinel));
double prom_vec__sum(const struct prom_vec *v, const char *name);
void prom_vec__free(struct prom_vec *v);

struct tracer;
bool prom_vec__check_records(const struct prom_vec *v, const struct tracer *t, bool with_lost,
			     const char *what);
int prom__wait_closes(const struct tracer *t, int want, int timeout_ms);

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
