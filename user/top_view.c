// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "jsonw.h"
#include "record.h"
#include "top_view.h"

#define KEY_TEXT_LEN 96

void top_view__sort(struct top_view *v)
{
	v->nrows = top_table__sorted(v->table, v->sort, v->rows);
}

/* append to buf at *off, never past len */
static void put(char *buf, size_t len, size_t *off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void put(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n > 0)
		*off = *off + n < len ? *off + n : len - 1;
}

void top_view__summary(const struct top_view *v, char *buf, size_t len)
{
	const struct top_table *t = v->table;
	const struct top_group *o = &t->other;
	__u64 closes = o->shown.closes, held[TCPC_NR_STATES];
	time_t secs = (time_t)v->wall;
	char when[16];
	struct tm tm;
	size_t off = 0;

	memcpy(held, o->held, sizeof(held));
	for (int i = 0; i < t->n; i++) {
		closes += t->groups[i].shown.closes;
		for (int s = 0; s < TCPC_NR_STATES; s++)
			held[s] += t->groups[i].held[s];
	}
	localtime_r(&secs, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	put(buf, len, &off, "tcpclose top - %s  closes/s %.1f  TIME_WAIT %llu  CLOSE_WAIT %llu  FIN_WAIT2 %llu  groups %d",
	    when, v->seconds > 0 ? closes / v->seconds : 0,
	    (unsigned long long)held[TCPC_TIME_WAIT], (unsigned long long)held[TCPC_CLOSE_WAIT],
	    (unsigned long long)held[TCPC_FIN_WAIT2], t->n);
	if (t->folded)
		put(buf, len, &off, " (+%llu folded into other)", (unsigned long long)t->folded);
	put(buf, len, &off, "  sort %s", top_cols[v->sort].name);
}

/* the numbers first and the keys last, as top puts COMMAND last: a long key costs no column */
void top_view__heading(const struct top_view *v, char *buf, size_t len)
{
	const struct top_keys *keys = v->table->keys;
	size_t off = 0;

	for (int c = 0; c < TOP_NR_COLS; c++)
		/* the sort column is marked, as top marks it */
		put(buf, len, &off, "%*s%s", top_cols[c].width,
		    top_cols[c].title, c == (int)v->sort ? "*" : " ");
	put(buf, len, &off, " ");
	for (int i = 0; i < keys->n; i++)
		put(buf, len, &off, "%-*s ", i + 1 < keys->n ? keys->k[i]->width : 0,
		    keys->k[i]->title);
	while (off && buf[off - 1] == ' ')
		buf[--off] = '\0';
}

static void put_value(const struct top_view *v, const struct top_group *g, enum top_col c,
		      char *buf, size_t len, size_t *off)
{
	double val = top_group__value(g, c, v->seconds);
	int w = top_cols[c].width;

	switch (c) {
	case TOP_COL_CLOSES:
	case TOP_COL_ACTIVE:
	case TOP_COL_PASSIVE:
	case TOP_COL_ABORTED:
		put(buf, len, off, "%*.1f ", w, val);
		break;
	case TOP_COL_TW_P50:
	case TOP_COL_TW_P99:
		/* seconds: TIME_WAIT lasts about 60 */
		if (g->tw && g->tw->total)
			put(buf, len, off, "%*.2f ", w, val / 1e6);
		else
			put(buf, len, off, "%*s ", w, "-");
		break;
	case TOP_COL_PORTS:
		if (g->ports_ratio >= 0)
			put(buf, len, off, "%*.0f ", w, val);
		else
			put(buf, len, off, "%*s ", w, "-");
		break;
	default:
		put(buf, len, off, "%*.0f ", w, val);
	}
}

void top_view__row(const struct top_view *v, const struct top_group *g, bool other, char *buf,
		   size_t len)
{
	const struct top_keys *keys = v->table->keys;
	char text[KEY_TEXT_LEN];
	size_t off = 0;

	for (int c = 0; c < TOP_NR_COLS; c++)
		put_value(v, g, c, buf, len, &off);
	put(buf, len, &off, " ");
	for (int i = 0; i < keys->n; i++) {
		if (other)
			snprintf(text, sizeof(text), i ? "" : "(other)");
		else
			keys->k[i]->format(&g->key, text, sizeof(text));
		put(buf, len, &off, "%-*s ", i + 1 < keys->n ? keys->k[i]->width : 0, text);
	}
	/* no trailing blank */
	while (off && buf[off - 1] == ' ')
		buf[--off] = '\0';
}

void top_view__print_text(const struct top_view *v, FILE *out)
{
	char line[512];

	top_view__summary(v, line, sizeof(line));
	fprintf(out, "%s\n", line);
	top_view__heading(v, line, sizeof(line));
	fprintf(out, "%s\n", line);
	for (int i = 0; i < v->nrows; i++) {
		top_view__row(v, v->rows[i], false, line, sizeof(line));
		fprintf(out, "%s\n", line);
	}
	if (v->table->folded) {
		top_view__row(v, &v->table->other, true, line, sizeof(line));
		fprintf(out, "%s\n", line);
	}
	fputc('\n', out);
	fflush(out);
}

static void jw__group(struct jsonw *w, const struct top_view *v, const struct top_group *g)
{
	jw__uint(w, "closes", g->shown.closes);
	jw__uint(w, "active", g->shown.active);
	jw__uint(w, "passive", g->shown.passive);
	jw__uint(w, "aborted", g->shown.aborted);
	jw__double(w, "closes_per_s", top_group__value(g, TOP_COL_CLOSES, v->seconds), "%.3f");
	jw__uint(w, "fin_retrans", g->shown.fin_retrans);
	jw__uint(w, "resets", g->shown.resets);
	jw__uint(w, "closes_total", g->closes_total);
	if (g->ports_ratio >= 0)
		jw__double(w, "ports_ratio", g->ports_ratio, "%.4f");
	else
		jw__null(w, "ports_ratio");
	jw__key(w, "now");
	jw__open(w, '{');
	for (int s = 0; s < TCPC_NR_STATES; s++)
		jw__uint(w, record__state_name(s), g->held[s]);
	jw__close(w, '}');
	if (g->tw && g->tw->total) {
		jw__uint(w, "tw_count", g->tw->total);
		jw__double(w, "tw_p50_ms", hist__percentile(g->tw, 50) / 1e3, "%.3f");
		jw__double(w, "tw_p99_ms", hist__percentile(g->tw, 99) / 1e3, "%.3f");
	} else {
		jw__uint(w, "tw_count", 0);
		jw__null(w, "tw_p50_ms");
		jw__null(w, "tw_p99_ms");
	}
}

void top_view__print_json(const struct top_view *v, FILE *out)
{
	const struct top_keys *keys = v->table->keys;
	char text[KEY_TEXT_LEN], utf8[RECORD_COMM_UTF8_LEN];
	struct jsonw w = { .spill = out };

	jw__open(&w, '{');
	jw__str(&w, "type", "top");
	jw__double(&w, "ts", v->wall, "%.6f");
	jw__double(&w, "interval_s", v->seconds, "%.3f");
	jw__str(&w, "sort", top_cols[v->sort].name);
	jw__key(&w, "keys");
	jw__open(&w, '[');
	for (int i = 0; i < keys->n; i++) {
		jw__sep(&w);
		jw__string(&w, keys->k[i]->name);
	}
	jw__close(&w, ']');
	jw__key(&w, "groups");
	jw__open(&w, '[');
	for (int r = 0; r < v->nrows; r++) {
		const struct top_group *g = v->rows[r];

		jw__sep(&w);
		jw__open(&w, '{');
		for (int i = 0; i < keys->n; i++) {
			keys->k[i]->format(&g->key, text, sizeof(text));
			jw__str(&w, keys->k[i]->name, text);
		}
		/* the process as the records name it, for a reader that matches them */
		if (g->key.pid) {
			jw__uint(&w, "pid", g->key.pid);
			record__comm_utf8(g->key.comm, utf8, sizeof(utf8));
			jw__str(&w, "comm", utf8);
		}
		jw__group(&w, v, g);
		jw__close(&w, '}');
	}
	jw__close(&w, ']');
	jw__key(&w, "other");
	jw__open(&w, '{');
	jw__uint(&w, "groups_folded", v->table->folded);
	jw__group(&w, v, &v->table->other);
	jw__close(&w, '}');
	jw__close(&w, '}');
	jw__line(&w, out);
	fflush(out);
}
