// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The ladder of synthetic records: the model (which arrows, with which numbers, at which
 * change, observed or inferred; the peer's states inferred by the textbook's machine) and
 * its text (every arrow's numbers on its line, each end's states in order with their
 * dwell, a hostile comm escaped). The model against real closes, with their captures, is
 * tests/integration/ladder_wire.c.
 */
#include <stdlib.h>
#include <sys/socket.h>
#include "close_record.h"
#include "ladder.h"
#include "ladder_text.h"
#include "record.h"
#include "test.h"

#define MS 1000000ULL
#define T0 (5000 * MS)

static struct tcpc_conn record_through(int role, const int *states, const unsigned int *ms, int n)
{
	return close_record__through(role, T0, states, ms, n);
}

static void fins(struct tcpc_conn *rec, __u32 u, __u32 fin_ack, __u32 w, __u32 peer_fin_ack)
{
	rec->flags |= TCPC_F_OUR_FIN | TCPC_F_PEER_FIN;
	rec->fin_seq = u;
	rec->fin_ack = fin_ack;
	rec->peer_fin_seq = w;
	rec->peer_fin_ack = peer_fin_ack;
}

static struct tcpc_conn active_record(void)
{
	static const int st[] = { TCPC_FIN_WAIT1, TCPC_FIN_WAIT2, TCPC_TIME_WAIT };
	static const unsigned int ms[] = { 40, 160, 60000 };
	struct tcpc_conn rec = record_through(TCPC_ROLE_ACTIVE, st, ms, 3);

	fins(&rec, 1000, 5000, 5000, 1001);
	rec.tw_end = TCPC_TW_EXPIRED;
	return rec;
}

static struct tcpc_conn passive_record(void)
{
	static const int st[] = { TCPC_CLOSE_WAIT, TCPC_LAST_ACK };
	static const unsigned int ms[] = { 200, 3 };
	struct tcpc_conn rec = record_through(TCPC_ROLE_PASSIVE, st, ms, 2);

	fins(&rec, 7000, 9001, 9000, 7000);
	return rec;
}

static struct tcpc_conn simultaneous_record(void)
{
	static const int st[] = { TCPC_FIN_WAIT1, TCPC_CLOSING, TCPC_TIME_WAIT };
	static const unsigned int ms[] = { 1, 2, 60000 };
	struct tcpc_conn rec = record_through(TCPC_ROLE_SIMULTANEOUS, st, ms, 3);

	fins(&rec, 300, 800, 800, 300);
	rec.tw_end = TCPC_TW_PURGED;
	return rec;
}

static const struct ladder_arrow *arrow_of(const struct ladder *l, enum ladder_seg seg,
					   enum ladder_end from)
{
	for (int i = 0; i < l->narrows; i++)
		if (l->arrows[i].seg == seg && l->arrows[i].from == from)
			return &l->arrows[i];
	return NULL;
}

/* the states of one end, as "A,B,C" */
static void states_of(const struct ladder *l, int e, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (int i = 0; i < l->nstates[e] && o < len; i++)
		o += snprintf(buf + o, len - o, "%s%s", i ? "," : "",
			      ladder__state_name(l->states[e][i].state));
}

#define ASSERT_NUM(num, val, inferred_, what) ({				\
	ASSERT_TRUE((num).known, what ": known");				\
	ASSERT_EQ((num).v, val, what);						\
	ASSERT_EQ((num).inferred, inferred_, what ": inferred");		\
})

void test_ladder_active(void)
{
	struct tcpc_conn rec = active_record();
	const struct ladder_arrow *a;
	struct ladder l;
	char st[256];

	ladder__build(&l, &rec);
	ASSERT_EQ(l.narrows, 4, "FIN, ACK, FIN, ACK");
	a = arrow_of(&l, LADDER_SEG_FIN, LADDER_US);
	if (ASSERT_NOT_NULL(a, "our FIN")) {
		ASSERT_NUM(a->seq, 1000, false, "our FIN's seq (u)");
		ASSERT_NUM(a->ack, 5000, false, "our FIN's ack");
		ASSERT_EQ(a->t_ns, T0, "our FIN: entering FIN_WAIT1");
		ASSERT_EQ(a->change, 0, "change 0");
		ASSERT_FALSE(a->t_inferred, "observed");
	}
	a = arrow_of(&l, LADDER_SEG_ACK, LADDER_PEER);
	if (ASSERT_NOT_NULL(a, "the peer's ACK")) {
		ASSERT_NUM(a->ack, 1001, true, "its ack: u+1");
		ASSERT_FALSE(a->seq.known, "its seq: before its FIN, or after a FIN lost and resent");
		ASSERT_EQ(a->t_ns, T0 + 40 * MS, "FIN_WAIT1 -> FIN_WAIT2");
		ASSERT_EQ(a->change, 1, "change 1");
	}
	a = arrow_of(&l, LADDER_SEG_FIN, LADDER_PEER);
	if (ASSERT_NOT_NULL(a, "the peer's FIN")) {
		ASSERT_NUM(a->seq, 5000, false, "its FIN's seq (w)");
		ASSERT_NUM(a->ack, 1001, false, "its FIN's ack");
		ASSERT_EQ(a->t_ns, T0 + 200 * MS, "FIN_WAIT2 -> TIME_WAIT");
	}
	a = arrow_of(&l, LADDER_SEG_ACK, LADDER_US);
	if (ASSERT_NOT_NULL(a, "our ACK")) {
		ASSERT_NUM(a->seq, 1001, true, "our ACK's seq: u+1");
		ASSERT_NUM(a->ack, 5001, true, "our ACK's ack: w+1");
		ASSERT_FALSE(a->t_inferred, "tcp_fin() in FIN_WAIT2 acks at once");
		ASSERT_EQ(a->change, 2, "with TIME_WAIT");
	}
	ASSERT_TRUE(l.arrows[2].seg == LADDER_SEG_FIN && l.arrows[3].seg == LADDER_SEG_ACK,
		    "at the same time, the FIN comes before our ACK of it");
	states_of(&l, LADDER_US, st, sizeof(st));
	ASSERT_STREQ(st, "ESTABLISHED,FIN_WAIT1,FIN_WAIT2,TIME_WAIT,CLOSED", "our states");
	states_of(&l, LADDER_PEER, st, sizeof(st));
	ASSERT_STREQ(st, "ESTABLISHED,CLOSE_WAIT,LAST_ACK,CLOSED", "the peer's, inferred");
	for (int i = 0; i < l.nstates[LADDER_PEER]; i++)
		ASSERT_TRUE(l.states[LADDER_PEER][i].inferred, "every peer state inferred");
	ASSERT_STREQ(l.end, "expired", "how it ended");
}

void test_ladder_passive(void)
{
	struct tcpc_conn rec = passive_record();
	const struct ladder_arrow *a;
	struct ladder l;
	char st[256];

	ladder__build(&l, &rec);
	ASSERT_EQ(l.narrows, 4, "FIN, ACK, FIN, ACK");
	ASSERT_TRUE(l.arrows[0].seg == LADDER_SEG_FIN && l.arrows[0].from == LADDER_PEER,
		    "the peer's FIN first");
	a = arrow_of(&l, LADDER_SEG_ACK, LADDER_US);
	if (ASSERT_NOT_NULL(a, "our ACK")) {
		ASSERT_TRUE(a->t_inferred, "delayed (pingpong): its time not seen");
		ASSERT_EQ(a->change, -1, "no change dates it");
		ASSERT_NUM(a->seq, 7000, true, "from where our FIN went, no data between");
		ASSERT_NUM(a->ack, 9001, true, "w+1");
	}
	a = arrow_of(&l, LADDER_SEG_ACK, LADDER_PEER);
	if (ASSERT_NOT_NULL(a, "the peer's ACK")) {
		ASSERT_EQ(a->t_ns, rec.end_ns, "LAST_ACK -> gone");
		ASSERT_NUM(a->seq, 9001, true, "after its FIN");
		ASSERT_NUM(a->ack, 7001, true, "u+1");
	}
	states_of(&l, LADDER_PEER, st, sizeof(st));
	ASSERT_STREQ(st, "ESTABLISHED,FIN_WAIT1,FIN_WAIT2,TIME_WAIT", "the peer's, inferred");
	ASSERT_EQ(l.states[LADDER_PEER][3].to_ns, 0, "its TIME_WAIT's end unseen");
}

void test_ladder_simultaneous(void)
{
	struct tcpc_conn rec = simultaneous_record();
	struct ladder l;
	char st[256];

	ladder__build(&l, &rec);
	states_of(&l, LADDER_US, st, sizeof(st));
	ASSERT_STREQ(st, "ESTABLISHED,FIN_WAIT1,CLOSING,TIME_WAIT,CLOSED", "our states");
	states_of(&l, LADDER_PEER, st, sizeof(st));
	ASSERT_STREQ(st, "ESTABLISHED,FIN_WAIT1,CLOSING,TIME_WAIT",
		     "the peer's: its FIN crossed ours");
	ASSERT_FALSE(arrow_of(&l, LADDER_SEG_ACK, LADDER_US)->t_inferred,
		     "tcp_fin() in FIN_WAIT1 acks at once");
	ASSERT_NUM(arrow_of(&l, LADDER_SEG_ACK, LADDER_PEER)->seq, 801, true,
		   "the peer's ACK comes after its FIN");
}

void test_ladder_reset_and_restart(void)
{
	static const int st[] = { TCPC_FIN_WAIT1, TCPC_FIN_WAIT2, TCPC_TIME_WAIT };
	static const unsigned int ms[] = { 1, 1, 3000 };
	struct tcpc_conn rec = record_through(TCPC_ROLE_ACTIVE, st, ms, 3), rst;
	struct ladder l;

	fins(&rec, 1, 2, 2, 2);
	rec.flags |= TCPC_F_TW_RESTART;
	rec.tw_restarts = 3;
	rec.tw_restart_first_ns = T0 + 100 * MS;
	rec.tw_restart_last_ns = T0 + 2000 * MS;
	rec.tw_end = TCPC_TW_RST;
	ladder__build(&l, &rec);
	ASSERT_EQ(l.narrows, 7, "four of the close, two restarts, the reset");
	ASSERT_EQ(l.arrows[4].seg, LADDER_SEG_RESTART, "the first restart");
	ASSERT_EQ(l.arrows[4].t_ns, rec.tw_restart_first_ns, "at its time");
	ASSERT_EQ(l.arrows[5].count, 2, "the last stands for the other two");
	ASSERT_EQ(l.arrows[5].t_ns, rec.tw_restart_last_ns, "at the last's time");
	ASSERT_TRUE(l.arrows[6].seg == LADDER_SEG_RST && l.arrows[6].from == LADDER_PEER,
		    "the peer's reset ends the TIME_WAIT");
	ASSERT_EQ(l.arrows[6].t_ns, rec.end_ns, "at the end");
	ASSERT_EQ(l.nstates[LADDER_PEER], 4, "ESTABLISHED, CLOSE_WAIT, LAST_ACK, CLOSED");
	ASSERT_EQ(l.states[LADDER_PEER][2].state, TCPC_LAST_ACK, "the peer resending its FIN");
	ASSERT_EQ(l.states[LADDER_PEER][3].from_ns, rec.tw_restart_last_ns,
		  "closed by our answer to its last resend, not by our first ACK");

	rst = record_through(TCPC_ROLE_ABORTED, NULL, NULL, 0);
	rst.end_ns = T0;
	rst.cause = TCPC_CAUSE_RST_SENT;
	rst.rst_reason = TCPC_RST_LINGER0;
	ladder__build(&l, &rst);
	ASSERT_EQ(l.narrows, 1, "only the reset");
	ASSERT_TRUE(l.arrows[0].seg == LADDER_SEG_RST && l.arrows[0].from == LADDER_US, "ours");
	ASSERT_STREQ(l.end, "linger0", "why");
	ASSERT_EQ(l.nstates[LADDER_PEER], 2, "the peer: ESTABLISHED, CLOSED");
}

/* the drawing, as a string */
static char *render(const struct tcpc_conn *rec, struct ladder *l)
{
	char *buf = calloc(1, 16384);
	FILE *f = fmemopen(buf, 16384, "w");

	ladder__build(l, rec);
	ladder_text__print(f, l, "");
	fclose(f);
	return buf;
}

/* the line holding s, copied to line; false if none */
static bool line_with(const char *text, const char *s, char *line, size_t len)
{
	const char *p = strstr(text, s), *b, *e;

	if (!p)
		return false;
	for (b = p; b > text && b[-1] != '\n'; b--)
		;
	e = strchr(p, '\n');
	snprintf(line, len, "%.*s", (int)(e ? e - b : (long)strlen(b)), b);
	return true;
}

static void num_text(const struct ladder_num *n, const char *name, char *buf, size_t len)
{
	if (!n->known)
		snprintf(buf, len, "%s?", name);
	else
		snprintf(buf, len, "%s%s%u", name, n->inferred ? "~" : "", n->v);
}

/* every arrow of rec on a line of its own, its numbers and direction on that line */
static void check_arrows_drawn(const struct tcpc_conn *rec)
{
	struct ladder_row rows[LADDER_MAX_ROWS];
	struct ladder l;
	char *text = render(rec, &l), want[64], line[512], *lines[LADDER_MAX_ROWS + 8];
	int n = ladder__rows(&l, rows), nlines = 0, first_row;

	test__log("%s", text);
	for (char *p = text, *nl; *p && nlines < (int)(sizeof(lines) / sizeof(lines[0]));
	     p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl)
			break;
		*nl = '\0';
		lines[nlines++] = p;
	}
	/* title, letters, column heads, then one line a row, then a blank line */
	first_row = 3;
	ASSERT_EQ(nlines, first_row + n + 1, "one line per row");
	for (int i = 0; i < n && first_row + i < nlines; i++) {
		const struct ladder_arrow *a = rows[i].arrow;
		const char *ln = lines[first_row + i];

		snprintf(line, sizeof(line), "%s", ln);
		/* the two ends' lines stay straight: the bars where the column heads have them */
		ASSERT_EQ(strchr(ln, '|') - ln, strchr(lines[2], '|') - lines[2], "our end's bar");
		ASSERT_EQ(strrchr(ln, '|') - ln, strrchr(lines[2], '|') - lines[2], "the peer's bar");
		for (const char *c = ln; *c; c++)
			ASSERT_TRUE(*c >= ' ' && *c <= '~', "printable ASCII");
		if (!a)
			continue;
		ASSERT_NOT_NULL(strstr(line, ladder__seg_name(a->seg)), "the segment's name");
		ASSERT_NOT_NULL(strstr(line, a->from == LADDER_US ? ">|" : "|<"), "its direction");
		if (a->seg != LADDER_SEG_FIN && a->seg != LADDER_SEG_ACK)
			continue;
		num_text(&a->seq, "seq=", want, sizeof(want));
		ASSERT_NOT_NULL(strstr(line, want), want);
		num_text(&a->ack, "ack=", want, sizeof(want));
		ASSERT_NOT_NULL(strstr(line, want), want);
		snprintf(want, sizeof(want), "%s%.3f", a->t_inferred ? "~" : "",
			 ladder__ms(&l, a->t_ns));
		ASSERT_NOT_NULL(strstr(line, want), "its time");
	}
	free(text);
}

void test_ladder_text_arrows(void)
{
	struct tcpc_conn recs[] = { active_record(), passive_record(), simultaneous_record(),
				    active_record() };

	/* the longest label: numbers of ten digits, and a FIN resent ten times */
	fins(&recs[3], 4294967295u, 4294967295u, 4294967294u, 4294967295u);
	recs[3].fin_retrans = 10;

	for (size_t i = 0; i < sizeof(recs) / sizeof(recs[0]); i++)
		check_arrows_drawn(&recs[i]);
}

/* each end's states top to bottom in the model's order, ours with their dwell */
void test_ladder_text_states(void)
{
	struct tcpc_conn rec = active_record();
	struct ladder l;
	char *text = render(&rec, &l), line[512];
	const char *last = text;

	for (int e = LADDER_US; e <= LADDER_PEER; e++) {
		last = text;
		for (int i = 0; i < l.nstates[e]; i++) {
			const char *name = ladder__state_name(l.states[e][i].state);
			const char *p = strstr(last, name);

			/* "ESTABLISHED" appears on both sides of the first line: skip ours */
			if (p && e == LADDER_PEER && i == 0)
				p = strstr(p + 1, name);
			if (!ASSERT_NOT_NULL(p, name))
				break;
			ASSERT_TRUE(p >= last, "in order");
			last = p + 1;
		}
	}
	ASSERT_TRUE(line_with(text, "FIN_WAIT1", line, sizeof(line)), "FIN_WAIT1's line");
	ASSERT_NOT_NULL(strstr(line, "FIN_WAIT1 40.00 ms"), "with its dwell");
	ASSERT_TRUE(line_with(text, "FIN_WAIT2 ", line, sizeof(line)), "FIN_WAIT2's line");
	ASSERT_NOT_NULL(strstr(line, "FIN_WAIT2 160 ms"), "with its dwell");
	ASSERT_TRUE(line_with(text, "TIME_WAIT ", line, sizeof(line)), "TIME_WAIT's line");
	ASSERT_NOT_NULL(strstr(line, "TIME_WAIT 60000 ms"), "with its dwell");
	ASSERT_NOT_NULL(strstr(line, "LAST_ACK ~"), "the peer's state there, inferred");
	ASSERT_TRUE(line_with(text, "CLOSED: expired", line, sizeof(line)), "the end");
	ASSERT_NOT_NULL(strstr(line, "60200.000"), "at its time");
	free(text);
}

void test_ladder_text_comm_escaped(void)
{
	struct tcpc_conn rec = active_record();
	struct ladder l;
	char *text;

	memcpy(rec.comm, "\x1b]0;x\x07\nA b\\", 12);
	text = render(&rec, &l);
	ASSERT_NOT_NULL(strstr(text, "\\x1b]0;x\\x07\\x0aA\\x20b\\x5c"), "the comm, escaped");
	for (const char *c = text; *c; c++)
		ASSERT_TRUE((*c >= ' ' && *c <= '~') || *c == '\n', "printable ASCII");
	free(text);
}
