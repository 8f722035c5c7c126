// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The text sink and a hostile process name: any local user may name a process with escape
 * sequences, a newline or spaces. Printed raw, such a comm drives the terminal of whoever
 * reads tcpclose (often root) or forges lines and columns for a log shipper; every line must
 * stay one line of printable ASCII with its usual columns.
 */
#include <stdlib.h>
#include <sys/socket.h>
#include "record.h"
#include "sink.h"
#include "stuck.h"
#include "test.h"

/* ESC ] 0 ; title BEL (sets the terminal's title), a newline, a space, a backslash */
#define HOSTILE_COMM "\x1b]0;x\x07\nA b\\"
#define HOSTILE_TEXT "\\x1b]0;x\\x07\\x0aA\\x20b\\x5c"

static struct tcpc_conn record_of(const char *comm)
{
	struct tcpc_conn rec = {
		.type = TCPC_EV_CLOSE, .family = AF_INET, .role = TCPC_ROLE_ACTIVE,
		.sport = 40000, .dport = 80, .pid = 1234, .start_ns = 1, .end_ns = 2,
		.saddr = { 127, 0, 0, 1 }, .daddr = { 127, 0, 0, 2 },
	};

	memcpy(rec.comm, comm, strnlen(comm, sizeof(rec.comm)));
	memset(rec.order, TCPC_NOT_CLOSING, sizeof(rec.order));
	return rec;
}

/* a text sink writing into buf; fclose(s->out) to finish */
static struct sink *render_to(struct sink *s, char *buf, size_t len)
{
	memset(buf, 0, len);
	sink__init(s, &sink_text_ops, fmemopen(buf, len, "w"), false);
	return s;
}

/* every byte printable ASCII or a space, and one newline, at the end */
static bool one_clean_line(const char *buf)
{
	size_t n = strlen(buf);

	for (size_t i = 0; i + 1 < n; i++)
		if (buf[i] < ' ' || buf[i] > '~')
			return false;
	return n && buf[n - 1] == '\n';
}

static int fields(const char *buf)
{
	int n = 0;

	for (const char *p = buf; *p; p++)
		n += *p != ' ' && *p != '\n' && (p == buf || p[-1] == ' ');
	return n;
}

void test_text_comm_escaped(void)
{
	char buf[1024], plain[1024];
	struct tcpc_conn rec = record_of(HOSTILE_COMM), ok = record_of("curl");
	struct sink s;

	sink__record(render_to(&s, buf, sizeof(buf)), &rec);
	fclose(s.out);
	sink__record(render_to(&s, plain, sizeof(plain)), &ok);
	fclose(s.out);
	ASSERT_TRUE(one_clean_line(buf), "a record is one line of printable ASCII");
	ASSERT_TRUE(strstr(buf, HOSTILE_TEXT) != NULL, "the comm is there, escaped");
	ASSERT_EQ(fields(buf), fields(plain), "as many columns as a plain comm gives");
}

void test_text_transition_comm_escaped(void)
{
	struct tcpc_transition t = {
		.type = TCPC_EV_TRANSITION, .family = AF_INET, .pid = 1234,
		.oldstate = 1, .newstate = 4, .sport = 40000, .dport = 80,
	};
	char buf[1024];
	struct sink s;

	memcpy(t.comm, HOSTILE_COMM, sizeof(HOSTILE_COMM) - 1);
	sink__transition(render_to(&s, buf, sizeof(buf)), &t);
	fclose(s.out);
	ASSERT_TRUE(one_clean_line(buf), "a transition is one line of printable ASCII");
	ASSERT_TRUE(strstr(buf, HOSTILE_TEXT) != NULL, "the comm is there, escaped");
}

void test_text_stuck_holder_escaped(void)
{
	struct tcpc_stuck st = { .family = AF_INET, .state = 8, .ino = 1, .sport = 80, .dport = 40000 };
	struct holder h = { .pid = 1234 };
	char buf[1024];
	struct sink s;

	memcpy(h.comm, HOSTILE_COMM, sizeof(HOSTILE_COMM) - 1);
	sink__stuck(render_to(&s, buf, sizeof(buf)), &st, &h, 1, 0);
	fclose(s.out);
	ASSERT_TRUE(one_clean_line(buf), "a stuck line is one line of printable ASCII");
	ASSERT_TRUE(strstr(buf, "1234/" HOSTILE_TEXT) != NULL, "the holder's comm, escaped");
}

void test_comm_text_plain_and_full(void)
{
	char buf[RECORD_COMM_TEXT_LEN];

	record__comm_text("nginx: worker", buf, sizeof(buf));
	ASSERT_STREQ(buf, "nginx:\\x20worker", "a space is escaped: columns stay columns");
	/* 16 bytes, no NUL: every one escaped still fits */
	record__comm_text("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10", buf,
			  sizeof(buf));
	ASSERT_EQ(strlen(buf), 64, "16 escaped bytes");
}

/* a keepalive transition says its count from its own field; no process is named */
void test_text_keepalive_unanswered(void)
{
	struct tcpc_transition t = {
		.type = TCPC_EV_TRANSITION, .family = AF_INET, .pid = 4321, .unanswered = 3,
		.oldstate = 1, .newstate = TCPC_KEEPALIVE_UNANSWERED, .sport = 40000, .dport = 80,
	};
	char buf[1024];
	struct sink s;

	sink__transition(render_to(&s, buf, sizeof(buf)), &t);
	fclose(s.out);
	ASSERT_TRUE(strstr(buf, "keepalive: 3 probe(s) unanswered") != NULL, "the count");
	ASSERT_TRUE(strstr(buf, "4321") == NULL, "no pid");
}

/* a transition ends with its socket's cgroup, as a record's last column names it */
void test_text_transition_cgroup(void)
{
	struct tcpc_transition t = {
		.type = TCPC_EV_TRANSITION, .family = AF_INET, .pid = 1234, .comm = "nginx",
		.oldstate = 8, .newstate = 9, .sport = 80, .dport = 40000, .cgroup_id = 4242,
	};
	char buf[1024];
	struct sink s;
	size_t n;

	sink__transition(render_to(&s, buf, sizeof(buf)), &t);
	fclose(s.out);
	n = strlen(buf);
	ASSERT_TRUE(one_clean_line(buf), "one line");
	ASSERT_TRUE(n > 13 && !strcmp(buf + n - 13, " cgroup:4242\n"),
		    "its cgroup, by id without a resolver, last");
	ASSERT_TRUE(strstr(buf, "CLOSE_WAIT -> LAST_ACK") != NULL, "the change");
}
