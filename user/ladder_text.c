// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ladder_text: the four-way close in ASCII, one row per arrow or change of state, time
 * flowing down as in the textbooks:
 *
 *         ms  us                        |                                              | peer
 *             ESTABLISHED               |                                              | ESTABLISHED ~
 *      0.000  FIN_WAIT1 43.57 ms        |--- FIN seq=1000 ack=5000 ------------------->| CLOSE_WAIT ~
 *
 * A '~' marks what our end did not see (ladder.h): an inferred number, time or state; an
 * arrow whose time is inferred is dotted. Plain ASCII whatever the locale: it goes to logs
 * and CI output as often as to terminals. The process name is escaped (record__comm_text).
 */
#include <stdio.h>
#include <sys/socket.h>
#include "ladder_text.h"
#include "linebuf.h"
#include "record.h"
#include "sink.h"

#define TIME_W 10
#define STATE_W 24
#define ARROW_W 52

/* "|--- FIN seq=1 ack=2 ----->|" or "|<---- ACK ... ---|": ARROW_W + 2 wide */
static void lb__arrow(struct linebuf *lb, const struct ladder_arrow *a)
{
	char label[LADDER_TEXT_LEN];
	unsigned int n, len;
	char fill;

	lb__char(lb, '|');
	if (!a) {
		lb__pad(lb, ARROW_W);
		lb__char(lb, '|');
		return;
	}
	fill = a->t_inferred ? '.' : '-';
	ladder__label(a, label, sizeof(label));
	len = strlen(label);
	/* two heads or bars, two blanks, three dashes at the tail, n + 2 at the head */
	n = len + 8 < ARROW_W ? ARROW_W - len - 8 : 0;
	if (a->from == LADDER_PEER)
		lb__char(lb, '<');
	for (int i = 0; i < (a->from == LADDER_US ? 3 : (int)n + 2); i++)
		lb__char(lb, fill);
	lb__char(lb, ' ');
	lb__str(lb, label, 0);
	lb__char(lb, ' ');
	for (int i = 0; i < (a->from == LADDER_US ? (int)n + 2 : 3); i++)
		lb__char(lb, fill);
	if (a->from == LADDER_US)
		lb__char(lb, '>');
	lb__char(lb, '|');
}

/* the state an end entered, left-aligned in width */
static void lb__state(struct linebuf *lb, const struct ladder *l, const struct ladder_state *s,
		      unsigned int width)
{
	char text[LADDER_TEXT_LEN] = "";

	if (s)
		ladder__state_text(l, s, text, sizeof(text));
	lb__str(lb, text, width);
}

static void ladder_text__row(FILE *f, const struct ladder *l, const struct ladder_row *r,
			     const char *indent)
{
	struct linebuf lb = {};
	char t[32] = "";

	lb__str(&lb, indent, 0);
	if (r->timed)
		ladder__time_text(l, r->t_ns, r->t_inferred, t, sizeof(t));
	lb__pad(&lb, TIME_W > strlen(t) ? TIME_W - strlen(t) : 0);
	lb__str(&lb, t, 0);
	lb__str(&lb, "  ", 0);
	lb__state(&lb, l, r->state[LADDER_US], STATE_W);
	lb__char(&lb, ' ');
	lb__arrow(&lb, r->arrow);
	lb__char(&lb, ' ');
	lb__state(&lb, l, r->state[LADDER_PEER], 0);
	/* no trailing blanks */
	while (lb.len && lb.buf[lb.len - 1] == ' ')
		lb.len--;
	lb__char(&lb, '\n');
	lb__write(&lb, f);
}

static void lb__end(struct linebuf *lb, int family, const __u8 *addr, __u16 port)
{
	char a[RECORD_ADDR_LEN];

	record__addr(family, addr, a, sizeof(a));
	if (family == AF_INET6)
		lb__char(lb, '[');
	lb__str(lb, a, 0);
	if (family == AF_INET6)
		lb__char(lb, ']');
	lb__char(lb, ':');
	lb__uint(lb, port, 0);
}

void ladder_text__title(FILE *f, const struct ladder *l)
{
	const struct tcpc_conn *rec = l->rec;
	char comm[RECORD_COMM_TEXT_LEN];
	struct linebuf lb = {};

	lb__end(&lb, rec->family, rec->saddr, rec->sport);
	lb__str(&lb, " (us", 0);
	if (rec->pid) {
		record__comm_text(rec->comm, comm, sizeof(comm));
		lb__str(&lb, ", pid ", 0);
		lb__uint(&lb, rec->pid, 0);
		lb__char(&lb, ' ');
		lb__str(&lb, comm, 0);
	}
	lb__str(&lb, ") <-> ", 0);
	lb__end(&lb, rec->family, rec->daddr, rec->dport);
	lb__str(&lb, " (peer): ", 0);
	lb__str(&lb, record__role_name(rec->role), 0);
	lb__str(&lb, ", ", 0);
	lb__str(&lb, record__cause_name(rec->cause), 0);
	if (l->end) {
		lb__str(&lb, ", ended ", 0);
		lb__str(&lb, l->end, 0);
	}
	if (rec->flags & TCPC_F_PARTIAL)
		lb__str(&lb, ", partial (began before tcpclose)", 0);
	if (rec->flags & TCPC_F_STATES_LOST)
		lb__str(&lb, ", states_lost (its first states not kept)", 0);
	if (rec->flags & TCPC_F_END_UNSEEN)
		lb__str(&lb, ", end_unseen", 0);
	lb__char(&lb, '\n');
	lb__write(&lb, f);
}

/* "u=1000 v=~5000 w=5000": the textbook's letters, as far as the record has them */
static void ladder_text__letters(FILE *f, const struct ladder *l, const char *indent)
{
	char letters[LADDER_TEXT_LEN];

	ladder__letters(l, letters, sizeof(letters));
	fprintf(f, "%s%*s%s   (~ inferred: not seen by our end; ? not known)\n", indent,
		TIME_W + 2, "", letters);
}

void ladder_text__print(FILE *f, const struct ladder *l, const char *indent)
{
	struct ladder_row rows[LADDER_MAX_ROWS];
	int n = ladder__rows(l, rows);

	fputs(indent, f);
	ladder_text__title(f, l);
	ladder_text__letters(f, l, indent);
	fprintf(f, "%s%*s  %-*s |%*s| %s\n", indent, TIME_W, "ms", STATE_W, "us", ARROW_W, "",
		"peer");
	for (int i = 0; i < n; i++)
		ladder_text__row(f, l, &rows[i], indent);
	fputc('\n', f);
}

static void ladder_header(struct sink *s)
{
}

static void ladder_record(struct sink *s, const struct tcpc_conn *rec)
{
	struct ladder l;

	ladder__build(&l, rec);
	ladder_text__print(s->out, &l, "");
}

/* --ladder draws close records only: the other lines keep the text sink's form */
static void ladder_transition(struct sink *s, const struct tcpc_transition *t)
{
	sink_text_ops.transition(s, t);
}

static void ladder_report(struct sink *s, const struct tcpc_report *r)
{
	sink_text_ops.report(s, r);
}

static void ladder_stuck(struct sink *s, const struct tcpc_stuck *st, const struct holder *h,
			 int nh, __u64 ts_ns)
{
	sink_text_ops.stuck(s, st, h, nh, ts_ns);
}

static void ladder_summary(struct sink *s, const struct tcpc_stats *st)
{
	sink_text_ops.summary(s, st);
}

/* --port-pressure's warnings are lines, as the text sink prints them */
static void ladder_port_pressure(struct sink *s, const struct pp_tuple *t, double threshold)
{
	sink_text_ops.port_pressure(s, t, threshold);
}

const struct sink_ops sink_ladder_ops = {
	.header = ladder_header,
	.record = ladder_record,
	.transition = ladder_transition,
	.report = ladder_report,
	.stuck = ladder_stuck,
	.port_pressure = ladder_port_pressure,
	.summary = ladder_summary,
};
