// SPDX-License-Identifier: GPL-2.0
/* The sequence numbers of both FINs, and what each acked, against the wire */
#include "fixture.h"
#include "test.h"

static void close_fin_seq__run(const char *scenario, int family)
{
	json_object *cli, *srv;
	struct scenario_opts opts;
	struct fixture f;

	scenario__default_opts(&opts);
	opts.family = family;
	if (!fixture__start(&f, NULL) || !fixture__run(&f, scenario, &opts) ||
	    !fixture__finish(&f))
		goto out;
	cli = fixture__client(&f);
	srv = fixture__server(&f);
	fixture__check_ends(&f, cli, srv);
	fixture__check_fins(&f, cli, srv);
	if (test__failed()) {
		fixture__dump(cli, "client record");
		fixture__dump(srv, "server record");
	}
out:
	fixture__cleanup(&f);
}

void test_close_fin_seq(void)
{
	if (test__start_subtest("ipv4"))
		close_fin_seq__run("active", 4);
	if (test__start_subtest("ipv6"))
		close_fin_seq__run("active", 6);
}

/* a FIN on data occupies the sequence number after the data: seq + len */
void test_close_fin_seq_on_data(void)
{
	json_object *cli;
	struct fixture f;
	const struct tcp_seg *fin;

	if (!fixture__start(&f, NULL) || !fixture__run(&f, "fin_data", NULL) ||
	    !fixture__finish(&f))
		goto out;
	fin = capture__fin(&f.cap, f.res.client.port, 0);
	if (!ASSERT_NOT_NULL(fin, "client FIN captured") ||
	    !ASSERT_EQ(fin->len, 11, "the client's FIN carries its last 11 bytes"))
		goto out;
	cli = fixture__client(&f);
	fixture__check_ends(&f, cli, fixture__server(&f));
	fixture__check_fins(&f, cli, fixture__server(&f));
	if (test__failed())
		fixture__dump(cli, "client record");
out:
	fixture__cleanup(&f);
}
