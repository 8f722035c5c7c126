// SPDX-License-Identifier: GPL-2.0
/*
 * --port-pressure against the kernel: in a namespace whose ip_local_port_range is narrowed
 * to 41 ports, a client opens short connections to one destination and closes each first,
 * so each leaves a TIME_WAIT holding its port for 60 s, until connect() fails with
 * EADDRNOTAVAIL. Before every connect() the test reads ss, so the sockets each walk of the
 * tracer counted lie between two of its reads.
 *
 * exhaustion (tcp_tw_reuse=0): the warning is printed before the first EADDRNOTAVAIL; the
 * ports it counts agree with ss read before and after its walk, within the sockets that
 * changed between those two reads; the range it says connect() picks from is what the
 * kernel gave: the connections that succeeded.
 *
 * tw_reuse (tcp_tw_reuse=1): connect() takes the port of a TIME_WAIT of the same tuple
 * older than tcp_tw_reuse_delay (TcpExtTWRecycled counts each), so the range fills and no
 * connect() fails; tcpclose counts those TIME_WAITs as reusable, and so never warns at 80%.
 * At 1% it warns, and what it says is reusable is bracketed by when each TIME_WAIT began.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <time.h>
#include "conns.h"
#include "fixture.h"
#include "ss.h"
#include "test.h"

#define PP_LO 40000
#define PP_HI 40039		/* 40 ports: an even count, all of which every connect() tries
				 * (of an odd one, each misses one: port_limits.c) */
#define PP_RANGE (PP_HI - PP_LO + 1)
#define PP_DPORT 5000		/* the server's, outside the range */
#define PACE_MS 250		/* at most 4 connections a second: a walk (every second) in
				 * between the 80% mark (32 ports) and the last, 2 s later */
#define REUSE_EXTRA 20		/* with tcp_tw_reuse: connections past the range */
/*
 * With tcp_tw_reuse, a threshold the ports held pass, TIME_WAIT included, and those no
 * connect() may have never reach: only TIME_WAITs under a second old (at most 4 at this
 * pace), the connection being made, and the one just closed are not reusable: 6 of 40
 */
#define REUSE_PCT 25
#define MAX_CONNS (PP_RANGE + REUSE_EXTRA)
#define TW_WAIT_MS 1000
#define TW_LEN_S 60		/* TIME_WAIT lasts at least this: include/net/tcp.h */
/*
 * tcp_tw_reuse_delay, in ms of a millisecond clock: the kernel truncates both stamps to
 * whole ms, so a TIME_WAIT is reusable between delay and delay + 2 ms after it began
 */
#define REUSE_DELAY_MS 1000
#define CLOCK_MS 2e-3
#define __STR(x) #x
#define STR(x) __STR(x)
/* test.h compares as long long: times and rates are doubles */
#define ASSERT_DBL(got, op, want, what) ({					\
	double ___g = (got), ___w = (want);					\
	test__check(___g op ___w, __FILE__, __LINE__, "%s: got %.6f want %s %.6f", (what),	\
		    ___g, #op, ___w);						\
})
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* what ss showed of our tuple, read between two clock readings */
struct pp_snap {
	double t0, t1;
	int n;
	unsigned short port[PP_RANGE];
	bool tw[PP_RANGE];
};

struct pp_conn {
	double t0, t1;		/* connect() called and returned */
	double closed;		/* the client closed: TIME_WAIT begins after this */
	double in_tw;		/* and ss showed it in TIME-WAIT by this */
	long closed_sec;	/* the tick's monotonic second just before closed */
	long in_tw_sec;		/* and just after in_tw (pp__coarse_sec()) */
	unsigned short port;
};

struct pp_run {
	struct fixture f;
	int lfd;
	struct pp_snap snaps[MAX_CONNS + 1];
	int nsnaps;
	struct pp_conn conns[MAX_CONNS];
	int nconns;
	double fail_ts;		/* connect() that failed with EADDRNOTAVAIL was called */
	double warn_seen;	/* the test first read a port_pressure record */
	bool whole_seconds;	/* no tcp_tw_reuse_delay: reuse by whole seconds (before 6.14) */
	double mono_offset;	/* CLOCK_REALTIME less CLOCK_MONOTONIC */
	long long recycled, out_rsts;	/* TcpExtTWRecycled, TcpOutRsts over the run */
};

static int pp__sysctl(const char *name, const char *value)
{
	char path[128];
	FILE *f;
	int err = 0;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/%s", name);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	if (fputs(value, f) < 0)
		err = -EIO;
	if (fclose(f) && !err)
		err = -errno;
	return err;
}

static int pp__listen(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PP_DPORT),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 64)) {
		close(fd);
		return -errno;
	}
	return fd;
}

/* the sockets of our tuple holding a port of the range, as ss shows them now */
static bool pp__snap(struct pp_snap *s)
{
	struct ss_sock *socks;
	int n;

	s->t0 = conns__now();
	n = ss__query("dport = :5000", &socks);
	s->t1 = conns__now();
	if (!ASSERT_GE(n, 0, "ss"))
		return false;
	s->n = 0;
	for (int i = 0; i < n; i++) {
		if (strcmp(socks[i].raddr, "127.0.0.1") || socks[i].lport < PP_LO ||
		    socks[i].lport > PP_HI || s->n == PP_RANGE)
			continue;
		s->tw[s->n] = !strcmp(socks[i].state, "TIME-WAIT");
		s->port[s->n++] = socks[i].lport;
	}
	free(socks);
	return true;
}

static int pp__snap_find(const struct pp_snap *s, unsigned short port)
{
	for (int i = 0; i < s->n; i++)
		if (s->port[i] == port)
			return i;
	return -1;
}

/* the nth port_pressure record of a stopped tracer, or NULL */
static json_object *pp__record(const struct tracer *t, int nth)
{
	for (int i = 0; i < t->nrecs; i++) {
		const char *type = json__str(t->recs[i], "type");

		if (type && !strcmp(type, "port_pressure") && !nth--)
			return t->recs[i];
	}
	return NULL;
}

/* the first port_pressure record printed so far, or NULL; put it when done */
static json_object *pp__warning(const struct tracer *t, int nth)
{
	json_object **recs, *found = NULL;
	int n = conns__records(t, &recs), seen = 0;

	for (int i = 0; i < n && !found; i++) {
		const char *type = json__str(recs[i], "type");

		if (type && !strcmp(type, "port_pressure") && seen++ == nth)
			found = json_object_get(recs[i]);
	}
	conns__records_free(recs, n > 0 ? n : 0);
	return found;
}

/*
 * The monotonic second as of the last tick, which ktime_get_seconds() reads and
 * CLOCK_MONOTONIC_COARSE too (the timekeeper's last update)
 */
static long pp__coarse_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ts.tv_sec;
}

/* CLOCK_REALTIME less CLOCK_MONOTONIC, read between two readings of the latter */
static double pp__mono_offset(void)
{
	struct timespec m0, m1;
	double real;

	clock_gettime(CLOCK_MONOTONIC, &m0);
	real = conns__now();
	clock_gettime(CLOCK_MONOTONIC, &m1);
	return real - (m0.tv_sec + m1.tv_sec + (m0.tv_nsec + m1.tv_nsec) / 1e9) / 2;
}

/*
 * Until the client's socket, shut down, is CLOSE: the peer's FIN came and tcp_time_wait()
 * handed the connection to a timewait socket. When TIME_WAIT had begun by; 0 if not.
 */
static double pp__wait_tw(int fd)
{
	struct tcp_info ti;
	socklen_t len;

	for (int waited = 0; waited < TW_WAIT_MS; waited++) {
		len = sizeof(ti);
		if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
			return 0;
		if (ti.tcpi_state == TCP_CLOSE)
			return conns__now();
		conns__sleep_ms(1);
	}
	return 0;
}

/* one short connection, closed by the client first; -errno of connect() */
static int pp__connect(struct pp_run *r)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PP_DPORT),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct pp_conn *c = &r->conns[r->nconns];
	socklen_t len = sizeof(a);
	int fd, sfd, err = 0;
	char b;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	c->t0 = conns__now();
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)))
		err = -errno;
	c->t1 = conns__now();
	if (err || getsockname(fd, (struct sockaddr *)&a, &len)) {
		close(fd);
		return err ?: -errno;
	}
	c->port = ntohs(a.sin_port);
	sfd = accept(r->lfd, NULL, NULL);
	/* the client's FIN first: shut down, so that the socket tells when TIME_WAIT began */
	c->closed_sec = pp__coarse_sec();
	c->closed = conns__now();
	shutdown(fd, SHUT_WR);
	/* the server reads the client's FIN, then closes: its FIN puts the client in TIME_WAIT */
	if (sfd >= 0) {
		(void)!read(sfd, &b, 1);
		close(sfd);
	}
	c->in_tw = pp__wait_tw(fd);
	c->in_tw_sec = pp__coarse_sec();
	close(fd);
	ASSERT_DBL(c->in_tw, >, 0, "the client's end in TIME_WAIT");
	r->nconns++;
	return 0;
}

/* ss, connect, and so on until max connections or the first EADDRNOTAVAIL */
static bool pp__drive(struct pp_run *r, int max)
{
	json_object *w;
	int err;

	while (r->nconns < max) {
		if (!pp__snap(&r->snaps[r->nsnaps++]))
			return false;
		if (!r->warn_seen && (w = pp__warning(&r->f.tracer, 0))) {
			r->warn_seen = conns__now();
			json_object_put(w);
		}
		err = pp__connect(r);
		if (err == -EADDRNOTAVAIL) {
			r->fail_ts = r->conns[r->nconns].t0;
			break;
		}
		if (!ASSERT_OK(err, "connect"))
			return false;
		conns__sleep_ms(PACE_MS);
	}
	return pp__snap(&r->snaps[r->nsnaps++]);
}

/*
 * The sockets a walk from ws to we saw: every one ss showed both in its last read before
 * ws and in its first read after we, and perhaps those it showed in one of them only.
 */
static bool pp__bracket(const struct pp_run *r, double ws, double we, const struct pp_snap **a,
			const struct pp_snap **b)
{
	*a = *b = NULL;
	for (int i = 0; i < r->nsnaps; i++) {
		if (r->snaps[i].t1 <= ws)
			*a = &r->snaps[i];
		if (r->snaps[i].t0 >= we && !*b)
			*b = &r->snaps[i];
	}
	return ASSERT_NOT_NULL(*a, "an ss read before the walk") &&
	       ASSERT_NOT_NULL(*b, "an ss read after the walk");
}

/* a warning's count of ports held against ss before and after its walk */
static void pp__check_held(const struct pp_run *r, json_object *w)
{
	double we = json__double(w, "ts", 0), ws = we - json__double(w, "walk_ms", -1) / 1e3;
	const struct pp_snap *a, *b;
	int both = 0, either, held = json__int(w, "ports_held", -1);

	if (!pp__bracket(r, ws, we, &a, &b))
		return;
	for (int i = 0; i < a->n; i++)
		both += pp__snap_find(b, a->port[i]) >= 0;
	either = a->n + b->n - both;
	test__log("walk %.3f-%.3f s: held %d; ss before %d, after %d, in both %d, in either %d",
		  ws - r->conns[0].t0, we - r->conns[0].t0, held, a->n, b->n, both, either);
	ASSERT_GE(held, both, "ports held: at least those ss showed before and after the walk");
	ASSERT_LE(held, either, "ports held: at most those ss showed before or after the walk");
}

/* what the warning says of the tuple and the namespace, as the test set them up */
static void pp__check_fields(const struct pp_run *r, json_object *w, int reuse, double threshold)
{
	int held = json__int(w, "ports_held", -1), reusable = json__int(w, "ports_reusable", -1);
	double ratio = json__double(w, "ratio", -1);

	ASSERT_STREQ(json__str(w, "saddr"), "127.0.0.1", "saddr");
	ASSERT_STREQ(json__str(w, "daddr"), "127.0.0.1", "daddr");
	ASSERT_EQ(json__int(w, "dport", -1), PP_DPORT, "dport");
	ASSERT_EQ(json__int(w, "netns", -1), r->f.ns.ino, "netns");
	ASSERT_EQ(json__int(w, "port_range_lo", -1), PP_LO, "the namespace's range, low");
	ASSERT_EQ(json__int(w, "port_range_hi", -1), PP_HI, "the namespace's range, high");
	ASSERT_EQ(json__int(w, "tw_reuse", -1), reuse, "the namespace's tcp_tw_reuse");
	ASSERT_EQ(json__int(w, "ports_range", -1), PP_RANGE, "ports connect() picks from");
	ASSERT_NEAR(ratio, (double)(held - reusable) / PP_RANGE, 1e-4, "ratio");
	ASSERT_DBL(ratio, >=, threshold, "warned at the threshold or over");
}

/* connections that had returned from connect() by t, and that had called it by t */
static int pp__made_by(const struct pp_run *r, double t, bool called)
{
	int n = 0;

	for (int i = 0; i < r->nconns; i++)
		n += (called ? r->conns[i].t0 : r->conns[i].t1) <= t;
	return n;
}

/*
 * The drive bounds the rate reported: it is the growth from an earlier walk, 1 to 10 s
 * before this one's end (t0, any of them), to this one, over the time between. A walk
 * saw the connections made before it began, perhaps some made while it ran; the earlier
 * walk's length is not printed: taken under WALK_S (they take about 0.5 ms here).
 */
#define WALK_S 0.1
static void pp__check_rate(const struct pp_run *r, json_object *w)
{
	double we = json__double(w, "ts", 0), ws = we - json__double(w, "walk_ms", -1) / 1e3;
	double lo = 1e9, hi = -1e9, rate = json__double(w, "rate_per_s", -1e9);
	double left = json__double(w, "seconds_left", -1);
	int pressing = json__int(w, "ports_held", 0) - json__int(w, "ports_reusable", 0);
	int n1lo = pp__made_by(r, ws, false), n1hi = pp__made_by(r, we, true);

	/* the tuple is there from the first connection on: so are the walks that count it */
	for (double t0 = MAX(we - 10, r->conns[0].t0); t0 <= we - 1; t0 += 1e-3) {
		lo = MIN(lo, (n1lo - pp__made_by(r, t0, true)) / (we - t0));
		hi = MAX(hi, (n1hi - pp__made_by(r, t0 - WALK_S, false)) / (we - t0));
	}
	test__log("rate %.3f/s, the drive allows %.3f to %.3f; %.3f s left", rate, lo, hi, left);
	ASSERT_DBL(rate, >=, lo, "rate_per_s, at least the drive's");
	ASSERT_DBL(rate, <=, hi, "rate_per_s, at most the drive's");
	/* both printed to 3 decimals: the rate was within 0.0005 of what it divided by */
	if (ASSERT_DBL(rate, >, 0.0005, "growing")) {
		ASSERT_DBL(left, >=, (PP_RANGE - pressing) / (rate + 0.0005) - 0.0005,
			  "seconds_left at that rate, at least");
		ASSERT_DBL(left, <=, (PP_RANGE - pressing) / (rate - 0.0005) + 0.0005,
			  "seconds_left at that rate, at most");
	}
}

static int pp__distinct_ports(const struct pp_run *r);

static bool pp__start(struct pp_run *r, const char *const *args, const char *reuse)
{
	memset(r, 0, sizeof(*r));
	r->lfd = -1;
	if (!fixture__start(&r->f, args) ||
	    !ASSERT_OK(netns__enter(&r->f.ns), "enter scenario namespace"))
		return false;
	/* the listener first: its port is outside the range anyway */
	r->lfd = pp__listen();
	if (!ASSERT_GE(r->lfd, 0, "listen on 127.0.0.1:5000") ||
	    !ASSERT_OK(pp__sysctl("ip_local_port_range", "40000 40039"), "narrow the range") ||
	    !ASSERT_OK(pp__sysctl("tcp_tw_reuse", reuse), "tcp_tw_reuse"))
		return false;
	r->recycled = nstat__value("TcpExtTWRecycled");
	r->out_rsts = nstat__value("TcpOutRsts");
	r->whole_seconds = access("/proc/sys/net/ipv4/tcp_tw_reuse_delay", F_OK) != 0;
	r->mono_offset = pp__mono_offset();
	return true;
}

static bool pp__end(struct pp_run *r)
{
	r->recycled = nstat__value("TcpExtTWRecycled") - r->recycled;
	r->out_rsts = nstat__value("TcpOutRsts") - r->out_rsts;
	close(r->lfd);
	r->lfd = -1;
	return ASSERT_OK(netns__leave(&r->f.ns), "leave scenario namespace") &&
	       fixture__finish(&r->f);
}

static void pp__cleanup(struct pp_run *r)
{
	if (r->lfd >= 0)
		close(r->lfd);
	fixture__cleanup(&r->f);
}

static void pp__exhaustion(void)
{
	static const char *const args[] = { "--port-pressure", NULL };
	struct pp_run *r = calloc(1, sizeof(*r));
	json_object *w;

	if (!ASSERT_NOT_NULL(r, "run"))
		return;
	if (!pp__start(r, args, "0") || !pp__drive(r, MAX_CONNS) || !pp__end(r))
		goto out;
	/* the kernel: every port of the range, once, then EADDRNOTAVAIL; nothing recycled */
	ASSERT_DBL(r->fail_ts, >, 0, "connect() failed with EADDRNOTAVAIL");
	ASSERT_EQ(pp__distinct_ports(r), PP_RANGE, "ports used before it: the whole range");
	/* the read right before the connect() that failed */
	ASSERT_EQ(r->snaps[r->nsnaps - 2].n, PP_RANGE, "ss: every port of the range held");
	ASSERT_EQ(r->recycled, 0, "TcpExtTWRecycled with tcp_tw_reuse=0");
	ASSERT_DBL(r->warn_seen, >, 0, "a port_pressure warning was printed");
	ASSERT_DBL(r->warn_seen, <, r->fail_ts, "read before the connect() that failed");
	test__log("warning read %.3f s before the first EADDRNOTAVAIL", r->fail_ts - r->warn_seen);
	w = pp__record(&r->f.tracer, 0);
	if (!ASSERT_NOT_NULL(w, "the first port_pressure record"))
		goto out;
	pp__check_fields(r, w, 0, 0.8);
	ASSERT_EQ(json__int(w, "ports_reusable", -1), 0, "nothing reusable with tcp_tw_reuse=0");
	ASSERT_DBL(json__double(w, "ts", 0), <, r->fail_ts, "its walk ended before the failure");
	pp__check_held(r, w);
	pp__check_rate(r, w);
	if (test__failed())
		fixture__dump(w, "warning");
out:
	pp__cleanup(r);
	free(r);
}

/* the connection whose socket ss showed on that port: the last made before the read */
static int pp__conn_of(const struct pp_run *r, const struct pp_snap *s, unsigned short port)
{
	int c = -1;

	for (int j = 0; j < r->nconns; j++)
		if (r->conns[j].port == port && r->conns[j].t0 < s->t0)
			c = j;
	return c;
}

/* the connections ss showed in TIME-WAIT, by index: n of them */
static int pp__tw_conns(const struct pp_run *r, const struct pp_snap *s, int *out)
{
	int n = 0, c;

	for (int i = 0; i < s->n; i++)
		if (s->tw[i] && (c = pp__conn_of(r, s, s->port[i])) >= 0)
			out[n++] = c;
	return n;
}

static bool pp__has(const int *v, int n, int x)
{
	for (int i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

/*
 * Before 6.14 (no tcp_tw_reuse_delay), tcp_twsk_unique() took a TIME_WAIT once
 * ktime_get_seconds() had passed the second of its last timestamp (tw_ts_recent_stamp, the
 * second the peer's FIN came in) by more than one: whole seconds of the tick's clock, so
 * from one to two seconds after. The stamp lies between the coarse seconds read before the
 * client's FIN and after its TIME_WAIT; tcpclose compares it with the exact clock at its
 * walk, between ws and we. Is a TIME_WAIT stamped 'stamp' reusable by 'at' (realtime)?
 */
static bool pp__reusable_by_secs(const struct pp_run *r, double at, long stamp)
{
	return (long)(at - r->mono_offset) - stamp >= 2;
}

/* may a TIME_WAIT that began between closed and in_tw be reusable by 'at' (realtime)? */
static bool pp__reusable_at(const struct pp_run *r, const struct pp_conn *c, double at,
			    bool surely)
{
	if (r->whole_seconds)
		return surely ? pp__reusable_by_secs(r, at - CLOCK_MS, c->in_tw_sec)
			      : pp__reusable_by_secs(r, at + CLOCK_MS, c->closed_sec);
	return surely ? c->in_tw < at - REUSE_DELAY_MS / 1e3 - CLOCK_MS
		      : c->closed < at - REUSE_DELAY_MS / 1e3 + CLOCK_MS;
}

/*
 * The TIME_WAITs a walk from ws to we could hand to connect(): of those ss showed in
 * TIME-WAIT both before and after it, every one surely reusable by ws (it began before ss
 * showed it); of those it showed in either, at most the ones that may be by we (it began
 * after its client closed).
 */
static void pp__check_reusable(const struct pp_run *r, json_object *w)
{
	double we = json__double(w, "ts", 0), ws = we - json__double(w, "walk_ms", -1) / 1e3;
	int lo = 0, hi = 0, got = json__int(w, "ports_reusable", -1), na, nb;
	int ia[PP_RANGE], ib[PP_RANGE];
	const struct pp_snap *a, *b;
	const struct pp_conn *c;

	if (!pp__bracket(r, ws, we, &a, &b))
		return;
	na = pp__tw_conns(r, a, ia);
	nb = pp__tw_conns(r, b, ib);
	for (int i = 0; i < na; i++) {
		c = &r->conns[ia[i]];
		lo += pp__has(ib, nb, ia[i]) && pp__reusable_at(r, c, ws, true);
		hi += pp__reusable_at(r, c, we, false);
	}
	for (int i = 0; i < nb; i++) {
		c = &r->conns[ib[i]];
		hi += !pp__has(ia, na, ib[i]) && pp__reusable_at(r, c, we, false);
	}
	test__log("reusable %d, ss and the drive allow %d to %d%s", got, lo, hi,
		  r->whole_seconds ? " (whole seconds: no tcp_tw_reuse_delay)" : "");
	ASSERT_GE(got, lo, "reusable: at least the TIME_WAITs older than the delay");
	ASSERT_LE(got, hi, "reusable: at most the TIME_WAITs that may be older than the delay");
}

/* how many local ports the drive's connections used */
static int pp__distinct_ports(const struct pp_run *r)
{
	int n = 0;

	for (int i = 0; i < r->nconns; i++) {
		int j = 0;

		while (j < i && r->conns[j].port != r->conns[i].port)
			j++;
		n += j == i;
	}
	return n;
}

/* ports taken again TW_LEN_S after the last connection on them closed: maybe expired */
static int pp__maybe_expired(const struct pp_run *r)
{
	int n = 0;

	for (int j = 0; j < r->nconns; j++)
		for (int i = j - 1; i >= 0; i--)
			if (r->conns[i].port == r->conns[j].port) {
				n += r->conns[j].t0 - r->conns[i].closed >= TW_LEN_S;
				break;
			}
	return n;
}

static void pp__tw_reuse(const char *threshold)
{
	const char *const args[] = { threshold, NULL };
	struct pp_run *r = calloc(1, sizeof(*r));
	int most = 0, distinct, nwarn = 0, judged = 0, expired;
	json_object *w;

	if (!ASSERT_NOT_NULL(r, "run"))
		return;
	if (!pp__start(r, args, "1") || !pp__drive(r, MAX_CONNS) || !pp__end(r))
		goto out;
	/*
	 * The kernel: no failure, and every port taken again recycled. connect() takes a
	 * reusable TIME_WAIT's port as soon as its scan meets one, before a free port, so
	 * the range never fills; it gets fuller than REUSE_PCT, though.
	 */
	ASSERT_DBL(r->fail_ts, ==, 0, "no EADDRNOTAVAIL with tcp_tw_reuse=1");
	ASSERT_EQ(r->nconns, MAX_CONNS, "every connection made");
	for (int i = 0; i < r->nsnaps; i++)
		most = MAX(most, r->snaps[i].n);
	ASSERT_GE(most * 100, REUSE_PCT * PP_RANGE, "ss showed ports held past the threshold");
	distinct = pp__distinct_ports(r);
	ASSERT_LE(distinct, PP_RANGE, "ports used");
	/*
	 * A TIME_WAIT an RST killed (tw.h), or one that lasted its 60 s (a slow drive on a
	 * loaded machine), frees its port without a recycle
	 */
	expired = pp__maybe_expired(r);
	ASSERT_LE(r->recycled, r->nconns - distinct, "TcpExtTWRecycled: ports taken again");
	ASSERT_GE(r->recycled, r->nconns - distinct - r->out_rsts - expired,
		  "TcpExtTWRecycled: ports taken again, but after an RST or an expiry");
	test__log("%d connections on %d ports, %lld recycled, at most %d held at once",
		  r->nconns, distinct, r->recycled, most);
	while ((w = pp__record(&r->f.tracer, nwarn))) {
		nwarn++;
		/* those after the drive's last ss read (until the namespace goes) are not judged */
		if (strcmp(threshold, "--port-pressure=1") ||
		    json__double(w, "ts", 0) >= r->snaps[r->nsnaps - 1].t0)
			continue;
		pp__check_fields(r, w, 1, 0.01);
		pp__check_held(r, w);
		pp__check_reusable(r, w);
		judged++;
	}
	if (strcmp(threshold, "--port-pressure=1"))
		ASSERT_EQ(nwarn, 0, "no warning: the TIME_WAITs past the threshold are reusable");
	else
		ASSERT_GE(judged, 2, "warned at 1%, and again 10 s later, while ss was read");
out:
	pp__cleanup(r);
	free(r);
}

#define TOP_CONNS 12
#define TOP_WAIT_MS 5000

/*
 * tcpclose top -k remote's PORTS%: with tcp_tw_reuse=0 every TIME_WAIT of ours towards
 * 127.0.0.1:5000 holds a port no connect() to it can have. Once the drive is over nothing
 * changes for 60 s, so the first snapshot after the last ss read must say what that read
 * said: its share of the range, and its count in TIME_WAIT.
 */
static void pp__top(void)
{
	static const char *const args[] = { "-k", "remote", NULL };
	struct pp_run *r = calloc(1, sizeof(*r));
	json_object **snaps = NULL, *groups, *row = NULL, *now;
	struct tracer top = {};
	const struct pp_snap *s;
	bool top_started = false;
	double after;
	int n = 0, at;

	if (!ASSERT_NOT_NULL(r, "run") || !pp__start(r, NULL, "0"))
		goto out;
	top_started = true;
	if (!ASSERT_OK(tracer__spawn(&top, &(struct tracer_spawn){ .netns_path = r->f.ns.path,
				     .out_fd = -1, .command = "top" }, args), "tcpclose top") ||
	    !pp__drive(r, TOP_CONNS))
		goto out;
	s = &r->snaps[r->nsnaps - 1];
	after = conns__wall();
	ASSERT_EQ(s->n, TOP_CONNS, "ss: each connection holds its port in TIME-WAIT");
	at = conns__top_snapshot(&top, after, TOP_WAIT_MS, &snaps, &n);
	if (!ASSERT_GE(at, 0, "a top snapshot after the drive") ||
	    !ASSERT_TRUE(json_object_object_get_ex(snaps[at], "groups", &groups), "its groups"))
		goto out;
	for (size_t i = 0; i < json_object_array_length(groups); i++) {
		json_object *g = json_object_array_get_idx(groups, i);

		if (!strcmp(json__str(g, "remote") ?: "", "127.0.0.1:" STR(PP_DPORT)))
			row = g;
	}
	test__log("top: %s", json_object_to_json_string_ext(snaps[at], JSON_C_TO_STRING_PLAIN));
	if (!ASSERT_NOT_NULL(row, "a row for 127.0.0.1:5000") ||
	    !ASSERT_TRUE(json_object_object_get_ex(row, "now", &now), "its sockets now"))
		goto out;
	ASSERT_EQ(json__int(now, "TIME_WAIT", -1), s->n, "TIME_WAIT, as ss");
	/* n / 40 is a multiple of 0.025: exact in the four decimals printed */
	ASSERT_DBL(json__double(row, "ports_ratio", -1), ==, (double)s->n / PP_RANGE,
		   "ports_ratio: ss's count over the range");
out:
	conns__records_free(snaps, n);
	/* before the namespace is deleted: top keeps its --netns open */
	if (top_started) {
		if (test__failed())
			tracer__dump_stderr(&top);
		tracer__stop(&top);
		tracer__free(&top);
	}
	if (r && !test__failed())
		pp__end(r);
	if (r)
		pp__cleanup(r);
	free(r);
}

/* four tests, not subtests: each sleeps through its drive, and the runner runs tests at once */
void test_port_pressure_exhaustion(void)
{
	pp__exhaustion();
}

void test_port_pressure_tw_reuse(void)
{
	pp__tw_reuse("--port-pressure=" STR(REUSE_PCT));
}

void test_port_pressure_tw_reuse_counted(void)
{
	pp__tw_reuse("--port-pressure=1");
}

void test_port_pressure_top(void)
{
	pp__top();
}
