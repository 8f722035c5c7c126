/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * check_ladder: a record's ladder (user/ladder.h) judged against the scenario's capture.
 * Each arrow is matched with the segment it stands for: our first FIN, the peer's first
 * segment acknowledging it, the peer's first FIN, our first segment acknowledging that, the
 * first reset each way, the SYN of the next connection of the ports. Every number the
 * ladder states, inferred ones included, must be the segment's; every time must lie on the
 * right side of the segment's stamp (a state change that makes a segment precedes its
 * leaving; one a segment causes follows its arrival, and so does one the kernel makes after
 * sending, as tcp_fin() does after it acknowledges a FIN) and within the bracket the rest of
 * the evidence puts the change in (check_wire.h), a jiffy of slack either way.
 */
#ifndef __CHECK_LADDER_H
#define __CHECK_LADDER_H

#include <stddef.h>
#include "check_wire.h"
#include "ladder.h"

/*
 * Compare rec's ladder with the nth connection of its ports in f; each difference becomes
 * a line "ladder: our FIN seq: drawn 1000, the wire's 1001" for diff (times in ms from
 * base_ns, as check_wire__judge() gives them). Returns how many differed;
 * *arrows (if not NULL) is how many arrows were matched with their segment.
 */
int check_ladder__judge(const struct wire_facts *f, const struct tcpc_conn *rec, int nth,
			__u64 arrived_ns, __u64 base_ns, void (*diff)(void *ctx, const char *line),
			void *ctx, int *arrows);

#endif /* __CHECK_LADDER_H */
