// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Argument parsing: what each option sets, and the one-line errors bad input gets. */
#include <stdlib.h>
#include <unistd.h>
#include <sys/socket.h>
#include "args.h"
#include "top_table.h"
#include "test.h"

struct parsed {
	struct tcpc_opts opts;
	enum args_result res;
	char out[8192];
	char err[512];
};

static int parse_fn(void *opts, int argc, char **argv, FILE *out, FILE *err)
{
	return args__parse(opts, argc, argv, out, err);
}

/* parse a NULL-terminated argument list, capturing what would be printed */
static void parse(struct parsed *p, const char **argv)
{
	p->res = test__parse(parse_fn, &p->opts, argv, p->out, sizeof(p->out), p->err,
			     sizeof(p->err));
}

void test_args_defaults(void)
{
	struct parsed p;

	parse(&p, (const char *[]){ "tcpclose", NULL });
	ASSERT_EQ(p.res, ARGS_RUN, "no arguments run");
	ASSERT_FALSE(p.opts.json, "text by default");
	ASSERT_EQ(p.opts.family, 0, "both families");
	ASSERT_EQ(p.opts.ringbuf_size, 4 << 20, "4 MiB ring buffer");
	ASSERT_EQ(p.opts.max_tw, 0, "timewait map sized at load, from tcp_max_tw_buckets");
	ASSERT_EQ(p.opts.max_closing, 65536, "closing connections map size");
	ASSERT_EQ(p.opts.duration, 0, "runs until interrupted");
	ASSERT_EQ(p.opts.backend, TCPC_BACKEND_AUTO, "backend chosen by probing");
	ASSERT_EQ(p.opts.tw_alloc, TCPC_TW_ALLOC_AUTO, "timewait memory chosen by --max-tw");
	ASSERT_FALSE(p.opts.tw_entry_always, "timewait entries only where needed");
}

void test_args_filters(void)
{
	struct parsed p;

	parse(&p, (const char *[]){ "tcpclose", "-j", "-T", "-p", "42", "-L", "80", "-D", "5432",
				    "-6", "-d", "3", "--transitions", "--hist", "-i", "10",
				    "--ringbuf-size", "8192", "--max-tw", "1000",
				    "--max-closing", "500", "--backend", "kprobe",
				    "--tw-alloc", "ondemand", "--tw-entry", "always",
				    "--netns", "/proc/self/ns/net", NULL });
	ASSERT_EQ(p.res, ARGS_RUN, "all options accepted");
	ASSERT_TRUE(p.opts.json && p.opts.timestamp && p.opts.transitions && p.opts.hist,
		    "flags set");
	ASSERT_EQ(p.opts.pid, 42, "pid");
	ASSERT_EQ(p.opts.lport, 80, "lport");
	ASSERT_EQ(p.opts.dport, 5432, "dport");
	ASSERT_EQ(p.opts.family, AF_INET6, "-6");
	ASSERT_EQ(p.opts.duration, 3, "duration");
	ASSERT_EQ(p.opts.interval, 10, "interval");
	ASSERT_EQ(p.opts.ringbuf_size, 8192, "ring buffer size");
	ASSERT_EQ(p.opts.max_tw, 1000, "max-tw");
	ASSERT_EQ(p.opts.max_closing, 500, "max-closing");
	ASSERT_EQ(p.opts.backend, TCPC_BACKEND_KPROBE, "backend");
	ASSERT_EQ(p.opts.tw_alloc, TCPC_TW_ALLOC_ONDEMAND, "tw-alloc");
	ASSERT_TRUE(p.opts.tw_entry_always, "tw-entry");
	ASSERT_NEQ(p.opts.netns, 0, "netns inode");
	ASSERT_STREQ(p.opts.netns_path, "/proc/self/ns/net", "netns path kept");
}

/* every bad input: usage result, nothing on stdout, exactly one line on stderr */
/* one line on stderr, beginning with prefix: the command it was given to */
static void expect_usage_of(const char **argv, const char *prefix, const char *what)
{
	struct parsed p;
	char *nl;

	parse(&p, argv);
	ASSERT_EQ(p.res, ARGS_EXIT_USAGE, what);
	ASSERT_STREQ(p.out, "", "nothing on stdout");
	nl = strchr(p.err, '\n');
	ASSERT_TRUE(nl && nl[1] == '\0', "exactly one line on stderr");
	ASSERT_TRUE(!strncmp(p.err, prefix, strlen(prefix)), "the error names the program");
}

static void expect_usage(const char **argv, const char *what)
{
	expect_usage_of(argv, "tcpclose: ", what);
}

void test_args_errors(void)
{
	expect_usage((const char *[]){ "tcpclose", "-L", "0", NULL }, "port 0");
	expect_usage((const char *[]){ "tcpclose", "-D", "65536", NULL }, "port too big");
	expect_usage((const char *[]){ "tcpclose", "-L", "80x", NULL }, "port with junk");
	expect_usage((const char *[]){ "tcpclose", "-p", "-5", NULL }, "negative pid");
	expect_usage((const char *[]){ "tcpclose", "-4", "-6", NULL }, "both families");
	expect_usage((const char *[]){ "tcpclose", "-d", "0", NULL }, "zero duration");
	expect_usage((const char *[]){ "tcpclose", "--ringbuf-size", "5000", NULL },
		     "ring buffer not a power of two");
	expect_usage((const char *[]){ "tcpclose", "--ringbuf-size", "2048", NULL },
		     "ring buffer too small");
	expect_usage((const char *[]){ "tcpclose", "--netns", "/nonexistent", NULL },
		     "missing namespace");
	/* a file that is no namespace filtered out every connection, and tcpclose said nothing */
	expect_usage((const char *[]){ "tcpclose", "--netns", "/etc/passwd", NULL },
		     "a file that is no namespace");
	expect_usage((const char *[]){ "tcpclose", "--netns", "/proc/self/ns/uts", NULL },
		     "a namespace that is not a network one");
	/* found before attaching, not after */
	expect_usage((const char *[]){ "tcpclose", "--user", "tcpclose-no-such-user", NULL },
		     "unknown --user");
	expect_usage((const char *[]){ "tcpclose", "--bogus", NULL }, "unknown long option");
	expect_usage((const char *[]){ "tcpclose", "-x", NULL }, "unknown short option");
	expect_usage((const char *[]){ "tcpclose", "-p", NULL }, "missing value");
	expect_usage((const char *[]){ "tcpclose", "extra", NULL }, "stray argument");
	expect_usage((const char *[]){ "tcpclose", "-i", "0", NULL }, "zero interval");
	expect_usage((const char *[]){ "tcpclose", "--backend", "ebpf", NULL }, "unknown backend");
	expect_usage((const char *[]){ "tcpclose", "--max-closing", "0", NULL }, "no closing room");
	expect_usage((const char *[]){ "tcpclose", "--tw-alloc", "prealloc", NULL },
		     "unknown --tw-alloc");
	expect_usage_of((const char *[]){ "tcpclose", "top", "--tw-alloc", "", NULL },
			"tcpclose top: ", "empty --tw-alloc of top");
	expect_usage((const char *[]){ "tcpclose", "--tw-entry", "never", NULL },
		     "unknown --tw-entry");
	expect_usage((const char *[]){ "tcpclose", "--port-pressure=0", NULL }, "0% pressure");
	expect_usage((const char *[]){ "tcpclose", "--port-pressure=101", NULL }, "101% pressure");
	expect_usage((const char *[]){ "tcpclose", "--port-pressure=8o", NULL }, "pressure junk");
}

/* --port-pressure: off, on at 80%, or at the share given after "=" */
void test_args_port_pressure(void)
{
	struct parsed p;

	parse(&p, (const char *[]){ "tcpclose", NULL });
	ASSERT_EQ(p.opts.port_pressure * 100, 0, "off unless asked");
	parse(&p, (const char *[]){ "tcpclose", "--port-pressure", NULL });
	ASSERT_EQ(p.res, ARGS_RUN, "--port-pressure alone");
	ASSERT_NEAR(p.opts.port_pressure, 0.8, 1e-9, "default threshold");
	parse(&p, (const char *[]){ "tcpclose", "--port-pressure=95", NULL });
	ASSERT_NEAR(p.opts.port_pressure, 0.95, 1e-9, "threshold given");
}

void test_args_help_version(void)
{
	struct parsed p;

	parse(&p, (const char *[]){ "tcpclose", "--help", NULL });
	ASSERT_EQ(p.res, ARGS_EXIT_OK, "--help exits 0");
	ASSERT_TRUE(strstr(p.out, "Usage: tcpclose") != NULL, "usage line");
	ASSERT_TRUE(strstr(p.out, "Examples:") != NULL, "examples");
	ASSERT_TRUE(strstr(p.out, "TIME_WAIT") != NULL, "says what it traces");
	ASSERT_STREQ(p.err, "", "nothing on stderr");

	parse(&p, (const char *[]){ "tcpclose", "-V", NULL });
	ASSERT_EQ(p.res, ARGS_EXIT_OK, "--version exits 0");
	ASSERT_TRUE(!strncmp(p.out, "tcpclose ", 9), "version line");
}

void test_args_ladder(void)
{
	char dir[] = "/tmp/tcpclose-ladder-XXXXXX", want[256];
	struct parsed p;

	if (!ASSERT_NOT_NULL(mkdtemp(dir), "a directory"))
		return;
	parse(&p, (const char *[]){ "tcpclose", "--ladder", "--ladder-svg", dir, "-D", "443",
				    NULL });
	ASSERT_EQ(p.res, ARGS_RUN, "--ladder and --ladder-svg accepted");
	ASSERT_TRUE(p.opts.ladder, "--ladder");
	ASSERT_STREQ(p.opts.ladder_svg, dir, "--ladder-svg");
	ASSERT_GE(p.opts.ladder_svg_fd, 0, "the directory opened when parsed");
	if (p.opts.ladder_svg_fd >= 0)
		close(p.opts.ladder_svg_fd);
	rmdir(dir);

	/* gone: one line, before anything is attached */
	parse(&p, (const char *[]){ "tcpclose", "--ladder-svg", dir, NULL });
	ASSERT_EQ(p.res, ARGS_EXIT_USAGE, "a directory that is not there");
	snprintf(want, sizeof(want), "tcpclose: --ladder-svg '%s': No such file or directory (give a directory tcpclose may write in)\n",
		 dir);
	ASSERT_STREQ(p.err, want, "one line that says why");
	parse(&p, (const char *[]){ "tcpclose", "--ladder-svg", "/proc/self/status", NULL });
	ASSERT_EQ(p.res, ARGS_EXIT_USAGE, "a file, not a directory");
	ASSERT_NOT_NULL(strstr(p.err, "Not a directory"), "says why");
	parse(&p, (const char *[]){ "tcpclose", "--ladder", "-j", NULL });
	ASSERT_EQ(p.res, ARGS_EXIT_USAGE, "--ladder and -j");
	ASSERT_STREQ(p.err, "tcpclose: --ladder draws records on stdout: it excludes -j\n",
		     "one line");
}

void test_args_top(void)
{
	struct parsed p;

	parse(&p, (const char *[]){ "tcpclose", "top", NULL });
	ASSERT_EQ(p.res, ARGS_RUN, "tcpclose top runs");
	ASSERT_TRUE(p.opts.top, "top mode");
	ASSERT_EQ(p.opts.interval, 1, "refreshed every second by default");
	ASSERT_EQ(p.opts.top_keys.n, 2, "two keys by default");
	ASSERT_STREQ(p.opts.top_keys.k[0]->name, "process", "first key: process");
	ASSERT_STREQ(p.opts.top_keys.k[1]->name, "remote", "second key: remote");
	ASSERT_EQ(p.opts.top_sort, TOP_COL_CLOSES, "sorted by closes");
	ASSERT_EQ(p.opts.top_groups, TOP_DEFAULT_GROUPS, "default group cap");

	parse(&p, (const char *[]){ "tcpclose", "top", "-k", "container,lport", "-s", "close_wait",
				    "--max-groups", "7", "-i", "3", "-j", "-L", "80", NULL });
	ASSERT_EQ(p.res, ARGS_RUN, "options accepted");
	ASSERT_EQ(p.opts.top_keys.n, 2, "two keys");
	ASSERT_STREQ(p.opts.top_keys.k[0]->name, "container", "keys in the order given");
	ASSERT_STREQ(p.opts.top_keys.k[1]->name, "lport", "second key");
	ASSERT_EQ(p.opts.top_sort, TOP_COL_CW, "-s close_wait");
	ASSERT_EQ(p.opts.top_groups, 7, "--max-groups");
	ASSERT_EQ(p.opts.interval, 3, "-i");
	ASSERT_TRUE(p.opts.json, "-j");
	ASSERT_EQ(p.opts.lport, 80, "filters apply to top too");

	parse(&p, (const char *[]){ "tcpclose", "top", "--help", NULL });
	ASSERT_EQ(p.res, ARGS_EXIT_OK, "top --help exits 0");
	ASSERT_TRUE(strstr(p.out, "Usage: tcpclose top") != NULL, "top's own usage");
	ASSERT_TRUE(strstr(p.out, "--keys KEYS") != NULL, "explains -k");
}

void test_args_top_errors(void)
{
	const char *top = "tcpclose top: ";

	expect_usage_of((const char *[]){ "tcpclose", "top", "-k", "comm", NULL }, top,
			 "unknown key");
	expect_usage_of((const char *[]){ "tcpclose", "top", "-k", "process,process", NULL },
			 top, "a key twice");
	expect_usage_of((const char *[]){ "tcpclose", "top", "-k", "", NULL }, top, "no key");
	expect_usage_of((const char *[]){ "tcpclose", "top", "-s", "speed", NULL }, top,
			 "unknown sort column");
	expect_usage_of((const char *[]){ "tcpclose", "top", "--max-groups", "0", NULL }, top,
			 "no groups");
	expect_usage_of((const char *[]){ "tcpclose", "top", "--max-groups", "65537", NULL },
			 top, "too many groups");
	expect_usage_of((const char *[]){ "tcpclose", "top", "--hist", NULL }, top,
			 "--hist is not top's");
	expect_usage_of((const char *[]){ "tcpclose", "top", "--stuck", "5", NULL }, top,
			 "--stuck is not top's");
	expect_usage_of((const char *[]){ "tcpclose", "top", "--user", "nobody", NULL }, top,
			"--user is not top's");
	expect_usage_of((const char *[]){ "tcpclose", "top", "--ladder", NULL }, top,
			 "--ladder is not top's");
	expect_usage_of((const char *[]){ "tcpclose", "top", "--port-pressure", NULL }, top,
			 "--port-pressure is not top's");
	expect_usage_of((const char *[]){ "tcpclose", "top", "extra", NULL }, top,
			 "stray argument");
	expect_usage_of((const char *[]){ "tcpclose", "-k", "process", NULL }, "tcpclose: ",
			 "-k without top");
	expect_usage_of((const char *[]){ "tcpclose", "--max-groups", "5", NULL }, "tcpclose: ",
			 "--max-groups without top");
}
