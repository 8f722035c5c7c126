// SPDX-License-Identifier: GPL-2.0
/*
 * At exit, an entry whose socket went away with none of its last events seen (some kernels
 * skip programs silently: docs/KERNEL-SKIPS.md) is sent, marked end_unseen, and counted as
 * unseen, not dropped without a word; while a connection that is still there (a server in
 * CLOSE_WAIT, held open) gets no record at all. The lost entry is made by hand: one put in
 * the tracer's own conns map under a key no socket has.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdlib.h>
#include <unistd.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include "clock.h"
#include "conns.h"
#include "sock.h"
#include "tcpclose.h"
#include "test.h"
#include "tracer.h"

#define GONE_KEY 0x1234ULL		/* no socket lives at that address */
#define GONE_SPORT 1
#define GONE_DPORT 2
#define CLOSE_WAIT_MS 10000

/* an entry as the programs make one for a socket in state (index idx) since now */
static struct tcpc_closing gone_entry(int state, int idx)
{
	struct tcpc_closing c = {};

	c.rec.type = TCPC_EV_CLOSE;
	c.rec.family = AF_INET;
	c.rec.sport = GONE_SPORT;
	c.rec.dport = GONE_DPORT;
	c.rec.pid = getpid();
	memcpy(c.rec.comm, "gone", 5);
	memset(c.rec.order, TCPC_NOT_CLOSING, sizeof(c.rec.order));
	c.rec.order[0] = idx;
	c.rec.visited = 1 << idx;
	c.rec.state = state;
	c.rec.start_ns = c.rec.enter_ns = clock__now_ns();
	return c;
}

/*
 * One gone socket's entry in map ("conns": a full socket in FIN_WAIT1; "tws": a timewait
 * socket in TIME_WAIT), beside a connection still there.
 */
static void exit_unseen__run(const char *map_name, int state, int substate_idx)
{
	struct tcpc_closing c = gone_entry(state, substate_idx);
	struct conn held = { .cfd = -1, .sfd = -1 };
	__u64 key = GONE_KEY;
	unsigned short port;
	struct tracer t = {};
	json_object *rec, *lost;
	int lfd = -1, map = -1, nsocks, live_tw = 0;
	struct conns_sock *socks = NULL;

	if (!ASSERT_OK(tracer__start(&t, NULL, NULL), "start tracer"))
		goto out;
	lfd = sock__listen(4, &port);
	if (!ASSERT_GE(lfd, 0, "listen") ||
	    !ASSERT_OK(conns__open(&held, lfd, 4, port), "connect and accept"))
		goto out;
	/* the client closes: the server's end sits in CLOSE_WAIT, followed, and stays */
	close(held.cfd);
	held.cfd = -1;
	clock__sleep_ms(100);
	map = tracer__map(&t, map_name);
	if (!ASSERT_GE(map, 0, map_name) ||
	    !ASSERT_OK(bpf_map_update_elem(map, &key, &c, BPF_NOEXIST), "the entry of a gone socket"))
		goto out;
	/* what the kernel still has of ours: the client's orphaned FIN_WAIT2, a timewait socket
	 * (an earlier subtest's, at another port, this tracer does not follow) */
	nsocks = conns__ss(&socks);
	for (int i = 0; i < nsocks; i++)
		live_tw += (socks[i].lport == port || socks[i].rport == port) &&
			   (!strcmp(socks[i].state, "FIN-WAIT-2") ||
			    !strcmp(socks[i].state, "TIME-WAIT"));
	free(socks);
	if (!ASSERT_OK(tracer__stop(&t), "tracer exits 0"))
		goto out;
	rec = tracer__close(&t, GONE_SPORT, GONE_DPORT);
	if (ASSERT_NOT_NULL(rec, "the gone socket's record, sent at exit")) {
		ASSERT_TRUE(json_object_get_boolean(json_object_object_get(rec, "end_unseen")),
			    "marked end_unseen");
		ASSERT_TRUE(json__has_state(rec, state == TCP_TIME_WAIT ? "TIME_WAIT" : "FIN_WAIT1"),
			    "as far as it was seen");
	}
	ASSERT_TRUE(!tracer__close(&t, port, held.cport), "no record for the CLOSE_WAIT still there");
	lost = tracer__lost(&t);
	ASSERT_EQ(json__int(lost, "unseen", -1), 1, "counted: unseen");
	ASSERT_EQ(json__int(lost, "tw_followed", -1), live_tw,
		  "timewait sockets followed at exit: those ss shows, not the gone one");
out:
	if (test__failed())
		tracer__dump_stderr(&t);
	if (map >= 0)
		close(map);
	if (lfd >= 0)
		close(lfd);
	conns__close(&held);
	tracer__free(&t);
}

void test_exit_unseen(void)
{
	if (test__start_subtest("full"))
		exit_unseen__run("conns", TCP_FIN_WAIT1, TCPC_FIN_WAIT1);
	/* a namespace's purge whose kills were not seen left 55 in half an hour of make soak */
	if (test__start_subtest("timewait"))
		exit_unseen__run("tws", TCP_TIME_WAIT, TCPC_TIME_WAIT);
}
