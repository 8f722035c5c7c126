// SPDX-License-Identifier: GPL-2.0
/*
 * tracer: start the real tcpclose in JSON mode as a child, wait until it says it is tracing,
 * and after SIGINT parse every line it printed. Its stdout and stderr go to memfds, so it
 * never blocks on a full pipe however much it prints.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <bpf/bpf.h>
#include "clock.h"
#include "tracer.h"

#define TRACER_READY "tcpclose: tracing"
#define TRACER_READY_MS 30000	/* loaded machines (benchmarks beside the tests) are slow to load BPF */

/* how long tcpclose may take to attach: TCPCLOSE_TEST_READY_S for emulated guests (vmtest) */
static int tracer__ready_ms(void)
{
	const char *s = getenv("TCPCLOSE_TEST_READY_S");
	int v = s ? atoi(s) : 0;

	return v > 0 ? v * 1000 : TRACER_READY_MS;
}
#define TRACER_EXIT_MS 10000
#define TRACER_MAX_ARGS 32

const char *const tracer__backends[TRACER_NR_BACKENDS] = { "fentry", "kprobe", "tracepoint" };

/* all a memfd holds so far, NUL-terminated; free() it (-1, stdout the caller reads: "") */
static char *tracer__slurp(int fd)
{
	off_t size = fd < 0 ? 0 : lseek(fd, 0, SEEK_END);
	char *buf;
	ssize_t n;

	if (size < 0)
		return NULL;
	buf = malloc(size + 1);
	if (!buf)
		return NULL;
	n = size ? pread(fd, buf, size, 0) : 0;
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

char *tracer__stderr(const struct tracer *t)
{
	return tracer__slurp(t->err);
}

void tracer__dump_stderr(const struct tracer *t)
{
	char *text = tracer__slurp(t->err);

	printf("tracer stderr:\n%s%s", text && *text ? text : "(empty)\n",
	       text && *text && text[strlen(text) - 1] != '\n' ? "\n" : "");
	free(text);
}

/* its ready line, "tcpclose: tracing TCP closes (HZ=250, fentry backend); ..." */
static bool tracer__ready(struct tracer *t)
{
	char *text = tracer__slurp(t->err), *p;
	bool ready = false;

	for (p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (!strncmp(p, TRACER_READY, strlen(TRACER_READY))) {
			ready = true;
			if (sscanf(p, TRACER_READY " TCP closes (HZ=%u, %15s backend)", &t->hz,
				   t->backend) != 2)
				t->hz = 0;
			break;
		}
	}
	free(text);
	return ready;
}

/*
 * It exited before tracing: was it "--backend NAME" that this kernel lacks? Then its line,
 * "tcpclose: --backend NAME: why; ...", goes into t->refused, and the caller may skip.
 */
static bool tracer__backend_refused(struct tracer *t, const char *const *args)
{
	char prefix[64], *text, *p;
	const char *name = NULL;
	int i;

	for (i = 0; args && args[i] && args[i + 1]; i++) {
		if (!strcmp(args[i], "--backend"))
			name = args[i + 1];
	}
	if (!name || !WIFEXITED(t->status) || !WEXITSTATUS(t->status))
		return false;
	snprintf(prefix, sizeof(prefix), "tcpclose: --backend %s: ", name);
	text = tracer__slurp(t->err);
	for (p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (!strncmp(p, prefix, strlen(prefix))) {
			snprintf(t->refused, sizeof(t->refused), "%.*s", (int)strcspn(p, "\n"), p);
			break;
		}
	}
	free(text);
	return t->refused[0];
}

/* reap it if it has exited; returns whether it is still running */
static bool tracer__alive(struct tracer *t)
{
	if (!t->pid)
		return false;
	if (waitpid(t->pid, &t->status, WNOHANG) == t->pid) {
		t->pid = 0;
		return false;
	}
	return true;
}

/*
 * Run "$TCPCLOSE -j --netns NETNS_PATH ARGS..." (NULL netns_path: the tracer's own
 * namespace) and wait for its ready line on stderr. On failure its stderr is printed, but
 * for -EOPNOTSUPP: the kernel lacks the --backend of args, and t->refused says so.
 */
int tracer__start(struct tracer *t, const char *netns_path, const char *const *args)
{
	return tracer__spawn(t, &(struct tracer_spawn){ .netns_path = netns_path, .out_fd = -1 },
			     args);
}

int tracer__spawn(struct tracer *t, const struct tracer_spawn *spec, const char *const *args)
{
	const char *path = getenv("TCPCLOSE") ?: "./tcpclose";
	const char *argv[TRACER_MAX_ARGS + 6];
	double deadline;
	int argc = 0, i;

	memset(t, 0, sizeof(*t));
	t->out = spec->out_fd < 0 ? memfd_create("tcpclose-stdout", MFD_CLOEXEC) : -1;
	t->err = memfd_create("tcpclose-stderr", MFD_CLOEXEC);
	if ((spec->out_fd < 0 && t->out < 0) || t->err < 0)
		return -errno;
	argv[argc++] = path;
	if (spec->command)
		argv[argc++] = spec->command;
	if (!spec->text)
		argv[argc++] = "-j";
	if (spec->netns_path != TRACER_ALL_NETNS) {
		argv[argc++] = "--netns";
		argv[argc++] = spec->netns_path ?: "/proc/self/ns/net";
	}
	for (i = 0; args && args[i] && i < TRACER_MAX_ARGS; i++)
		argv[argc++] = args[i];
	argv[argc] = NULL;
	if (access(path, X_OK)) {
		printf("tracer: %s: %s (set TCPCLOSE to the binary)\n", path, strerror(errno));
		return -ENOENT;
	}
	fflush(NULL);
	t->pid = fork();
	if (t->pid < 0)
		return -errno;
	if (t->pid == 0) {
		dup2(spec->out_fd < 0 ? t->out : spec->out_fd, STDOUT_FILENO);
		dup2(t->err, STDERR_FILENO);
		execv(path, (char *const *)argv);
		fprintf(stderr, "exec %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	deadline = clock__now_ms() + tracer__ready_ms();
	while (!tracer__ready(t)) {
		if (!tracer__alive(t)) {
			if (tracer__backend_refused(t, args))
				return -EOPNOTSUPP;
			printf("tracer: exited before tracing (status 0x%x)\n", t->status);
			tracer__dump_stderr(t);
			return -ECHILD;
		}
		if (clock__now_ms() > deadline) {
			printf("tracer: no '" TRACER_READY "' line on stderr within %d s\n",
			       tracer__ready_ms() / 1000);
			tracer__dump_stderr(t);
			return -ETIMEDOUT;
		}
		clock__sleep_ms(10);
	}
	return 0;
}

static bool tracer__is_close(json_object *o, int lport, int rport)
{
	const char *type = json__str(o, "type");

	return type && !strcmp(type, "close") && json__int(o, "sport", -1) == lport &&
	       json__int(o, "dport", -1) == rport;
}

/*
 * Wait until the close record of (lport, rport) has been printed. Only a courtesy before
 * tracer__stop(): the tracer must print what it has anyway, but it may still be busy.
 */
int tracer__wait_close(struct tracer *t, int lport, int rport, int timeout_ms)
{
	double deadline = clock__now_ms() + timeout_ms;
	char *text, *line, *next;
	json_object *o;
	bool found = false;

	for (;;) {
		text = tracer__slurp(t->out);
		for (line = text; line && *line && !found; line = next) {
			next = strchr(line, '\n');
			if (!next)
				break;	/* a line still being written */
			*next++ = '\0';
			if (!strstr(line, "\"close\""))
				continue;
			o = json_tokener_parse(line);
			found = o && tracer__is_close(o, lport, rport);
			json_object_put(o);
		}
		free(text);
		if (found)
			return 0;
		if (clock__now_ms() > deadline || !tracer__alive(t))
			return -ETIMEDOUT;
		clock__sleep_ms(20);
	}
}

static int tracer__parse(struct tracer *t)
{
	char *text = tracer__slurp(t->out), *line, *next;
	json_object *o, **recs;

	if (!text)
		return -ENOMEM;
	for (line = text; *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		else
			next = line + strlen(line);
		if (!*line)
			continue;
		o = json_tokener_parse(line);
		if (!o || !json_object_is_type(o, json_type_object)) {
			if (t->bad_lines++ < 3)
				printf("tracer: not a JSON object: %.200s\n", line);
			json_object_put(o);
			continue;
		}
		recs = realloc(t->recs, (t->nrecs + 1) * sizeof(*recs));
		if (!recs) {
			json_object_put(o);
			free(text);
			return -ENOMEM;
		}
		t->recs = recs;
		t->recs[t->nrecs++] = o;
	}
	free(text);
	return 0;
}

/*
 * SIGINT, wait for the exit, parse stdout. Returns 0 when it exited with status 0 and
 * printed only JSON objects; its stderr is printed otherwise.
 */
int tracer__stop(struct tracer *t)
{
	return tracer__stop_with(t, SIGINT);
}

/* the status lines in text so far (SIGUSR1's, and the exit's), and the last one's count */
#define TRACER_FOLLOWED " timewait sockets still followed"

static int tracer__followed_lines(const char *text, long long *last)
{
	const char *p, *q;
	int n = 0;

	for (p = text; p && (q = strstr(p, TRACER_FOLLOWED)); p = q + 1) {
		/* "...; N timewait sockets still followed": N just before */
		const char *d = q;

		while (d > text && d[-1] >= '0' && d[-1] <= '9')
			d--;
		if (d == q)
			continue;
		*last = strtoll(d, NULL, 10);
		n++;
	}
	return n;
}

long long tracer__followed(struct tracer *t, int timeout_ms)
{
	double deadline = clock__now_ms() + timeout_ms;
	long long followed = -1;
	char *text = tracer__stderr(t);
	int before = tracer__followed_lines(text, &followed);

	free(text);
	if (!t->pid || kill(t->pid, SIGUSR1))
		return -1;
	for (;;) {
		text = tracer__stderr(t);
		if (tracer__followed_lines(text, &followed) > before) {
			free(text);
			return followed;
		}
		free(text);
		if (clock__now_ms() > deadline)
			return -1;
		clock__sleep_ms(10);
	}
}

int tracer__stop_with(struct tracer *t, int sig)
{
	double deadline = clock__now_ms() + TRACER_EXIT_MS;
	int err = 0;

	if (t->pid)
		kill(t->pid, sig);
	while (tracer__alive(t)) {
		if (clock__now_ms() > deadline) {
			printf("tracer: still running %d s after %s; killed\n",
			       TRACER_EXIT_MS / 1000, sigabbrev_np(sig));
			kill(t->pid, SIGKILL);
			waitpid(t->pid, &t->status, 0);
			t->pid = 0;
			err = -ETIMEDOUT;
			break;
		}
		clock__sleep_ms(10);
	}
	t->stop_ns = clock__now_ns();
	if (!err && (!WIFEXITED(t->status) || WEXITSTATUS(t->status))) {
		if (WIFSIGNALED(t->status))
			printf("tracer: killed by signal %d\n", WTERMSIG(t->status));
		else
			printf("tracer: exit status %d\n", WEXITSTATUS(t->status));
		err = -EIO;
	}
	if (!err)
		err = tracer__parse(t);
	if (!err && t->bad_lines)
		err = -EBADMSG;
	if (err)
		tracer__dump_stderr(t);
	return err;
}

void tracer__free(struct tracer *t)
{
	int i;

	if (t->pid > 0) {
		kill(t->pid, SIGKILL);
		waitpid(t->pid, NULL, 0);
	}
	for (i = 0; i < t->nrecs; i++)
		json_object_put(t->recs[i]);
	free(t->recs);
	if (t->out > 0)
		close(t->out);
	if (t->err > 0)
		close(t->err);
	memset(t, 0, sizeof(*t));
}

/* the first close record of the socket with local port lport and remote port rport */
json_object *tracer__close(const struct tracer *t, int lport, int rport)
{
	int i;

	for (i = 0; i < t->nrecs; i++) {
		if (tracer__is_close(t->recs[i], lport, rport))
			return t->recs[i];
	}
	return NULL;
}

int tracer__count_closes(const struct tracer *t)
{
	const char *type;
	int i, n = 0;

	for (i = 0; i < t->nrecs; i++) {
		type = json__str(t->recs[i], "type");
		n += type && !strcmp(type, "close");
	}
	return n;
}

json_object *tracer__last(const struct tracer *t, const char *type)
{
	const char *ty;
	int i;

	for (i = t->nrecs - 1; i >= 0; i--) {
		ty = json__str(t->recs[i], "type");
		if (ty && !strcmp(ty, type))
			return t->recs[i];
	}
	return NULL;
}

json_object *tracer__lost(const struct tracer *t)
{
	const char *type;
	int i;

	for (i = 0; i < t->nrecs; i++) {
		type = json__str(t->recs[i], "type");
		if (type && !strcmp(type, "lost"))
			return t->recs[i];
	}
	return NULL;
}

static json_object *json__get(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (!o || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

long long json__int(json_object *o, const char *key, long long def)
{
	json_object *v = json__get(o, key);

	if (!v || !(json_object_is_type(v, json_type_int) ||
		    json_object_is_type(v, json_type_double)))
		return def;
	return json_object_get_int64(v);
}

double json__double(json_object *o, const char *key, double def)
{
	json_object *v = json__get(o, key);

	if (!v || !(json_object_is_type(v, json_type_int) ||
		    json_object_is_type(v, json_type_double)))
		return def;
	return json_object_get_double(v);
}

const char *json__str(json_object *o, const char *key)
{
	json_object *v = json__get(o, key);

	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* present with the value null, not merely absent */
bool json__is_null(json_object *o, const char *key)
{
	json_object *v = NULL;

	return o && json_object_object_get_ex(o, key, &v) && !v;
}

bool json__has_state(json_object *rec, const char *state)
{
	json_object *states = json__get(rec, "states"), *s;
	size_t i;

	if (!states || !json_object_is_type(states, json_type_array))
		return false;
	for (i = 0; i < json_object_array_length(states); i++) {
		s = json_object_array_get_idx(states, i);
		if (s && json_object_is_type(s, json_type_string) &&
		    !strcmp(json_object_get_string(s), state))
			return true;
	}
	return false;
}

/* the states joined with commas, e.g. "FIN_WAIT1,FIN_WAIT2,TIME_WAIT", to compare at once */
const char *json__states(json_object *rec, char *buf, size_t size)
{
	json_object *states = json__get(rec, "states"), *s;
	size_t i, len = 0;

	buf[0] = '\0';
	if (!states || !json_object_is_type(states, json_type_array))
		return "(no states array)";
	for (i = 0; i < json_object_array_length(states) && len < size; i++) {
		s = json_object_array_get_idx(states, i);
		len += snprintf(buf + len, size - len, "%s%s", i ? "," : "",
				s ? json_object_get_string(s) : "null");
	}
	return buf;
}

/* milliseconds spent in state, or -1 if the record has none */
double json__dwell(json_object *rec, const char *state)
{
	return json__double(json__get(rec, "dwell_ms"), state, -1);
}

int tracer__map(const struct tracer *t, const char *name)
{
	char path[320], line[128];
	struct dirent *de;
	unsigned int id;
	int fd = -ENOENT;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo", t->pid);
	d = opendir(path);
	if (!d)
		return -errno;
	while (fd < 0 && (de = readdir(d))) {
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", t->pid, de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		id = 0;
		while (fgets(line, sizeof(line), f))
			sscanf(line, "map_id: %u", &id);
		fclose(f);
		if (!id)
			continue;
		fd = bpf_map_get_fd_by_id(id);
		if (fd >= 0 && (bpf_obj_get_info_by_fd(fd, &info, &len) || strcmp(info.name, name))) {
			close(fd);
			fd = -ENOENT;
		}
	}
	closedir(d);
	return fd;
}
