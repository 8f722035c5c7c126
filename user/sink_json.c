// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* JSON Lines, built with json-c so that every string (a comm can hold anything) is escaped. */
#include <json-c/json.h>
#include <sys/socket.h>
#include "hist.h"
#include "jsonw.h"
#include "record.h"
#include "sink.h"
#include "stuck.h"

static void put(struct sink *s, json_object *o)
{
	fputs(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), s->out);
	fputc('\n', s->out);
	json_object_put(o);
}

/* a number printed with a fixed precision, not json-c's 17 significant digits */
static json_object *number(double v, const char *fmt)
{
	char buf[32];

	snprintf(buf, sizeof(buf), fmt, v);
	return json_object_new_double_s(v, buf);
}

static json_object *ms(double v)
{
	return number(v, "%.3f");	/* microseconds */
}

static void add_endpoints(json_object *o, int family, const __u8 *saddr, __u16 sport,
			  const __u8 *daddr, __u16 dport)
{
	char a[RECORD_ADDR_LEN];

	json_object_object_add(o, "family", json_object_new_int(family == 10 ? 6 : 4));
	record__addr(family, saddr, a, sizeof(a));
	json_object_object_add(o, "saddr", json_object_new_string(a));
	json_object_object_add(o, "sport", json_object_new_int(sport));
	record__addr(family, daddr, a, sizeof(a));
	json_object_object_add(o, "daddr", json_object_new_string(a));
	json_object_object_add(o, "dport", json_object_new_int(dport));
}

/* a comm is up to 15 bytes of whatever the process chose: keep it a valid JSON string */
static json_object *comm_string(const char *comm, bool known)
{
	char buf[RECORD_COMM_UTF8_LEN];

	if (!known)
		return NULL;
	record__comm_utf8(comm, buf, sizeof(buf));
	return json_object_new_string(buf);
}

/* a CLOCK_MONOTONIC time as wall-clock seconds with microseconds */
static void jw__time(struct jsonw *w, const char *key, const struct sink *s, __u64 mono_ns)
{
	jw__fixed(w, key, ((long long)mono_ns + s->mono_to_real_ns) / 1000, 6);
}

static void jw__endpoints(struct jsonw *w, int family, const __u8 *saddr, __u16 sport,
			  const __u8 *daddr, __u16 dport, __u32 netns)
{
	char a[RECORD_ADDR_LEN];

	jw__uint(w, "family", family == AF_INET6 ? 6 : 4);
	record__addr(family, saddr, a, sizeof(a));
	jw__str(w, "saddr", a);
	jw__uint(w, "sport", sport);
	record__addr(family, daddr, a, sizeof(a));
	jw__str(w, "daddr", a);
	jw__uint(w, "dport", dport);
	jw__uint(w, "netns", netns);
}

static void jw__task(struct jsonw *w, __u32 pid, const char *comm)
{
	char utf8[RECORD_COMM_UTF8_LEN];

	jw__uint(w, "pid", pid);
	if (pid) {
		record__comm_utf8(comm, utf8, sizeof(utf8));
		jw__str(w, "comm", utf8);
	} else {
		jw__null(w, "comm");
	}
}

static void jw__u32_if(struct jsonw *w, const char *key, bool valid, __u32 v)
{
	if (valid)
		jw__uint(w, key, v);
	else
		jw__null(w, key);
}

/* nanoseconds as milliseconds with microseconds, truncated as --hist buckets them */
static void jw__ms(struct jsonw *w, const char *key, __u64 ns)
{
	jw__fixed(w, key, ns / 1000, 3);
}

static void json_record(struct sink *s, const struct tc_conn *rec)
{
	struct jsonw w = {};

	jw__open(&w, '{');
	jw__str(&w, "type", "close");
	jw__time(&w, "ts", s, rec->end_ns);
	jw__endpoints(&w, rec->family, rec->saddr, rec->sport, rec->daddr, rec->dport,
		      rec->netns);
	jw__task(&w, rec->pid, rec->comm);
	jw__str(&w, "role", record__role_name(rec->role));
	jw__str(&w, "cause", record__cause_name(rec->cause));
	jw__str(&w, "rst_reason", record__rst_reason_name(rec->rst_reason));
	jw__key(&w, "states");
	jw__open(&w, '[');
	for (int i = 0; i < TC_NR_STATES && rec->order[i] < TC_NR_STATES; i++) {
		jw__sep(&w);
		jw__string(&w, record__state_name(rec->order[i]));
	}
	jw__close(&w, ']');
	jw__key(&w, "dwell_ms");
	jw__open(&w, '{');
	for (int i = 0; i < TC_NR_STATES && rec->order[i] < TC_NR_STATES; i++)
		jw__ms(&w, record__state_name(rec->order[i]), rec->dwell_ns[rec->order[i]]);
	jw__close(&w, '}');
	jw__u32_if(&w, "fin_seq", rec->flags & TC_F_OUR_FIN, rec->fin_seq);
	jw__u32_if(&w, "fin_ack", rec->flags & TC_F_OUR_FIN, rec->fin_ack);
	jw__u32_if(&w, "peer_fin_seq", rec->flags & TC_F_PEER_FIN, rec->peer_fin_seq);
	jw__u32_if(&w, "peer_fin_ack", rec->flags & TC_F_PEER_FIN, rec->peer_fin_ack);
	jw__uint(&w, "halfclosed_bytes", rec->halfclosed_bytes);
	jw__uint(&w, "fin_retrans", rec->fin_retrans);
	jw__uint(&w, "keepalive_probes", rec->keepalive_probes);
	jw__uint(&w, "keepalive_unanswered", rec->keepalive_unanswered);
	jw__str(&w, "tw_end", record__tw_end_name(rec->tw_end));
	if (rec->flags & TC_F_TW_RESTART)
		/* when, counted from the start of TIME_WAIT */
		jw__ms(&w, "tw_restart_ms",
		       rec->tw_restart_ns - (rec->end_ns - rec->dwell_ns[TC_TIME_WAIT]));
	else
		jw__null(&w, "tw_restart_ms");
	jw__bool(&w, "partial", rec->flags & TC_F_PARTIAL);
	jw__bool(&w, "end_unseen", rec->flags & TC_F_END_UNSEEN);
	/* a timewait socket found at start-up: what its timer had left then */
	if (rec->tw_left_ns)
		jw__ms(&w, "tw_left_ms", rec->tw_left_ns);
	else
		jw__null(&w, "tw_left_ms");
	jw__ms(&w, "duration_ms", rec->end_ns - rec->start_ns);
	jw__close(&w, '}');
	jw__line(&w, s->out);
}

static void json_transition(struct sink *s, const struct tc_transition *t)
{
	struct jsonw w = {};

	jw__open(&w, '{');
	jw__str(&w, "type", "transition");
	jw__time(&w, "ts", s, t->ts_ns);
	jw__endpoints(&w, t->family, t->saddr, t->sport, t->daddr, t->dport, t->netns);
	if (t->newstate == TC_KEEPALIVE_UNANSWERED) {
		/* a keepalive probe went unanswered: pid carries how many are now */
		jw__str(&w, "event", "keepalive_unanswered");
		jw__uint(&w, "unanswered", t->pid);
	} else {
		jw__task(&w, t->pid, t->comm);
		jw__str(&w, "oldstate", record__tcp_state_name(t->oldstate));
		jw__str(&w, "newstate", record__tcp_state_name(t->newstate));
	}
	jw__close(&w, '}');
	jw__line(&w, s->out);
}

static json_object *hist_object(const struct hist *h)
{
	json_object *o = json_object_new_object(), *buckets = json_object_new_array();
	__u64 lo, hi;

	json_object_object_add(o, "count", json_object_new_int64(h->total));
	json_object_object_add(o, "p50_ms", ms(hist__percentile(h, 50) / 1000));
	json_object_object_add(o, "p90_ms", ms(hist__percentile(h, 90) / 1000));
	json_object_object_add(o, "p99_ms", ms(hist__percentile(h, 99) / 1000));
	json_object_object_add(o, "max_ms", ms(h->max_us / 1000.0));
	/* the buckets themselves, in microseconds, so that anyone can recompute */
	for (unsigned int i = 0; i < TC_HIST_BUCKETS; i++) {
		json_object *b;

		if (!h->counts[i])
			continue;
		hist__bounds(i, &lo, &hi);
		b = json_object_new_array();
		json_object_array_add(b, json_object_new_int64(lo));
		json_object_array_add(b, json_object_new_int64(hi));
		json_object_array_add(b, json_object_new_int64(h->counts[i]));
		json_object_array_add(buckets, b);
	}
	json_object_object_add(o, "buckets_us", buckets);
	return o;
}

static void json_report(struct sink *s, const struct tc_report *r)
{
	json_object *o = json_object_new_object(), *now, *states;

	json_object_object_add(o, "type", json_object_new_string(r->hists ? "hist" : "gauges"));
	json_object_object_add(o, "ts", number(sink__wall_seconds(s, r->ts_ns), "%.6f"));
	json_object_object_add(o, "interval_s", number(r->seconds, "%.3f"));
	if (r->gauges) {
		now = json_object_new_object();
		for (int i = 0; i < TC_NR_STATES; i++)
			json_object_object_add(now, record__state_name(i),
					       json_object_new_int64(r->gauges[i]));
		json_object_object_add(o, "now", now);
	}
	if (r->hists) {
		states = json_object_new_object();
		for (int i = 0; i < TC_NR_STATES; i++)
			json_object_object_add(states, record__state_name(i),
					       hist_object(&r->hists[i]));
		json_object_object_add(o, "states", states);
	}
	put(s, o);
}

static void json_stuck(struct sink *s, const struct tc_stuck *st, const struct holder *h,
		       int nh, __u64 ts_ns)
{
	json_object *o = json_object_new_object(), *holders = json_object_new_array();

	json_object_object_add(o, "type", json_object_new_string("stuck"));
	json_object_object_add(o, "ts", number(sink__wall_seconds(s, ts_ns), "%.6f"));
	json_object_object_add(o, "state",
			       json_object_new_string(record__tcp_state_name(st->state)));
	json_object_object_add(o, "age_ms", ms(st->age_ns / 1e6));
	add_endpoints(o, st->family, st->saddr, st->sport, st->daddr, st->dport);
	json_object_object_add(o, "netns", json_object_new_int64(st->netns));
	json_object_object_add(o, "pid", json_object_new_int64(st->pid));
	json_object_object_add(o, "comm", comm_string(st->comm, st->pid));
	for (int i = 0; i < nh; i++) {
		json_object *one = json_object_new_object();

		json_object_object_add(one, "pid", json_object_new_int64(h[i].pid));
		json_object_object_add(one, "comm", comm_string(h[i].comm, true));
		json_object_array_add(holders, one);
	}
	json_object_object_add(o, "holders", holders);
	json_object_object_add(o, "orphaned", json_object_new_boolean(!st->ino));
	json_object_object_add(o, "partial", json_object_new_boolean(st->partial));
	put(s, o);
}

static void json_summary(struct sink *s, const struct tc_stats *st)
{
	json_object *o = json_object_new_object();
	__u64 map_full = st->drops[TC_DROP_CONN_MAP] + st->drops[TC_DROP_TW_MAP];

	json_object_object_add(o, "type", json_object_new_string("lost"));
	json_object_object_add(o, "records", json_object_new_int64(st->records));
	json_object_object_add(o, "ringbuf", json_object_new_int64(st->drops[TC_DROP_RINGBUF]));
	json_object_object_add(o, "map_full", json_object_new_int64(map_full));
	json_object_object_add(o, "conn_map", json_object_new_int64(st->drops[TC_DROP_CONN_MAP]));
	json_object_object_add(o, "tw_map", json_object_new_int64(st->drops[TC_DROP_TW_MAP]));
	json_object_object_add(o, "late", json_object_new_int64(st->drops[TC_DROP_LATE]));
	json_object_object_add(o, "unseen", json_object_new_int64(st->drops[TC_DROP_UNSEEN]));
	json_object_object_add(o, "state_missed", json_object_new_int64(st->state_missed));
	json_object_object_add(o, "other_missed", json_object_new_int64(st->other_missed));
	json_object_object_add(o, "tw_followed", json_object_new_int64(st->tw_live));
	json_object_object_add(o, "tw_bytes", json_object_new_int64(st->tw_bytes));
	put(s, o);
}

static void json_header(struct sink *s)
{
}

const struct sink_ops sink_json_ops = {
	.header = json_header,
	.record = json_record,
	.transition = json_transition,
	.report = json_report,
	.stuck = json_stuck,
	.summary = json_summary,
};
