# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# One build: vmlinux.h -> bpf/*.bpf.o -> tcpclose.bpf.o (linked) -> tcpclose.skel.h -> tcpclose
# (STATIC=1 builds its objects apart: they differ, see below)
OUTPUT := .output$(if $(filter 1,$(STATIC)),-static)
CLANG ?= clang
LLVM_STRIP ?= llvm-strip
BPFTOOL ?= bpftool
CC ?= gcc
PKG_CONFIG ?= pkg-config
PREFIX ?= /usr/local
DESTDIR ?=
VERSION := 0.1.0

ARCH := $(shell uname -m | sed 's/x86_64/x86/' | sed 's/aarch64/arm64/')
VMLINUX_DIR := vmlinux/$(shell uname -m)

# the BPF side: one file per concern, linked into one object and one skeleton
# maps.bpf.c defines what the others declare extern: the linker wants it first
BPF_SRCS := bpf/maps.bpf.c $(filter-out bpf/maps.bpf.c,$(wildcard bpf/*.bpf.c))
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/bpf/%.bpf.o,$(BPF_SRCS))
BPF_HDRS := $(wildcard bpf/*.h)

# the user side: the tracer's own objects (all but the entry point link into the tests too),
# and "tcpclose check": its scenarios in private namespaces, their captures and counters
TRACER_MODS := args backend hist http loader metrics probe record report sink sink_text \
	       sink_json stuck support walk
CHECK_MODS := capture netns nft nstat raw scenario scenario_timer scenario_tw sock sswatch \
	      timing check check_args check_compare check_expect check_flake check_load \
	      check_report check_tamper check_timers check_wire
USER_OBJS := $(patsubst %,$(OUTPUT)/%.o,$(TRACER_MODS) $(CHECK_MODS))
USER_HDRS := $(wildcard user/*.h)

CFLAGS ?= -g -O2
CFLAGS += -Wall -Wextra -Werror -Wno-unused-parameter -std=gnu11 \
	  -DTCPCLOSE_VERSION='"$(VERSION)"'
INCLUDES := -I$(OUTPUT) -Ibpf -Iuser
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	      -I$(VMLINUX_DIR) -Ibpf

# STATIC=1 (the initramfs of make vmtest): Debian's libmicrohttpd needs libraries that have no
# static archive (p11-kit), so a static tcpclose has no --metrics
ifeq ($(STATIC),1)
LDFLAGS += -static
CFLAGS += -DTCPCLOSE_NO_HTTP
LIBS := -lbpf -lelf -lz -ljson-c -lzstd
else
LIBS := -lbpf -lelf -lz -ljson-c -lmicrohttpd -lpthread
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

all: tcpclose

$(OUTPUT) $(OUTPUT)/bpf:
	$(Q)mkdir -p $@

$(OUTPUT)/bpf/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) $(VMLINUX_DIR)/vmlinux.h | $(OUTPUT)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/tcpclose.bpf.o: $(BPF_OBJS)
	$(call msg,LINK-BPF,$@)
	$(Q)$(BPFTOOL) gen object $@ $^
	$(Q)$(LLVM_STRIP) -g $@ 2>/dev/null || true

$(OUTPUT)/tcpclose.skel.h: $(OUTPUT)/tcpclose.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name tcpclose_bpf > $@

$(OUTPUT)/%.o: user/%.c $(USER_HDRS) bpf/tcpclose.h $(OUTPUT)/tcpclose.skel.h | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(INCLUDES) -c $< -o $@

# ./tcpclose is either flavour: relink when the one asked for is not the one last linked
LINKED_STATIC := $(shell cat .output/linked-static 2>/dev/null)
ifneq ($(LINKED_STATIC),$(filter 1,$(STATIC)))
tcpclose: FORCE
endif
FORCE:

tcpclose: $(OUTPUT)/main.o $(USER_OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $(filter %.o,$^) $(LIBS) -o $@
	$(Q)mkdir -p .output && echo "$(filter 1,$(STATIC))" > .output/linked-static

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

install: tcpclose
	$(Q)install -D -m 0755 tcpclose $(DESTDIR)$(PREFIX)/sbin/tcpclose

uninstall:
	$(Q)rm -f $(DESTDIR)$(PREFIX)/sbin/tcpclose

-include tests/tests.mk
-include tools/bench.mk
-include tools/vmtest.mk
-include tools/flake.mk

clean:
	$(call msg,CLEAN)
	$(Q)rm -rf .output .output-static tcpclose tests/.output tools/.output
