# SPDX-License-Identifier: GPL-2.0
#
# tools/vmtest.mk: "make vmtest" boots each of KERNELS (Debian's kernel packages, fetched
# and cached by tools/vmtest) under qemu in software emulation and runs VMTEST_CMD in it,
# with a STATIC=1 build of tcpclose and closegen; one "RELEASE: PASS|FAIL (...)" line per
# kernel, and the guests' consoles in tools/.output/vmtest/RELEASE.log. The default command,
# tools/vmtest.d/matrix, runs "tcpclose check" with every backend the kernel offers.
#
#   make vmtest                                   the matrix on 6.1 and 6.12
#   make vmtest KERNELS=6.12 VMTEST_CMD=/vmtest/smoke
#   make vmtest VMTEST_ARGS="--jobs 2 --module sch_netem"     (see tools/vmtest --help)
#   make vmtest VMTEST_CMD="/vmtest/matrix --load active tw_rst"   (matrix takes check's options)
#   make vmtest-flake                             the matrix with --load (tools/flake.mk)
#   make vmtest-wire                              the wire tests (tests/integration/wire_*.c)
#   make kernel-table                             the same and this kernel, into docs/CHECK.md
#
# Needs qemu-system-x86, busybox-static and cpio (tools/vmtest installs them as root).

KERNELS ?= 6.1 6.12
VMTEST_CMD ?= /vmtest/matrix
VMTEST_ARGS ?=
# seconds a guest may take, boot included (tools/vmtest --timeout); empty: its default
VMTEST_TIMEOUT ?=
VMTEST_OUT := tools/.output/vmtest

.PHONY: vmtest vmtest-wire kernel-table

vmtest:
	$(Q)tools/vmtest $(addprefix --kernel ,$(KERNELS)) $(if $(filter 1,$(V)),--verbose) \
		$(addprefix --timeout ,$(VMTEST_TIMEOUT)) $(VMTEST_ARGS) -- $(VMTEST_CMD)

# the wire-level integration tests (the scripted peer) in each guest, under every backend it
# offers: the host's test binary goes in, with the tun module the peer needs; one test at a
# time under emulation takes most of an hour per guest, hence the longer timeout
vmtest-wire: test-bins
	$(Q)tools/vmtest $(addprefix --kernel ,$(KERNELS)) $(if $(filter 1,$(V)),--verbose) \
		--timeout $(or $(VMTEST_TIMEOUT),5400) --module tun \
		--add $(TEST_OUT)/test_integration --add tools/vmtest.d/wire:/vmtest/wire \
		$(VMTEST_ARGS) -- /vmtest/wire

# docs/CHECK.md's table of kernels by scenario: this machine's kernel, then KERNELS, each with
# every backend it offers; a failing run still has its row, so the table is written anyway
kernel-table: all
	$(Q)mkdir -p $(VMTEST_OUT) && rm -f $(VMTEST_OUT)/*.log
	$(Q)TCPCLOSE=./tcpclose tools/vmtest.d/matrix >$(VMTEST_OUT)/host.log 2>&1; \
		tail -n 1 $(VMTEST_OUT)/host.log
	$(Q)tools/vmtest $(addprefix --kernel ,$(KERNELS)) $(VMTEST_ARGS) -- /vmtest/matrix; \
		tools/kernel-table --readme docs/CHECK.md \
			--command 'make kernel-table KERNELS="$(KERNELS)"' \
			$(VMTEST_OUT)/host.log $$(ls $(VMTEST_OUT)/*.log | grep -v -e /host.log -e /build.log)
