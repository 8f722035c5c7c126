# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# One build: vmlinux.h -> bpf/*.bpf.o -> tcpclose.bpf.o (linked) -> tcpclose.skel.h -> tcpclose
# (STATIC=1 builds its objects apart: they differ, see below; so does a cross build)
#
# ARCH=arm64 on an x86_64 host cross-builds for aarch64 (STATIC=1 for the initramfs of a
# tools/vmtest guest): Debian's gcc-aarch64-linux-gnu, the arm64 libraries through dpkg
# multiarch (tools/vmtest installs both), the BPF objects compiled with
# -D__TARGET_ARCH_arm64 against vmlinux/aarch64/vmlinux.h
HOST_ARCH := $(shell uname -m | sed 's/x86_64/x86/' | sed 's/aarch64/arm64/')
ARCH ?= $(HOST_ARCH)
# the kernel's name for it (x86, arm64) and uname's (x86_64, aarch64)
UNAME_ARCH := $(patsubst x86,x86_64,$(patsubst arm64,aarch64,$(ARCH)))
OUTPUT := .output$(if $(filter 1,$(STATIC)),-static)$(if $(filter-out $(HOST_ARCH),$(ARCH)),-$(ARCH))
CLANG ?= clang
LLVM_STRIP ?= llvm-strip
BPFTOOL ?= bpftool
CC ?= gcc
PKG_CONFIG ?= pkg-config
PREFIX ?= /usr/local
DESTDIR ?=
VERSION := 0.1.0

VMLINUX_DIR := vmlinux/$(UNAME_ARCH)
ifneq ($(ARCH),$(HOST_ARCH))
CROSS_COMPILE ?= $(UNAME_ARCH)-linux-gnu-
CC := $(CROSS_COMPILE)gcc
AR := $(CROSS_COMPILE)ar
endif

# the BPF side: one file per concern, linked into one object and one skeleton
# maps.bpf.c defines what the others declare extern: the linker wants it first
BPF_SRCS := bpf/maps.bpf.c $(filter-out bpf/maps.bpf.c,$(wildcard bpf/*.bpf.c))
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/bpf/%.bpf.o,$(BPF_SRCS))
BPF_HDRS := $(wildcard bpf/*.h)

# the user side, one directory per product:
#   user/   the tracer: tcpclose, the agent that runs in production (user/main.c its entry)
#   lab/    the scenario lab: connections driven in private namespaces, their captures,
#           counters and socket dumps; a library that tcpclose-check, closegen and the tests
#           link, and tcpclose does not
#   check/  tcpclose-check, which "tcpclose check" runs: the lab's scenarios judged by the wire
TRACER_OBJS := $(patsubst %.c,$(OUTPUT)/%.o,$(filter-out user/main.c,$(wildcard user/*.c)))
LAB_OBJS := $(patsubst %.c,$(OUTPUT)/%.o,$(wildcard lab/*.c))
CHECK_OBJS := $(patsubst %.c,$(OUTPUT)/%.o,$(filter-out check/main.c,$(wildcard check/*.c)))
LIBTRACER := $(OUTPUT)/libtracer.a
LIBLAB := $(OUTPUT)/liblab.a
# the lab keeps time with the tracer's clock, and needs nothing else of it
LAB_LINK := $(LIBLAB) $(OUTPUT)/user/clock.o

CFLAGS ?= -g -O2
CFLAGS += -Wall -Wextra -Werror -Wno-unused-parameter -std=gnu11 -MMD -MP \
	  -DTCPCLOSE_VERSION='"$(VERSION)"'
INCLUDES := -I$(OUTPUT) -Ibpf -Iuser -Ilab -Icheck
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror -MMD -MP \
	      -I$(VMLINUX_DIR) -Ibpf

# STATIC=1 (the initramfs of make vmtest): Debian's libmicrohttpd needs libraries that have no
# static archive (p11-kit), so a static tcpclose has no --metrics
ifeq ($(STATIC),1)
LDFLAGS += -static
CFLAGS += -DTCPCLOSE_NO_HTTP
LIBS := -lbpf -lelf -lz -lzstd -lncursesw -ltinfo
else
LIBS := -lbpf -lelf -lz -lmicrohttpd -lpthread -lncursesw
endif

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
MAKEFLAGS += --no-print-directory
endif

.DELETE_ON_ERROR:
.PHONY: all clean deps demo test install uninstall vmlinux check-root FORCE

all: tcpclose tcpclose-check

$(OUTPUT) $(OUTPUT)/bpf $(OUTPUT)/user $(OUTPUT)/lab $(OUTPUT)/check:
	$(Q)mkdir -p $@

$(OUTPUT)/bpf/%.bpf.o: bpf/%.bpf.c $(VMLINUX_DIR)/vmlinux.h Makefile | $(OUTPUT)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/tcpclose.bpf.o: $(BPF_OBJS)
	$(call msg,LINK-BPF,$@)
	$(Q)$(BPFTOOL) gen object $@ $^
	$(Q)$(LLVM_STRIP) -g $@ 2>/dev/null || true

$(OUTPUT)/tcpclose.skel.h: $(OUTPUT)/tcpclose.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name tcpclose_bpf > $@

# headers are found by -MMD's dependency files; the skeleton must exist before the first
# compile that includes it, which is any but the lab's. Objects also depend on this
# Makefile: a change of flags (or an object built before it had a dependency file) rebuilds.
$(OUTPUT)/user/%.o: user/%.c Makefile | $(OUTPUT)/tcpclose.skel.h $(OUTPUT)/user
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(INCLUDES) -c $< -o $@

$(OUTPUT)/check/%.o: check/%.c Makefile | $(OUTPUT)/tcpclose.skel.h $(OUTPUT)/check
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(INCLUDES) -c $< -o $@

$(OUTPUT)/lab/%.o: lab/%.c Makefile | $(OUTPUT)/lab
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(INCLUDES) -c $< -o $@

$(LIBTRACER): $(TRACER_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(LIBLAB): $(LAB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

# ./tcpclose is any flavour: relink when the one asked for is not the one last linked
FLAVOUR := $(filter 1,$(STATIC))$(if $(filter-out $(HOST_ARCH),$(ARCH)),-$(ARCH))
LINKED_STATIC := $(shell cat .output/linked-static 2>/dev/null)
ifneq ($(LINKED_STATIC),$(FLAVOUR))
tcpclose tcpclose-check: FORCE
endif
FORCE:

tcpclose: $(OUTPUT)/user/main.o $(LIBTRACER)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $(filter %.o %.a,$^) $(LIBS) -o $@
	$(Q)mkdir -p .output && echo "$(FLAVOUR)" > .output/linked-static

tcpclose-check: $(OUTPUT)/check/main.o $(CHECK_OBJS) $(LIBLAB) $(LIBTRACER)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $(filter %.o %.a,$^) $(LIBS) -o $@

# regenerate the vendored vmlinux.h from this machine's kernel
vmlinux:
	$(Q)tools/gen-vmlinux.sh

deps:
	$(Q)tools/install-deps.sh

check-root:
	$(Q)if [ "$$(id -u)" -ne 0 ]; then \
		echo "this target loads BPF programs: run it as root (sudo make $(MAKECMDGOALS))" >&2; \
		exit 1; fi

demo: check-root deps
	$(Q)$(MAKE) all closegen
	$(Q)tools/demo.sh

# everything, as CI runs it: unit tests, then integration tests, one closing count
test: check-root deps
	$(Q)$(MAKE) all test-bins
	$(Q)tests/run.sh $(TEST_ARGS)

install: tcpclose tcpclose-check
	$(Q)install -D -m 0755 tcpclose $(DESTDIR)$(PREFIX)/sbin/tcpclose
	$(Q)install -D -m 0755 tcpclose-check $(DESTDIR)$(PREFIX)/sbin/tcpclose-check

uninstall:
	$(Q)rm -f $(DESTDIR)$(PREFIX)/sbin/tcpclose $(DESTDIR)$(PREFIX)/sbin/tcpclose-check

-include tests/tests.mk
-include tools/bench.mk
-include tools/vmtest.mk
-include tools/flake.mk
-include tools/soak.mk
-include tools/deb.mk

clean:
	$(call msg,CLEAN)
	$(Q)rm -rf .output .output-* tcpclose tcpclose-check tests/.output tools/.output

-include $(wildcard $(OUTPUT)/*.d $(OUTPUT)/*/*.d)
