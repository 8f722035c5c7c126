// SPDX-License-Identifier: GPL-2.0
/*
 * What can only be found by trying, found before anything is attached: a --metrics
 * address this host does not have ends tcpclose with exit 2 and one line that says what to
 * do, without a ready line (it used to attach, walk, then fail with exit 1).
 */
#include <stdlib.h>
#include <unistd.h>
#include "test.h"

/* TEST-NET-1 (RFC 5737): no host has it */
#define FOREIGN_ADDR "192.0.2.1"

void test_start_errors_metrics_addr(void)
{
	const char *path = getenv("TCPCLOSE") ?: "./tcpclose";
	char errpath[] = "/tmp/tcpclose-start-errors.XXXXXX", text[4096] = "", *nl;
	int fd = mkstemp(errpath), rc;
	ssize_t n;

	if (!ASSERT_GE(fd, 0, "a file for its stderr"))
		return;
	rc = test__system("%s --metrics " FOREIGN_ADDR ":9465 -d 1 >/dev/null 2>%s", path, errpath);
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	unlink(errpath);
	text[n > 0 ? n : 0] = '\0';
	test__log("stderr: %s", text);
	ASSERT_EQ(rc, 2, "exit status of an address it cannot serve on");
	nl = strchr(text, '\n');
	ASSERT_TRUE(nl && nl[1] == '\0', "exactly one line on stderr");
	ASSERT_TRUE(strstr(text, "not one of this host's") != NULL, "says what is wrong");
	ASSERT_TRUE(strstr(text, "tracing TCP closes") == NULL, "nothing was attached");
}

/* a backend this kernel lacks: the loader says so in one line, and the exit is 2, as check's */
void test_start_errors_backend(void)
{
	const char *path = getenv("TCPCLOSE") ?: "./tcpclose";
	char errpath[] = "/tmp/tcpclose-start-errors.XXXXXX", text[4096] = "", *nl;
	int fd = mkstemp(errpath), rc;
	ssize_t n;

	if (!ASSERT_GE(fd, 0, "a file for its stderr"))
		return;
	rc = test__system("%s --backend kprobe -d 1 -q >/dev/null 2>%s", path, errpath);
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	unlink(errpath);
	text[n > 0 ? n : 0] = '\0';
	if (!rc) {
		test__skip("this kernel offers kprobes: nothing to refuse");
		return;
	}
	test__log("stderr: %s", text);
	ASSERT_EQ(rc, 2, "exit status of a backend this kernel lacks");
	nl = strchr(text, '\n');
	ASSERT_TRUE(nl && nl[1] == '\0', "exactly one line on stderr");
	ASSERT_TRUE(!strncmp(text, "tcpclose: --backend kprobe: ", 28), "names the backend");
}
