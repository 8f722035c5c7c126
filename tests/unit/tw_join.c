// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tw_join: a record continued in a timewait socket, made whole from its head and its
 * timewait phase's events, as the BPF side once completed it in the kernel.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "tw_join.h"
#include "test.h"

#define MS 1000000ULL
#define TW 0xffff888012345600ULL

/* an active close handed to its timewait socket in FIN_WAIT2 (orphaned) at 10 ms */
static struct tcpc_conn head_fin_wait2(__u64 tw)
{
	struct tcpc_conn h = { .type = TCPC_EV_CLOSE, .state = 5 /* FIN_WAIT2 */,
			       .role = TCPC_ROLE_ACTIVE, .visited = 1 << TCPC_FIN_WAIT1 |
			       1 << TCPC_FIN_WAIT2, .flags = TCPC_F_OUR_FIN | TCPC_F_TW |
			       TCPC_F_TW_HEAD, .fin_seq = 100, .start_ns = 1 * MS,
			       .enter_ns = 10 * MS, .tw_sock = tw };

	memset(h.order, TCPC_NOT_CLOSING, sizeof(h.order));
	h.order[0] = TCPC_FIN_WAIT1;
	h.order[1] = TCPC_FIN_WAIT2;
	h.dwell_ns[TCPC_FIN_WAIT1] = 9 * MS;
	return h;
}

static struct tcpc_tw_event tw_end(__u64 tw, __u8 state, __u8 how, __u64 enter_ms, __u64 end_ms)
{
	return (struct tcpc_tw_event){ .type = TCPC_EV_TW_END, .state = state, .tw_end = how,
					.tw = tw, .enter_ns = enter_ms * MS, .ns = end_ms * MS };
}

/* FIN_WAIT2 in the timewait socket, then the peer's FIN, a resent one, and expiry */
void test_tw_join_orderly(void)
{
	struct tw_join *j = tw_join__new(false);
	struct tcpc_conn h = head_fin_wait2(TW), rec;
	struct tcpc_tw_event restart = { .type = TCPC_EV_TW_RESTART, .tw = TW, .ns = 400 * MS };
	struct tcpc_tw_event end = tw_end(TW, 6 /* TIME_WAIT */, TCPC_TW_EXPIRED, 50, 60400);

	if (!ASSERT_NOT_NULL(j, "a join"))
		return;
	end.flags = TCPC_TWF_PEER_FIN;
	end.rcv_nxt = 701;
	end.snd_nxt = 101;
	ASSERT_EQ(tw_join__take(j, &h, &rec), 0, "a head waits");
	ASSERT_TRUE(tw_join__find(j, TW, &rec), "found by its socket");
	ASSERT_TRUE(!memcmp(&rec, &h, sizeof(rec)), "as it came, encoded and decoded");
	ASSERT_EQ(tw_join__take(j, &restart, &rec), 0, "a restart waits");
	ASSERT_EQ(tw_join__take(j, &end, &rec), 1, "the end makes it whole");
	ASSERT_EQ(tw_join__count(j), 0, "and forgets it");
	ASSERT_EQ(rec.dwell_ns[TCPC_FIN_WAIT2], 40 * MS, "FIN_WAIT2 from the head to the peer's FIN");
	ASSERT_EQ(rec.dwell_ns[TCPC_TIME_WAIT], 60350 * MS, "TIME_WAIT to the end");
	ASSERT_EQ(rec.order[2], TCPC_TIME_WAIT, "TIME_WAIT third");
	ASSERT_EQ(rec.end_ns, 60400 * MS, "ended");
	ASSERT_EQ(rec.tw_end, TCPC_TW_EXPIRED, "expired");
	ASSERT_EQ(rec.cause, TCPC_CAUSE_NORMAL, "normal");
	ASSERT_EQ(rec.peer_fin_seq, 700, "the peer's FIN: rcv_nxt - 1");
	ASSERT_EQ(rec.peer_fin_ack, 101, "acknowledging our FIN");
	ASSERT_EQ(rec.tw_restarts, 1, "one restart");
	ASSERT_EQ(rec.tw_restart_first_ns, 400 * MS, "when");
	ASSERT_FALSE(rec.flags & TCPC_F_TW_HEAD, "whole: no head any more");
	tw_join__free(j);
}

/* how it ended, as timewait__finish() said it in the kernel */
void test_tw_join_causes(void)
{
	struct tw_join *j = tw_join__new(false);
	struct tcpc_conn h = head_fin_wait2(TW), rec;
	struct tcpc_tw_event end = tw_end(TW, 5, TCPC_TW_EXPIRED, 10, 60010);

	tw_join__complete(&h, &end, &rec);
	ASSERT_EQ(rec.cause, TCPC_CAUSE_FIN_WAIT2_TIMEOUT, "an orphan's FIN_WAIT2 ran out");
	ASSERT_EQ(rec.dwell_ns[TCPC_FIN_WAIT2], 60000 * MS, "all of it FIN_WAIT2");
	ASSERT_FALSE(rec.visited & (1 << TCPC_TIME_WAIT), "no TIME_WAIT");

	end = tw_end(TW, 5, TCPC_TW_RST, 10, 300);
	tw_join__complete(&h, &end, &rec);
	ASSERT_EQ(rec.cause, TCPC_CAUSE_RST_RECEIVED, "a reset instead of the peer's FIN");
	ASSERT_EQ(rec.role, TCPC_ROLE_ABORTED, "aborted");

	end = tw_end(TW, 6, TCPC_TW_RST, 50, 300);
	tw_join__complete(&h, &end, &rec);
	ASSERT_EQ(rec.cause, TCPC_CAUSE_NORMAL, "a reset in TIME_WAIT only cut it short");
	ASSERT_TRUE(rec.flags & TCPC_F_RST_RECEIVED, "but was received");

	end = tw_end(TW, 5, TCPC_TW_KILLED, 10, 300);
	end.flags = TCPC_TWF_RST_SENT | TCPC_TWF_RST_SYN;
	tw_join__complete(&h, &end, &rec);
	ASSERT_EQ(rec.cause, TCPC_CAUSE_RST_SENT, "it answered a SYN with a reset");
	ASSERT_EQ(rec.rst_reason, TCPC_RST_SYN_AFTER_CLOSE, "a SYN after close()");
	ASSERT_EQ(rec.tw_end, TCPC_TW_RST, "and ended by it");

	end = tw_end(TW, 6, TCPC_TW_NONE, 50, 50);
	end.flags = TCPC_TWF_END_UNSEEN;
	tw_join__complete(&h, &end, &rec);
	ASSERT_TRUE(rec.flags & TCPC_F_END_UNSEEN, "gone unseen");
	ASSERT_EQ(rec.dwell_ns[TCPC_TIME_WAIT], 0, "its last state closed as it began");
	tw_join__free(j);
}

/* a socket killed as soon as it was made: its end in the ring buffer before its head */
void test_tw_join_end_first(void)
{
	struct tw_join *j = tw_join__new(false);
	struct tcpc_conn h = head_fin_wait2(TW), rec;
	struct tcpc_tw_event end = tw_end(TW, 5, TCPC_TW_RST, 10, 11);

	ASSERT_EQ(tw_join__take(j, &end, &rec), 0, "an end without its head waits");
	ASSERT_FALSE(tw_join__find(j, TW, &rec), "no head to show");
	ASSERT_EQ(tw_join__take(j, &h, &rec), 1, "its head makes it whole");
	ASSERT_EQ(rec.tw_end, TCPC_TW_RST, "as the end said");
	ASSERT_EQ(tw_join__count(j), 0, "forgotten");
	tw_join__free(j);
}

/*
 * A head for each of n sockets (key[i], its local port i), then every other one ended: each
 * ended one whole and its own, the rest still found, the ended not
 */
static void keep_end_every_other(const __u64 *key, int n)
{
	struct tw_join *j = tw_join__new(false);
	struct tcpc_conn h, rec;
	struct tcpc_tw_event end;
	int whole = 0, found = 0;

	for (int i = 0; i < n; i++) {
		h = head_fin_wait2(key[i]);
		h.sport = i;
		ASSERT_EQ(tw_join__take(j, &h, &rec), 0, "kept");
	}
	ASSERT_EQ(tw_join__count(j), n, "all kept");
	for (int i = 0; i < n; i += 2) {
		end = tw_end(key[i], 6, TCPC_TW_EXPIRED, 50, 60050);
		whole += tw_join__take(j, &end, &rec) == 1 && rec.sport == i;
	}
	for (int i = 0; i < n; i++) {
		bool there = tw_join__find(j, key[i], &rec);

		found += (i % 2) ? there && rec.sport == i : !there;
	}
	ASSERT_EQ(whole, (n + 1) / 2, "every other one whole, each its own");
	ASSERT_EQ(found, n, "the rest found, the ended not");
	ASSERT_EQ(tw_join__count(j), n / 2, "the rest kept");
	tw_join__free(j);
}

/* many sockets at once, forgotten in another order than made: each found until its end */
void test_tw_join_many(void)
{
	static __u64 key[20000];

	/* slab addresses: 64 bytes apart, the low bits all alike */
	for (int i = 0; i < 20000; i++)
		key[i] = TW + (__u64)i * 64;
	keep_end_every_other(key, 20000);
}

/* the key whose hash in tw_join.c is h: its mix undone (a xorshift by 33 is its own inverse) */
static __u64 key__of_hash(__u64 h)
{
	__u64 inv = 0xff51afd7ed558ccdULL;

	/* the multiplier's inverse modulo 2^64, by Newton's iteration */
	for (int i = 0; i < 5; i++)
		inv *= 2 - 0xff51afd7ed558ccdULL * inv;
	h ^= h >> 33;
	h *= inv;
	return h ^ (h >> 33);
}

/*
 * 300 heads with one home row: rows farther than a byte can say from home, which then read
 * their heads to find it, and move back as rows before them end
 */
void test_tw_join_one_home(void)
{
	__u64 key[300];

	/* low bits alike: the same home in any table up to 2^40 rows */
	for (int i = 0; i < 300; i++)
		key[i] = key__of_hash((__u64)(i + 1) << 40 | 0x1234);
	keep_end_every_other(key, 300);
}

/*
 * A head forgotten for an end that will not come (its record lost in the ring buffer) is
 * that head only: a new socket's at the same address, read since, stays
 */
void test_tw_join_forget(void)
{
	struct tw_join *j = tw_join__new(false);
	struct tcpc_conn h = head_fin_wait2(TW), rec;
	struct tcpc_tw_event end = tw_end(TW, 6, TCPC_TW_EXPIRED, 50, 60050);
	struct tw_join_ref *refs;
	long n;

	ASSERT_EQ(tw_join__take(j, &h, &rec), 0, "the first socket's head");
	n = tw_join__heads(j, &refs);
	ASSERT_EQ(n, 1, "one head kept");
	/* its end came after all, and a new socket took the address */
	ASSERT_EQ(tw_join__take(j, &end, &rec), 1, "its end");
	h.sport = 4242;
	ASSERT_EQ(tw_join__take(j, &h, &rec), 0, "the new socket's head");
	if (n == 1)
		tw_join__forget(j, &refs[0]);
	ASSERT_TRUE(tw_join__find(j, TW, &rec) && rec.sport == 4242, "the new head stays");
	free(refs);
	n = tw_join__heads(j, &refs);
	if (ASSERT_EQ(n, 1, "one head kept"))
		tw_join__forget(j, &refs[0]);
	ASSERT_EQ(tw_join__count(j), 0, "forgotten when named");
	free(refs);
	tw_join__free(j);
}

/*
 * A burst of 200,000 timewait sockets, then all but a hundred ended: the memory the burst
 * took goes back once it is over (tw_join__trim(): the table shrinks, the heads' pages are
 * returned), and the hundred left are still found, each its own, after their rows moved
 */
void test_tw_join_burst_returned(void)
{
	enum { BURST = 200000, LEFT = 100 };
	struct tw_join *j = tw_join__new(false);
	struct tcpc_tw_event end;
	struct tcpc_conn h, rec;
	size_t peak;
	int found = 0;

	for (int i = 0; i < BURST; i++) {
		h = head_fin_wait2(TW + (__u64)i * 64);
		h.sport = i % 60000;
		if (!ASSERT_EQ(tw_join__take(j, &h, &rec), 0, "kept"))
			goto out;
	}
	peak = tw_join__bytes(j);
	ASSERT_GT(peak, 10 << 20, "the burst's heads take megabytes");
	/* ended in another order than made: every seventh first, then the rest */
	for (int pass = 0; pass < 2; pass++) {
		for (int i = LEFT; i < BURST; i++) {
			if ((i % 7 == 0) != (pass == 0))
				continue;
			end = tw_end(TW + (__u64)i * 64, 6, TCPC_TW_EXPIRED, 50, 60050);
			if (!ASSERT_EQ(tw_join__take(j, &end, &rec), 1, "whole"))
				goto out;
		}
	}
	ASSERT_EQ(tw_join__count(j), LEFT, "the last hundred kept");
	for (int i = 0; i < LEFT; i++)
		found += tw_join__find(j, TW + (__u64)i * 64, &rec) && rec.sport == i;
	ASSERT_EQ(found, LEFT, "each still found, its own");
	ASSERT_GT(tw_join__bytes(j), peak / 2, "kept while the burst lasts");
	tw_join__trim(j);
	ASSERT_LT(tw_join__bytes(j), 1 << 20, "the burst's memory given back");
	found = 0;
	for (int i = 0; i < LEFT; i++)
		found += tw_join__find(j, TW + (__u64)i * 64, &rec) && rec.sport == i;
	ASSERT_EQ(found, LEFT, "each found after the table shrank");
out:
	tw_join__free(j);
}

/*
 * Without entries: what a timewait socket's timer showed (struct tcpc_tw_seen), for the
 * socket at TW with the head's ports; expires in jiffies, times in ms
 */
static struct tcpc_tw_seen seen(__u8 what, __u8 substate, __u32 expires, __u64 ms, __u64 armed_ms)
{
	return (struct tcpc_tw_seen){ .type = TCPC_EV_TW_SEEN, .what = what,
				       .substate = substate, .expires = expires, .tw = TW,
				       .rcv_nxt = 701, .snd_nxt = 101, .ns = ms * MS,
				       .armed_ns = armed_ms * MS };
}

/* an orphaned FIN_WAIT2, the peer's FIN re-arming it (seen), a resend unseen, and expiry */
void test_tw_join_bare_settles(void)
{
	struct tw_join *j = tw_join__new(true);
	struct tcpc_conn h = head_fin_wait2(TW), rec;
	struct tcpc_tw_seen moved = seen(TCPC_TW_SEEN_MOVED, 6, 1000, 400, 0);
	struct tcpc_tw_seen rearm = seen(TCPC_TW_SEEN_REARM, 6, 16000, 400, 0);
	struct tcpc_tw_seen end = seen(TCPC_TW_SEEN_END, 6, 17000, 64400, 4400);

	if (!ASSERT_NOT_NULL(j, "a join"))
		return;
	h.tw_expires = 1000;
	end.tw_end = TCPC_TW_EXPIRED;
	ASSERT_EQ(tw_join__take(j, &h, &rec), 0, "a head waits");
	/* read before the re-arm: the deadline the head has, so no unseen re-arm before it */
	ASSERT_EQ(tw_join__take(j, &moved, &rec), 0, "the deadline before the re-arm");
	ASSERT_EQ(tw_join__take(j, &rearm, &rec), 0, "the peer's FIN");
	/* a later deadline at the end: a resent FIN restarted 2MSL within its bucket */
	ASSERT_EQ(tw_join__take(j, &end, &rec), 1, "the end makes it whole");
	ASSERT_EQ(tw_join__count(j), 0, "and forgets it");
	ASSERT_EQ(rec.dwell_ns[TCPC_FIN_WAIT2], 390 * MS, "FIN_WAIT2 from the head to the FIN");
	ASSERT_EQ(rec.dwell_ns[TCPC_TIME_WAIT], 64000 * MS, "TIME_WAIT to the end");
	ASSERT_EQ(rec.tw_restarts, 1, "one restart, unseen but for its deadline");
	ASSERT_EQ(rec.tw_restart_first_ns, 4400 * MS, "2MSL before the deadline");
	ASSERT_EQ(rec.peer_fin_seq, 700, "the peer's FIN: rcv_nxt - 1");
	ASSERT_EQ(rec.peer_fin_ack, 101, "acknowledging our FIN");
	ASSERT_EQ(rec.tw_end, TCPC_TW_EXPIRED, "expired");
	ASSERT_EQ(rec.cause, TCPC_CAUSE_NORMAL, "normal");
	ASSERT_FALSE(rec.flags & TCPC_F_TW_HEAD, "whole: no head any more");
	tw_join__free(j);

	/* where every re-arm is seen, a later deadline at the end is no restart */
	j = tw_join__new(true);
	end.flags = TCPC_TWF_EXACT;
	tw_join__take(j, &h, &rec);
	tw_join__take(j, &rearm, &rec);
	ASSERT_EQ(tw_join__take(j, &end, &rec), 1, "whole");
	ASSERT_EQ(rec.tw_restarts, 0, "no restart");
	tw_join__free(j);
}

/* the FIN's re-arm unseen (within its bucket): TIME_WAIT began 2MSL before the deadline */
void test_tw_join_bare_rearm_unseen(void)
{
	struct tw_join *j = tw_join__new(true);
	struct tcpc_conn h = head_fin_wait2(TW), rec;
	struct tcpc_tw_seen end = seen(TCPC_TW_SEEN_END, 6, 16000, 60500, 500);

	h.tw_expires = 1000;
	end.tw_end = TCPC_TW_EXPIRED;
	tw_join__take(j, &h, &rec);
	ASSERT_EQ(tw_join__take(j, &end, &rec), 1, "whole");
	ASSERT_EQ(rec.dwell_ns[TCPC_FIN_WAIT2], 490 * MS, "FIN_WAIT2 to when 2MSL was armed");
	ASSERT_EQ(rec.dwell_ns[TCPC_TIME_WAIT], 60000 * MS, "TIME_WAIT from then");
	ASSERT_EQ(rec.tw_restarts, 0, "the FIN that ended FIN_WAIT2 restarts nothing");
	tw_join__free(j);
}

/*
 * A socket at TW ends on another CPU while a new one at the same address sends its head:
 * the first head is kept aside, and each end completes its own record
 */
void test_tw_join_bare_displaced(void)
{
	struct tw_join *j = tw_join__new(true);
	struct tcpc_conn a = head_fin_wait2(TW), b = head_fin_wait2(TW), rec;
	struct tcpc_tw_seen end_a = seen(TCPC_TW_SEEN_END, 5, 0, 20, 0);
	struct tcpc_tw_seen end_b = seen(TCPC_TW_SEEN_END, 5, 0, 30, 0);

	a.sport = end_a.sport = 1111;
	b.sport = end_b.sport = 2222;
	end_a.tw_end = TCPC_TW_RST;
	end_b.tw_end = TCPC_TW_KILLED;
	ASSERT_EQ(tw_join__take(j, &a, &rec), 0, "the first head");
	ASSERT_EQ(tw_join__take(j, &b, &rec), 0, "the second, at the same address");
	ASSERT_EQ(tw_join__count(j), 2, "both kept");
	ASSERT_EQ(tw_join__take(j, &end_a, &rec), 1, "the first's end");
	ASSERT_TRUE(rec.sport == 1111 && rec.tw_end == TCPC_TW_RST, "the first's record");
	ASSERT_EQ(tw_join__take(j, &end_b, &rec), 1, "the second's end");
	ASSERT_TRUE(rec.sport == 2222 && rec.tw_end == TCPC_TW_KILLED, "the second's record");
	ASSERT_EQ(tw_join__count(j), 0, "none left");
	tw_join__free(j);
}

/*
 * An end before its head (killed as soon as made) waits for it; one whose head never comes
 * is forgotten after a second and counted, and a later head at the address is not ended by it
 */
void test_tw_join_bare_early(void)
{
	struct tw_join *j = tw_join__new(true);
	struct tcpc_conn h = head_fin_wait2(TW), rec;
	struct tcpc_tw_seen end = seen(TCPC_TW_SEEN_END, 5, 0, 11, 0);
	struct tw_join_stats st;

	end.tw_end = TCPC_TW_RST;
	tw_join__tick(j, 11 * MS);
	ASSERT_EQ(tw_join__take(j, &end, &rec), 0, "an end without its head waits");
	ASSERT_EQ(tw_join__take(j, &h, &rec), 1, "its head makes it whole");
	ASSERT_EQ(rec.tw_end, TCPC_TW_RST, "as the end said");
	ASSERT_EQ(tw_join__take(j, &end, &rec), 0, "another end, no head");
	tw_join__tick(j, 1012 * MS);
	tw_join__stats(j, &st);
	ASSERT_EQ(st.no_head, 1, "its socket not followed: counted after a second");
	ASSERT_EQ(tw_join__take(j, &h, &rec), 0, "a later head waits for its own end");
	ASSERT_EQ(tw_join__count(j), 1, "kept");
	tw_join__free(j);
}

/* the start-up walk's partial head and the claim's for the same socket: the claim's is kept */
void test_tw_join_bare_partial(void)
{
	struct tcpc_conn full = head_fin_wait2(TW), part = full, rec;
	struct tcpc_tw_seen end = seen(TCPC_TW_SEEN_END, 5, 0, 20, 0);

	part.flags |= TCPC_F_PARTIAL;
	for (int order = 0; order < 2; order++) {
		struct tw_join *j = tw_join__new(true);

		tw_join__take(j, order ? &part : &full, &rec);
		tw_join__take(j, order ? &full : &part, &rec);
		ASSERT_EQ(tw_join__count(j), 1, "one head for one socket");
		ASSERT_EQ(tw_join__take(j, &end, &rec), 1, "whole");
		ASSERT_FALSE(rec.flags & TCPC_F_PARTIAL, "the claim's, either first");
		tw_join__free(j);
	}
}

static void count_unseen(void *ctx, const struct tcpc_conn *rec)
{
	*(int *)ctx += !!(rec->flags & TCPC_F_END_UNSEEN);
}

/* at exit: the heads the walk did not find are sent as gone unseen, those it found kept */
void test_tw_join_bare_unmarked(void)
{
	struct tw_join *j = tw_join__new(true);
	struct tcpc_conn a = head_fin_wait2(TW), b = head_fin_wait2(TW + 64), rec;
	struct tcpc_tw_found found = { .tw = TW, .sport = a.sport, .dport = a.dport };
	int unseen = 0;

	tw_join__take(j, &a, &rec);
	tw_join__take(j, &b, &rec);
	tw_join__mark(j, &found, 7);
	ASSERT_EQ(tw_join__unmarked(j, 7, count_unseen, &unseen), 1, "one not found");
	ASSERT_EQ(unseen, 1, "sent as gone unseen");
	ASSERT_TRUE(tw_join__find(j, TW, &rec), "the one found kept");
	ASSERT_FALSE(tw_join__find(j, TW + 64, &rec), "the other forgotten");
	/* a socket whose end the ring buffer lost is forgotten, not sent */
	ASSERT_TRUE(tw_join__forget_found(j, &found), "forgotten by its socket");
	ASSERT_EQ(tw_join__count(j), 0, "none left");
	tw_join__free(j);
}
