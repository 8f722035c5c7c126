// SPDX-License-Identifier: GPL-2.0
/*
 * scenario: the list of scenarios, and running one by name. Each is real TCP connections
 * over loopback in the current network namespace, closed in one chosen way (lab/run.c
 * conducts them; the scenario_*.c files hold the families); or, in scenario_peer.c, one
 * kernel socket and a scripted peer on a tun device of that namespace (lab/peer_run.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include "netns.h"
#include "nft.h"
#include "scenario_internal.h"
#include "clock.h"

struct scenario {
	const char *name;
	int family;
	int (*run)(struct run *r);
	const char *help;
};

static const struct scenario scenarios[] = {
	{ "active", 4, scenario__active,
	  "the client closes first, the server 200 ms after EOF" },
	{ "active6", 6, scenario__active, "active over ::1" },
	{ "passive", 4, scenario__passive,
	  "the server closes first, the client 200 ms after EOF" },
	{ "halfclose", 4, scenario__halfclose,
	  "the client shuts down its side; the server sends 10000 bytes over 200 ms" },
	{ "fin_data", 4, scenario__fin_data,
	  "the client's FIN rides on its last data (TCP_CORK, then close)" },
	{ "simultaneous", 4, scenario__simultaneous,
	  "both FINs dropped once, so the resent FINs cross (FIN_WAIT1 -> CLOSING)" },
	{ "unread", 4, scenario__unread, "the server closes with unread data: it sends RST" },
	{ "linger0", 4, scenario__linger0, "the client closes with SO_LINGER {1, 0}: RST" },
	{ "peer_reset", 4, scenario__peer_reset, "the server closes with SO_LINGER {1, 0}: RST" },
	{ "listener_close", 4, scenario__listener_close,
	  "a listener closed with an unaccepted connection: the child is reset" },
	{ "fin_drop", 4, scenario__fin_drop, "the client's FIN is dropped once and resent" },
	{ "lastack_drop", 4, scenario__lastack_drop,
	  "the client's last ACK is dropped once: the server resends its FIN from LAST_ACK" },
	{ "tw_expire", 4, scenario__tw_expire,
	  "active, then the client's TIME_WAIT left alone until its 2MSL timer fires (60 s)" },
	{ "tw_reused", 4, scenario__tw_reused,
	  "connect() from the same port reuses the TIME_WAIT (tcp_tw_reuse=1)" },
	{ "tw_reused_cpu", 4, scenario__tw_reused_cpu,
	  "tw_reused on one CPU under syncookies: the new TIME_WAIT where the old one was" },
	{ "tw_rst", 4, scenario__tw_rst,
	  "an RST at the expected sequence number kills the TIME_WAIT (tcp_rfc1337=0)" },
	{ "tw_syn", 4, scenario__tw_syn,
	  "the server closes first; a new SYN from the same client port takes its TIME_WAIT" },
	{ "tw_purged", 4, scenario__tw_purged,
	  "3 active closes; their TIME_WAITs end with the namespace" },
	{ "tw_overflow", 4, scenario__tw_overflow,
	  "tcp_max_tw_buckets=0: no timewait socket is made, the connection just closes" },
	{ "keepalive", 4, scenario__keepalive,
	  "keepalive 2 s/1 s/3: one probe answered, then 3 unanswered, and the abort" },
	{ "user_timeout", 4, scenario__user_timeout,
	  "TCP_USER_TIMEOUT 1500 ms runs out while data goes unacknowledged" },
	{ "retrans_timeout", 4, scenario__retrans_timeout,
	  "tcp_retries2=3 runs out while data goes unacknowledged" },
	{ "fin_wait2_timeout", 4, scenario__fin_wait2_timeout,
	  "tcp_fin_timeout=2: an orphaned FIN_WAIT2 whose peer never closes" },
	{ "orphan_retries", 4, scenario__orphan_retries,
	  "tcp_orphan_retries=1: the FIN of a closed socket is never acknowledged" },
	/* a scripted peer on a tun device (lab/peer_run.h): the kernel's own answers */
	{ "data_after_close", 4, scenario__data_after_close,
	  "scripted peer: data to the orphan in FIN_WAIT1 after close(): the kernel resets it" },
	{ "data_acks_fin", 4, scenario__data_acks_fin,
	  "scripted peer: data that also ACKs our FIN: FIN_WAIT2, then the reset, no TIME_WAIT" },
	{ "tw_restart", 4, scenario__tw_restart,
	  "scripted peer: its FIN resent into our TIME_WAIT 0.1 s and 0.3 s in restarts 2MSL" },
	{ "fins_crossed", 4, scenario__fins_crossed,
	  "scripted peer: its FIN crosses ours (FIN_WAIT1 -> CLOSING -> TIME_WAIT)" },
	{ "fin_reordered", 4, scenario__fin_reordered,
	  "scripted peer: after shutdown(), its FIN arrives before the data it follows" },
	{ "shutdown_close", 4, scenario__shutdown_close,
	  "scripted peer: shutdown(SHUT_WR), data in, close() before our FIN is ACKed: one FIN" },
	{ "churn", 4, scenario__churn,
	  "1000 (--count) connections as fast as possible; the closing side alternates" },
};

const char *scenario__name(int i, const char **help)
{
	if (i < 0 || (size_t)i >= sizeof(scenarios) / sizeof(scenarios[0]))
		return NULL;
	if (help)
		*help = scenarios[i].help;
	return scenarios[i].name;
}

void scenario__default_opts(struct scenario_opts *opts)
{
	*opts = (struct scenario_opts){ .delay_ms = 200, .bytes = 10000, .count = 1000 };
}

int scenario__run(const char *name, const struct scenario_opts *opts,
		  struct scenario_result *res)
{
	const struct scenario *s = NULL;
	struct scenario_opts o;
	struct run r = { .lfd = -1, .pin_cpu = -1, .opts = &o };
	struct capture cap = { 0 };
	double start;
	size_t i;
	int err;

	memset(res, 0, sizeof(*res));
	for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		if (!strcmp(scenarios[i].name, name))
			s = &scenarios[i];
	}
	if (!s) {
		snprintf(res->error, sizeof(res->error), "unknown scenario '%s'", name);
		return -ENOENT;
	}
	scenario__default_opts(&o);
	if (opts)
		o = *opts;
	r.family = o.family ? o.family : s->family;
	if ((r.family != 4 && r.family != 6) || o.delay_ms < 0 || o.bytes < 0 || o.count < 1) {
		snprintf(res->error, sizeof(res->error), "bad options for '%s'", name);
		return -EINVAL;
	}
	r.res = mmap(NULL, sizeof(*r.res), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		     -1, 0);
	if (r.res == MAP_FAILED) {
		snprintf(res->error, sizeof(res->error), "mmap: %s", strerror(errno));
		return -ENOMEM;
	}
	memset(r.res, 0, sizeof(*r.res));
	r.res->name = s->name;
	r.res->family = r.family;
	start = clock__now_ms();
	err = o.watch_resends ? run__capture(&r, &cap) : 0;
	r.wire = o.watch_resends ? &cap : NULL;
	if (!err)
		err = s->run(&r);
	if (err) {
		run__kill(&r);
		nft__remove();
	}
	r.res->tw_sockets = netns__tw_sockets();
	if (!err && !r.res->nconns && r.res->client.port) {
		r.res->conns[0].cport = r.res->client.port;
		r.res->conns[0].sport = r.res->server.port;
		r.res->nconns = 1;
	}
	if (o.watch_resends)
		err = run__watch_end(&r, &cap, err);
	r.res->elapsed_ms = clock__now_ms() - start;
	*res = *r.res;
	munmap(r.res, sizeof(*r.res));
	return err;
}

