// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * --ladder-svg's pictures, read by real consumers: libxml2's xmllint must parse each as
 * well-formed XML, and librsvg's rsvg-convert must render it to a PNG of the picture's size
 * (both Debian packages: tools/install-deps.sh). A process name with XML's special
 * characters and control bytes stays text, and the file is written once, never over
 * another or through a link.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include "close_record.h"
#include "ladder_svg.h"
#include "record.h"
#include "test.h"

#define MS 1000000ULL

static struct tcpc_conn record_of(int role, const int *states, const unsigned int *ms, int n)
{
	struct tcpc_conn rec = close_record__through(role, 1000 * MS, states, ms, n);

	rec.flags = TCPC_F_OUR_FIN | TCPC_F_PEER_FIN;
	rec.fin_seq = 1000;
	rec.fin_ack = 5000;
	rec.peer_fin_seq = 5000;
	rec.peer_fin_ack = 1001;
	return rec;
}

/* the PNG's width and height, from its IHDR chunk; false if it is no PNG */
static bool png_size(const char *path, unsigned int *w, unsigned int *h)
{
	unsigned char b[24];
	FILE *f = fopen(path, "rb");
	bool ok = f && fread(b, 1, sizeof(b), f) == sizeof(b) &&
		  !memcmp(b, "\x89PNG\r\n\x1a\n", 8) && !memcmp(b + 12, "IHDR", 4);

	if (f)
		fclose(f);
	if (ok) {
		*w = b[16] << 24 | b[17] << 16 | b[18] << 8 | b[19];
		*h = b[20] << 24 | b[21] << 16 | b[22] << 8 | b[23];
	}
	return ok;
}

/* the svg element's width and height attributes */
static bool svg_size(const char *path, unsigned int *w, unsigned int *h)
{
	char buf[4096] = "", *p;
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

	if (f)
		fclose(f);
	buf[n] = '\0';
	p = strstr(buf, "<svg ");
	return p && sscanf(strstr(p, "width=\""), "width=\"%u\" height=\"%u\"", w, h) == 2;
}

/* save rec's ladder into dir, validate it and render it */
static void check_svg(const char *dir, const struct tcpc_conn *rec)
{
	char cmd[512], name[256];
	unsigned int w = 0, h = 0, pw = 0, ph = 0;
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY);
	FILE *ls;

	if (!ASSERT_GE(dirfd, 0, "open the directory"))
		return;
	ASSERT_OK(ladder_svg__save(dirfd, rec), "ladder_svg__save");
	ASSERT_EQ(ladder_svg__save(dirfd, rec), -EEXIST, "never over an existing file");
	close(dirfd);
	snprintf(cmd, sizeof(cmd), "ls %s/*.svg", dir);
	ls = popen(cmd, "r");
	if (!ASSERT_NOT_NULL(ls, "ls") || !ASSERT_NOT_NULL(fgets(name, sizeof(name), ls), "a file"))
		goto out;
	name[strcspn(name, "\n")] = '\0';
	ASSERT_EQ(test__system("xmllint --noout '%s'", name), 0, "xmllint: well-formed XML");
	ASSERT_EQ(test__system("rsvg-convert -o %s/ladder.png '%s'", dir, name), 0,
		  "rsvg-convert renders it");
	snprintf(cmd, sizeof(cmd), "%s/ladder.png", dir);
	if (ASSERT_TRUE(png_size(cmd, &pw, &ph), "a PNG") &&
	    ASSERT_TRUE(svg_size(name, &w, &h), "the picture's size")) {
		ASSERT_EQ(pw, w, "PNG width");
		ASSERT_EQ(ph, h, "PNG height");
	}
	unlink(cmd);
	unlink(name);
out:
	if (ls)
		pclose(ls);
}

void test_ladder_svg_valid(void)
{
	static const int active[] = { TCPC_FIN_WAIT1, TCPC_FIN_WAIT2, TCPC_TIME_WAIT };
	static const int passive[] = { TCPC_CLOSE_WAIT, TCPC_LAST_ACK };
	static const unsigned int ms[] = { 40, 160, 60000 };
	char dir[] = "/tmp/tcpclose-svg-XXXXXX";
	struct tcpc_conn recs[5];

	if (test__system("command -v xmllint >/dev/null && command -v rsvg-convert >/dev/null")) {
		test__skip("xmllint or rsvg-convert missing: tools/install-deps.sh installs them");
		return;
	}
	if (!ASSERT_NOT_NULL(mkdtemp(dir), "a directory"))
		return;
	recs[0] = record_of(TCPC_ROLE_ACTIVE, active, ms, 3);
	recs[0].tw_end = TCPC_TW_EXPIRED;
	recs[0].flags |= TCPC_F_TW_RESTART;
	recs[0].tw_restarts = 2;
	recs[0].tw_restart_first_ns = recs[0].start_ns + 300 * MS;
	recs[0].tw_restart_last_ns = recs[0].start_ns + 900 * MS;
	recs[1] = record_of(TCPC_ROLE_PASSIVE, passive, ms, 2);
	/* XML's five, a control byte and an escape sequence in the name */
	recs[2] = recs[1];
	memcpy(recs[2].comm, "<a&b>\"'\x1b[1m\x01", 13);
	recs[3] = record_of(TCPC_ROLE_ABORTED, NULL, NULL, 0);
	recs[3].cause = TCPC_CAUSE_RST_RECEIVED;
	recs[4] = recs[0];
	recs[4].family = AF_INET6;
	memcpy(recs[4].saddr, "\xfd\x00\0\0\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
	for (size_t i = 0; i < sizeof(recs) / sizeof(recs[0]); i++)
		check_svg(dir, &recs[i]);
	rmdir(dir);
}

/* a link where the file would go is not followed */
void test_ladder_svg_no_link(void)
{
	static const int passive[] = { TCPC_CLOSE_WAIT, TCPC_LAST_ACK };
	static const unsigned int ms[] = { 10, 1 };
	struct tcpc_conn rec = record_of(TCPC_ROLE_PASSIVE, passive, ms, 2);
	char dir[] = "/tmp/tcpclose-svg-XXXXXX", link[256], target[256], name[128];
	struct stat st;
	int dirfd;

	if (!ASSERT_NOT_NULL(mkdtemp(dir), "a directory"))
		return;
	snprintf(name, sizeof(name), "10.0.0.1_40000-10.0.0.2_80-%llu.svg",
		 (unsigned long long)rec.end_ns);
	snprintf(link, sizeof(link), "%s/%s", dir, name);
	snprintf(target, sizeof(target), "%s/target", dir);
	ASSERT_OK(symlink(target, link), "a link where the file would go");
	dirfd = open(dir, O_RDONLY | O_DIRECTORY);
	ASSERT_LT(ladder_svg__save(dirfd, &rec), 0, "refused");
	ASSERT_NEQ(stat(target, &st), 0, "nothing written through the link");
	close(dirfd);
	unlink(link);
	rmdir(dir);
}
