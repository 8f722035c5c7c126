// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * JSON Lines, one object a line, all written by jsonw.h: it escapes every string (a comm can
 * hold anything), and keeps numbers at a fixed precision, not 17 significant digits.
 */
#include <limits.h>
#include <sys/socket.h>
#include "cgroup.h"
#include "hist.h"
#include "jsonw.h"
#include "port_pressure.h"
#include "record.h"
#include "sink.h"
#include "stuck.h"

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

static void jw__str_or_null(struct jsonw *w, const char *key, const char *v)
{
	jw__str(w, key, v && v[0] ? v : NULL);
}

/*
 * The cgroup the socket was made in: its id as the kernel gave it (null if unknown), its path
 * (null if the cgroup was gone when the record was read, or without a cgroup2 mount), and
 * what the path shows: flat fields, as every other of the record, for jq and log queries.
 */
static void jw__cgroup(struct jsonw *w, struct cgroups *cg, __u64 id)
{
	const struct cgroup_info *ci = cg && id ? cgroups__lookup(cg, id) : NULL;
	const struct container *c = ci && ci->path ? &ci->container : NULL;
	char utf8[PATH_MAX * 3 + 1];

	if (id)
		jw__uint(w, "cgroup_id", id);
	else
		jw__null(w, "cgroup_id");
	if (ci && ci->path) {
		/* any byte but '/' and NUL may be in a cgroup's name */
		record__utf8(ci->path, PATH_MAX, utf8, sizeof(utf8));
		jw__str(w, "cgroup", utf8);
	} else {
		jw__null(w, "cgroup");
	}
	jw__str(w, "container_runtime", c ? c->runtime : NULL);
	jw__str_or_null(w, "container_id", c ? c->id : NULL);
	jw__str_or_null(w, "pod_uid", c ? c->pod_uid : NULL);
	if (c && c->unit[0]) {
		record__utf8(c->unit, sizeof(c->unit), utf8, sizeof(utf8));
		jw__str(w, "unit", utf8);
	} else {
		jw__null(w, "unit");
	}
}

/* nanoseconds as milliseconds with microseconds, truncated as --hist buckets them */
static void jw__ms(struct jsonw *w, const char *key, __u64 ns)
{
	jw__fixed(w, key, ns / 1000, 3);
}

static void json_record(struct sink *s, const struct tcpc_conn *rec)
{
	struct jsonw w;

	jw__start(&w, s->out);
	jw__open(&w, '{');
	jw__str(&w, "type", "close");
	jw__time(&w, "ts", s, rec->end_ns);
	jw__endpoints(&w, rec->family, rec->saddr, rec->sport, rec->daddr, rec->dport,
		      rec->netns);
	jw__task(&w, rec->pid, rec->comm);
	jw__cgroup(&w, s->cgroups, rec->cgroup_id);
	jw__str(&w, "role", record__role_name(rec->role));
	jw__str(&w, "cause", record__cause_name(rec->cause));
	jw__str(&w, "rst_reason", record__rst_reason_name(rec->rst_reason));
	jw__key(&w, "states");
	jw__open(&w, '[');
	for (int i = 0; i < TCPC_NR_STATES && rec->order[i] < TCPC_NR_STATES; i++) {
		jw__sep(&w);
		jw__string(&w, record__state_name(rec->order[i]));
	}
	jw__close(&w, ']');
	jw__key(&w, "dwell_ms");
	jw__open(&w, '{');
	for (int i = 0; i < TCPC_NR_STATES && rec->order[i] < TCPC_NR_STATES; i++)
		jw__ms(&w, record__state_name(rec->order[i]), rec->dwell_ns[rec->order[i]]);
	jw__close(&w, '}');
	jw__u32_if(&w, "fin_seq", rec->flags & TCPC_F_OUR_FIN, rec->fin_seq);
	jw__u32_if(&w, "fin_ack", rec->flags & TCPC_F_OUR_FIN, rec->fin_ack);
	jw__u32_if(&w, "peer_fin_seq", rec->flags & TCPC_F_PEER_FIN, rec->peer_fin_seq);
	jw__u32_if(&w, "peer_fin_ack", rec->flags & TCPC_F_PEER_FIN, rec->peer_fin_ack);
	jw__uint(&w, "halfclosed_bytes", rec->halfclosed_bytes);
	jw__uint(&w, "fin_retrans", rec->fin_retrans);
	jw__uint(&w, "keepalive_probes", rec->keepalive_probes);
	jw__uint(&w, "keepalive_unanswered", rec->keepalive_unanswered);
	jw__str(&w, "tw_end", record__tw_end_name(rec->tw_end));
	jw__uint(&w, "tw_restarts", rec->tw_restarts);
	if (rec->flags & TCPC_F_TW_RESTART) {
		/* when, counted from the start of TIME_WAIT */
		__u64 tw_start = rec->end_ns - rec->dwell_ns[TCPC_TIME_WAIT];

		jw__ms(&w, "tw_restart_first_ms", rec->tw_restart_first_ns - tw_start);
		jw__ms(&w, "tw_restart_last_ms", rec->tw_restart_last_ns - tw_start);
	} else {
		jw__null(&w, "tw_restart_first_ms");
		jw__null(&w, "tw_restart_last_ms");
	}
	jw__bool(&w, "partial", rec->flags & TCPC_F_PARTIAL);
	jw__bool(&w, "end_unseen", rec->flags & TCPC_F_END_UNSEEN);
	jw__bool(&w, "states_lost", rec->flags & TCPC_F_STATES_LOST);
	/* a timewait socket found at start-up: what its timer had left then */
	if (rec->tw_left_ns)
		jw__ms(&w, "tw_left_ms", rec->tw_left_ns);
	else
		jw__null(&w, "tw_left_ms");
	jw__ms(&w, "duration_ms", rec->end_ns - rec->start_ns);
	jw__close(&w, '}');
	jw__line(&w, s->out);
}

static void json_transition(struct sink *s, const struct tcpc_transition *t)
{
	struct jsonw w;

	jw__start(&w, NULL);
	jw__open(&w, '{');
	jw__str(&w, "type", "transition");
	jw__time(&w, "ts", s, t->ts_ns);
	jw__endpoints(&w, t->family, t->saddr, t->sport, t->daddr, t->dport, t->netns);
	if (t->newstate == TCPC_KEEPALIVE_UNANSWERED) {
		/* a keepalive probe went unanswered: no process made that happen */
		jw__str(&w, "event", "keepalive_unanswered");
		jw__uint(&w, "unanswered", t->unanswered);
	} else {
		jw__task(&w, t->pid, t->comm);
		jw__str(&w, "oldstate", record__tcp_state_name(t->oldstate));
		jw__str(&w, "newstate", record__tcp_state_name(t->newstate));
	}
	jw__cgroup(&w, s->cgroups, t->cgroup_id);
	jw__close(&w, '}');
	jw__line(&w, s->out);
}

/* a histogram: its percentiles, and its buckets in microseconds so that anyone can recompute */
static void jw__hist(struct jsonw *w, const char *key, const struct hist *h)
{
	__u64 lo, hi;

	jw__key(w, key);
	jw__open(w, '{');
	jw__uint(w, "count", h->total);
	jw__double(w, "p50_ms", hist__percentile(h, 50) / 1000, "%.3f");
	jw__double(w, "p90_ms", hist__percentile(h, 90) / 1000, "%.3f");
	jw__double(w, "p99_ms", hist__percentile(h, 99) / 1000, "%.3f");
	jw__double(w, "max_ms", h->max_us / 1000.0, "%.3f");
	jw__key(w, "buckets_us");
	jw__open(w, '[');
	for (unsigned int i = 0; i < TCPC_HIST_BUCKETS; i++) {
		if (!h->counts[i])
			continue;
		hist__bounds(i, &lo, &hi);
		jw__sep(w);
		jw__open(w, '[');
		jw__sep(w);
		lb__uint(&w->lb, lo, 0);
		jw__sep(w);
		lb__uint(&w->lb, hi, 0);
		jw__sep(w);
		lb__uint(&w->lb, h->counts[i], 0);
		jw__close(w, ']');
	}
	jw__close(w, ']');
	jw__close(w, '}');
}

static void json_report(struct sink *s, const struct tcpc_report *r)
{
	struct jsonw w;

	jw__start(&w, s->out);
	jw__open(&w, '{');
	jw__str(&w, "type", r->hists ? "hist" : "gauges");
	jw__double(&w, "ts", sink__wall_seconds(s, r->ts_ns), "%.6f");
	jw__double(&w, "interval_s", r->seconds, "%.3f");
	if (r->gauges) {
		jw__key(&w, "now");
		jw__open(&w, '{');
		for (int i = 0; i < TCPC_NR_STATES; i++)
			jw__uint(&w, record__state_name(i), r->gauges[i]);
		jw__close(&w, '}');
	}
	if (r->hists) {
		jw__key(&w, "states");
		jw__open(&w, '{');
		for (int i = 0; i < TCPC_NR_STATES; i++)
			jw__hist(&w, record__state_name(i), &r->hists[i]);
		jw__close(&w, '}');
	}
	jw__close(&w, '}');
	jw__line(&w, s->out);
}

static void json_stuck(struct sink *s, const struct tcpc_stuck *st, const struct holder *h,
		       int nh, __u64 ts_ns)
{
	char utf8[RECORD_COMM_UTF8_LEN];
	struct jsonw w;

	jw__start(&w, s->out);
	jw__open(&w, '{');
	jw__str(&w, "type", "stuck");
	jw__double(&w, "ts", sink__wall_seconds(s, ts_ns), "%.6f");
	jw__str(&w, "state", record__tcp_state_name(st->state));
	jw__double(&w, "age_ms", st->age_ns / 1e6, "%.3f");
	jw__endpoints(&w, st->family, st->saddr, st->sport, st->daddr, st->dport, st->netns);
	jw__task(&w, st->pid, st->comm);
	jw__key(&w, "holders");
	jw__open(&w, '[');
	for (int i = 0; i < nh; i++) {
		jw__sep(&w);
		jw__open(&w, '{');
		jw__uint(&w, "pid", h[i].pid);
		record__comm_utf8(h[i].comm, utf8, sizeof(utf8));
		jw__str(&w, "comm", utf8);
		jw__close(&w, '}');
	}
	jw__close(&w, ']');
	jw__bool(&w, "orphaned", !st->ino);
	jw__bool(&w, "partial", st->partial);
	jw__close(&w, '}');
	jw__line(&w, s->out);
}

static void json_port_pressure(struct sink *s, const struct pp_tuple *t, double threshold)
{
	struct jsonw w;
	char a[RECORD_ADDR_LEN];

	jw__start(&w, NULL);
	jw__open(&w, '{');
	jw__str(&w, "type", "port_pressure");
	jw__time(&w, "ts", s, t->ts_ns);
	jw__ms(&w, "walk_ms", t->walk_ns);
	jw__uint(&w, "family", t->key.family == AF_INET6 ? 6 : 4);
	record__addr(t->key.family, t->key.saddr, a, sizeof(a));
	jw__str(&w, "saddr", a);
	record__addr(t->key.family, t->key.daddr, a, sizeof(a));
	jw__str(&w, "daddr", a);
	jw__uint(&w, "dport", t->key.dport);
	jw__uint(&w, "netns", t->key.netns);
	jw__uint(&w, "ports_held", t->held);
	jw__uint(&w, "ports_reusable", t->reusable);
	jw__uint(&w, "ports_range", t->range);
	jw__uint(&w, "port_range_lo", t->port_lo);
	jw__uint(&w, "port_range_hi", t->port_hi);
	jw__uint(&w, "tw_reuse", t->tw_reuse);
	jw__double(&w, "ratio", t->ratio, "%.4f");
	jw__double(&w, "threshold", threshold, "%.4f");
	if (t->rate_known)
		jw__double(&w, "rate_per_s", t->rate, "%.3f");
	else
		jw__null(&w, "rate_per_s");
	if (t->rate_known && t->secs_left >= 0)
		jw__double(&w, "seconds_left", t->secs_left, "%.3f");
	else
		jw__null(&w, "seconds_left");
	jw__close(&w, '}');
	jw__line(&w, s->out);
}

static void json_summary(struct sink *s, const struct tcpc_stats *st)
{
	struct jsonw w;

	jw__start(&w, NULL);
	jw__open(&w, '{');
	jw__str(&w, "type", "lost");
	jw__uint(&w, "delivered", st->records);
	jw__uint(&w, "ringbuf", st->drops[TCPC_DROP_RINGBUF]);
	jw__uint(&w, "map_full", st->drops[TCPC_DROP_TW_MAP] + st->drops[TCPC_DROP_KA_MAP]);
	jw__uint(&w, "tw_map", st->drops[TCPC_DROP_TW_MAP]);
	jw__uint(&w, "ka_map", st->drops[TCPC_DROP_KA_MAP]);
	jw__uint(&w, "states_lost", st->drops[TCPC_DROP_STATES_LOST]);
	jw__uint(&w, "late", st->drops[TCPC_DROP_LATE]);
	jw__uint(&w, "unseen", st->drops[TCPC_DROP_UNSEEN]);
	jw__uint(&w, "state_missed", st->state_missed);
	jw__uint(&w, "other_missed", st->other_missed);
	jw__uint(&w, "tw_followed", st->tw_live);
	jw__uint(&w, "tw_bytes", st->tw_bytes);
	jw__uint(&w, "tw_heads", st->tw_heads);
	jw__uint(&w, "tw_head_bytes", st->tw_head_bytes);
	jw__uint(&w, "join_lost", st->join_lost);
	jw__uint(&w, "tw_unfollowed", st->tw_unfollowed);
	jw__uint(&w, "tw_rearm", st->drops[TCPC_DROP_TW_SEEN]);
	jw__uint(&w, "unwritten", st->unwritten);
	jw__uint(&w, "unwritten_other", st->unwritten_other);
	jw__close(&w, '}');
	jw__line(&w, s->out);
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
	.port_pressure = json_port_pressure,
	.summary = json_summary,
};
