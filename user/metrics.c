// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "metrics.h"
#include "record.h"

/*
 * Seconds. Fine below a second for FIN_WAIT1 and LAST_ACK (a round trip, a delayed ACK, a
 * tail-loss probe), and fine around 60 s for TIME_WAIT: it lasts 60 s plus up to one
 * timer-wheel granule (2.05 s at HZ=250, 4.1 s at HZ=1000).
 */
const double metrics_buckets[METRICS_NR_BUCKETS] = {
	0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
	59.5, 60, 60.25, 60.5, 61, 61.5, 62, 62.5, 63, 64, 65, 70, 90, 120, 300, 600,
};

void metrics__init(struct metrics *m)
{
	memset(m, 0, sizeof(*m));
	pthread_mutex_init(&m->lock, NULL);
}

static int bucket_of(double seconds)
{
	int lo = 0, hi = METRICS_NR_BUCKETS;

	/* the first bound >= seconds ("le"), or METRICS_NR_BUCKETS for +Inf */
	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (metrics_buckets[mid] >= seconds)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

void metrics__record(struct metrics *m, const struct tcpc_conn *rec)
{
	pthread_mutex_lock(&m->lock);
	if (rec->role < METRICS_NR_ROLES && rec->cause < METRICS_NR_CAUSES)
		m->closes[rec->role][rec->cause]++;
	m->fin_retrans += rec->fin_retrans;
	m->keepalive_probes += rec->keepalive_probes;
	if (rec->tw_end && rec->tw_end < METRICS_NR_TW_ENDS)
		m->tw_ends[rec->tw_end]++;
	/* as for --hist: a partial record's dwell is only a lower bound, an unseen end's none */
	for (int s = 0; s < TCPC_NR_STATES && record__dwells_whole(rec); s++) {
		/* whole microseconds, as the JSON records and --hist count them */
		double secs = (rec->dwell_ns[s] / 1000) / 1e6;

		if (!record__visited(rec, s))
			continue;
		m->buckets[s][bucket_of(secs)]++;
		m->sum_seconds[s] += secs;
		m->count[s]++;
	}
	pthread_mutex_unlock(&m->lock);
}

void metrics__set_drops(struct metrics *m, const __u64 drops[TCPC_NR_DROPS])
{
	pthread_mutex_lock(&m->lock);
	memcpy(m->drops, drops, sizeof(m->drops));
	pthread_mutex_unlock(&m->lock);
}

void metrics__set_gauges(struct metrics *m, const __u64 gauges[TCPC_NR_STATES])
{
	pthread_mutex_lock(&m->lock);
	if (gauges)
		memcpy(m->gauges, gauges, sizeof(m->gauges));
	m->gauges_known = gauges != NULL;
	pthread_mutex_unlock(&m->lock);
}

void metrics__set_port_pressure(struct metrics *m, const struct pp_tuple *const *t, int n)
{
	pthread_mutex_lock(&m->lock);
	m->npp = 0;
	for (int i = 0; t && i < n && i < METRICS_PP_TOP; i++)
		m->pp[m->npp++] = *t[i];
	m->pp_known = t != NULL;
	pthread_mutex_unlock(&m->lock);
}

/* OpenMetrics names a counter family without "_total"; the 0.0.4 format with it */
static void family(FILE *f, bool om, const char *name, const char *type, const char *help)
{
	size_t n = strlen(name);

	if (om && !strcmp(type, "counter") && n > 6 && !strcmp(name + n - 6, "_total"))
		n -= 6;
	fprintf(f, "# HELP %.*s %s\n# TYPE %.*s %s\n", (int)n, name, help, (int)n, name, type);
}

static const char *const drop_names[TCPC_NR_DROPS] = {
	[TCPC_DROP_RINGBUF] = "ringbuf", [TCPC_DROP_TW_MAP] = "tw_map",
	[TCPC_DROP_KA_MAP] = "ka_map", [TCPC_DROP_UNSEEN] = "unseen",
	[TCPC_DROP_STATES_LOST] = "states_lost", [TCPC_DROP_TW_SEEN] = "tw_rearm",
};

/* a tuple's labels: addresses as inet_ntop writes them, nothing to escape */
static void pp_labels(FILE *f, const struct pp_tuple *t)
{
	char sa[RECORD_ADDR_LEN], da[RECORD_ADDR_LEN];

	record__addr(t->key.family, t->key.saddr, sa, sizeof(sa));
	record__addr(t->key.family, t->key.daddr, da, sizeof(da));
	fprintf(f, "{netns=\"%u\",saddr=\"%s\",daddr=\"%s\",dport=\"%u\"}", t->key.netns, sa, da,
		t->key.dport);
}

/* the port-pressure families, each over the same tuples */
static const struct {
	const char *name, *help;
} pp_families[] = {
	{ "tcpclose_port_pressure_ratio",
	  "Share of the local ports connect() picks from that no new connection to this destination can have now, for the 10 worst (source, destination, port) tuples." },
	{ "tcpclose_port_pressure_ports_held",
	  "Local ports held towards this destination, of those connect() picks from, TIME_WAIT included (the same 10 tuples)." },
	{ "tcpclose_port_pressure_ports_reusable",
	  "Of them, TIME_WAIT ports tcp_tw_reuse lets connect() take now (the same 10 tuples)." },
	{ "tcpclose_port_pressure_ports_range",
	  "Local ports connect() picks from in the namespace: ip_local_port_range less ip_local_reserved_ports (the same 10 tuples)." },
};

static void render_port_pressure(FILE *f, bool om, const struct metrics *m)
{
	for (int v = 0; v < 4; v++) {
		family(f, om, pp_families[v].name, "gauge", pp_families[v].help);
		for (int i = 0; i < m->npp; i++) {
			const struct pp_tuple *t = &m->pp[i];

			fputs(pp_families[v].name, f);
			pp_labels(f, t);
			if (!v)
				fprintf(f, " %.4f\n", t->ratio);
			else
				fprintf(f, " %u\n", v == 1 ? t->held : v == 2 ? t->reusable : t->range);
		}
	}
}

char *metrics__render(struct metrics *m, bool om, size_t *len)
{
	char *buf = NULL;
	FILE *f;

	f = open_memstream(&buf, len);
	if (!f)
		return NULL;
	pthread_mutex_lock(&m->lock);

	family(f, om, "tcpclose_connections_closed_total", "counter",
	       "TCP connections completely gone, by who closed first and why they ended.");
	for (int r = 0; r < METRICS_NR_ROLES; r++)
		for (int c = 0; c < METRICS_NR_CAUSES; c++)
			if (m->closes[r][c])
				fprintf(f, "tcpclose_connections_closed_total{role=\"%s\",cause=\"%s\"} %llu\n",
					record__role_name(r), record__cause_name(c),
					(unsigned long long)m->closes[r][c]);

	family(f, om, "tcpclose_fin_retransmits_total", "counter",
	       "Retransmits of our FIN, tail-loss probes included.");
	fprintf(f, "tcpclose_fin_retransmits_total %llu\n", (unsigned long long)m->fin_retrans);

	family(f, om, "tcpclose_keepalive_probes_total", "counter",
	       "Keepalive probes sent, counted when their connection closed.");
	fprintf(f, "tcpclose_keepalive_probes_total %llu\n",
		(unsigned long long)m->keepalive_probes);

	family(f, om, "tcpclose_timewait_ends_total", "counter",
	       "How TIME_WAIT ended: expired, reused, rst, syn, purged, or overflow (none made).");
	for (int e = 1; e < METRICS_NR_TW_ENDS; e++)
		fprintf(f, "tcpclose_timewait_ends_total{end=\"%s\"} %llu\n",
			record__tw_end_name(e), (unsigned long long)m->tw_ends[e]);

	family(f, om, "tcpclose_events_lost_total", "counter",
	       "Records lost (ring buffer full), connections not followed (map full), whose end went unseen (sent partial), or whose 2MSL restart may be missing (tw_rearm).");
	for (int d = 0; d < TCPC_NR_DROPS; d++)
		if (drop_names[d])
			fprintf(f, "tcpclose_events_lost_total{reason=\"%s\"} %llu\n",
				drop_names[d], (unsigned long long)m->drops[d]);

	if (m->gauges_known) {
		family(f, om, "tcpclose_sockets", "gauge",
		       "TCP sockets in each close state now (a timewait socket in its FIN_WAIT2 substate counts as FIN_WAIT2).");
		for (int s = 0; s < TCPC_NR_STATES; s++)
			fprintf(f, "tcpclose_sockets{state=\"%s\"} %llu\n", record__state_name(s),
				(unsigned long long)m->gauges[s]);
	}

	if (m->pp_known)
		render_port_pressure(f, om, m);

	family(f, om, "tcpclose_close_state_seconds", "histogram",
	       "Time connections spent in each close state.");
	for (int s = 0; s < TCPC_NR_STATES; s++) {
		__u64 cum = 0;

		for (int b = 0; b <= METRICS_NR_BUCKETS; b++) {
			cum += m->buckets[s][b];
			if (b < METRICS_NR_BUCKETS)
				fprintf(f, "tcpclose_close_state_seconds_bucket{state=\"%s\",le=\"%g\"} %llu\n",
					record__state_name(s), metrics_buckets[b],
					(unsigned long long)cum);
			else
				fprintf(f, "tcpclose_close_state_seconds_bucket{state=\"%s\",le=\"+Inf\"} %llu\n",
					record__state_name(s), (unsigned long long)cum);
		}
		fprintf(f, "tcpclose_close_state_seconds_sum{state=\"%s\"} %.6f\n",
			record__state_name(s), m->sum_seconds[s]);
		fprintf(f, "tcpclose_close_state_seconds_count{state=\"%s\"} %llu\n",
			record__state_name(s), (unsigned long long)m->count[s]);
	}
	pthread_mutex_unlock(&m->lock);
	if (om)
		fputs("# EOF\n", f);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}
