/* SPDX-License-Identifier: GPL-2.0 */
/* tracer: the real tcpclose, run as a child process and read back as JSON */
#ifndef TCPCLOSE_TRACER_H
#define TCPCLOSE_TRACER_H

#include <json-c/json.h>
#include <stdbool.h>
#include <sys/types.h>

struct tracer {
	pid_t pid;		/* 0 once it has been waited for */
	int out;		/* memfd holding its stdout */
	int err;		/* memfd holding its stderr */
	int status;		/* its wait status, once stopped */
	json_object **recs;	/* every stdout line, parsed, once stopped */
	int nrecs;
	int bad_lines;		/* stdout lines that were not a JSON object */
	unsigned int hz;	/* the kernel's, as its ready line says */
	char backend[16];	/* and the backend it chose */
	char refused[256];	/* why this kernel lacks the --backend asked for, in its words */
	unsigned long long stop_ns;	/* CLOCK_MONOTONIC once it had exited: after every record */
};

/* the backends --backend can force, one subtest each in the tests that run under all */
extern const char *const tracer__backends[];
#define TRACER_NR_BACKENDS 3

int tracer__start(struct tracer *t, const char *netns_path, const char *const *args);

/* what tracer__start() fixes, to be chosen */
struct tracer_spawn {
	const char *netns_path;	/* --netns; NULL: its own; TRACER_ALL_NETNS: no --netns */
	int out_fd;		/* its stdout, which the caller then reads; -1: a memfd, parsed */
	const char *command;	/* a subcommand first ("top"); NULL: the tracer itself */
	bool text;		/* without -j: its text, which the caller reads from out_fd */
};
#define TRACER_ALL_NETNS ((const char *)-1)
int tracer__spawn(struct tracer *t, const struct tracer_spawn *spec, const char *const *args);

/* SIGINT (or sig), wait for its exit, and parse what it printed */
int tracer__stop(struct tracer *t);
int tracer__stop_with(struct tracer *t, int sig);

/* an fd of its BPF map called name (its own, of the maps it holds), or -errno; close() it */
int tracer__map(const struct tracer *t, const char *name);

/*
 * SIGUSR1, and the timewait sockets it says it follows now (its counts so far, on stderr):
 * -1 if it said nothing within timeout_ms
 */
long long tracer__followed(struct tracer *t, int timeout_ms);

/* what it printed on stderr so far; free() it */
char *tracer__stderr(const struct tracer *t);
void tracer__free(struct tracer *t);
void tracer__dump_stderr(const struct tracer *t);

int tracer__wait_close(struct tracer *t, int lport, int rport, int timeout_ms);

json_object *tracer__close(const struct tracer *t, int lport, int rport);
int tracer__count_closes(const struct tracer *t);
json_object *tracer__lost(const struct tracer *t);
/* the last line it printed of "type" type ("hist", "gauges", ...), or NULL */
json_object *tracer__last(const struct tracer *t, const char *type);

/* reading records: absent or null keys give def / NULL / -1 */
long long json__int(json_object *o, const char *key, long long def);
double json__double(json_object *o, const char *key, double def);
const char *json__str(json_object *o, const char *key);
bool json__is_null(json_object *o, const char *key);
bool json__has_state(json_object *rec, const char *state);
const char *json__states(json_object *rec, char *buf, size_t size);
double json__dwell(json_object *rec, const char *state);

#endif
