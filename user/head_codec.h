/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * head_codec: a record's head in about 60 bytes instead of 280, while tw_join keeps it for
 * the end of its timewait socket (a million of them where tcp_max_tw_buckets allows). Its
 * process (pid, comm, cgroup, namespace) and its endpoints (family, addresses; not the
 * ports, which a server's connections each have their own of) are interned, shared by the
 * heads that have them; the rest is written field by field as variable-length integers,
 * times as differences from the record's start, sequence numbers from each other.
 */
#ifndef __HEAD_CODEC_H
#define __HEAD_CODEC_H

#include <stdbool.h>
#include <linux/types.h>
#include "intern.h"
#include "tcpclose.h"

#define HEAD_CODEC_MAX 224	/* the longest encoding of any record */

struct head_codec {
	struct intern who;	/* struct head_who */
	struct intern where;	/* struct head_where */
};

void head_codec__init(struct head_codec *hc);
void head_codec__free(struct head_codec *hc);

/* rec into buf (HEAD_CODEC_MAX bytes): its length, or 0 without memory to intern */
size_t head_codec__encode(struct head_codec *hc, const struct tcpc_conn *rec, __u8 *buf);

/* buf back into *rec, exactly as encoded (tw_sock is the caller's) */
void head_codec__decode(const struct head_codec *hc, const __u8 *buf, struct tcpc_conn *rec);

/* forget the interned values buf holds */
void head_codec__release(struct head_codec *hc, const __u8 *buf);

#endif /* __HEAD_CODEC_H */
