/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* xml: text for XML documents (check's JUnit file, --ladder-svg) */
#ifndef __XML_H
#define __XML_H

#include <stdbool.h>
#include <stdio.h>

/*
 * s as XML 1.0 text (attr false) or an attribute value (attr true): the five special
 * characters as entities, and the control characters XML forbids as U+FFFD.
 */
void xml__escape(FILE *f, const char *s, bool attr);

#endif /* __XML_H */
