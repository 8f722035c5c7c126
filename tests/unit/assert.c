// SPDX-License-Identifier: GPL-2.0
/* assert: the assertions report what they compared, and return whether it held */
#include "test.h"

void test_assert_macros(void)
{
	/* only assertions that hold: a failing one would fail this test */
	ASSERT_TRUE(ASSERT_EQ(3u, 3, "unsigned against int"), "EQ returns true");
	ASSERT_TRUE(ASSERT_NEAR(200.4, 200, 0.5, "near"), "NEAR returns true");
	ASSERT_TRUE(ASSERT_STREQ("a", "a", "streq"), "STREQ returns true");
	ASSERT_TRUE(ASSERT_OK(0, "ok"), "OK returns true");
	ASSERT_TRUE(ASSERT_GE(0xffffffffu, 1, "u32 stays positive"), "GE returns true");
	ASSERT_FALSE(test__failed(), "nothing failed yet");
	SYS(fail, "true");
	return;
fail:
	test__fail();
}

/* subtests run one after another in the test's process, each reported on its own */
void test_assert_subtests(void)
{
	if (test__start_subtest("first"))
		ASSERT_FALSE(test__failed(), "nothing failed yet");
	if (test__start_subtest("second"))
		ASSERT_TRUE(ASSERT_EQ(2, 2, "in the second"), "EQ returns true");
}
