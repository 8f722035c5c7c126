/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fixture: the common shape of an integration test. The tracer runs in the test's own
 * namespace, pointed at a second one where the scenario runs under a capture and between
 * two counter snapshots; deleting that namespace then ends its TIME_WAIT sockets, so every
 * close record is printed without waiting 60 s, and the tracer is stopped after that.
 */
#ifndef TCPCLOSE_FIXTURE_H
#define TCPCLOSE_FIXTURE_H

#include <stdbool.h>
#include "capture.h"
#include "netns_named.h"
#include "nstat.h"
#include "scenario.h"
#include "sswatch.h"
#include "tracer.h"

struct fixture {
	struct netns ns;		/* where the scenario runs */
	struct tracer tracer;
	struct capture cap;		/* every segment of the scenario */
	struct nstat before, after, delta;	/* the scenario namespace's counters */
	struct scenario_result res;
	bool no_capture;		/* set before fixture__run(): churn needs none */
	bool ns_alive;
	struct sswatch *ss;		/* the namespace's sockets, dumped every ms while it ran */
	pid_t ss_pid;			/* the watcher, while it runs */
	unsigned long long done_ns;	/* the scenario was over (CLOCK_MONOTONIC) */
};

bool fixture__start(struct fixture *f, const char *const *tracer_args);
bool fixture__start_backend(struct fixture *f, const char *backend);
void fixture__each_backend(void (*run)(const char *backend));
bool fixture__run(struct fixture *f, const char *scenario, const struct scenario_opts *opts);
bool fixture__watch(struct fixture *f);
bool fixture__unwatch(struct fixture *f);
bool fixture__purge(struct fixture *f);
bool fixture__finish(struct fixture *f);
void fixture__cleanup(struct fixture *f);

json_object *fixture__client(const struct fixture *f);
json_object *fixture__server(const struct fixture *f);
void fixture__check_ends(const struct fixture *f, json_object *client, json_object *server);
void fixture__check_fins(const struct fixture *f, json_object *client, json_object *server);
double fixture__ms(double from, double to);
double fixture__ss_first(const struct fixture *f, unsigned short sport, unsigned short dport,
			 int state);
bool fixture__judge(const struct fixture *f, json_object *rec, int nth, const char *what);
void fixture__dump(json_object *rec, const char *what);

/* a record's field against what the test expects, named after the end it belongs to */
#define ASSERT_REC_STR(rec, key, want, end)					\
	ASSERT_STREQ(json__str(rec, key), want, end " " key)
#define ASSERT_REC_INT(rec, key, want, end)					\
	ASSERT_EQ(json__int(rec, key, -1), want, end " " key)
#define ASSERT_REC_NULL(rec, key, end)						\
	ASSERT_TRUE(json__is_null(rec, key), end " " key " is null")
#define ASSERT_REC_STATES(rec, want, end) ({					\
	char ___buf[160];							\
	ASSERT_STREQ(json__states(rec, ___buf, sizeof(___buf)), want, end " states");	\
})

#endif
