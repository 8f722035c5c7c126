# SPDX-License-Identifier: GPL-2.0
#
# tools/vmtest.mk: "make vmtest" boots each of KERNELS (Debian's kernel packages, fetched
# and cached by tools/vmtest) under qemu in software emulation and runs VMTEST_CMD in it,
# with a STATIC=1 build of tcpclose and closegen; one "RELEASE: PASS|FAIL (...)" line per
# kernel, and the guests' consoles in tools/.output/vmtest/RELEASE.log. The default command,
# tools/vmtest.d/matrix, runs "tcpclose check" with every backend the kernel offers.
#
#   make vmtest                                   the matrix on KERNELS (what CI runs)
#   make vmtest-all                               the matrix on every kernel of VMTEST_ALL:
#                                                 run it before each release
#   make vmtest KERNELS=6.12 VMTEST_CMD=/vmtest/smoke
#   make vmtest VMTEST_ARGS="--jobs 2 --module sch_netem"     (see tools/vmtest --help)
#   make vmtest VMTEST_CMD="/vmtest/matrix --load active tw_rst"   (matrix takes check's options)
#   make vmtest-flake                             the matrix with --load (tools/flake.mk)
#   make vmtest-wire                              the wire tests (tests/integration/wire_*.c)
#   make vmtest-tests TESTS="filter_cgroup"       integration tests named as -t takes them
#   make kernel-table                             VMTEST_ALL and this kernel, into docs/CHECK.md
#                                                 (and each one's "tcpclose features" into
#                                                 docs/KERNELS.md)
#
# Needs qemu-system-x86, busybox-static and cpio (tools/vmtest installs them as root); an
# arm64 kernel also qemu-system-arm, gcc-aarch64-linux-gnu and arm64 libraries (the same).
#
# A kernel is SERIES[:SUITE][:ARCH] (tools/vmtest --help): Debian 11's 5.10, Debian 12's 6.1
# and 6.12, Debian 13's 6.12, and Debian 12's 6.1 for arm64
VMTEST_ALL := 6.1:arm64 5.10:bullseye 6.1 6.12 6.12:trixie
KERNELS ?= 6.1 6.12
VMTEST_CMD ?= /vmtest/matrix
VMTEST_ARGS ?=
# seconds a guest may take, boot included (tools/vmtest --timeout); empty: its default
VMTEST_TIMEOUT ?=
VMTEST_OUT := tools/.output/vmtest

.PHONY: vmtest vmtest-all vmtest-tests vmtest-wire kernel-table

vmtest:
	$(Q)tools/vmtest $(addprefix --kernel ,$(KERNELS)) $(if $(filter 1,$(V)),--verbose) \
		$(addprefix --timeout ,$(VMTEST_TIMEOUT)) $(VMTEST_ARGS) -- $(VMTEST_CMD)

# integration tests of the host's build in each guest, those named by TESTS (as -t takes
# them), under every backend it offers: the host's test binary goes in (tun, which the
# scripted peer needs, is a default module); under emulation the wire tests take 13 to 17
# minutes per guest (two guests at once: --jobs 2), hence the longer timeout. A guest has
# busybox and a STATIC=1 tcpclose, so some tests cannot pass there whatever the kernel:
# check_subset, check_expect_broken and check_repeat (python3 reads the JUnit file),
# container_podman (podman), top_terminal (tmux), and those of --metrics (metrics_*,
# service_*, start_errors_metrics_addr: no libmicrohttpd in a static build)
TESTS ?=
vmtest-tests: test-bins
	$(Q)tools/vmtest $(addprefix --kernel ,$(KERNELS)) $(if $(filter 1,$(V)),--verbose) \
		--timeout $(or $(VMTEST_TIMEOUT),5400) \
		--add $(TEST_OUT)/test_integration --add tools/vmtest.d/tests:/vmtest/tests \
		$(VMTEST_ARGS) -- /vmtest/tests $(addprefix -t ,$(TESTS))

# the wire-level integration tests (tests/integration/wire_*.c, ladder_wire.c)
vmtest-wire: TESTS = wire
vmtest-wire: vmtest-tests

# the arm64 guest, the slowest under emulation, is first in VMTEST_ALL: with --jobs 2 the
# others pass beside it; its three runs of tcpclose check may take longer than 900 s
vmtest-all: KERNELS = $(VMTEST_ALL)
vmtest-all: VMTEST_TIMEOUT = 1800
vmtest-all: vmtest

# docs/CHECK.md's table of kernels by scenario: this machine's kernel, then KERNELS (here
# VMTEST_ALL unless given), each with every backend it offers; a failing run still has its
# row, so the table is written anyway
kernel-table: KERNELS = $(VMTEST_ALL)
kernel-table: VMTEST_TIMEOUT = 1800
kernel-table: all
	$(Q)mkdir -p $(VMTEST_OUT) && rm -f $(VMTEST_OUT)/*.log
	$(Q)TCPCLOSE=./tcpclose tools/vmtest.d/matrix >$(VMTEST_OUT)/host.log 2>&1; \
		tail -n 1 $(VMTEST_OUT)/host.log
	$(Q)tools/vmtest $(addprefix --kernel ,$(KERNELS)) $(addprefix --timeout ,$(VMTEST_TIMEOUT)) \
		$(VMTEST_ARGS) -- /vmtest/matrix; \
		tools/kernel-table --readme docs/CHECK.md --features docs/KERNELS.md \
			--command 'make kernel-table KERNELS="$(KERNELS)"' \
			$(VMTEST_OUT)/host.log $$(ls $(VMTEST_OUT)/*.log | grep -v -e /host.log -e /build)
