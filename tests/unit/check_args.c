// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* "tcpclose check" options: what they set, and the one-line errors that exit 2. */
#include <unistd.h>
#include "check.h"
#include "test.h"

struct parsed {
	struct check_opts opts;
	enum args_result res;
	char out[8192];
	char err[512];
};

static int parse_fn(void *opts, int argc, char **argv, FILE *out, FILE *err)
{
	return check__parse(opts, argc, argv, out, err);
}

static void parse(struct parsed *p, const char **argv)
{
	p->res = test__parse(parse_fn, &p->opts, argv, p->out, sizeof(p->out), p->err,
			     sizeof(p->err));
	if (p->err[0])
		test__log("stderr: %s", p->err);
}

void test_check_args(void)
{
	struct parsed p;

	parse(&p, (const char *[]){ "check", NULL });
	ASSERT_EQ(p.res, ARGS_RUN, "no arguments: every scenario");
	ASSERT_EQ(p.opts.nr_names, 0, "none named");
	ASSERT_EQ(p.opts.timeout_s, CHECK_DEFAULT_TIMEOUT_S, "default timeout");
	ASSERT_TRUE(check__selected(&p.opts, "tw_expire"), "all selected");
	check__free(&p.opts);

	parse(&p, (const char *[]){ "check", "--tap", "--junit", "out.xml", "-t", "30", "active",
				    "--expect", "active.client.role=passive", "tw_rst", NULL });
	ASSERT_EQ(p.res, ARGS_RUN, "options and names mixed");
	ASSERT_TRUE(p.opts.tap, "--tap");
	ASSERT_STREQ(p.opts.junit, "out.xml", "--junit");
	ASSERT_EQ(p.opts.timeout_s, 30, "--timeout");
	ASSERT_EQ(p.opts.nr_names, 2, "two scenarios");
	ASSERT_TRUE(check__selected(&p.opts, "tw_rst"), "tw_rst selected");
	ASSERT_FALSE(check__selected(&p.opts, "tw_syn"), "tw_syn not");
	ASSERT_EQ(p.opts.nr_expects, 1, "one --expect");
	check__free(&p.opts);
}

void test_check_args_errors(void)
{
	struct parsed p;

	parse(&p, (const char *[]){ "check", "nope", NULL });
	ASSERT_EQ(p.res, ARGS_EXIT_USAGE, "an unknown scenario");
	ASSERT_STREQ(p.err, "tcpclose check: unknown scenario 'nope' (see tcpclose check --list)\n",
		     "one line saying what to do");
	check__free(&p.opts);

	parse(&p, (const char *[]){ "check", "--expect", "active.client.role", NULL });
	ASSERT_EQ(p.res, ARGS_EXIT_USAGE, "--expect without a value");
	ASSERT_NOT_NULL(strstr(p.err, "give SCENARIO.FIELD=VALUE"), "says the form");
	check__free(&p.opts);

	parse(&p, (const char *[]){ "check", "--expect", "nope.client.role=active", NULL });
	ASSERT_EQ(p.res, ARGS_EXIT_USAGE, "--expect of an unknown scenario");
	check__free(&p.opts);

	parse(&p, (const char *[]){ "check", "--expect", "tw_syn.client3.role=active", NULL });
	ASSERT_EQ(p.res, ARGS_EXIT_USAGE, "an end the scenario does not have");
	ASSERT_NOT_NULL(strstr(p.err, "(its ends: client, server, client2, server2)"),
			"lists its ends");
	check__free(&p.opts);

	parse(&p, (const char *[]){ "check", "--expect", "active.client.role=passive", "tw_rst",
				    NULL });
	ASSERT_EQ(p.res, ARGS_EXIT_USAGE, "--expect for a scenario left out");
	check__free(&p.opts);

	parse(&p, (const char *[]){ "check", "-t", "0", NULL });
	ASSERT_EQ(p.res, ARGS_EXIT_USAGE, "a zero timeout");
	check__free(&p.opts);

	parse(&p, (const char *[]){ "check", "--bogus", NULL });
	ASSERT_EQ(p.res, ARGS_EXIT_USAGE, "an unknown option");
	check__free(&p.opts);

	/* found before the scenarios run (it used to run them all, then exit 0) */
	parse(&p, (const char *[]){ "check", "--junit", "/nonexistent/check.xml", NULL });
	ASSERT_EQ(p.res, ARGS_EXIT_USAGE, "a --junit file that cannot be written");
	ASSERT_NOT_NULL(strstr(p.err, "give a writable path"), "says what to do");
	check__free(&p.opts);
	parse(&p, (const char *[]){ "check", "--junit", "/tmp/tcpclose-check-args.xml", NULL });
	ASSERT_EQ(p.res, ARGS_RUN, "a writable --junit file");
	ASSERT_TRUE(access("/tmp/tcpclose-check-args.xml", F_OK), "and it is not left behind");
	check__free(&p.opts);
}

void test_check_args_help(void)
{
	struct parsed p;

	parse(&p, (const char *[]){ "check", "--help", NULL });
	ASSERT_EQ(p.res, ARGS_EXIT_OK, "--help");
	ASSERT_NOT_NULL(strstr(p.out, "--expect SCENARIO.FIELD=VALUE"), "explains --expect");
	ASSERT_NOT_NULL(strstr(p.out, "Exit status: 0"), "the exit codes");
	ASSERT_NOT_NULL(strstr(p.out, "--repeat N"), "explains --repeat");
	ASSERT_NOT_NULL(strstr(p.out, "--load[=N]"), "explains --load");
	ASSERT_NOT_NULL(strstr(p.out, "Examples:"), "examples");
	check__free(&p.opts);
}

void test_check_args_repeat_load(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	struct parsed p;

	parse(&p, (const char *[]){ "check", NULL });
	ASSERT_EQ(p.opts.repeat, 0, "no --repeat: one round, no flake summary");
	ASSERT_EQ(p.opts.load, 0, "no --load: no workers");
	check__free(&p.opts);

	parse(&p, (const char *[]){ "check", "--repeat", "10", "--load", "active", NULL });
	ASSERT_EQ(p.res, ARGS_RUN, "--repeat N --load");
	ASSERT_EQ(p.opts.repeat, 10, "--repeat");
	ASSERT_EQ(p.opts.load, cpus > 0 ? cpus : 1, "--load alone: one worker per online CPU");
	ASSERT_EQ(p.opts.nr_names, 1, "the scenario after --load is a scenario");
	check__free(&p.opts);

	parse(&p, (const char *[]){ "check", "--load=3", "--repeat=1", NULL });
	ASSERT_EQ(p.res, ARGS_RUN, "--load=N --repeat=1");
	ASSERT_EQ(p.opts.load, 3, "--load=3");
	ASSERT_EQ(p.opts.repeat, 1, "one round asked for is still --repeat");
	check__free(&p.opts);
}

void test_check_args_repeat_load_errors(void)
{
	static const struct {
		const char *arg, *err;
	} bad[] = {
		{ "--repeat=0", "tcpclose check: invalid --repeat '0': give a number of rounds from 1 to 1000\n" },
		{ "--repeat=1001", "tcpclose check: invalid --repeat '1001': give a number of rounds from 1 to 1000\n" },
		{ "--repeat=-2", "tcpclose check: invalid --repeat '-2': give a number of rounds from 1 to 1000\n" },
		{ "--repeat=3x", "tcpclose check: invalid --repeat '3x': give a number of rounds from 1 to 1000\n" },
		{ "--load=0", "tcpclose check: invalid --load '0': give a number of busy workers from 1 to 1024, or --load alone for one per CPU\n" },
		{ "--load=", "tcpclose check: invalid --load '': give a number of busy workers from 1 to 1024, or --load alone for one per CPU\n" },
		{ "--load=many", "tcpclose check: invalid --load 'many': give a number of busy workers from 1 to 1024, or --load alone for one per CPU\n" },
		{ "--load=99999999999999999999", "tcpclose check: invalid --load '99999999999999999999': give a number of busy workers from 1 to 1024, or --load alone for one per CPU\n" },
	};
	struct parsed p;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		parse(&p, (const char *[]){ "check", bad[i].arg, "active", NULL });
		ASSERT_EQ(p.res, ARGS_EXIT_USAGE, bad[i].arg);
		ASSERT_STREQ(p.err, bad[i].err, bad[i].arg);
		check__free(&p.opts);
	}

	parse(&p, (const char *[]){ "check", "--repeat", NULL });
	ASSERT_EQ(p.res, ARGS_EXIT_USAGE, "--repeat without N");
	ASSERT_STREQ(p.err, "tcpclose check: option '--repeat' needs a value (see tcpclose check --help)\n",
		     "says so");
	check__free(&p.opts);

	parse(&p, (const char *[]){ "check", "--load", "4", NULL });
	ASSERT_EQ(p.res, ARGS_EXIT_USAGE, "--load N with a space");
	ASSERT_STREQ(p.err, "tcpclose check: unknown scenario '4': for 4 busy workers write --load=4\n",
		     "says how to write it");
	check__free(&p.opts);
}
