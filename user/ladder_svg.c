// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ladder_svg: the four-way close as the textbooks draw it, for reports: two vertical
 * lines, ours on the left and the peer's on the right, time flowing down one row per
 * arrow or change of state (a 60 s TIME_WAIT and a 40 us ACK would not share a linear
 * scale: each row says its time instead). Arrows slope down as segments take time to cross;
 * what our end did not see is grey, dashed or italic (ladder.h). Every text is escaped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include "ladder_svg.h"
#include "record.h"
#include "xml.h"

#define WIDTH 860
#define X_TIME 70		/* right edge of the time column */
#define X_US 300
#define X_PEER 620
#define Y_TOP 100		/* the first row */
#define ROW_H 50
#define SLOPE 16		/* how far an arrow falls crossing from one end to the other */
#define TILT_DEG 2.862		/* its angle: atan(SLOPE / (X_PEER - X_US)) */
#define INFERRED_COLOR "#7a7a7a"

static void svg__text(FILE *f, int x, int y, const char *anchor, const char *style,
		      const char *text)
{
	fprintf(f, "  <text x=\"%d\" y=\"%d\" text-anchor=\"%s\"%s>", x, y, anchor, style);
	xml__escape(f, text, false);
	fputs("</text>\n", f);
}

static void svg__title(FILE *f, const struct ladder *l)
{
	const struct tcpc_conn *rec = l->rec;
	char comm[RECORD_COMM_TEXT_LEN], us[RECORD_ADDR_LEN], peer[RECORD_ADDR_LEN];
	char line[384], letters[LADDER_TEXT_LEN];

	record__saddr(rec, us, sizeof(us));
	record__daddr(rec, peer, sizeof(peer));
	record__comm_text(rec->comm, comm, sizeof(comm));
	snprintf(line, sizeof(line), "%s%s%s:%u  <->  %s%s%s:%u", rec->family == AF_INET6 ? "[" : "",
		 us, rec->family == AF_INET6 ? "]" : "", rec->sport,
		 rec->family == AF_INET6 ? "[" : "", peer, rec->family == AF_INET6 ? "]" : "",
		 rec->dport);
	svg__text(f, WIDTH / 2, 26, "middle", " font-weight=\"bold\"", line);
	snprintf(line, sizeof(line), "%s close, %s%s%s%s%s", record__role_name(rec->role),
		 record__cause_name(rec->cause), l->end ? ", ended " : "", l->end ? l->end : "",
		 rec->flags & TCPC_F_PARTIAL ? ", partial" : "",
		 rec->flags & TCPC_F_STATES_LOST ? ", states_lost" : "");
	svg__text(f, WIDTH / 2, 46, "middle", "", line);
	ladder__letters(l, letters, sizeof(letters));
	svg__text(f, WIDTH / 2, 64, "middle", " font-family=\"monospace\"", letters);
	if (rec->pid)
		snprintf(line, sizeof(line), "us (pid %u %s)", rec->pid, comm);
	else
		snprintf(line, sizeof(line), "us");
	svg__text(f, X_US, Y_TOP - 14, "middle", " font-weight=\"bold\"", line);
	svg__text(f, X_PEER, Y_TOP - 14, "middle", " font-weight=\"bold\"", "peer");
	svg__text(f, X_TIME, Y_TOP - 14, "end", " font-weight=\"bold\"", "ms");
}

/*
 * A segment falls as it crosses: one we sent leaves our line at its row and reaches the
 * peer's lower; one we took in left the peer's line higher and reaches ours at its row,
 * the time our end saw.
 */
static void svg__arrow(FILE *f, const struct ladder_arrow *a, int y)
{
	bool ours = a->from == LADDER_US;
	int x0 = ours ? X_US : X_PEER, x1 = ours ? X_PEER : X_US;
	int y0 = ours ? y : y - SLOPE, y1 = ours ? y + SLOPE : y;
	bool grey = a->t_inferred || a->seg == LADDER_SEG_RESTART;
	const char *color = a->seg == LADDER_SEG_RST ? "#c0392b" : grey ? INFERRED_COLOR : "#1f4e99";
	char label[LADDER_TEXT_LEN];
	int xm = (x0 + x1) / 2, ym = (y0 + y1) / 2;

	fprintf(f, "  <line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"1.6\"%s marker-end=\"url(#%s)\"/>\n",
		x0, y0, x1 + (ours ? -2 : 2), y1, color,
		a->t_inferred ? " stroke-dasharray=\"6,4\"" : "",
		a->seg == LADDER_SEG_RST ? "head-rst" : grey ? "head-grey" : "head");
	ladder__label(a, label, sizeof(label));
	/* above the line, turned as it falls */
	fprintf(f, "  <text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-family=\"monospace\" font-size=\"12\" fill=\"%s\" transform=\"rotate(%.3f %d %d)\">",
		xm, ym - 5, color, (ours ? 1 : -1) * TILT_DEG, xm, ym);
	xml__escape(f, label, false);
	fputs("</text>\n", f);
}

/* a state at the height its end's arrow of the row meets that end's line */
static void svg__state(FILE *f, const struct ladder *l, const struct ladder_state *s,
		       enum ladder_end e, const struct ladder_arrow *a, int y)
{
	char text[LADDER_TEXT_LEN];
	int x = e == LADDER_US ? X_US - 10 : X_PEER + 10;

	if (a && e == LADDER_PEER)
		y += a->from == LADDER_US ? SLOPE : -SLOPE;
	ladder__state_text(l, s, text, sizeof(text));
	fprintf(f, "  <circle cx=\"%d\" cy=\"%d\" r=\"3\" fill=\"%s\"/>\n",
		e == LADDER_US ? X_US : X_PEER, y, s->inferred ? INFERRED_COLOR : "#000");
	svg__text(f, x, y + 4, e == LADDER_US ? "end" : "start",
		  s->inferred ? " fill=\"" INFERRED_COLOR "\" font-style=\"italic\"" : "", text);
}

static const struct {
	const char *id, *color;
} heads[] = {
	{ "head", "#1f4e99" }, { "head-grey", INFERRED_COLOR }, { "head-rst", "#c0392b" },
};

void ladder_svg__write(FILE *f, const struct ladder *l)
{
	struct ladder_row rows[LADDER_MAX_ROWS];
	int n = ladder__rows(l, rows), height = Y_TOP + n * ROW_H + 40;
	int bottom = Y_TOP + (n - 1) * ROW_H + SLOPE + 8;

	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"13\">\n",
		WIDTH, height, WIDTH, height);
	fputs("  <defs>\n", f);
	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++)
		fprintf(f, "    <marker id=\"%s\" markerWidth=\"10\" markerHeight=\"8\" refX=\"9\" refY=\"4\" orient=\"auto\"><path d=\"M0,0 L10,4 L0,8 z\" fill=\"%s\"/></marker>\n",
			heads[i].id, heads[i].color);
	fputs("  </defs>\n", f);
	fprintf(f, "  <rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n", WIDTH, height);
	svg__title(f, l);
	fprintf(f, "  <line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#000\" stroke-width=\"2\"/>\n",
		X_US, Y_TOP - 6, X_US, bottom);
	fprintf(f, "  <line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\" stroke-dasharray=\"8,5\"/>\n",
		X_PEER, Y_TOP - 6, X_PEER, bottom, INFERRED_COLOR);
	for (int i = 0; i < n; i++) {
		const struct ladder_row *r = &rows[i];
		int y = Y_TOP + i * ROW_H;
		char t[32];

		if (r->timed) {
			ladder__time_text(l, r->t_ns, r->t_inferred, t, sizeof(t));
			svg__text(f, X_TIME, y + 4, "end", r->t_inferred ?
				  " font-family=\"monospace\" fill=\"" INFERRED_COLOR "\"" :
				  " font-family=\"monospace\"", t);
		}
		if (r->arrow)
			svg__arrow(f, r->arrow, y);
		for (int e = LADDER_US; e <= LADDER_PEER; e++)
			if (r->state[e])
				svg__state(f, l, r->state[e], e, r->arrow, y);
	}
	svg__text(f, 16, height - 14, "start", " font-size=\"11\" fill=\"" INFERRED_COLOR "\"",
		  "grey, dashed, italic, ~: inferred, not seen by our end; ?: not known. "
		  "Times in ms from the first close transition.");
	fputs("</svg>\n", f);
}

/* an address in a file name: IPv6's colons become dashes */
static void name__addr(const struct tcpc_conn *rec, const __u8 *addr, char *buf, size_t len)
{
	record__addr(rec->family, addr, buf, len);
	for (char *p = buf; *p; p++)
		if (*p == ':')
			*p = '-';
}

int ladder_svg__save(int dirfd, const struct tcpc_conn *rec)
{
	char name[2 * RECORD_ADDR_LEN + 64], us[RECORD_ADDR_LEN], peer[RECORD_ADDR_LEN];
	struct ladder l;
	FILE *f;
	int fd, err = 0;

	name__addr(rec, rec->saddr, us, sizeof(us));
	name__addr(rec, rec->daddr, peer, sizeof(peer));
	snprintf(name, sizeof(name), "%s_%u-%s_%u-%llu.svg", us, rec->sport, peer, rec->dport,
		 (unsigned long long)rec->end_ns);
	fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		close(fd);
		return err;
	}
	ladder__build(&l, rec);
	ladder_svg__write(f, &l);
	if (ferror(f))
		err = -EIO;
	if (fclose(f) && !err)
		err = -errno;
	return err;
}
