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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <bpf/libbpf.h>
#include "check.h"
#include "check_flake.h"
#include "check_load.h"
#include "check_report.h"
#include "core.h"
#include "netns.h"
#include "probe.h"
#include "sswatch.h"
#include "clock.h"

#define POLL_MS 20
/* after a scenario's child: its namespace's cleanup, which purges the TIME_WAITs */
#define RECORD_WAIT_MS 30000
/* after the last expected record: time for an unexpected one to show */
#define GRACE_MS 250
#define MAX_NSTAT 512
#define RECORDS_TEXT 8192
/* every segment of a scenario: the longest (simultaneous, a few tries) sends about a hundred */
#define MAX_SEGS 4096
/* a scenario's namespace has a few sockets: a TCP hash of its own keeps its dumps quick */
#define NETNS_HASH_BUCKETS 1024
/* the socket dumps' pace: a state that lasts longer is seen at least once */
#define SSWATCH_INTERVAL_US 1000

/* what a scenario's child leaves for us */
struct check_shared {
	unsigned int netns;		/* its namespace, set before any socket is made */
	__u64 netns_ns;			/* when it made it, CLOCK_MONOTONIC */
	__u64 done_ns;			/* when the scenario was over */
	int err;			/* the scenario's, 0 if it ran as designed */
	struct scenario_result res;
	int nr_counters;
	struct nstat_entry counters[MAX_NSTAT];	/* the namespace's, over the scenario */
	/* the evidence its records' times are judged by: the capture, the socket dumps */
	double real_ref_s;		/* one instant on both clocks, to read capture stamps */
	__u64 mono_ref_ns;
	size_t nsegs;
	bool segs_cut;			/* more segments than MAX_SEGS */
	struct tcp_seg segs[MAX_SEGS];
	struct sswatch ss;
};

enum job_state { JOB_PENDING, JOB_RUNNING, JOB_WAITING, JOB_DONE };

struct job {
	const struct check_scenario *sc;
	enum job_state state;
	pid_t pid;
	struct check_shared *sh;
	double start_ms, exit_ms, complete_ms;
	struct tc_conn *recs;		/* its namespace's records, in the order they came */
	__u64 *arrived_ns;		/* and when each reached us */
	int nrecs, cap;
	struct nstat delta;		/* a view of sh->counters */
	struct check_expect expect;
	struct check_result result;
};

struct checker {
	const struct check_opts *opts;
	struct job *jobs;
	int njobs;
	int reported;
	unsigned int hz;
	bool rearm_blind;		/* the backend: check_wire.h */
	double start_ms;
	__u64 lost;			/* records the tracer could not deliver */
	__u64 unseen;			/* records it sent without their end (end_unseen) */
	/* --repeat: one round after another, each a run of its own with fresh jobs */
	int round, nr_rounds;		/* 1 of 1 without --repeat */
	int passed, failed;		/* scenario runs, over the rounds */
	double run_start_ms;
	struct check_flakes flakes;
	struct check_result *results;	/* --junit: every round's, round after round */
	int nr_results;
	double *round_seconds;
};

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
static void check__on_record(void *ctx, const struct tc_conn *rec)
{
	struct checker *c = ctx;
	struct job *j = NULL;
	struct tc_conn *v;
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

/* one instant on CLOCK_MONOTONIC and CLOCK_REALTIME */
static void clocks__pair(__u64 *mono_ns, double *real_s)
{
	long long off = clock__real_offset_ns();

	*mono_ns = clock__now_ns();
	*real_s = ((long long)*mono_ns + off) / 1e9;
}

/* the capture, for the parent: what its records' times are judged by */
static void job__keep_capture(struct check_shared *sh, struct capture *cap)
{
	sh->nsegs = cap->n < MAX_SEGS ? cap->n : MAX_SEGS;
	sh->segs_cut = cap->n > MAX_SEGS;
	memcpy(sh->segs, cap->segs, sh->nsegs * sizeof(*sh->segs));
	clocks__pair(&sh->mono_ref_ns, &sh->real_ref_s);
	capture__free(cap);
}

/* in the child: a namespace of its own, the scenario, and the counters around it */
static void job__child(struct job *j)
{
	struct check_shared *sh = j->sh;
	struct nstat before, after, delta;
	struct scenario_opts opts;
	struct capture cap = {};
	pid_t watcher;
	int err;

	scenario__default_opts(&opts);
	opts.watch_resends = true;
	opts.wire = &cap;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	err = netns__unshare_own_hash(NETNS_HASH_BUCKETS);
	if (err) {
		snprintf(sh->res.error, sizeof(sh->res.error),
			 "a new network namespace: %s (needs CAP_SYS_ADMIN)", strerror(-err));
		_exit(1);
	}
	sh->netns_ns = clock__now_ns();
	__atomic_store_n(&sh->netns, netns__inode(), __ATOMIC_RELEASE);
	err = nstat__read(&before);
	if (err) {
		snprintf(sh->res.error, sizeof(sh->res.error),
			 "reading /proc/net/netstat and /proc/net/snmp: %s", strerror(-err));
		_exit(1);
	}
	watcher = sswatch__start(&sh->ss, SSWATCH_INTERVAL_US);
	if (watcher < 0) {
		snprintf(sh->res.error, sizeof(sh->res.error), "forking the socket watcher: %s",
			 strerror(-watcher));
		_exit(1);
	}
	sh->err = scenario__run(j->sc->name, &opts, &sh->res);
	err = sswatch__stop(&sh->ss, watcher);
	if (err && !sh->err) {
		snprintf(sh->res.error, sizeof(sh->res.error),
			 "dumping the sockets with sock_diag, as ss does: %s%s", strerror(-err),
			 err == -ENOENT ? " (load the tcp_diag module: modprobe tcp_diag)" : "");
		sh->err = err;
	}
	job__keep_capture(sh, &cap);
	if (!sh->err && !nstat__read(&after) && !nstat__delta(&before, &after, &delta)) {
		for (int i = 0; i < delta.n && i < MAX_NSTAT; i++)
			sh->counters[sh->nr_counters++] = delta.v[i];
	}
	__atomic_store_n(&sh->done_ns, clock__now_ns(), __ATOMIC_RELEASE);
	_exit(sh->err ? 1 : 0);
}

static int job__start(struct job *j)
{
	j->sh = mmap(NULL, sizeof(*j->sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		     -1, 0);
	if (j->sh == MAP_FAILED) {
		j->sh = NULL;
		return -errno;
	}
	memset(j->sh, 0, sizeof(*j->sh));
	fflush(NULL);
	j->pid = fork();
	if (j->pid < 0)
		return -errno;
	if (j->pid == 0)
		job__child(j);
	j->start_ms = clock__now_ms();
	j->state = JOB_RUNNING;
	return 0;
}

static void job__error(struct job *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void job__error(struct job *j, const char *fmt, ...)
{
	struct check_diffs *d = &j->result.diffs;
	va_list ap;

	memset(d, 0, sizeof(*d));
	va_start(ap, fmt);
	vsnprintf(d->line[0], sizeof(d->line[0]), fmt, ap);
	va_end(ap);
	d->n = 1;
	j->result.status = CHECK_ERROR;
}

/* the records as text, one a line, for -v, a failure and the JUnit file; with each, when
 * its changes came and the brackets the evidence puts them in (ms from the namespace) */
static void job__records_text(struct job *j, const struct wire_facts *wire)
{
	char *text = malloc(RECORDS_TEXT), line[512];
	size_t o = 0;

	if (!text)
		return;
	text[0] = '\0';
	o += snprintf(text, RECORDS_TEXT,
		      "evidence: %zu segments, %llu socket dumps %.1f ms apart at most, the tick %.1f ms late at most\n",
		      j->sh->nsegs, (unsigned long long)j->sh->ss.dumps,
		      j->sh->ss.worst_gap_ns / 1e6, j->sh->ss.worst_tick_lag_ns / 1e6);
	for (int i = 0; i < j->nrecs && o < RECORDS_TEXT; i++) {
		int nth = 0;

		check_expect__describe(&j->recs[i], j->expect.mark_ns, line, sizeof(line));
		o += snprintf(text + o, RECORDS_TEXT - o, "%s\n", line);
		/* as check_expect__compare() pairs them: by when they began to close */
		for (int k = 0; k < j->nrecs; k++)
			nth += k != i && j->recs[k].sport == j->recs[i].sport &&
			       j->recs[k].dport == j->recs[i].dport &&
			       check_expect__began(&j->recs[k]) < check_expect__began(&j->recs[i]);
		check_wire__describe(wire, &j->recs[i], nth, j->arrived_ns[i], j->sh->netns_ns,
				     line, sizeof(line));
		if (o < RECORDS_TEXT)
			o += snprintf(text + o, RECORDS_TEXT - o, "  wire: %s\n", line);
	}
	j->result.records = text;
}

static void check__report(struct checker *c, struct job *j)
{
	if (c->opts->tap)
		check_report__tap(stdout, ++c->reported, &j->result, c->opts->verbose);
	else
		check_report__table_row(stdout, &j->result, c->opts->verbose);
}

/* what the child left as evidence of when things happened (check_wire.h) */
static void job__wire(const struct checker *c, const struct job *j, struct wire_facts *w)
{
	const struct check_shared *sh = j->sh;

	*w = (struct wire_facts){
		.segs = sh->segs, .nsegs = sh->nsegs, .real_ref_s = sh->real_ref_s,
		.mono_ref_ns = sh->mono_ref_ns, .ss = &sh->ss, .done_ns = sh->done_ns,
		.hz = c->hz, .rearm_blind = c->rearm_blind,
	};
}

static void job__finish(struct checker *c, struct job *j)
{
	double end = j->complete_ms ? j->complete_ms : clock__now_ms();
	struct wire_facts wire;
	struct check_evidence ev = { .wire = &wire, .arrived_ns = j->arrived_ns };

	if (j->sh) {
		job__wire(c, j, &wire);
		ev.base_ns = j->sh->netns_ns;
	}
	if (j->result.status != CHECK_ERROR) {
		check_expect__compare(&j->expect, j->recs, j->nrecs, &j->delta, &ev,
				      &j->result.diffs);
		j->result.status = j->result.diffs.n || j->result.diffs.more ? CHECK_FAIL :
									       CHECK_PASS;
	}
	if (j->sh)
		job__records_text(j, &wire);
	j->result.seconds = (end - j->start_ms) / 1e3;
	j->state = JOB_DONE;
	check__report(c, j);
}

/* its child has exited: what must its records be? */
static void job__exited(struct checker *c, struct job *j, int status)
{
	struct wire_facts wire;
	struct check_facts f = {
		.res = &j->sh->res, .delta = &j->delta, .hz = c->hz, .wire = &wire,
	};
	char msg[256];

	j->exit_ms = clock__now_ms();
	j->delta.v = j->sh->counters;
	j->delta.n = j->delta.cap = j->sh->nr_counters;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		if (j->sh->res.error[0])
			job__error(j, "%s", j->sh->res.error);
		else if (WIFSIGNALED(status))
			job__error(j, "the scenario was killed by signal %d", WTERMSIG(status));
		else
			job__error(j, "the scenario failed (exit status %d)", WEXITSTATUS(status));
		job__finish(c, j);
		return;
	}
	if (j->sh->segs_cut || j->sh->ss.overflow) {
		job__error(j, "the scenario made more than check keeps as evidence (%d segments, %d sockets)",
			   MAX_SEGS, SSWATCH_MAX_SOCKS);
		job__finish(c, j);
		return;
	}
	job__wire(c, j, &wire);
	check_expect__build(&j->expect, j->sc, &f);
	/* validated when parsed: cannot fail here */
	check__apply_expects(c->opts, &j->expect, msg, sizeof(msg));
	j->state = JOB_WAITING;
}

/* has every end a record yet? (ends sharing ports need as many records) */
static bool job__complete(const struct job *j)
{
	const struct check_expect *e = &j->expect;

	for (int k = 0; k < e->nr_ends; k++) {
		int want = 1, got = 0;

		for (int m = 0; m < k; m++)
			want += e->ends[m].lport == e->ends[k].lport &&
				e->ends[m].rport == e->ends[k].rport;
		for (int i = 0; i < j->nrecs; i++)
			got += j->recs[i].sport == e->ends[k].lport &&
			       j->recs[i].dport == e->ends[k].rport;
		if (got < want)
			return false;
	}
	return true;
}

static void job__kill(struct job *j)
{
	int status;

	kill(j->pid, SIGKILL);
	waitpid(j->pid, &status, 0);
}

static void job__poll(struct checker *c, struct job *j, double now)
{
	int status;

	if (j->state == JOB_RUNNING) {
		if (waitpid(j->pid, &status, WNOHANG) == j->pid) {
			job__exited(c, j, status);
		} else if (now - j->start_ms > j->sc->budget_s * 1e3) {
			job__kill(j);
			job__error(j, "did not finish in %d s: something in it hangs (run it alone with -v)",
				   j->sc->budget_s);
			job__finish(c, j);
		}
		return;
	}
	if (j->state != JOB_WAITING)
		return;
	if (!j->complete_ms && job__complete(j))
		j->complete_ms = now;
	if ((j->complete_ms && now - j->complete_ms >= GRACE_MS) ||
	    now - j->exit_ms > RECORD_WAIT_MS)
		job__finish(c, j);
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
	}
	return 0;
}

/* a round's count, with its differences under it in the table */
static int check__round_end(struct checker *c)
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
static void check__summary(struct checker *c, const char *timestamp)
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
		if (err)
			fprintf(stderr, "tcpclose check: cannot write --junit file '%s': %s (give a writable path)\n",
				c->opts->junit, strerror(-err));
	}
}

static void check__free_jobs(struct checker *c)
{
	for (int i = 0; i < c->njobs; i++) {
		free(c->jobs[i].recs);
		free(c->jobs[i].arrived_ns);
		free(c->jobs[i].result.records);
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
	struct tc_stats st;
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
		err = check__round_end(c);
		if (err)
			goto fail;
	}
	core__stats(t, &st);
	c->lost = st.drops[TC_DROP_RINGBUF] + st.drops[TC_DROP_CONN_MAP] + st.drops[TC_DROP_TW_MAP];
	c->unseen = st.drops[TC_DROP_UNSEEN];
	return 0;
fail:
	fprintf(stderr, "tcpclose check: round %d: %s\n", c->round, strerror(-err));
	return err;
}

int check__main(int argc, char **argv)
{
	struct checker c = {};
	struct check_load load = {};
	struct check_opts opts;
	struct tc_opts topts;
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
	c.rearm_blind = tracer.loader.backend == TC_BACKEND_TRACEPOINT;
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
		check__summary(&c, timestamp);
	ret = err || c.failed ? 1 : 0;
out:
	check_load__stop(&load);
	core__close(&tracer);
	check__free_jobs(&c);
	for (int i = 0; i < c.nr_results; i++)
		free(c.results[i].records);
	free(c.results);
	free(c.round_seconds);
	check_flake__free(&c.flakes);
	check__free(&opts);
	return ret;
}
