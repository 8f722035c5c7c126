// SPDX-License-Identifier: GPL-2.0
/*
 * Keepalive until the kernel gives up: one probe answered, then the peer's answers dropped
 * until keepcnt probes in a row went unanswered and the keepalive timer aborted the
 * connection. The record's probe counts and cause against the kernel's counters and the
 * probes on the wire; the unanswered-probe transitions against the timer runs that found them.
 */
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cgroupfs.h"
#include "conns.h"
#include "fixture.h"
#include "nft.h"
#include "test.h"
#include "timing.h"

#define KA_IDLE_S 1
#define KA_INTVL_S 1
#define KA_CNT 3
#define KA_MAX_PROBES 8

struct ka_wire {
	const struct tcp_seg *probe[KA_MAX_PROBES];	/* the client's probes, in order */
	int probes;
	int before_drop;		/* of which sent before the peer's answers were dropped */
	int answers;			/* the server's ACKs of probes, dropped ones too */
	const struct tcp_seg *rst;	/* the client's RST */
};

/*
 * A keepalive probe is a bare ACK one byte behind: seq snd_una - 1, here the client's ISN
 * as no data was sent. The server answers it with a bare ACK of snd_una, ISN + 1.
 */
static void ka_wire__read(struct ka_wire *w, const struct capture *cap, const struct conn *c,
			  double drop_ts)
{
	const struct tcp_seg *syn = capture__find(cap, c->cport, TCP_SYN, 0), *s;

	memset(w, 0, sizeof(*w));
	if (!ASSERT_NOT_NULL(syn, "the client's SYN in the capture"))
		return;
	capture__for_each(cap, s) {
		if (s->sport == c->cport && s->flags == TCP_ACK && !s->len && s->seq == syn->seq) {
			if (w->probes < KA_MAX_PROBES)
				w->probe[w->probes] = s;
			w->probes++;
			w->before_drop += s->ts < drop_ts;
		} else if (s->sport == c->sport && s->flags == TCP_ACK && !s->len &&
			   s->ack == syn->seq + 1 && w->probes) {
			w->answers++;
		} else if (s->sport == c->cport && (s->flags & TCP_RST) && !w->rst) {
			w->rst = s;
		}
	}
}

/*
 * The cgroup v2 id (its directory's inode) of this process, which made the sockets: the
 * root's, 1, where no cgroup2 is mounted
 */
static long long ka__own_cgroup(void)
{
	char mnt[256], path[768];
	struct stat st;

	if (cgroupfs__mount(mnt, sizeof(mnt)))
		return 1;
	if (cgroupfs__self(mnt, path, sizeof(path)) || stat(path, &st))
		return -1;
	return st.st_ino;
}

/*
 * the keepalive_unanswered transitions of the client: N is 1, 2, 3 as each probe is given up;
 * each names the socket's cgroup, read from the socket the timer ran for
 */
static void ka__check_transitions(const struct fixture *f, const struct conn *c,
				  const struct ka_wire *w, json_object *cli)
{
	long long cgroup = ka__own_cgroup();
	const struct tcp_seg *found_at, *after;
	double jiffy_s = timing__jiffy_ms(f->tracer.hz) / 1e3, ts;
	const char *event;
	json_object *rec;
	char what[96];
	int i, next, n = 0;

	for (i = 0; i < f->tracer.nrecs; i++) {
		rec = f->tracer.recs[i];
		event = json__str(rec, "event");
		if (!conns__is(rec, "transition", c->cport, c->sport) || !event ||
		    strcmp(event, "keepalive_unanswered"))
			continue;
		n++;
		snprintf(what, sizeof(what), "keepalive_unanswered transition #%d", n);
		fixture__dump(rec, what);
		ASSERT_EQ(json__int(rec, "unanswered", -1), n, what);
		/* no process made it happen: a count of its own, no pid */
		ASSERT_TRUE(!json_object_object_get_ex(rec, "pid", NULL), what);
		ASSERT_STREQ(json__str(rec, "saddr"), "127.0.0.1", what);
		ASSERT_STREQ(json__str(rec, "daddr"), "127.0.0.1", what);
		ASSERT_EQ(json__int(rec, "netns", -1), f->ns.ino, what);
		ASSERT_EQ(json__int(rec, "cgroup_id", 0), cgroup, what);
		/*
		 * The n-th unanswered probe is found unanswered by the next keepalive timer run:
		 * the one sending probe n + 1, or for the last, the one that resets. So after that
		 * segment left and before the next run's did, within the judge's jiffy.
		 */
		next = w->before_drop + n;
		found_at = n == KA_CNT ? w->rst : NULL;
		if (n < KA_CNT && next < w->probes && next < KA_MAX_PROBES)
			found_at = w->probe[next];
		after = NULL;
		if (n + 1 == KA_CNT)
			after = w->rst;
		else if (n + 1 < KA_CNT && next + 1 < w->probes && next + 1 < KA_MAX_PROBES)
			after = w->probe[next + 1];
		ts = json__double(rec, "ts", 0);
		if (n <= KA_CNT && ASSERT_NOT_NULL(found_at, "the timer run it belongs to"))
			ASSERT_GE(ts, tcp_seg__tx(found_at) - jiffy_s, what);
		if (after)
			ASSERT_LE(ts, tcp_seg__tx(after) + jiffy_s, what);
		ASSERT_TRUE(json__double(rec, "ts", 0) <= json__double(cli, "ts", 0),
			    "transition not after the close record");
	}
	ASSERT_EQ(n, KA_CNT, "keepalive_unanswered transitions of the client");
}

void test_timeout_keepalive(void)
{
	static const char *const args[] = { "--transitions", NULL };
	struct conn c = { .cfd = -1, .sfd = -1 };
	long long probes0, sent;
	double drop_ts;
	json_object *cli, *srv;
	struct tcp_info ti;
	struct fixture f;
	struct ka_wire w;
	char comm[16], match[64];
	int lfd = -1, err, i;
	unsigned short port;
	long drops;

	if (!fixture__start(&f, args) ||
	    !ASSERT_OK(conns__comm(getpid(), comm, sizeof(comm)), "our comm") ||
	    !ASSERT_OK(netns__enter(&f.ns), "enter scenario namespace"))
		goto out;
	if (!ASSERT_OK(nstat__read(&f.before), "nstat before") ||
	    !ASSERT_OK(capture__start(&f.cap), "capture on lo"))
		goto out;
	probes0 = nstat__get(&f.before, "TcpExtTCPKeepAlive");
	lfd = sock__listen(4, &port);
	if (!ASSERT_GE(lfd, 0, "listen") ||
	    !ASSERT_OK(conns__open(&c, lfd, 4, port), "connect and accept") ||
	    !ASSERT_OK(sock__keepalive(c.cfd, KA_IDLE_S, KA_INTVL_S, KA_CNT), "keepalive"))
		goto out;

	/*
	 * The first probe leaves after KA_IDLE_S idle; its answer brings probes_out back to 0.
	 * A test held up past KA_INTVL_S (a loaded host) sees a second one answered too: how
	 * many were is read off the wire below.
	 */
	if (!ASSERT_GE(nstat__wait("TcpExtTCPKeepAlive", probes0 + 1, 5000), probes0 + 1,
		       "first probe sent (TcpExtTCPKeepAlive)"))
		goto out;
	for (i = 0; i < 100; i++) {
		if (!sock__tcp_info(c.cfd, &ti) && !ti.tcpi_probes)
			break;
		conns__sleep_ms(5);
	}
	if (!ASSERT_EQ(ti.tcpi_probes, 0, "first probe answered (tcpi_probes back to 0)"))
		goto out;
	/* the next probe is KA_INTVL_S away: from now on none is answered */
	snprintf(match, sizeof(match), "tcp sport %u", c.sport);
	if (!ASSERT_OK(nft__drop(match), "drop the server's segments"))
		goto out;
	drop_ts = conns__now();

	err = sock__wait_error(c.cfd, (KA_CNT + 3) * KA_INTVL_S * 1000, NULL);
	ASSERT_EQ(err, ETIMEDOUT, "the client's socket error after the probes ran out");
	if (!ASSERT_OK(capture__stop(&f.cap), "capture") ||
	    !ASSERT_EQ(f.cap.drops, 0, "segments the capture missed") ||
	    !ASSERT_OK(nstat__read(&f.after), "nstat after") ||
	    !ASSERT_OK(nstat__delta(&f.before, &f.after, &f.delta), "nstat delta"))
		goto out;
	drops = nft__stop();
	ASSERT_OK(netns__leave(&f.ns), "leave scenario namespace");
	conns__close(&c);
	close(lfd);
	lfd = -1;

	/* the scenario went as designed: probes answered until the drop, KA_CNT not, the abort */
	sent = nstat__get(&f.delta, "TcpExtTCPKeepAlive");
	ka_wire__read(&w, &f.cap, &c, drop_ts);
	test__log("wire: %d probes (%d before the drop), %d answers, %ld dropped; RST %.3f s after"
		  " the drop", w.probes, w.before_drop, w.answers, drops,
		  w.rst ? w.rst->ts - drop_ts : -1.0);
	ASSERT_GE(w.before_drop, 1, "probes answered before the drop");
	ASSERT_EQ(sent, w.before_drop + KA_CNT, "TcpExtTCPKeepAlive: probes sent");
	ASSERT_EQ(w.probes, sent, "probes on the wire");
	ASSERT_EQ(w.answers, w.probes, "the server answered every probe");
	ASSERT_EQ(drops, KA_CNT, "answers dropped");
	ASSERT_NOT_NULL(w.rst, "the client's RST (tcp_keepalive_timer resets)");
	ASSERT_EQ(nstat__get(&f.delta, "TcpExtTCPAbortOnTimeout"), 1, "TcpExtTCPAbortOnTimeout");

	f.res.family = 4;
	f.res.client.port = c.cport;
	f.res.server.port = c.sport;
	if (!fixture__finish(&f))
		goto out;
	cli = tracer__close(&f.tracer, c.cport, c.sport);
	srv = tracer__close(&f.tracer, c.sport, c.cport);
	if (!ASSERT_NOT_NULL(cli, "client close record") ||
	    !ASSERT_NOT_NULL(srv, "server close record"))
		goto out;
	conns__check_end(cli, 4, c.cport, c.sport, f.ns.ino, getpid(), comm, "client");
	ASSERT_REC_INT(cli, "keepalive_probes", sent, "client (TcpExtTCPKeepAlive delta)");
	ASSERT_REC_INT(cli, "keepalive_unanswered", KA_CNT, "client (keepcnt)");
	ASSERT_REC_STR(cli, "cause", "keepalive_timeout", "client");
	ASSERT_REC_STR(cli, "role", "aborted", "client");
	ASSERT_REC_NULL(cli, "rst_reason", "client");
	ASSERT_REC_STATES(cli, "", "client");
	ASSERT_REC_NULL(cli, "fin_seq", "client");
	/* ended by the timer that sent its RST: after that, as the wire and ss show */
	fixture__judge(&f, cli, 0, "client");
	ASSERT_REC_INT(srv, "keepalive_probes", 0, "server (sent none)");
	ASSERT_REC_INT(srv, "keepalive_unanswered", 0, "server");
	ASSERT_REC_STR(srv, "cause", "rst_received", "server");
	ka__check_transitions(&f, &c, &w, cli);
	if (test__failed()) {
		fixture__dump(cli, "client record");
		fixture__dump(srv, "server record");
		fixture__dump(tracer__lost(&f.tracer), "tracer's losses");
	}
out:
	if (lfd >= 0)
		close(lfd);
	conns__close(&c);
	fixture__cleanup(&f);
}
