// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Reading HZ from a kernel config, and rounding a measured tick rate. */
#include "probe.h"
#include "test.h"

void test_probe_hz_from_config(void)
{
	ASSERT_EQ(probe__hz_from_config("CONFIG_HZ=250\n"), 250, "first line");
	ASSERT_EQ(probe__hz_from_config("# CONFIG_HZ_100 is not set\nCONFIG_HZ_1000=y\nCONFIG_HZ=1000\n"),
		  1000, "among others");
	ASSERT_EQ(probe__hz_from_config("CONFIG_HZ_250=y\n"), 0, "choice line only");
	ASSERT_EQ(probe__hz_from_config(""), 0, "empty");
}

void test_probe_round_hz(void)
{
	ASSERT_EQ(probe__round_hz(249.2), 250, "near 250");
	ASSERT_EQ(probe__round_hz(1003.0), 1000, "near 1000");
	ASSERT_EQ(probe__round_hz(99.5), 100, "near 100");
	ASSERT_EQ(probe__round_hz(500.0), 0, "nowhere near");
}

void test_probe_this_kernel(void)
{
	unsigned int hz = probe__kernel_hz();

	ASSERT_TRUE(hz == 100 || hz == 250 || hz == 300 || hz == 1000, "a HZ kernels have");
	ASSERT_TRUE(probe__has_btf(), "this kernel has BTF");
	ASSERT_GE(probe__tp_btf_nargs("inet_sock_set_state"), 3, "set_state has 3 args");
	ASSERT_EQ(probe__tp_btf_nargs("no_such_tracepoint"), -1, "missing tracepoint");
}
