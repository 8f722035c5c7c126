// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libmicrohttpd parses the requests (malformed ones get its 400), bounds connections and
 * times out idle clients; its thread only takes the metrics lock long enough to render.
 * Slow clients (a byte a second keeps a connection from ever being idle) are bounded per
 * address: however many one address holds, a scraper elsewhere still gets its answer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include "http.h"

/*
 * However many connections one address holds (a storm of scrapes, or slow clients that
 * are never idle), it holds at most a quarter of all: a scraper elsewhere still gets in.
 * The fds come from RLIMIT_NOFILE, raised to its hard limit for them (http__start()).
 */
#define HTTP_MAX_CONNECTIONS 1024
#define HTTP_MAX_CONNECTIONS_PER_ADDR 256
/* tcpclose's own fds besides the connections: maps, programs, the ring buffer */
#define HTTP_FDS_BESIDE 128
#define HTTP_TIMEOUT_SECONDS 5

bool http__parse_addr(const char *s, struct sockaddr_storage *ss)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	char host[INET6_ADDRSTRLEN + 2] = "127.0.0.1";
	const char *port = s, *colon = strrchr(s, ':');
	unsigned long p;
	char *end;

	memset(ss, 0, sizeof(*ss));
	if (colon) {
		size_t n = colon - s;

		if (n >= sizeof(host))
			return false;
		if (n) {
			memcpy(host, s, n);
			host[n] = '\0';
		}
		port = colon + 1;
	}
	p = strtoul(port, &end, 10);
	if (!*port || *end || p == 0 || p > 65535)
		return false;
	if (host[0] == '[') {
		size_t n = strlen(host);

		if (n < 3 || host[n - 1] != ']')
			return false;
		host[n - 1] = '\0';
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(p);
		return inet_pton(AF_INET6, host + 1, &in6->sin6_addr) == 1;
	}
	in->sin_family = AF_INET;
	in->sin_port = htons(p);
	return inet_pton(AF_INET, host, &in->sin_addr) == 1;
}

#ifndef TCPCLOSE_NO_HTTP
#include <microhttpd.h>

struct http {
	struct MHD_Daemon *daemon;
	struct metrics *m;
};

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int status,
			     const char *type, char *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(len, body, mode);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	static char not_found[] = "not found: tcpclose serves /metrics\n";
	static char bad_method[] = "method not allowed: use GET\n";
	struct http *h = cls;
	const char *accept;
	bool om;
	size_t len;
	char *body;

	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", bad_method,
			     sizeof(bad_method) - 1, MHD_RESPMEM_PERSISTENT);
	if (strcmp(url, "/metrics"))
		return reply(conn, MHD_HTTP_NOT_FOUND, "text/plain", not_found,
			     sizeof(not_found) - 1, MHD_RESPMEM_PERSISTENT);
	/* OpenMetrics only when the scraper asks for it, as Prometheus does */
	accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
	om = accept && strstr(accept, "application/openmetrics-text");
	body = metrics__render(h->m, om, &len);
	if (!body)
		return MHD_NO;
	return reply(conn, MHD_HTTP_OK,
		     om ? "application/openmetrics-text; version=1.0.0; charset=utf-8" :
			  "text/plain; version=0.0.4; charset=utf-8",
		     body, len, MHD_RESPMEM_MUST_FREE);
}

/* what to do about a failed bind */
static const char *http__bind_hint(int err)
{
	switch (err) {
	case EADDRINUSE:
		return " (another program has the port: give another with --metrics)";
	case EADDRNOTAVAIL:
		return " (the address is not one of this host's: give one it has, or only a port)";
	case EACCES:
		return " (a port under 1024 needs CAP_NET_BIND_SERVICE: give a higher one)";
	default:
		return "";
	}
}

/* room for every connection libmicrohttpd may hold: the soft fd limit up to the hard one */
static void http__raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= HTTP_MAX_CONNECTIONS + HTTP_FDS_BESIDE)
		return;
	rl.rlim_cur = rl.rlim_max < HTTP_MAX_CONNECTIONS + HTTP_FDS_BESIDE ?
		      rl.rlim_max : HTTP_MAX_CONNECTIONS + HTTP_FDS_BESIDE;
	setrlimit(RLIMIT_NOFILE, &rl);
}

struct http *http__start(const struct sockaddr_storage *addr, struct metrics *m)
{
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;
	struct http *h = calloc(1, sizeof(*h));
	char host[INET6_ADDRSTRLEN];
	unsigned int port;

	if (!h)
		return NULL;
	h->m = m;
	http__raise_nofile();
	if (addr->ss_family == AF_INET6) {
		flags |= MHD_USE_IPv6;
		port = ntohs(((const struct sockaddr_in6 *)addr)->sin6_port);
	} else {
		port = ntohs(((const struct sockaddr_in *)addr)->sin_port);
	}
	h->daemon = MHD_start_daemon(flags, port, NULL, NULL, on_request, h,
				     MHD_OPTION_SOCK_ADDR, addr,
				     MHD_OPTION_CONNECTION_LIMIT, HTTP_MAX_CONNECTIONS,
				     MHD_OPTION_PER_IP_CONNECTION_LIMIT, HTTP_MAX_CONNECTIONS_PER_ADDR,
				     MHD_OPTION_CONNECTION_TIMEOUT, HTTP_TIMEOUT_SECONDS,
				     MHD_OPTION_END);
	if (!h->daemon) {
		inet_ntop(addr->ss_family,
			  addr->ss_family == AF_INET6 ?
			  (const void *)&((const struct sockaddr_in6 *)addr)->sin6_addr :
			  (const void *)&((const struct sockaddr_in *)addr)->sin_addr,
			  host, sizeof(host));
		fprintf(stderr, "tcpclose: cannot serve metrics on %s port %u: %s%s\n",
			host, port, strerror(errno), http__bind_hint(errno));
		free(h);
		return NULL;
	}
	return h;
}

void http__stop(struct http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->daemon);
	free(h);
}

#else /* TCPCLOSE_NO_HTTP: a STATIC=1 build, which Debian's libmicrohttpd cannot be part of */

struct http *http__start(const struct sockaddr_storage *addr, struct metrics *m)
{
	fprintf(stderr, "tcpclose: this tcpclose was built with STATIC=1, without libmicrohttpd: --metrics needs a regular build (make)\n");
	return NULL;
}

void http__stop(struct http *h)
{
}

#endif
