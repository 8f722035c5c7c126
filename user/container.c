// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A cgroup path, component by component, innermost match winning: a container's own cgroup
 * may hold more below it (a "container" leaf crun makes, or a systemd inside the container
 * with its own init.scope), and containers nest (Docker in Docker).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "container.h"

static bool is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* "8-4-4-4-12" hex digits with sep between the groups: '-' for cgroupfs, '_' for systemd */
static bool is_uuid(const char *s, size_t n, char sep)
{
	if (n != CONTAINER_POD_UID_LEN)
		return false;
	for (size_t i = 0; i < n; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != sep : !is_hex(s + i, 1))
			return false;
	}
	return true;
}

static bool has_prefix(const char *s, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);

	return n >= k && !memcmp(s, prefix, k);
}

static bool has_suffix(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && !memcmp(s + n - k, suffix, k);
}

struct id_pattern {
	const char *prefix;
	const char *runtime;
};

/*
 * PREFIX<64 hex>[.scope]: the systemd cgroup driver's scopes, and Podman's cgroupfs names
 * (libpod_parent/libpod-ID). Longer prefixes first: "crio-" would take "crio-conmon-".
 */
static const struct id_pattern id_patterns[] = {
	{ "docker-", "docker" },
	{ "cri-containerd-", "containerd" },
	{ "crio-conmon-", "conmon" },
	{ "crio-", "cri-o" },
	{ "libpod-conmon-", "conmon" },
	{ "libpod-", "podman" },
};

/* the runtime whose pattern the component is, its id in *id; NULL if none */
static const char *component__id(const char *s, size_t n, const char **id)
{
	for (size_t i = 0; i < sizeof(id_patterns) / sizeof(id_patterns[0]); i++) {
		const struct id_pattern *p = &id_patterns[i];
		size_t k = strlen(p->prefix), rest;

		if (!has_prefix(s, n, p->prefix))
			continue;
		rest = n - k;
		if (has_suffix(s, n, ".scope"))
			rest -= strlen(".scope");
		if (rest == CONTAINER_ID_LEN && is_hex(s + k, rest)) {
			*id = s + k;
			return p->runtime;
		}
		return NULL;
	}
	return NULL;
}

/*
 * A pod's cgroup: "pod<UID>" under kubepods (cgroupfs driver), or
 * "kubepods[-QOS]-pod<UID with _>.slice" (systemd driver). The UID in *uid, separator in *sep.
 */
static bool component__pod(const char *s, size_t n, const char **uid, char *sep)
{
	const char *p;

	if (n == 3 + CONTAINER_POD_UID_LEN && has_prefix(s, n, "pod") &&
	    is_uuid(s + 3, CONTAINER_POD_UID_LEN, '-')) {
		*uid = s + 3;
		*sep = '-';
		return true;
	}
	if (!has_prefix(s, n, "kubepods-") || !has_suffix(s, n, ".slice"))
		return false;
	/* kubepods-pod<UID>.slice or kubepods-<qos>-pod<UID>.slice */
	n -= strlen(".slice");
	if (n < 4 + CONTAINER_POD_UID_LEN)
		return false;
	p = s + n - CONTAINER_POD_UID_LEN;
	if (memcmp(p - 4, "-pod", 4) || !is_uuid(p, CONTAINER_POD_UID_LEN, '_'))
		return false;
	*uid = p;
	*sep = '_';
	return true;
}

static void component__apply(struct container *c, const char *s, size_t n, const char *parent,
			     size_t parent_len)
{
	const char *id = NULL, *runtime, *uid;
	char sep;

	if ((has_suffix(s, n, ".service") || has_suffix(s, n, ".scope")) &&
	    n < sizeof(c->unit)) {
		memcpy(c->unit, s, n);
		c->unit[n] = '\0';
	}
	runtime = component__id(s, n, &id);
	if (!id && n == CONTAINER_ID_LEN && is_hex(s, n)) {
		/* a bare id: Docker's cgroupfs driver puts it under "docker", the kubelet's
		 * under the pod, which does not say whose runtime it is */
		id = s;
		runtime = parent_len == 6 && !memcmp(parent, "docker", 6) ? "docker" : NULL;
	}
	if (id) {
		memcpy(c->id, id, CONTAINER_ID_LEN);
		c->id[CONTAINER_ID_LEN] = '\0';
		c->runtime = runtime;
		return;
	}
	if (component__pod(s, n, &uid, &sep)) {
		for (int i = 0; i < CONTAINER_POD_UID_LEN; i++)
			c->pod_uid[i] = uid[i] == sep ? '-' : uid[i];
		c->pod_uid[CONTAINER_POD_UID_LEN] = '\0';
		/* a container outside this pod is not the pod's */
		c->id[0] = '\0';
		c->runtime = NULL;
	}
}

void container__parse(const char *path, struct container *c)
{
	const char *s = path, *parent = "";
	size_t parent_len = 0;

	memset(c, 0, sizeof(*c));
	while (*s) {
		size_t n;

		while (*s == '/')
			s++;
		n = strcspn(s, "/");
		if (!n)
			break;
		component__apply(c, s, n, parent, parent_len);
		parent = s;
		parent_len = n;
		s += n;
	}
}

void container__name(const struct container *c, char *buf, size_t len)
{
	if (c->id[0])
		snprintf(buf, len, "%s:%.12s", c->runtime ? c->runtime : "container", c->id);
	else if (c->pod_uid[0])
		snprintf(buf, len, "pod:%s", c->pod_uid);
	else
		snprintf(buf, len, "%s", c->unit);
}
