// SPDX-License-Identifier: GPL-2.0
/*
 * prom_records: what tcpclose's metrics say against the close records it printed, whether
 * read from /metrics or from a Prometheus that scraped it: the counters by cause, role and
 * end, and every state's dwell-time histogram, bucket by bucket.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "conns.h"
#include "prom_records.h"
#include "test.h"
#include "clock.h"
#include "tracer.h"

/* JSON prints dwell times rounded to the microsecond; the metrics have nanoseconds */
#define PROM_DWELL_SLACK_MS 0.00051

static const char *const prom_states[] = {
	"FIN_WAIT1", "FIN_WAIT2", "CLOSE_WAIT", "LAST_ACK", "CLOSING", "TIME_WAIT",
};

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

/*
 * partial, or its end unseen: its dwells stay out of histograms and metrics (one without its
 * first close states counts the states it visited)
 */
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
	static const char *const reasons[] = { "ringbuf", "tw_map", "ka_map", "unseen",
						"states_lost", "tw_rearm" };
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
	double deadline = clock__now_ms() + timeout_ms;
	json_object **recs;
	int n, closes;

	for (;;) {
		n = conns__records(t, &recs);
		closes = 0;
		for (int i = 0; i < n; i++)
			closes += prom__is_close(recs[i]);
		conns__records_free(recs, n);
		if (closes >= want || clock__now_ms() > deadline)
			return closes;
		clock__sleep_ms(50);
	}
}
