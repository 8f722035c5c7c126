// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* check_compare: a record's fields by name, --expect overrides, and the comparison itself */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check_expect.h"
#include "check_ladder.h"
#include "record.h"

static const char *const field_names[CHECK_NR_FIELDS] = {
	[CHECK_ROLE] = "role",
	[CHECK_CAUSE] = "cause",
	[CHECK_RST_REASON] = "rst_reason",
	[CHECK_TW_END] = "tw_end",
	[CHECK_COMM] = "comm",
	[CHECK_STATES] = "states",
	[CHECK_FIN_RETRANS] = "fin_retrans",
	[CHECK_KA_PROBES] = "keepalive_probes",
	[CHECK_KA_UNANSWERED] = "keepalive_unanswered",
	[CHECK_HALFCLOSED] = "halfclosed_bytes",
	[CHECK_FIN_SEQ] = "fin_seq",
	[CHECK_FIN_ACK] = "fin_ack",
	[CHECK_PEER_FIN_SEQ] = "peer_fin_seq",
	[CHECK_PEER_FIN_ACK] = "peer_fin_ack",
	[CHECK_TW_RESTARTS] = "tw_restarts",
	[CHECK_END_MS] = "end_ms",
};

const char *check_expect__field_name(enum check_field f)
{
	if (f >= CHECK_DWELL && f < CHECK_DWELL + TCPC_NR_STATES)
		return record__state_name(f - CHECK_DWELL);
	return f < CHECK_NR_FIELDS ? field_names[f] : NULL;
}

static bool field__is_name(enum check_field f)
{
	return f <= CHECK_STATES;
}

static bool field__is_ms(enum check_field f)
{
	return f >= CHECK_DWELL;
}

/* "FIN_WAIT1,FIN_WAIT2,TIME_WAIT", or "-" for none */
static void states__format(const struct tcpc_conn *rec, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (int i = 0; i < TCPC_NR_STATES && rec->order[i] < TCPC_NR_STATES && o < len; i++)
		o += snprintf(buf + o, len - o, "%s%s", i ? "," : "",
			      record__state_name(rec->order[i]));
	if (!buf[0])
		snprintf(buf, len, "-");
}

/* a record's value of field f: a name in buf, or *num; false if it has none (a state not
 * visited, a FIN it did not see) */
static bool field__get(enum check_field f, const struct tcpc_conn *rec, __u64 mark_ns, char *buf,
		       size_t len, double *num)
{
	const char *name = NULL;

	switch (f) {
	case CHECK_ROLE:
		name = record__role_name(rec->role);
		break;
	case CHECK_CAUSE:
		name = record__cause_name(rec->cause);
		break;
	case CHECK_RST_REASON:
		name = record__rst_reason_name(rec->rst_reason);
		break;
	case CHECK_TW_END:
		name = record__tw_end_name(rec->tw_end);
		break;
	case CHECK_COMM:
		name = rec->comm[0] ? rec->comm : NULL;
		break;
	case CHECK_STATES:
		states__format(rec, buf, len);
		return true;
	case CHECK_FIN_RETRANS:
		*num = rec->fin_retrans;
		return true;
	case CHECK_KA_PROBES:
		*num = rec->keepalive_probes;
		return true;
	case CHECK_KA_UNANSWERED:
		*num = rec->keepalive_unanswered;
		return true;
	case CHECK_HALFCLOSED:
		*num = rec->halfclosed_bytes;
		return true;
	/* CHECK_NO_FIN: the record has no such FIN */
	case CHECK_FIN_SEQ:
	case CHECK_FIN_ACK:
		*num = !(rec->flags & TCPC_F_OUR_FIN) ? CHECK_NO_FIN :
		       f == CHECK_FIN_SEQ ? rec->fin_seq : rec->fin_ack;
		return true;
	case CHECK_PEER_FIN_SEQ:
	case CHECK_PEER_FIN_ACK:
		*num = !(rec->flags & TCPC_F_PEER_FIN) ? CHECK_NO_FIN :
		       f == CHECK_PEER_FIN_SEQ ? rec->peer_fin_seq : rec->peer_fin_ack;
		return true;
	case CHECK_TW_RESTARTS:
		*num = rec->tw_restarts;
		return true;
	case CHECK_END_MS:
		*num = ((double)rec->end_ns - (double)mark_ns) / 1e6;
		return true;
	default:
		if (!record__visited(rec, f - CHECK_DWELL))
			return false;
		*num = record__dwell_ms(rec, f - CHECK_DWELL);
		return true;
	}
	snprintf(buf, len, "%s", name ? name : "-");
	return true;
}

static void num__format(double v, bool ms, char *buf, size_t len)
{
	if (!ms && v == CHECK_NO_FIN)
		snprintf(buf, len, "none");
	else if (ms)
		snprintf(buf, len, "%.1f ms", v);
	else
		snprintf(buf, len, "%.0f", v);
}

static void want__format(const struct check_want *w, bool name, bool ms, char *buf, size_t len)
{
	char lo[32], hi[32];

	if (name) {
		snprintf(buf, len, "%s", w->name);
		return;
	}
	num__format(w->lo, ms, lo, sizeof(lo));
	num__format(w->hi, ms, hi, sizeof(hi));
	if (w->lo == w->hi)
		snprintf(buf, len, "%s", lo);
	else if (isinf(w->hi))
		snprintf(buf, len, "at least %s", lo);
	else
		snprintf(buf, len, "%s to %s", lo, hi);
}

static bool want__holds(const struct check_want *w, bool name, const char *got, double num)
{
	if (name)
		return !strcmp(got, w->name);
	return num >= w->lo && num <= w->hi;
}

static void diff__add(struct check_diffs *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void diff__add(struct check_diffs *d, const char *fmt, ...)
{
	va_list ap;

	if (d->n == CHECK_MAX_DIFFS) {
		d->more++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(d->line[d->n++], CHECK_DIFF_LEN, fmt, ap);
	va_end(ap);
}

static void end__compare(const struct check_expect *e, const struct check_end *x,
			 const struct tcpc_conn *rec, struct check_diffs *d)
{
	char got[96], want[96];
	double num = 0;

	for (int f = 0; f < CHECK_NR_FIELDS; f++) {
		const struct check_want *w = &x->want[f];
		bool name = field__is_name(f), ms = field__is_ms(f);

		if (!w->set)
			continue;
		if (!field__get(f, rec, e->mark_ns, got, sizeof(got), &num)) {
			snprintf(got, sizeof(got), "not visited");
		} else if (want__holds(w, name, got, num)) {
			continue;
		} else if (!name) {
			num__format(num, ms, got, sizeof(got));
		}
		want__format(w, name, ms, want, sizeof(want));
		diff__add(d, "%s.%s: got %s, want %s", x->name, check_expect__field_name(f), got,
			  want);
	}
}

void check_expect__describe_end(const struct check_end *x, char *buf, size_t len)
{
	char want[96];
	size_t o = 0;

	buf[0] = '\0';
	for (int f = 0; f < CHECK_NR_FIELDS && o < len; f++) {
		const struct check_want *w = &x->want[f];

		if (!w->set)
			continue;
		want__format(w, field__is_name(f), field__is_ms(f), want, sizeof(want));
		o += snprintf(buf + o, len - o, "%s%s %s", o ? ", " : "",
			      check_expect__field_name(f), want);
	}
}

void check_expect__describe(const struct tcpc_conn *rec, __u64 mark_ns, char *buf, size_t len)
{
	const char *rst = record__rst_reason_name(rec->rst_reason);
	const char *tw = record__tw_end_name(rec->tw_end);
	size_t o;

	o = snprintf(buf, len, "%u>%u %s %s %s", rec->sport, rec->dport,
		     rec->comm[0] ? rec->comm : "-", record__role_name(rec->role),
		     record__cause_name(rec->cause));
	if (rst && o < len)
		o += snprintf(buf + o, len - o, " (%s)", rst);
	for (int i = 0; i < TCPC_NR_STATES && rec->order[i] < TCPC_NR_STATES && o < len; i++)
		o += snprintf(buf + o, len - o, "%s%s %.2f", i ? ", " : " states ",
			      record__state_name(rec->order[i]),
			      record__dwell_ms(rec, rec->order[i]));
	if (o < len)
		o += snprintf(buf + o, len - o, "%s tw_end %s fin_retrans %u keepalive %u/%u%s%s",
			      rec->order[0] < TCPC_NR_STATES ? " ms," : " no close states,",
			      tw ? tw : "-", rec->fin_retrans, rec->keepalive_probes,
			      rec->keepalive_unanswered,
			      rec->flags & TCPC_F_PARTIAL ? " partial" : "",
			      rec->flags & TCPC_F_END_UNSEEN ? " end_unseen" : "");
	if (rec->flags & TCPC_F_TW_RESTART && o < len)
		o += snprintf(buf + o, len - o, " tw_restarts %u", rec->tw_restarts);
	if (mark_ns && o < len)
		snprintf(buf + o, len - o, " end_ms %.1f", ((double)rec->end_ns - mark_ns) / 1e6);
}

/* a difference check_wire found in the times of one end's record */
struct wire_diff_ctx {
	struct check_diffs *d;
	const char *end;
};

static void wire__diff(void *ctx, const char *line)
{
	struct wire_diff_ctx *w = ctx;

	if (w->end)
		diff__add(w->d, "%s.%s", w->end, line);
	else
		diff__add(w->d, "%s", line);
}

__u64 check_expect__began(const struct tcpc_conn *rec)
{
	return rec->order[0] < TCPC_NR_STATES ? rec->start_ns : rec->end_ns;
}

/*
 * The record of end x: of the unclaimed ones with its ports, the earliest to begin closing.
 * Ends that share ports (connect() reused a 4-tuple) are listed in the order their
 * connections came; their records need not arrive in it (a TIME_WAIT that connect() took
 * over may be settled after the next connection's record was sent). n if there is none.
 */
static int rec__first(const struct tcpc_conn *recs, int n, const bool *claimed,
		      const struct check_end *x)
{
	int best = n;

	for (int i = 0; i < n; i++) {
		if (claimed[i] || recs[i].sport != x->lport || recs[i].dport != x->rport)
			continue;
		if (best == n || check_expect__began(&recs[i]) < check_expect__began(&recs[best]))
			best = i;
	}
	return best;
}

/* the how-manieth end with x's ports: the connection of them it is, from 0 */
static int end__nth(const struct check_expect *e, int k)
{
	int nth = 0;

	for (int m = 0; m < k; m++)
		nth += e->ends[m].lport == e->ends[k].lport && e->ends[m].rport == e->ends[k].rport;
	return nth;
}

void check_expect__pair(const struct check_expect *e, const struct tcpc_conn *recs, int n,
			int *end_of, int *nth_of)
{
	bool *claimed = calloc(n > 0 ? n : 1, sizeof(*claimed));

	for (int i = 0; i < n; i++)
		end_of[i] = nth_of[i] = -1;
	if (!claimed)
		return;
	for (int k = 0; k < e->nr_ends; k++) {
		int i = rec__first(recs, n, claimed, &e->ends[k]);

		if (i == n)
			continue;
		claimed[i] = true;
		end_of[i] = k;
		nth_of[i] = end__nth(e, k);
	}
	free(claimed);
}

int check_expect__compare(const struct check_expect *e, const struct tcpc_conn *recs, int n,
			  const struct nstat *delta, const struct check_evidence *ev,
			  struct check_diffs *d)
{
	bool *claimed = calloc(n > 0 ? n : 1, sizeof(*claimed));
	char want[96], desc[256];
	int i, extra = 0, shown = 0;
	long long got;

	memset(d, 0, sizeof(*d));
	if (!claimed) {
		diff__add(d, "out of memory comparing records");
		return d->n;
	}
	for (int k = 0; k < e->nr_ends; k++) {
		const struct check_end *x = &e->ends[k];

		i = rec__first(recs, n, claimed, x);
		if (i == n) {
			diff__add(d, "%s: no close record (local port %u, remote port %u)", x->name,
				  x->lport, x->rport);
			continue;
		}
		claimed[i] = true;
		end__compare(e, x, &recs[i], d);
		if (ev && ev->wire) {
			struct wire_diff_ctx ctx = { d, x->name };

			check_wire__judge(ev->wire, &recs[i], end__nth(e, k), ev->arrived_ns[i],
					  ev->base_ns, wire__diff, &ctx);
			check_ladder__judge(ev->wire, &recs[i], end__nth(e, k), ev->arrived_ns[i],
					    ev->base_ns, wire__diff, &ctx, NULL);
		}
	}
	if (ev && ev->wire) {
		struct wire_diff_ctx ctx = { d, NULL };

		check_timers__judge(ev->wire, &e->timers, wire__diff, &ctx);
	}
	for (i = 0; i < n; i++)
		extra += !claimed[i];
	if (e->extra.set && !want__holds(&e->extra, false, NULL, extra)) {
		want__format(&e->extra, false, false, want, sizeof(want));
		diff__add(d, "extra: got %d records no end claims, want %s", extra, want);
		for (i = 0; i < n && shown < 3; i++) {
			if (claimed[i])
				continue;
			check_expect__describe(&recs[i], e->mark_ns, desc, sizeof(desc));
			diff__add(d, "extra: %s", desc);
			shown++;
		}
	}
	for (int k = 0; k < e->nr_counters; k++) {
		const struct check_counter *c = &e->counters[k];

		if (!c->want.set)
			continue;
		got = nstat__get(delta, c->name);
		if (want__holds(&c->want, false, NULL, got))
			continue;
		want__format(&c->want, false, false, want, sizeof(want));
		diff__add(d, "%s: got %lld, want %s", c->name, got, want);
	}
	free(claimed);
	return d->n + d->more;
}

/* --expect */

/* is name one of the names table(i) gives for i = 0, 1, ... until "unknown"? ("-": none) */
static bool name__known(const char *(*table)(int), const char *name, bool none_ok)
{
	const char *s;

	if (!strcmp(name, "-"))
		return none_ok;
	for (int i = 0; i < 64; i++) {
		s = table(i);
		if (s && !strcmp(s, "unknown"))
			break;
		if (s && !strcmp(s, name))
			return true;
	}
	return false;
}

static const char *role_name(int i) { return record__role_name(i); }
static const char *cause_name(int i) { return record__cause_name(i); }
static const char *rst_name(int i) { return i ? record__rst_reason_name(i) : NULL; }
static const char *tw_name(int i) { return i ? record__tw_end_name(i) : NULL; }
static const char *state_name(int i)
{
	return i < TCPC_NR_STATES ? record__state_name(i) : "unknown";
}

static bool states__known(const char *value)
{
	char copy[64], *tok, *save = NULL;

	if (!strcmp(value, "-"))
		return true;
	if (strlen(value) >= sizeof(copy))
		return false;
	strcpy(copy, value);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (!name__known(state_name, tok, false))
			return false;
	return copy[0] && value[strlen(value) - 1] != ',';
}

static bool value__name_ok(enum check_field f, const char *v)
{
	switch (f) {
	case CHECK_ROLE:
		return name__known(role_name, v, false);
	case CHECK_CAUSE:
		return name__known(cause_name, v, false);
	case CHECK_RST_REASON:
		return name__known(rst_name, v, true);
	case CHECK_TW_END:
		return name__known(tw_name, v, true);
	case CHECK_COMM:
		/* any process name the kernel keeps (TASK_COMM_LEN), or "-" */
		return v[0] && strlen(v) < TCPC_COMM_LEN;
	default:
		return states__known(v);
	}
}

/* one whole text as a number */
static bool value__number(const char *v, size_t len, double *num)
{
	char buf[32], *end;

	if (!len || len >= sizeof(buf))
		return false;
	memcpy(buf, v, len);
	buf[len] = '\0';
	*num = strtod(buf, &end);
	return !*end && !isnan(*num) && !isinf(*num);
}

/* "N", "LO..HI" or "LO..": a number or a range */
static bool value__range(const char *v, double *lo, double *hi)
{
	const char *dots = strstr(v, "..");

	if (!dots)
		return value__number(v, strlen(v), lo) && (*hi = *lo, true);
	if (!value__number(v, dots - v, lo))
		return false;
	if (!dots[2]) {
		*hi = INFINITY;
		return true;
	}
	return value__number(dots + 2, strlen(dots + 2), hi) && *hi >= *lo;
}

static struct check_want *override__counter(struct check_expect *e, const char *name)
{
	struct check_counter *c;

	for (int k = 0; k < e->nr_counters; k++)
		if (!strcmp(e->counters[k].name, name))
			return &e->counters[k].want;
	if (e->nr_counters == CHECK_MAX_COUNTERS || strlen(name) >= sizeof(c->name))
		return NULL;
	c = &e->counters[e->nr_counters++];
	snprintf(c->name, sizeof(c->name), "%s", name);
	return &c->want;
}

/* a counter as nstat(8) names it: a capital letter, then letters and digits */
static bool counter__name_ok(const char *s)
{
	if (!isupper((unsigned char)*s))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s))
			return false;
	return true;
}

static void ends__list(const struct check_expect *e, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (int k = 0; k < e->nr_ends && o < len; k++)
		o += snprintf(buf + o, len - o, "%s%s", k ? ", " : "", e->ends[k].name);
}

int check_expect__override(struct check_expect *e, const char *path, const char *value,
			   char *err, size_t len)
{
	const char *dot = strchr(path, '.');
	enum check_field f = CHECK_FIN_RETRANS;
	struct check_want *w = NULL;
	char ends[128];
	int k;

	if (!dot && !strcmp(path, "extra")) {
		w = &e->extra;
	} else if (!dot && counter__name_ok(path)) {
		w = override__counter(e, path);
		if (!w) {
			snprintf(err, len, "too many counters for scenario '%s'", e->scenario);
			return -EINVAL;
		}
	} else if (dot) {
		for (k = 0; k < e->nr_ends; k++)
			if (strlen(e->ends[k].name) == (size_t)(dot - path) &&
			    !strncmp(e->ends[k].name, path, dot - path))
				break;
		if (k == e->nr_ends) {
			ends__list(e, ends, sizeof(ends));
			snprintf(err, len, "scenario '%s' has no end '%.*s' (its ends: %s)",
				 e->scenario, (int)(dot - path), path, ends);
			return -EINVAL;
		}
		for (f = 0; f < CHECK_NR_FIELDS; f++)
			if (!strcmp(check_expect__field_name(f), dot + 1))
				break;
		if (f == CHECK_NR_FIELDS) {
			snprintf(err, len, "no field '%s': give role, cause, rst_reason, tw_end, comm, states, fin_retrans, keepalive_probes, keepalive_unanswered, halfclosed_bytes, fin_seq, fin_ack, peer_fin_seq, peer_fin_ack, tw_restarts, end_ms, or a state (FIN_WAIT1 ... TIME_WAIT) for its ms",
				 dot + 1);
			return -EINVAL;
		}
		w = &e->ends[k].want[f];
	} else {
		snprintf(err, len, "'%s' is not END.FIELD (client.role), a counter (TcpExtTW) or extra",
			 path);
		return -EINVAL;
	}

	if (!strcmp(value, "*")) {
		w->set = false;
		return 0;
	}
	if (dot && field__is_name(f)) {
		if (!value__name_ok(f, value) || strlen(value) >= sizeof(w->name)) {
			snprintf(err, len, "'%s' is not a value of %s (see tcpclose --help for the names; '-' for none)",
				 value, check_expect__field_name(f));
			return -EINVAL;
		}
		snprintf(w->name, sizeof(w->name), "%s", value);
	} else if (!value__range(value, &w->lo, &w->hi)) {
		snprintf(err, len, "'%s' is not a number, LO..HI, LO.. or *", value);
		return -EINVAL;
	}
	w->set = true;
	return 0;
}
