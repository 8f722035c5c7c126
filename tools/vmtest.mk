# SPDX-License-Identifier: GPL-2.0
#
# tools/vmtest.mk: "make vmtest" boots each of KERNELS (Debian's kernel packages, fetched
# and cached by tools/vmtest) under qemu in software emulation and runs VMTEST_CMD in it,
# with a STATIC=1 build of tcpclose and closegen; one "RELEASE: PASS|FAIL (...)" line per
# kernel, and the guests' consoles in tools/.output/vmtest/RELEASE.log.
#
#   make vmtest                                   tcpclose check on 6.1 and 6.12
#   make vmtest KERNELS=6.12 VMTEST_CMD=/vmtest/smoke
#   make vmtest VMTEST_ARGS="--jobs 2 --module sch_netem"     (see tools/vmtest --help)
#
# Needs qemu-system-x86, busybox-static and cpio (tools/vmtest installs them as root).

KERNELS ?= 6.1 6.12
VMTEST_CMD ?= /bin/tcpclose check
VMTEST_ARGS ?=

.PHONY: vmtest

vmtest:
	$(Q)tools/vmtest $(addprefix --kernel ,$(KERNELS)) $(if $(filter 1,$(V)),--verbose) \
		$(VMTEST_ARGS) -- $(VMTEST_CMD)
