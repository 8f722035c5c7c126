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

#define NFT_MAX_RULES 4

int nft__drop_each(const char *const *matches, int n)
{
	char script[2048];
	size_t len = 0;
	int i, w;

	if (n < 1 || n > NFT_MAX_RULES)
		return -EINVAL;
	w = snprintf(script, sizeof(script), "table " NFT_TABLE " {\n");
	for (i = 0; i < n && w >= 0 && (len += w) < sizeof(script); i++)
		w = snprintf(script + len, sizeof(script) - len, "\tcounter drops%d { }\n", i);
	if (w >= 0 && (len += w) < sizeof(script))
		w = snprintf(script + len, sizeof(script) - len,
			     "\tchain in {\n\t\ttype filter hook input priority 0; policy accept;\n");
	for (i = 0; i < n && w >= 0 && (len += w) < sizeof(script); i++)
		w = snprintf(script + len, sizeof(script) - len,
			     "\t\t%s counter name \"drops%d\" drop\n", matches[i], i);
	if (w >= 0 && (len += w) < sizeof(script))
		w = snprintf(script + len, sizeof(script) - len, "\t}\n}\n");
	if (w < 0 || (len += w) >= sizeof(script))
		return -E2BIG;
	return nft__script(script);
}

int nft__drop(const char *match)
{
	return nft__drop_each(&match, 1);
}

/* the packets each rule dropped, by the number in its counter's name; -errno on failure */
static int nft__counters(long *drops, int n)
{
	char line[256], *p;
	int i = -1, found = 0;
	FILE *f;

	for (int k = 0; k < n; k++)
		drops[k] = 0;
	f = popen("nft list counters table " NFT_TABLE " 2>/dev/null", "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		p = strstr(line, "counter drops");
		if (p) {
			i = atoi(p + 13);
			continue;
		}
		p = strstr(line, "packets ");
		if (p && i >= 0 && i < n) {
			drops[i] = strtol(p + 8, NULL, 10);
			found++;
		}
		i = -1;
	}
	if (pclose(f) != 0)
		return -EIO;
	return found ? 0 : -ENOENT;
}

long nft__drops(void)
{
	long drops[NFT_MAX_RULES], sum = 0;
	int err = nft__counters(drops, NFT_MAX_RULES);

	if (err)
		return err;
	for (int i = 0; i < NFT_MAX_RULES; i++)
		sum += drops[i];
	return sum;
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

/* flush the rules first so that the counts read next are final, then drop the table */
int nft__stop_each(long *drops, int n)
{
	int err;

	err = nft__script("flush chain " NFT_TABLE " in\n");
	if (err)
		return err;
	err = nft__counters(drops, n);
	if (!err)
		err = nft__remove();
	return err;
}

long nft__stop(void)
{
	long drops;
	int err = nft__stop_each(&drops, 1);

	return err ? err : drops;
}

/* nft 1.0.6 has no "destroy": adding the table first makes the delete never fail */
int nft__remove(void)
{
	return nft__script("add table " NFT_TABLE "\ndelete table " NFT_TABLE "\n");
}
