/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What tcpclose check expects of each scenario: the close records of its connections' ends
 * and its namespace's counters, derived from what the scenario did and the kernel's
 * settings; --expect overrides one value; and comparing what the tracer reported with it.
 */
#ifndef __CHECK_EXPECT_H
#define __CHECK_EXPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "check_timers.h"
#include "check_wire.h"
#include "nstat.h"
#include "scenario.h"
#include "tcpclose.h"

#define CHECK_MAX_ENDS (2 * SCENARIO_MAX_CONNS)
#define CHECK_MAX_COUNTERS 16
#define CHECK_MAX_DIFFS 24
#define CHECK_DIFF_LEN 256

/* the fields of one end's record that can be expected, by name in --expect */
enum check_field {
	CHECK_ROLE,
	CHECK_CAUSE,
	CHECK_RST_REASON,
	CHECK_TW_END,
	CHECK_COMM,		/* the process the record names: the end's own; "-" for none */
	CHECK_STATES,		/* in order: "FIN_WAIT1,FIN_WAIT2,TIME_WAIT"; "-" for none */
	CHECK_FIN_RETRANS,
	CHECK_KA_PROBES,
	CHECK_KA_UNANSWERED,
	CHECK_HALFCLOSED,
	CHECK_FIN_SEQ,		/* the numbers our first FIN carried: none if the record has none */
	CHECK_FIN_ACK,
	CHECK_PEER_FIN_SEQ,	/* and the peer's first */
	CHECK_PEER_FIN_ACK,
	CHECK_TW_RESTARTS,
	CHECK_DWELL,		/* ms in each close state: CHECK_DWELL + enum tcpc_state */
	CHECK_END_MS = CHECK_DWELL + TCPC_NR_STATES,	/* ms from the scenario's mark */
	CHECK_NR_FIELDS,
};

/* the value of fin_seq ... peer_fin_ack when the record has no such FIN ("none") */
#define CHECK_NO_FIN (-1.0)

/* one expected value: a name (role, cause, ..., states) or a number in [lo, hi] */
struct check_want {
	bool set;		/* checked at all */
	char name[64];
	double lo, hi;
};

/* one end of a connection: the next record with its ports, and what it must say */
struct check_end {
	char name[16];		/* "client", "server"; "client2", "server2" for the second */
	unsigned short lport, rport;
	int fins_resent;	/* FINs it resent on a slow host's timers: its fin_retrans */
	struct check_want want[CHECK_NR_FIELDS];
};

struct check_counter {
	char name[48];		/* as nstat names it: TcpExtTW */
	struct check_want want;
};

struct check_expect {
	const char *scenario;
	__u64 mark_ns;		/* what end_ms counts from */
	int nr_ends;
	int nr_counters;
	struct check_end ends[CHECK_MAX_ENDS];
	struct check_counter counters[CHECK_MAX_COUNTERS];
	struct check_want extra;	/* records of the namespace that no end claims */
	struct check_timers timers;	/* the kernel's timers as the capture shows them */
};

/* what expectations are derived from: the scenario, its counters and the kernel */
struct check_facts {
	const struct scenario_result *res;
	const struct nstat *delta;	/* the namespace's counters over the scenario */
	const struct wire_facts *wire;	/* its capture and socket dumps; NULL: none */
	unsigned int hz;
	/* TcpExtTW counted when a timewait socket expires, not when it is armed (5.10) */
	bool tw_at_expiry;
};

struct check_scenario {
	const char *name;
	bool slow;		/* waits on its timers: runs beside the others */
	int budget_s;		/* how long it may run, its timers included */
	void (*expect)(struct check_expect *e, const struct check_facts *f);
};

/* the scenarios in the order they are listed and run; NULL past the last */
const struct check_scenario *check_expect__scenario(int i);
const struct check_scenario *check_expect__find(const char *name);

/* what sc must produce given these facts */
void check_expect__build(struct check_expect *e, const struct check_scenario *sc,
			 const struct check_facts *f);

/*
 * Override one expected value: path is END.FIELD (client.role, server.CLOSE_WAIT), a counter
 * (TcpExtTW) or "extra"; value a name, a number, LO..HI, LO.. or "*" (not checked). Returns
 * 0, or -EINVAL with a message in err.
 */
int check_expect__override(struct check_expect *e, const char *path, const char *value,
			   char *err, size_t len);

/* the names --expect takes, for help and messages */
const char *check_expect__field_name(enum check_field f);

struct check_diffs {
	int n;
	int more;		/* differences past CHECK_MAX_DIFFS, not kept */
	char line[CHECK_MAX_DIFFS][CHECK_DIFF_LEN];
};

/* what the run itself shows of when things happened, against which the records' times are
 * judged (check_wire.h) */
struct check_evidence {
	const struct wire_facts *wire;	/* NULL: times only against the wants (unit tests) */
	const __u64 *arrived_ns;	/* when each record reached us: its end came before */
	__u64 base_ns;			/* what the times in difference lines count from */
};

/*
 * Compare the records of the scenario's namespace (in the order they came) and its counters
 * with what was expected, and each record's times with the evidence; each difference
 * becomes a line "client.role: got passive, want active". Returns the number of differences.
 */
int check_expect__compare(const struct check_expect *e, const struct tcpc_conn *recs, int n,
			  const struct nstat *delta, const struct check_evidence *ev,
			  struct check_diffs *d);

/* when a record's connection began to close, or ended if it never did: ends that share
 * ports are paired with records in that order */
__u64 check_expect__began(const struct tcpc_conn *rec);

/*
 * Which end each record is, as check_expect__compare() pairs them: end_of[i] an index into
 * e->ends, or -1 for a record no end claims; nth_of[i] which connection of its ports it is
 * on the wire, from 0 (-1 unclaimed)
 */
void check_expect__pair(const struct check_expect *e, const struct tcpc_conn *recs, int n,
			int *end_of, int *nth_of);

/* what end x must say, "role active, cause normal, states FIN_WAIT1,...", for -v */
void check_expect__describe_end(const struct check_end *x, char *buf, size_t len);

/* a record in one line, for -v and the JUnit file */
void check_expect__describe(const struct tcpc_conn *rec, __u64 mark_ns, char *buf, size_t len);

#endif /* __CHECK_EXPECT_H */
