// SPDX-License-Identifier: GPL-2.0
/*
 * opcost: what each operation a close record needs costs a BPF program on this host, alone
 * and with its memory in the cache: reading the clock, a record through a ring buffer, a
 * probe read. In tcpclose's programs the same operations cost many times more, waiting on
 * memory other work has taken the cache from (docs/COST.md, "Line by line"); this says what
 * they cost without that wait, so that a host where they are dear in themselves (a
 * paravirtual clock, say) can be told from one where the cache is what they wait on.
 *
 * Each operation runs LOOPS times in a loop of one program, run with BPF_PROG_TEST_RUN on
 * this CPU, timed from user space around the call; an empty loop's time is taken off, and
 * the median of RUNS such runs is printed, in ns an operation. Built from raw instructions,
 * as tools/bench/floor.c is: it needs neither clang nor a skeleton.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define INSN(c, d, s, o, i) \
	((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define MOV_K(d, k) INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, k)
#define MOV_X(d, s) INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define CALL(fn) INSN(BPF_JMP | BPF_CALL, 0, 0, 0, fn)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

#define LOOPS 1000
#define RUNS 201
#define RECORD_BYTES 248	/* a close record with the ring's header: struct tcpc_conn */
#define RING_BYTES (4 << 20)	/* tcpclose's default ring */

struct op {
	const char *what;
	int (*load)(int ring);
	int fd;
};

static int prog__load(const char *name, const struct bpf_insn *body, size_t n)
{
	static char log[1 << 20];
	struct bpf_insn insns[64];
	LIBBPF_OPTS(bpf_prog_load_opts, o, .log_buf = log, .log_size = sizeof(log));
	size_t cnt = 0;
	int fd;

	/* the loop's own five instructions around the body */
	if (n + 5 > ARRAY_SIZE(insns)) {
		fprintf(stderr, "opcost: %s: a body of %zu instructions does not fit\n", name, n);
		return -E2BIG;
	}
	/* r6 counts down the loop; the body sits between its start and its test */
	insns[cnt++] = MOV_K(BPF_REG_6, LOOPS);
	memcpy(&insns[cnt], body, n * sizeof(*body));
	cnt += n;
	insns[cnt++] = INSN(BPF_ALU64 | BPF_SUB | BPF_K, BPF_REG_6, 0, 0, 1);
	insns[cnt] = INSN(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_6, 0, -(int)(n + 2), 0);
	cnt++;
	insns[cnt++] = MOV_K(BPF_REG_0, 0);
	insns[cnt++] = EXIT();
	fd = bpf_prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, name, "GPL", insns, cnt, &o);
	if (fd < 0) {
		o.log_level = 1;
		bpf_prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, name, "GPL", insns, cnt, &o);
		fprintf(stderr, "opcost: loading %s: %s\n%s", name, strerror(errno), log);
	}
	return fd;
}

static int load_empty(int ring)
{
	const struct bpf_insn body[] = { MOV_K(BPF_REG_0, 0) };

	return prog__load("op_empty", body, ARRAY_SIZE(body));
}

static int load_clock(int ring)
{
	const struct bpf_insn body[] = { CALL(BPF_FUNC_ktime_get_ns) };

	return prog__load("op_clock", body, ARRAY_SIZE(body));
}

/* reserve a record, write its first word only (or, with whole, every word), submit it */
static int load_ring(int ring, bool whole)
{
	struct bpf_insn body[64];
	size_t n = 0;

	body[n++] = INSN(BPF_LD | BPF_IMM | BPF_DW, BPF_REG_1, BPF_PSEUDO_MAP_FD, 0, ring);
	body[n++] = INSN(0, 0, 0, 0, 0);
	body[n++] = MOV_K(BPF_REG_2, RECORD_BYTES - 8);	/* the ring adds its 8-byte header */
	body[n++] = MOV_K(BPF_REG_3, 0);
	body[n++] = CALL(BPF_FUNC_ringbuf_reserve);
	/* no room: skip the writes and the submit (the reader keeps the ring empty) */
	body[n] = INSN(BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 0, 0);
	{
		size_t jump = n++, words = whole ? (RECORD_BYTES - 8) / 8 : 1;

		for (size_t w = 0; w < words; w++)
			body[n++] = INSN(BPF_ST | BPF_MEM | BPF_DW, BPF_REG_0, 0, w * 8, 1);
		body[n++] = MOV_X(BPF_REG_1, BPF_REG_0);
		body[n++] = MOV_K(BPF_REG_2, BPF_RB_NO_WAKEUP);
		body[n++] = CALL(BPF_FUNC_ringbuf_submit);
		body[jump].off = n - jump - 1;
	}
	return prog__load(whole ? "op_ring_whole" : "op_ring", body, n);
}

static int load_ring_header(int ring)
{
	return load_ring(ring, false);
}

static int load_ring_whole(int ring)
{
	return load_ring(ring, true);
}

/* 4 bytes of the program's own stack, read as a probe read reads a socket's */
static int load_probe_read(int ring)
{
	const struct bpf_insn body[] = {
		INSN(BPF_ST | BPF_MEM | BPF_DW, BPF_REG_10, 0, -16, 7),
		MOV_X(BPF_REG_1, BPF_REG_10),
		INSN(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_1, 0, 0, -8),
		MOV_K(BPF_REG_2, 4),
		MOV_X(BPF_REG_3, BPF_REG_10),
		INSN(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_3, 0, 0, -16),
		CALL(BPF_FUNC_probe_read_kernel),
	};

	return prog__load("op_probe_read", body, ARRAY_SIZE(body));
}

static int drain(void *ctx, void *data, size_t size)
{
	return 0;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* the median time of one run of fd's program, ns; the ring emptied between runs */
static double run__median(int fd, struct ring_buffer *rb)
{
	double t[RUNS];

	for (int i = 0; i < RUNS; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, o);
		double start = now_ns();

		if (bpf_prog_test_run_opts(fd, &o))
			return -errno;
		t[i] = now_ns() - start;
		ring_buffer__consume(rb);
	}
	qsort(t, RUNS, sizeof(t[0]), cmp_double);
	return t[RUNS / 2];
}

int main(int argc, char **argv)
{
	struct op ops[] = {
		{ "an empty loop's turn (taken off the others)", load_empty, -1 },
		{ "bpf_ktime_get_ns(): the clock", load_clock, -1 },
		{ "a ring buffer record: reserve, one word, submit", load_ring_header, -1 },
		{ "the same, all 248 bytes written", load_ring_whole, -1 },
		{ "bpf_probe_read_kernel() of 4 bytes", load_probe_read, -1 },
	};
	struct ring_buffer *rb;
	double empty = 0;
	int ring;

	if (argc > 1) {
		fputs("usage: opcost\nPrints what a BPF program pays on this host for each "
		      "operation a close record needs\n(ns each, the median of 201 runs of "
		      "1,000 in a loop).\n", stderr);
		return argc == 2 && !strcmp(argv[1], "-h") ? 0 : 2;
	}
	ring = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "op_ring", 0, 0, RING_BYTES, NULL);
	if (ring < 0) {
		fprintf(stderr, "opcost: making a ring buffer: %s (run as root)\n", strerror(errno));
		return 1;
	}
	rb = ring_buffer__new(ring, drain, NULL, NULL);
	if (!rb) {
		fprintf(stderr, "opcost: reading the ring buffer: %s\n", strerror(errno));
		return 1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++) {
		ops[i].fd = ops[i].load(ring);
		if (ops[i].fd < 0)
			return 1;
	}
	printf("ns an operation (median of %d runs of %d in a loop, an empty loop's turn "
	       "taken off):\n", RUNS, LOOPS);
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++) {
		double t = run__median(ops[i].fd, rb);

		if (t < 0) {
			fprintf(stderr, "opcost: running %s: %s\n", ops[i].what, strerror(-t));
			return 1;
		}
		t /= LOOPS;
		if (!i) {
			empty = t;
			printf("%8.1f  %s\n", t, ops[i].what);
			continue;
		}
		printf("%8.1f  %s\n", t - empty, ops[i].what);
	}
	ring_buffer__free(rb);
	return 0;
}
