// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* check_job: a scenario's child, and the judging of its records; see check_job.h */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include "check_job.h"
#include "check_ladder.h"
#include "ladder_text.h"
#include "clock.h"
#include "netns.h"

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

int job__start(struct job *j)
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

void job__error(struct job *j, const char *fmt, ...)
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

struct ladder_diffs {
	char text[512];
	size_t len;
};

static void ladder__diff(void *ctx, const char *line)
{
	struct ladder_diffs *d = ctx;

	if (d->len < sizeof(d->text))
		d->len += snprintf(d->text + d->len, sizeof(d->text) - d->len, "    %s\n", line);
}

/*
 * "  ladder: 4 of 4 arrows as the wire has them": how its ladder compares (check_ladder.h),
 * and under it each difference, which a scenario that passed would not show otherwise
 */
static int job__ladder_text(const struct job *j, const struct wire_facts *wire, int i, int nth,
			    char *buf, size_t len)
{
	struct ladder_diffs d = {};
	struct ladder l;
	int matched, bad;

	ladder__build(&l, &j->recs[i]);
	bad = check_ladder__judge(wire, &j->recs[i], nth, j->arrived_ns[i], j->sh->netns_ns,
				  ladder__diff, &d, &matched);
	return snprintf(buf, len, "  ladder: %d of %d arrows found on the wire, %d differences\n%s",
			matched, l.narrows, bad, d.text);
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
		      "evidence: %zu segments, %llu socket dumps %.1f ms apart at most, the tick %.1f ms late at most, %u ticks seen%s\n",
		      j->sh->nsegs, (unsigned long long)j->sh->ss.dumps,
		      j->sh->ss.worst_gap_ns / 1e6, j->sh->ss.worst_tick_lag_ns / 1e6,
		      j->sh->ss.nticks, j->sh->ss.ticks_overflow ? " (and more not kept)" : "");
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
		if (o < RECORDS_TEXT)
			o += job__ladder_text(j, wire, i, nth, text + o, RECORDS_TEXT - o);
	}
	j->result.records = text;
}

/*
 * -v, a scenario that failed: each record drawn as its close went (ladder_text.c), and
 * under it what its end was expected to say, to read the one against the other
 */
static void job__ladders(struct job *j)
{
	int end_of[j->nrecs > 0 ? j->nrecs : 1], nth_of[j->nrecs > 0 ? j->nrecs : 1];
	char want[1024];
	size_t len = 0;
	FILE *f = open_memstream(&j->result.ladders, &len);

	if (!f)
		return;
	check_expect__pair(&j->expect, j->recs, j->nrecs, end_of, nth_of);
	for (int i = 0; i < j->nrecs; i++) {
		const struct check_end *x = end_of[i] >= 0 ? &j->expect.ends[end_of[i]] : NULL;
		struct ladder l;

		ladder__build(&l, &j->recs[i]);
		fprintf(f, "%s:\n", x ? x->name : "a record no end claims");
		ladder_text__print(f, &l, "  ");
		if (!x)
			continue;
		check_expect__describe_end(x, want, sizeof(want));
		fprintf(f, "  expected of %s: %s\n\n", x->name, want);
	}
	fclose(f);
}

/* what the child left as evidence of when things happened (check_wire.h) */
static void job__wire(const struct checker *c, const struct job *j, struct wire_facts *w)
{
	const struct check_shared *sh = j->sh;

	*w = (struct wire_facts){
		.segs = sh->segs, .nsegs = sh->nsegs, .real_ref_s = sh->real_ref_s,
		.mono_ref_ns = sh->mono_ref_ns, .ss = &sh->ss, .done_ns = sh->done_ns,
		.close_ns = sh->res.close_ns,
		.hz = c->hz, .rearm_blind = c->rearm_blind,
	};
}

void job__finish(struct checker *c, struct job *j)
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
	if (c->opts->verbose && j->result.status == CHECK_FAIL)
		job__ladders(j);
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
		.tw_at_expiry = c->tw_at_expiry,
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

void job__kill(struct job *j)
{
	int status;

	kill(j->pid, SIGKILL);
	waitpid(j->pid, &status, 0);
}

void job__poll(struct checker *c, struct job *j, double now)
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
