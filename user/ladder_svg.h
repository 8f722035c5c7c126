/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* ladder_svg: a ladder (ladder.h) as an SVG picture, one file per connection (--ladder-svg) */
#ifndef __LADDER_SVG_H
#define __LADDER_SVG_H

#include <stdio.h>
#include "ladder.h"

/* the picture, a standalone SVG 1.1 document; every text XML-escaped */
void ladder_svg__write(FILE *f, const struct ladder *l);

/*
 * Write rec's ladder to a new file in the directory dirfd: named after its ends and when it
 * was gone, e.g. "10.0.0.1_40000-10.0.0.2_80-5012345678.svg". Never follows a link, never
 * overwrites. Returns 0 or a negative errno.
 */
int ladder_svg__save(int dirfd, const struct tcpc_conn *rec);

#endif /* __LADDER_SVG_H */
