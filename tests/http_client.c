// SPDX-License-Identifier: GPL-2.0
/*
 * http_client: raw HTTP requests over loopback, one or a thousand at once. Every client
 * asks the server to close after its answer and reads until it does, so an answer is whole
 * when its body has Content-Length bytes and the server closed cleanly after it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "http_client.h"

#define HTTP_READ_CHUNK 16384

static double http_client__now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static socklen_t http_client__addr(const char *host, unsigned short port,
				   struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *in = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		return sizeof(*in6);
	}
	if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		return sizeof(*in);
	}
	return 0;
}

void http_resp__parse(struct http_resp *r)
{
	const char *end, *p;
	int status;

	r->status = 0;
	r->head_len = 0;
	r->content_length = -1;
	if (!r->raw)
		return;
	if (sscanf(r->raw, "HTTP/1.%*[01] %3d", &status) == 1)
		r->status = status;
	end = strstr(r->raw, "\r\n\r\n");
	if (!end)
		return;
	r->head_len = end + 4 - r->raw;
	for (p = strstr(r->raw, "\r\n"); p && p < end; p = strstr(p + 2, "\r\n")) {
		if (!strncasecmp(p + 2, "Content-Length:", 15)) {
			r->content_length = strtol(p + 17, NULL, 10);
			break;
		}
	}
}

const char *http_resp__body(const struct http_resp *r)
{
	return r->head_len ? r->raw + r->head_len : NULL;
}

size_t http_resp__body_len(const struct http_resp *r)
{
	return r->head_len ? r->len - r->head_len : 0;
}

/* a status line, all the headers, and exactly the body they announced */
bool http_resp__complete(const struct http_resp *r)
{
	return r->status && r->head_len && r->content_length >= 0 &&
	       http_resp__body_len(r) == (size_t)r->content_length;
}

/* a header's value, leading blanks and the line end cut off */
bool http_resp__header(const struct http_resp *r, const char *name, char *value, size_t size)
{
	size_t n = strlen(name);
	const char *p, *v, *eol;

	if (!r->head_len)
		return false;
	for (p = strstr(r->raw, "\r\n"); p && p < r->raw + r->head_len - 2;
	     p = strstr(p + 2, "\r\n")) {
		if (strncasecmp(p + 2, name, n) || p[2 + n] != ':')
			continue;
		for (v = p + 3 + n; *v == ' ' || *v == '\t'; v++)
			;
		eol = strstr(v, "\r\n");
		snprintf(value, size, "%.*s", (int)(eol - v), v);
		return true;
	}
	return false;
}

void http_resp__free(struct http_resp *r)
{
	free(r->raw);
	memset(r, 0, sizeof(*r));
}

void http_job__free(struct http_job *jobs, int n)
{
	for (int i = 0; i < n; i++)
		http_resp__free(&jobs[i].resp);
}

static int http_resp__append(struct http_resp *r, const char *buf, size_t n)
{
	char *p = realloc(r->raw, r->len + n + 1);

	if (!p)
		return -ENOMEM;
	memcpy(p + r->len, buf, n);
	r->raw = p;
	r->len += n;
	r->raw[r->len] = '\0';
	return 0;
}

static void http_job__end(struct http_job *j, int err, double start)
{
	if (j->fd >= 0)
		close(j->fd);
	j->fd = -1;
	j->err = err;
	j->done = true;
	j->ms = http_client__now_ms() - start;
	http_resp__parse(&j->resp);
}

static size_t http_job__limit(const struct http_job *j)
{
	return j->hang_after && j->hang_after < j->len ? j->hang_after : j->len;
}

/* send what the job may send now; once it has all gone, only reading is left */
static void http_job__send(struct http_job *j, int epfd, int idx)
{
	size_t limit = http_job__limit(j);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.u32 = idx };
	ssize_t n;

	while (j->sent < limit) {
		n = send(j->fd, j->req + j->sent, limit - j->sent, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EAGAIN)
			return;
		/* refused mid-request: the answer, if any, is still to be read */
		if (n <= 0)
			break;
		j->sent += n;
	}
	j->sent = limit;
	j->sent_all = true;
	epoll_ctl(epfd, EPOLL_CTL_MOD, j->fd, &ev);
}

/* read what has come; true once the job has ended (EOF or an error) */
static bool http_job__recv(struct http_job *j, double start)
{
	char buf[HTTP_READ_CHUNK];
	ssize_t n;

	for (;;) {
		n = recv(j->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0) {
			if (http_resp__append(&j->resp, buf, n)) {
				http_job__end(j, -ENOMEM, start);
				return true;
			}
			continue;
		}
		if (n < 0 && errno == EAGAIN)
			return false;
		http_job__end(j, n == 0 ? 0 : -errno, start);
		return true;
	}
}

static int http_job__connect(struct http_job *j, const struct sockaddr_storage *ss,
			     socklen_t len, int epfd, int idx)
{
	struct epoll_event ev = { .events = EPOLLOUT | EPOLLIN | EPOLLRDHUP, .data.u32 = idx };

	j->fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (j->fd < 0)
		return -errno;
	if (connect(j->fd, (const struct sockaddr *)ss, len) && errno != EINPROGRESS)
		return -errno;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, j->fd, &ev))
		return -errno;
	return 0;
}

/*
 * Run every job at once against host:port, each on its own connection, until all have
 * ended or timeout_ms has passed (then the rest end with -ETIMEDOUT). Returns 0, or a
 * negative errno if the jobs could not be run at all.
 */
int http_client__run(const char *host, unsigned short port, struct http_job *jobs, int n,
		     int timeout_ms)
{
	struct epoll_event evs[256];
	struct sockaddr_storage ss;
	socklen_t len = http_client__addr(host, port, &ss);
	double start = http_client__now_ms(), deadline = start + timeout_ms, left;
	int epfd, i, k, nev, err, running = 0;
	struct http_job *j;

	if (!len)
		return -EINVAL;
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		return -errno;
	for (i = 0; i < n; i++) {
		j = &jobs[i];
		memset(&j->resp, 0, sizeof(j->resp));
		j->fd = -1;
		j->sent = 0;
		j->sent_all = false;
		j->connected = false;
		j->done = false;
		err = http_job__connect(j, &ss, len, epfd, i);
		if (err)
			http_job__end(j, err, start);
		else
			running++;
	}
	while (running) {
		left = deadline - http_client__now_ms();
		if (left <= 0)
			break;
		nev = epoll_wait(epfd, evs, sizeof(evs) / sizeof(evs[0]),
				 left < 100 ? left + 1 : 100);
		if (nev < 0 && errno != EINTR)
			break;
		for (k = 0; k < nev; k++) {
			j = &jobs[evs[k].data.u32];
			if (j->done)
				continue;
			if (!j->connected) {
				socklen_t elen = sizeof(err);

				if (getsockopt(j->fd, SOL_SOCKET, SO_ERROR, &err, &elen))
					err = errno;
				if (err) {
					http_job__end(j, -err, start);
					running--;
					continue;
				}
				j->connected = true;
			}
			if (!j->sent_all)
				http_job__send(j, epfd, evs[k].data.u32);
			if (evs[k].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR) &&
			    http_job__recv(j, start))
				running--;
		}
	}
	for (i = 0; i < n; i++) {
		if (!jobs[i].done)
			http_job__end(&jobs[i], -ETIMEDOUT, start);
	}
	close(epfd);
	return 0;
}

/* one request; 0 if the server answered and closed, else how it failed */
int http_client__request(const char *host, unsigned short port, const char *req, size_t len,
			 int timeout_ms, struct http_resp *resp)
{
	struct http_job job = { .req = req, .len = len };
	int err;

	err = http_client__run(host, port, &job, 1, timeout_ms);
	*resp = job.resp;
	return err ?: job.err;
}

int http_client__get(const char *host, unsigned short port, const char *target,
		     const char *accept, int timeout_ms, struct http_resp *resp)
{
	char req[4096];
	int n;

	n = snprintf(req, sizeof(req),
		     "GET %s HTTP/1.1\r\nHost: %s:%u\r\n%s%s%sConnection: close\r\n\r\n", target,
		     host, port, accept ? "Accept: " : "", accept ?: "", accept ? "\r\n" : "");
	if (n >= (int)sizeof(req))
		return -E2BIG;
	return http_client__request(host, port, req, n, timeout_ms, resp);
}

/* percent-encode all but the unreserved characters; the length it needs, as snprintf */
size_t http_client__urlencode(const char *s, char *out, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;

	for (; *s; s++) {
		unsigned char c = *s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~') {
			if (n + 1 < size)
				out[n] = c;
			n++;
		} else {
			if (n + 3 < size) {
				out[n] = '%';
				out[n + 1] = hex[c >> 4];
				out[n + 2] = hex[c & 15];
			}
			n += 3;
		}
	}
	if (size)
		out[n < size ? n : size - 1] = '\0';
	return n;
}
