// SPDX-License-Identifier: GPL-2.0
/* ss: run "ss -tanoH [FILTER]" in the current network namespace and parse its lines */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ss.h"

/*
 * ss prints timer values as print_ms_timer() formats them: "59sec", "1min59sec", "200ms",
 * "005ms", and, between 1 and 10 s, "1.234ms" meaning 1.234 s. Returns -1 if unparsable.
 */
double ss__parse_ms(const char *p)
{
	double ms = 0, v;
	char *end;

	if (!*p)
		return 0;
	while (*p) {
		v = strtod(p, &end);
		if (end == p || v < 0)
			return -1;
		if (!strncmp(end, "min", 3)) {
			ms += v * 60000;
			p = end + 3;
		} else if (!strncmp(end, "sec", 3)) {
			ms += v * 1000;
			p = end + 3;
		} else if (!strncmp(end, "ms", 2)) {
			/* strtod read "1.234" whole: the seconds and the milliseconds */
			ms += strchr(p, '.') && strchr(p, '.') < end ? v * 1000 : v;
			p = end + 2;
		} else {
			return -1;
		}
	}
	return ms;
}

/* "127.0.0.1:80", "[::1]:80", "*:*" */
static int ss__addr(const char *tok, char *addr, size_t size, unsigned short *port)
{
	const char *colon = strrchr(tok, ':');
	size_t len;

	if (!colon)
		return -EINVAL;
	len = colon - tok;
	if (len && tok[0] == '[' && tok[len - 1] == ']') {
		tok++;
		len -= 2;
	}
	if (len >= size)
		return -EINVAL;
	memcpy(addr, tok, len);
	addr[len] = '\0';
	*port = strcmp(colon + 1, "*") ? (unsigned short)atoi(colon + 1) : 0;
	return 0;
}

/* timer:(timewait,59sec,0); an overdue timer prints no time: timer:(on,,2) */
static int ss__timer(const char *tok, struct ss_sock *s)
{
	char name[16], left[32];
	int count;

	if (sscanf(tok, "timer:(%15[^,],,%d)", name, &count) == 2) {
		snprintf(s->timer, sizeof(s->timer), "%s", name);
		s->timer_ms = 0;
		s->timer_count = count;
		return 0;
	}
	if (sscanf(tok, "timer:(%15[^,],%31[^,],%d)", name, left, &count) != 3)
		return -EINVAL;
	snprintf(s->timer, sizeof(s->timer), "%s", name);
	s->timer_ms = ss__parse_ms(left);
	s->timer_count = count;
	return s->timer_ms < 0 ? -EINVAL : 0;
}

/*
 * One line of "ss -tanoH". ss leaves the state column out when the filter names a single
 * state; pass that state as state then (NULL otherwise).
 */
int ss__parse_line(const char *line, const char *state, struct ss_sock *s)
{
	char tok[5][128], timer[128] = "";
	int n, i = 0;

	memset(s, 0, sizeof(*s));
	n = sscanf(line, "%127s %127s %127s %127s %127s %127s", tok[0], tok[1], tok[2], tok[3],
		   tok[4], timer);
	if (n < 4)
		return -EINVAL;
	if (isdigit((unsigned char)tok[0][0])) {
		/* no state column: what was read as the timer is the fifth column's neighbour */
		if (!state)
			return -EINVAL;
		snprintf(s->state, sizeof(s->state), "%s", state);
		if (n >= 5)
			snprintf(timer, sizeof(timer), "%s", tok[4]);
		else
			timer[0] = '\0';
	} else {
		if (n < 5)
			return -EINVAL;
		snprintf(s->state, sizeof(s->state), "%.15s", tok[0]);
		i = 1;
	}
	s->recvq = atoi(tok[i]);
	s->sendq = atoi(tok[i + 1]);
	if (ss__addr(tok[i + 2], s->laddr, sizeof(s->laddr), &s->lport) ||
	    ss__addr(tok[i + 3], s->raddr, sizeof(s->raddr), &s->rport))
		return -EINVAL;
	if (!strncmp(timer, "timer:", 6))
		return ss__timer(timer, s);
	return 0;
}

/* the single state a filter like "state time-wait" names, in the form ss prints */
static const char *ss__single_state(const char *filter, char *buf, size_t size)
{
	const char *p = filter ? strstr(filter, "state ") : NULL;
	size_t i;

	if (!p || strstr(p + 6, "state "))
		return NULL;
	p += 6;
	for (i = 0; i + 1 < size && p[i] && p[i] != ' '; i++)
		buf[i] = toupper((unsigned char)p[i]);
	buf[i] = '\0';
	return buf;
}

/* the sockets ss lists, in *socks (free() it); returns how many, or -errno */
int ss__query(const char *filter, struct ss_sock **socks)
{
	char cmd[512], line[512], state_buf[16];
	const char *state = ss__single_state(filter, state_buf, sizeof(state_buf));
	struct ss_sock *v = NULL, *nv;
	int n = 0, cap = 0, err = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "ss -tanoH %s", filter ? filter : "");
	f = popen(cmd, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				err = -ENOMEM;
				break;
			}
			v = nv;
		}
		if (ss__parse_line(line, state, &v[n]) == 0)
			n++;
	}
	if (pclose(f) != 0 && !err)
		err = -EIO;
	if (err) {
		free(v);
		return err;
	}
	*socks = v;
	return n;
}

const struct ss_sock *ss__find(const struct ss_sock *socks, int n, unsigned short lport,
			       unsigned short rport)
{
	int i;

	for (i = 0; i < n; i++) {
		if (socks[i].lport == lport && socks[i].rport == rport)
			return &socks[i];
	}
	return NULL;
}
