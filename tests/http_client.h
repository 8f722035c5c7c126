/* SPDX-License-Identifier: GPL-2.0 */
/*
 * http_client: a small HTTP/1.x client for the tests (user/http.c is the tracer's server).
 * A request is sent as raw bytes, so it can be as wrong as a test wants, and the answer is
 * read until the server closes; many can run at once on non-blocking sockets, each with its
 * own fate.
 */
#ifndef TCPCLOSE_TEST_HTTP_CLIENT_H
#define TCPCLOSE_TEST_HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

struct http_resp {
	char *raw;		/* everything the server sent, NUL-terminated */
	size_t len;
	int status;		/* from the status line; 0 if none came */
	size_t head_len;	/* status line and headers, blank line included; 0 if unfinished */
	long content_length;	/* -1 if not given */
};

/* one client of http_client__run(): what it sends, and what became of it */
struct http_job {
	const char *req;	/* the bytes to send */
	size_t len;
	size_t hang_after;	/* send only this many bytes, then wait (0: send all) */
	/* results */
	int err;		/* 0: the server closed cleanly; -ECONNRESET, -ECONNREFUSED, ... */
	struct http_resp resp;
	double ms;		/* from connect() to the end */
	/* private */
	int fd;
	size_t sent;
	bool sent_all;
	bool connected;
	bool done;
};

int http_client__run(const char *host, unsigned short port, struct http_job *jobs, int n,
		     int timeout_ms);
int http_client__request(const char *host, unsigned short port, const char *req, size_t len,
			 int timeout_ms, struct http_resp *resp);
int http_client__get(const char *host, unsigned short port, const char *target,
		     const char *accept, int timeout_ms, struct http_resp *resp);

void http_resp__parse(struct http_resp *r);
bool http_resp__complete(const struct http_resp *r);
const char *http_resp__body(const struct http_resp *r);
size_t http_resp__body_len(const struct http_resp *r);
bool http_resp__header(const struct http_resp *r, const char *name, char *value, size_t size);
void http_resp__free(struct http_resp *r);
void http_job__free(struct http_job *jobs, int n);

size_t http_client__urlencode(const char *s, char *out, size_t size);

#endif
