# SPDX-License-Identifier: GPL-2.0
#
# tools/bench.mk: `make bench`: the load generator tools/churn.c, the reference programs
# tools/bench/floor.c, the driver tools/bench.sh that measures (with tools/bench/system.sh) and
# tools/bench/report.py that makes its tables (see docs/BENCHMARKS.md). Included by the
# top Makefile, which provides CC, CFLAGS, LDFLAGS, LIBS, OUTPUT, Q, msg and the tcpclose
# target. Knobs are environment variables of tools/bench.sh, e.g.
# `BENCH_ROUNDS=9 BENCH_CONNS=200000 make bench`.

BENCH_OUT := tools/$(OUTPUT)
CHURN := $(BENCH_OUT)/churn
FLOOR := $(BENCH_OUT)/floor
BPF_LINES := $(BENCH_OUT)/bpf-lines
OPCOST := $(BENCH_OUT)/opcost

.PHONY: bench bench-bins

bench-bins: $(CHURN) $(FLOOR) $(BPF_LINES) $(OPCOST)

$(BENCH_OUT):
	$(Q)mkdir -p $@

$(CHURN): tools/churn.c | $(BENCH_OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -pthread $(LDFLAGS) $< -o $@

$(FLOOR): tools/bench/floor.c | $(BENCH_OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $< $(LIBS) -o $@

$(BPF_LINES): tools/bench/bpf_lines.c | $(BENCH_OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $< $(LIBS) -o $@

$(OPCOST): tools/bench/opcost.c | $(BENCH_OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $< $(LIBS) -o $@

bench: tcpclose $(CHURN) $(FLOOR)
	$(Q)TCPCLOSE=./tcpclose CHURN=$(CHURN) FLOOR=$(FLOOR) tools/bench.sh
