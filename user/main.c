// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tcpclose: one record per TCP connection when it is completely gone, TIME_WAIT included.
 * The BPF side assembles the records; this loop delivers them to a sink and counts what
 * could not be delivered.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <bpf/libbpf.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>
#include "args.h"
#include "check.h"
#include "support.h"
#include "http.h"
#include "metrics.h"
#include "loader.h"
#include "report.h"
#include "sink.h"
#include "stuck.h"
#include "walk.h"

#define POLL_MS 100

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	exiting = 1;
}

struct run {
	struct sink sink;
	struct tc_stats stats;
	struct metrics *metrics;	/* --metrics, else NULL */
};

static int on_event(void *ctx, void *data, size_t size)
{
	struct run *r = ctx;
	__u8 type = *(const __u8 *)data;

	if (type == TC_EV_CLOSE && size >= sizeof(struct tc_conn)) {
		r->stats.records++;
		if (r->metrics)
			metrics__record(r->metrics, data);
		r->sink.ops->record(&r->sink, data);
	} else if (type == TC_EV_TRANSITION && size >= sizeof(struct tc_transition)) {
		r->stats.transitions++;
		r->sink.ops->transition(&r->sink, data);
	}
	return 0;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	return vfprintf(stderr, fmt, args);
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* deliver what is left: the ring buffer, then the timewait sockets whose end is undecided */
static void drain(struct loader *l, struct run *r, const struct tc_opts *opts)
{
	struct timespec settle = { .tv_nsec = 60 * 1000000L };

	ring_buffer__consume(l->rb);
	nanosleep(&settle, NULL);
	loader__settle_timewait(l, true);
	ring_buffer__consume(l->rb);
	/* their owner is unknown: -p wants none of them */
	if (!opts->pid)
		loader__flush_awaiting(l, on_event, r);
}

/* --user: give up root once everything that needs it is done */
static int drop_privileges(const char *user)
{
	struct passwd *pw = getpwnam(user);

	if (!pw) {
		fprintf(stderr, "tcpclose: no user '%s' to run as (give an existing user, e.g. nobody)\n",
			user);
		return -ENOENT;
	}
	if (setgroups(0, NULL) || setgid(pw->pw_gid) || setuid(pw->pw_uid)) {
		fprintf(stderr, "tcpclose: cannot become user '%s': %s\n", user, strerror(errno));
		return -errno;
	}
	return 0;
}

/* what --metrics shows besides the records: loss counts, and sockets per state now */
static void metrics_refresh(struct metrics *m, struct loader *l, const struct tc_opts *opts)
{
	__u64 drops[TC_NR_DROPS], gauges[TC_NR_STATES];
	static int warned;
	int err;

	loader__drops(l, drops);
	metrics__set_drops(m, drops);
	err = walk__sockets(l, opts->netns_path, TC_ITER_GAUGES, gauges, NULL);
	if (!err || (err == -ENOENT && opts->netns_path)) {
		metrics__set_gauges(m, gauges);
		if (l->walk_denied && !warned++)
			fprintf(stderr, "tcpclose: tcpclose_sockets counts only the network namespaces tcpclose may enter (the others need CAP_SYS_ADMIN)\n");
		return;
	}
	/* a count that missed namespaces would mislead: serve none, and say why once */
	metrics__set_gauges(m, NULL);
	if (!warned++)
		fprintf(stderr, "tcpclose: not serving tcpclose_sockets: counting sockets per close state: %s%s\n",
			strerror(-err), err == -EPERM ? " (walking network namespaces needs CAP_SYS_ADMIN)" : "");
}

int main(int argc, char **argv)
{
	struct tc_opts opts;
	struct reporter rep = {};
	struct metrics metrics;
	struct http *http = NULL;
	struct loader l = {};
	struct run r = {};
	double next_metrics = 0;
	double deadline, next_report, next_stuck, stuck_every = 0;
	int err;

	if (argc == 2 && !strcmp(argv[1], "features"))
		return support__print(stdout);
	if (argc >= 2 && !strcmp(argv[1], "check"))
		return check__main(argc - 1, argv + 1);
	switch (args__parse(&opts, argc, argv, stdout, stderr)) {
	case ARGS_EXIT_OK:
		return 0;
	case ARGS_EXIT_USAGE:
		return 2;
	case ARGS_RUN:
		break;
	}

	libbpf_set_print(opts.verbose ? libbpf_print : NULL);
	/* a closed pipe (| head) shows as a write error and ends the run cleanly */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	sink__init(&r.sink, opts.quiet ? &sink_null_ops : opts.json ? &sink_json_ops : &sink_text_ops,
		   stdout, opts.timestamp);
	if (opts.metrics) {
		metrics__init(&metrics);
		r.metrics = &metrics;
	}
	err = loader__open(&l, &opts, on_event, &r);
	if (err)
		goto cleanup;

	err = reporter__init(&rep, &opts, &l);
	if (err) {
		fprintf(stderr, "tcpclose: out of memory for histograms\n");
		goto cleanup;
	}
	/* attached first, then walked: a connection closing in between is seen by both, and
	 * the walk leaves alone what the programs already follow */
	err = walk__sockets(&l, opts.netns_path, TC_ITER_SEED, NULL, NULL);
	if (err)
		fprintf(stderr, "tcpclose: finding connections already closing: %s; those in network namespaces that could not be walked are not reported%s\n",
			strerror(-err), err == -EPERM ? " (that needs CAP_SYS_ADMIN)" : "");
	else if (l.walk_denied)
		fprintf(stderr, "tcpclose: connections already closing in %u network namespaces are not reported: entering them needs CAP_SYS_ADMIN\n",
			l.walk_denied);
	err = 0;

	if (opts.metrics) {
		metrics_refresh(&metrics, &l, &opts);
		http = http__start(&opts.metrics_addr, &metrics);
		if (!http) {
			err = -EADDRNOTAVAIL;
			goto cleanup;
		}
	}
	if (opts.user) {
		err = drop_privileges(opts.user);
		if (err)
			goto cleanup;
	}

	fprintf(stderr, "tcpclose: tracing TCP closes (HZ=%u, %s backend); Ctrl-C to end\n", l.hz,
		backend__name(l.backend));
	if ((!opts.hist || opts.json) && !opts.quiet)
		r.sink.ops->header(&r.sink);
	fflush(stdout);

	deadline = opts.duration ? now_seconds() + opts.duration : 0;
	next_report = opts.interval ? now_seconds() + opts.interval : 0;
	if (opts.stuck)
		stuck_every = opts.interval ? opts.interval : (opts.stuck < 10 ? opts.stuck : 10);
	next_stuck = stuck_every ? now_seconds() : 0;
	while (!exiting) {
		err = ring_buffer__poll(l.rb, POLL_MS);
		/* the BPF side wakes us only for a batch (ringbuf__flags()): take the rest too */
		if (err >= 0 || err == -EINTR)
			err = ring_buffer__consume(l.rb);
		if (err < 0 && err != -EINTR) {
			fprintf(stderr, "tcpclose: reading the ring buffer: %s\n", strerror(-err));
			break;
		}
		err = 0;
		loader__settle_timewait(&l, false);
		if (fflush(stdout) || ferror(stdout))
			break;
		if (deadline && now_seconds() >= deadline)
			break;
		if (r.metrics && now_seconds() >= next_metrics) {
			metrics_refresh(r.metrics, &l, &opts);
			next_metrics = now_seconds() + 1;
		}
		if (next_stuck && now_seconds() >= next_stuck) {
			err = stuck__report(&l, &opts, &r.sink);
			if (err)
				fprintf(stderr, "tcpclose: looking for stuck connections: %s\n",
					strerror(-err));
			err = 0;
			/* a late scan does not bring the next one closer */
			next_stuck = now_seconds() + stuck_every;
		}
		if (next_report && now_seconds() >= next_report) {
			reporter__report(&rep, &r.sink);
			next_report += opts.interval;
			if (next_report < now_seconds())
				next_report = now_seconds() + opts.interval;
		}
	}
	drain(&l, &r, &opts);
	if (opts.hist && !ferror(stdout))
		reporter__report(&rep, &r.sink);
	loader__drops(&l, r.stats.drops);
	r.stats.tw_live = loader__tw_live(&l, &r.stats.tw_bytes);
	loader__misses(&l, &r.stats.state_missed, &r.stats.other_missed);
	if (!ferror(stdout))
		r.sink.ops->summary(&r.sink, &r.stats);
	fflush(stdout);

cleanup:
	http__stop(http);
	reporter__free(&rep);
	loader__close(&l);
	return err ? 1 : 0;
}
