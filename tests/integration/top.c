// SPDX-License-Identifier: GPL-2.0
/*
 * tcpclose top, judged by the wire: the scenario leaves a known set of sockets held in
 * this namespace (TIME_WAIT at one process, CLOSE_WAIT at another, FIN_WAIT2 at the test's
 * own server ends) and passive closes of the test's own; top's rows must say what ss says
 * of the sockets held and what a tcpclose -j run alongside says of the closes. The screen
 * is a real terminal (tmux): rows, sorting by key press, a resize, q, and the terminal
 * given back after SIGTERM. The snapshots without a terminal (-j and plain text), and the
 * memory bound (--max-groups: the rest folded into "other", every socket counted once).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/types.h>
#include "conns.h"
#include "tcpclose.h"
#include "test.h"
#include "tmux.h"
#include "tw.h"

#define NR_TW 3		/* closed first by "toptw": TIME_WAIT there, passive closes here */
#define NR_CW 2		/* closed first here: FIN_WAIT2 here, CLOSE_WAIT at "topcw" */
#define SETTLE_MS 300
#define SNAPSHOT_WAIT_MS 5000
#define SCREEN_WAIT_MS 5000

struct top_scene {
	int lfd;
	unsigned short port;
	struct conn tw[NR_TW], cw[NR_CW];
	pid_t tw_holder, cw_holder;
	char self_comm[TCPC_COMM_LEN];
	/* what ss says once the scenario has settled */
	int ss_tw, ss_cw, ss_fw2;
	double settled;		/* wall-clock seconds */
};

static pid_t hold_clients(const char *comm, struct conn *c, int n)
{
	int fds[NR_TW + NR_CW];
	pid_t pid;

	for (int i = 0; i < n; i++)
		fds[i] = c[i].cfd;
	pid = conns__hold(comm, fds, n);
	/* the holder's copies alone keep them open: ours would make us their holder too */
	for (int i = 0; pid > 0 && i < n; i++) {
		close(c[i].cfd);
		c[i].cfd = -1;
	}
	return pid;
}

static bool scene__drive(struct top_scene *s)
{
	char filter[96];
	int err = 0;

	memset(s, 0, sizeof(*s));
	s->tw_holder = s->cw_holder = -1;
	if (!ASSERT_OK(conns__comm(getpid(), s->self_comm, sizeof(s->self_comm)), "own comm"))
		return false;
	s->lfd = sock__listen(4, &s->port);
	if (!ASSERT_GE(s->lfd, 0, "listener"))
		return false;
	for (int i = 0; i < NR_TW && !err; i++)
		err = conns__open(&s->tw[i], s->lfd, 4, s->port);
	for (int i = 0; i < NR_CW && !err; i++)
		err = conns__open(&s->cw[i], s->lfd, 4, s->port);
	if (!ASSERT_OK(err, "connections"))
		return false;
	s->tw_holder = hold_clients("toptw", s->tw, NR_TW);
	s->cw_holder = hold_clients("topcw", s->cw, NR_CW);
	if (!ASSERT_GT(s->tw_holder, 0, "toptw") || !ASSERT_GT(s->cw_holder, 0, "topcw"))
		return false;
	/* toptw exits: its ends close first (TIME_WAIT there), ours after (passive here) */
	conns__release(s->tw_holder);
	s->tw_holder = -1;
	conns__sleep_ms(100);
	for (int i = 0; i < NR_TW; i++)
		conns__close(&s->tw[i]);
	/* ours close first, topcw never does: FIN_WAIT2 here, CLOSE_WAIT there */
	for (int i = 0; i < NR_CW; i++) {
		close(s->cw[i].sfd);
		s->cw[i].sfd = -1;
	}
	conns__sleep_ms(SETTLE_MS);
	s->settled = conns__wall();
	snprintf(filter, sizeof(filter), "state time-wait dport = :%u", s->port);
	s->ss_tw = tw__ss_count(filter);
	snprintf(filter, sizeof(filter), "state close-wait dport = :%u", s->port);
	s->ss_cw = tw__ss_count(filter);
	snprintf(filter, sizeof(filter), "state fin-wait-2 sport = :%u", s->port);
	s->ss_fw2 = tw__ss_count(filter);
	test__log("ss: TIME-WAIT %d, CLOSE-WAIT %d, FIN-WAIT-2 %d", s->ss_tw, s->ss_cw, s->ss_fw2);
	/* the scene as built: ss is the oracle below, but it must have something to say */
	return ASSERT_EQ(s->ss_tw, NR_TW, "ss TIME-WAIT") && ASSERT_EQ(s->ss_cw, NR_CW, "ss CLOSE-WAIT") &&
	       ASSERT_EQ(s->ss_fw2, NR_CW, "ss FIN-WAIT-2");
}

static void scene__cleanup(struct top_scene *s)
{
	conns__release(s->tw_holder);
	conns__release(s->cw_holder);
	for (int i = 0; i < NR_TW; i++)
		conns__close(&s->tw[i]);
	for (int i = 0; i < NR_CW; i++)
		conns__close(&s->cw[i]);
	if (s->lfd > 0)
		close(s->lfd);
}

/* the dports of the passive close records of our server ends, from tcpclose -j alongside */
static int scene__passive_records(const struct tracer *t, int *dports, int max)
{
	int n = 0;

	for (int i = 0; i < t->nrecs && n < max; i++) {
		json_object *r = t->recs[i];

		if (tw__is_close(r) && json__int(r, "pid", -1) == getpid() &&
		    !strcmp(json__str(r, "role") ?: "", "passive"))
			dports[n++] = json__int(r, "dport", -1);
	}
	return n;
}

/* ---- the snapshots, without a terminal ---- */

static json_object *group_of(json_object *snap, const char *remote, const char *comm)
{
	json_object *groups;

	if (!json_object_object_get_ex(snap, "groups", &groups))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(groups); i++) {
		json_object *g = json_object_array_get_idx(groups, i);
		const char *k = json__str(g, "remote"), *c = json__str(g, "comm");

		if (k && !strcmp(k, remote) && c && !strcmp(c, comm))
			return g;
	}
	return NULL;
}

static long long now_count(json_object *g, const char *state)
{
	json_object *now;

	return g && json_object_object_get_ex(g, "now", &now) ? json__int(now, state, -1) : -1;
}

/* -j: the groups' sockets against ss, their closes against the records */
static void check_json(const struct top_scene *s, const struct tracer *top, const int *dports,
		       int npassive)
{
	json_object **snaps, *last, *g, *groups;
	char remote[64];
	long long fw2 = 0, sum;
	int n, at;

	/* a whole interval after the scene settled: every close of it is in by then */
	at = conns__top_snapshot(top, s->settled + 1.0, SNAPSHOT_WAIT_MS, &snaps, &n);
	if (!ASSERT_GE(at, 0, "a snapshot after the scene"))
		return;
	last = snaps[at];
	test__log("snapshot: %s", json_object_to_json_string_ext(last, JSON_C_TO_STRING_PLAIN));
	snprintf(remote, sizeof(remote), "127.0.0.1:%u", s->port);
	ASSERT_EQ(now_count(group_of(last, remote, "toptw"), "TIME_WAIT"), s->ss_tw,
		  "toptw's TIME_WAIT, against ss");
	ASSERT_EQ(now_count(group_of(last, remote, "topcw"), "CLOSE_WAIT"), s->ss_cw,
		  "topcw's CLOSE_WAIT, against ss");
	for (int i = 0; i < npassive; i++) {
		snprintf(remote, sizeof(remote), "127.0.0.1:%d", dports[i]);
		g = group_of(last, remote, s->self_comm);
		if (!ASSERT_NOT_NULL(g, "a row for each passive record"))
			continue;
		ASSERT_EQ(json__int(g, "closes_total", -1), 1, "its closes since start");
		/* the same close, in exactly one interval, as passive */
		sum = 0;
		for (int j = 0; j <= at; j++) {
			json_object *gj = group_of(snaps[j], remote, s->self_comm);

			sum += gj ? json__int(gj, "passive", 0) : 0;
		}
		ASSERT_EQ(sum, 1, "counted once, as passive, in the intervals");
	}
	/* our FIN_WAIT2 ends: a row each, their remote being each client's port */
	if (json_object_object_get_ex(last, "groups", &groups))
		for (size_t i = 0; i < json_object_array_length(groups); i++) {
			g = json_object_array_get_idx(groups, i);
			if (json__int(g, "pid", -1) == getpid())
				fw2 += now_count(g, "FIN_WAIT2");
		}
	ASSERT_EQ(fw2, s->ss_fw2, "our FIN_WAIT2, against ss");
	conns__records_free(snaps, n);
}

/* one row of the screen or of a text snapshot */
struct top_row {
	double closes, active, passive, aborted;
	long long tw, cw, fw2, finrt, rst, total;
	char keys[128];		/* the key columns as printed */
};

static bool parse_row(const char *line, struct top_row *r)
{
	char p50[16], p99[16], ports[16];
	int off = 0;

	if (sscanf(line, "%lf %lf %lf %lf %lld %lld %lld %15s %15s %lld %lld %lld %15s %n",
		   &r->closes, &r->active, &r->passive, &r->aborted, &r->tw, &r->cw, &r->fw2, p50,
		   p99, &r->finrt, &r->rst, &r->total, ports, &off) != 13 || !off)
		return false;
	snprintf(r->keys, sizeof(r->keys), "%s", line + off);
	return true;
}

/* the row whose keys contain both a and b */
static bool find_row(const char *screen, const char *a, const char *b, struct top_row *r)
{
	char *copy = strdup(screen), *line, *save = NULL;
	bool found = false;

	for (line = strtok_r(copy, "\n", &save); line && !found; line = strtok_r(NULL, "\n", &save))
		found = parse_row(line, r) && strstr(r->keys, a) && strstr(r->keys, b);
	free(copy);
	return found;
}

/*
 * Plain text with --max-groups 2 -k remote: the last whole snapshot has at most 2 rows and
 * "other", and rows and other together hold every socket ss counts and every close.
 */
static void check_text(const struct top_scene *s, int out_fd, int nrecords)
{
	struct top_row r, sum = {};
	char *text, *end, *block, *line, *save = NULL;
	int rows = 0, others = 0;
	off_t size = lseek(out_fd, 0, SEEK_END);

	text = calloc(1, size + 1);
	if (!ASSERT_NOT_NULL(text, "text") || !ASSERT_EQ(pread(out_fd, text, size, 0), size, "read"))
		goto out;
	/* the last snapshot that is whole: blocks end with a blank line */
	end = text + size;
	while (end > text && end[-1] == '\n')
		end--;
	*end = '\0';
	block = strrchr(text, '\n');
	while (block && block > text && block[-1] != '\n')
		block = memrchr(text, '\n', block - text);
	block = block ? block + 1 : text;
	test__log("last text snapshot:\n%s", block);
	for (line = strtok_r(block, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!parse_row(line, &r))
			continue;
		if (strstr(r.keys, "(other)"))
			others++;
		else
			rows++;
		sum.tw += r.tw;
		sum.cw += r.cw;
		sum.fw2 += r.fw2;
		sum.total += r.total;
	}
	ASSERT_LE(rows, 2, "at most --max-groups rows");
	ASSERT_EQ(others, 1, "the rest folded into one other row");
	ASSERT_EQ(sum.tw, s->ss_tw, "TIME_WAIT in rows and other, against ss");
	ASSERT_EQ(sum.cw, s->ss_cw, "CLOSE_WAIT in rows and other, against ss");
	ASSERT_EQ(sum.fw2, s->ss_fw2, "FIN_WAIT2 in rows and other, against ss");
	ASSERT_EQ(sum.total, nrecords, "every close, in rows and other, against the records");
out:
	free(text);
}

static int start_top(struct tracer *t, int out_fd, bool text, const char *const *args)
{
	return tracer__spawn(t, &(struct tracer_spawn){ .out_fd = out_fd, .command = "top",
							.text = text }, args);
}

/*
 * The JSON snapshots follow timewait sockets without entries (a timewait socket's process is
 * its record's head's, in user space), the text ones with them (--tw-entry always)
 */
void test_top_snapshots(void)
{
	struct tracer recs = {}, top_json = {}, top_text = {};
	struct top_scene s = { .lfd = -1, .tw_holder = -1, .cw_holder = -1 };
	int text_fd, dports[NR_TW], npassive, nrecords;

	text_fd = memfd_create("top-text", MFD_CLOEXEC);
	if (!ASSERT_GE(text_fd, 0, "memfd"))
		return;
	if (!ASSERT_OK(tracer__start(&recs, NULL, NULL), "tcpclose -j") ||
	    !ASSERT_OK(start_top(&top_json, -1, false, NULL), "tcpclose top -j") ||
	    !ASSERT_OK(start_top(&top_text, text_fd, true,
				 (const char *[]){ "--max-groups", "2", "-k", "remote",
						   "--tw-entry", "always", NULL }),
		       "tcpclose top --max-groups 2 --tw-entry always, not a terminal"))
		goto out;
	if (!scene__drive(&s))
		goto out;
	/* two intervals after the scene: a whole text snapshot of it */
	conns__sleep_ms(2500);
	if (!ASSERT_OK(tracer__stop(&recs), "stop tcpclose -j"))
		goto out;
	npassive = scene__passive_records(&recs, dports, NR_TW);
	nrecords = tracer__count_closes(&recs);
	ASSERT_EQ(npassive, NR_TW, "passive records of our server ends");
	check_json(&s, &top_json, dports, npassive);
	ASSERT_OK(tracer__stop(&top_text), "stop the text snapshots");
	check_text(&s, text_fd, nrecords);
	ASSERT_OK(tracer__stop(&top_json), "stop tcpclose top -j");
	ASSERT_EQ(top_json.bad_lines, 0, "every snapshot line is JSON");
out:
	scene__cleanup(&s);
	tracer__free(&recs);
	tracer__free(&top_json);
	tracer__free(&top_text);
	close(text_fd);
}

/* ---- on a real terminal ---- */

#define TERM_COLS 200
#define TERM_ROWS 40
#define START_WAIT_MS 30000	/* loading the programs, on a busy machine */

struct term_run {
	struct tmux tm;
	char pidfile[PATH_MAX], sttyfile[PATH_MAX], errfile[PATH_MAX];
	char tcpclose[PATH_MAX];
};

/* type "tcpclose top" into the shell, as a person would; wait for its heading */
static char *term__start_top(struct term_run *r)
{
	char cmd[4 * PATH_MAX + 128];

	unlink(r->pidfile);
	snprintf(cmd, sizeof(cmd), "sh -c 'echo $$ > %s; exec %s top --netns /proc/%d/ns/net 2>%s'",
		 r->pidfile, r->tcpclose, getpid(), r->errfile);
	if (tmux__type(&r->tm, cmd) || tmux__keys(&r->tm, "Enter"))
		return NULL;
	return tmux__wait_for(&r->tm, "CLOSE/s", START_WAIT_MS);
}

static pid_t term__top_pid(const struct term_run *r)
{
	FILE *f = fopen(r->pidfile, "r");
	int pid = -1;

	if (f) {
		if (fscanf(f, "%d", &pid) != 1)
			pid = -1;
		fclose(f);
	}
	return pid;
}

/* the terminal as a shell wants it back: the main screen, the cursor, cooked mode */
static void term__check_restored(struct term_run *r, const char *after)
{
	char what[96], cmd[3 * PATH_MAX + 32], *stty = NULL;
	size_t len = 0;
	FILE *f;

	snprintf(what, sizeof(what), "%s: back at the shell", after);
	ASSERT_TRUE(tmux__wait_display(&r->tm, "#{pane_current_command}", "sh", 5000), what);
	snprintf(what, sizeof(what), "%s: the main screen again", after);
	ASSERT_TRUE(tmux__wait_display(&r->tm, "#{alternate_on}", "0", 2000), what);
	snprintf(what, sizeof(what), "%s: the cursor shown", after);
	ASSERT_TRUE(tmux__wait_display(&r->tm, "#{cursor_flag}", "1", 2000), what);
	unlink(r->sttyfile);
	snprintf(cmd, sizeof(cmd), "stty -a > %s.tmp && mv %s.tmp %s", r->sttyfile, r->sttyfile,
		 r->sttyfile);
	tmux__type(&r->tm, cmd);
	tmux__keys(&r->tm, "Enter");
	for (int i = 0; i < 100 && access(r->sttyfile, R_OK); i++)
		conns__sleep_ms(50);
	f = fopen(r->sttyfile, "r");
	snprintf(what, sizeof(what), "%s: stty -a ran in the pane", after);
	if (!ASSERT_NOT_NULL(f, what))
		return;
	getdelim(&stty, &len, '\0', f);
	fclose(f);
	test__log("%s: stty -a: %.200s", after, stty ?: "");
	snprintf(what, sizeof(what), "%s: canonical mode (line editing) back", after);
	ASSERT_TRUE(stty && strstr(stty, " icanon") && !strstr(stty, "-icanon"), what);
	snprintf(what, sizeof(what), "%s: echo back", after);
	ASSERT_TRUE(stty && strstr(stty, " echo ") && !strstr(stty, "-echo "), what);
	free(stty);
}

/* a terminal it cannot draw on: one line, exit 2, nothing attached */
static void term__check_bad_term(struct term_run *r)
{
	char cmd[3 * PATH_MAX + 64], *err = NULL, *screen;
	size_t len = 0;
	FILE *f;

	unlink(r->errfile);
	snprintf(cmd, sizeof(cmd), "TERM=tcpclose-no-such-term %s top 2>%s; echo rc=$?", r->tcpclose,
		 r->errfile);
	tmux__type(&r->tm, cmd);
	tmux__keys(&r->tm, "Enter");
	/* "rc=" at the start of a line: its output, not the command typed, which has it too */
	screen = tmux__wait_for(&r->tm, "\nrc=", 10000);
	ASSERT_TRUE(screen && strstr(screen, "rc=2"), "exit 2 for a TERM without terminfo");
	free(screen);
	f = fopen(r->errfile, "r");
	if (!ASSERT_NOT_NULL(f, "its stderr"))
		return;
	getdelim(&err, &len, '\0', f);
	fclose(f);
	test__log("TERM without terminfo: %s", err ?: "");
	ASSERT_TRUE(err && !strncmp(err, "tcpclose top: no terminfo entry", 31), "says why");
	ASSERT_TRUE(err && strchr(err, '\n') && !strchr(err, '\n')[1], "in one line");
	ASSERT_TRUE(err && !strstr(err, "tracing"), "before anything is attached");
	free(err);
}

/* the screen's first data row: the line after the heading */
static bool first_row(const char *screen, struct top_row *r)
{
	const char *heading = strstr(screen, "CLOSE/s"), *nl;

	nl = heading ? strchr(heading, '\n') : NULL;
	return nl && parse_row(nl + 1, r);
}

/* press key until the heading marks title as the sort; the screen then */
static char *term__sort(struct term_run *r, const char *key, const char *title)
{
	tmux__keys(&r->tm, key);
	return tmux__wait_for(&r->tm, title, 3000);
}

/* the rows of the scene on the screen, against ss and the records */
static void term__check_rows(const char *screen, const struct top_scene *s, const int *dports,
			     int npassive)
{
	char remote[64], comm[TCPC_COMM_LEN + 2];
	struct top_row row;
	long long fw2 = 0;
	const char *line;

	snprintf(remote, sizeof(remote), " 127.0.0.1:%u", s->port);
	if (ASSERT_TRUE(find_row(screen, "/toptw ", remote, &row), "a toptw row"))
		ASSERT_EQ(row.tw, s->ss_tw, "toptw's TIME_WAIT on screen, against ss");
	if (ASSERT_TRUE(find_row(screen, "/topcw ", remote, &row), "a topcw row"))
		ASSERT_EQ(row.cw, s->ss_cw, "topcw's CLOSE_WAIT on screen, against ss");
	snprintf(comm, sizeof(comm), "/%s ", s->self_comm);
	for (int i = 0; i < npassive; i++) {
		snprintf(remote, sizeof(remote), " 127.0.0.1:%d", dports[i]);
		if (!ASSERT_TRUE(find_row(screen, comm, remote, &row), "a row per passive record"))
			continue;
		ASSERT_EQ(row.total, 1, "its closes since start, as the records say");
	}
	for (line = screen; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		if (parse_row(line, &row) && strstr(row.keys, comm))
			fw2 += row.fw2;
	ASSERT_EQ(fw2, s->ss_fw2, "our FIN_WAIT2 on screen, against ss");
}

static int count_lines(const char *text)
{
	int n = 0;

	for (; *text; text++)
		n += *text == '\n';
	return n;
}

void test_top_terminal(void)
{
	struct top_scene s = { .lfd = -1, .tw_holder = -1, .cw_holder = -1 };
	struct term_run r = {};
	struct tracer recs = {};
	int dports[NR_TW], npassive, nrows = NR_TW + NR_CW + 2;
	char *screen = NULL, want[64], *last;
	struct top_row row;
	pid_t pid;

	snprintf(r.pidfile, sizeof(r.pidfile), "/tmp/tcpclose-top-test.%d.pid", getpid());
	snprintf(r.sttyfile, sizeof(r.sttyfile), "/tmp/tcpclose-top-test.%d.stty", getpid());
	snprintf(r.errfile, sizeof(r.errfile), "/tmp/tcpclose-top-test.%d.err", getpid());
	if (!ASSERT_NOT_NULL(realpath(getenv("TCPCLOSE") ?: "./tcpclose", r.tcpclose), "tcpclose"))
		return;
	if (!ASSERT_OK(tmux__start(&r.tm, TERM_COLS, TERM_ROWS), "tmux") ||
	    !ASSERT_OK(tracer__start(&recs, NULL, NULL), "tcpclose -j alongside"))
		goto out;
	screen = term__start_top(&r);
	if (!ASSERT_NOT_NULL(screen, "tcpclose top drew its heading"))
		goto out;
	free(screen);
	screen = NULL;
	if (!scene__drive(&s))
		goto out;
	/* a refresh after the scene: its rows (3 passive here, 2 FIN_WAIT2 here, toptw, topcw) */
	conns__sleep_ms(2000);
	if (!ASSERT_OK(tracer__stop(&recs), "stop tcpclose -j"))
		goto out;
	npassive = scene__passive_records(&recs, dports, NR_TW);
	ASSERT_EQ(npassive, NR_TW, "passive records of our server ends");
	screen = tmux__capture(&r.tm);
	if (!ASSERT_NOT_NULL(screen, "capture"))
		goto out;
	test__log("screen:\n%s", screen);
	term__check_rows(screen, &s, dports, npassive);
	free(screen);

	/* sorting by key press: CLOSE_WAIT first, then TIME_WAIT */
	screen = term__sort(&r, "w", "    CW*");
	if (ASSERT_NOT_NULL(screen, "w marks CW as the sort") &&
	    ASSERT_TRUE(first_row(screen, &row), "a first row"))
		ASSERT_TRUE(strstr(row.keys, "/topcw ") != NULL, "w: topcw's CLOSE_WAIT first");
	free(screen);
	screen = term__sort(&r, "t", "    TW*");
	if (ASSERT_NOT_NULL(screen, "t marks TW as the sort") &&
	    ASSERT_TRUE(first_row(screen, &row), "a first row"))
		ASSERT_TRUE(strstr(row.keys, "/toptw ") != NULL, "t: toptw's TIME_WAIT first");
	free(screen);

	/*
	 * Resized to 8 lines: summary, blank, heading, 3 rows, "(N more rows", the help on the
	 * last line. Drawn again at the new size, not cut: the help moves up to line 8.
	 */
	ASSERT_OK(tmux__resize(&r.tm, TERM_COLS, 8), "tmux resize-window");
	snprintf(want, sizeof(want), "(%d more rows", nrows - 3);
	screen = tmux__wait_for(&r.tm, want, 3000);
	if (ASSERT_NOT_NULL(screen, "redrawn at 8 lines, the rows that do not fit counted")) {
		test__log("screen at %dx8:\n%s", TERM_COLS, screen);
		ASSERT_EQ(count_lines(screen), 8, "8 lines");
		last = screen + strlen(screen) - 1;
		while (last > screen && last[-1] != '\n')
			last--;
		ASSERT_TRUE(!strncmp(last, "q quit", 6), "the help on the last line");
		ASSERT_TRUE(first_row(screen, &row) && strstr(row.keys, "/toptw "),
			    "still sorted by TIME_WAIT");
	}
	free(screen);
	screen = NULL;

	/* q: top quits and the terminal is the shell's again */
	tmux__keys(&r.tm, "q");
	term__check_restored(&r, "q");

	/* SIGTERM, as a service manager or kill sends it: the same */
	screen = term__start_top(&r);
	if (!ASSERT_NOT_NULL(screen, "tcpclose top again"))
		goto out;
	pid = term__top_pid(&r);
	if (ASSERT_GT(pid, 0, "its pid") && ASSERT_TRUE(tmux__wait_display(&r.tm,
			"#{alternate_on}", "1", 2000), "top took the alternate screen")) {
		ASSERT_OK(kill(pid, SIGTERM), "SIGTERM");
		term__check_restored(&r, "SIGTERM");
	}
	term__check_bad_term(&r);
out:
	free(screen);
	tmux__stop(&r.tm);
	scene__cleanup(&s);
	tracer__free(&recs);
	unlink(r.pidfile);
	unlink(r.sttyfile);
	unlink(r.errfile);
}

/* ---- the TIME_WAIT dwell ---- */

#define PURGE_MS 30000

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* the TIME_WAIT dwells (ms) of toptw's records, sorted; how many */
static int toptw_dwells(const struct tracer *t, double *ms, int max)
{
	json_object **recs;
	int n = conns__records(t, &recs), got = 0;

	for (int i = 0; i < n && got < max; i++)
		if (tw__is_close(recs[i]) && !strcmp(json__str(recs[i], "comm") ?: "", "toptw") &&
		    json__has_state(recs[i], "TIME_WAIT"))
			ms[got++] = json__dwell(recs[i], "TIME_WAIT");
	conns__records_free(recs, n > 0 ? n : 0);
	qsort(ms, got, sizeof(*ms), cmp_double);
	return got;
}

/*
 * TWp50 and TWp99 against the records: the scene in a namespace of its own, deleted once
 * the scene is checked, which ends the TIME_WAITs at once (purged) with real dwells. Top's
 * percentiles are of its histogram: within the width of the bucket of the record's value
 * (1/128 of it, user/hist.c).
 */
void test_top_tw_dwell(void)
{
	struct top_scene s = { .lfd = -1, .tw_holder = -1, .cw_holder = -1 };
	struct tracer recs = {}, top = {};
	json_object **snaps, *g = NULL;
	struct netns ns = {};
	double ms[NR_TW], gone, deadline;
	char remote[64];
	bool alive = false;
	int n = 0, at, got = 0;

	if (!ASSERT_OK(netns__create(&ns, "tcpclose-top"), "namespace"))
		return;
	alive = true;
	if (!ASSERT_OK(tracer__start(&recs, ns.path, NULL), "tcpclose -j") ||
	    !ASSERT_OK(tracer__spawn(&top, &(struct tracer_spawn){ .netns_path = ns.path,
				     .out_fd = -1, .command = "top" }, NULL), "tcpclose top -j"))
		goto out;
	if (!ASSERT_OK(netns__enter(&ns), "enter"))
		goto out;
	scene__drive(&s);
	scene__cleanup(&s);
	netns__leave(&ns);
	ASSERT_OK(netns__destroy(&ns, PURGE_MS), "namespace purged");
	alive = false;
	deadline = conns__now() + 10;
	while ((got = toptw_dwells(&recs, ms, NR_TW)) < NR_TW && conns__now() < deadline)
		conns__sleep_ms(50);
	if (!ASSERT_EQ(got, NR_TW, "toptw's records, their TIME_WAIT ended"))
		goto out;
	gone = conns__wall();
	test__log("toptw's TIME_WAIT dwells: %.3f %.3f %.3f ms", ms[0], ms[1], ms[2]);
	at = conns__top_snapshot(&top, gone + 1.0, SNAPSHOT_WAIT_MS, &snaps, &n);
	if (!ASSERT_GE(at, 0, "a snapshot after the records"))
		goto out;
	snprintf(remote, sizeof(remote), "127.0.0.1:%u", s.port);
	g = group_of(snaps[at], remote, "toptw");
	if (ASSERT_NOT_NULL(g, "toptw's row")) {
		test__log("toptw: %s", json_object_to_json_string_ext(g, JSON_C_TO_STRING_PLAIN));
		ASSERT_EQ(json__int(g, "tw_count", -1), NR_TW, "TIME_WAITs counted");
		ASSERT_EQ(json__int(g, "closes_total", -1), NR_TW, "toptw's closes");
		/* nearest rank: p50 of 3 is the 2nd, p99 the 3rd */
		ASSERT_NEAR(json__double(g, "tw_p50_ms", -1), ms[1], ms[1] / 128, "TWp50");
		ASSERT_NEAR(json__double(g, "tw_p99_ms", -1), ms[2], ms[2] / 128, "TWp99");
		ASSERT_EQ(now_count(g, "TIME_WAIT"), 0, "none held once purged");
	}
	conns__records_free(snaps, n);
out:
	if (alive) {
		scene__cleanup(&s);
		netns__destroy(&ns, 0);
	}
	tracer__free(&recs);
	tracer__free(&top);
}
