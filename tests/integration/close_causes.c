// SPDX-License-Identifier: GPL-2.0
/*
 * Aborted connections: who sent the RST and why, against the RSTs on the wire, the errors
 * the sockets returned and the kernel's counters.
 */
#include <errno.h>
#include "fixture.h"
#include "test.h"

struct cause_case {
	const char *scenario;
	const char *client_cause;	/* and rst_reason for the end that sent the RST */
	const char *client_reason;
	const char *server_cause;
	const char *server_reason;
	const char *counter;		/* nstat counter the abort bumps, or NULL */
};

static void close_cause__run(const struct cause_case *c)
{
	bool client_resets = !strcmp(c->client_cause, "rst_sent");
	json_object *cli, *srv;
	struct fixture f;

	if (!fixture__start(&f, NULL) || !fixture__run(&f, c->scenario, NULL))
		goto out;
	ASSERT_EQ(client_resets ? f.res.server.err : f.res.client.err, ECONNRESET,
		  "the peer's read fails with ECONNRESET");
	if (c->counter)
		ASSERT_EQ(nstat__get(&f.delta, c->counter), 1, c->counter);
	ASSERT_EQ(nstat__get(&f.delta, "TcpExtTW"), 0, "TcpExtTW: no TIME_WAIT");
	ASSERT_EQ(capture__count(&f.cap, f.res.client.port, TCP_RST), client_resets ? 1 : 0,
		  "RSTs from the client");
	ASSERT_EQ(capture__count(&f.cap, f.res.server.port, TCP_RST), client_resets ? 0 : 1,
		  "RSTs from the server");
	ASSERT_EQ(capture__fins(&f.cap, f.res.client.port) +
		  capture__fins(&f.cap, f.res.server.port), 0, "FINs on the wire");
	if (!fixture__finish(&f))
		goto out;
	cli = fixture__client(&f);
	srv = fixture__server(&f);
	fixture__check_ends(&f, cli, srv);
	if (!cli || !srv)
		goto out;
	ASSERT_REC_STR(cli, "role", "aborted", "client");
	ASSERT_REC_STR(srv, "role", "aborted", "server");
	ASSERT_REC_STR(cli, "cause", c->client_cause, "client");
	ASSERT_REC_STR(srv, "cause", c->server_cause, "server");
	if (c->client_reason)
		ASSERT_REC_STR(cli, "rst_reason", c->client_reason, "client");
	else
		ASSERT_REC_NULL(cli, "rst_reason", "client");
	if (c->server_reason)
		ASSERT_REC_STR(srv, "rst_reason", c->server_reason, "server");
	else
		ASSERT_REC_NULL(srv, "rst_reason", "server");
	ASSERT_REC_NULL(cli, "fin_seq", "client");
	ASSERT_REC_NULL(srv, "fin_seq", "server");
	ASSERT_REC_NULL(cli, "tw_end", "client");
	ASSERT_REC_NULL(srv, "tw_end", "server");
	if (test__failed()) {
		fixture__dump(cli, "client record");
		fixture__dump(srv, "server record");
	}
out:
	fixture__cleanup(&f);
}

/* the server closes with the request unread: tcp_close() resets */
void test_close_cause_unread(void)
{
	close_cause__run(&(struct cause_case){
		.scenario = "unread",
		.client_cause = "rst_received",
		.server_cause = "rst_sent",
		.server_reason = "unread_data",
		.counter = "TcpExtTCPAbortOnClose",
	});
}

void test_close_cause_linger0(void)
{
	close_cause__run(&(struct cause_case){
		.scenario = "linger0",
		.client_cause = "rst_sent",
		.client_reason = "linger0",
		.server_cause = "rst_received",
		.counter = "TcpExtTCPAbortOnData",
	});
}

void test_close_cause_peer_reset(void)
{
	close_cause__run(&(struct cause_case){
		.scenario = "peer_reset",
		.client_cause = "rst_received",
		.server_cause = "rst_sent",
		.server_reason = "linger0",
		.counter = "TcpExtTCPAbortOnData",
	});
}

/* the child never accepted: its record is the server end, reset by inet_csk_listen_stop() */
void test_close_cause_listener_closed(void)
{
	close_cause__run(&(struct cause_case){
		.scenario = "listener_close",
		.client_cause = "rst_received",
		.server_cause = "rst_sent",
		.server_reason = "listener_closed",
	});
}
