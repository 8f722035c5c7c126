# SPDX-License-Identifier: GPL-2.0
#
# tests/tests.mk: closegen and the two test binaries, in the style of the kernel's BPF
# selftests: every "void test_NAME(void)" in tests/unit/*.c and tests/integration/*.c is
# found with sed and listed in a generated header that tests/runner.c includes; a
# "void serial_test_NAME(void)" runs alone, after the others.
#
# Included by the top Makefile, which provides CC, CFLAGS (with -MMD: headers are tracked by
# dependency files), OUTPUT, and the tracer, lab and check objects and libraries. Targets: closegen, test-bins, test, test-unit,
# test-integration (needs ./tcpclose, or TCPCLOSE=path), test-clean.

ifeq ($(origin Q),undefined)
ifeq ($(V),1)
Q :=
else
Q := @
endif
endif
ifeq ($(origin msg),undefined)
ifneq ($(V),1)
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif
endif

TEST_OUT := tests/.output
TEST_CFLAGS := $(CFLAGS) -Wall -Wextra -Werror -I$(TEST_OUT) -Itests $(INCLUDES)
# the tests reach into all three products: check's objects, then the lab, then the tracer
TEST_LDLIBS := $(LIBS) -ljson-c

# every tests/*.c but the runner is a helper the tests may call: a new one needs no edit here
TEST_HELPER_SRCS := $(filter-out tests/runner.c,$(wildcard tests/*.c))
TEST_HELPER_OBJS := $(patsubst tests/%.c,$(TEST_OUT)/%.o,$(TEST_HELPER_SRCS))
TEST_USER_OBJS := $(CHECK_OBJS) $(LIBLAB) $(LIBTRACER)

UNIT_SRCS := $(sort $(wildcard tests/unit/*.c))
INTEGRATION_SRCS := $(sort $(wildcard tests/integration/*.c))
UNIT_OBJS := $(patsubst tests/unit/%.c,$(TEST_OUT)/unit/%.o,$(UNIT_SRCS))
INTEGRATION_OBJS := $(patsubst tests/integration/%.c,$(TEST_OUT)/integration/%.o,\
		      $(INTEGRATION_SRCS))

TEST_BINS := $(TEST_OUT)/test_unit $(TEST_OUT)/test_integration
CLOSEGEN := $(OUTPUT)/closegen

.PHONY: closegen test-bins test-unit test-integration test-clean

closegen: $(CLOSEGEN)

test-bins: $(TEST_BINS) $(CLOSEGEN)

test-unit: $(TEST_OUT)/test_unit
	$(TEST_OUT)/test_unit $(TEST_ARGS)

test-integration: all $(TEST_OUT)/test_integration $(CLOSEGEN)
	$(TEST_OUT)/test_integration $(TEST_ARGS)

test-clean:
	$(call msg,CLEAN,$(TEST_OUT))
	$(Q)rm -rf $(TEST_OUT) $(CLOSEGEN)

$(TEST_OUT) $(TEST_OUT)/unit $(TEST_OUT)/integration:
	$(Q)mkdir -p $@

# the test list, in file order: DEFINE_TEST(name) for "void test_NAME(void)", and
# DEFINE_SERIAL_TEST(name) for "void serial_test_NAME(void)", which runs alone
TEST_LIST = $(Q)sed -n -e 's/^void test_\([a-z0-9_]*\)(void)$$/DEFINE_TEST(\1)/p' \
		    -e 's/^void serial_test_\([a-z0-9_]*\)(void)$$/DEFINE_SERIAL_TEST(\1)/p' \
		    $(filter %.c,$^) /dev/null > $@.tmp && mv $@.tmp $@

# which files there are, rewritten only when that changes: a test file removed makes the
# list again too (its timestamp cannot)
TEST_FILES = $(Q)echo '$(1)' | cmp -s - $@ || echo '$(1)' > $@

$(TEST_OUT)/unit_files: FORCE | $(TEST_OUT)
	$(call TEST_FILES,$(UNIT_SRCS))

$(TEST_OUT)/integration_files: FORCE | $(TEST_OUT)
	$(call TEST_FILES,$(INTEGRATION_SRCS))

$(TEST_OUT)/unit_tests.h: $(UNIT_SRCS) $(TEST_OUT)/unit_files | $(TEST_OUT)
	$(call msg,GEN,$@)
	$(TEST_LIST)

$(TEST_OUT)/integration_tests.h: $(INTEGRATION_SRCS) $(TEST_OUT)/integration_files | $(TEST_OUT)
	$(call msg,GEN,$@)
	$(TEST_LIST)

# every object depends on the makefiles too: a change of flags rebuilds (see the top Makefile)
TEST_MK := Makefile tests/tests.mk

$(TEST_OUT)/%.o: tests/%.c $(TEST_MK) | $(OUTPUT)/tcpclose.skel.h $(TEST_OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(TEST_CFLAGS) -c $< -o $@

$(TEST_OUT)/unit/%.o: tests/unit/%.c $(TEST_MK) | $(OUTPUT)/tcpclose.skel.h $(TEST_OUT)/unit
	$(call msg,CC,$@)
	$(Q)$(CC) $(TEST_CFLAGS) -c $< -o $@

$(TEST_OUT)/integration/%.o: tests/integration/%.c $(TEST_MK) | $(OUTPUT)/tcpclose.skel.h \
				$(TEST_OUT)/integration
	$(call msg,CC,$@)
	$(Q)$(CC) $(TEST_CFLAGS) -c $< -o $@

$(TEST_OUT)/runner_unit.o: tests/runner.c $(TEST_OUT)/unit_tests.h $(TEST_MK)
	$(call msg,CC,$@)
	$(Q)$(CC) $(TEST_CFLAGS) -DTESTS_H='"unit_tests.h"' -DTEST_NETNS=0 -DTEST_JOBS=4 \
		-c $< -o $@

# integration tests mostly sleep on TCP timers: 4 at a time even on 2 CPUs
$(TEST_OUT)/runner_integration.o: tests/runner.c $(TEST_OUT)/integration_tests.h $(TEST_MK)
	$(call msg,CC,$@)
	$(Q)$(CC) $(TEST_CFLAGS) -DTESTS_H='"integration_tests.h"' -DTEST_NETNS=1 -DTEST_JOBS=4 \
		-c $< -o $@

$(TEST_OUT)/test_unit: $(TEST_OUT)/runner_unit.o $(UNIT_OBJS) $(TEST_HELPER_OBJS) \
		       $(TEST_USER_OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(TEST_CFLAGS) $^ $(TEST_LDLIBS) -o $@

$(TEST_OUT)/test_integration: $(TEST_OUT)/runner_integration.o $(INTEGRATION_OBJS) \
			      $(TEST_HELPER_OBJS) $(TEST_USER_OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(TEST_CFLAGS) $^ $(TEST_LDLIBS) -o $@

# closegen drives the lab's scenarios by hand: it links the lab, not the tracer
$(CLOSEGEN): tools/closegen.c $(LAB_LINK)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) -Ilab -Iuser $< $(LAB_LINK) -ljson-c -o $@

-include $(wildcard $(TEST_OUT)/*.d $(TEST_OUT)/*/*.d)
