/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* 'tcpclose features': what this kernel offers a tracer, found by probing, and what is used. */
#ifndef __SUPPORT_H
#define __SUPPORT_H

#include <stdio.h>

/* print the table; returns 0 if tcpclose can run here, 1 if not */
int support__print(FILE *out);

#endif /* __SUPPORT_H */
