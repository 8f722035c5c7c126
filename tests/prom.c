// SPDX-License-Identifier: GPL-2.0
/*
 * prom: parse what tcpclose serves at /metrics, and run a real Prometheus (the Debian
 * package) that scrapes it, so a test can compare what Prometheus stored with the records.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <json-c/json.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "conns.h"
#include "http_client.h"
#include "prom.h"
#include "test.h"
#include "tracer.h"

#define PROM_HTTP_TIMEOUT_MS 10000
#define PROM_STOP_MS 10000
#define PROM_POLL_MS 200
/* JSON prints dwell times rounded to the microsecond; the metrics have nanoseconds */
#define PROM_DWELL_SLACK_MS 0.00051

static const char *const prom_states[] = {
	"FIN_WAIT1", "FIN_WAIT2", "CLOSE_WAIT", "LAST_ACK", "CLOSING", "TIME_WAIT",
};

static double prom__now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void prom__sleep_ms(int ms)
{
	nanosleep(&(struct timespec){ .tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000L },
		  NULL);
}

static int prom_vec__add(struct prom_vec *v, const struct prom_sample *s)
{
	struct prom_sample *p = realloc(v->v, (v->n + 1) * sizeof(*p));

	if (!p)
		return -ENOMEM;
	v->v = p;
	v->v[v->n++] = *s;
	return 0;
}

void prom_vec__free(struct prom_vec *v)
{
	free(v->v);
	v->v = NULL;
	v->n = 0;
}

const char *prom_sample__label(const struct prom_sample *s, const char *name)
{
	for (int i = 0; i < s->nlabels; i++) {
		if (!strcmp(s->labels[i].name, name))
			return s->labels[i].value;
	}
	return NULL;
}

/* the sample named name (any name if NULL) with every label=value pair given, NULL-ended */
const struct prom_sample *prom_vec__find(const struct prom_vec *v, const char *name, ...)
{
	const char *label, *want, *got;
	bool match;
	va_list ap;

	for (int i = 0; i < v->n; i++) {
		if (name && strcmp(v->v[i].name, name))
			continue;
		match = true;
		va_start(ap, name);
		while (match && (label = va_arg(ap, const char *))) {
			want = va_arg(ap, const char *);
			got = prom_sample__label(&v->v[i], label);
			match = got && !strcmp(got, want);
		}
		va_end(ap);
		if (match)
			return &v->v[i];
	}
	return NULL;
}

/* all the samples of one name added up, whatever their labels */
double prom_vec__sum(const struct prom_vec *v, const char *name)
{
	double sum = 0;

	for (int i = 0; i < v->n; i++) {
		if (!strcmp(v->v[i].name, name))
			sum += v->v[i].value;
	}
	return sum;
}

static bool prom__is_close(json_object *rec)
{
	const char *type = json__str(rec, "type");

	return type && !strcmp(type, "close");
}

/* close records with this field equal to value (a string), or non-null if value is NULL */
static int prom__count_str(const struct tracer *t, const char *key, const char *value,
			   const char *key2, const char *value2)
{
	const char *got;
	int n = 0;

	for (int i = 0; i < t->nrecs; i++) {
		if (!prom__is_close(t->recs[i]))
			continue;
		got = json__str(t->recs[i], key);
		if (!got || (value && strcmp(got, value)))
			continue;
		got = key2 ? json__str(t->recs[i], key2) : NULL;
		n += !key2 || (got && !strcmp(got, value2));
	}
	return n;
}

static long long prom__sum_int(const struct tracer *t, const char *key)
{
	long long sum = 0;

	for (int i = 0; i < t->nrecs; i++) {
		if (prom__is_close(t->recs[i]))
			sum += json__int(t->recs[i], key, 0);
	}
	return sum;
}

/* partial, or its end unseen: its dwells stay out of histograms and metrics */
static bool prom__partial(json_object *rec)
{
	json_object *v;

	return (json_object_object_get_ex(rec, "partial", &v) && json_object_get_boolean(v)) ||
	       (json_object_object_get_ex(rec, "end_unseen", &v) && json_object_get_boolean(v));
}

/* records that go into the histograms: whole ones that visited state, for at most max_ms */
static int prom__count_dwell(const struct tracer *t, const char *state, double max_ms,
			     double *sum_ms)
{
	json_object *rec;
	double ms;
	int n = 0;

	if (sum_ms)
		*sum_ms = 0;
	for (int i = 0; i < t->nrecs; i++) {
		rec = t->recs[i];
		if (!prom__is_close(rec) || prom__partial(rec) || !json__has_state(rec, state))
			continue;
		ms = json__dwell(rec, state);
		if (ms > max_ms)
			continue;
		n++;
		if (sum_ms)
			*sum_ms += ms;
	}
	return n;
}

static bool prom__check_hist(const struct prom_vec *v, const struct tracer *t,
			     const char *state, const char *what)
{
	const struct prom_sample *s;
	double le, sum_ms;
	int lo, hi, n, buckets = 0;
	char msg[192];

	n = prom__count_dwell(t, state, INFINITY, &sum_ms);
	s = prom_vec__find(v, "tcpclose_close_state_seconds_count", "state", state, NULL);
	snprintf(msg, sizeof(msg), "%s: tcpclose_close_state_seconds_count{state=\"%s\"}", what,
		 state);
	if (!ASSERT_NOT_NULL(s, msg) || !ASSERT_EQ(s->value, n, msg))
		return false;
	s = prom_vec__find(v, "tcpclose_close_state_seconds_sum", "state", state, NULL);
	snprintf(msg, sizeof(msg), "%s: tcpclose_close_state_seconds_sum{state=\"%s\"}", what,
		 state);
	/* each record rounded once in JSON, the sum once in the exposition */
	if (!ASSERT_NOT_NULL(s, msg) ||
	    !ASSERT_NEAR(s->value, sum_ms / 1e3, (n * PROM_DWELL_SLACK_MS) / 1e3 + 1e-6, msg))
		return false;
	for (int i = 0; i < v->n; i++) {
		s = &v->v[i];
		if (strcmp(s->name, "tcpclose_close_state_seconds_bucket") ||
		    strcmp(prom_sample__label(s, "state") ?: "", state))
			continue;
		buckets++;
		le = strtod(prom_sample__label(s, "le") ?: "nan", NULL);
		/* a dwell within a rounding of the bound may fall on either side */
		lo = prom__count_dwell(t, state, le * 1e3 - PROM_DWELL_SLACK_MS, NULL);
		hi = prom__count_dwell(t, state, le * 1e3 + PROM_DWELL_SLACK_MS, NULL);
		if (!test__check(s->value >= lo && s->value <= hi, __FILE__, __LINE__,
				 "%s: tcpclose_close_state_seconds_bucket{state=\"%s\",le=\"%s\"}: "
				 "got %.0f want %d (%d with dwells %.1f us from the bound)",
				 what, state, prom_sample__label(s, "le"), s->value, lo, hi,
				 PROM_DWELL_SLACK_MS * 1e3))
			return false;
	}
	snprintf(msg, sizeof(msg), "%s: buckets of state %s (with +Inf)", what, state);
	return ASSERT_GE(buckets, 2, msg) &&
	       ASSERT_NOT_NULL(prom_vec__find(v, "tcpclose_close_state_seconds_bucket", "state",
					      state, "le", "+Inf", NULL), msg);
}

/*
 * What tcpclose served (a parsed /metrics, or what Prometheus stored) against the close
 * records of the same run: closes by role and cause, FIN retransmits, keepalive probes,
 * TIME_WAIT ends, and every histogram's count, sum and buckets (partial records left
 * out); with_lost, the loss counters against the "lost" record too.
 */
bool prom_vec__check_records(const struct prom_vec *v, const struct tracer *t, bool with_lost,
			     const char *what)
{
	static const char *const reasons[] = { "ringbuf", "conn_map", "tw_map", "unseen" };
	const struct prom_sample *s;
	const char *role, *cause, *end;
	json_object *lost;
	char msg[192];
	bool ok = true;
	double total = 0;
	size_t i;

	for (int k = 0; k < v->n; k++) {
		s = &v->v[k];
		if (strcmp(s->name, "tcpclose_connections_closed_total"))
			continue;
		role = prom_sample__label(s, "role") ?: "(none)";
		cause = prom_sample__label(s, "cause") ?: "(none)";
		snprintf(msg, sizeof(msg), "%s: closed_total{role=\"%s\",cause=\"%s\"}", what,
			 role, cause);
		ok &= ASSERT_EQ(s->value, prom__count_str(t, "role", role, "cause", cause), msg);
		total += s->value;
	}
	snprintf(msg, sizeof(msg), "%s: all of closed_total against the close records", what);
	ok &= ASSERT_EQ(total, prom__count_str(t, "type", "close", NULL, NULL), msg);

	s = prom_vec__find(v, "tcpclose_fin_retransmits_total", NULL);
	snprintf(msg, sizeof(msg), "%s: tcpclose_fin_retransmits_total against fin_retrans", what);
	ok &= ASSERT_NOT_NULL(s, msg) && ASSERT_EQ(s->value, prom__sum_int(t, "fin_retrans"), msg);
	s = prom_vec__find(v, "tcpclose_keepalive_probes_total", NULL);
	snprintf(msg, sizeof(msg), "%s: tcpclose_keepalive_probes_total against keepalive_probes",
		 what);
	ok &= ASSERT_NOT_NULL(s, msg) &&
	      ASSERT_EQ(s->value, prom__sum_int(t, "keepalive_probes"), msg);

	total = 0;
	for (int k = 0; k < v->n; k++) {
		s = &v->v[k];
		if (strcmp(s->name, "tcpclose_timewait_ends_total"))
			continue;
		end = prom_sample__label(s, "end") ?: "(none)";
		snprintf(msg, sizeof(msg), "%s: timewait_ends_total{end=\"%s\"}", what, end);
		ok &= ASSERT_EQ(s->value, prom__count_str(t, "tw_end", end, NULL, NULL), msg);
		total += s->value;
	}
	snprintf(msg, sizeof(msg), "%s: all of timewait_ends_total against records with tw_end",
		 what);
	ok &= ASSERT_EQ(total, prom__count_str(t, "tw_end", NULL, NULL, NULL), msg);

	lost = with_lost ? tracer__lost(t) : NULL;
	if (with_lost)
		ok &= ASSERT_NOT_NULL(lost, "a \"lost\" record at exit");
	for (i = 0; lost && i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		s = prom_vec__find(v, "tcpclose_events_lost_total", "reason", reasons[i], NULL);
		snprintf(msg, sizeof(msg), "%s: events_lost_total{reason=\"%s\"} against \"lost\"",
			 what, reasons[i]);
		ok &= ASSERT_NOT_NULL(s, msg) &&
		      ASSERT_EQ(s->value, json__int(lost, reasons[i], -1), msg);
	}
	for (i = 0; i < sizeof(prom_states) / sizeof(prom_states[0]); i++)
		ok &= prom__check_hist(v, t, prom_states[i], what);
	return ok;
}

/*
 * Until the running tracer has printed at least want close records (what a scrape must
 * then count) or timeout_ms has passed; how many it has printed.
 */
int prom__wait_closes(const struct tracer *t, int want, int timeout_ms)
{
	double deadline = prom__now_ms() + timeout_ms;
	json_object **recs;
	int n, closes;

	for (;;) {
		n = conns__records(t, &recs);
		closes = 0;
		for (int i = 0; i < n; i++)
			closes += prom__is_close(recs[i]);
		conns__records_free(recs, n);
		if (closes >= want || prom__now_ms() > deadline)
			return closes;
		prom__sleep_ms(50);
	}
}

static bool prom__name_char(char c, bool first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
	       (!first && c >= '0' && c <= '9');
}

/* one sample line of the text format: name{label="value",...} value [timestamp] */
static const char *prom_text__sample(const char *p, struct prom_sample *s)
{
	struct prom_label *l;
	size_t n = 0;
	char *end;

	memset(s, 0, sizeof(*s));
	while (prom__name_char(p[n], !n))
		n++;
	if (!n || n >= sizeof(s->name))
		return "bad metric name";
	memcpy(s->name, p, n);
	p += n;
	if (*p == '{') {
		for (p++; *p != '}';) {
			if (s->nlabels == PROM_MAX_LABELS)
				return "too many labels";
			l = &s->labels[s->nlabels++];
			for (n = 0; prom__name_char(p[n], !n) && p[n] != ':'; n++)
				;
			if (!n || n >= sizeof(l->name) || p[n] != '=' || p[n + 1] != '"')
				return "bad label name";
			memcpy(l->name, p, n);
			p += n + 2;
			for (n = 0; *p != '"'; p++) {
				if (!*p || n + 1 >= sizeof(l->value))
					return "unterminated or long label value";
				if (*p != '\\') {
					l->value[n++] = *p;
					continue;
				}
				p++;
				if (*p != '\\' && *p != '"' && *p != 'n')
					return "bad escape in a label value";
				l->value[n++] = *p == 'n' ? '\n' : *p;
			}
			p++;
			if (*p == ',')
				p++;
			else if (*p != '}')
				return "no ',' or '}' after a label";
		}
		p++;
	}
	if (*p != ' ')
		return "no space before the value";
	while (*p == ' ')
		p++;
	s->value = strtod(p, &end);
	if (end == p || (*end && *end != ' '))
		return "bad value";
	for (p = end; *p == ' '; p++)
		;
	if (*p) {
		strtod(p, &end);
		if (end == p || *end)
			return "bad timestamp";
	}
	return NULL;
}

/*
 * Every sample of a text exposition into out; comments (# HELP, # TYPE, # EOF) are
 * skipped. A malformed line fails the whole text, with its reason and the line in err.
 */
int prom_text__parse(const char *text, size_t len, struct prom_vec *out, char *err,
		     size_t err_size)
{
	const char *p = text, *end = text + len, *eol, *why;
	struct prom_sample s;
	char line[4096];
	size_t n;

	memset(out, 0, sizeof(*out));
	for (; p < end; p = eol + 1) {
		eol = memchr(p, '\n', end - p);
		if (!eol) {
			snprintf(err, err_size, "text does not end with a newline: '%.80s'", p);
			return -EBADMSG;
		}
		n = eol - p;
		if (!n || *p == '#')
			continue;
		if (n >= sizeof(line)) {
			snprintf(err, err_size, "line of %zu bytes", n);
			return -EBADMSG;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		why = prom_text__sample(line, &s);
		if (!why && prom_vec__add(out, &s))
			return -ENOMEM;
		if (why) {
			snprintf(err, err_size, "%s: '%.200s'", why, line);
			return -EBADMSG;
		}
	}
	return 0;
}

static int prom__write_config(const struct prom *p, const char *target)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/prometheus.yml", p->dir);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	/* every second, so a test waits seconds, not minutes, for its samples */
	fprintf(f,
		"global:\n"
		"  scrape_interval: 1s\n"
		"  scrape_timeout: 1s\n"
		"  evaluation_interval: 1s\n"
		"scrape_configs:\n"
		"  - job_name: %s\n"
		"    static_configs:\n"
		"      - targets: ['%s']\n",
		p->job, target);
	return fclose(f) ? -errno : 0;
}

static bool prom__installed(char *path, size_t size)
{
	char *dirs = strdup(getenv("PATH") ?: "/usr/bin:/bin"), *dir, *save = NULL;
	bool found = false;

	for (dir = strtok_r(dirs, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
		snprintf(path, size, "%s/prometheus", dir);
		found = !access(path, X_OK);
	}
	free(dirs);
	return found;
}

/*
 * Start Prometheus on 127.0.0.1:port of the current network namespace, scraping target
 * ("ADDR:PORT") as job every second, with its data in a fresh directory under /tmp.
 */
int prom__start(struct prom *p, unsigned short port, const char *job, const char *target)
{
	char bin[256], config[128], storage[128], listen[64], log[128];
	int fd, err;

	memset(p, 0, sizeof(*p));
	p->port = port;
	snprintf(p->job, sizeof(p->job), "%s", job);
	if (!prom__installed(bin, sizeof(bin))) {
		printf("prom: no prometheus in PATH: apt-get install prometheus\n");
		return -ENOENT;
	}
	snprintf(p->dir, sizeof(p->dir), "/tmp/tcpclose-prom-XXXXXX");
	if (!mkdtemp(p->dir)) {
		p->dir[0] = '\0';
		return -errno;
	}
	err = prom__write_config(p, target);
	if (err)
		return err;
	snprintf(config, sizeof(config), "--config.file=%s/prometheus.yml", p->dir);
	snprintf(storage, sizeof(storage), "--storage.tsdb.path=%s/data", p->dir);
	snprintf(listen, sizeof(listen), "--web.listen-address=127.0.0.1:%u", port);
	snprintf(log, sizeof(log), "%s/log", p->dir);
	fflush(NULL);
	p->pid = fork();
	if (p->pid < 0) {
		p->pid = 0;
		return -errno;
	}
	if (p->pid == 0) {
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		execl(bin, bin, config, storage, listen, (char *)NULL);
		fprintf(stderr, "exec %s: %s\n", bin, strerror(errno));
		_exit(127);
	}
	return 0;
}

void prom__dump_log(const struct prom *p)
{
	char path[128], line[1024];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "%s/log", p->dir);
	f = fopen(path, "r");
	if (!f)
		return;
	printf("prometheus log (%s, last lines):\n", path);
	while (fgets(line, sizeof(line), f))
		n++;
	rewind(f);
	for (int i = 0; fgets(line, sizeof(line), f); i++) {
		if (i >= n - 20)
			printf("  %s", line);
	}
	fclose(f);
}

static bool prom__alive(struct prom *p)
{
	int status;

	if (!p->pid)
		return false;
	if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
		printf("prom: prometheus exited (status 0x%x)\n", status);
		p->pid = 0;
		return false;
	}
	return true;
}

/* GET an API path; its JSON, with "status":"success", or NULL */
static json_object *prom__api(struct prom *p, const char *target)
{
	struct http_resp resp = {};
	json_object *o = NULL, *status;
	char req[8192];
	int n;

	/* HTTP/1.0: Go then answers without chunks and closes when done */
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: 127.0.0.1:%u\r\n\r\n", target,
		     p->port);
	if (n >= (int)sizeof(req))
		return NULL;
	if (!http_client__request("127.0.0.1", p->port, req, n, PROM_HTTP_TIMEOUT_MS, &resp) &&
	    resp.status == 200 && http_resp__body(&resp))
		o = json_tokener_parse(http_resp__body(&resp));
	if (o && (!json_object_object_get_ex(o, "status", &status) ||
		  strcmp(json_object_get_string(status), "success"))) {
		json_object_put(o);
		o = NULL;
	}
	http_resp__free(&resp);
	return o;
}

/* the scrape target's health ("up", "down", "unknown") and its last error */
static bool prom__target(struct prom *p, char *health, size_t hsize, char *error, size_t esize)
{
	json_object *o = prom__api(p, "/api/v1/targets"), *data, *targets, *t, *v;
	bool found = false;

	if (o && json_object_object_get_ex(o, "data", &data) &&
	    json_object_object_get_ex(data, "activeTargets", &targets) &&
	    json_object_array_length(targets) > 0) {
		t = json_object_array_get_idx(targets, 0);
		found = true;
		snprintf(health, hsize, "%s", json_object_object_get_ex(t, "health", &v) ?
			 json_object_get_string(v) : "?");
		snprintf(error, esize, "%s", json_object_object_get_ex(t, "lastError", &v) ?
			 json_object_get_string(v) : "");
	}
	json_object_put(o);
	return found;
}

/* until Prometheus answers and has scraped its target successfully */
int prom__wait_up(struct prom *p, int timeout_ms)
{
	double start = prom__now_ms(), deadline = start + timeout_ms;
	char health[16] = "", error[256] = "";

	for (;;) {
		if (!prom__alive(p)) {
			prom__dump_log(p);
			return -ECHILD;
		}
		if (prom__target(p, health, sizeof(health), error, sizeof(error)) &&
		    !strcmp(health, "up"))
			break;
		if (prom__now_ms() > deadline) {
			printf("prom: target not up within %d s: health '%s', last error '%s'\n",
			       timeout_ms / 1000, health, error);
			prom__dump_log(p);
			return -ETIMEDOUT;
		}
		prom__sleep_ms(PROM_POLL_MS);
	}
	printf("prom: prometheus up and scraping after %.1f s\n",
	       (prom__now_ms() - start) / 1e3);
	return 0;
}

static int prom__add_result(struct prom_vec *out, json_object *metric, json_object *value)
{
	struct prom_sample s = {};
	struct prom_label *l;
	json_object *ts, *val;

	if (!value || json_object_array_length(value) != 2)
		return -EBADMSG;
	if (metric) {
		json_object_object_foreach(metric, key, v) {
			if (!strcmp(key, "__name__")) {
				snprintf(s.name, sizeof(s.name), "%s", json_object_get_string(v));
				continue;
			}
			if (s.nlabels == PROM_MAX_LABELS)
				return -E2BIG;
			l = &s.labels[s.nlabels++];
			snprintf(l->name, sizeof(l->name), "%s", key);
			snprintf(l->value, sizeof(l->value), "%s", json_object_get_string(v));
		}
	}
	ts = json_object_array_get_idx(value, 0);
	val = json_object_array_get_idx(value, 1);
	s.ts = json_object_get_double(ts);
	/* values come as strings: "1", "+Inf", "NaN" */
	s.value = strtod(json_object_get_string(val), NULL);
	return prom_vec__add(out, &s);
}

/* an instant query at the present; its samples (a vector or one scalar) into out */
int prom__query(struct prom *p, const char *expr, struct prom_vec *out)
{
	json_object *o, *data, *type, *result, *r, *metric, *value;
	char enc[4096], target[4200];
	int err = 0;

	memset(out, 0, sizeof(*out));
	if (http_client__urlencode(expr, enc, sizeof(enc)) >= sizeof(enc))
		return -E2BIG;
	snprintf(target, sizeof(target), "/api/v1/query?query=%s", enc);
	o = prom__api(p, target);
	if (!o || !json_object_object_get_ex(o, "data", &data) ||
	    !json_object_object_get_ex(data, "resultType", &type) ||
	    !json_object_object_get_ex(data, "result", &result)) {
		json_object_put(o);
		return -EIO;
	}
	if (!strcmp(json_object_get_string(type), "scalar")) {
		err = prom__add_result(out, NULL, result);
	} else if (!strcmp(json_object_get_string(type), "vector")) {
		for (size_t i = 0; i < json_object_array_length(result) && !err; i++) {
			r = json_object_array_get_idx(result, i);
			json_object_object_get_ex(r, "metric", &metric);
			json_object_object_get_ex(r, "value", &value);
			err = prom__add_result(out, metric, value);
		}
	} else {
		err = -EPROTO;
	}
	json_object_put(o);
	if (err)
		prom_vec__free(out);
	return err;
}

/*
 * Until n scrapes of the target have started after the wall-clock time after (seconds):
 * what the target served by then is in them. Scrapes are told apart by the time of their
 * "up" sample.
 */
int prom__wait_scrapes(struct prom *p, int n, double after, int timeout_ms)
{
	double deadline = prom__now_ms() + timeout_ms, last = after;
	struct prom_vec v;
	char expr[128];
	int seen = 0;

	snprintf(expr, sizeof(expr), "timestamp(up{job=\"%s\"})", p->job);
	while (seen < n) {
		if (!prom__alive(p))
			return -ECHILD;
		if (!prom__query(p, expr, &v)) {
			if (v.n == 1 && v.v[0].value > last) {
				last = v.v[0].value;
				seen++;
			}
			prom_vec__free(&v);
		}
		if (seen >= n)
			break;
		if (prom__now_ms() > deadline) {
			printf("prom: %d of %d scrapes within %d s\n", seen, n, timeout_ms / 1000);
			return -ETIMEDOUT;
		}
		prom__sleep_ms(PROM_POLL_MS);
	}
	return 0;
}

static int prom__rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	remove(path);
	return 0;
}

void prom__stop(struct prom *p)
{
	double deadline = prom__now_ms() + PROM_STOP_MS;

	if (p->pid > 0) {
		kill(p->pid, SIGTERM);
		while (waitpid(p->pid, NULL, WNOHANG) == 0) {
			if (prom__now_ms() > deadline) {
				kill(p->pid, SIGKILL);
				waitpid(p->pid, NULL, 0);
				break;
			}
			prom__sleep_ms(20);
		}
		p->pid = 0;
	}
	if (p->dir[0])
		nftw(p->dir, prom__rm, 16, FTW_DEPTH | FTW_PHYS);
	p->dir[0] = '\0';
}
