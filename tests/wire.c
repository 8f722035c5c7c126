// SPDX-License-Identifier: GPL-2.0
/* wire: a scripted peer on a tun device in the tracer's namespace, and judging by its capture */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "clock.h"
#include "sock.h"
#include "test.h"
#include "wire.h"

/* the socket dumps' pace, as the fixture's: a state that lasts longer is seen at least once */
#define WIRE_SSWATCH_US 1000
#define WIRE_TUN "tcw0"
/* the kernel answers within the peer's write, or sends at once: this is only a stuck host */
#define WIRE_STEP_MS 2000

bool wire__start(struct wire *w, const char *backend, int family)
{
	memset(w, 0, sizeof(*w));
	w->family = family;
	w->peer.pfd = -1;
	w->peer.tun.fd = -1;
	if (!fixture__start_backend(&w->f, backend))
		return false;
	if (!ASSERT_OK(netns__enter(&w->f.ns), "enter the namespace") ||
	    !ASSERT_OK(peer__open(&w->peer, WIRE_TUN, family), "tun device and its capture") ||
	    !ASSERT_OK(nstat__read(&w->f.before), "nstat before"))
		return false;
	return fixture__watch(&w->f);
}

bool wire__finish(struct wire *w)
{
	bool ok = fixture__unwatch(&w->f);

	ok = ASSERT_OK(nstat__read(&w->f.after), "nstat after") &&
	     ASSERT_OK(nstat__delta(&w->f.before, &w->f.after, &w->f.delta), "nstat delta") && ok;
	peer__close(&w->peer);
	ok = ASSERT_EQ(w->peer.drops, 0, "segments the capture missed") && ok;
	ok = ASSERT_EQ(w->peer.clock_steps, 0, "wall clock steps while capturing") && ok;
	ok = ASSERT_OK(netns__leave(&w->f.ns), "leave the namespace") && ok;
	w->purge_ts = peer__now();
	if (!fixture__purge(&w->f))
		return false;
	return ASSERT_OK(tracer__stop(&w->f.tracer), "tracer exits 0 after SIGINT, JSON only") &&
	       ok;
}

void wire__cleanup(struct wire *w)
{
	peer__free(&w->peer);
	fixture__cleanup(&w->f);
}

void wire__each(void (*run)(const char *backend, int family), bool both_families)
{
	char name[64];

	for (int i = 0; i < TRACER_NR_BACKENDS; i++) {
		for (int family = 4; family <= 6; family += 2) {
			if (!both_families && family == 6)
				break;
			snprintf(name, sizeof(name), "%s%s", tracer__backends[i],
				 !both_families ? "" : family == 6 ? "-ipv6" : "-ipv4");
			if (test__start_subtest(name))
				run(tracer__backends[i], family);
		}
	}
}

double wire__stop_ts(const struct wire *w)
{
	return w->f.tracer.stop_ns / 1e9;
}

bool wire__start_connected(struct wire *w, const char *backend, int family, struct peer_conn *c,
			   int *fd)
{
	if (!wire__start(w, backend, family))
		return false;
	peer__conn(c, &w->peer, 80);
	*fd = wire__socket(w, 0);
	return ASSERT_GE(*fd, 0, "socket") && ASSERT_OK(peer__accept(c, *fd), "handshake");
}

int wire__socket(const struct wire *w, unsigned short port)
{
	struct sockaddr_storage ss;
	socklen_t len = peer__sockaddr(&w->peer, 0, port, &ss);
	int fd, one = 1;

	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sock__timeouts(fd, 10);
	if (bind(fd, (struct sockaddr *)&ss, len)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int wire__listen(const struct wire *w, unsigned short *port)
{
	int fd = wire__socket(w, 0), p;

	if (fd < 0)
		return fd;
	p = listen(fd, 16) ? -errno : sock__port(fd);
	if (p < 0) {
		close(fd);
		return p;
	}
	*port = p;
	return fd;
}

bool wire__gone(const struct wire *w, const struct peer_conn *c, struct wire_when *gone)
{
	for (int i = 0; w->f.ss && i < w->f.ss->nsocks; i++) {
		const struct sswatch_sock *s = &w->f.ss->socks[i];

		if (s->sport != c->lport || s->dport != c->pport || !s->nruns || !s->gone_t1)
			continue;
		*gone = wire__when(s->runs[s->nruns - 1].last_t0 / 1e9, s->gone_t1 / 1e9);
		return true;
	}
	return false;
}

void wire__log_dumps(const struct wire *w, const struct peer_conn *c)
{
	const struct sswatch *ss = w->f.ss;

	if (!ss)
		return;
	test__log("socket dumps: %llu made, %d sockets kept%s", (unsigned long long)ss->dumps,
		  ss->nsocks, ss->overflow ? ", more not kept" : "");
	for (int i = 0; i < ss->nsocks; i++) {
		const struct sswatch_sock *s = &ss->socks[i];

		if (s->sport != c->lport || s->dport != c->pport)
			continue;
		test__log("  cookie %llu: %d runs%s, last seen in dump %llu, gone_t1 %llu",
			  (unsigned long long)s->cookie, s->nruns, s->overflow ? " (more lost)" : "",
			  (unsigned long long)s->seen_dump, (unsigned long long)s->gone_t1);
		for (int r = 0; r < s->nruns; r++)
			test__log("    state %u%s: [%llu, %llu] .. [%llu, %llu]", s->runs[r].state,
				  s->runs[r].timewait ? " (timewait)" : "",
				  (unsigned long long)s->runs[r].first_t0,
				  (unsigned long long)s->runs[r].first_t1,
				  (unsigned long long)s->runs[r].last_t0,
				  (unsigned long long)s->runs[r].last_t1);
	}
}

/* is a socket with these ports in /proc/net/tcp or tcp6? */
static bool wire__listed(const char *path, unsigned short lport, unsigned short rport)
{
	unsigned int l, r;
	char line[512];
	bool found = false;
	FILE *f = fopen(path, "r");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, " %*u: %*[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%x", &l, &r) == 2 &&
			l == lport && r == rport;
	fclose(f);
	return found;
}

int wire__wait_gone(const struct peer_conn *c, int timeout_ms)
{
	double deadline = clock__now_ms() + timeout_ms;

	while (wire__listed("/proc/net/tcp", c->lport, c->pport) ||
	       wire__listed("/proc/net/tcp6", c->lport, c->pport)) {
		if (clock__now_ms() > deadline)
			return -ETIMEDOUT;
		clock__sleep_ms(20);
	}
	return 0;
}

bool wire__close_to_timewait(struct peer_conn *c, int fd, int pause_ms, struct wire_close *out)
{
	double t_close = peer__now();

	close(fd);
	if (!ASSERT_OK(peer__expect(c, TCP_FIN, WIRE_STEP_MS, &out->fin), "our FIN"))
		return false;
	out->fin_wait1 = wire__when(t_close, out->fin.ts);
	clock__sleep_ms(pause_ms);
	if (!ASSERT_OK(peer__send_next(c, TCP_FIN | TCP_ACK, NULL, 0), "the peer's FIN-ACK"))
		return false;
	out->pfin = c->sent;
	return ASSERT_OK(peer__expect_ack(c, out->pfin.seg.seq + 1, WIRE_STEP_MS, &out->ack),
			 "our ACK of it");
}

struct wire_when wire__before(struct wire_when c, const struct peer_seg *out)
{
	test__check(out->ts >= c.lo, __FILE__, __LINE__,
		    "the kernel's segment left after what caused it: got %.6f want >= %.6f",
		    out->ts, c.lo);
	return wire__when(c.lo, out->ts < c.hi ? out->ts : c.hi);
}

json_object *wire__record(const struct wire *w, const struct peer_conn *c)
{
	return tracer__close(&w->f.tracer, c->lport, c->pport);
}

double wire__tol_ms(const struct wire *w)
{
	double jiffy = w->f.tracer.hz ? 1000.0 / w->f.tracer.hz : 10;
	double lag = w->f.ss ? w->f.ss->worst_tick_lag_ns / 1e6 : 0;

	return lag > jiffy ? lag : jiffy;
}

/*
 * got (ms), from a change in a to one in b, is in [b.lo - a.hi, b.hi - a.lo] widened by tol;
 * never below 0, as b followed a
 */
static bool wire__check_between(double tol, double got, struct wire_when a, struct wire_when b,
				const char *what, const char *key)
{
	double lo = wire__ms(a.hi, b.lo), hi = wire__ms(a.lo, b.hi);
	bool ok;

	if (lo < 0)
		lo = 0;
	ok = got >= lo - tol && got <= hi + tol;
	return test__check(ok, __FILE__, __LINE__,
			   "%s %s: got %.3f ms want %.3f..%.3f ms (+- %.3f)", what, key, got, lo, hi,
			   tol);
}

/*
 * A timewait socket's states, FIN_WAIT2 and TIME_WAIT, may begin or end at a time read off
 * the timer wheel; every other close state is a full socket's, whose changes the tracer reads
 * the clock at: their dwells are judged by the brackets alone.
 */
static double wire__state_tol_ms(const struct wire *w, const char *state)
{
	return !strcmp(state, "FIN_WAIT2") || !strcmp(state, "TIME_WAIT") ? wire__tol_ms(w) : 0;
}

bool wire__check_dwell(const struct wire *w, json_object *rec, const char *state,
		       struct wire_when from, struct wire_when to, const char *what)
{
	char key[48];

	snprintf(key, sizeof(key), "%s dwell", state);
	return wire__check_between(wire__state_tol_ms(w, state), json__dwell(rec, state), from, to,
				   what, key);
}

static void wire__addr(const struct wire *w, int peer, char *buf, size_t size)
{
	uint8_t a[16];

	tun__addr(w->family, peer, a);
	inet_ntop(w->family == 6 ? AF_INET6 : AF_INET, a, buf, size);
}

/* present, and the boolean false */
static bool wire__false(json_object *rec, const char *key)
{
	json_object *v = NULL;

	return json_object_object_get_ex(rec, key, &v) && json_object_is_type(v, json_type_boolean) &&
	       !json_object_get_boolean(v);
}

void wire__check_ends(const struct wire *w, json_object *rec, const struct peer_conn *c,
		      pid_t pid, const char *what)
{
	char local[64], remote[64], msg[96];

	wire__addr(w, 0, local, sizeof(local));
	wire__addr(w, 1, remote, sizeof(remote));
#define WIRE_MSG(key) (snprintf(msg, sizeof(msg), "%s " key, what), msg)
	ASSERT_EQ(json__int(rec, "family", -1), w->family, WIRE_MSG("family"));
	ASSERT_STREQ(json__str(rec, "saddr"), local, WIRE_MSG("saddr"));
	ASSERT_STREQ(json__str(rec, "daddr"), remote, WIRE_MSG("daddr"));
	ASSERT_EQ(json__int(rec, "sport", -1), c->lport, WIRE_MSG("sport"));
	ASSERT_EQ(json__int(rec, "dport", -1), c->pport, WIRE_MSG("dport"));
	ASSERT_EQ(json__int(rec, "netns", -1), w->f.ns.ino, WIRE_MSG("netns"));
	ASSERT_EQ(json__int(rec, "pid", -1), pid, WIRE_MSG("pid"));
	if (pid)
		ASSERT_STREQ(json__str(rec, "comm"), wire__comm(), WIRE_MSG("comm"));
	else
		ASSERT_TRUE(json__is_null(rec, "comm"), WIRE_MSG("comm is null"));
	ASSERT_TRUE(wire__false(rec, "partial"), WIRE_MSG("partial is false"));
	ASSERT_TRUE(wire__false(rec, "end_unseen"), WIRE_MSG("end_unseen is false"));
	ASSERT_TRUE(wire__false(rec, "states_lost"), WIRE_MSG("states_lost is false"));
#undef WIRE_MSG
}

static void wire__check_u32(json_object *rec, const char *key, const struct peer_seg *s,
			    uint32_t want, const char *what)
{
	char msg[96];

	snprintf(msg, sizeof(msg), "%s %s", what, key);
	if (s)
		ASSERT_EQ(json__int(rec, key, -1), want, msg);
	else
		ASSERT_TRUE(json__is_null(rec, key), msg);
}

void wire__check_fin(json_object *rec, const struct peer_seg *fin, const char *what)
{
	wire__check_u32(rec, "fin_seq", fin, fin ? fin->seg.seq + fin->seg.len : 0, what);
	wire__check_u32(rec, "fin_ack", fin, fin ? fin->seg.ack : 0, what);
}

void wire__check_peer_fin(json_object *rec, const struct peer_seg *fin, const char *what)
{
	wire__check_u32(rec, "peer_fin_seq", fin, fin ? fin->seg.seq + fin->seg.len : 0, what);
	wire__check_u32(rec, "peer_fin_ack", fin, fin ? fin->seg.ack : 0, what);
}

void wire__check_restarts(const struct wire *w, json_object *rec, int n, struct wire_when tw,
			  struct wire_when first, struct wire_when last, const char *what)
{
	char msg[96];

	snprintf(msg, sizeof(msg), "%s tw_restarts", what);
	ASSERT_EQ(json__int(rec, "tw_restarts", -1), n, msg);
	wire__check_between(wire__tol_ms(w), json__double(rec, "tw_restart_first_ms", -1), tw,
			    first, what, "tw_restart_first_ms");
	wire__check_between(wire__tol_ms(w), json__double(rec, "tw_restart_last_ms", -1), tw,
			    last, what, "tw_restart_last_ms");
}

void wire__check_no_restarts(json_object *rec, const char *what)
{
	char msg[96];

	snprintf(msg, sizeof(msg), "%s tw_restarts", what);
	ASSERT_EQ(json__int(rec, "tw_restarts", -1), 0, msg);
	snprintf(msg, sizeof(msg), "%s tw_restart_first_ms is null", what);
	ASSERT_TRUE(json__is_null(rec, "tw_restart_first_ms"), msg);
	snprintf(msg, sizeof(msg), "%s tw_restart_last_ms is null", what);
	ASSERT_TRUE(json__is_null(rec, "tw_restart_last_ms"), msg);
}

void wire__check_quiet(json_object *rec, const struct peer_conn *c, const char *what)
{
	int fins = peer__count(c, 0, TCP_FIN);
	char msg[96];

	/* a slow host may resend our FIN before the script's ACK of it: the capture counts */
	snprintf(msg, sizeof(msg), "%s fin_retrans (our FINs on the wire, less one)", what);
	ASSERT_EQ(json__int(rec, "fin_retrans", -1), fins > 1 ? fins - 1 : 0, msg);
	snprintf(msg, sizeof(msg), "%s keepalive_probes", what);
	ASSERT_EQ(json__int(rec, "keepalive_probes", -1), 0, msg);
	snprintf(msg, sizeof(msg), "%s keepalive_unanswered", what);
	ASSERT_EQ(json__int(rec, "keepalive_unanswered", -1), 0, msg);
}

void wire__check_kind(json_object *rec, const char *role, const char *cause,
		      const char *rst_reason, const char *states, const char *what)
{
	char msg[96], buf[160];

	snprintf(msg, sizeof(msg), "%s role", what);
	ASSERT_STREQ(json__str(rec, "role"), role, msg);
	snprintf(msg, sizeof(msg), "%s cause", what);
	ASSERT_STREQ(json__str(rec, "cause"), cause, msg);
	snprintf(msg, sizeof(msg), "%s rst_reason", what);
	if (rst_reason)
		ASSERT_STREQ(json__str(rec, "rst_reason"), rst_reason, msg);
	else
		ASSERT_TRUE(json__is_null(rec, "rst_reason"), msg);
	snprintf(msg, sizeof(msg), "%s states", what);
	ASSERT_STREQ(json__states(rec, buf, sizeof(buf)), states, msg);
}

void wire__check_tw_end(json_object *rec, const char *want, const char *what)
{
	char msg[96];

	snprintf(msg, sizeof(msg), "%s tw_end", what);
	if (want)
		ASSERT_STREQ(json__str(rec, "tw_end"), want, msg);
	else
		ASSERT_TRUE(json__is_null(rec, "tw_end"), msg);
}

void wire__check_record(const struct wire *w, json_object *rec, const struct peer_conn *c,
			const struct wire_expect *e, const char *what)
{
	wire__check_ends(w, rec, c, e->pid, what);
	wire__check_kind(rec, e->role, e->cause, e->rst_reason, e->states, what);
	wire__check_fin(rec, e->fin, what);
	wire__check_peer_fin(rec, e->pfin, what);
	wire__check_tw_end(rec, e->tw_end, what);
	if (e->busy)
		return;
	wire__check_no_restarts(rec, what);
	wire__check_quiet(rec, c, what);
}

const char *wire__comm(void)
{
	static char comm[32];
	FILE *f;

	if (comm[0])
		return comm;
	f = fopen("/proc/self/comm", "r");
	if (f) {
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
	}
	return comm;
}
