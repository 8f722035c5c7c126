// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include "cgroup.h"
#include "record.h"
#include "top_key.h"

/* process: pid and comm, as the record names them (0 and "?": no process was seen) */
static void process_from_record(struct top_key *k, const struct tcpc_conn *rec)
{
	k->pid = rec->pid;
	if (rec->pid)
		memcpy(k->comm, rec->comm, sizeof(k->comm));
}

static void process_from_held(struct top_key *k, const struct tcpc_stuck *st)
{
	k->pid = st->pid;
	if (st->pid)
		memcpy(k->comm, st->comm, sizeof(k->comm));
}

static void process_format(const struct top_key *k, char *buf, size_t len)
{
	char comm[RECORD_COMM_TEXT_LEN];

	if (!k->pid) {
		snprintf(buf, len, "?");
		return;
	}
	/* any process may name itself: escape sequences must not reach the terminal */
	record__comm_text(k->comm, comm, sizeof(comm));
	snprintf(buf, len, "%u/%s", k->pid, comm);
}

/* remote: the peer's address and port */
static void remote_from_record(struct top_key *k, const struct tcpc_conn *rec)
{
	k->family = rec->family;
	memcpy(k->raddr, rec->daddr, sizeof(k->raddr));
	k->rport = rec->dport;
}

static void remote_from_held(struct top_key *k, const struct tcpc_stuck *st)
{
	k->family = st->family;
	memcpy(k->raddr, st->daddr, sizeof(k->raddr));
	k->rport = st->dport;
}

static void remote_format(const struct top_key *k, char *buf, size_t len)
{
	char a[RECORD_ADDR_LEN];

	record__addr(k->family, k->raddr, a, sizeof(a));
	snprintf(buf, len, k->family == AF_INET6 ? "[%s]:%u" : "%s:%u", a, k->rport);
}

static void lport_from_record(struct top_key *k, const struct tcpc_conn *rec)
{
	k->lport = rec->sport;
}

static void lport_from_held(struct top_key *k, const struct tcpc_stuck *st)
{
	k->lport = st->sport;
}

static void lport_format(const struct top_key *k, char *buf, size_t len)
{
	snprintf(buf, len, "%u", k->lport);
}

/*
 * container: the socket's cgroup v2 id, named by the cgroup cache as the records name it
 * (docs/CONTAINERS.md): the container, pod or systemd unit its path shows, else the path,
 * else "cgroup:ID" for a cgroup gone. A cgroup path is anyone's to choose: escaped.
 */
static struct cgroups *key_cgroups;

void top_keys__use_cgroups(struct cgroups *cg)
{
	key_cgroups = cg;
}

static void container_from_record(struct top_key *k, const struct tcpc_conn *rec)
{
	k->container = rec->cgroup_id;
}

static void container_from_held(struct top_key *k, const struct tcpc_stuck *st)
{
	k->container = st->cgroup_id;
}

static void container_format(const struct top_key *k, char *buf, size_t len)
{
	const char *name = key_cgroups ? cgroups__name(key_cgroups, k->container) : NULL;

	if (!name) {
		snprintf(buf, len, k->container ? "cgroup:%llu" : "-",
			 (unsigned long long)k->container);
		return;
	}
	record__text(name, strlen(name), buf, len);
}

static const struct top_key_ops key_ops[] = {
	{ "process", "PID/COMM", 24, process_from_record, process_from_held, process_format },
	{ "remote", "REMOTE", 47, remote_from_record, remote_from_held, remote_format },
	{ "lport", "LPORT", 5, lport_from_record, lport_from_held, lport_format },
	{ "container", "CONTAINER", 18, container_from_record, container_from_held,
	  container_format },
};

bool top_keys__has(const struct top_keys *keys, const char *name)
{
	for (int i = 0; i < keys->n; i++)
		if (!strcmp(keys->k[i]->name, name))
			return true;
	return false;
}

const char *top_keys__names(void)
{
	return "process, remote, lport, container";
}

bool top_keys__parse(struct top_keys *keys, const char *list, const char **bad, size_t *badlen)
{
	const char *p = list;

	keys->n = 0;
	while (*p) {
		size_t n = strcspn(p, ",");
		const struct top_key_ops *found = NULL;

		for (size_t i = 0; i < sizeof(key_ops) / sizeof(key_ops[0]); i++)
			if (strlen(key_ops[i].name) == n && !strncmp(key_ops[i].name, p, n))
				found = &key_ops[i];
		for (int i = 0; found && i < keys->n; i++)
			if (keys->k[i] == found)
				found = NULL;	/* given twice */
		if (!found || keys->n == TOP_MAX_KEYS) {
			*bad = p;
			*badlen = n;
			return false;
		}
		keys->k[keys->n++] = found;
		p += n;
		if (*p == ',')
			p++;
	}
	if (!keys->n) {
		*bad = list;
		*badlen = 0;
	}
	return keys->n > 0;
}

void top_keys__from_record(const struct top_keys *keys, struct top_key *k,
			   const struct tcpc_conn *rec)
{
	memset(k, 0, sizeof(*k));
	for (int i = 0; i < keys->n; i++)
		keys->k[i]->from_record(k, rec);
}

void top_keys__from_held(const struct top_keys *keys, struct top_key *k,
			 const struct tcpc_stuck *st)
{
	memset(k, 0, sizeof(*k));
	for (int i = 0; i < keys->n; i++)
		keys->k[i]->from_held(k, st);
}
