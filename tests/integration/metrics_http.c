// SPDX-License-Identifier: GPL-2.0
/*
 * /metrics itself: both exposition formats say the same, in the shape their specifications
 * ask for (families with HELP and TYPE, cumulative buckets up to +Inf, "# EOF" and counter
 * families without "_total" in OpenMetrics), and add up to the records of the same run;
 * HEAD, other methods and other paths; and the address it listens on.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "http_client.h"
#include "netns_named.h"
#include "prom_records.h"
#include "scenario.h"
#include "test.h"
#include "tracer.h"

#define METRICS_PORT 9465
#define HTTP_MS 10000
#define PURGE_MS 30000
#define RECORDS_MS 10000

#define TEXT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define OM_TYPE "application/openmetrics-text; version=1.0.0; charset=utf-8"
#define OM_ACCEPT "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"

static const char *const families[][2] = {
	{ "tcpclose_connections_closed_total", "counter" },
	{ "tcpclose_fin_retransmits_total", "counter" },
	{ "tcpclose_keepalive_probes_total", "counter" },
	{ "tcpclose_timewait_ends_total", "counter" },
	{ "tcpclose_events_lost_total", "counter" },
	{ "tcpclose_sockets", "gauge" },
	{ "tcpclose_close_state_seconds", "histogram" },
};

/* GET /metrics in one format: a whole 200 of that type, parsed into v */
static bool metrics_http__scrape(const char *host, bool om, struct http_resp *r,
				 struct prom_vec *v)
{
	char type[128] = "", why[256] = "";
	const char *what = om ? "OpenMetrics scrape" : "0.0.4 scrape";

	memset(v, 0, sizeof(*v));
	if (!ASSERT_OK(http_client__get(host, METRICS_PORT, "/metrics", om ? OM_ACCEPT : NULL,
					HTTP_MS, r), what) ||
	    !ASSERT_EQ(r->status, 200, what) ||
	    !ASSERT_TRUE(http_resp__complete(r), "the answer is as long as it says"))
		return false;
	http_resp__header(r, "Content-Type", type, sizeof(type));
	ASSERT_STREQ(type, om ? OM_TYPE : TEXT_TYPE, "Content-Type");
	if (!ASSERT_OK(prom_text__parse(http_resp__body(r), http_resp__body_len(r), v, why,
					sizeof(why)), what)) {
		printf("%s\n", why);
		return false;
	}
	return true;
}

/* a line of the body starting with prefix */
static bool metrics_http__has_line(const char *body, const char *prefix)
{
	const char *p;

	for (p = body; p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (!strncmp(p, prefix, strlen(prefix)))
			return true;
	}
	return false;
}

/* HELP and TYPE for every family, counters named without "_total" in OpenMetrics */
static void metrics_http__check_families(const struct http_resp *r, bool om)
{
	const char *body = http_resp__body(r);
	char line[160], name[96];
	size_t n;

	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		n = strlen(families[i][0]);
		if (om && !strcmp(families[i][1], "counter"))
			n -= strlen("_total");
		snprintf(name, sizeof(name), "%.*s", (int)n, families[i][0]);
		snprintf(line, sizeof(line), "# TYPE %s %s\n", name, families[i][1]);
		if (!ASSERT_TRUE(metrics_http__has_line(body, line), "a TYPE line"))
			printf("missing: %s", line);
		snprintf(line, sizeof(line), "# HELP %s ", name);
		if (!ASSERT_TRUE(metrics_http__has_line(body, line), "a HELP line"))
			printf("missing: %s\n", line);
	}
	if (om) {
		n = http_resp__body_len(r);
		ASSERT_TRUE(n > 6 && !strcmp(body + n - 6, "# EOF\n"), "OpenMetrics ends in # EOF");
	} else {
		ASSERT_FALSE(metrics_http__has_line(body, "# EOF"), "no # EOF in 0.0.4");
	}
}

/* each state's buckets: bounds rising, counts never falling, +Inf last and equal to _count */
static void metrics_http__check_buckets(const struct prom_vec *v)
{
	static const char *const states[] = {
		"FIN_WAIT1", "FIN_WAIT2", "CLOSE_WAIT", "LAST_ACK", "CLOSING", "TIME_WAIT",
	};
	const struct prom_sample *s, *count;
	double le, last_le, last;
	int buckets;
	char msg[96];

	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		last_le = -INFINITY;
		last = 0;
		buckets = 0;
		for (int k = 0; k < v->n; k++) {
			s = &v->v[k];
			if (strcmp(s->name, "tcpclose_close_state_seconds_bucket") ||
			    strcmp(prom_sample__label(s, "state") ?: "", states[i]))
				continue;
			le = strtod(prom_sample__label(s, "le") ?: "nan", NULL);
			snprintf(msg, sizeof(msg), "%s bucket %d: le rises", states[i], buckets);
			ASSERT_TRUE(le > last_le, msg);
			snprintf(msg, sizeof(msg), "%s bucket %d: cumulative", states[i], buckets);
			ASSERT_GE(s->value, last, msg);
			last_le = le;
			last = s->value;
			buckets++;
		}
		snprintf(msg, sizeof(msg), "%s: the last bucket is +Inf", states[i]);
		ASSERT_TRUE(isinf(last_le), msg);
		count = prom_vec__find(v, "tcpclose_close_state_seconds_count", "state", states[i],
				       NULL);
		snprintf(msg, sizeof(msg), "%s: +Inf bucket against _count", states[i]);
		if (ASSERT_NOT_NULL(count, msg))
			ASSERT_EQ(last, count->value, msg);
		snprintf(msg, sizeof(msg), "%s: buckets", states[i]);
		ASSERT_GE(buckets, 10, msg);
	}
}

/* the same samples, in the same order, with the same values, in both formats */
static void metrics_http__check_same(const struct prom_vec *text, const struct prom_vec *om)
{
	int n = text->n < om->n ? text->n : om->n;

	ASSERT_EQ(om->n, text->n, "samples in OpenMetrics and in 0.0.4");
	for (int i = 0; i < n; i++) {
		if (!ASSERT_STREQ(om->v[i].name, text->v[i].name, "sample name in both formats") ||
		    !ASSERT_EQ(om->v[i].nlabels, text->v[i].nlabels, om->v[i].name) ||
		    !ASSERT_TRUE(om->v[i].value == text->v[i].value, om->v[i].name))
			return;
	}
}

void test_metrics_exposition(void)
{
	static const char *const scenarios[] = { "active", "unread", "lastack_drop", "linger0" };
	const char *const args[] = { "--metrics", "9465", NULL };
	struct http_resp text_resp = {}, om_resp = {};
	struct prom_vec text = {}, om = {};
	struct netns ns = { .home = -1 };
	struct scenario_result res;
	bool ns_alive = false;
	struct tracer t = {};
	int err, closes;
	size_t i;

	if (!ASSERT_OK(netns__create(&ns, "tcpclose-expo"), "create scenario namespace"))
		goto out;
	ns_alive = true;
	/* a TIME_WAIT from before the tracer: its record is partial, out of the histograms */
	if (!ASSERT_OK(netns__enter(&ns), "enter scenario namespace"))
		goto out;
	err = scenario__run("active", NULL, &res);
	netns__leave(&ns);
	if (!ASSERT_OK(err, "active, before the tracer starts"))
		goto out;
	if (!ASSERT_OK(tracer__start(&t, ns.path, args), "start tracer with --metrics PORT"))
		goto out;
	if (!ASSERT_OK(netns__enter(&ns), "enter scenario namespace"))
		goto out;
	for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		err = scenario__run(scenarios[i], NULL, &res);
		if (!ASSERT_OK(err, scenarios[i])) {
			printf("scenario %s: %s\n", scenarios[i], res.error);
			goto out;
		}
	}
	netns__leave(&ns);
	err = netns__destroy(&ns, PURGE_MS);
	ns_alive = false;
	if (!ASSERT_OK(err, "scenario namespace purged"))
		goto out;
	closes = prom__wait_closes(&t, 2 * (int)i + 1, RECORDS_MS);
	ASSERT_EQ(closes, 2 * (int)i + 1, "close records, 2 per connection and the partial one");

	if (!metrics_http__scrape("127.0.0.1", false, &text_resp, &text) ||
	    !metrics_http__scrape("127.0.0.1", true, &om_resp, &om))
		goto out;
	metrics_http__check_families(&text_resp, false);
	metrics_http__check_families(&om_resp, true);
	metrics_http__check_buckets(&text);
	metrics_http__check_same(&text, &om);
	if (!ASSERT_OK(tracer__stop(&t), "tracer exits 0 after SIGINT, JSON only"))
		goto out;
	ASSERT_EQ(tracer__count_closes(&t), closes, "close records printed after the scrape");
	for (i = 0, err = 0; (int)i < t.nrecs; i++)
		err += json_object_get_boolean(json_object_object_get(t.recs[i], "partial"));
	ASSERT_EQ(err, 1, "partial records: the TIME_WAIT from before the tracer");
	prom_vec__check_records(&text, &t, true, "/metrics");
out:
	if (test__failed())
		tracer__dump_stderr(&t);
	if (ns.home >= 0)
		netns__leave(&ns);
	if (ns_alive)
		netns__destroy(&ns, 0);
	prom_vec__free(&text);
	prom_vec__free(&om);
	http_resp__free(&text_resp);
	http_resp__free(&om_resp);
	tracer__free(&t);
}

/* a raw request's status, or -1 if it got no whole answer */
static int metrics_http__status(const char *host, const char *req, struct http_resp *r)
{
	http_resp__free(r);
	if (http_client__request(host, METRICS_PORT, req, strlen(req), HTTP_MS, r) ||
	    !(http_resp__complete(r) || (r->status && r->head_len)))
		return -1;
	return r->status;
}

void test_metrics_http(void)
{
	static const char *const refused[] = {
		"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
		"Connection: close\r\n\r\n",
		"PUT /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
		"Connection: close\r\n\r\n",
		"DELETE /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		"OPTIONS /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
	};
	static const char *const missing[] = { "/", "/metric", "/metrics/", "/metricsx",
					       "/favicon.ico" };
	const char *const args[] = { "--metrics", "[::1]:9465", NULL };
	struct http_resp r = {}, get = {};
	struct tracer t = {};
	char req[256], value[128];
	size_t i;

	/* the default address: 127.0.0.1 only */
	if (!ASSERT_OK(tracer__start(&t, NULL, (const char *const[]){ "--metrics", "9465", NULL }),
		       "start tracer with --metrics 9465"))
		goto out;
	if (!ASSERT_OK(http_client__get("127.0.0.1", METRICS_PORT, "/metrics", NULL, HTTP_MS, &get),
		       "GET /metrics") ||
	    !ASSERT_EQ(get.status, 200, "GET /metrics"))
		goto out;
	ASSERT_EQ(http_client__get("::1", METRICS_PORT, "/metrics", NULL, HTTP_MS, &r),
		  -ECONNREFUSED, "nothing listens on ::1 by default");

	snprintf(req, sizeof(req), "HEAD /metrics HTTP/1.1\r\nHost: x\r\n"
		 "Connection: close\r\n\r\n");
	ASSERT_EQ(metrics_http__status("127.0.0.1", req, &r), 200, "HEAD /metrics");
	ASSERT_EQ(http_resp__body_len(&r), 0, "HEAD: no body");
	ASSERT_TRUE(http_resp__header(&r, "Content-Type", value, sizeof(value)) &&
		    !strcmp(value, TEXT_TYPE), "HEAD: Content-Type");
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		ASSERT_EQ(metrics_http__status("127.0.0.1", refused[i], &r), 405, refused[i]);
		ASSERT_TRUE(http_resp__complete(&r), "405 answer whole");
	}
	for (i = 0; i < sizeof(missing) / sizeof(missing[0]); i++) {
		snprintf(req, sizeof(req),
			 "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", missing[i]);
		ASSERT_EQ(metrics_http__status("127.0.0.1", req, &r), 404, missing[i]);
		ASSERT_TRUE(http_resp__complete(&r), "404 answer whole");
	}
	if (!ASSERT_OK(tracer__stop(&t), "tracer exits 0 after SIGINT, JSON only"))
		goto out;
	tracer__free(&t);

	/* an address given: [::1] only */
	if (!ASSERT_OK(tracer__start(&t, NULL, args), "start tracer with --metrics [::1]:9465"))
		goto out;
	http_resp__free(&r);
	ASSERT_OK(http_client__get("::1", METRICS_PORT, "/metrics", NULL, HTTP_MS, &r),
		  "GET on ::1");
	ASSERT_EQ(r.status, 200, "GET /metrics on ::1");
	http_resp__free(&r);
	ASSERT_EQ(http_client__get("127.0.0.1", METRICS_PORT, "/metrics", NULL, HTTP_MS, &r),
		  -ECONNREFUSED, "nothing listens on 127.0.0.1 then");
	ASSERT_OK(tracer__stop(&t), "tracer exits 0 after SIGINT, JSON only");
out:
	if (test__failed())
		tracer__dump_stderr(&t);
	http_resp__free(&r);
	http_resp__free(&get);
	tracer__free(&t);
}
