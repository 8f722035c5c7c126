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

/* run tcpclose with args, its stderr into text: its exit status */
static int run_tcpclose(const char *args, char *text, size_t size)
{
	const char *path = getenv("TCPCLOSE") ?: "./tcpclose";
	char errpath[] = "/tmp/tcpclose-start-errors.XXXXXX";
	int fd = mkstemp(errpath), rc;
	ssize_t n;

	if (fd < 0)
		return -1;
	rc = test__system("%s %s >/dev/null 2>%s", path, args, errpath);
	n = read(fd, text, size - 1);
	close(fd);
	unlink(errpath);
	text[n > 0 ? n : 0] = '\0';
	test__log("stderr: %s", text);
	return rc;
}

void test_start_errors_metrics_addr(void)
{
	char text[4096] = "", *nl;
	int rc = run_tcpclose("--metrics " FOREIGN_ADDR ":9465 -d 1", text, sizeof(text));

	ASSERT_EQ(rc, 2, "exit status of an address it cannot serve on");
	nl = strchr(text, '\n');
	ASSERT_TRUE(nl && nl[1] == '\0', "exactly one line on stderr");
	ASSERT_TRUE(strstr(text, "not one of this host's") != NULL, "says what is wrong");
	ASSERT_TRUE(strstr(text, "tracing TCP closes") == NULL, "nothing was attached");
}

/* a backend this kernel lacks: the loader says so in one line, and the exit is 2, as check's */
void test_start_errors_backend(void)
{
	char text[4096] = "", *nl;
	int rc = run_tcpclose("--backend kprobe -d 1 -q", text, sizeof(text));

	if (!rc) {
		test__skip("this kernel offers kprobes: nothing to refuse");
		return;
	}
	ASSERT_EQ(rc, 2, "exit status of a backend this kernel lacks");
	nl = strchr(text, '\n');
	ASSERT_TRUE(nl && nl[1] == '\0', "exactly one line on stderr");
	ASSERT_TRUE(!strncmp(text, "tcpclose: --backend kprobe: ", 28), "names the backend");
}
