// SPDX-License-Identifier: GPL-2.0
/*
 * At exit, an entry whose socket went away with none of its last events seen (some kernels
 * skip programs silently: docs/KERNEL-SKIPS.md) is sent, marked end_unseen, and counted as
 * unseen, not dropped without a word; while a connection that is still there (a server in
 * CLOSE_WAIT, held open) gets no record at all. A full socket's lost entry is made by hand:
 * one put in the tracer's own conns map, or in one of the slots in front of it, under a key
 * no socket has. A timewait socket's record is half in user space (its head), so its socket
 * must be one the tracer followed: it is hidden from the exit's walk instead, in a network
 * namespace that only a socket holds (no process is in it, no file names it), which the walk
 * cannot enter.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdlib.h>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include "cas.h"
#include "clock.h"
#include "conns.h"
#include "netns.h"
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

	c.family = AF_INET;
	c.sport = GONE_SPORT;
	c.dport = GONE_DPORT;
	c.pid = getpid();
	memcpy(c.comm, "gone", 5);
	memset(c.order, TCPC_NOT_CLOSING, sizeof(c.order));
	c.order[0] = idx;
	c.visited = 1 << idx;
	c.state = state;
	c.start_ns = c.enter_ns = clock__now_ns();
	return c;
}

/*
 * Put entry c in map under the gone socket's key: in "conns" keyed by it, in "conn_slots" (the
 * slots in front of conns) in the first free slot, held by it.
 */
static int gone__put(int map, const char *map_name, const struct tcpc_closing *c)
{
	__u64 key = GONE_KEY;
	struct tcpc_conn_slot s;

	if (strcmp(map_name, "conn_slots"))
		return bpf_map_update_elem(map, &key, c, BPF_NOEXIST);
	for (__u32 i = 0; !bpf_map_lookup_elem(map, &i, &s); i++) {
		if (s.sk)
			continue;
		s.sk = GONE_KEY;
		s.c = *c;
		return bpf_map_update_elem(map, &i, &s, BPF_EXIST);
	}
	return -ENOSPC;
}

/* one gone full socket's entry in map ("conns" or "conn_slots"), beside a connection still there */
static void exit_unseen__run(const char *map_name, int state, int substate_idx)
{
	struct tcpc_closing c = gone_entry(state, substate_idx);
	struct conn held = { .cfd = -1, .sfd = -1 };
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
	    !ASSERT_OK(gone__put(map, map_name, &c), "the entry of a gone socket"))
		goto out;
	/* what the kernel still has of ours: the client's orphaned FIN_WAIT2, a timewait socket
	 * (an earlier subtest's were reset at its end) */
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
	/* a reset kills the client's timewait socket: none is left to the next subtest's tracer,
	 * which would follow it */
	conns__abort(&held);
	tracer__free(&t);
}

/* has the tracer's map of timewait sockets (fd) an entry for local port sport? */
static bool tws__has(int fd, unsigned short sport)
{
	__u64 key, *prev = NULL;
	struct tcpc_tw t;

	while (!bpf_map_get_next_key(fd, prev, &key)) {
		if (!bpf_map_lookup_elem(fd, &key, &t) && t.sport == sport)
			return true;
		prev = &key;
	}
	return false;
}

/*
 * A client's TIME_WAIT, followed, in a namespace of its own that only the listener's socket
 * keeps alive: the exit's walk cannot find it there, as it finds no socket that went away.
 * With an entry (entries), or with none: then its head, sent when its socket was made, is
 * all there is of it, and the exit's walk does not find its socket for it either.
 */
static void exit_unseen__timewait(bool entries)
{
	const char *const args[] = { entries ? "--tw-entry" : NULL, "always", NULL };
	struct conn c = { .cfd = -1, .sfd = -1 };
	int home = -1, lfd = -1, map = -1, unshared = 0;
	unsigned short port = 0, cport = 0;
	struct tracer t = {};
	json_object *rec, *lost;
	double deadline;

	/* every namespace: the new one is none the tracer can be pointed at */
	if (!ASSERT_OK(tracer__start(&t, TRACER_ALL_NETNS, args), "start tracer"))
		goto out;
	home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (!ASSERT_GE(home, 0, "this namespace") || !ASSERT_OK(netns__unshare(), "a new one"))
		goto out;
	unshared = 1;
	lfd = sock__listen(4, &port);
	if (!ASSERT_OK(netns__lo_up(), "lo up") || !ASSERT_GE(lfd, 0, "listen") ||
	    !ASSERT_OK(conns__open(&c, lfd, 4, port), "connect and accept"))
		goto out;
	cport = c.cport;
	/*
	 * The client closes first, but holds its socket until the server's FIN: its timewait
	 * socket begins in TIME_WAIT (an orphan's would begin in FIN_WAIT2, and the tracepoint
	 * backend may not see it turn TIME_WAIT before its end)
	 */
	shutdown(c.cfd, SHUT_WR);
	conns__sleep_ms(50);
	close(c.sfd);
	c.sfd = -1;
	conns__sleep_ms(50);
	close(c.cfd);
	c.cfd = -1;
	/* without entries its head is in the ring buffer by now: sent as its socket was made */
	map = entries ? tracer__map(&t, "tws") : -1;
	if (entries && !ASSERT_GE(map, 0, "tws"))
		goto out;
	for (deadline = conns__now() + 10;
	     entries && !tws__has(map, cport) && conns__now() < deadline;)
		conns__sleep_ms(20);
	if (entries && !ASSERT_TRUE(tws__has(map, cport), "its timewait socket followed"))
		goto out;
	if (!ASSERT_OK(setns(home, CLONE_NEWNET), "back home"))
		goto out;
	unshared = 0;
	if (!ASSERT_OK(tracer__stop(&t), "tracer exits 0"))
		goto out;
	rec = tracer__close(&t, cport, port);
	if (ASSERT_NOT_NULL(rec, "its record, sent at exit")) {
		ASSERT_TRUE(json_object_get_boolean(json_object_object_get(rec, "end_unseen")),
			    "marked end_unseen");
		ASSERT_TRUE(json__has_state(rec, "TIME_WAIT"), "as far as it was seen");
		ASSERT_TRUE(json__has_state(rec, "FIN_WAIT2"), "with what came before");
	}
	/* other tests' sockets are counted too: the count of those still followed is "full"'s */
	lost = tracer__lost(&t);
	ASSERT_GE(json__int(lost, "unseen", -1), 1, "counted: unseen");
out:
	if (test__failed())
		tracer__dump_stderr(&t);
	if (unshared)
		setns(home, CLONE_NEWNET);
	if (map >= 0)
		close(map);
	if (home >= 0)
		close(home);
	conns__close(&c);
	if (lfd >= 0)
		close(lfd);
	tracer__free(&t);
}

void test_exit_unseen(void)
{
	if (test__start_subtest("full"))
		exit_unseen__run("conns", TCP_FIN_WAIT1, TCPC_FIN_WAIT1);
	if (test__start_subtest("full_slot")) {
		if (cas__supported())
			exit_unseen__run("conn_slots", TCP_FIN_WAIT1, TCPC_FIN_WAIT1);
		else
			test__skip("this kernel has no BPF compare-and-swap (5.12+): no slots, every entry hashed");
	}
	/* a namespace's purge whose kills were not seen left 55 in half an hour of make soak */
	if (test__start_subtest("timewait"))
		exit_unseen__timewait(false);
	if (test__start_subtest("timewait_entries"))
		exit_unseen__timewait(true);
}
