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
#include <libgen.h>
#include <limits.h>
#include <unistd.h>
#include "args.h"
#include "cgroup.h"
#include "clock.h"
#include "support.h"
#include "http.h"
#include "metrics.h"
#include "output.h"
#include "port_walk.h"
#include "privs.h"
#include "loader.h"
#include "core.h"
#include "ladder_svg.h"
#include "ladder_text.h"
#include "report.h"
#include "signals.h"
#include "sink.h"
#include "stuck.h"
#include "top.h"
#include "walk.h"

#define POLL_MS 100
/*
 * After a signal, how long the last records may take to be written: a reader that stalled
 * (a log shipper that stopped reading) must not make tcpclose unkillable but by SIGKILL.
 */
#define EXIT_WRITE_GRACE_S 5

static volatile sig_atomic_t exiting, status_wanted;

static void on_signal(int sig)
{
	exiting = 1;
	alarm(EXIT_WRITE_GRACE_S);
}

/* until the end, once a second: each interrupts whatever write blocks then */
static void on_alarm(int sig)
{
	alarm(1);
}

/* SIGUSR1: the counts so far, as dd prints them */
static void on_status(int sig)
{
	status_wanted = 1;
}

/*
 * A write blocked on a full pipe returns EINTR, the sink counts what it held as not
 * written, and the run ends with its summary. SIGUSR1 restarts a write (it ends nothing),
 * but the poll returns: its counts are printed at once.
 */
static void signals__install(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct sigaction status = { .sa_handler = on_status, .sa_flags = SA_RESTART };

	signals__on_end(on_signal);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	sigemptyset(&status.sa_mask);
	sigaction(SIGUSR1, &status, NULL);
}

/* the sink and --metrics as the tracer's consumers */
static void sink_record(void *ctx, const struct tcpc_conn *rec)
{
	struct sink *s = ctx;

	sink__record(s, rec);
}

static void sink_transition(void *ctx, const struct tcpc_transition *t)
{
	struct sink *s = ctx;

	sink__transition(s, t);
}

static void metrics_record(void *ctx, const struct tcpc_conn *rec)
{
	metrics__record(ctx, rec);
}

/* --ladder-svg: one file per record; a failure said once, the records still printed */
static void ladder_svg_record(void *ctx, const struct tcpc_conn *rec)
{
	const struct tcpc_opts *opts = ctx;
	static bool warned;
	int err = ladder_svg__save(opts->ladder_svg_fd, rec);

	if (err && !warned) {
		warned = true;
		fprintf(stderr, "tcpclose: --ladder-svg: cannot write in '%s': %s; later failures are not reported\n",
			opts->ladder_svg, strerror(-err));
	}
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	return vfprintf(stderr, fmt, args);
}

/*
 * "tcpclose check ..." is tcpclose-check: the one beside this binary (a build tree, or
 * where both were installed), else the one on PATH. It is a program of its own so that
 * this one, the production agent, carries no scenario lab.
 */
static int exec_check(char **argv)
{
	char self[PATH_MAX], path[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n > 0) {
		self[n] = '\0';
		snprintf(path, sizeof(path), "%s/tcpclose-check", dirname(self));
		argv[0] = path;
		execv(path, argv);
	}
	argv[0] = "tcpclose-check";
	execvp(argv[0], argv);
	fprintf(stderr, "tcpclose: check: cannot run tcpclose-check (%s): build it with make, or install it beside tcpclose\n",
		strerror(errno));
	return 2;
}

/* privs__drop()'s question: may the tracer, as it is now, still use its maps and walks? */
static int can_bpf(void *loader)
{
	return loader__bpf_usable(loader);
}

/* what --metrics shows besides the records: loss counts, and sockets per state now */
static void metrics_refresh(struct metrics *m, struct core *t, const struct tcpc_opts *opts)
{
	__u64 drops[TCPC_NR_DROPS], gauges[TCPC_NR_STATES];
	struct loader *l = &t->loader;
	static int warned;
	int err;

	core__drops(t, drops);
	metrics__set_drops(m, drops);
	err = walk__sockets(l, opts->netns_path, TCPC_ITER_GAUGES, gauges, NULL);
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

/* warnings printed at most per walk: the rest are due at the next, a second later */
#define PP_MAX_DUE 64

/* --port-pressure: count, warn about the tuples due, and hand the worst to --metrics */
static void port_pressure_refresh(struct port_pressure *pp, struct sink *s, struct metrics *m,
				  struct loader *l, const struct tcpc_opts *opts)
{
	const struct pp_tuple *t[PP_MAX_DUE];
	static int warned;
	int err, n;

	err = port_walk__run(pp, l, opts->netns_path);
	if (err) {
		if (!warned++)
			fprintf(stderr, "tcpclose: counting the local ports held: %s%s\n", strerror(-err),
				err == -EPERM ? " (walking network namespaces needs CAP_SYS_ADMIN)" : "");
		if (m)
			metrics__set_port_pressure(m, NULL, 0);
		return;
	}
	if (l->walk_denied && !warned++)
		fprintf(stderr, "tcpclose: --port-pressure counts only the network namespaces tcpclose may enter (the others need CAP_SYS_ADMIN)\n");
	n = port_pressure__due(pp, t, PP_MAX_DUE);
	for (int i = 0; i < n; i++)
		sink__port_pressure(s, t[i], port_pressure__threshold(pp));
	if (m) {
		n = port_pressure__top(pp, t, METRICS_PP_TOP);
		metrics__set_port_pressure(m, t, n);
	}
}

int main(int argc, char **argv)
{
	bool start_failed = false;
	struct tcpc_opts opts;
	struct reporter rep = {};
	struct metrics metrics = {};
	struct http *http = NULL;
	struct port_pressure *pp = NULL;
	struct core t = {};
	struct tcpc_stats stats;
	struct sink sink;
	struct cgroups cgroups = { .mnt_fd = -1 };
	struct output *out;
	double next_metrics = 0, next_pp = 0;
	double deadline, next_report, next_stuck, stuck_every = 0;
	int err;

	if (argc == 2 && !strcmp(argv[1], "features"))
		return support__print(stdout);
	if (argc >= 2 && !strcmp(argv[1], "check"))
		return exec_check(argv + 1);
	switch (args__parse(&opts, argc, argv, stdout, stderr)) {
	case ARGS_EXIT_OK:
		return 0;
	case ARGS_EXIT_USAGE:
		return 2;
	case ARGS_RUN:
		break;
	}
	if (opts.top) {
		libbpf_set_print(opts.verbose ? libbpf_print : NULL);
		return top__run(&opts);
	}

	libbpf_set_print(opts.verbose ? libbpf_print : NULL);
	signals__install();

	sink__init(&sink, opts.quiet ? &sink_null_ops : opts.json ? &sink_json_ops :
		   opts.ladder ? &sink_ladder_ops : &sink_text_ops, stdout, opts.timestamp);
	/* each record's cgroup path and container: the cgroup2 mount is opened as root, and
	 * found by a walk after --user where file handles are no longer allowed */
	if (!opts.quiet) {
		if (cgroups__init(&cgroups, "/proc/self/mountinfo", CGROUPS_DEFAULT_MAX)) {
			fprintf(stderr, "tcpclose: out of memory for the cgroup cache\n");
			return 1;
		}
		sink.cgroups = &cgroups;
	}
	/* records go to stdout through a stream that counts what a stalled reader never got */
	out = output__open(STDOUT_FILENO);
	if (!out) {
		fprintf(stderr, "tcpclose: cannot set up the output: %s\n", strerror(errno));
		return 1;
	}
	sink__track(&sink, out);
	if (opts.metrics) {
		metrics__init(&metrics);
		core__consume_with(&t, &(struct core_consumer){ metrics_record, NULL, &metrics });
	}
	if (opts.ladder_svg)
		core__consume_with(&t, &(struct core_consumer){ ladder_svg_record, NULL, &opts });
	core__consume_with(&t, &(struct core_consumer){ sink_record, sink_transition, &sink });
	if (opts.port_pressure) {
		pp = port_pressure__new(opts.port_pressure);
		if (!pp) {
			fprintf(stderr, "tcpclose: out of memory for --port-pressure\n");
			output__close(out);
			return 1;
		}
	}
	/* serving first: an address it cannot have is found before anything is attached */
	if (opts.metrics) {
		http = http__start(&opts.metrics_addr, &metrics);
		if (!http) {
			port_pressure__free(pp);
			output__close(out);
			return 2;
		}
	}
	err = core__open(&t, &opts);
	if (err) {
		/* the loader has said what is missing: nothing was traced */
		start_failed = true;
		goto cleanup;
	}

	err = reporter__init(&rep, &opts, &t);
	if (err) {
		fprintf(stderr, "tcpclose: out of memory for histograms\n");
		goto cleanup;
	}
	/* attached first, then walked: a connection closing in between is seen by both, and
	 * the walk leaves alone what the programs already follow */
	core__seed(&t, &opts);
	err = 0;

	if (opts.metrics)
		metrics_refresh(&metrics, &t, &opts);
	if (opts.user) {
		bool kept_bpf;

		err = privs__drop(opts.user, can_bpf, &t.loader, &kept_bpf);
		if (err)
			goto cleanup;
		if (kept_bpf)
			fprintf(stderr, "tcpclose: running as '%s' with CAP_BPF kept: this kernel lets no process without it use the BPF maps it holds while kernel.unprivileged_bpf_disabled is set\n",
				opts.user);
	}

	core__announce(&t, &opts);
	if ((!opts.hist || opts.json) && !opts.quiet)
		sink.ops->header(&sink);
	sink__flush(&sink);

	deadline = opts.duration ? clock__now_s() + opts.duration : 0;
	next_report = opts.interval ? clock__now_s() + opts.interval : 0;
	if (opts.stuck)
		stuck_every = opts.interval ? opts.interval : (opts.stuck < 10 ? opts.stuck : 10);
	next_stuck = stuck_every ? clock__now_s() : 0;
	while (!exiting) {
		err = core__poll(&t, POLL_MS);
		if (err) {
			fprintf(stderr, "tcpclose: reading the ring buffer: %s\n", strerror(-err));
			break;
		}
		if (sink__flush(&sink))
			break;
		if (status_wanted) {
			status_wanted = 0;
			core__stats(&t, &stats);
			sink__so_far(&sink, &stats);
		}
		if (deadline && clock__now_s() >= deadline)
			break;
		if (opts.metrics && clock__now_s() >= next_metrics) {
			metrics_refresh(&metrics, &t, &opts);
			next_metrics = clock__now_s() + 1;
		}
		/* once a second, as the gauges: no walk at all without --port-pressure */
		if (pp && clock__now_s() >= next_pp) {
			port_pressure_refresh(pp, &sink, opts.metrics ? &metrics : NULL, &t.loader,
					      &opts);
			next_pp = clock__now_s() + 1;
		}
		if (next_stuck && clock__now_s() >= next_stuck) {
			err = stuck__report(&t.loader, &opts, &sink);
			if (err)
				fprintf(stderr, "tcpclose: looking for stuck connections: %s\n",
					strerror(-err));
			err = 0;
			/* a late scan does not bring the next one closer */
			next_stuck = clock__now_s() + stuck_every;
		}
		if (next_report && clock__now_s() >= next_report) {
			reporter__report(&rep, &sink);
			next_report += opts.interval;
			if (next_report < clock__now_s())
				next_report = clock__now_s() + opts.interval;
		}
	}
	core__drain(&t, &opts);
	if (opts.hist)
		reporter__report(&rep, &sink);
	core__stats(&t, &stats);
	sink__summary(&sink, &stats);

cleanup:
	http__stop(http);
	port_pressure__free(pp);
	reporter__free(&rep);
	core__close(&t);
	output__close(out);
	cgroups__free(&cgroups);
	if (opts.ladder_svg_fd >= 0)
		close(opts.ladder_svg_fd);
	return start_failed ? 2 : err ? 1 : 0;
}
