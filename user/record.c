// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include "record.h"

#define NAME(table, i) ((size_t)(i) < sizeof(table) / sizeof(table[0]) && table[i] ? table[i] : "unknown")

static const char *const state_names[TCPC_NR_STATES] = {
	[TCPC_FIN_WAIT1] = "FIN_WAIT1", [TCPC_FIN_WAIT2] = "FIN_WAIT2",
	[TCPC_CLOSE_WAIT] = "CLOSE_WAIT", [TCPC_LAST_ACK] = "LAST_ACK",
	[TCPC_CLOSING] = "CLOSING", [TCPC_TIME_WAIT] = "TIME_WAIT",
};

/* include/net/tcp_states.h */
static const char *const tcp_state_names[] = {
	[1] = "ESTABLISHED", [2] = "SYN_SENT", [3] = "SYN_RECV", [4] = "FIN_WAIT1",
	[5] = "FIN_WAIT2", [6] = "TIME_WAIT", [7] = "CLOSE", [8] = "CLOSE_WAIT",
	[9] = "LAST_ACK", [10] = "LISTEN", [11] = "CLOSING", [12] = "NEW_SYN_RECV",
};

static const char *const role_names[] = {
	[TCPC_ROLE_NONE] = "none", [TCPC_ROLE_ACTIVE] = "active", [TCPC_ROLE_PASSIVE] = "passive",
	[TCPC_ROLE_SIMULTANEOUS] = "simultaneous", [TCPC_ROLE_ABORTED] = "aborted",
};

static const char *const cause_names[] = {
	[TCPC_CAUSE_NORMAL] = "normal", [TCPC_CAUSE_RST_SENT] = "rst_sent",
	[TCPC_CAUSE_RST_RECEIVED] = "rst_received", [TCPC_CAUSE_TIMEOUT] = "timeout",
	[TCPC_CAUSE_KEEPALIVE_TIMEOUT] = "keepalive_timeout",
	[TCPC_CAUSE_USER_TIMEOUT] = "user_timeout", [TCPC_CAUSE_RETRANS_TIMEOUT] = "retrans_timeout",
	[TCPC_CAUSE_FIN_WAIT2_TIMEOUT] = "fin_wait2_timeout",
	[TCPC_CAUSE_ORPHAN_RETRIES] = "orphan_retries",
};

static const char *const rst_reason_names[] = {
	[TCPC_RST_UNREAD_DATA] = "unread_data", [TCPC_RST_LINGER0] = "linger0",
	[TCPC_RST_LISTENER_CLOSED] = "listener_closed", [TCPC_RST_ABORT] = "abort",
	[TCPC_RST_DATA_AFTER_CLOSE] = "data_after_close", [TCPC_RST_LINGER2] = "linger2",
	[TCPC_RST_SYN_AFTER_CLOSE] = "syn_after_close",
};

static const char *const tw_end_names[] = {
	[TCPC_TW_EXPIRED] = "expired", [TCPC_TW_REUSED] = "reused", [TCPC_TW_RST] = "rst",
	[TCPC_TW_SYN] = "syn", [TCPC_TW_PURGED] = "purged", [TCPC_TW_OVERFLOW] = "overflow",
	[TCPC_TW_KILLED] = "killed",
};

const char *record__state_name(enum tcpc_state s)
{
	return NAME(state_names, s);
}

const char *record__tcp_state_name(int kernel_state)
{
	return NAME(tcp_state_names, kernel_state);
}

const char *record__role_name(enum tcpc_role r)
{
	return NAME(role_names, r);
}

const char *record__cause_name(enum tcpc_cause c)
{
	return NAME(cause_names, c);
}

const char *record__rst_reason_name(enum tcpc_rst_reason r)
{
	return r == TCPC_RST_NONE ? NULL : NAME(rst_reason_names, r);
}

const char *record__tw_end_name(enum tcpc_tw_end e)
{
	return e == TCPC_TW_NONE ? NULL : NAME(tw_end_names, e);
}

int record__changes(const struct tcpc_conn *rec, __u64 *t)
{
	int n = 0;

	while (n < TCPC_NR_STATES && rec->order[n] < TCPC_NR_STATES)
		n++;
	if (!n) {
		t[0] = rec->end_ns;
		return 1;
	}
	t[0] = rec->start_ns;
	for (int i = 1; i < n; i++)
		t[i] = t[i - 1] + rec->dwell_ns[rec->order[i - 1]];
	t[n] = rec->end_ns;
	return n + 1;
}

void record__addr(int family, const __u8 *addr, char *buf, size_t len)
{
	if (!inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, addr, buf, len))
		snprintf(buf, len, "?");
}

void record__saddr(const struct tcpc_conn *rec, char *buf, size_t len)
{
	record__addr(rec->family, rec->saddr, buf, len);
}

void record__daddr(const struct tcpc_conn *rec, char *buf, size_t len)
{
	record__addr(rec->family, rec->daddr, buf, len);
}

/* the length of the valid UTF-8 sequence at s (at most n bytes), or 0 */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned int cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		len = 2, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates and code points past U+10FFFF are not UTF-8 */
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

void record__comm_utf8(const char *comm, char *buf, size_t len)
{
	record__utf8(comm, TCPC_COMM_LEN, buf, len);
}

void record__utf8(const char *str, size_t max, char *buf, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strnlen(str, max), o = 0;

	for (size_t i = 0; i < n && o + 4 < len;) {
		size_t k = utf8_seq_len(s + i, n - i);

		if (k) {
			memcpy(buf + o, s + i, k);
			o += k;
			i += k;
		} else {
			memcpy(buf + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	buf[o] = '\0';
}

bool record__text(const char *s, size_t n, char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	for (i = 0; i < n && s[i] && o + 4 < len; i++) {
		unsigned char c = s[i];

		if (c > ' ' && c < 0x7f && c != '\\') {
			buf[o++] = c;
			continue;
		}
		buf[o++] = '\\';
		buf[o++] = 'x';
		buf[o++] = hex[c >> 4];
		buf[o++] = hex[c & 15];
	}
	buf[o] = '\0';
	return i == n || !s[i];
}

void record__comm_text(const char *comm, char *buf, size_t len)
{
	record__text(comm, TCPC_COMM_LEN, buf, len);
}
