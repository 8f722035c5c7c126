// SPDX-License-Identifier: GPL-2.0
/*
 * runner: run the tests listed in the generated TESTS_H, each in its own process (and, for
 * integration tests, its own network namespace), up to -j at a time, and report them, and
 * their subtests, as test_progs does: "#6/2 close_active/ipv6: OK", then "#6 close_active: OK".
 * The closing line counts (sub)tests, each subtest once and a test without subtests once:
 * "N passed, N failed, N skipped"; the failed ones are named again just before it.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "kernel_skips.h"
#include "netns_named.h"
#include "clock.h"
#include "test.h"
#include "test_state.h"

#ifndef TESTS_H
#error "build with -DTESTS_H='\"unit_tests.h\"' or the integration one"
#endif
#ifndef TEST_NETNS
#define TEST_NETNS 0
#endif
/* the witnesses' tracefs instances: PREFIX-RUNNER_PID-TEST */
#define KERNEL_SKIPS_PREFIX "tcpclose-test"

/* how much of the first failed assertion the recap repeats beside a failed test's name */
#define RECAP_WHY 240

#ifndef TEST_JOBS
#define TEST_JOBS 4
#endif

#define DEFINE_TEST(name) void test_##name(void);
#define DEFINE_SERIAL_TEST(name) void serial_test_##name(void);
#include TESTS_H
#undef DEFINE_TEST
#undef DEFINE_SERIAL_TEST

struct test_def {
	const char *name;
	void (*fn)(void);
	bool serial;		/* runs alone: it counts everything a tracer sees, say */
};

#define DEFINE_TEST(name) { #name, test_##name, false },
#define DEFINE_SERIAL_TEST(name) { #name, serial_test_##name, true },
static const struct test_def tests[] = {
#include TESTS_H
};
#undef DEFINE_TEST
#undef DEFINE_SERIAL_TEST

#define NR_TESTS (sizeof(tests) / sizeof(tests[0]))

struct job {
	int idx;		/* into tests[] */
	pid_t pid;		/* also its process group: leftovers are killed with it */
	int out;		/* memfd holding the test's stdout and stderr */
	struct test_state *state;	/* shared with the test's process */
	double start;
	bool again;		/* its second run (runner__rerun()) */
	struct kernel_skips skips;	/* what the kernel ran in PID 1's context meanwhile */
};

/* the closing count, of (sub)tests, and the names of the failed ones */
struct tally {
	int passed, failed, skipped;
	char **failures;
	int nfailures;
};

static void runner__child(const struct test_def *t, int out, struct test_state *state)
{
	int err;

	test__begin(t->name, state);
	setpgid(0, 0);
	dup2(out, STDOUT_FILENO);
	dup2(out, STDERR_FILENO);
	close(out);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (TEST_NETNS) {
		err = netns__unshare();
		if (err) {
			printf("runner: private network namespace with lo up: %s\n",
			       strerror(-err));
			exit(1);
		}
	}
	t->fn();
	test__end_subtest();
	fflush(NULL);
	exit(test__has_failed_any() ? 1 : 0);
}

static int runner__start(struct job *j, int idx, bool again)
{
	char witness[64];

	j->idx = idx;
	j->again = again;
	j->state = mmap(NULL, sizeof(*j->state), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (j->state == MAP_FAILED) {
		j->state = NULL;
		return -errno;
	}
	j->out = memfd_create(tests[idx].name, MFD_CLOEXEC);
	if (j->out < 0) {
		munmap(j->state, sizeof(*j->state));
		return -errno;
	}
	j->start = clock__now_s();
	snprintf(witness, sizeof(witness), KERNEL_SKIPS_PREFIX "-%d-%d", getpid(), idx);
	j->skips.dir[0] = '\0';
	if (TEST_NETNS)		/* the integration tests: those that trace */
		kernel_skips__start(&j->skips, witness);
	fflush(NULL);
	j->pid = fork();
	if (j->pid < 0) {
		kernel_skips__stop(&j->skips);
		close(j->out);
		munmap(j->state, sizeof(*j->state));
		return -errno;
	}
	if (j->pid == 0)
		runner__child(&tests[idx], j->out, j->state);
	setpgid(j->pid, j->pid);
	return 0;
}

/* the test's output from offset from to offset to (-1: its end) */
static void runner__dump(int fd, off_t from, off_t to)
{
	char buf[4096];
	size_t want;
	ssize_t n;
	off_t off = from;

	fflush(stdout);
	while (to < 0 || off < to) {
		want = to < 0 || to - off > (off_t)sizeof(buf) ? sizeof(buf) : (size_t)(to - off);
		n = pread(fd, buf, want, off);
		if (n <= 0)
			break;
		fwrite(buf, 1, n, stdout);
		off += n;
	}
}

/*
 * The first failed assertion in a test's output between from and to (to < 0: the end), the
 * line test.h's ASSERT_* print ("FILE.c:LINE what: got ... want ..."), into buf: the recap
 * says why beside the name, for logs that keep only their tail (CI). "" if there is none.
 */
static void runner__first_failure(int fd, off_t from, off_t to, char *buf, size_t size)
{
	char chunk[4096], *line, *end, *colon, *space;
	ssize_t n;

	buf[0] = '\0';
	for (off_t off = from; to < 0 || off < to;) {
		size_t want = to < 0 || to - off >= (off_t)sizeof(chunk) ? sizeof(chunk) - 1 :
			      (size_t)(to - off);

		n = pread(fd, chunk, want, off);
		if (n <= 0)
			return;
		chunk[n] = '\0';
		end = strrchr(chunk, '\n');
		/* whole lines only: a longer one than the chunk is read as it is */
		if (end && (size_t)n == want && end != chunk)
			n = end - chunk + 1;
		chunk[n] = '\0';
		for (line = chunk; line && *line; line = end ? end + 1 : NULL) {
			end = strchr(line, '\n');
			if (end)
				*end = '\0';
			/* "FILE.c:LINE " with no space before: not a line that quotes one */
			colon = strstr(line, ".c:");
			space = strchr(line, ' ');
			if (colon && colon > line && colon[3] >= '0' && colon[3] <= '9' && space &&
			    space > colon) {
				/* truncated on purpose: the recap keeps one short line */
				size_t len = strnlen(line, size - 1);

				memcpy(buf, line, len);
				buf[len] = '\0';
				return;
			}
		}
		off += n;
	}
}

/*
 * Reap one finished test, if any. Its leftovers (a tracer, a scenario process) are killed
 * first, while the zombie still holds its process group id, so no other group is hit.
 */
static pid_t runner__reap(int *status)
{
	siginfo_t info = { 0 };

	if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) || !info.si_pid)
		return 0;
	kill(-info.si_pid, SIGKILL);
	return waitpid(info.si_pid, status, 0);
}

/* namespaces a killed or crashed test left in /run/netns: netns__create() names them *-PID-N */
static void runner__sweep(pid_t pid)
{
	char pattern[64], path[PATH_MAX];
	struct dirent *de;
	DIR *dir;

	dir = opendir("/run/netns");
	if (!dir)
		return;
	snprintf(pattern, sizeof(pattern), "-%d-", pid);
	while ((de = readdir(dir))) {
		if (!strstr(de->d_name, pattern))
			continue;
		snprintf(path, sizeof(path), "/run/netns/%s", de->d_name);
		umount2(path, MNT_DETACH);
		unlink(path);
	}
	closedir(dir);
}

static void tally__fail(struct tally *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void tally__fail(struct tally *t, const char *fmt, ...)
{
	char **list = realloc(t->failures, (t->nfailures + 1) * sizeof(*list));
	va_list ap;

	t->failed++;
	if (!list)
		return;
	t->failures = list;
	va_start(ap, fmt);
	if (vasprintf(&list[t->nfailures], fmt, ap) >= 0)
		t->nfailures++;
	va_end(ap);
}

/* the failed ones again, just before the closing count, so that the count stays last */
static void tally__print(struct tally *t)
{
	int i;

	if (t->nfailures)
		printf("failed (sub)tests, again:\n");
	for (i = 0; i < t->nfailures; i++) {
		printf("  %s\n", t->failures[i]);
		free(t->failures[i]);
	}
	free(t->failures);
	printf("%d passed, %d failed, %d skipped\n", t->passed, t->failed, t->skipped);
}

/* each subtest's line, with its output when it failed (or -v) */
static void runner__report_subtests(struct job *j, const char *died, struct tally *tally)
{
	const char *name = tests[j->idx].name;
	struct subtest_state *s;
	int i;

	for (i = 0; i < j->state->nsub; i++) {
		s = &j->state->sub[i];
		if (!s->ended) {
			s->failed = true;
			s->log_end = -1;
			s->secs = clock__now_s() - j->start;
		}
		if (s->failed) {
			char why[RECAP_WHY];

			printf("#%d/%d %s/%s: FAIL%s %.1fs\n", j->idx + 1, s->num, name, s->name,
			       s->ended ? "" : died, s->secs);
			runner__first_failure(j->out, s->log_start, s->log_end, why, sizeof(why));
			tally__fail(tally, "#%d/%d %s/%s%s%s", j->idx + 1, s->num, name, s->name,
				    why[0] ? ": " : "", why);
		} else if (s->skipped) {
			printf("#%d/%d %s/%s: SKIP (%s) %.1fs\n", j->idx + 1, s->num, name, s->name,
			       s->why, s->secs);
			tally->skipped++;
		} else {
			printf("#%d/%d %s/%s: OK %.1fs\n", j->idx + 1, s->num, name, s->name,
			       s->secs);
			tally->passed++;
		}
		if (s->failed || test__verbose)
			runner__dump(j->out, s->log_start, s->log_end);
	}
}

/* the test's output outside its subtests */
static void runner__dump_outside(struct job *j)
{
	off_t from = 0;
	int i;

	for (i = 0; i < j->state->nsub; i++) {
		runner__dump(j->out, from, j->state->sub[i].log_start);
		from = j->state->sub[i].log_end;
		if (from < 0)
			return;
	}
	runner__dump(j->out, from, -1);
}

/* report a finished (or timed out) job, and its subtests, in the tally */
static void runner__report(struct job *j, int status, bool timed_out, struct tally *tally)
{
	bool ok = !timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0;
	struct test_state *st = j->state;
	const char *name = tests[j->idx].name;
	int i, skipped = 0, subfailed = 0;
	bool died, in_sub = false;
	char why[64] = "";

	if (timed_out)
		snprintf(why, sizeof(why), " (timed out)");
	else if (WIFSIGNALED(status))
		snprintf(why, sizeof(why), " (killed by signal %d)", WTERMSIG(status));
	died = timed_out || WIFSIGNALED(status);
	for (i = 0; i < st->nsub; i++)
		in_sub |= !st->sub[i].ended;
	runner__sweep(j->pid);
	runner__report_subtests(j, died ? why : " (exited in it)", tally);
	for (i = 0; i < st->nsub; i++) {
		skipped += st->sub[i].skipped && !st->sub[i].failed;
		subfailed += st->sub[i].failed;
	}
	if (!ok) {
		printf("#%d %s: FAIL%s %.1fs\n", j->idx + 1, name, why, clock__now_s() - j->start);
		/* the test's own: outside its subtests, or with none to blame */
		if (st->failed_outside || !subfailed || (died && !in_sub)) {
			char first[RECAP_WHY];

			runner__first_failure(j->out, 0, st->nsub ? st->sub[0].log_start : -1,
					      first, sizeof(first));
			tally__fail(tally, "#%d %s%s%s", j->idx + 1, name, first[0] ? ": " : "",
				    first[0] ? first : why);
		}
	} else if (st->nsub && skipped == st->nsub) {
		printf("#%d %s: SKIP %.1fs\n", j->idx + 1, name, clock__now_s() - j->start);
	} else if (st->nsub && skipped) {
		printf("#%d %s: OK (SKIP: %d/%d) %.1fs\n", j->idx + 1, name, skipped, st->nsub,
		       clock__now_s() - j->start);
	} else if (!st->nsub && st->has_subtests) {
		printf("#%d %s: OK (no subtest matches the -t filters) %.1fs\n", j->idx + 1, name,
		       clock__now_s() - j->start);
	} else if (!st->nsub && st->skipped) {
		printf("#%d %s: SKIP (%s) %.1fs\n", j->idx + 1, name, st->why,
		       clock__now_s() - j->start);
		tally->skipped++;
	} else {
		printf("#%d %s: OK %.1fs\n", j->idx + 1, name, clock__now_s() - j->start);
		if (!st->nsub)
			tally->passed++;
	}
	if (!ok || test__verbose)
		runner__dump_outside(j);
	fflush(stdout);
	close(j->out);
	munmap(j->state, sizeof(*j->state));
	j->state = NULL;
	j->pid = 0;
}

/*
 * A test that failed while the kernel ran tcpclose's hooks in PID 1's context, where this
 * project's test kernel runs no BPF program and counts nothing (docs/KERNEL-SKIPS.md), was
 * not given the events it judges; one whose kernel did not follow its script
 * (test__off_script()) did not run the scenario it judges. Say so with its output, and run
 * it once more, whose result counts. Any other failure, or a second one, is reported as it is.
 */
static bool runner__rerun(struct job *j, int status, bool timed_out)
{
	bool failed = timed_out || !WIFEXITED(status) || WEXITSTATUS(status) != 0;
	long seen = kernel_skips__stop(&j->skips);
	const char *off = j->state ? j->state->off_script : "";

	if (!failed || j->again || (seen <= 0 && !off[0]))
		return false;
	if (seen > 0)
		printf("#%d %s: failed while the kernel ran %ld of tcpclose's hooks in PID 1's context, where it skips BPF (docs/KERNEL-SKIPS.md): once more\n",
		       j->idx + 1, tests[j->idx].name, seen);
	else
		printf("#%d %s: failed where the kernel did not follow its script (%s): once more\n",
		       j->idx + 1, tests[j->idx].name, off);
	runner__sweep(j->pid);
	runner__dump(j->out, 0, -1);
	fflush(stdout);
	close(j->out);
	munmap(j->state, sizeof(*j->state));
	j->state = NULL;
	j->pid = 0;
	return true;
}

/* whether -t selects the test: its subtests are picked as they start */
static bool runner__selected(int idx)
{
	char part[128];
	int i;

	if (!test__nfilters)
		return true;
	for (i = 0; i < test__nfilters; i++) {
		test__filter(i, part, sizeof(part));
		if (strstr(tests[idx].name, part))
			return true;
	}
	return false;
}

static const char usage[] =
	"usage: %s [-j N] [-t NAME[/SUB]]... [-T SECONDS] [-v] [-l]\n"
	"  -j N        run up to N tests at once (default %d)\n"
	"  -t NAME     run the tests whose name contains NAME (may be repeated);\n"
	"  -t NAME/SUB only those of their subtests whose name contains SUB\n"
	"  -T SECONDS  fail a test that runs longer (default 300)\n"
	"  -v          show every test's output, not only failing ones'\n"
	"  -l          list the tests\n";

int main(int argc, char **argv)
{
	int jobs = TEST_JOBS, timeout = 300;
	int order[NR_TESTS], nsel = 0, next = 0, running = 0, status, c, i;
	struct tally tally = {};
	struct job *pool;
	bool list = false;
	pid_t pid;

	test__filters = calloc(argc, sizeof(char *));
	if (!test__filters)
		return 1;
	while ((c = getopt(argc, argv, "j:t:T:vlh")) != -1) {
		switch (c) {
		case 'j':
			jobs = atoi(optarg);
			break;
		case 't':
			test__filters[test__nfilters++] = optarg;
			break;
		case 'T':
			timeout = atoi(optarg);
			break;
		case 'v':
			test__verbose = true;
			break;
		case 'l':
			list = true;
			break;
		default:
			fprintf(stderr, usage, argv[0], TEST_JOBS);
			return 2;
		}
	}
	if (jobs < 1 || timeout < 1 || optind != argc) {
		fprintf(stderr, usage, argv[0], TEST_JOBS);
		return 2;
	}
	for (c = 0; c < 2; c++) {
		for (i = 0; i < (int)NR_TESTS; i++) {
			if (tests[i].serial == c && runner__selected(i))
				order[nsel++] = i;
		}
	}
	if (list) {
		for (i = 0; i < nsel; i++)
			printf("#%d %s\n", order[i] + 1, tests[order[i]].name);
		return 0;
	}
	pool = calloc(jobs, sizeof(*pool));
	if (!pool)
		return 1;
	if (TEST_NETNS)
		kernel_skips__sweep(KERNEL_SKIPS_PREFIX);
	if (!nsel)
		printf("no test matches the -t filters\n");
	while (next < nsel || running) {
		for (i = 0; i < jobs && next < nsel; i++) {
			if (pool[i].pid)
				continue;
			/* a serial test starts when nothing runs, and nothing starts beside it */
			if (tests[order[next]].serial && running)
				break;
			if (runner__start(&pool[i], order[next], false)) {
				printf("#%d %s: FAIL (cannot start: %s)\n", order[next] + 1,
				       tests[order[next]].name, strerror(errno));
				tally__fail(&tally, "#%d %s", order[next] + 1,
					    tests[order[next]].name);
			} else {
				running++;
			}
			next++;
			if (tests[order[next - 1]].serial)
				break;
		}
		pid = runner__reap(&status);
		for (i = 0; i < jobs; i++) {
			bool late = pool[i].pid && clock__now_s() - pool[i].start > timeout;
			/* each job its own status: a late one killed in this pass must not
			 * lend its SIGKILL to the one reaped above */
			int st = status;

			if (!pool[i].pid || (pool[i].pid != pid && !late))
				continue;
			if (late && pool[i].pid != pid) {
				kill(-pool[i].pid, SIGKILL);
				waitpid(pool[i].pid, &st, 0);
			}
			if (runner__rerun(&pool[i], st, late && pool[i].pid != pid)) {
				if (runner__start(&pool[i], pool[i].idx, true))
					tally__fail(&tally, "#%d %s: cannot start it again",
						    pool[i].idx + 1, tests[pool[i].idx].name);
				else
					continue;
			} else {
				runner__report(&pool[i], st, late && pool[i].pid != pid, &tally);
			}
			running--;
		}
		if (pid <= 0)
			nanosleep(&(struct timespec){ .tv_nsec = 10000000 }, NULL);
	}
	tally__print(&tally);
	free(pool);
	free(test__filters);
	return tally.failed || !nsel ? 1 : 0;
}
