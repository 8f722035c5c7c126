/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* --metrics: serve /metrics over HTTP with libmicrohttpd, on its own thread. */
#ifndef __HTTP_H
#define __HTTP_H

#include <stdbool.h>
#include <sys/socket.h>
#include "metrics.h"

struct http;

/* "ADDR:PORT", "[V6ADDR]:PORT", ":PORT" or "PORT" (then 127.0.0.1) into ss; false if bad */
bool http__parse_addr(const char *s, struct sockaddr_storage *ss);

/* listen and serve; NULL with a one-line message printed on failure */
struct http *http__start(const struct sockaddr_storage *addr, struct metrics *m);
void http__stop(struct http *h);

#endif /* __HTTP_H */
