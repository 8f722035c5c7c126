// SPDX-License-Identifier: GPL-2.0
/* nft: drop chosen TCP segments in the current network namespace by running nft(8) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include "nft.h"

#define NFT_TABLE "inet closegen"

/* feed a script to "nft -f -"; its own error messages go to our stderr */
static int nft__script(const char *script)
{
	FILE *f;
	int status;

	f = popen("nft -f -", "w");
	if (!f)
		return -errno;
	fputs(script, f);
	status = pclose(f);
	if (status == -1)
		return -errno;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -EIO;
	return 0;
}

int nft__drop(const char *match)
{
	char script[1024];
	int n;

	n = snprintf(script, sizeof(script),
		     "table " NFT_TABLE " {\n"
		     "\tcounter drops { }\n"
		     "\tchain in {\n"
		     "\t\ttype filter hook input priority 0; policy accept;\n"
		     "\t\t%s counter name \"drops\" drop\n"
		     "\t}\n"
		     "}\n", match);
	if (n < 0 || (size_t)n >= sizeof(script))
		return -E2BIG;
	return nft__script(script);
}

long nft__drops(void)
{
	char line[256];
	long packets = -ENOENT;
	FILE *f;

	f = popen("nft list counter " NFT_TABLE " drops 2>/dev/null", "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "packets ");

		if (p)
			packets = strtol(p + 8, NULL, 10);
	}
	if (pclose(f) != 0)
		return -EIO;
	return packets;
}

static double nft__now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* nft runs in a few ms; polling it is good enough for drops that come 200 ms apart */
long nft__wait_drops(long n, int timeout_ms)
{
	double deadline = nft__now_ms() + timeout_ms;
	long got;

	for (;;) {
		got = nft__drops();
		if (got < 0 || got >= n)
			return got;
		if (nft__now_ms() > deadline)
			return -ETIMEDOUT;
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	}
}

/* flush the rule first so that the count read next is final, then drop the table */
long nft__stop(void)
{
	long drops;
	int err;

	err = nft__script("flush chain " NFT_TABLE " in\n");
	if (err)
		return err;
	drops = nft__drops();
	err = nft__remove();
	return err ? err : drops;
}

/* nft 1.0.6 has no "destroy": adding the table first makes the delete never fail */
int nft__remove(void)
{
	return nft__script("add table " NFT_TABLE "\ndelete table " NFT_TABLE "\n");
}
