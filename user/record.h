/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Reading a close record: names of its enums, its addresses and times as people read them. */
#ifndef __RECORD_H
#define __RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "tcpclose.h"

#define RECORD_ADDR_LEN 46	/* INET6_ADDRSTRLEN */
#define RECORD_COMM_UTF8_LEN (TCPC_COMM_LEN * 3 + 1)	/* each byte may become U+FFFD */

const char *record__state_name(enum tcpc_state s);	/* "FIN_WAIT1", ... */
const char *record__tcp_state_name(int kernel_state);	/* any kernel TCP state */
const char *record__role_name(enum tcpc_role r);
const char *record__cause_name(enum tcpc_cause c);
const char *record__rst_reason_name(enum tcpc_rst_reason r);	/* NULL for TCPC_RST_NONE */
const char *record__tw_end_name(enum tcpc_tw_end e);		/* NULL for TCPC_TW_NONE */

/* the local and remote address as text */
void record__saddr(const struct tcpc_conn *rec, char *buf, size_t len);
void record__daddr(const struct tcpc_conn *rec, char *buf, size_t len);
void record__addr(int family, const __u8 *addr, char *buf, size_t len);

/* a comm as valid UTF-8: bytes that are not UTF-8 become U+FFFD */
void record__comm_utf8(const char *comm, char *buf, size_t len);

/* the same for up to max bytes of any string: buf holds 3 * max + 1 */
void record__utf8(const char *s, size_t max, char *buf, size_t len);

/*
 * A comm for a terminal or a log line: any process may name itself, escape sequences,
 * newlines and spaces included. Every byte but printable ASCII (and "\\" itself) becomes
 * \xNN, so that a name can neither drive the reader's terminal nor forge a line or a
 * column. buf holds RECORD_COMM_TEXT_LEN.
 */
#define RECORD_COMM_TEXT_LEN (TCPC_COMM_LEN * 4 + 1)
void record__comm_text(const char *comm, char *buf, size_t len);

/* the same for up to n bytes of any string (a cgroup path); false if buf was too short */
bool record__text(const char *s, size_t n, char *buf, size_t len);
/*
 * When the record says its connection changed state: t[0] it entered its first close state
 * (or ended, if it had none), t[i] it entered order[i], t[n] it was gone. Returns how many
 * changes (n + 1, at most TCPC_NR_STATES + 1).
 */
#define RECORD_MAX_CHANGES (TCPC_NR_STATES + 1)
int record__changes(const struct tcpc_conn *rec, __u64 *t);

static inline bool record__visited(const struct tcpc_conn *rec, enum tcpc_state s)
{
	return rec->visited & (1u << s);
}

/* its dwells are times, for histograms and metrics: none a bound (TCPC_F_DWELL_BOUNDS) */
static inline bool record__dwells_whole(const struct tcpc_conn *rec)
{
	return !(rec->flags & TCPC_F_DWELL_BOUNDS);
}

static inline double record__dwell_ms(const struct tcpc_conn *rec, enum tcpc_state s)
{
	return rec->dwell_ns[s] / 1e6;
}

#endif /* __RECORD_H */
