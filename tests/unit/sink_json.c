// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The JSON Lines sink: every record is one valid JSON object with the documented keys. */
#include <json-c/json.h>
#include <stdlib.h>
#include <sys/socket.h>
#include "sink.h"
#include "test.h"

static json_object *render(const struct tcpc_conn *rec, char *buf, size_t len)
{
	struct sink s;
	FILE *f = fmemopen(buf, len, "w");

	memset(buf, 0, len);
	sink__init(&s, &sink_json_ops, f, false);
	s.ops->record(&s, rec);
	fclose(f);
	return json_tokener_parse(buf);
}

static struct tcpc_conn active_record(void)
{
	struct tcpc_conn rec = {
		.type = TCPC_EV_CLOSE, .family = AF_INET, .role = TCPC_ROLE_ACTIVE,
		.tw_end = TCPC_TW_EXPIRED, .sport = 40000, .dport = 80, .netns = 4026531840U,
		.pid = 1234, .comm = "curl", .flags = TCPC_F_OUR_FIN | TCPC_F_PEER_FIN | TCPC_F_TW,
		.fin_seq = 4294967295U, .fin_ack = 7, .peer_fin_seq = 7, .peer_fin_ack = 0,
		.start_ns = 1000000000, .end_ns = 61201000000ULL, .fin_retrans = 2,
		.saddr = { 127, 0, 0, 1 }, .daddr = { 127, 0, 0, 2 },
	};

	memset(rec.order, TCPC_NOT_CLOSING, sizeof(rec.order));
	rec.order[0] = TCPC_FIN_WAIT1;
	rec.order[1] = TCPC_FIN_WAIT2;
	rec.order[2] = TCPC_TIME_WAIT;
	rec.visited = 1 << TCPC_FIN_WAIT1 | 1 << TCPC_FIN_WAIT2 | 1 << TCPC_TIME_WAIT;
	rec.dwell_ns[TCPC_FIN_WAIT1] = 1500;
	rec.dwell_ns[TCPC_FIN_WAIT2] = 200000000;
	rec.dwell_ns[TCPC_TIME_WAIT] = 61000000000ULL;
	return rec;
}

void test_json_record_keys(void)
{
	struct tcpc_conn rec = active_record();
	json_object *o, *v, *dwell;
	char buf[4096];

	o = render(&rec, buf, sizeof(buf));
	if (!ASSERT_NOT_NULL(o, "output parses as JSON"))
		return;
	ASSERT_TRUE(strchr(buf, '\n') == buf + strlen(buf) - 1, "exactly one line");
	ASSERT_STREQ(json_object_get_string(json_object_object_get(o, "type")), "close", "type");
	ASSERT_STREQ(json_object_get_string(json_object_object_get(o, "saddr")), "127.0.0.1", "saddr");
	ASSERT_EQ(json_object_get_int(json_object_object_get(o, "family")), 4, "family");
	ASSERT_EQ(json_object_get_int(json_object_object_get(o, "sport")), 40000, "sport");
	ASSERT_STREQ(json_object_get_string(json_object_object_get(o, "role")), "active", "role");
	ASSERT_STREQ(json_object_get_string(json_object_object_get(o, "cause")), "normal", "cause");
	ASSERT_STREQ(json_object_get_string(json_object_object_get(o, "tw_end")), "expired", "tw_end");
	ASSERT_EQ(json_object_get_int64(json_object_object_get(o, "fin_seq")), 4294967295LL,
		  "u32 sequence numbers stay unsigned");
	ASSERT_EQ(json_object_get_int(json_object_object_get(o, "fin_retrans")), 2, "fin_retrans");
	dwell = json_object_object_get(o, "dwell_ms");
	ASSERT_NEAR(json_object_get_double(json_object_object_get(dwell, "FIN_WAIT2")), 200.0,
		    0.0005, "dwell in ms");
	ASSERT_NEAR(json_object_get_double(json_object_object_get(dwell, "TIME_WAIT")), 61000.0,
		    0.0005, "TIME_WAIT in ms");
	/* 1.5 us: whole microseconds, truncated as --hist and the metrics count them */
	ASSERT_NEAR(json_object_get_double(json_object_object_get(dwell, "FIN_WAIT1")), 0.001,
		    0.0005, "microseconds kept");
	ASSERT_FALSE(json_object_object_get_ex(dwell, "CLOSE_WAIT", NULL), "unvisited absent");
	ASSERT_EQ(json_object_array_length(json_object_object_get(o, "states")), 3, "states");
	ASSERT_TRUE(json_object_object_get_ex(o, "rst_reason", &v) && v == NULL,
		    "no reason is null");
	ASSERT_FALSE(json_object_get_boolean(json_object_object_get(o, "end_unseen")),
		     "end_unseen: false unless its end went unseen");
	json_object_put(o);
	rec.flags |= TCPC_F_END_UNSEEN;
	o = render(&rec, buf, sizeof(buf));
	if (!ASSERT_NOT_NULL(o, "output parses as JSON"))
		return;
	ASSERT_TRUE(json_object_get_boolean(json_object_object_get(o, "end_unseen")),
		    "end_unseen: true, its own flag, not partial");
	ASSERT_FALSE(json_object_get_boolean(json_object_object_get(o, "partial")), "not partial");
	json_object_put(o);
}

void test_json_odd_comm(void)
{
	struct tcpc_conn rec = active_record();
	json_object *o;
	char buf[4096];

	memcpy(rec.comm, "a\"b\\c\n\x01\xff", 9);
	o = render(&rec, buf, sizeof(buf));
	if (!ASSERT_NOT_NULL(o, "a comm with quotes, control and non-UTF-8 bytes still parses"))
		return;
	ASSERT_STREQ(json_object_get_string(json_object_object_get(o, "comm")),
		     "a\"b\\c\n\x01\xef\xbf\xbd", "escaped, and the bad byte replaced");
	json_object_put(o);

	rec.pid = 0;
	o = render(&rec, buf, sizeof(buf));
	ASSERT_TRUE(o && json_object_object_get(o, "comm") == NULL, "no process: comm null");
	json_object_put(o);
}

void test_json_lost(void)
{
	struct tcpc_stats st = {
		.records = 10,
		.drops = { [TCPC_DROP_RINGBUF] = 3, [TCPC_DROP_STATES_LOST] = 1,
			   [TCPC_DROP_TW_MAP] = 2, [TCPC_DROP_KA_MAP] = 1 },
	};
	struct sink s;
	json_object *o;
	char buf[512];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	sink__init(&s, &sink_json_ops, f, false);
	s.ops->summary(&s, &st);
	fclose(f);
	o = json_tokener_parse(buf);
	if (!ASSERT_NOT_NULL(o, "parses"))
		return;
	ASSERT_STREQ(json_object_get_string(json_object_object_get(o, "type")), "lost", "type");
	ASSERT_EQ(json_object_get_int(json_object_object_get(o, "ringbuf")), 3, "ring buffer");
	ASSERT_EQ(json_object_get_int(json_object_object_get(o, "map_full")), 3, "maps");
	/* records without their first states are no loss: apart from map_full */
	ASSERT_EQ(json_object_get_int(json_object_object_get(o, "states_lost")), 1, "states_lost");
	/* what reached the sink, named so: not a count of lost records */
	ASSERT_EQ(json_object_get_int(json_object_object_get(o, "delivered")), 10, "delivered");
	ASSERT_FALSE(json_object_object_get_ex(o, "records", NULL), "no ambiguous 'records' key");
	json_object_put(o);
}

/* the wall clock's offset as the fake clock below has it now */
static long long fake_offset_ns;

static long long fake_offset(void)
{
	return fake_offset_ns;
}

/* the "ts" of line n (from 0) of buf, or -1 */
static double line_ts(const char *buf, int n)
{
	json_object *o;
	double ts;
	char *copy = strdup(buf), *line, *save = NULL;

	line = strtok_r(copy, "\n", &save);
	while (line && n--)
		line = strtok_r(NULL, "\n", &save);
	o = line ? json_tokener_parse(line) : NULL;
	ts = o ? json_object_get_double(json_object_object_get(o, "ts")) : -1;
	json_object_put(o);
	free(copy);
	return ts;
}

/*
 * A step of the wall clock while tcpclose runs: lines written from a second after it on carry
 * the new wall-clock time, those before it the old one.
 */
void test_json_wall_clock_step(void)
{
	struct tcpc_conn rec = active_record();
	double end_s = rec.end_ns / 1e9;
	char buf[8192] = "";
	FILE *f = fmemopen(buf, sizeof(buf), "w");
	struct sink s;

	sink__init(&s, &sink_json_ops, f, false);
	s.read_offset = fake_offset;
	fake_offset_ns = 1000000000000LL;		/* 1000 s */
	s.offset_read_ns = 0;				/* long ago: read again now */
	sink__record(&s, &rec);
	fake_offset_ns += 273000000;			/* stepped by 273 ms */
	sink__record(&s, &rec);			/* within the second: not read again */
	s.offset_read_ns -= 1000000000;			/* a second later */
	sink__record(&s, &rec);
	fflush(f);
	ASSERT_NEAR(line_ts(buf, 0), end_s + 1000, 1e-6, "before the step: the offset then");
	ASSERT_NEAR(line_ts(buf, 1), end_s + 1000, 1e-6, "read at most once a second");
	ASSERT_NEAR(line_ts(buf, 2), end_s + 1000.273, 1e-6, "a second on: the stepped clock");
	fclose(f);
}

/* a transition names its socket's cgroup with the keys a record names it by */
void test_json_transition_cgroup(void)
{
	struct tcpc_transition t = {
		.type = TCPC_EV_TRANSITION, .family = AF_INET, .pid = 1234, .comm = "nginx",
		.oldstate = 8, .newstate = 9, .sport = 80, .dport = 40000, .cgroup_id = 4242,
	};
	char buf[2048] = "";
	FILE *f = fmemopen(buf, sizeof(buf), "w");
	json_object *o;
	struct sink s;

	sink__init(&s, &sink_json_ops, f, false);
	sink__transition(&s, &t);
	fclose(f);
	o = json_tokener_parse(buf);
	if (!ASSERT_NOT_NULL(o, "parses"))
		return;
	ASSERT_STREQ(json_object_get_string(json_object_object_get(o, "type")), "transition", "type");
	ASSERT_EQ(json_object_get_int64(json_object_object_get(o, "cgroup_id")), 4242, "cgroup_id");
	ASSERT_TRUE(json_object_object_get_ex(o, "cgroup", NULL), "cgroup: null without a resolver");
	ASSERT_TRUE(json_object_object_get_ex(o, "container_id", NULL), "and the container's keys");
	json_object_put(o);
}
