// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* One readable line per record, in the manner of tcplife: times in milliseconds. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include "cgroup.h"
#include "hist.h"
#include "linebuf.h"
#include "port_pressure.h"
#include "record.h"
#include "sink.h"
#include "stuck.h"

#define END_WIDTH 16	/* "expired,restarted" and longer push the CGROUP column right */

static const char *const short_names[TCPC_NR_STATES] = {
	[TCPC_FIN_WAIT1] = "FW1", [TCPC_FIN_WAIT2] = "FW2", [TCPC_CLOSE_WAIT] = "CW",
	[TCPC_LAST_ACK] = "LA", [TCPC_CLOSING] = "CLSG", [TCPC_TIME_WAIT] = "TW",
};

static void print_time(struct sink *s, __u64 mono_ns)
{
	double wall = sink__wall_seconds(s, mono_ns);
	time_t secs = (time_t)wall;
	struct tm tm;
	char buf[16];

	localtime_r(&secs, &tm);
	strftime(buf, sizeof(buf), "%H:%M:%S", &tm);
	fprintf(s->out, "%s.%03d ", buf, (int)((wall - secs) * 1000));
}

static void text_header(struct sink *s)
{
	if (s->timestamp)
		fprintf(s->out, "%-12s ", "TIME");
	fprintf(s->out, "%-7s %-16s %-21s %-21s %-12s %-12s", "PID", "COMM", "LADDR:LPORT",
		"RADDR:RPORT", "ROLE", "CAUSE");
	for (int i = 0; i < TCPC_NR_STATES; i++)
		fprintf(s->out, " %8s", short_names[i]);
	fprintf(s->out, " %5s %-*s %s\n", "FINRT", END_WIDTH, "END", "CGROUP");
}

/*
 * The last column: the container, pod or unit the socket's cgroup shows, else its path, else
 * its id (the cgroup was gone); escaped, as any process may name a cgroup it may create, and
 * cut with "..." past TEXT_CGROUP_LEN.
 */
#define TEXT_CGROUP_LEN 256

static void lb__cgroup(struct linebuf *lb, struct cgroups *cg, __u64 id)
{
	char text[TEXT_CGROUP_LEN], num[32];
	const char *name = num;

	if (cg)
		name = cgroups__name(cg, id);
	else if (id)
		snprintf(num, sizeof(num), "cgroup:%llu", (unsigned long long)id);
	else
		name = "-";
	if (!record__text(name, strlen(name), text, sizeof(text)))
		memcpy(text + strlen(text) - 3, "...", 3);
	lb__str(lb, text, 0);
}

/* "addr:port", or "[addr]:port" for IPv6, left-aligned in a column of 21 */
static void lb__endpoint(struct linebuf *lb, int family, const __u8 *addr, __u16 port)
{
	unsigned int start = lb->len;
	char a[RECORD_ADDR_LEN];

	lb__char(lb, ' ');
	if (family == AF_INET) {
		/* inet_ntop is the slow part of a line: four numbers are quick to write */
		for (int i = 0; i < 4; i++) {
			if (i)
				lb__char(lb, '.');
			lb__uint(lb, addr[i], 0);
		}
	} else {
		record__addr(family, addr, a, sizeof(a));
		lb__char(lb, '[');
		lb__str(lb, a, 0);
		lb__char(lb, ']');
	}
	lb__char(lb, ':');
	lb__uint(lb, port, 0);
	if (lb->len - start < 22)
		lb__pad(lb, 22 - (lb->len - start));
}

static void print_endpoint(struct sink *s, int family, const __u8 *addr, __u16 port)
{
	struct linebuf lb;

	lb__start(&lb);
	lb__endpoint(&lb, family, addr, port);
	lb__write(&lb, s->out);
}

static void text_record(struct sink *s, const struct tcpc_conn *rec)
{
	const char *why = record__rst_reason_name(rec->rst_reason);
	const char *end = record__tw_end_name(rec->tw_end);
	struct linebuf lb;
	char comm[RECORD_COMM_TEXT_LEN];
	unsigned int end_at;

	lb__start(&lb);
	if (s->timestamp)
		print_time(s, rec->end_ns);
	lb__uint(&lb, rec->pid, 7);
	lb__char(&lb, ' ');
	record__comm_text(rec->pid ? rec->comm : "?", comm, sizeof(comm));
	lb__str(&lb, comm, 16);
	lb__endpoint(&lb, rec->family, rec->saddr, rec->sport);
	lb__endpoint(&lb, rec->family, rec->daddr, rec->dport);
	lb__char(&lb, ' ');
	lb__str(&lb, record__role_name(rec->role), 12);
	lb__char(&lb, ' ');
	lb__str(&lb, record__cause_name(rec->cause), 12);
	for (int i = 0; i < TCPC_NR_STATES; i++) {
		__u64 ns = rec->dwell_ns[i];

		lb__char(&lb, ' ');
		if (!record__visited(rec, i))
			lb__str(&lb, "       -", 0);
		else if (ns < 100000000)
			lb__fixed(&lb, (ns + 5000) / 10000, 2, 8);	/* under 100 ms: 0.01 ms */
		else
			lb__fixed(&lb, (ns + 500000) / 1000000, 0, 8);
	}
	lb__char(&lb, ' ');
	lb__fixed(&lb, rec->fin_retrans, 0, 5);
	lb__char(&lb, ' ');
	end_at = lb.len;
	/* END: how the TIME_WAIT ended, else why we reset, else nothing to say */
	lb__str(&lb, end ? end : (why ? why : "-"), 0);
	if (rec->flags & TCPC_F_TW_RESTART) {
		lb__str(&lb, ",restarted", 0);
		if (rec->tw_restarts > 1) {
			lb__char(&lb, ':');
			lb__fixed(&lb, rec->tw_restarts, 0, 0);
		}
	}
	if (rec->flags & TCPC_F_PARTIAL)
		lb__str(&lb, ",partial", 0);
	if (rec->flags & TCPC_F_END_UNSEEN)
		lb__str(&lb, ",end_unseen", 0);
	if (rec->flags & TCPC_F_STATES_LOST)
		lb__str(&lb, ",states_lost", 0);
	if (lb.len - end_at < END_WIDTH)
		lb__pad(&lb, END_WIDTH - (lb.len - end_at));
	lb__char(&lb, ' ');
	lb__cgroup(&lb, s->cgroups, rec->cgroup_id);
	lb__char(&lb, '\n');
	lb__write(&lb, s->out);
}

/* the change, then the socket's cgroup as a record's last column names it */
static void text_transition(struct sink *s, const struct tcpc_transition *t)
{
	bool ka = t->newstate == TCPC_KEEPALIVE_UNANSWERED;
	char comm[RECORD_COMM_TEXT_LEN];
	struct linebuf lb;

	lb__start(&lb);
	if (s->timestamp)
		print_time(s, t->ts_ns);
	record__comm_text(!ka && t->pid ? t->comm : "-", comm, sizeof(comm));
	fprintf(s->out, "%-7u %-16s", ka ? 0 : t->pid, comm);
	print_endpoint(s, t->family, t->saddr, t->sport);
	print_endpoint(s, t->family, t->daddr, t->dport);
	if (ka)
		fprintf(s->out, " keepalive: %u probe(s) unanswered", t->unanswered);
	else
		fprintf(s->out, " %s -> %s", record__tcp_state_name(t->oldstate),
			record__tcp_state_name(t->newstate));
	lb__str(&lb, "  ", 0);
	lb__cgroup(&lb, s->cgroups, t->cgroup_id);
	lb__char(&lb, '\n');
	lb__write(&lb, s->out);
}

static void text_report(struct sink *s, const struct tcpc_report *r)
{
	if (s->timestamp || r->hists)
		print_time(s, r->ts_ns);
	if (r->hists)
		fprintf(s->out, "close-state dwell of connections gone in the last %.1f s\n", r->seconds);
	if (r->gauges) {
		fprintf(s->out, "sockets now:");
		for (int i = 0; i < TCPC_NR_STATES; i++)
			fprintf(s->out, " %s %llu", record__state_name(i),
				(unsigned long long)r->gauges[i]);
		fputc('\n', s->out);
	}
	for (int i = 0; r->hists && i < TCPC_NR_STATES; i++) {
		const struct hist *h = &r->hists[i];

		if (!h->total)
			continue;
		fprintf(s->out, "\n%s: count %llu  p50 %.3f ms  p90 %.3f ms  p99 %.3f ms  max %.3f ms\n",
			record__state_name(i), (unsigned long long)h->total,
			hist__percentile(h, 50) / 1000, hist__percentile(h, 90) / 1000,
			hist__percentile(h, 99) / 1000, h->max_us / 1000.0);
		hist__print_log2(h, s->out);
	}
	fputc('\n', s->out);
}

static void text_stuck(struct sink *s, const struct tcpc_stuck *st, const struct holder *h,
		       int nh, __u64 ts_ns)
{
	char comm[RECORD_COMM_TEXT_LEN];

	if (s->timestamp)
		print_time(s, ts_ns);
	fprintf(s->out, "STUCK %-10s %s%9.1f s", record__tcp_state_name(st->state),
		st->partial ? ">=" : "  ", st->age_ns / 1e9);
	print_endpoint(s, st->family, st->saddr, st->sport);
	print_endpoint(s, st->family, st->daddr, st->dport);
	if (!st->ino) {
		fprintf(s->out, " orphaned (no process holds it)\n");
		return;
	}
	fprintf(s->out, " held by");
	for (int i = 0; i < nh; i++) {
		record__comm_text(h[i].comm, comm, sizeof(comm));
		fprintf(s->out, " %d/%s", h[i].pid, comm);
	}
	if (!nh)
		fprintf(s->out, " ?");
	fputc('\n', s->out);
}

/* "10.0.0.1 -> 10.0.0.2:80", or with [] around IPv6 addresses */
static void print_tuple(struct sink *s, const struct pp_key *k)
{
	char sa[RECORD_ADDR_LEN], da[RECORD_ADDR_LEN];
	bool v6 = k->family == AF_INET6;

	record__addr(k->family, k->saddr, sa, sizeof(sa));
	record__addr(k->family, k->daddr, da, sizeof(da));
	fprintf(s->out, "%s -> %s%s%s:%u", sa, v6 ? "[" : "", da, v6 ? "]" : "", k->dport);
}

static void text_port_pressure(struct sink *s, const struct pp_tuple *t, double threshold)
{
	if (s->timestamp)
		print_time(s, t->ts_ns);
	fprintf(s->out, "PORT_PRESSURE netns %u ", t->key.netns);
	print_tuple(s, &t->key);
	/* the share is of the ports no connect() to it can have: reusable ones are not */
	fprintf(s->out, ": %u of %u local ports held, %u reusable (tcp_tw_reuse): %.1f%% taken (warning from %.0f%%)",
		t->held, t->range, t->reusable, t->ratio * 100, threshold * 100);
	if (!t->rate_known)
		fprintf(s->out, ", rate not known yet\n");
	else if (t->secs_left < 0)
		fprintf(s->out, ", %+.1f/s: not growing\n", t->rate);
	else
		fprintf(s->out, ", %+.1f/s: %.1f s left\n", t->rate, t->secs_left);
}

static void text_summary(struct sink *s, const struct tcpc_stats *st)
{
	fflush(s->out);
	sink__print_lost(st);
}

const struct sink_ops sink_text_ops = {
	.header = text_header,
	.record = text_record,
	.transition = text_transition,
	.report = text_report,
	.stuck = text_stuck,
	.port_pressure = text_port_pressure,
	.summary = text_summary,
};
