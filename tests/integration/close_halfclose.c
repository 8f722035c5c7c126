// SPDX-License-Identifier: GPL-2.0
/* A half-close: the client shuts down its side, the server keeps sending for 200 ms */
#include "fixture.h"
#include "test.h"

void test_close_halfclose(void)
{
	const struct tcp_seg *cfin, *sfin;
	json_object *cli, *srv;
	struct scenario_opts opts;
	struct fixture f;

	scenario__default_opts(&opts);
	if (!fixture__start(&f, NULL) || !fixture__run(&f, "halfclose", &opts))
		goto out;
	ASSERT_EQ(f.res.halfclosed_bytes, opts.bytes, "server sent after the client's FIN");
	ASSERT_EQ(f.res.halfclosed_received, opts.bytes, "client read after its shutdown");
	if (!fixture__finish(&f))
		goto out;
	cli = fixture__client(&f);
	srv = fixture__server(&f);
	fixture__check_ends(&f, cli, srv);
	if (!cli || !srv)
		goto out;
	cfin = capture__fin(&f.cap, f.res.client.port, 0);
	sfin = capture__fin(&f.cap, f.res.server.port, 0);
	if (!ASSERT_NOT_NULL(cfin, "client FIN captured") ||
	    !ASSERT_NOT_NULL(sfin, "server FIN captured"))
		goto out;
	/* the FIN may carry the last data: count up to the FIN's own sequence number */
	ASSERT_EQ(capture__payload(&f.cap, f.res.server.port, cfin->ts), opts.bytes,
		  "server payload on the wire after the client's FIN");

	ASSERT_REC_INT(srv, "halfclosed_bytes", opts.bytes, "server");
	ASSERT_REC_STR(srv, "role", "passive", "server");
	ASSERT_REC_STR(srv, "cause", "normal", "server");
	ASSERT_REC_STATES(srv, "CLOSE_WAIT,LAST_ACK", "server");
	fixture__judge(&f, srv, 0, "server");
	ASSERT_REC_STR(cli, "role", "active", "client");
	ASSERT_REC_STATES(cli, "FIN_WAIT1,FIN_WAIT2,TIME_WAIT", "client");
	fixture__judge(&f, cli, 0, "client");
	fixture__check_fins(&f, cli, srv);
	if (test__failed()) {
		fixture__dump(cli, "client record");
		fixture__dump(srv, "server record");
	}
out:
	fixture__cleanup(&f);
}
