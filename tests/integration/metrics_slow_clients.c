// SPDX-License-Identifier: GPL-2.0
/*
 * Slow clients do not take /metrics away: 500 connections from one address, each sending a
 * request a byte a second (never idle, so never timed out), and a scrape from another
 * address is still answered within 2 s, while tracing goes on and loses nothing. Before
 * each address was bounded, 260 such clients kept every scrape waiting 25 s and more.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <unistd.h>
#include <sys/socket.h>
#include "http_client.h"
#include "scenario.h"
#include "test.h"
#include "tracer.h"

#define METRICS_PORT 9465
#define SLOW_CLIENTS 500
#define SLOW_ADDR "127.0.0.2"		/* the slow clients'; the scraper comes from 127.0.0.1 */
#define SCRAPE_MS 2000			/* what the issue asks a scrape to take at most */
#define TRICKLE_ROUNDS 3
#define RECORDS_MS 10000

static const char slow_req[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";

/* a client from SLOW_ADDR that has sent the first byte of its request; -errno on failure */
static int slow_client(void)
{
	struct sockaddr_in src = { .sin_family = AF_INET }, dst = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	inet_pton(AF_INET, SLOW_ADDR, &src.sin_addr);
	inet_pton(AF_INET, "127.0.0.1", &dst.sin_addr);
	dst.sin_port = htons(METRICS_PORT);
	if (bind(fd, (struct sockaddr *)&src, sizeof(src)) ||
	    connect(fd, (struct sockaddr *)&dst, sizeof(dst)) ||
	    send(fd, slow_req, 1, MSG_NOSIGNAL) != 1) {
		close(fd);
		return -errno;
	}
	return fd;
}

void test_metrics_slow_clients(void)
{
	int fds[SLOW_CLIENTS], nfds = 0, err;
	struct scenario_result res;
	struct http_resp r = {};
	struct tracer t = {};
	json_object *lost;

	for (int i = 0; i < SLOW_CLIENTS; i++)
		fds[i] = -1;
	if (!ASSERT_OK(tracer__start(&t, NULL, (const char *const[]){ "--metrics", "9465", NULL }),
		       "start tracer with --metrics"))
		goto out;
	for (nfds = 0; nfds < SLOW_CLIENTS; nfds++) {
		fds[nfds] = slow_client();
		if (!ASSERT_GE(fds[nfds], 0, "a slow client connects"))
			goto out;
	}
	for (int round = 1; round <= TRICKLE_ROUNDS; round++) {
		sleep(1);
		/* one more byte each: never idle; a client the server has let go just fails */
		for (int i = 0; i < nfds; i++)
			send(fds[i], slow_req + round, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		err = http_client__get("127.0.0.1", METRICS_PORT, "/metrics", NULL, SCRAPE_MS, &r);
		test__log("round %d: scrape %s, status %d", round, test__strerror(err), r.status);
		ASSERT_OK(err, "a scrape is answered beside the slow clients");
		ASSERT_EQ(r.status, 200, "and it is a 200");
		http_resp__free(&r);
	}
	/* and tracing went on: the server of a connection closed now (it closes last, no
	 * TIME_WAIT) has its record */
	if (!ASSERT_OK(scenario__run("active", NULL, &res), "run active"))
		goto out;
	ASSERT_OK(tracer__wait_close(&t, res.server.port, res.client.port, RECORDS_MS),
		  "the server's record");
	if (!ASSERT_OK(tracer__stop(&t), "tracer exits 0 after SIGINT"))
		goto out;
	lost = tracer__lost(&t);
	ASSERT_EQ(json__int(lost, "ringbuf", -1) + json__int(lost, "map_full", -1), 0,
		  "nothing lost meanwhile");
out:
	for (int i = 0; i < nfds; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (test__failed())
		tracer__dump_stderr(&t);
	http_resp__free(&r);
	tracer__free(&t);
}
