/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* ladder_text: a ladder (ladder.h) drawn in plain ASCII, for a terminal or a log */
#ifndef __LADDER_TEXT_H
#define __LADDER_TEXT_H

#include <stdio.h>
#include "ladder.h"
#include "sink.h"

/* the header line: the two ends, the process, role, cause and end (comm escaped) */
void ladder_text__title(FILE *f, const struct ladder *l);

/* the ladder under its title, then a blank line; each line starts with indent */
void ladder_text__print(FILE *f, const struct ladder *l, const char *indent);

/* what --ladder prints: the ladder of each record, as a sink */
extern const struct sink_ops sink_ladder_ops;

#endif /* __LADDER_TEXT_H */
