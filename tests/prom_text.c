// SPDX-License-Identifier: GPL-2.0
/*
 * prom_text: parse what tcpclose serves at /metrics (the text exposition formats 0.0.4 and
 * OpenMetrics 1.0) into samples, and find and add up samples by name and labels.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "prom_text.h"

/* a copy of s at the end of v */
int prom_vec__add(struct prom_vec *v, const struct prom_sample *s)
{
	struct prom_sample *p = realloc(v->v, (v->n + 1) * sizeof(*p));

	if (!p)
		return -ENOMEM;
	v->v = p;
	v->v[v->n++] = *s;
	return 0;
}

void prom_vec__free(struct prom_vec *v)
{
	free(v->v);
	v->v = NULL;
	v->n = 0;
}

const char *prom_sample__label(const struct prom_sample *s, const char *name)
{
	for (int i = 0; i < s->nlabels; i++) {
		if (!strcmp(s->labels[i].name, name))
			return s->labels[i].value;
	}
	return NULL;
}

/* the sample named name (any name if NULL) with every label=value pair given, NULL-ended */
const struct prom_sample *prom_vec__find(const struct prom_vec *v, const char *name, ...)
{
	const char *label, *want, *got;
	bool match;
	va_list ap;

	for (int i = 0; i < v->n; i++) {
		if (name && strcmp(v->v[i].name, name))
			continue;
		match = true;
		va_start(ap, name);
		while (match && (label = va_arg(ap, const char *))) {
			want = va_arg(ap, const char *);
			got = prom_sample__label(&v->v[i], label);
			match = got && !strcmp(got, want);
		}
		va_end(ap);
		if (match)
			return &v->v[i];
	}
	return NULL;
}

/* all the samples of one name added up, whatever their labels */
double prom_vec__sum(const struct prom_vec *v, const char *name)
{
	double sum = 0;

	for (int i = 0; i < v->n; i++) {
		if (!strcmp(v->v[i].name, name))
			sum += v->v[i].value;
	}
	return sum;
}

static bool prom_text__name_char(char c, bool first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
	       (!first && c >= '0' && c <= '9');
}

/* one sample line of the text format: name{label="value",...} value [timestamp] */
static const char *prom_text__sample(const char *p, struct prom_sample *s)
{
	struct prom_label *l;
	size_t n = 0;
	char *end;

	memset(s, 0, sizeof(*s));
	while (prom_text__name_char(p[n], !n))
		n++;
	if (!n || n >= sizeof(s->name))
		return "bad metric name";
	memcpy(s->name, p, n);
	p += n;
	if (*p == '{') {
		for (p++; *p != '}';) {
			if (s->nlabels == PROM_MAX_LABELS)
				return "too many labels";
			l = &s->labels[s->nlabels++];
			for (n = 0; prom_text__name_char(p[n], !n) && p[n] != ':'; n++)
				;
			if (!n || n >= sizeof(l->name) || p[n] != '=' || p[n + 1] != '"')
				return "bad label name";
			memcpy(l->name, p, n);
			p += n + 2;
			for (n = 0; *p != '"'; p++) {
				if (!*p || n + 1 >= sizeof(l->value))
					return "unterminated or long label value";
				if (*p != '\\') {
					l->value[n++] = *p;
					continue;
				}
				p++;
				if (*p != '\\' && *p != '"' && *p != 'n')
					return "bad escape in a label value";
				l->value[n++] = *p == 'n' ? '\n' : *p;
			}
			p++;
			if (*p == ',')
				p++;
			else if (*p != '}')
				return "no ',' or '}' after a label";
		}
		p++;
	}
	if (*p != ' ')
		return "no space before the value";
	while (*p == ' ')
		p++;
	s->value = strtod(p, &end);
	if (end == p || (*end && *end != ' '))
		return "bad value";
	for (p = end; *p == ' '; p++)
		;
	if (*p) {
		strtod(p, &end);
		if (end == p || *end)
			return "bad timestamp";
	}
	return NULL;
}

/*
 * Every sample of a text exposition into out; comments (# HELP, # TYPE, # EOF) are
 * skipped. A malformed line fails the whole text, with its reason and the line in err.
 */
int prom_text__parse(const char *text, size_t len, struct prom_vec *out, char *err,
		     size_t err_size)
{
	const char *p = text, *end = text + len, *eol, *why;
	struct prom_sample s;
	char line[4096];
	size_t n;

	memset(out, 0, sizeof(*out));
	for (; p < end; p = eol + 1) {
		eol = memchr(p, '\n', end - p);
		if (!eol) {
			snprintf(err, err_size, "text does not end with a newline: '%.80s'", p);
			return -EBADMSG;
		}
		n = eol - p;
		if (!n || *p == '#')
			continue;
		if (n >= sizeof(line)) {
			snprintf(err, err_size, "line of %zu bytes", n);
			return -EBADMSG;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		why = prom_text__sample(line, &s);
		if (!why && prom_vec__add(out, &s))
			return -ENOMEM;
		if (why) {
			snprintf(err, err_size, "%s: '%.200s'", why, line);
			return -EBADMSG;
		}
	}
	return 0;
}
