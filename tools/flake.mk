# SPDX-License-Identifier: GPL-2.0
#
# tools/flake.mk: how often does "tcpclose check" fail when the host is busy? "make flake"
# runs every scenario FLAKE_ROUNDS times in one tcpclose check on this host, with every CPU
# kept busy (--repeat --load), and ends with the flake summary: the rounds each scenario
# failed in, by field. "make vmtest-flake" runs the kernel matrix (tools/vmtest.d/matrix,
# each backend once) with --load in each guest of make vmtest.
#
#   sudo make flake                                     10 rounds of every scenario
#   sudo make flake FLAKE_ROUNDS=50 FLAKE_ARGS="retrans_timeout keepalive"
#   make vmtest-flake KERNELS=6.12 FLAKE_ARGS="--repeat 3"
#
# FLAKE_ARGS go to tcpclose check (more options, or scenarios) on the host and in the guests.

FLAKE_ROUNDS ?= 10
FLAKE_ARGS ?=

.PHONY: flake vmtest-flake

flake: check-root all
	$(Q)./tcpclose check --repeat $(FLAKE_ROUNDS) --load $(FLAKE_ARGS)

# the guests' CPUs are emulated and busy too: three backends of every scenario take longer
vmtest-flake: VMTEST_CMD = /vmtest/matrix --load $(FLAKE_ARGS)
vmtest-flake: VMTEST_TIMEOUT = 2400
vmtest-flake: vmtest
