// SPDX-License-Identifier: GPL-2.0
/*
 * tw_alloc: --tw-alloc chooses whether the timewait map is taken at start, and the start-up
 * line says which. Judged by the map the tracer loaded (BPF_F_NO_PREALLOC, and its memory
 * as the kernel counts it in fdinfo), not by what tcpclose prints. auto takes it at start up
 * to 262144 entries, on demand above. Where no timewait socket needs an entry (records
 * only, by default; --tw-entry always asks for them), the map has room for one.
 *
 * fdinfo's memlock is the memory the map has taken from 6.4 on (bpf_map_ops.map_mem_usage).
 * Before, it is sized from the map's key, value and max_entries alone (for 1000 entries,
 * taken at start or not: 40,960 bytes on 6.1, 106,496 on 5.10), and says nothing of when
 * the memory is taken: there the map's flags, the kernel's own word on it, are judged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include "probe.h"
#include "test.h"
#include "tracer.h"

/* a tws entry preallocated: struct htab_elem (48 bytes), the key (8), struct tcpc_tw (32) */
#define TW_ELEM_BYTES 88

/* the memory the kernel counts for the map fd, from /proc/self/fdinfo; 0 if unreadable */
static unsigned long long tw_alloc__memlock(int fd)
{
	unsigned long long memlock = 0;
	char path[64], line[128];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %llu", &memlock) == 1)
			break;
	fclose(f);
	return memlock;
}

enum tw_alloc_want {
	TW_ALLOC_ONDEMAND,
	TW_ALLOC_UPFRONT,
	TW_ALLOC_NONE,		/* no entries: the map unused */
};

static void tw_alloc__run(const char *max_tw, const char *mode, enum tw_alloc_want want)
{
	const char *const args[] = { "--max-tw", max_tw, "--tw-alloc", mode,
				     want == TW_ALLOC_NONE ? NULL : "--tw-entry", "always", NULL };
	unsigned long n = strtoul(max_tw, NULL, 10);
	bool upfront = want == TW_ALLOC_UPFRONT;
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	unsigned long long memlock;
	struct tracer t = {};
	char *err = NULL;
	int fd = -1;

	test__log("--max-tw %s --tw-alloc %s%s", max_tw, mode,
		  want == TW_ALLOC_NONE ? "" : " --tw-entry always");
	if (!ASSERT_OK(tracer__start(&t, NULL, args), "start tracer"))
		goto out;
	fd = tracer__map(&t, "tws");
	if (!ASSERT_GE(fd, 0, "its tws map") ||
	    !ASSERT_OK(bpf_obj_get_info_by_fd(fd, &info, &len), "the map's info"))
		goto out;
	if (want == TW_ALLOC_NONE) {
		ASSERT_EQ(info.max_entries, 1, "no entries: room for one");
		ASSERT_TRUE(info.map_flags & BPF_F_NO_PREALLOC, "and none taken");
		err = tracer__stderr(&t);
		ASSERT_NOT_NULL(strstr(err ?: "", "timewait sockets followed with no kernel memory"),
				"the start-up line says so");
		goto out;
	}
	ASSERT_EQ(info.max_entries, n, "as many entries as --max-tw");
	ASSERT_EQ(!(info.map_flags & BPF_F_NO_PREALLOC), upfront, "preallocated, or not");
	memlock = tw_alloc__memlock(fd);
	test__log("memlock %llu bytes, %.1f an entry", memlock, (double)memlock / n);
	/* taken at start, every entry is counted now; on demand, none is while none is used */
	if (!probe__btf_member("bpf_map_ops", "map_mem_usage"))
		test__log("this kernel's memlock is no measure of the memory taken (no map_mem_usage)");
	else if (upfront)
		ASSERT_GE(memlock, (unsigned long long)n * TW_ELEM_BYTES, "every entry taken now");
	else
		ASSERT_LT(memlock, (unsigned long long)n * TW_ELEM_BYTES, "no entry taken yet");
	err = tracer__stderr(&t);
	ASSERT_NOT_NULL(strstr(err ?: "", upfront ? "MiB of kernel memory taken now" :
					       "kernel memory as they come"),
			"the start-up line says which");
out:
	if (test__failed())
		tracer__dump_stderr(&t);
	free(err);
	if (fd >= 0)
		close(fd);
	tracer__stop(&t);
	tracer__free(&t);
}

void test_tw_alloc(void)
{
	tw_alloc__run("1000", "upfront", TW_ALLOC_UPFRONT);
	tw_alloc__run("1000", "ondemand", TW_ALLOC_ONDEMAND);
	/* auto, on either side of where it stops taking the map at start */
	tw_alloc__run("262144", "auto", TW_ALLOC_UPFRONT);
	tw_alloc__run("262145", "auto", TW_ALLOC_ONDEMAND);
	/* records only: none, whatever --tw-alloc says */
	tw_alloc__run("1000", "upfront", TW_ALLOC_NONE);
}
