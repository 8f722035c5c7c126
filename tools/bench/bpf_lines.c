// SPDX-License-Identifier: GPL-2.0
/*
 * bpf-lines: where each source line of a loaded BPF program begins in its JIT image, for
 * tools/bpf-where.sh -l to charge perf's samples (bpf_prog_<tag>_<name>+OFFSET) to lines.
 * The kernel keeps, for a program loaded with BTF, a line record per instruction that
 * begins a source line (line_info) and the address its JIT image gives that instruction
 * (jited_line_info); the text of each line is in the program's BTF. bpftool prints the
 * same only with its disassembler built in, which Debian's is not.
 *
 * usage: bpf-lines [-i FILE] NAME: the newest loaded program of that name; prints one line
 * per record, "OFFSET FILE:LINE TEXT", OFFSET in hex from the start of its image, in order.
 * -i FILE writes the main image's bytes to FILE as well, for a disassembler:
 * objdump -D -b binary -mi386:x86-64 FILE (-maarch64 on arm64).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>

static int fail(const char *what, int err)
{
	fprintf(stderr, "bpf-lines: %s: %s\n", what, strerror(err));
	return 1;
}

/* the kernel keeps the first BPF_OBJ_NAME_LEN - 1 bytes of a program's name */
static bool name__is(const char *kept, const char *name)
{
	size_t n = strnlen(name, BPF_OBJ_NAME_LEN - 1);

	return strlen(kept) == n && !strncmp(kept, name, n);
}

/* the descriptor of the loaded program named name with the highest id (the newest) */
static int prog__by_name(const char *name)
{
	struct bpf_prog_info info;
	__u32 id = 0, len;
	int fd, found = -ENOENT;

	while (!bpf_prog_get_next_id(id, &id)) {
		fd = bpf_prog_get_fd_by_id(id);
		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && name__is(info.name, name)) {
			if (found >= 0)
				close(found);
			found = fd;
			continue;
		}
		close(fd);
	}
	return found;
}

/* the part of a path after its last '/' */
static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* the main image (its first jited_func_lens[0] bytes) into path */
static int image__write(const char *path, const void *image, __u32 len)
{
	FILE *f = fopen(path, "wb");

	if (!f)
		return fail(path, errno);
	if (fwrite(image, 1, len, f) != len || fclose(f))
		return fail(path, EIO);
	return 0;
}

static int print_lines(int fd, const char *image_path)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info), n, lrec, jrec;
	struct bpf_line_info *lines;
	__u64 *jited, ksym = 0;
	__u32 main_len = 0, image_len;
	unsigned char *image;
	struct btf *btf;
	int err;

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return fail("reading the program's info", errno);
	n = info.nr_line_info;
	lrec = info.line_info_rec_size;
	jrec = info.jited_line_info_rec_size;
	if (!n || info.nr_jited_line_info != n || jrec != sizeof(__u64)) {
		fprintf(stderr, "bpf-lines: the program has no line info for its JIT image: "
			"loaded without BTF, not JIT-compiled, or read without root\n");
		return 1;
	}
	image_len = info.jited_prog_len;
	lines = calloc(n, lrec);
	jited = calloc(n, jrec);
	image = calloc(1, image_len);
	if (!lines || !jited || !image)
		return fail("allocating", ENOMEM);
	memset(&info, 0, sizeof(info));
	info.nr_line_info = n;
	info.line_info_rec_size = lrec;
	info.line_info = (__u64)(unsigned long)lines;
	info.nr_jited_line_info = n;
	info.jited_line_info_rec_size = jrec;
	info.jited_line_info = (__u64)(unsigned long)jited;
	info.nr_jited_ksyms = 1;
	info.jited_ksyms = (__u64)(unsigned long)&ksym;
	info.nr_jited_func_lens = 1;
	info.jited_func_lens = (__u64)(unsigned long)&main_len;
	info.jited_prog_len = image_len;
	info.jited_prog_insns = (__u64)(unsigned long)image;
	len = sizeof(info);
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return fail("reading the program's line info", errno);
	if (image_path && (err = image__write(image_path, image, main_len)))
		return err;
	btf = btf__load_from_kernel_by_id(info.btf_id);
	err = libbpf_get_error(btf);
	if (err)
		return fail("reading the program's BTF", -err);
	for (__u32 i = 0; i < n; i++) {
		const struct bpf_line_info *l = (const void *)((const char *)lines + i * lrec);
		const char *file = btf__name_by_offset(btf, l->file_name_off);
		const char *text = btf__name_by_offset(btf, l->line_off);

		/* the main image's lines only: each subprogram has an image (and a symbol) of
		 * its own */
		if (jited[i] < ksym || jited[i] - ksym >= main_len)
			continue;
		printf("%llx %s:%u %s\n", (unsigned long long)(jited[i] - ksym),
		       base_name(file ? file : "?"), BPF_LINE_INFO_LINE_NUM(l->line_col),
		       text ? text : "");
	}
	btf__free(btf);
	return 0;
}

int main(int argc, char **argv)
{
	const char *image_path = NULL;
	int fd, o;

	while ((o = getopt(argc, argv, "i:")) != -1) {
		if (o != 'i')
			goto usage;
		image_path = optarg;
	}
	if (optind != argc - 1)
		goto usage;
	fd = prog__by_name(argv[optind]);
	if (fd < 0) {
		fprintf(stderr, "bpf-lines: no loaded BPF program is named '%s' (bpftool prog "
			"lists them)\n", argv[optind]);
		return 1;
	}
	return print_lines(fd, image_path);
usage:
	fprintf(stderr, "usage: bpf-lines [-i IMAGE_FILE] NAME (a loaded BPF program's name)\n");
	return 2;
}
