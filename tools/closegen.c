// SPDX-License-Identifier: GPL-2.0
/* closegen: run one TCP close scenario over loopback and print what it did as JSON */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "netns.h"
#include "scenario.h"

static const char usage[] =
	"usage: closegen [--netns] [-6] [--delay MS] [--bytes N] [--count N] SCENARIO\n"
	"       closegen --list\n"
	"Run one TCP close scenario over loopback in the current network namespace (with\n"
	"--netns, in a fresh one with lo up) and print one line of JSON describing it.\n"
	"--delay: how long active's server and passive's client wait after EOF (200 ms);\n"
	"--bytes: what halfclose's server sends (10000); --count: churn's connections (1000).\n";

static void closegen__list(void)
{
	const char *name, *help;
	int i;

	for (i = 0; (name = scenario__name(i, &help)); i++)
		printf("%-15s %s\n", name, help);
}

static bool closegen__known(const char *scenario)
{
	const char *name;
	int i;

	for (i = 0; (name = scenario__name(i, NULL)); i++) {
		if (!strcmp(name, scenario))
			return true;
	}
	return false;
}

static long closegen__number(const char *opt, const char *arg, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < 0 || v > max) {
		fprintf(stderr, "closegen: %s: '%s' is not a number from 0 to %ld\n", opt, arg,
			max);
		exit(2);
	}
	return v;
}

static void json__side(json_object *o, const char *prefix, const struct scenario_side *s,
		       unsigned int fields)
{
	char key[32];

	snprintf(key, sizeof(key), "%s_pid", prefix);
	json_object_object_add(o, key, json_object_new_int(s->pid));
	snprintf(key, sizeof(key), "%s_comm", prefix);
	json_object_object_add(o, key, json_object_new_string(s->comm));
	if (fields & SCENARIO_F_ERR) {
		snprintf(key, sizeof(key), "%s_err", prefix);
		json_object_object_add(o, key,
				       s->err ? json_object_new_string(strerror(s->err)) : NULL);
	}
	if (fields & SCENARIO_F_DROPS) {
		snprintf(key, sizeof(key), "%s_fins", prefix);
		json_object_object_add(o, key, json_object_new_int(s->fins));
	}
}

static void closegen__print(const struct scenario_result *r)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "scenario", json_object_new_string(r->name));
	json_object_object_add(o, "family", json_object_new_int(r->family));
	json_object_object_add(o, "cport", json_object_new_int(r->client.port));
	json_object_object_add(o, "sport", json_object_new_int(r->server.port));
	json__side(o, "client", &r->client, r->fields);
	json__side(o, "server", &r->server, r->fields);
	if (r->fields & SCENARIO_F_DELAY)
		json_object_object_add(o, "delay_ms", json_object_new_int(r->delay_ms));
	if (r->fields & SCENARIO_F_HALFCLOSE) {
		json_object_object_add(o, "halfclosed_bytes",
				       json_object_new_int64(r->halfclosed_bytes));
		json_object_object_add(o, "halfclosed_received",
				       json_object_new_int64(r->halfclosed_received));
	}
	if (r->fields & SCENARIO_F_DROPS) {
		json_object_object_add(o, "drops", json_object_new_int64(r->drops));
		json_object_object_add(o, "fin_retrans", json_object_new_int(r->fin_retrans));
	}
	if (r->fields & SCENARIO_F_CROSS)
		json_object_object_add(o, "attempts", json_object_new_int(r->attempts));
	if (r->fields & SCENARIO_F_CHURN) {
		json_object_object_add(o, "connections", json_object_new_int(r->connections));
		json_object_object_add(o, "client_closed_first",
				       json_object_new_int(r->client_closed_first));
	}
	if (r->fields & SCENARIO_F_CONNS) {
		json_object *conns = json_object_new_array();

		for (int i = 0; i < r->nconns; i++) {
			json_object *c = json_object_new_object();

			json_object_object_add(c, "cport", json_object_new_int(r->conns[i].cport));
			json_object_object_add(c, "sport", json_object_new_int(r->conns[i].sport));
			json_object_array_add(conns, c);
		}
		json_object_object_add(o, "conns", conns);
	}
	json_object_object_add(o, "tw_sockets", json_object_new_int64(r->tw_sockets));
	json_object_object_add(o, "elapsed_ms", json_object_new_double(r->elapsed_ms));
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "netns", no_argument, NULL, 'n' },
		{ "list", no_argument, NULL, 'l' },
		{ "delay", required_argument, NULL, 'd' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "count", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct scenario_opts opts;
	struct scenario_result res;
	bool netns = false;
	int c, err;

	scenario__default_opts(&opts);
	while ((c = getopt_long(argc, argv, "6h", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			netns = true;
			break;
		case 'l':
			closegen__list();
			return 0;
		case '6':
			opts.family = 6;
			break;
		case 'd':
			opts.delay_ms = closegen__number("--delay", optarg, 3600000);
			break;
		case 'b':
			opts.bytes = closegen__number("--bytes", optarg, LONG_MAX);
			break;
		case 'c':
			opts.count = closegen__number("--count", optarg, 1000000);
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fprintf(stderr, "closegen: bad option; see closegen --help\n");
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "closegen: expected one SCENARIO; see closegen --list\n");
		return 2;
	}
	if (!closegen__known(argv[optind])) {
		fprintf(stderr, "closegen: unknown scenario '%s'; see closegen --list\n",
			argv[optind]);
		return 2;
	}
	if (opts.count < 1) {
		fprintf(stderr, "closegen: --count must be at least 1\n");
		return 2;
	}
	if (netns) {
		err = netns__unshare();
		if (err) {
			fprintf(stderr, "closegen: new network namespace: %s\n", strerror(-err));
			return 1;
		}
	}
	err = scenario__run(argv[optind], &opts, &res);
	if (err) {
		fprintf(stderr, "closegen: %s: %s\n", argv[optind], res.error);
		return 1;
	}
	closegen__print(&res);
	return 0;
}
