// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Container identity from cgroup v2 paths, in the shapes the runtimes and systemd write them
 * (docs/CONTAINERS.md lists where each comes from), and the near misses that must name
 * nothing: a short id, uppercase hex, a slice that is not a pod's.
 */
#include <string.h>
#include "container.h"
#include "test.h"

#define ID1 "4f8c2a6e9b1d3c5e7f9a0b2c4d6e8f0a1b3c5d7e9f1a2b4c6d8e0f2a4b6c8d0e"
#define ID2 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define UID_DASH "7c9b3f1e-2d4a-4b6c-8e0f-1a3c5e7b9d2f"
#define UID_UNDER "7c9b3f1e_2d4a_4b6c_8e0f_1a3c5e7b9d2f"

struct shape {
	const char *path;
	const char *runtime;	/* NULL: none named */
	const char *id;		/* "": none */
	const char *pod_uid;
	const char *unit;
	const char *name;	/* container__name() */
};

static const struct shape shapes[] = {
	/* Docker, systemd cgroup driver (the default on cgroup v2) */
	{ "/system.slice/docker-" ID1 ".scope", "docker", ID1, "", "docker-" ID1 ".scope",
	  "docker:4f8c2a6e9b1d" },
	/* Docker, cgroupfs driver; and Docker in Docker: the innermost */
	{ "/docker/" ID1, "docker", ID1, "", "", "docker:4f8c2a6e9b1d" },
	{ "/docker/" ID1 "/docker/" ID2, "docker", ID2, "", "", "docker:0123456789ab" },
	/* a container running systemd: its own init.scope below the container's scope */
	{ "/system.slice/docker-" ID1 ".scope/init.scope", "docker", ID1, "", "init.scope",
	  "docker:4f8c2a6e9b1d" },
	/* Kubernetes, systemd driver: containerd, CRI-O and its conmon, each QoS class */
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_UNDER
	  ".slice/cri-containerd-" ID1 ".scope", "containerd", ID1, UID_DASH,
	  "cri-containerd-" ID1 ".scope", "containerd:4f8c2a6e9b1d" },
	{ "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_UNDER
	  ".slice/crio-" ID2 ".scope", "cri-o", ID2, UID_DASH, "crio-" ID2 ".scope",
	  "cri-o:0123456789ab" },
	{ "/kubepods.slice/kubepods-pod" UID_UNDER ".slice/crio-conmon-" ID2 ".scope", "conmon",
	  ID2, UID_DASH, "crio-conmon-" ID2 ".scope", "conmon:0123456789ab" },
	/* Kubernetes, cgroupfs driver: the id alone does not name the runtime */
	{ "/kubepods/burstable/pod" UID_DASH "/" ID1, NULL, ID1, UID_DASH, "",
	  "container:4f8c2a6e9b1d" },
	{ "/kubepods/pod" UID_DASH "/" ID2, NULL, ID2, UID_DASH, "", "container:0123456789ab" },
	/* the pod's own cgroup, no container below it */
	{ "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_UNDER ".slice",
	  NULL, "", UID_DASH, "", "pod:" UID_DASH },
	{ "/kubepods/besteffort/pod" UID_DASH, NULL, "", UID_DASH, "", "pod:" UID_DASH },
	/* Podman: rootful systemd, crun's "container" leaf, rootless, cgroupfs, conmon */
	{ "/machine.slice/libpod-" ID1 ".scope", "podman", ID1, "", "libpod-" ID1 ".scope",
	  "podman:4f8c2a6e9b1d" },
	{ "/machine.slice/libpod-" ID1 ".scope/container", "podman", ID1, "",
	  "libpod-" ID1 ".scope", "podman:4f8c2a6e9b1d" },
	{ "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID2 ".scope",
	  "podman", ID2, "", "libpod-" ID2 ".scope", "podman:0123456789ab" },
	{ "/libpod_parent/libpod-" ID1, "podman", ID1, "", "", "podman:4f8c2a6e9b1d" },
	{ "/machine.slice/libpod-conmon-" ID1 ".scope", "conmon", ID1, "",
	  "libpod-conmon-" ID1 ".scope", "conmon:4f8c2a6e9b1d" },
	/* systemd units: a service, its delegated subtree, a session, a user manager's app */
	{ "/system.slice/nginx.service", NULL, "", "", "nginx.service", "nginx.service" },
	{ "/system.slice/foo.service/worker", NULL, "", "", "foo.service", "foo.service" },
	{ "/user.slice/user-1000.slice/session-2.scope", NULL, "", "", "session-2.scope",
	  "session-2.scope" },
	{ "/user.slice/user-1000.slice/user@1000.service/app.slice/app-org.gnome.Terminal.slice/"
	  "vte-spawn-8d7f1c2a-6b3e-4f5d-9a0c-1e2f3a4b5c6d.scope", NULL, "", "",
	  "vte-spawn-8d7f1c2a-6b3e-4f5d-9a0c-1e2f3a4b5c6d.scope",
	  "vte-spawn-8d7f1c2a-6b3e-4f5d-9a0c-1e2f3a4b5c6d.scope" },
	{ "/user.slice/user-1000.slice/user@1000.service", NULL, "", "", "user@1000.service",
	  "user@1000.service" },
	{ "/init.scope", NULL, "", "", "init.scope", "init.scope" },
	/* near misses: nothing but what is really there */
	{ "/", NULL, "", "", "", "" },
	{ "/system.slice", NULL, "", "", "", "" },
	{ "/system.slice/docker-4f8c2a6e9b1d.scope", NULL, "", "", "docker-4f8c2a6e9b1d.scope",
	  "docker-4f8c2a6e9b1d.scope" },
	{ "/docker/4F8C2A6E9B1D3C5E7F9A0B2C4D6E8F0A1B3C5D7E9F1A2B4C6D8E0F2A4B6C8D0E", NULL, "",
	  "", "", "" },
	{ "/kubepods.slice/kubepods-burstable.slice", NULL, "", "", "", "" },
	{ "/kubepods/burstable/pod" UID_UNDER, NULL, "", "", "", "" },
	{ "/kubepods.slice/kubepods-burstable-pod" UID_DASH ".slice", NULL, "", "", "", "" },
	{ "/podman/" ID1 "x", NULL, "", "", "", "" },
	/* a container under a pod, then a pod inside it: the container is not the pod's */
	{ "/docker/" ID1 "/kubepods/pod" UID_DASH, NULL, "", UID_DASH, "", "pod:" UID_DASH },
	/* doubled and trailing slashes */
	{ "//system.slice//docker-" ID1 ".scope/", "docker", ID1, "", "docker-" ID1 ".scope",
	  "docker:4f8c2a6e9b1d" },
};

void test_container_paths(void)
{
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		const struct shape *s = &shapes[i];
		char name[CONTAINER_NAME_LEN];
		struct container c;

		container__parse(s->path, &c);
		container__name(&c, name, sizeof(name));
		if (!ASSERT_STREQ(c.runtime ? c.runtime : "(none)", s->runtime ? s->runtime : "(none)",
				  "runtime") |
		    !ASSERT_STREQ(c.id, s->id, "container id") |
		    !ASSERT_STREQ(c.pod_uid, s->pod_uid, "pod UID") |
		    !ASSERT_STREQ(c.unit, s->unit, "systemd unit") |
		    !ASSERT_STREQ(name, s->name, "name"))
			printf("path: %s\n", s->path);
	}
}

/* a unit name longer than systemd allows is no unit: nothing is cut to fit */
void test_container_long_unit(void)
{
	char path[600] = "/system.slice/";
	struct container c;

	memset(path + strlen(path), 'a', 300);
	strcat(path, ".service");
	container__parse(path, &c);
	ASSERT_STREQ(c.unit, "", "a 308-byte unit name is not kept");
}
