// SPDX-License-Identifier: GPL-2.0
/*
 * nstat: read /proc/net/netstat, /proc/net/snmp and /proc/net/snmp6 of the current network
 * namespace into one name -> value table, named the way nstat(8) names them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "nstat.h"
#include "clock.h"

static int nstat__add(struct nstat *s, const char *prefix, const char *name, long long value)
{
	struct nstat_entry *e;

	if (s->n == s->cap) {
		int cap = s->cap ? s->cap * 2 : 256;

		e = realloc(s->v, cap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		s->v = e;
		s->cap = cap;
	}
	e = &s->v[s->n];
	if (snprintf(e->name, sizeof(e->name), "%s%s", prefix, name) >= (int)sizeof(e->name))
		return -ENAMETOOLONG;
	e->value = value;
	s->n++;
	return 0;
}

/* a counter whose value is still text: a whole number, or -EINVAL */
static int nstat__add_text(struct nstat *s, const char *prefix, const char *name, const char *text)
{
	long long val;
	char *end;

	errno = 0;
	val = strtoll(text, &end, 10);
	if (errno || *end || end == text)
		return -EINVAL;
	return nstat__add(s, prefix, name, val);
}

/* the next whitespace-separated token of *p, cut out in place */
static char *nstat__token(char **p)
{
	char *t;

	while (**p == ' ' || **p == '\t')
		(*p)++;
	if (!**p)
		return NULL;
	t = *p;
	while (**p && **p != ' ' && **p != '\t')
		(*p)++;
	if (**p)
		*(*p)++ = '\0';
	return t;
}

/*
 * The netstat and snmp format: pairs of lines with the same "Group:" prefix, the first
 * naming the counters and the second giving their values.
 */
int nstat__parse_table(struct nstat *s, const char *text)
{
	char *copy = strdup(text), *names, *values, *next, *n, *v;
	char prefix[32];
	int err = 0;
	size_t plen;

	if (!copy)
		return -ENOMEM;
	for (names = copy; names && *names && !err; names = next) {
		values = strchr(names, '\n');
		if (!values)
			break;
		*values++ = '\0';
		next = strchr(values, '\n');
		if (next)
			*next++ = '\0';
		plen = strcspn(names, ":");
		if (!names[plen] || plen >= sizeof(prefix) || strncmp(names, values, plen + 1)) {
			err = -EINVAL;
			break;
		}
		memcpy(prefix, names, plen);
		prefix[plen] = '\0';
		names += plen + 1;
		values += plen + 1;
		for (;;) {
			n = nstat__token(&names);
			v = nstat__token(&values);
			if (!n || !v) {
				if (n || v)
					err = -EINVAL;
				break;
			}
			err = nstat__add_text(s, prefix, n, v);
			if (err)
				break;
		}
	}
	free(copy);
	return err;
}

/* the snmp6 format: one "Name value" per line */
int nstat__parse_list(struct nstat *s, const char *text)
{
	char *copy = strdup(text), *line, *next, *n, *v;
	int err = 0;

	if (!copy)
		return -ENOMEM;
	for (line = copy; line && *line && !err; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		n = nstat__token(&line);
		if (!n)
			continue;
		v = nstat__token(&line);
		if (!v || nstat__token(&line)) {
			err = -EINVAL;
			break;
		}
		err = nstat__add_text(s, "", n, v);
	}
	free(copy);
	return err;
}

static char *nstat__slurp(const char *path)
{
	size_t len = 0, cap = 16384;
	char *buf = malloc(cap), *b;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || !buf)
		goto err;
	for (;;) {
		if (len + 1 == cap) {
			b = realloc(buf, cap *= 2);
			if (!b)
				goto err;
			buf = b;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0)
			goto err;
		if (n == 0)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	return buf;
err:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

/* the current namespace: /proc/net follows the reading task's namespace */
int nstat__read(struct nstat *s)
{
	static const char *const tables[] = { "/proc/net/netstat", "/proc/net/snmp" };
	char *text;
	size_t i;
	int err;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		text = nstat__slurp(tables[i]);
		if (!text)
			return -errno ?: -EIO;
		err = nstat__parse_table(s, text);
		free(text);
		if (err)
			return err;
	}
	/* absent when IPv6 is disabled */
	text = nstat__slurp("/proc/net/snmp6");
	if (!text)
		return 0;
	err = nstat__parse_list(s, text);
	free(text);
	return err;
}

int nstat__find(const struct nstat *s, const char *name, long long *value)
{
	int i;

	for (i = 0; i < s->n; i++) {
		if (!strcmp(s->v[i].name, name)) {
			*value = s->v[i].value;
			return 0;
		}
	}
	return -ENOENT;
}

/* a counter missing from the table reads as 0, as nstat(8) shows it */
long long nstat__get(const struct nstat *s, const char *name)
{
	long long v = 0;

	nstat__find(s, name, &v);
	return v;
}

int nstat__delta(const struct nstat *before, const struct nstat *after, struct nstat *delta)
{
	int i, err;

	memset(delta, 0, sizeof(*delta));
	for (i = 0; i < after->n; i++) {
		err = nstat__add(delta, "", after->v[i].name,
				 after->v[i].value - nstat__get(before, after->v[i].name));
		if (err)
			return err;
	}
	return 0;
}

void nstat__free(struct nstat *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* the current namespace's counter name now, 0 if it has none, or -errno */
long long nstat__value(const char *name)
{
	struct nstat s;
	long long v;
	int err;

	err = nstat__read(&s);
	v = err ? err : nstat__get(&s, name);
	nstat__free(&s);
	return v;
}

/* wait until the namespace's counter reaches at_least; returns its value or -ETIMEDOUT */
int nstat__wait(const char *name, long long at_least, int timeout_ms)
{
	double deadline = clock__now_ms() + timeout_ms;
	long long v;

	for (;;) {
		v = nstat__value(name);
		if (v < 0 || v >= at_least)
			return v;
		if (clock__now_ms() > deadline)
			return -ETIMEDOUT;
		clock__sleep_ms(5);
	}
}
