// SPDX-License-Identifier: GPL-2.0
/*
 * -i: the count of sockets in each close state, against ss run right after the report. The
 * scenario's namespace holds connections in all six close states at once, made to stay
 * there with nft dropping chosen segments; the tracers' own namespace holds decoys that
 * must not be counted. "-i" alone prints "gauges", "--hist -i" prints them in "hist".
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
#include "conns.h"
#include "fixture.h"
#include "nft.h"
#include "test.h"

#define GAUGE_INTERVAL_S 1
#define NR_STATES 6
#define REPORT_WAIT_MS 3000
#define SETTLE_MS 3000

/* as tcpclose names them, and as ss prints them */
static const char *const gauge_states[NR_STATES] = {
	"FIN_WAIT1", "FIN_WAIT2", "CLOSE_WAIT", "LAST_ACK", "CLOSING", "TIME_WAIT",
};
static const char *const ss_states[NR_STATES] = {
	"FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT", "LAST-ACK", "CLOSING", "TIME-WAIT",
};

/*
 * What the scenario builds, in kinds of connection. Their numbers make every state's count
 * different, so that a state counted as another cannot go unseen. Ends that send their FIN
 * with shutdown() stay held, so that an abort at the end frees them (and the namespace).
 */
enum gauges_kind {
	K_SHUT,		/* client shut down: FIN_WAIT2; server CLOSE_WAIT */
	K_ORPHAN,	/* client closed: timewait socket in FIN_WAIT2; server CLOSE_WAIT */
	K_TW,		/* client closed, then the server: client TIME_WAIT */
	K_LAST_ACK,	/* the same, the client's last ACK dropped: server LAST_ACK too */
	K_FW1,		/* server silenced, client shut down: FIN_WAIT1; server CLOSE_WAIT */
	K_CLOSING,	/* client silenced, both shut down: client CLOSING, server FIN_WAIT1 */
	NR_KINDS,
};

static const int kind_conns[NR_KINDS] = { 2, 2, 3, 2, 2, 1 };
#define NR_CONNS 12

/* FIN_WAIT1 2 + 1, FIN_WAIT2 2 + 2, CLOSE_WAIT 2 + 2 + 2, LAST_ACK 2, CLOSING 1, TIME_WAIT 5 */
static const int want_counts[NR_STATES] = { 3, 4, 6, 2, 1, 5 };

/* one ss snapshot, counted by state */
static int gauges__ss_counts(int counts[NR_STATES])
{
	struct conns_sock *socks;
	int n, i, k;

	memset(counts, 0, NR_STATES * sizeof(int));
	n = conns__ss(&socks);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		for (k = 0; k < NR_STATES; k++)
			counts[k] += !strcmp(socks[i].state, ss_states[k]);
	}
	free(socks);
	return 0;
}

static bool gauges__same(const int a[NR_STATES], const int b[NR_STATES])
{
	return !memcmp(a, b, NR_STATES * sizeof(int));
}

/* the first report of type with ts after after_ts; a new reference (json_object_put() it) */
static json_object *gauges__next(const struct tracer *t, const char *type, double after_ts)
{
	double deadline = conns__now() + REPORT_WAIT_MS / 1e3;
	json_object **recs, *found = NULL;
	const char *ty;
	int n, i;

	while (!found && conns__now() < deadline) {
		n = conns__records(t, &recs);
		for (i = 0; i < n && !found; i++) {
			ty = json__str(recs[i], "type");
			if (ty && !strcmp(ty, type) && json__double(recs[i], "ts", 0) > after_ts)
				found = json_object_get(recs[i]);
		}
		conns__records_free(recs, n > 0 ? n : 0);
		if (!found)
			conns__sleep_ms(5);
	}
	return found;
}

/* one report of a tracer against ss run as soon as it was printed */
static void gauges__compare(const struct tracer *t, const char *type, double after_ts,
			    const int *want)
{
	json_object *rep, *now = NULL;
	int counts[NR_STATES], k;
	char what[96];
	double lag;

	rep = gauges__next(t, type, after_ts);
	if (!ASSERT_NOT_NULL(rep, type))
		return;
	if (!ASSERT_OK(gauges__ss_counts(counts), "ss"))
		goto out;
	lag = conns__now() - json__double(rep, "ts", 0);
	test__log("%s: %s, ss %.0f ms later", type,
		  json_object_to_json_string_ext(rep, JSON_C_TO_STRING_PLAIN), lag * 1e3);
	snprintf(what, sizeof(what), "%s interval_s", type);
	ASSERT_NEAR(json__double(rep, "interval_s", 0), GAUGE_INTERVAL_S, 0.5, what);
	snprintf(what, sizeof(what), "%s \"now\" object", type);
	if (!ASSERT_TRUE(json_object_object_get_ex(rep, "now", &now), what))
		goto out;
	for (k = 0; k < NR_STATES; k++) {
		snprintf(what, sizeof(what), "%s now.%s, against ss", type, gauge_states[k]);
		ASSERT_EQ(json__int(now, gauge_states[k], -1), counts[k], what);
		if (want) {
			snprintf(what, sizeof(what), "ss %s: as the scenario built", ss_states[k]);
			ASSERT_EQ(counts[k], want[k], what);
		}
	}
out:
	json_object_put(rep);
}

/* in the tracers' namespace: a CLOSE_WAIT, a FIN_WAIT2 and a TIME_WAIT no tracer watches */
static bool gauges__decoys(struct conn *d)
{
	unsigned short port;
	int lfd, err;

	lfd = sock__listen(4, &port);
	if (!ASSERT_GE(lfd, 0, "decoy listener"))
		return false;
	err = conns__open(&d[0], lfd, 4, port) ?: conns__open(&d[1], lfd, 4, port);
	close(lfd);
	if (!ASSERT_OK(err, "decoy connections"))
		return false;
	close(d[0].cfd);
	close(d[1].cfd);
	close(d[1].sfd);
	d[0].cfd = d[1].cfd = d[1].sfd = -1;
	return true;
}

static bool gauges__drop(unsigned short sport, unsigned short dport)
{
	char match[64];

	snprintf(match, sizeof(match), "tcp sport %u tcp dport %u", sport, dport);
	return ASSERT_OK(nft__drop(match), match);
}

static void gauges__close(int *fd)
{
	close(*fd);
	*fd = -1;
}

/* wait until the server end has the peer's FIN: CLOSE_WAIT */
static bool gauges__wait_close_wait(int fd)
{
	struct tcp_info ti;
	int i;

	for (i = 0; i < 200; i++) {
		if (!sock__tcp_info(fd, &ti) && ti.tcpi_state == TCP_CLOSE_WAIT)
			return true;
		conns__sleep_ms(5);
	}
	return ASSERT_EQ(ti.tcpi_state, TCP_CLOSE_WAIT, "server end in CLOSE_WAIT");
}

/* one connection of a kind (see want_counts[]), past its first step when the peer's FIN arrives */
static bool gauges__build_one(struct conn *c, enum gauges_kind kind)
{
	switch (kind) {
	case K_SHUT:
		return ASSERT_OK(shutdown(c->cfd, SHUT_WR), "client shuts down");
	case K_ORPHAN:
		gauges__close(&c->cfd);
		return true;
	case K_TW:
	case K_LAST_ACK:
		gauges__close(&c->cfd);
		if (!gauges__wait_close_wait(c->sfd))
			return false;
		if (kind == K_TW) {
			gauges__close(&c->sfd);
			return true;
		}
		/* the client's ACK of the server's FIN never arrives */
		return gauges__drop(c->cport, c->sport) &&
		       ASSERT_OK(shutdown(c->sfd, SHUT_WR), "server shuts down");
	case K_FW1:
		/* nothing from the server reaches the client, which keeps resending its FIN */
		return gauges__drop(c->sport, c->cport) &&
		       ASSERT_OK(shutdown(c->cfd, SHUT_WR), "client shuts down");
	case K_CLOSING:
		/* nothing from the client arrives; the server's FIN crosses the client's */
		return gauges__drop(c->cport, c->sport) &&
		       ASSERT_OK(shutdown(c->cfd, SHUT_WR), "client shuts down") &&
		       ASSERT_OK(shutdown(c->sfd, SHUT_WR), "server shuts down");
	default:
		return false;
	}
}

static bool gauges__build(struct conn *c)
{
	unsigned short port;
	int lfd, i, k, n = 0;
	bool ok = false;

	lfd = sock__listen(4, &port);
	if (!ASSERT_GE(lfd, 0, "listen"))
		return false;
	for (k = 0; k < NR_KINDS; k++) {
		for (i = 0; i < kind_conns[k]; i++, n++) {
			if (!ASSERT_OK(conns__open(&c[n], lfd, 4, port), "connect and accept") ||
			    !gauges__build_one(&c[n], k))
				goto out;
		}
	}
	ok = ASSERT_EQ(n, NR_CONNS, "connections built");
out:
	close(lfd);
	return ok;
}

void test_stuck_gauges(void)
{
	static const char *const gauges_args[] = { "-i", "1", NULL };
	static const char *const hist_args[] = { "--hist", "-i", "1", NULL };
	static const int zeros[NR_STATES];
	struct conn c[NR_CONNS], decoy[2];
	int counts[NR_STATES], i;
	struct tracer hist = { 0 };
	double decoys_ts, built_ts;
	struct fixture f;

	for (i = 0; i < NR_CONNS; i++)
		c[i].cfd = c[i].sfd = -1;
	decoy[0].cfd = decoy[0].sfd = decoy[1].cfd = decoy[1].sfd = -1;
	if (!fixture__start(&f, gauges_args) || !gauges__decoys(decoy) ||
	    !ASSERT_OK(tracer__start(&hist, f.ns.path, hist_args), "start tracer --hist"))
		goto out;
	decoys_ts = conns__now();
	if (!ASSERT_OK(netns__enter(&f.ns), "enter scenario namespace"))
		goto out;
	/* before the scenario: nothing, whatever the tracers' own namespace holds */
	gauges__compare(&f.tracer, "gauges", decoys_ts, zeros);
	gauges__compare(&hist, "hist", decoys_ts, zeros);

	if (!gauges__build(c))
		goto out;
	/* delayed ACKs still on their way: until ss shows what was built, or SETTLE_MS */
	built_ts = conns__now() + SETTLE_MS / 1e3;
	while (gauges__ss_counts(counts) || !gauges__same(counts, want_counts)) {
		if (conns__now() > built_ts)
			break;
		conns__sleep_ms(10);
	}
	built_ts = conns__now();
	for (i = 0; i < NR_STATES; i++)
		test__log("ss %s: %d", ss_states[i], counts[i]);
	gauges__compare(&f.tracer, "gauges", built_ts, want_counts);
	gauges__compare(&hist, "hist", built_ts, want_counts);
	/* and the report after, the states unchanged */
	gauges__compare(&f.tracer, "gauges", built_ts + GAUGE_INTERVAL_S, want_counts);
	ASSERT_OK(netns__leave(&f.ns), "leave scenario namespace");
	for (i = 0; i < NR_CONNS; i++)
		conns__abort(&c[i]);
	ASSERT_OK(tracer__stop(&hist), "tracer --hist exits 0 after SIGINT, JSON only");
	fixture__finish(&f);
out:
	for (i = 0; i < NR_CONNS; i++)
		conns__abort(&c[i]);
	conns__close(&decoy[0]);
	conns__close(&decoy[1]);
	tracer__free(&hist);
	fixture__cleanup(&f);
}
