// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tcpclose check: one tracer in this process, and each scenario in a forked child that makes
 * its own network namespace. The records are told apart by that namespace's inode; when a
 * scenario's child is done and its records are in (TIME_WAITs purged with the namespace),
 * they and its counters are compared with what check_expect.c says they must be, and their
 * times with what the scenario's capture and socket dumps show (check_wire.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <linux/capability.h>
#include "check_job.h"
#include "check_load.h"
#include "core.h"
#include "probe.h"
#include "clock.h"

#define POLL_MS 20

static volatile sig_atomic_t check_stop;

static void check__on_signal(int sig)
{
	check_stop = 1;
}

/* -v: what libbpf warns about, not its debug trail */
static int check__libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	return level == LIBBPF_DEBUG ? 0 : vfprintf(stderr, fmt, args);
}

/* the tracer's one consumer: each record goes to the job whose namespace it closed in */
static void check__on_record(void *ctx, const struct tcpc_conn *rec)
{
	struct checker *c = ctx;
	struct job *j = NULL;
	struct tcpc_conn *v;
	__u64 *at;

	/*
	 * The kernel reuses a namespace's inode number once the namespace is gone, and a
	 * record of it may come after that (a purged TIME_WAIT is settled a little later), or
	 * while we still wait for more from a namespace whose number another one has taken.
	 * Ours began closing while the namespace was there and the scenario not yet done.
	 */
	for (int i = 0; i < c->njobs; i++) {
		struct job *k = &c->jobs[i];
		__u64 done;

		if ((k->state != JOB_RUNNING && k->state != JOB_WAITING) ||
		    __atomic_load_n(&k->sh->netns, __ATOMIC_ACQUIRE) != rec->netns)
			continue;
		done = __atomic_load_n(&k->sh->done_ns, __ATOMIC_ACQUIRE);
		if (rec->start_ns >= k->sh->netns_ns && (!done || rec->start_ns <= done))
			j = k;
	}
	if (!j)
		return;
	if (j->nrecs == j->cap) {
		v = realloc(j->recs, (j->cap ? 2 * j->cap : 8) * sizeof(*v));
		if (v)
			j->recs = v;
		at = realloc(j->arrived_ns, (j->cap ? 2 * j->cap : 8) * sizeof(*at));
		if (at)
			j->arrived_ns = at;
		if (!v || !at)
			return;
		j->cap = j->cap ? 2 * j->cap : 8;
	}
	j->arrived_ns[j->nrecs] = clock__now_ns();
	j->recs[j->nrecs] = *rec;
	check_tamper__apply(&c->opts->tamper, &j->recs[j->nrecs++]);
}

/* can this process make network namespaces (CAP_SYS_ADMIN)? The scenarios need one each */
static bool check__can_unshare(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3] = {};

	if (syscall(SYS_capget, &h, d))
		return false;
	return d[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective & CAP_TO_MASK(CAP_SYS_ADMIN);
}

void check__report(struct checker *c, struct job *j)
{
	if (c->opts->tap)
		check_report__tap(stdout, ++c->reported, &j->result, c->opts->verbose);
	else
		check_report__table_row(stdout, &j->result, c->opts->verbose);
}

/* --timeout or a signal: end what still runs */
static void check__abandon(struct checker *c, const char *why)
{
	for (int i = 0; i < c->njobs; i++) {
		struct job *j = &c->jobs[i];

		if (j->state == JOB_DONE)
			continue;
		if (j->state == JOB_RUNNING)
			job__kill(j);
		job__error(j, "%s", why);
		job__finish(c, j);
	}
}

static bool check__busy_fast(const struct checker *c)
{
	for (int i = 0; i < c->njobs; i++)
		if (c->jobs[i].state == JOB_RUNNING && !c->jobs[i].sc->slow)
			return true;
	return false;
}

/* slow scenarios all at once; the others one after another beside them */
static void check__start_next(struct checker *c)
{
	bool fast_busy = check__busy_fast(c);
	int err;

	for (int i = 0; i < c->njobs; i++) {
		struct job *j = &c->jobs[i];

		if (j->state != JOB_PENDING || (!j->sc->slow && fast_busy))
			continue;
		err = job__start(j);
		if (err) {
			job__error(j, "cannot start it: %s", strerror(-err));
			job__finish(c, j);
			continue;
		}
		fast_busy |= !j->sc->slow;
	}
}

static bool check__all_done(const struct checker *c)
{
	for (int i = 0; i < c->njobs; i++)
		if (c->jobs[i].state != JOB_DONE)
			return false;
	return true;
}

static int check__loop(struct checker *c, struct core *t)
{
	double deadline = c->start_ms + c->opts->timeout_s * 1e3, now;
	char why[96];
	int err;

	while (!check__all_done(c)) {
		check__start_next(c);
		err = core__poll(t, POLL_MS);
		if (err) {
			fprintf(stderr, "tcpclose check: reading the ring buffer: %s\n", strerror(-err));
			return err;
		}
		now = clock__now_ms();
		for (int i = 0; i < c->njobs; i++)
			job__poll(c, &c->jobs[i], now);
		if (check_stop || now > deadline) {
			snprintf(why, sizeof(why), check_stop ? "interrupted" :
				 "not done when --timeout (%lu s) ran out", c->opts->timeout_s);
			check__abandon(c, why);
		}
	}
	return 0;
}

static void check__list(FILE *f)
{
	const struct check_scenario *sc;
	const char *name, *help;

	for (int i = 0; (sc = check_expect__scenario(i)); i++) {
		help = "";
		for (int k = 0; (name = scenario__name(k, &help)); k++)
			if (!strcmp(name, sc->name))
				break;
		fprintf(f, "%-18s %s%s\n", sc->name, help,
			sc->slow ? " [runs beside the others]" : "");
	}
}

static int check__jobs(struct checker *c)
{
	const struct check_scenario *sc;
	int n = 0;

	for (int i = 0; (sc = check_expect__scenario(i)); i++)
		n += check__selected(c->opts, sc->name);
	c->jobs = calloc(n, sizeof(*c->jobs));
	if (!c->jobs)
		return -ENOMEM;
	for (int i = 0; (sc = check_expect__scenario(i)); i++) {
		if (!check__selected(c->opts, sc->name))
			continue;
		c->jobs[c->njobs].sc = sc;
		c->jobs[c->njobs].result.scenario = sc->name;
		for (int k = 0; scenario__name(k, NULL); k++)
			if (!strcmp(scenario__name(k, &c->jobs[c->njobs].result.description),
				    sc->name))
				break;
		c->njobs++;
	}
	return 0;
}

/* what a round ended with, kept for the flakes, the closing count and --junit */
static int check__round_keep(struct checker *c, double seconds)
{
	struct check_result *rs = calloc(c->njobs, sizeof(*rs));
	int k = c->flakes.rounds, err;
	double *secs;

	if (!rs)
		return -ENOMEM;
	for (int i = 0; i < c->njobs; i++)
		rs[i] = c->jobs[i].result;
	err = check_flake__add_round(&c->flakes, rs, c->njobs);
	free(rs);
	if (err || !c->opts->junit)
		return err;
	rs = realloc(c->results, (k + 1) * c->njobs * sizeof(*rs));
	if (!rs)
		return -ENOMEM;
	c->results = rs;
	secs = realloc(c->round_seconds, (k + 1) * sizeof(*secs));
	if (!secs)
		return -ENOMEM;
	c->round_seconds = secs;
	secs[k] = seconds;
	for (int i = 0; i < c->njobs; i++) {
		rs[c->nr_results++] = c->jobs[i].result;
		/* the JUnit file's now */
		c->jobs[i].result.records = NULL;
		c->jobs[i].result.ladders = NULL;
	}
	return 0;
}

static void check__print_misses(const struct bpf_program *prog, __u64 misses, void *ctx)
{
	int *n = ctx;

	printf("%s %s %llu", (*n)++ ? "," : "", bpf_program__name(prog), (unsigned long long)misses);
}

/*
 * Which programs' runs the kernel skipped, nested in another run of the same program on a
 * CPU: most are other timers' (every timer of the host runs the timer programs), but one
 * that was a TCP socket's is a hole in its record, and this line says where to look
 */
static void check__misses(const struct checker *c, struct core *tracer)
{
	int n = 0;

	printf("%skernel-skipped runs:", c->opts->tap ? "# " : "\n");
	loader__misses_each(&tracer->loader, check__print_misses, &n);
	printf("%s\n", n ? "" : " none");
}

/* a round's count, with its differences under it in the table */
static int check__round_end(struct checker *c, struct core *tracer)
{
	double seconds = (clock__now_ms() - c->start_ms) / 1e3;
	char label[48] = "";
	int failed = 0;

	for (int i = 0; i < c->njobs; i++)
		failed += c->jobs[i].result.status != CHECK_PASS;
	c->passed += c->njobs - failed;
	c->failed += failed;
	if (c->opts->repeat)
		snprintf(label, sizeof(label), "round %d of %d: ", c->round, c->nr_rounds);
	if (c->round == c->nr_rounds)
		check__misses(c, tracer);
	if (!c->opts->tap) {
		printf("\n%s%d passed, %d failed in %.1f s\n", label, c->njobs - failed, failed,
		       seconds);
		for (int i = 0; i < c->njobs; i++) {
			const struct check_result *r = &c->jobs[i].result;

			for (int k = 0; k < r->diffs.n; k++)
				printf("%s: %s\n", r->scenario, r->diffs.line[k]);
		}
	} else {
		printf("# %s%d passed, %d failed in %.1f s\n", label, c->njobs - failed, failed,
		       seconds);
	}
	fflush(stdout);
	return check__round_keep(c, seconds);
}

/* after the last round: with --repeat the flakes and the count of every round, last */
/* the closing count, and the --junit file: -errno if that could not be written */
static int check__summary(struct checker *c, const char *timestamp)
{
	const char *prefix = c->opts->tap ? "# " : "";
	struct check_run_info info = {
		.hz = c->hz, .timestamp = timestamp,
		.seconds = (clock__now_ms() - c->run_start_ms) / 1e3,
		.rounds = c->opts->repeat ? c->flakes.rounds : 0,
		.round_seconds = c->round_seconds,
	};
	char host[256] = "";
	struct utsname u;
	int err;

	uname(&u);
	gethostname(host, sizeof(host) - 1);
	info.kernel = u.release;
	info.hostname = host;
	if (c->opts->repeat) {
		if (!c->opts->tap)
			putchar('\n');
		check_flake__print(stdout, &c->flakes, prefix);
		printf("%s%s%d passed, %d failed in %.1f s\n", c->opts->tap ? "" : "\n", prefix,
		       c->passed, c->failed, info.seconds);
		fflush(stdout);
	}
	if (c->lost)
		fprintf(stderr, "tcpclose check: the tracer could not deliver %llu records (ring buffer or maps full): a record missing above may be one of them\n",
			(unsigned long long)c->lost);
	if (c->unseen)
		fprintf(stderr, "tcpclose check: the tracer sent %llu records, of any namespace, with their end unseen (end_unseen): their sockets' last changes never reached its programs\n",
			(unsigned long long)c->unseen);
	if (c->opts->junit && c->results) {
		err = check_report__junit(c->opts->junit, c->results, c->njobs, &info);
		if (err) {
			fprintf(stderr, "tcpclose check: cannot write --junit file '%s': %s (give a writable path)\n",
				c->opts->junit, strerror(-err));
			return err;
		}
	}
	return 0;
}

static void check__free_jobs(struct checker *c)
{
	for (int i = 0; i < c->njobs; i++) {
		free(c->jobs[i].recs);
		free(c->jobs[i].arrived_ns);
		free(c->jobs[i].result.records);
		free(c->jobs[i].result.ladders);
		if (c->jobs[i].sh)
			munmap(c->jobs[i].sh, sizeof(*c->jobs[i].sh));
	}
	free(c->jobs);
	c->jobs = NULL;
	c->njobs = 0;
}

/* what the header says of the rounds and the load, if anything */
static void check__header_extra(const struct checker *c, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	if (c->opts->repeat)
		o += snprintf(buf, len, ", %d round%s", c->nr_rounds, c->nr_rounds == 1 ? "" : "s");
	if (c->opts->load && o < len)
		snprintf(buf + o, len - o, ", load on: %lu busy worker%s", c->opts->load,
			 c->opts->load == 1 ? "" : "s");
}

/* each round: today's full run, jobs, loop and table; a signal ends the rounds too */
static int check__rounds(struct checker *c, struct core *t)
{
	struct tcpc_stats st;
	int err;

	c->run_start_ms = clock__now_ms();
	for (c->round = 1; c->round <= c->nr_rounds; c->round++) {
		if (c->round > 1) {
			if (check_stop)
				break;
			check__free_jobs(c);
			err = check__jobs(c);
			if (err)
				goto fail;
		}
		if (c->opts->repeat)
			printf("%sround %d of %d\n", c->opts->tap ? "# " : c->round > 1 ? "\n" : "",
			       c->round, c->nr_rounds);
		if (!c->opts->tap)
			check_report__table_header(stdout);
		fflush(stdout);
		c->start_ms = clock__now_ms();
		err = check__loop(c, t);
		if (err)
			return err;
		/* whatever is still pending in the kernel, before counting losses */
		core__consume(t);
		err = check__round_end(c, t);
		if (err)
			goto fail;
	}
	core__stats(t, &st);
	c->lost = st.drops[TCPC_DROP_RINGBUF] + st.drops[TCPC_DROP_TW_MAP] +
		  st.drops[TCPC_DROP_KA_MAP];
	c->unseen = st.drops[TCPC_DROP_UNSEEN];
	return 0;
fail:
	fprintf(stderr, "tcpclose check: round %d: %s\n", c->round, strerror(-err));
	return err;
}


/*
 * Does this kernel count TcpExtTW and TcpExtTWKilled when a timewait socket's timer expires,
 * rather than when it is armed? Then it remembers which to bump in tw_kill (5.10's struct
 * inet_timewait_sock), and a socket killed early counts in neither: its BTF says.
 */
static bool check__tw_counted_at_expiry(void)
{
	return probe__btf_member("inet_timewait_sock", "tw_kill");
}

int check__main(int argc, char **argv)
{
	struct checker c = {};
	struct check_load load = {};
	struct check_opts opts;
	struct tcpc_opts topts;
	struct core tracer = {};
	char timestamp[32], extra[96];
	time_t started = time(NULL);
	int err, ret = 2;

	switch (check__parse(&opts, argc, argv, stdout, stderr)) {
	case ARGS_EXIT_OK:
		check__free(&opts);
		return 0;
	case ARGS_EXIT_USAGE:
		check__free(&opts);
		return 2;
	case ARGS_RUN:
		break;
	}
	if (opts.list) {
		check__list(stdout);
		check__free(&opts);
		return 0;
	}
	c.opts = &opts;
	c.nr_rounds = opts.repeat ? opts.repeat : 1;
	if (!check__can_unshare()) {
		fprintf(stderr, "tcpclose check: cannot make network namespaces for the scenarios: run it as root, or with CAP_SYS_ADMIN besides what tracing needs\n");
		check__free(&opts);
		return 2;
	}
	c.hz = probe__kernel_hz();
	if (!c.hz) {
		fprintf(stderr, "tcpclose check: cannot tell the kernel's HZ (no /proc/config.gz, /boot/config-*, or /proc/timer_list), which every duration it checks depends on: make one of them readable\n");
		check__free(&opts);
		return 2;
	}
	libbpf_set_print(opts.verbose ? check__libbpf_print : NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, check__on_signal);
	signal(SIGTERM, check__on_signal);
	args__defaults(&topts);
	topts.backend = opts.backend;
	core__consume_with(&tracer, &(struct core_consumer){ check__on_record, NULL, &c });
	if (check__jobs(&c) || core__open(&tracer, &topts)) {
		/* the loader has said what is missing */
		check__free_jobs(&c);
		check__free(&opts);
		return 2;
	}
	c.rearm_blind = tracer.loader.backend == TCPC_BACKEND_TRACEPOINT;
	c.tw_at_expiry = check__tw_counted_at_expiry();
	if (opts.load) {
		err = check_load__start(&load, opts.load);
		if (err) {
			fprintf(stderr, "tcpclose check: cannot start %lu --load workers: %s (give fewer with --load=N)\n",
				opts.load, strerror(-err));
			goto out;
		}
	}
	strftime(timestamp, sizeof(timestamp), "%Y-%m-%dT%H:%M:%S", localtime(&started));
	check__header_extra(&c, extra, sizeof(extra));
	if (opts.tap) {
		check_report__tap_plan(stdout, c.njobs * c.nr_rounds);
		printf("# tcpclose check: %d scenarios, backend %s, HZ %u, times judged by the wire%s\n",
		       c.njobs, backend__name(tracer.loader.backend), c.hz, extra);
	} else {
		printf("tcpclose check: %d scenarios, backend %s, HZ %u, times judged by the wire%s\n\n",
		       c.njobs, backend__name(tracer.loader.backend), c.hz, extra);
	}
	fflush(stdout);
	err = check__rounds(&c, &tracer);
	if (!err)
		err = check__summary(&c, timestamp);
	ret = err || c.failed ? 1 : 0;
out:
	check_load__stop(&load);
	core__close(&tracer);
	check__free_jobs(&c);
	for (int i = 0; i < c.nr_results; i++) {
		free(c.results[i].records);
		free(c.results[i].ladders);
	}
	free(c.results);
	free(c.round_seconds);
	check_flake__free(&c.flakes);
	check__free(&opts);
	return ret;
}
