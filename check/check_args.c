// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* check_args: the options of "tcpclose check", parsed and validated before anything runs */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "backend.h"
#include "check.h"

static const char usage[] =
"Usage: tcpclose check [OPTIONS] [SCENARIO...]\n"
"Run a built-in suite of TCP close scenarios over loopback, each in a throwaway network\n"
"namespace, while tracing them with tcpclose's BPF programs, and compare each connection's\n"
"close records (role, cause, rst_reason, how its TIME_WAIT ended, the close states visited\n"
"and the ms spent in them, FIN retransmits, keepalive probes) and the namespace's own TCP\n"
"counters (TcpExtTW, TcpExtTWRecycled, TcpExtTCPTimeWaitOverflow, TcpExtTCPKeepAlive,\n"
"TcpExtTCPAbortOnTimeout, TcpRetransSegs, ...) with what a correct kernel and tracer give.\n"
"When each state began and ended is judged against the scenario's own packet capture and\n"
"socket dumps (ss every millisecond): between what must precede each change and what\n"
"can only follow it, within a jiffy, and earlier by as much as the tick was seen late\n"
"just then (the coarse clock, polled every millisecond), however slow the host.\n"
"Without SCENARIO every one runs (see --list); those waiting on timers (tw_expire waits out\n"
"the 60 s TIME_WAIT) run beside the others, about 65 s in all.\n"
"\n"
"Options:\n"
"  -l, --list              list the scenarios and what each does\n"
"      --junit FILE        also write the results to FILE as JUnit XML\n"
"      --tap               print TAP version 13 instead of the table\n"
"      --expect SCENARIO.FIELD=VALUE\n"
"                          expect VALUE instead of the built-in value (repeatable).\n"
"                          FIELD is END.NAME for a record, END being client or server\n"
"                          (client2, server2, ... for later connections) and NAME one of\n"
"                          role, cause, rst_reason, tw_end, comm (the process the\n"
"                          record names), states, fin_retrans, keepalive_probes,\n"
"                          keepalive_unanswered, halfclosed_bytes, fin_seq, fin_ack,\n"
"                          peer_fin_seq, peer_fin_ack (the FINs' numbers; -1: none),\n"
"                          tw_restarts,\n"
"                          end_ms (ms from the moment the scenario's timers count from),\n"
"                          or a state (FIN_WAIT1 ... TIME_WAIT) for the ms spent in it;\n"
"                          or a counter of the namespace, as nstat names it (TcpExtTW);\n"
"                          or extra (records of the namespace that no end claims).\n"
"                          VALUE is a name as tcpclose prints it ('-' for none, states\n"
"                          comma-separated), a number, LO..HI, LO.., or * (not checked)\n"
"      --backend NAME      trace with this backend: fentry, kprobe, tracepoint, or auto\n"
"                          (default; see tcpclose features), to compare them on a kernel\n"
"      --repeat N          run the scenarios N times (1 to 1000) with the one tracer,\n"
"                          round after round, each with its table and count; then a\n"
"                          flake summary: failed rounds, and the rounds each scenario\n"
"                          failed in by field ('error' when it could not run). The\n"
"                          closing 'N passed, N failed' counts every round; --junit\n"
"                          writes a testsuite per round\n"
"      --load[=N]          keep N busy-loop processes (default: one per online CPU)\n"
"                          running from before the first round to the end, to see what\n"
"                          fails when every CPU is busy\n"
"      --tamper SPEC       be a wrong tracer on purpose, to prove the check is not blind:\n"
"                          alter every record before it is compared. STATE+MS (or -MS):\n"
"                          STATE (FIN_WAIT1 ... TIME_WAIT) lasted MS longer, the state\n"
"                          after it as much shorter; fin_retrans+N: N more FIN resends;\n"
"                          tw_restart_last+MS: TIME_WAIT's last restart MS later.\n"
"                          A run that still passes cannot see that error\n"
"  -t, --timeout SECONDS   stop whatever still runs after SECONDS (default 600; with\n"
"                          --repeat, in each round)\n"
"  -v, --verbose           print every record the scenarios produced, and libbpf's\n"
"                          warnings; draw each record of a scenario that failed as a\n"
"                          ladder (tcpclose --ladder), with what was expected of it\n"
"  -h, --help              this help\n"
"\n"
"Exit status: 0 when everything was as expected; 1 when anything differed or a scenario\n"
"could not run, each difference named as 'scenario: end.field: got X, want Y'; 2 on a\n"
"usage error, or when tracing cannot start (privileges, BTF).\n"
"\n"
"Examples:\n"
"  sudo tcpclose check                          # every scenario, one table row each\n"
"  sudo tcpclose check --junit check.xml        # the same, and a JUnit file for CI\n"
"  sudo tcpclose check --tap active tw_rst      # two scenarios, as TAP\n"
"  sudo tcpclose check -v keepalive             # one, with the records it produced\n"
"  sudo tcpclose check --backend tracepoint     # the timer tracepoints, even with fentry\n"
"  sudo tcpclose check --repeat 10 --load       # how often does each scenario fail on a\n"
"                                               # busy host? (make flake)\n"
"  sudo tcpclose check --expect tw_expire.client.TIME_WAIT=60000..65000 tw_expire\n"
"  sudo tcpclose check --expect fin_drop.TcpRetransSegs='*'    # do not check a counter\n";

enum {
	OPT_JUNIT = 0x100,
	OPT_TAP,
	OPT_EXPECT,
	OPT_BACKEND,
	OPT_REPEAT,
	OPT_LOAD,
	OPT_TAMPER,
};

static const struct option long_opts[] = {
	{ "list", no_argument, NULL, 'l' },
	{ "junit", required_argument, NULL, OPT_JUNIT },
	{ "tap", no_argument, NULL, OPT_TAP },
	{ "expect", required_argument, NULL, OPT_EXPECT },
	{ "backend", required_argument, NULL, OPT_BACKEND },
	{ "repeat", required_argument, NULL, OPT_REPEAT },
	{ "load", optional_argument, NULL, OPT_LOAD },
	{ "tamper", required_argument, NULL, OPT_TAMPER },
	{ "timeout", required_argument, NULL, 't' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{},
};

bool check__selected(const struct check_opts *o, const char *scenario)
{
	size_t len = strcspn(scenario, ".");

	if (!o->nr_names)
		return true;
	for (int i = 0; i < o->nr_names; i++)
		if (strlen(o->names[i]) == len && !strncmp(o->names[i], scenario, len))
			return true;
	return false;
}

/* "SCENARIO.PATH=VALUE" cut into its parts, or false */
static bool expect__split(const char *arg, char *scenario, size_t slen, const char **path,
			  const char **value)
{
	const char *dot = strchr(arg, '.'), *eq = strchr(arg, '=');

	if (!dot || !eq || eq < dot || dot == arg || (size_t)(dot - arg) >= slen)
		return false;
	memcpy(scenario, arg, dot - arg);
	scenario[dot - arg] = '\0';
	*path = dot + 1;
	*value = eq + 1;
	return eq > dot + 1;
}

int check__apply_expects(const struct check_opts *o, struct check_expect *e, char *err,
			 size_t len)
{
	char scenario[64], path[128];
	const char *p, *value;

	for (int i = 0; i < o->nr_expects; i++) {
		if (!expect__split(o->expects[i], scenario, sizeof(scenario), &p, &value) ||
		    strcmp(scenario, e->scenario))
			continue;
		snprintf(path, sizeof(path), "%.*s", (int)(value - 1 - p), p);
		if (check_expect__override(e, path, value, err, len))
			return -EINVAL;
	}
	return 0;
}

/* --expect, checked against what its scenario expects before anything runs */
static bool expect__valid(const char *arg, FILE *err)
{
	struct scenario_result res = { .nconns = SCENARIO_MAX_CONNS };
	struct nstat none = {};
	struct check_facts f = { .res = &res, .delta = &none, .hz = 250 };
	struct check_opts one = { .nr_expects = 1, .expects = (char **)&arg };
	const struct check_scenario *sc;
	const char *path, *value;
	struct check_expect e;
	char scenario[64], msg[256];

	if (!expect__split(arg, scenario, sizeof(scenario), &path, &value)) {
		fprintf(err, "tcpclose check: --expect '%s': give SCENARIO.FIELD=VALUE, e.g. active.client.role=active\n",
			arg);
		return false;
	}
	sc = check_expect__find(scenario);
	if (!sc) {
		fprintf(err, "tcpclose check: --expect '%s': unknown scenario '%s' (see tcpclose check --list)\n",
			arg, scenario);
		return false;
	}
	check_expect__build(&e, sc, &f);
	if (check__apply_expects(&one, &e, msg, sizeof(msg))) {
		fprintf(err, "tcpclose check: --expect '%s': %s\n", arg, msg);
		return false;
	}
	return true;
}

/* a whole number from lo to hi */
static bool parse__range(const char *s, unsigned long lo, unsigned long hi, unsigned long *v)
{
	char *end;

	if (!*s || *s == '-')
		return false;
	errno = 0;
	*v = strtoul(s, &end, 10);
	return !errno && !*end && *v >= lo && *v <= hi;
}

/* found before any scenario runs, not after them all: can path be written? */
static bool junit__writable(const char *path)
{
	bool existed = !access(path, F_OK);
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

	if (fd < 0)
		return false;
	close(fd);
	if (!existed)
		unlink(path);
	return true;
}

enum args_result check__parse(struct check_opts *o, int argc, char **argv, FILE *out, FILE *err)
{
	int c;

	memset(o, 0, sizeof(*o));
	o->timeout_s = CHECK_DEFAULT_TIMEOUT_S;
	o->expects = calloc(argc, sizeof(*o->expects));
	if (!o->expects) {
		fprintf(err, "tcpclose check: out of memory\n");
		return ARGS_EXIT_USAGE;
	}
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":lt:vh", long_opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			o->list = true;
			break;
		case OPT_JUNIT:
			if (!junit__writable(optarg)) {
				fprintf(err, "tcpclose check: cannot write --junit file '%s': %s (give a writable path)\n",
					optarg, strerror(errno));
				return ARGS_EXIT_USAGE;
			}
			o->junit = optarg;
			break;
		case OPT_TAP:
			o->tap = true;
			break;
		case OPT_EXPECT:
			if (!expect__valid(optarg, err))
				return ARGS_EXIT_USAGE;
			o->expects[o->nr_expects++] = optarg;
			break;
		case OPT_BACKEND:
			if (backend__parse(optarg, &o->backend)) {
				fprintf(err, "tcpclose check: unknown --backend '%s': give auto, fentry, kprobe or tracepoint\n",
					optarg);
				return ARGS_EXIT_USAGE;
			}
			break;
		case OPT_REPEAT:
			if (!parse__range(optarg, 1, CHECK_MAX_ROUNDS, &o->repeat)) {
				fprintf(err, "tcpclose check: invalid --repeat '%s': give a number of rounds from 1 to %d\n",
					optarg, CHECK_MAX_ROUNDS);
				return ARGS_EXIT_USAGE;
			}
			break;
		case OPT_LOAD:
			if (!optarg) {
				long cpus = sysconf(_SC_NPROCESSORS_ONLN);

				o->load = cpus > 0 ? cpus : 1;
			} else if (!parse__range(optarg, 1, CHECK_MAX_LOAD, &o->load)) {
				fprintf(err, "tcpclose check: invalid --load '%s': give a number of busy workers from 1 to %d, or --load alone for one per CPU\n",
					optarg, CHECK_MAX_LOAD);
				return ARGS_EXIT_USAGE;
			}
			break;
		case OPT_TAMPER:
			if (check_tamper__parse(&o->tamper, optarg)) {
				fprintf(err, "tcpclose check: invalid --tamper '%s': give STATE+MS or STATE-MS (a close state, e.g. FIN_WAIT2+20), fin_retrans+N or tw_restart_last+MS\n",
					optarg);
				return ARGS_EXIT_USAGE;
			}
			break;
		case 't':
			if (!parse__range(optarg, 1, 86400, &o->timeout_s)) {
				fprintf(err, "tcpclose check: invalid --timeout '%s': give whole seconds from 1 to 86400\n",
					optarg);
				return ARGS_EXIT_USAGE;
			}
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			fputs(usage, out);
			return ARGS_EXIT_OK;
		case ':':
			fprintf(err, "tcpclose check: option '%s' needs a value (see tcpclose check --help)\n",
				argv[optind - 1]);
			return ARGS_EXIT_USAGE;
		default:
			fprintf(err, "tcpclose check: unknown option '%s' (see tcpclose check --help)\n",
				argv[optind - 1]);
			return ARGS_EXIT_USAGE;
		}
	}
	o->names = argv + optind;
	o->nr_names = argc - optind;
	for (int i = 0; i < o->nr_names; i++) {
		if (!check_expect__find(o->names[i])) {
			/* "--load 4": getopt takes an optional value only after '=' */
			if (o->load && strspn(o->names[i], "0123456789") == strlen(o->names[i]))
				fprintf(err, "tcpclose check: unknown scenario '%s': for %s busy workers write --load=%s\n",
					o->names[i], o->names[i], o->names[i]);
			else
				fprintf(err, "tcpclose check: unknown scenario '%s' (see tcpclose check --list)\n",
					o->names[i]);
			return ARGS_EXIT_USAGE;
		}
	}
	for (int i = 0; i < o->nr_expects; i++) {
		if (!check__selected(o, o->expects[i])) {
			fprintf(err, "tcpclose check: --expect '%s' is for a scenario this run leaves out: name it too\n",
				o->expects[i]);
			return ARGS_EXIT_USAGE;
		}
	}
	return ARGS_RUN;
}

void check__free(struct check_opts *o)
{
	free(o->expects);
	o->expects = NULL;
}
