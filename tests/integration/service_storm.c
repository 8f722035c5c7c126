// SPDX-License-Identifier: GPL-2.0
/*
 * A scrape storm: 1,000 clients scrape /metrics at once, beside a stream of malformed
 * requests (garbage, huge headers, requests left half-sent, wrong methods and paths), while
 * connections churn in the traced namespace, a hundred at a time, until the storm is over. Every scrape gets a whole answer or a
 * clean refusal, nothing hangs, the server still answers afterwards, and the tracer loses
 * no event: it prints a record for every closing end the churn made.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "clock.h"
#include "http_client.h"
#include "netns_named.h"
#include "prom_records.h"
#include "scenario.h"
#include "test.h"
#include "tracer.h"

#define METRICS_HOST "127.0.0.1"
#define METRICS_PORT 9465
#define SCRAPES 1000
/* what tcpclose lets one address hold (user/http.c, docs/USAGE.md) */
#define METRICS_PER_ADDR_LIMIT 256
/* connections per round, and the pause between rounds, for as long as the clients run */
#define CHURN_ROUND 100
#define CHURN_PAUSE_MS 50
/* no client, scrape or not, may take longer: a hang is a failure */
#define STORM_MS 30000
/* libmicrohttpd closes a client idle for 5 s; a loaded machine may add a little */
#define IDLE_TIMEOUT_MS 5000
#define IDLE_SLACK_MS 4000
#define IDLE_EARLY_MS 1000
#define PURGE_MS 30000
#define RECORDS_MS 15000
#define HUGE_BYTES (256 * 1024)

/* what a request is, and what answer it may have */
struct storm_kind {
	const char *what;
	int status;		/* the only status it may get; 0: any 4xx or 5xx */
	bool scrape;		/* a good scrape: a whole 200, or refused cleanly */
	bool om;		/* asks for OpenMetrics */
	bool any;		/* any whole answer: 200 too */
	bool head;
	bool hang;		/* sent in part: the server must close it after its idle timeout */
};

struct storm {
	struct http_job *jobs;
	struct storm_kind *kinds;
	int n;
	char *huge_header;
	char *huge_url;
};

static void storm__add(struct storm *s, const char *req, size_t len, size_t hang_after,
		       struct storm_kind kind)
{
	s->jobs[s->n] = (struct http_job){ .req = req, .len = len, .hang_after = hang_after };
	s->kinds[s->n++] = kind;
}

#define STORM_ADD(s, req, name, ...)						\
	storm__add(s, req, sizeof(req) - 1, 0,					\
		   (struct storm_kind){ .what = (name), ##__VA_ARGS__ })
/* sends the first sent bytes of req, then waits */
#define STORM_HANG(s, req, sent, name)						\
	storm__add(s, req, sizeof(req) - 1, sent,				\
		   (struct storm_kind){ .what = (name), .hang = true })

static const char scrape_req[] =
	"GET /metrics HTTP/1.1\r\nHost: " METRICS_HOST "\r\nConnection: close\r\n\r\n";
static const char scrape_om_req[] =
	"GET /metrics HTTP/1.1\r\nHost: " METRICS_HOST "\r\n"
	"Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5\r\n"
	"Connection: close\r\n\r\n";

/* the malformed and the odd: first, so that the hanging ones hold their slots throughout */
static void storm__add_malformed(struct storm *s)
{
	/* the start of a TLS ClientHello, as a client that got the scheme wrong sends */
	static const char garbage[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\xff\xfe"
				      "\r\n\r\n";
	static const char half[] = "GET /metr";
	static const char unfinished[] = "GET /metrics HTTP/1.1\r\nHost: " METRICS_HOST "\r\n";
	char *p;
	int i;

	s->huge_header = malloc(HUGE_BYTES + 256);
	s->huge_url = malloc(HUGE_BYTES + 256);
	p = s->huge_header + sprintf(s->huge_header, "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ");
	memset(p, 'a', HUGE_BYTES);
	strcpy(p + HUGE_BYTES, "\r\nConnection: close\r\n\r\n");
	p = s->huge_url + sprintf(s->huge_url, "GET /metrics?");
	memset(p, 'b', HUGE_BYTES);
	strcpy(p + HUGE_BYTES, " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

	for (i = 0; i < 5; i++) {
		STORM_HANG(s, half, sizeof(half) - 1, "half a request line");
		STORM_HANG(s, unfinished, sizeof(unfinished) - 1, "headers never ended");
		STORM_HANG(s, "", 0, "connected, sent nothing");
		STORM_HANG(s, scrape_req, 20, "a scrape cut after 20 bytes");
		STORM_ADD(s, garbage, "binary garbage");
		STORM_ADD(s, "\r\n\r\n\r\n", "blank lines");
		storm__add(s, s->huge_header, strlen(s->huge_header), 0,
			   (struct storm_kind){ .what = "a 256 KiB header" });
		storm__add(s, s->huge_url, strlen(s->huge_url), 0,
			   (struct storm_kind){ .what = "a 256 KiB URL" });
	}
	for (i = 0; i < 2; i++) {
		STORM_ADD(s, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
			  "Connection: close\r\n\r\nabc", "POST", .status = 405);
		STORM_ADD(s, "PUT /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
			  "Connection: close\r\n\r\n", "PUT", .status = 405);
		STORM_ADD(s, "DELETE /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
			  "DELETE", .status = 405);
		STORM_ADD(s, "BREW /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
			  "an unknown method", .status = 405);
		STORM_ADD(s, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "GET /",
			  .status = 404);
		STORM_ADD(s, "GET /metricsx HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
			  "GET /metricsx", .status = 404);
		STORM_ADD(s, "GET /metrics HTTP/1.1\r\nConnection: close\r\n\r\n",
			  "HTTP/1.1 without Host", .any = true);
		STORM_ADD(s, "GET /metrics HTTP/1.1\r\nHost: x\r\nno colon here\r\n"
			  "Connection: close\r\n\r\n", "a header without a colon");
		STORM_ADD(s, "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n"
			  "Connection: close\r\n\r\n", "a negative Content-Length");
		STORM_ADD(s, "GET /metrics HTTP/7.1\r\nHost: x\r\nConnection: close\r\n\r\n",
			  "HTTP/7.1");
		STORM_ADD(s, "HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
			  "HEAD", .status = 200, .head = true);
	}
}

static void storm__free(struct storm *s)
{
	http_job__free(s->jobs, s->n);
	free(s->jobs);
	free(s->kinds);
	free(s->huge_header);
	free(s->huge_url);
}

/* the exposition ends with the last histogram line (and "# EOF" in OpenMetrics) */
static bool storm__whole_body(const struct http_resp *r, bool om, char *why, size_t size)
{
	static const char last[] = "\ntcpclose_close_state_seconds_count{state=\"TIME_WAIT\"} ";
	const char *body = http_resp__body(r), *tail;
	size_t len = http_resp__body_len(r);
	struct prom_vec v;
	int err;

	tail = body ? memmem(body, len, last, sizeof(last) - 1) : NULL;
	if (!tail) {
		snprintf(why, size, "no TIME_WAIT histogram count line");
		return false;
	}
	tail = strchr(tail + 1, '\n');
	if (!tail || strcmp(tail + 1, om ? "# EOF\n" : "")) {
		snprintf(why, size, "something after the last histogram line: '%.40s'",
			 tail ? tail + 1 : "(no newline)");
		return false;
	}
	err = prom_text__parse(body, len, &v, why, size);
	prom_vec__free(&v);
	return !err;
}

/* a whole 200 with the whole exposition, or a refusal: closed or reset, or a whole 503 */
static const char *storm__judge_scrape(const struct http_job *j, const struct storm_kind *k,
				       bool *answered, char *why, size_t size)
{
	const struct http_resp *r = &j->resp;

	*answered = false;
	if (j->err == -ETIMEDOUT)
		return "hung";
	if (j->err && j->err != -ECONNRESET && j->err != -ECONNREFUSED) {
		snprintf(why, size, "%s", strerror(-j->err));
		return "failed";
	}
	if (!r->len)
		return NULL;
	if (!http_resp__complete(r))
		return "cut short";
	if (r->status == 503)
		return NULL;
	if (r->status != 200) {
		snprintf(why, size, "status %d", r->status);
		return "not 200";
	}
	if (!storm__whole_body(r, k->om, why, size))
		return "bad body";
	*answered = true;
	return NULL;
}

/* malformed: never hangs; any answer is whole and refuses (or is the one it must be) */
static const char *storm__judge_other(const struct http_job *j, const struct storm_kind *k,
				      bool *answered, int *badly_framed, char *why, size_t size)
{
	const struct http_resp *r = &j->resp;

	*answered = false;
	if (j->err == -ETIMEDOUT)
		return "hung";
	if (j->err && j->err != -ECONNRESET && j->err != -EPIPE) {
		snprintf(why, size, "%s", strerror(-j->err));
		return "failed";
	}
	if (k->hang && j->ms > IDLE_TIMEOUT_MS + IDLE_SLACK_MS) {
		snprintf(why, size, "closed after %.1f s", j->ms / 1e3);
		return "held past the idle timeout";
	}
	/* a slow client is not a dead one: it gets its 5 s */
	if (k->hang && j->ms < IDLE_TIMEOUT_MS - IDLE_EARLY_MS) {
		snprintf(why, size, "closed after %.1f s", j->ms / 1e3);
		return "closed before the idle timeout";
	}
	if (!r->len)
		return NULL;
	if (!r->status || !r->head_len) {
		snprintf(why, size, "'%.40s'", r->raw);
		return "not an HTTP answer";
	}
	if (k->head) {
		*answered = r->status == 200 && r->content_length > 0 &&
			    !http_resp__body_len(r);
		snprintf(why, size, "status %d, Content-Length %ld, %zu bytes of body", r->status,
			 r->content_length, http_resp__body_len(r));
		return *answered ? NULL : "bad HEAD answer";
	}
	snprintf(why, size, "status %d", r->status);
	if (k->status) {
		/* tcpclose's own answers: whole, and the one status */
		if (!http_resp__complete(r))
			return "cut short";
		*answered = true;
		return r->status == k->status ? NULL : "wrong status";
	}
	*answered = true;
	if (k->any)
		return http_resp__complete(r) ? NULL : "cut short";
	/*
	 * libmicrohttpd's own refusals: a 4xx or 5xx status line and the connection closed.
	 * Its body is not held to its Content-Length: 0.9.75 sends its 400 header twice for
	 * a bad Content-Length (see storm__judge()).
	 */
	if (!http_resp__complete(r))
		(*badly_framed)++;
	return r->status >= 400 && r->status < 600 ? NULL : "not refused";
}

static void storm__judge(struct storm *s, int *answered, int *refused)
{
	int bad = 0, badly_framed = 0, ans[2] = { 0, 0 }, ref[2] = { 0, 0 };
	const struct http_job *j;
	const struct storm_kind *k;
	const char *verdict;
	double slowest = 0;
	char why[256];
	bool ok;

	for (int i = 0; i < s->n; i++) {
		j = &s->jobs[i];
		k = &s->kinds[i];
		why[0] = '\0';
		verdict = k->scrape ? storm__judge_scrape(j, k, &ok, why, sizeof(why)) :
				      storm__judge_other(j, k, &ok, &badly_framed, why,
							 sizeof(why));
		if (verdict) {
			if (bad++ < 10)
				printf("client %d (%s): %s %s (err %d, %zu bytes in %.0f ms)\n", i,
				       k->what, verdict, why, j->err, j->resp.len, j->ms);
			continue;
		}
		ans[k->scrape] += ok;
		ref[k->scrape] += !ok;
		if (k->scrape && j->ms > slowest)
			slowest = j->ms;
	}
	test__log("scrapes: %d answered, %d refused, slowest %.0f ms; others: %d answered (%d "
		  "refusals not framed by their Content-Length), %d closed", ans[1], ref[1],
		  slowest, ans[0], badly_framed, ref[0]);
	ASSERT_EQ(bad, 0, "clients with a bad, partial or late answer");
	*answered = ans[1];
	*refused = ref[1];
}

/* what the churn did, in memory shared with its process */
struct storm_churn {
	volatile int stop;	/* set by the test when the clients are done */
	int rounds;
	int connections;
	double first_ms;	/* the first round's start and the last round's end, monotonic */
	double last_ms;
	char error[256];
};

/* round after round of churn in the traced namespace, in a child, until the storm is over */
static pid_t storm__churn(struct netns *ns, struct storm_churn *c)
{
	struct scenario_result res;
	struct scenario_opts opts;
	pid_t pid;

	pid = test__fork_child();
	if (pid)
		return pid;
	scenario__default_opts(&opts);
	opts.count = CHURN_ROUND;
	if (netns__enter(ns))
		_exit(1);
	c->first_ms = clock__now_ms();
	while (!c->stop) {
		if (scenario__run("churn", &opts, &res)) {
			snprintf(c->error, sizeof(c->error), "%s", res.error);
			_exit(1);
		}
		c->connections += res.connections;
		c->rounds++;
		c->last_ms = clock__now_ms();
		nanosleep(&(struct timespec){ .tv_nsec = CHURN_PAUSE_MS * 1000000L }, NULL);
	}
	_exit(0);
}

static void storm__nofile(int need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= (rlim_t)need)
		return;
	rl.rlim_cur = rl.rlim_max > (rlim_t)need ? (rlim_t)need : rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}

/* after the storm: one ordinary scrape, answered whole */
static void storm__scrape_after(void)
{
	struct http_resp r = {};
	char why[256] = "";
	int err;

	err = http_client__get(METRICS_HOST, METRICS_PORT, "/metrics", NULL, 10000, &r);
	ASSERT_OK(err, "a scrape after the storm");
	ASSERT_EQ(r.status, 200, "its status");
	ASSERT_TRUE(http_resp__complete(&r), "its answer is whole");
	if (!ASSERT_TRUE(storm__whole_body(&r, false, why, sizeof(why)), "its body ends well"))
		printf("body: %s\n", why);
	http_resp__free(&r);
}

void test_service_scrape_storm(void)
{
	const char *const args[] = { "--metrics", METRICS_HOST ":9465", NULL };
	const char *const lost_fields[] = { "ringbuf", "map_full", "tw_map", "ka_map", "states_lost" };
	struct storm_churn *c = MAP_FAILED;
	struct netns ns = { .home = -1 };
	int answered = 0, refused = 0, status, i, closes, want, ours = 0;
	struct storm s = {};
	bool ns_alive = false;
	struct timespec t0, t1;
	struct tracer t = {};
	json_object *lost;
	pid_t churn = 0;
	int err;

	storm__nofile(SCRAPES + 1024);
	c = mmap(NULL, sizeof(*c), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	s.jobs = calloc(SCRAPES + 200, sizeof(*s.jobs));
	s.kinds = calloc(SCRAPES + 200, sizeof(*s.kinds));
	if (!ASSERT_TRUE(c != MAP_FAILED && s.jobs && s.kinds, "memory"))
		goto out;
	if (!ASSERT_OK(netns__create(&ns, "tcpclose-storm"), "create scenario namespace"))
		goto out;
	ns_alive = true;
	if (!ASSERT_OK(tracer__start(&t, ns.path, args), "start tracer with --metrics"))
		goto out;

	storm__add_malformed(&s);
	for (i = 0; i < SCRAPES; i++) {
		/* a quarter ask for OpenMetrics, as Prometheus does */
		if (i % 4)
			STORM_ADD(&s, scrape_req, "scrape", .scrape = true);
		else
			STORM_ADD(&s, scrape_om_req, "OpenMetrics scrape", .scrape = true,
				  .om = true);
	}
	memset(c, 0, sizeof(*c));
	churn = storm__churn(&ns, c);
	if (!ASSERT_GT(churn, 0, "fork the churn"))
		goto out;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = http_client__run(METRICS_HOST, METRICS_PORT, s.jobs, s.n, STORM_MS);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!ASSERT_OK(err, "run the clients"))
		goto out;
	storm__judge(&s, &answered, &refused);
	ASSERT_EQ(answered + refused, SCRAPES, "scrapes answered or refused");
	/*
	 * Refusing is allowed, refusing all is not: of the connections one address may hold
	 * at once, the other clients take at most one each, the scrapes at least the rest.
	 */
	ASSERT_GE(answered, METRICS_PER_ADDR_LIMIT - (s.n - SCRAPES), "scrapes answered whole");
	storm__scrape_after();

	c->stop = 1;
	ASSERT_EQ(waitpid(churn, &status, 0), churn, "wait for the churn");
	churn = 0;
	if (!ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status), "churn succeeded")) {
		printf("churn: %s\n", c->error);
		goto out;
	}
	test__log("the churn: %d connections in %d rounds over %.0f ms; the %d clients: "
		  "%.0f ms", c->connections, c->rounds, c->last_ms - c->first_ms, s.n,
		  (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
	/* it ran all through the storm, not only at its start */
	ASSERT_GE(c->rounds, 2, "churn rounds during the storm");
	err = netns__destroy(&ns, PURGE_MS);
	ns_alive = false;
	if (!ASSERT_OK(err, "scenario namespace purged"))
		goto out;
	want = 2 * c->connections;
	closes = prom__wait_closes(&t, want, RECORDS_MS);
	if (!ASSERT_OK(tracer__stop(&t), "tracer exits 0 after SIGINT, JSON only"))
		goto out;
	/* the traced namespace saw nothing but the churn */
	for (i = 0; i < t.nrecs; i++)
		ours += json__int(t.recs[i], "netns", -1) == (long long)ns.ino;
	test__log("close records: %d printed (%d when stopped), %d of the churn's %d closing "
		  "ends", tracer__count_closes(&t), closes, ours, want);
	ASSERT_EQ(ours, want, "close records of the churn, 2 per connection");
	ASSERT_EQ(tracer__count_closes(&t), want, "close records in all");
	lost = tracer__lost(&t);
	if (!ASSERT_NOT_NULL(lost, "a \"lost\" record at exit"))
		goto out;
	/* what the tracer itself counted, to tell a loss from a miss when the counts differ */
	test__log("lost record: %s", json_object_to_json_string(lost));
	for (i = 0; i < (int)(sizeof(lost_fields) / sizeof(lost_fields[0])); i++)
		ASSERT_EQ(json__int(lost, lost_fields[i], -1), 0, lost_fields[i]);
	ASSERT_EQ(json__int(lost, "delivered", -1), want, "records through the ring buffer");
out:
	if (test__failed())
		tracer__dump_stderr(&t);
	if (churn > 0) {
		kill(churn, SIGKILL);
		waitpid(churn, NULL, 0);
	}
	if (ns.home >= 0)
		netns__leave(&ns);
	if (ns_alive)
		netns__destroy(&ns, 0);
	tracer__free(&t);
	storm__free(&s);
	if (c != MAP_FAILED)
		munmap(c, sizeof(*c));
}
