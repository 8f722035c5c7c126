// SPDX-License-Identifier: GPL-2.0
/*
 * prom: run a real Prometheus (the Debian package) that scrapes tcpclose, so a test can
 * compare what Prometheus stored with the records (prom_records.c), and query it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "http_client.h"
#include "prom.h"
#include "clock.h"

#define PROM_HTTP_TIMEOUT_MS 10000
#define PROM_STOP_MS 10000
#define PROM_POLL_MS 200

static int prom__write_config(const struct prom *p, const char *target)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/prometheus.yml", p->dir);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	/* every second, so a test waits seconds, not minutes, for its samples */
	fprintf(f,
		"global:\n"
		"  scrape_interval: 1s\n"
		"  scrape_timeout: 1s\n"
		"  evaluation_interval: 1s\n"
		"scrape_configs:\n"
		"  - job_name: %s\n"
		"    static_configs:\n"
		"      - targets: ['%s']\n",
		p->job, target);
	return fclose(f) ? -errno : 0;
}

static bool prom__installed(char *path, size_t size)
{
	char *dirs = strdup(getenv("PATH") ?: "/usr/bin:/bin"), *dir, *save = NULL;
	bool found = false;

	for (dir = strtok_r(dirs, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
		snprintf(path, size, "%s/prometheus", dir);
		found = !access(path, X_OK);
	}
	free(dirs);
	return found;
}

/*
 * Start Prometheus on 127.0.0.1:port of the current network namespace, scraping target
 * ("ADDR:PORT") as job every second, with its data in a fresh directory under /tmp.
 */
int prom__start(struct prom *p, unsigned short port, const char *job, const char *target)
{
	char bin[256], config[128], storage[128], listen[64], log[128];
	int fd, err;

	memset(p, 0, sizeof(*p));
	p->port = port;
	snprintf(p->job, sizeof(p->job), "%s", job);
	if (!prom__installed(bin, sizeof(bin))) {
		printf("prom: no prometheus in PATH: apt-get install prometheus\n");
		return -ENOENT;
	}
	snprintf(p->dir, sizeof(p->dir), "/tmp/tcpclose-prom-XXXXXX");
	if (!mkdtemp(p->dir)) {
		p->dir[0] = '\0';
		return -errno;
	}
	err = prom__write_config(p, target);
	if (err)
		return err;
	snprintf(config, sizeof(config), "--config.file=%s/prometheus.yml", p->dir);
	snprintf(storage, sizeof(storage), "--storage.tsdb.path=%s/data", p->dir);
	snprintf(listen, sizeof(listen), "--web.listen-address=127.0.0.1:%u", port);
	snprintf(log, sizeof(log), "%s/log", p->dir);
	fflush(NULL);
	p->pid = fork();
	if (p->pid < 0) {
		p->pid = 0;
		return -errno;
	}
	if (p->pid == 0) {
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		execl(bin, bin, config, storage, listen, (char *)NULL);
		fprintf(stderr, "exec %s: %s\n", bin, strerror(errno));
		_exit(127);
	}
	return 0;
}

void prom__dump_log(const struct prom *p)
{
	char path[128], line[1024];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "%s/log", p->dir);
	f = fopen(path, "r");
	if (!f)
		return;
	printf("prometheus log (%s, last lines):\n", path);
	while (fgets(line, sizeof(line), f))
		n++;
	rewind(f);
	for (int i = 0; fgets(line, sizeof(line), f); i++) {
		if (i >= n - 20)
			printf("  %s", line);
	}
	fclose(f);
}

static bool prom__alive(struct prom *p)
{
	int status;

	if (!p->pid)
		return false;
	if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
		printf("prom: prometheus exited (status 0x%x)\n", status);
		p->pid = 0;
		return false;
	}
	return true;
}

/* GET an API path; its JSON, with "status":"success", or NULL */
static json_object *prom__api(struct prom *p, const char *target)
{
	struct http_resp resp = {};
	json_object *o = NULL, *status;
	char req[8192];
	int n;

	/* HTTP/1.0: Go then answers without chunks and closes when done */
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: 127.0.0.1:%u\r\n\r\n", target,
		     p->port);
	if (n >= (int)sizeof(req))
		return NULL;
	if (!http_client__request("127.0.0.1", p->port, req, n, PROM_HTTP_TIMEOUT_MS, &resp) &&
	    resp.status == 200 && http_resp__body(&resp))
		o = json_tokener_parse(http_resp__body(&resp));
	if (o && (!json_object_object_get_ex(o, "status", &status) ||
		  strcmp(json_object_get_string(status), "success"))) {
		json_object_put(o);
		o = NULL;
	}
	http_resp__free(&resp);
	return o;
}

/* the scrape target's health ("up", "down", "unknown") and its last error */
static bool prom__target(struct prom *p, char *health, size_t hsize, char *error, size_t esize)
{
	json_object *o = prom__api(p, "/api/v1/targets"), *data, *targets, *t, *v;
	bool found = false;

	if (o && json_object_object_get_ex(o, "data", &data) &&
	    json_object_object_get_ex(data, "activeTargets", &targets) &&
	    json_object_array_length(targets) > 0) {
		t = json_object_array_get_idx(targets, 0);
		found = true;
		snprintf(health, hsize, "%s", json_object_object_get_ex(t, "health", &v) ?
			 json_object_get_string(v) : "?");
		snprintf(error, esize, "%s", json_object_object_get_ex(t, "lastError", &v) ?
			 json_object_get_string(v) : "");
	}
	json_object_put(o);
	return found;
}

/* until Prometheus answers and has scraped its target successfully */
int prom__wait_up(struct prom *p, int timeout_ms)
{
	double start = clock__now_ms(), deadline = start + timeout_ms;
	char health[16] = "", error[256] = "";

	for (;;) {
		if (!prom__alive(p)) {
			prom__dump_log(p);
			return -ECHILD;
		}
		if (prom__target(p, health, sizeof(health), error, sizeof(error)) &&
		    !strcmp(health, "up"))
			break;
		if (clock__now_ms() > deadline) {
			printf("prom: target not up within %d s: health '%s', last error '%s'\n",
			       timeout_ms / 1000, health, error);
			prom__dump_log(p);
			return -ETIMEDOUT;
		}
		clock__sleep_ms(PROM_POLL_MS);
	}
	printf("prom: prometheus up and scraping after %.1f s\n",
	       (clock__now_ms() - start) / 1e3);
	return 0;
}

static int prom__add_result(struct prom_vec *out, json_object *metric, json_object *value)
{
	struct prom_sample s = {};
	struct prom_label *l;
	json_object *ts, *val;

	if (!value || json_object_array_length(value) != 2)
		return -EBADMSG;
	if (metric) {
		json_object_object_foreach(metric, key, v) {
			if (!strcmp(key, "__name__")) {
				snprintf(s.name, sizeof(s.name), "%s", json_object_get_string(v));
				continue;
			}
			if (s.nlabels == PROM_MAX_LABELS)
				return -E2BIG;
			l = &s.labels[s.nlabels++];
			snprintf(l->name, sizeof(l->name), "%s", key);
			snprintf(l->value, sizeof(l->value), "%s", json_object_get_string(v));
		}
	}
	ts = json_object_array_get_idx(value, 0);
	val = json_object_array_get_idx(value, 1);
	s.ts = json_object_get_double(ts);
	/* values come as strings: "1", "+Inf", "NaN" */
	s.value = strtod(json_object_get_string(val), NULL);
	return prom_vec__add(out, &s);
}

/* an instant query at the present; its samples (a vector or one scalar) into out */
int prom__query(struct prom *p, const char *expr, struct prom_vec *out)
{
	json_object *o, *data, *type, *result, *r, *metric, *value;
	char enc[4096], target[4200];
	int err = 0;

	memset(out, 0, sizeof(*out));
	if (http_client__urlencode(expr, enc, sizeof(enc)) >= sizeof(enc))
		return -E2BIG;
	snprintf(target, sizeof(target), "/api/v1/query?query=%s", enc);
	o = prom__api(p, target);
	if (!o || !json_object_object_get_ex(o, "data", &data) ||
	    !json_object_object_get_ex(data, "resultType", &type) ||
	    !json_object_object_get_ex(data, "result", &result)) {
		json_object_put(o);
		return -EIO;
	}
	if (!strcmp(json_object_get_string(type), "scalar")) {
		err = prom__add_result(out, NULL, result);
	} else if (!strcmp(json_object_get_string(type), "vector")) {
		for (size_t i = 0; i < json_object_array_length(result) && !err; i++) {
			r = json_object_array_get_idx(result, i);
			json_object_object_get_ex(r, "metric", &metric);
			json_object_object_get_ex(r, "value", &value);
			err = prom__add_result(out, metric, value);
		}
	} else {
		err = -EPROTO;
	}
	json_object_put(o);
	if (err)
		prom_vec__free(out);
	return err;
}

/*
 * Until n scrapes of the target have started after the wall-clock time after (seconds):
 * what the target served by then is in them. Scrapes are told apart by the time of their
 * "up" sample.
 */
int prom__wait_scrapes(struct prom *p, int n, double after, int timeout_ms)
{
	double deadline = clock__now_ms() + timeout_ms, last = after;
	struct prom_vec v;
	char expr[128];
	int seen = 0;

	snprintf(expr, sizeof(expr), "timestamp(up{job=\"%s\"})", p->job);
	while (seen < n) {
		if (!prom__alive(p))
			return -ECHILD;
		if (!prom__query(p, expr, &v)) {
			if (v.n == 1 && v.v[0].value > last) {
				last = v.v[0].value;
				seen++;
			}
			prom_vec__free(&v);
		}
		if (seen >= n)
			break;
		if (clock__now_ms() > deadline) {
			printf("prom: %d of %d scrapes within %d s\n", seen, n, timeout_ms / 1000);
			return -ETIMEDOUT;
		}
		clock__sleep_ms(PROM_POLL_MS);
	}
	return 0;
}

static int prom__rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	remove(path);
	return 0;
}

void prom__stop(struct prom *p)
{
	double deadline = clock__now_ms() + PROM_STOP_MS;

	if (p->pid > 0) {
		kill(p->pid, SIGTERM);
		while (waitpid(p->pid, NULL, WNOHANG) == 0) {
			if (clock__now_ms() > deadline) {
				kill(p->pid, SIGKILL);
				waitpid(p->pid, NULL, 0);
				break;
			}
			clock__sleep_ms(20);
		}
		p->pid = 0;
	}
	if (p->dir[0])
		nftw(p->dir, prom__rm, 16, FTW_DEPTH | FTW_PHYS);
	p->dir[0] = '\0';
}
