/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ladder: a close record laid out as the four-way close is drawn in textbooks. Our end and
 * the peer side by side; each FIN, ACK and reset an arrow between them, with the numbers it
 * carried (u: our FIN's sequence number, v: the peer's when it acknowledged it, w: the
 * peer's FIN's) and its time; each end's states along its side, with their dwell.
 *
 * The record is one end's view. What that end saw happen is observed: its own state
 * changes, hence when its FIN left and when the peer's FIN and ACK arrived, and the numbers
 * the record read off the segments. The rest is inferred, and marked so: the peer's states
 * (the textbook's state machine run on the arrows, at the times our end saw them), numbers
 * TCP's rules imply but no segment was read for, and the time of an ACK our end delayed.
 * The renderers (ladder_text.c, ladder_svg.c) draw this model and decide nothing.
 */
#ifndef __LADDER_H
#define __LADDER_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "tcpclose.h"

enum ladder_end { LADDER_US, LADDER_PEER };

enum ladder_seg {
	LADDER_SEG_FIN,
	LADDER_SEG_ACK,		/* the ACK of the other end's FIN */
	LADDER_SEG_RST,
	LADDER_SEG_SYN,		/* a new connection took the 4-tuple of our TIME_WAIT */
	LADDER_SEG_RESTART,	/* a peer segment that restarted our 2MSL timer */
};

/* one number an arrow carries, and how the ladder knows it */
struct ladder_num {
	bool known;
	bool inferred;		/* implied by TCP's rules, not read off this segment */
	__u32 v;
};

struct ladder_arrow {
	enum ladder_seg seg;
	enum ladder_end from;
	struct ladder_num seq, ack;
	__u64 t_ns;		/* when our end sent it or took it in (CLOCK_MONOTONIC) */
	bool t_inferred;	/* our end did not see when: drawn at the earliest it could be */
	/* the record's change (record__changes()) t_ns is, or -1: what a test holds it to */
	int change;
	unsigned int resent;	/* our FIN: times it was sent again */
	unsigned int count;	/* LADDER_SEG_RESTART: restarts this arrow stands for */
};

/* pseudo-states beside enum tcpc_state, for the two ends' sides */
#define LADDER_ESTABLISHED (TCPC_NR_STATES + 1)
#define LADDER_CLOSED (TCPC_NR_STATES + 2)

struct ladder_state {
	int state;		/* enum tcpc_state, LADDER_ESTABLISHED or LADDER_CLOSED */
	__u64 from_ns;		/* 0: before the ladder begins */
	__u64 to_ns;		/* 0: after it ends, or not known */
	bool inferred;
};

/* four of the close, two for the restarts of 2MSL, one that ended it: 7 at most */
#define LADDER_MAX_ARROWS 8
#define LADDER_MAX_STATES (TCPC_NR_STATES + 2)

struct ladder {
	const struct tcpc_conn *rec;
	__u64 base_ns;		/* times are drawn from here: the first close transition */
	struct ladder_arrow arrows[LADDER_MAX_ARROWS];	/* in time order */
	int narrows;
	struct ladder_state states[2][LADDER_MAX_STATES];	/* [enum ladder_end], in order */
	int nstates[2];
	/* the textbook's letters, where the record has them */
	struct ladder_num u, v, w;
	const char *end;	/* how our end ended: "expired", "linger0", ...; NULL: normally */
};

/*
 * One line of the drawing, top to bottom: at one time, an arrow, the state each end entered
 * then, or both. The first row, before the close, has the states the ends were in (timed
 * false); a state is on the row of the arrow that made it, or on a row of its own.
 */
struct ladder_row {
	__u64 t_ns;
	bool timed;
	bool t_inferred;
	const struct ladder_arrow *arrow;		/* NULL: states only */
	const struct ladder_state *state[2];		/* [enum ladder_end], NULL: none */
};

#define LADDER_MAX_ROWS (1 + LADDER_MAX_ARROWS + 2 * LADDER_MAX_STATES)

/* lay rec out; rec must outlive l */
void ladder__build(struct ladder *l, const struct tcpc_conn *rec);

/* l's rows, in time order; returns how many */
int ladder__rows(const struct ladder *l, struct ladder_row *rows);

/* "FIN", "ACK", "RST", "SYN", "FIN?" (a restarting segment: a resent FIN, or an ACK) */
const char *ladder__seg_name(enum ladder_seg seg);

/* "FIN_WAIT1", ..., "ESTABLISHED", "CLOSED" */
const char *ladder__state_name(int state);

/* what the renderers write; each at most LADDER_TEXT_LEN bytes with its NUL */
#define LADDER_TEXT_LEN 64

/* "FIN seq=1000 ack=~5000 resent 1": an arrow's label; "~" inferred, "?" not known */
void ladder__label(const struct ladder_arrow *a, char *buf, size_t len);

/* "FIN_WAIT1 43.57 ms", "CLOSE_WAIT ~207 ms", "CLOSED: expired": a state an end entered */
void ladder__state_text(const struct ladder *l, const struct ladder_state *s, char *buf,
			size_t len);

/* "u=1000 v=~5000 w=5000" */
void ladder__letters(const struct ladder *l, char *buf, size_t len);

/* "43.570", "~0.000": ms from the base, "~" if inferred */
void ladder__time_text(const struct ladder *l, __u64 t_ns, bool inferred, char *buf, size_t len);

/* ms from the ladder's base; negative before it */
static inline double ladder__ms(const struct ladder *l, __u64 t_ns)
{
	return ((double)t_ns - (double)l->base_ns) / 1e6;
}

#endif /* __LADDER_H */
