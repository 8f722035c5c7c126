/* SPDX-License-Identifier: GPL-2.0 */
/* prom_records: tcpclose's metrics, as scraped or as stored, against its close records */
#ifndef TCPCLOSE_TEST_PROM_RECORDS_H
#define TCPCLOSE_TEST_PROM_RECORDS_H

#include <stdbool.h>
#include "prom_text.h"

struct tracer;
bool prom_vec__check_records(const struct prom_vec *v, const struct tracer *t, bool with_lost,
			     const char *what);
int prom__wait_closes(const struct tracer *t, int want, int timeout_ms);

#endif
