#!/bin/sh
# Install, with apt-get, the Debian 12 packages tcpclose needs to build, run and test,
# and only those that are missing. Safe to run again; prints what it installs.
set -eu

# package         why
# clang, llvm     compile the BPF programs (-target bpf) and strip them
# bpftool         generate BPF skeletons (*.skel.h) and vmlinux.h
# libbpf-dev      load, relocate (CO-RE) and attach BPF programs
# libelf-dev, zlib1g-dev   libbpf's own dependencies (also for static builds)
# libjson-c-dev   JSON for the rare report objects and for parsing in the tests
# libmicrohttpd-dev  the HTTP server behind --metrics (Prometheus scrapes)
# pkg-config, make, gcc    the build itself
# iproute2        network namespaces for the demo and tests (ip netns, ss, nstat)
# nftables        drop or hold back chosen segments in the tests
# tcpdump         packet captures that the tests compare records with
# prometheus      the real scraper the --metrics test stores and queries through
# python3         a real JUnit consumer (xml.etree) for the tcpclose check test
# pandoc          the man pages, written in markdown (docs/man/), made into roff by make man
# build-essential, dpkg-dev, debhelper   make deb: dpkg-buildpackage and dh (debian/rules)
# lintian         make deb fails on its errors; the package test on its warnings too
# mmdebstrap      the package test's fresh Debian root, to install it in with apt
# man-db, groff-base   man --warnings, lexgrog and groff -ww check the man pages
# bash-completion its loader, which the package test has find the installed completion
# systemd         systemd-analyze verify checks the installed unit
# python3-yaml    the tests read the Prometheus rules' queries (tests/pkg/promql_names.py)
# podman, runc    a real container runtime for the container identity test (container_podman):
#                 runc, not crun, because crun refuses hosts with cgroup v1 and v2 mixed
# busybox-static  the root of the image that test builds from a tarball (no registry)
# libxml2-utils   xmllint: the --ladder-svg test parses every picture as XML
# librsvg2-bin    rsvg-convert: the --ladder-svg test renders the pictures to PNG
# libncurses-dev  tcpclose top's screen: terminfo for $TERM, resizes, the terminal restored
# tmux            a real terminal for the tests of tcpclose top (capture-pane)
PKGS="clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev libjson-c-dev libmicrohttpd-dev
      libncurses-dev
      pkg-config make gcc
      iproute2 nftables tcpdump prometheus python3
      pandoc build-essential dpkg-dev debhelper lintian mmdebstrap man-db groff-base
      bash-completion systemd python3-yaml podman runc busybox-static
      libxml2-utils librsvg2-bin tmux"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done

if [ -z "$missing" ]; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages:$missing; run 'sudo make deps' to install them" >&2
	exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
