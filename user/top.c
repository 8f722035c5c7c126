// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cgroup.h"
#include "clock.h"
#include "core.h"
#include "port_walk.h"
#include "signals.h"
#include "stuck.h"
#include "top.h"
#include "top_screen.h"
#include "top_table.h"
#include "top_view.h"
#include "walk.h"

#define POLL_MS 100	/* how soon a key press is answered */

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	exiting = 1;
}

static double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void top_record(void *ctx, const struct tcpc_conn *rec)
{
	top_table__record(ctx, rec);
}

/*
 * A full socket whose entry names no process (it entered CLOSE_WAIT in softirq, or
 * tcpclose found it already closing) is named after the first process holding it open,
 * found by its inode under /proc, as --stuck does. Only when rows group by process.
 */
static void name_holders(struct tcpc_stuck *st, int n)
{
	struct holders *hs;
	int want = 0;

	for (int i = 0; i < n; i++)
		want += !st[i].pid && st[i].ino;
	if (!want)
		return;
	hs = calloc(n, sizeof(*hs));
	if (!hs)
		return;
	for (int i = 0; i < n; i++)
		hs[i].ino = !st[i].pid ? st[i].ino : 0;
	holders__find(hs, n, "/proc");
	for (int i = 0; i < n; i++) {
		if (!hs[i].ino || !hs[i].n)
			continue;
		st[i].pid = hs[i].h[0].pid;
		memcpy(st[i].comm, hs[i].h[0].comm, sizeof(st[i].comm));
	}
	free(hs);
}

/*
 * The sockets held now, into the table, and with a remote key the local ports held towards
 * each remote endpoint (a walk of its own, as --port-pressure's); NULL or why they could
 * not be counted
 */
static const char *count_held(struct core *t, struct top_table *table, struct port_pressure *pp,
			      const struct tcpc_opts *opts, char *why, size_t len)
{
	struct walk_out out = {};
	struct tcpc_stuck *st;
	int n, err;

	/* the heads sent by now first: without entries, a timewait socket's process is its
	 * head's (walk.c) */
	core__consume(t);
	err = walk__sockets(&t->loader, opts->netns_path, TCPC_ITER_HELD, NULL, &out);
	st = (struct tcpc_stuck *)out.buf;
	n = out.len / sizeof(*st);
	if (top_keys__has(table->keys, "process"))
		name_holders(st, n);
	top_table__held_begin(table);
	for (int i = 0; i < n; i++)
		top_table__held(table, &st[i]);
	free(out.buf);
	if (pp) {
		if (!err)
			err = port_walk__run(pp, &t->loader, opts->netns_path);
		/* a failed walk leaves the last one's counts: shown as unknown, not as now */
		top_table__ports(table, err ? NULL : pp);
	}
	if (err && !(err == -ENOENT && opts->netns_path)) {
		snprintf(why, len, "sockets now: counted only partly: %s%s", strerror(-err),
			 err == -EPERM ? " (walking network namespaces needs CAP_SYS_ADMIN)" : "");
		return why;
	}
	if (t->loader.walk_denied) {
		snprintf(why, len, "sockets now: %u network namespaces could not be entered (that needs CAP_SYS_ADMIN)",
			 t->loader.walk_denied);
		return why;
	}
	return NULL;
}

/* a key press: a sort, a move of the sort column, or quit */
static void on_key(struct top_view *v, int key)
{
	if (key == 'q' || key == 'Q') {
		exiting = 1;
		return;
	}
	if (key == '<' && v->sort > 0)
		v->sort--;
	else if (key == '>' && v->sort < TOP_NR_COLS - 1)
		v->sort++;
	for (int c = 0; c < TOP_NR_COLS; c++)
		if (key == top_cols[c].key)
			v->sort = c;
}

int top__run(const struct tcpc_opts *opts)
{
	const struct top_group **rows = NULL;
	struct top_table table = {};
	struct top_view view = {};
	const char *note = NULL;
	double now, last, next, deadline;
	bool screen = !opts->json && isatty(STDOUT_FILENO);
	struct core t = {};
	struct cgroups cgroups = { .mnt_fd = -1 };
	struct port_pressure *pp = NULL;
	char why[256];
	int err, status = 0;

	/*
	 * Before ncurses takes the terminal, which then leaves these alone: the loop ends and
	 * endwin() restores the terminal on SIGINT, SIGTERM and SIGHUP alike. SIGWINCH is
	 * ncurses' own: a resize comes as a key.
	 */
	signals__on_end(on_signal);
	/* a terminal it cannot draw on is bad input: said before anything is attached */
	if (screen && !top_screen__usable()) {
		fprintf(stderr, "tcpclose top: no terminfo entry for this terminal (TERM=%s): set TERM to one the system knows, e.g. xterm, or use -j for snapshots\n",
			getenv("TERM") ?: "");
		return 2;
	}
	if (top_table__init(&table, &opts->top_keys, opts->top_groups) ||
	    !(rows = calloc(opts->top_groups, sizeof(*rows)))) {
		fprintf(stderr, "tcpclose top: out of memory for %lu groups\n", opts->top_groups);
		top_table__free(&table);
		return 1;
	}
	/* the PORTS% column: for the rows of a remote endpoint only, and only then walked */
	if (top_keys__has(&opts->top_keys, "remote") && !(pp = port_pressure__new(1.0))) {
		fprintf(stderr, "tcpclose top: out of memory for counting the local ports held\n");
		top_table__free(&table);
		free(rows);
		return 1;
	}
	/* containers are named as the records name them; a cache without a cgroup2 mount
	 * names none, and the groups go by cgroup id */
	if (!cgroups__init(&cgroups, "/proc/self/mountinfo", CGROUPS_DEFAULT_MAX))
		top_keys__use_cgroups(&cgroups);
	view = (struct top_view){ .table = &table, .sort = opts->top_sort, .rows = rows };
	core__consume_with(&t, &(struct core_consumer){ top_record, NULL, &table });
	if (core__open(&t, opts)) {
		status = 2;	/* the loader has said what is missing */
		goto out;
	}
	core__seed(&t, opts);
	core__announce(&t, opts);
	if (screen && !top_screen__open()) {
		fprintf(stderr, "tcpclose top: cannot take the terminal (TERM=%s)\n", getenv("TERM") ?: "");
		status = 1;
		goto out;
	}

	last = clock__now_s();
	next = last + opts->interval;
	deadline = opts->duration ? last + opts->duration : 0;
	if (screen) {
		/* the sockets held now, at once: closes per second come at the first interval */
		note = count_held(&t, &table, pp, opts, why, sizeof(why));
		view.wall = wall_now();
		top_view__sort(&view);
		top_screen__draw(&view, note);
	}
	while (!exiting) {
		err = core__poll(&t, POLL_MS);
		if (err) {
			top_screen__close();
			fprintf(stderr, "tcpclose top: reading the ring buffer: %s\n", strerror(-err));
			status = 1;
			break;
		}
		now = clock__now_s();
		if (screen) {
			int key, redraw = 0;

			while ((key = top_screen__key()) >= 0) {
				on_key(&view, key);
				redraw = 1;
			}
			if (redraw && !exiting) {
				top_view__sort(&view);
				top_screen__draw(&view, note);
			}
		}
		/* the interval that ends with -d is shown too */
		if (now < next) {
			if (deadline && now >= deadline)
				break;
			continue;
		}
		note = count_held(&t, &table, pp, opts, why, sizeof(why));
		top_table__roll(&table);
		view.seconds = now - last;
		view.wall = wall_now();
		last = now;
		/* a late refresh does not bring the next one closer */
		next = next + opts->interval > now ? next + opts->interval : now + opts->interval;
		top_view__sort(&view);
		if (screen) {
			top_screen__draw(&view, note);
		} else {
			if (note)
				fprintf(stderr, "tcpclose top: %s\n", note);
			if (opts->json)
				top_view__print_json(&view, stdout);
			else
				top_view__print_text(&view, stdout);
			if (ferror(stdout))
				break;	/* a closed pipe (| head): nothing more to say */
		}
		if (deadline && now >= deadline)
			break;
	}
out:
	top_screen__close();
	core__close(&t);
	top_table__free(&table);
	top_keys__use_cgroups(NULL);
	cgroups__free(&cgroups);
	port_pressure__free(pp);
	free(rows);
	return status;
}
