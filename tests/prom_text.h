/* SPDX-License-Identifier: GPL-2.0 */
/*
 * prom_text: a parser of the text exposition formats (0.0.4 and OpenMetrics 1.0) for what
 * tcpclose serves, and the vector of samples it fills, which Prometheus queries fill too.
 */
#ifndef TCPCLOSE_TEST_PROM_TEXT_H
#define TCPCLOSE_TEST_PROM_TEXT_H

#include <stddef.h>

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
int prom_vec__add(struct prom_vec *v, const struct prom_sample *s);
void prom_vec__free(struct prom_vec *v);

#endif
