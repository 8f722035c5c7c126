// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* head_codec: a record's head, encoded and decoded, is the same record; and it is small */
#include <stdlib.h>
#include <string.h>
#include "head_codec.h"
#include "test.h"

static __u64 rnd64(void)
{
	return (__u64)random() << 42 ^ (__u64)random() << 21 ^ (__u64)random();
}

/* a record with every field set to something, times in order after its start */
static void random_record(struct tcpc_conn *r)
{
	__u8 *b = (__u8 *)r;

	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < sizeof(*r); i++)
		b[i] = random();
	r->type = TCPC_EV_CLOSE;
	r->tw_sock = 0;
	/* the padding after dport is no field: decoding leaves it zero */
	memset((__u8 *)&r->dport + sizeof(r->dport), 0,
	       offsetof(struct tcpc_conn, flags) - offsetof(struct tcpc_conn, dport) -
	       sizeof(r->dport));
	/* as conn__enter() keeps them: each state visited listed once, in order; its dwell */
	r->visited = 0;
	memset(r->order, TCPC_NOT_CLOSING, sizeof(r->order));
	for (int i = 0, n = random() % (TCPC_NR_STATES + 1); i < n; i++) {
		int s = random() % TCPC_NR_STATES;

		if (!(r->visited & (1 << s))) {
			r->order[__builtin_popcount(r->visited)] = s;
			r->visited |= 1 << s;
		}
	}
	for (int s = 0; s < TCPC_NR_STATES; s++)
		r->dwell_ns[s] = r->visited & (1 << s) ? rnd64() >> (random() % 60) : 0;
	r->role &= 7;
	r->state &= 15;
	r->cause &= 15;
	r->rst_reason &= 15;
	r->tw_end &= 15;
	for (int k = 0; k < 5; k++) {
		/* the fields mostly 0, often so */
		__u32 *rare[] = { &r->cw_write_seq, &r->fin_retrans, &r->keepalive_probes,
				  &r->keepalive_unanswered, &r->tw_restarts };

		if (random() % 2)
			*rare[k] = 0;
	}
	r->start_ns = rnd64() >> 4;
	r->enter_ns = r->start_ns + (rnd64() >> 20);
	r->end_ns = random() % 2 ? 0 : r->enter_ns + (rnd64() >> 20);
	r->tw_restart_first_ns = random() % 2 ? 0 : r->start_ns + (rnd64() >> 24);
	r->halfclosed_bytes = random() % 2 ? 0 : rnd64();
	r->tw_left_ns = random() % 2 ? 0 : rnd64();
	r->tw_restart_last_ns = r->tw_restart_first_ns ? r->tw_restart_first_ns + 1 : 0;
}

void test_head_codec_roundtrip(void)
{
	struct head_codec hc;
	struct tcpc_conn r, back;
	__u8 buf[HEAD_CODEC_MAX];
	int same = 0, fits = 0;
	const int n = 5000;

	head_codec__init(&hc);
	srandom(1);
	for (int i = 0; i < n; i++) {
		size_t len;

		random_record(&r);
		len = head_codec__encode(&hc, &r, buf);
		fits += len > 0 && len <= HEAD_CODEC_MAX;
		head_codec__decode(&hc, buf, &back);
		same += !memcmp(&r, &back, sizeof(r));
		if (memcmp(&r, &back, sizeof(r)))
			for (size_t k = 0; k < sizeof(r); k++)
				if (((__u8 *)&r)[k] != ((__u8 *)&back)[k]) {
					test__log("record %d differs at byte %zu", i, k);
					break;
				}
		head_codec__release(&hc, buf);
	}
	ASSERT_EQ(fits, n, "every encoding within HEAD_CODEC_MAX");
	ASSERT_EQ(same, n, "every record decoded as it was");
	ASSERT_EQ(hc.who.used, 0, "every process released");
	ASSERT_EQ(hc.where.used, 0, "every endpoint released");
	head_codec__free(&hc);
}

/* a typical head: an active close of IPv4, in TIME_WAIT, a few milliseconds in each state */
void test_head_codec_small(void)
{
	struct tcpc_conn r = { .type = TCPC_EV_CLOSE, .family = 2, .state = 6,
			       .role = TCPC_ROLE_ACTIVE, .visited = 0x23, .sport = 40123,
			       .dport = 8080, .flags = TCPC_F_OUR_FIN | TCPC_F_PEER_FIN | TCPC_F_TW |
			       TCPC_F_TW_HEAD, .netns = 4026531840U, .pid = 123456,
			       .fin_seq = 3000000000U, .fin_ack = 1234567890,
			       .peer_fin_seq = 1234567890, .peer_fin_ack = 3000000001U,
			       .start_ns = 86400ULL * 1000000000, .cgroup_id = 12345,
			       .saddr = { 10, 0, 0, 1 }, .daddr = { 10, 0, 0, 2 }, .comm = "nginx" };
	struct head_codec hc;
	__u8 buf[HEAD_CODEC_MAX];
	size_t len;

	memset(r.order, TCPC_NOT_CLOSING, sizeof(r.order));
	r.order[0] = TCPC_FIN_WAIT1;
	r.order[1] = TCPC_FIN_WAIT2;
	r.order[2] = TCPC_TIME_WAIT;
	r.enter_ns = r.start_ns + 5300000;
	r.dwell_ns[TCPC_FIN_WAIT1] = 300000;
	r.dwell_ns[TCPC_FIN_WAIT2] = 5000000;
	head_codec__init(&hc);
	len = head_codec__encode(&hc, &r, buf);
	test__log("a typical head: %zu bytes", len);
	ASSERT_GT(len, 0, "encoded");
	ASSERT_LE(len, 56, "in at most 56 bytes (a 64-byte malloc chunk)");
	head_codec__free(&hc);
}
