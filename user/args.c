// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include "args.h"
#include "backend.h"
#include "http.h"
#include "top_table.h"


static const char usage[] =
"Usage: tcpclose [OPTIONS]\n"
"       tcpclose top [OPTIONS]  a live view: closes, TIME_WAIT, CLOSE_WAIT and FIN_WAIT2\n"
"                              per process, remote endpoint, local port or container\n"
"                              (tcpclose top --help)\n"
"       tcpclose features      what this kernel offers a tracer, and what tcpclose uses\n"
"       tcpclose check [SCENARIO...]  run built-in close scenarios in private namespaces,\n"
"                              trace them and compare every record with what this kernel\n"
"                              must do; exit 1 on any difference (tcpclose check --help)\n"
"Trace how TCP connections close: one record per connection when it is completely gone,\n"
"including the TIME_WAIT that no other tool sees.\n"
"\n"
"Each record says who closed first (role: active, passive, simultaneous, aborted), how long\n"
"the connection spent in each close state (FIN_WAIT1, FIN_WAIT2, CLOSE_WAIT, LAST_ACK,\n"
"CLOSING, TIME_WAIT; in ms), how many times our FIN was retransmitted, the sequence numbers\n"
"of both FINs, keepalive probes, and why it ended (cause: normal, rst_sent, rst_received,\n"
"keepalive_timeout, user_timeout, retrans_timeout, orphan_retries, fin_wait2_timeout; how\n"
"the TIME_WAIT ended: expired, reused, rst, syn, purged, overflow), and whose it is: the\n"
"cgroup the socket was made in, with the container, Kubernetes pod or systemd unit its\n"
"path shows (the last column, CGROUP; in JSON cgroup, container_id, pod_uid, unit, ...).\n"
"\n"
"Output:\n"
"  -j, --json              JSON Lines: one object per record (\"type\":\"close\")\n"
"  -T, --timestamp         print the wall-clock time of each record\n"
"      --transitions       also print every close-state change as it happens (with its\n"
"                          socket's cgroup, as records name it)\n"
"      --hist              print a histogram of the time spent in each close state, with\n"
"                          count, p50, p90, p99 and max (within 0.4%), at exit; no\n"
"                          per-connection records unless -j, --ladder or --ladder-svg\n"
"                          is given too\n"
"  -i, --interval SECONDS  print the histograms (of what closed since the last print) and\n"
"                          the number of sockets in each close state now, every SECONDS\n"
"      --stuck SECONDS     report, while they last, connections in CLOSE_WAIT (the\n"
"                          application has not closed), FIN_WAIT2 (the peer has not) or\n"
"                          LAST_ACK for longer than SECONDS, with the processes holding\n"
"                          them; every -i SECONDS (default: SECONDS, at most 10)\n"
"      --port-pressure[=PCT]  warn when the local ports held towards one destination\n"
"                          (source address, destination address and port, in one\n"
"                          network namespace) reach PCT% (default 80) of those connect()\n"
"                          may pick there (ip_local_port_range; TIME_WAITs tcp_tw_reuse\n"
"                          would hand over do not count), with the rate it grows at and\n"
"                          the time left; counted every second (with --metrics: gauges\n"
"                          of the 10 worst destinations)\n"
"      --metrics [ADDR:]PORT  serve Prometheus metrics at http://ADDR:PORT/metrics (ADDR\n"
"                          127.0.0.1 unless given; [::1]:PORT for IPv6)\n"
"  -q, --quiet             print no records (with --metrics: run as a metrics agent)\n"
"      --ladder            draw each record as the four-way close of the textbooks: both\n"
"                          ends side by side, each FIN, ACK and reset an arrow with its\n"
"                          sequence numbers and time, each end's states with their dwell;\n"
"                          what our end did not see (the peer's states) marked ~ inferred\n"
"      --ladder-svg DIR    also write each record's ladder as an SVG file into DIR\n"
"\n"
"Filters (in the kernel: a connection filtered out costs no event):\n"
"  -p, --pid PID           only connections of this process\n"
"  -L, --lport PORT        only connections with this local port\n"
"  -D, --dport PORT        only connections with this remote port\n"
"  -4, --ipv4              only IPv4\n"
"  -6, --ipv6              only IPv6\n"
"      --laddr CIDR        only local addresses in CIDR, e.g. 10.0.0.0/8 (repeatable)\n"
"      --raddr CIDR        only remote addresses in CIDR, e.g. fd00::/8 (repeatable)\n"
"      --netns PATH        only this network namespace (/run/netns/NAME, /proc/PID/ns/net)\n"
"      --cgroup PATH       only sockets made in this cgroup v2 or below it\n"
"                          (e.g. /sys/fs/cgroup/system.slice/nginx.service)\n"
"\n"
"Running:\n"
"  -d, --duration SECONDS  stop after this long (default: until Ctrl-C)\n"
"      --user NAME         once attached, drop root for user NAME (e.g. nobody), keeping\n"
"                          CAP_BPF alone where the kernel lets no process without it read\n"
"                          tcpclose's own maps (5.10); walking other namespaces (gauges,\n"
"                          --stuck) then needs what NAME may do\n"
"      --ringbuf-size BYTES  BPF ring buffer size, a power of two >= 4096 (default 4 MiB)\n"
"      --max-tw N          timewait sockets followed at once (default: this namespace's\n"
"                          net.ipv4.tcp_max_tw_buckets, as many as the kernel keeps); past\n"
"                          N they are counted lost (each namespace keeps as many: raise N\n"
"                          on a host of containers); each takes about 70 bytes here for\n"
"                          its record's start, and kernel memory as --tw-alloc says\n"
"      --tw-alloc MODE     when the timewait map takes its kernel memory, 16 bytes a hash\n"
"                          bucket (N rounded up to a power of two) at start and: upfront,\n"
"                          88 bytes for each of N at start, no allocation per socket (the\n"
"                          cheaper per connection); ondemand, 96 bytes as each socket\n"
"                          comes; auto (default), upfront for N up to 262144 (26 MiB)\n"
"      --tw-entry MODE     auto (default): a timewait socket takes no kernel memory and no\n"
"                          map operation where nothing needs it in the kernel (no -p or\n"
"                          --cgroup): its record's start is kept here, and its\n"
"                          timer's events complete it (--hist counts it then); always: an\n"
"                          entry in the timewait map for each, as those options need\n"
"                          (--max-tw and --tw-alloc are that map's)\n"
"      --max-closing N     full sockets followed at once between their first close state\n"
"                          and CLOSE (default 65536; CLOSE_WAIT leaks count here): 1024\n"
"                          (at most N/2; Linux 5.12+) in slots of 200 bytes of kernel\n"
"                          memory taken at start, the others 256 bytes each and 16 for a\n"
"                          hash bucket (N less the slots, rounded up to a power of two);\n"
"                          past that a record begins where it finds room, marked and\n"
"                          counted states_lost\n"
"      --backend NAME      how timewait sockets and TCP timers are followed: fentry or\n"
"                          kprobe (the kernel's timewait functions: exact, and nothing on\n"
"                          other timers), tracepoint (timer tracepoints, any kernel), or\n"
"                          auto (default: the first of those the kernel allows; see\n"
"                          'tcpclose features')\n"
"  -v, --verbose           print libbpf's messages\n"
"  -h, --help              this help\n"
"  -V, --version           print the version\n"
"\n"
"Records lost (ring buffer full) or connections not followed (map full) are counted and\n"
"printed at exit (in JSON as {\"type\":\"lost\",...}), and so are records a closed or\n"
"stalled reader of the output never got; SIGUSR1 prints them so far on standard error.\n"
"\n"
"Exit status: 0 after a run (ended by -d or a signal); 1 if tracing failed while it ran;\n"
"2 on a usage error, or when tracing cannot start (privileges, BTF, a --backend this\n"
"kernel lacks, a --metrics address it cannot serve on).\n"
"\n"
"Examples:\n"
"  tcpclose                 # every TCP close, one line each\n"
"  tcpclose -j -L 80        # JSON Lines for connections on local port 80\n"
"  tcpclose -T -D 5432      # closes of connections to PostgreSQL, with times\n"
"  tcpclose -6 -d 60        # IPv6 only, for one minute\n"
"  tcpclose --hist -i 10    # dwell histograms and close-state counts every 10 s\n"
"  tcpclose --ladder -D 443 # each close to port 443 drawn as a ladder\n"
"  tcpclose --stuck 60 -j   # CLOSE_WAIT leaks: who holds connections stuck over a minute\n"
"  tcpclose -j --port-pressure=90   # and destinations whose local ports run out\n"
"  tcpclose -q --metrics 9465 --user nobody   # a Prometheus agent on 127.0.0.1:9465\n"
"  tcpclose --netns /run/netns/blue --transitions\n";

static const char top_usage[] =
"Usage: tcpclose top [OPTIONS]\n"
"A live view of how TCP connections close, in the spirit of top and tcptop: one row per\n"
"group, refreshed every interval. Each row shows the closes per second by role (of\n"
"connections gone in the last interval; ACTV counts simultaneous closes too), the sockets\n"
"in TIME_WAIT, CLOSE_WAIT and FIN_WAIT2 now (what the kernel holds, walked as ss walks\n"
"them), the TIME_WAIT dwell p50 and p99 in seconds since start, FIN retransmits and resets\n"
"in the last interval, the closes since start, and with a remote key PORTS%: the share\n"
"of the local ports towards that endpoint that no connect() to it can have now (as\n"
"--port-pressure counts them, the worst over source addresses). At most --max-groups\n"
"groups are kept: past that the smallest are folded into an \"other\" row, so memory\n"
"stays bounded.\n"
"\n"
"On a terminal it draws a screen (ncurses; $TERM, as over ssh) and reads keys: q quits;\n"
"c, a, p, b, t, w, f, m, n, x, r, o, u sort by closes, active, passive, aborted,\n"
"TIME_WAIT, CLOSE_WAIT, FIN_WAIT2, TIME_WAIT p50, p99, FIN retransmits, resets, total,\n"
"ports; < and > move the sort column. With -j, or when stdout is not a terminal, it\n"
"prints one snapshot per interval instead: JSON Lines ({\"type\":\"top\"}) with -j, plain\n"
"text without.\n"
"\n"
"Options:\n"
"  -k, --keys KEYS         what a row groups by, comma-separated: process (pid and comm),\n"
"                          remote (address and port), lport, container (the socket's\n"
"                          cgroup, named as records name it); default process,remote\n"
"  -s, --sort COLUMN       sort by closes (default), active, passive, aborted, time_wait,\n"
"                          close_wait, fin_wait2, tw_p50, tw_p99, fin_retrans, resets,\n"
"                          total, ports\n"
"      --max-groups N      groups kept at once, 1 to 65536 (default 256; each takes up\n"
"                          to 38 KiB, a TIME_WAIT histogram)\n"
"  -i, --interval SECONDS  refresh every SECONDS (default 1)\n"
"  -j, --json              one JSON object per interval, never a screen\n"
"  -d, --duration SECONDS  stop after this long (default: until q or Ctrl-C)\n"
"  -p, --pid PID           only connections of this process\n"
"  -L, --lport PORT        only connections with this local port\n"
"  -D, --dport PORT        only connections with this remote port\n"
"  -4, --ipv4              only IPv4\n"
"  -6, --ipv6              only IPv6\n"
"      --laddr CIDR        only local addresses in CIDR (repeatable)\n"
"      --raddr CIDR        only remote addresses in CIDR (repeatable)\n"
"      --netns PATH        only this network namespace (/run/netns/NAME, /proc/PID/ns/net)\n"
"      --cgroup PATH       only sockets made in this cgroup v2 or below it\n"
"      --backend NAME      auto (default), fentry, kprobe or tracepoint (tcpclose --help)\n"
"      --ringbuf-size BYTES  BPF ring buffer size, a power of two >= 4096 (default 4 MiB)\n"
"      --max-tw N          timewait sockets followed at once (default: as many as\n"
"                          net.ipv4.tcp_max_tw_buckets; the TIME_WAIT dwell needs them)\n"
"      --tw-alloc MODE     their kernel memory taken upfront, ondemand, or auto (default;\n"
"                          tcpclose --help says more)\n"
"      --max-closing N     full sockets followed while they close (default 65536)\n"
"  -v, --verbose           print libbpf's messages\n"
"  -h, --help              this help\n"
"\n"
"Exit status: 0 after q, -d or a signal; 1 if tracing failed while it ran; 2 on a usage\n"
"error, or when tracing cannot start.\n"
"\n"
"Examples:\n"
"  tcpclose top                       # who closes, and who holds TIME_WAIT, per peer\n"
"  tcpclose top -k process -s close_wait   # who is leaking CLOSE_WAIT\n"
"  tcpclose top -k lport -j -d 60 > top.jsonl   # a minute of snapshots, per local port\n";

enum {
	OPT_TRANSITIONS = 0x100,
	OPT_NETNS,
	OPT_RINGBUF_SIZE,
	OPT_MAX_TW,
	OPT_MAX_CLOSING,
	OPT_TW_ALLOC,
	OPT_TW_ENTRY,
	OPT_HIST,
	OPT_STUCK,
	OPT_CGROUP,
	OPT_LADDR,
	OPT_RADDR,
	OPT_METRICS,
	OPT_USER,
	OPT_BACKEND,
	OPT_LADDER,
	OPT_LADDER_SVG,
	OPT_PORT_PRESSURE,
	OPT_MAX_GROUPS,
};

static const struct option long_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "timestamp", no_argument, NULL, 'T' },
	{ "pid", required_argument, NULL, 'p' },
	{ "lport", required_argument, NULL, 'L' },
	{ "dport", required_argument, NULL, 'D' },
	{ "ipv4", no_argument, NULL, '4' },
	{ "ipv6", no_argument, NULL, '6' },
	{ "duration", required_argument, NULL, 'd' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "transitions", no_argument, NULL, OPT_TRANSITIONS },
	{ "netns", required_argument, NULL, OPT_NETNS },
	{ "ringbuf-size", required_argument, NULL, OPT_RINGBUF_SIZE },
	{ "max-tw", required_argument, NULL, OPT_MAX_TW },
	{ "max-closing", required_argument, NULL, OPT_MAX_CLOSING },
	{ "tw-alloc", required_argument, NULL, OPT_TW_ALLOC },
	{ "tw-entry", required_argument, NULL, OPT_TW_ENTRY },
	{ "hist", no_argument, NULL, OPT_HIST },
	{ "stuck", required_argument, NULL, OPT_STUCK },
	{ "cgroup", required_argument, NULL, OPT_CGROUP },
	{ "laddr", required_argument, NULL, OPT_LADDR },
	{ "raddr", required_argument, NULL, OPT_RADDR },
	{ "metrics", required_argument, NULL, OPT_METRICS },
	{ "quiet", no_argument, NULL, 'q' },
	{ "user", required_argument, NULL, OPT_USER },
	{ "backend", required_argument, NULL, OPT_BACKEND },
	{ "interval", required_argument, NULL, 'i' },
	{ "ladder", no_argument, NULL, OPT_LADDER },
	{ "ladder-svg", required_argument, NULL, OPT_LADDER_SVG },
	{ "port-pressure", optional_argument, NULL, OPT_PORT_PRESSURE },
	{ "keys", required_argument, NULL, 'k' },
	{ "sort", required_argument, NULL, 's' },
	{ "max-groups", required_argument, NULL, OPT_MAX_GROUPS },
	{},
};

bool tw_alloc__parse(const char *s, enum tcpc_tw_alloc *mode)
{
	static const char *const names[] = {
		[TCPC_TW_ALLOC_AUTO] = "auto",
		[TCPC_TW_ALLOC_UPFRONT] = "upfront",
		[TCPC_TW_ALLOC_ONDEMAND] = "ondemand",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(s, names[i])) {
			*mode = i;
			return true;
		}
	}
	return false;
}

/* a whole number in [min, max], or false */
static bool parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *val)
{
	char *end;

	if (!*s || *s == '-')
		return false;
	errno = 0;
	*val = strtoul(s, &end, 10);
	return !errno && !*end && *val >= min && *val <= max;
}

/* path must name a network namespace: any other file would filter out every connection */
static bool parse_netns(const char *path, unsigned int *inum)
{
	struct statfs sfs;
	struct stat st;
	int fd, type;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (fstat(fd, &st) || fstatfs(fd, &sfs)) {
		close(fd);
		return false;
	}
	type = sfs.f_type == NSFS_MAGIC ? ioctl(fd, NS_GET_NSTYPE) : -1;
	close(fd);
	if (type != CLONE_NEWNET) {
		errno = ENOTNAM;
		return false;
	}
	*inum = st.st_ino;
	return true;
}

bool args__parse_cidr(const char *s, struct tcpc_cidr_key *key)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash;
	unsigned long plen, max;

	if (strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	memset(key, 0, sizeof(*key));
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (inet_pton(AF_INET, buf, key->addr) == 1) {
		key->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, key->addr) == 1) {
		key->family = AF_INET6;
		max = 128;
	} else {
		return false;
	}
	plen = max;
	if (slash && !parse_ulong(slash + 1, 0, max, &plen))
		return false;
	key->prefixlen = 8 + plen;
	return true;
}

/* a cgroup v2 directory: its id (inode) and depth below the hierarchy's root */
static bool parse_cgroup(const char *path, struct tcpc_opts *opts)
{
	char real[4096], *p;
	struct stat st, up;
	struct statfs fs;

	if (!realpath(path, real) || stat(real, &st) || statfs(real, &fs))
		return false;
	if (fs.f_type != CGROUP2_SUPER_MAGIC || !S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return false;
	}
	opts->cgroup_id = st.st_ino;
	opts->cgroup_level = 0;
	/* climb while the parent is still on the same cgroup2 mount */
	while ((p = strrchr(real, '/')) && p != real) {
		*p = '\0';
		if (stat(real, &up) || up.st_dev != st.st_dev)
			break;
		opts->cgroup_level++;
	}
	return true;
}

void args__defaults(struct tcpc_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->ringbuf_size = TCPC_RINGBUF_SIZE;
	opts->max_tw = 0;	/* sized at load: loader__size_tw() */
	opts->max_closing = TCPC_MAX_CLOSING;
	opts->ladder_svg_fd = -1;
}

/* --ladder-svg: a directory we may write in, opened now so that --user cannot lose it */
static int open_ladder_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (faccessat(fd, ".", W_OK | X_OK, AT_EACCESS)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* the options of one mode only: tcpclose top's, or the tracer's that top has no use for */
static bool top_only(int c)
{
	return c == 'k' || c == 's' || c == OPT_MAX_GROUPS;
}

static bool not_for_top(int c)
{
	return c == 'T' || c == 'q' || c == 'V' || c == OPT_TRANSITIONS || c == OPT_HIST ||
	       c == OPT_STUCK || c == OPT_METRICS || c == OPT_USER || c == OPT_LADDER ||
	       c == OPT_LADDER_SVG || c == OPT_PORT_PRESSURE;
}

/* an option as people name it: --NAME (its value, not it, may be argv[optind - 1]) */
static const char *opt_name(int c)
{
	for (const struct option *o = long_opts; o->name; o++)
		if (o->val == c)
			return o->name;
	return "?";
}

static bool top_defaults(struct tcpc_opts *opts)
{
	const char *bad;
	size_t badlen;

	opts->top = true;
	opts->top_sort = TOP_COL_CLOSES;
	opts->top_groups = TOP_DEFAULT_GROUPS;
	return top_keys__parse(&opts->top_keys, "process,remote", &bad, &badlen);
}

enum args_result args__parse(struct tcpc_opts *opts, int argc, char **argv, FILE *out, FILE *err)
{
	const char *cmd = "tcpclose";
	unsigned long v;
	int c;

	args__defaults(opts);
	optind = 1;
	opterr = 0;
	/* "tcpclose top ...": a command of its own, parsed from the word after "top" */
	if (argc >= 2 && !strcmp(argv[1], "top")) {
		top_defaults(opts);
		cmd = "tcpclose top";
		argc--;
		argv++;
	}

	while ((c = getopt_long(argc, argv, ":jTp:L:D:46d:i:k:s:qvhV", long_opts, NULL)) != -1) {
		if (opts->top && not_for_top(c)) {
			fprintf(err, "tcpclose top: --%s is not an option of tcpclose top (see tcpclose top --help)\n",
				opt_name(c));
			return ARGS_EXIT_USAGE;
		}
		if (!opts->top && top_only(c)) {
			fprintf(err, "tcpclose: --%s is an option of tcpclose top (see tcpclose top --help)\n",
				opt_name(c));
			return ARGS_EXIT_USAGE;
		}
		switch (c) {
		case 'k': {
			const char *bad;
			size_t badlen;

			if (!top_keys__parse(&opts->top_keys, optarg, &bad, &badlen)) {
				fprintf(err, "tcpclose top: invalid -k '%s': '%.*s' is not a key, or is given twice; give some of %s, comma-separated\n",
					optarg, (int)badlen, bad, top_keys__names());
				return ARGS_EXIT_USAGE;
			}
			break;
		}
		case 's':
			opts->top_sort = top_col__parse(optarg);
			if (opts->top_sort < 0) {
				fprintf(err, "tcpclose top: invalid -s '%s': give closes, active, passive, aborted, time_wait, close_wait, fin_wait2, tw_p50, tw_p99, fin_retrans, resets, total or ports\n",
					optarg);
				return ARGS_EXIT_USAGE;
			}
			break;
		case OPT_MAX_GROUPS:
			if (!parse_ulong(optarg, 1, 65536, &v)) {
				fprintf(err, "tcpclose top: invalid --max-groups '%s': give a number from 1 to 65536\n",
					optarg);
				return ARGS_EXIT_USAGE;
			}
			opts->top_groups = v;
			break;
		case 'j':
			opts->json = true;
			break;
		case 'T':
			opts->timestamp = true;
			break;
		case 'p':
			if (!parse_ulong(optarg, 1, INT_MAX, &v)) {
				fprintf(err, "tcpclose: invalid PID '%s': give a process id, e.g. -p 1234\n", optarg);
				return ARGS_EXIT_USAGE;
			}
			opts->pid = v;
			break;
		case 'L':
		case 'D':
			if (!parse_ulong(optarg, 1, 65535, &v)) {
				fprintf(err, "tcpclose: invalid port '%s' for -%c: give a number from 1 to 65535\n",
					optarg, c);
				return ARGS_EXIT_USAGE;
			}
			if (c == 'L')
				opts->lport = v;
			else
				opts->dport = v;
			break;
		case '4':
		case '6':
			if (opts->family) {
				fprintf(err, "tcpclose: -4 and -6 exclude each other: give at most one\n");
				return ARGS_EXIT_USAGE;
			}
			opts->family = c == '4' ? AF_INET : AF_INET6;
			break;
		case 'd':
			if (!parse_ulong(optarg, 1, 100UL * 365 * 86400, &v)) {
				fprintf(err, "tcpclose: invalid duration '%s': give whole seconds, at least 1\n",
					optarg);
				return ARGS_EXIT_USAGE;
			}
			opts->duration = v;
			break;
		case 'i':
			if (!parse_ulong(optarg, 1, 86400, &v)) {
				fprintf(err, "tcpclose: invalid interval '%s': give whole seconds from 1 to 86400\n",
					optarg);
				return ARGS_EXIT_USAGE;
			}
			opts->interval = v;
			break;
		case OPT_HIST:
			opts->hist = true;
			break;
		case OPT_PORT_PRESSURE:
			v = ARGS_PORT_PRESSURE_PCT;
			if (optarg && !parse_ulong(optarg, 1, 100, &v)) {
				fprintf(err, "tcpclose: invalid --port-pressure '%s': give a percentage from 1 to 100, as --port-pressure=80\n",
					optarg);
				return ARGS_EXIT_USAGE;
			}
			opts->port_pressure = v / 100.0;
			break;
		case OPT_METRICS:
			if (!http__parse_addr(optarg, &opts->metrics_addr)) {
				fprintf(err, "tcpclose: invalid --metrics '%s': give PORT, ADDR:PORT or [IPV6]:PORT\n",
					optarg);
				return ARGS_EXIT_USAGE;
			}
			opts->metrics = true;
			break;
		case 'q':
			opts->quiet = true;
			break;
		case OPT_LADDER:
			opts->ladder = true;
			break;
		case OPT_LADDER_SVG:
			if (opts->ladder_svg_fd >= 0)
				close(opts->ladder_svg_fd);
			opts->ladder_svg_fd = open_ladder_dir(optarg);
			if (opts->ladder_svg_fd < 0) {
				fprintf(err, "tcpclose: --ladder-svg '%s': %s (give a directory tcpclose may write in)\n",
					optarg, strerror(-opts->ladder_svg_fd));
				return ARGS_EXIT_USAGE;
			}
			opts->ladder_svg = optarg;
			break;
		case OPT_USER:
			/* found now, not once the programs are attached */
			if (!getpwnam(optarg)) {
				fprintf(err, "tcpclose: --user '%s': no such user (give an existing one, e.g. nobody)\n",
					optarg);
				return ARGS_EXIT_USAGE;
			}
			opts->user = optarg;
			break;
		case OPT_BACKEND:
			if (backend__parse(optarg, &opts->backend)) {
				fprintf(err, "tcpclose: unknown --backend '%s': give auto, fentry, kprobe or tracepoint\n",
					optarg);
				return ARGS_EXIT_USAGE;
			}
			break;
		case OPT_CGROUP:
			if (!parse_cgroup(optarg, opts)) {
				fprintf(err, "tcpclose: '%s' is not a cgroup v2 directory: %s (give one under /sys/fs/cgroup)\n",
					optarg, strerror(errno));
				return ARGS_EXIT_USAGE;
			}
			break;
		case OPT_LADDR:
		case OPT_RADDR: {
			struct tcpc_cidr_key *keys = c == OPT_LADDR ? opts->laddrs : opts->raddrs;
			int *n = c == OPT_LADDR ? &opts->nr_laddrs : &opts->nr_raddrs;

			if (*n == ARGS_MAX_CIDRS) {
				fprintf(err, "tcpclose: at most %d addresses for --%s\n", ARGS_MAX_CIDRS,
					c == OPT_LADDR ? "laddr" : "raddr");
				return ARGS_EXIT_USAGE;
			}
			if (!args__parse_cidr(optarg, &keys[*n])) {
				fprintf(err, "tcpclose: invalid address '%s': give an IPv4 or IPv6 address with an optional /prefix, e.g. 10.0.0.0/8\n",
					optarg);
				return ARGS_EXIT_USAGE;
			}
			(*n)++;
			break;
		}
		case OPT_STUCK:
			if (!parse_ulong(optarg, 1, 365UL * 86400, &v)) {
				fprintf(err, "tcpclose: invalid --stuck '%s': give whole seconds, at least 1\n",
					optarg);
				return ARGS_EXIT_USAGE;
			}
			opts->stuck = v;
			break;
		case 'v':
			opts->verbose = true;
			break;
		case 'h':
			fputs(opts->top ? top_usage : usage, out);
			return ARGS_EXIT_OK;
		case 'V':
			fprintf(out, "tcpclose %s\n", TCPCLOSE_VERSION);
			return ARGS_EXIT_OK;
		case OPT_TRANSITIONS:
			opts->transitions = true;
			break;
		case OPT_NETNS:
			opts->netns_path = optarg;
			if (!parse_netns(optarg, &opts->netns)) {
				fprintf(err, "tcpclose: --netns '%s': %s (give a network namespace, such as /run/netns/NAME or /proc/PID/ns/net)\n",
					optarg, errno == ENOTNAM ? "not a network namespace" :
					strerror(errno));
				return ARGS_EXIT_USAGE;
			}
			break;
		case OPT_RINGBUF_SIZE:
			if (!parse_ulong(optarg, 4096, 1UL << 30, &v) || (v & (v - 1))) {
				fprintf(err, "tcpclose: invalid --ringbuf-size '%s': give a power of two from 4096 to 1073741824\n",
					optarg);
				return ARGS_EXIT_USAGE;
			}
			opts->ringbuf_size = v;
			break;
		case OPT_MAX_TW:
		case OPT_MAX_CLOSING:
			if (!parse_ulong(optarg, 1, TCPC_MAX_TW_LIMIT, &v)) {
				fprintf(err, "tcpclose: invalid %s '%s': give a number from 1 to 16777216\n",
					c == OPT_MAX_TW ? "--max-tw" : "--max-closing", optarg);
				return ARGS_EXIT_USAGE;
			}
			*(c == OPT_MAX_TW ? &opts->max_tw : &opts->max_closing) = v;
			break;
		case OPT_TW_ALLOC:
			if (!tw_alloc__parse(optarg, &opts->tw_alloc)) {
				fprintf(err, "%s: invalid --tw-alloc '%s': give auto, upfront or ondemand\n",
					cmd, optarg);
				return ARGS_EXIT_USAGE;
			}
			break;
		case OPT_TW_ENTRY:
			if (strcmp(optarg, "auto") && strcmp(optarg, "always")) {
				fprintf(err, "%s: invalid --tw-entry '%s': give auto or always\n",
					cmd, optarg);
				return ARGS_EXIT_USAGE;
			}
			opts->tw_entry_always = !strcmp(optarg, "always");
			break;
		case ':':
			fprintf(err, "%s: option '%s' needs a value (see %s --help)\n", cmd,
				argv[optind - 1], cmd);
			return ARGS_EXIT_USAGE;
		default:
			fprintf(err, "%s: unknown option '%s' (see %s --help)\n", cmd,
				argv[optind - 1], cmd);
			return ARGS_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(err, "%s: unexpected argument '%s' (see %s --help)\n", cmd, argv[optind],
			cmd);
		return ARGS_EXIT_USAGE;
	}
	if (opts->ladder && (opts->json || opts->quiet)) {
		fprintf(err, "tcpclose: --ladder draws records on stdout: it excludes %s\n",
			opts->json ? "-j" : "-q");
		return ARGS_EXIT_USAGE;
	}
	if (opts->top && !opts->interval)
		opts->interval = 1;
	return ARGS_RUN;
}
