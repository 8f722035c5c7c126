#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# clean_root.sh ROOT DEB: an mmdebstrap customize hook (tests/pkg/deb.sh, test_deb_clean_root).
# In ROOT, a fresh Debian with apt and man-db only, install DEB with apt, which must find
# everything it needs from Debian's archive by what DEB declares; run what it installed; then
# purge it and what apt brought for it, and find ROOT as it was.
set -eu
root=$1
deb=$2

in_root() {
	chroot "$root" "$@"
}

# the names of ROOT's files, but those apt, dpkg and man-db keep for themselves
snapshot() {
	in_root find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /run -o \
		-path /tmp -o -path /var/cache -o -path /var/log -o -path /var/lib/apt \) -prune -o \
		-print | grep -v '^/var/lib/dpkg/[^i]' | sort
}

snapshot >"$root/tmp/before"
cp "$deb" "$root/tmp/"
echo "clean-root: apt-get install $(basename "$deb")"
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	"/tmp/$(basename "$deb")"
echo "clean-root: $(in_root tcpclose --version)"
n=$(in_root tcpclose check --list | wc -l)
[ "$n" -ge 20 ] || { echo "clean-root: tcpclose check --list: $n lines"; exit 1; }
echo "clean-root: tcpclose check --list: $n scenarios"
in_root sh -c 'MANWIDTH=80 man tcpclose' | grep -q "trace how TCP connections close" ||
	{ echo "clean-root: man tcpclose does not show the page"; exit 1; }
in_root sh -c 'MANWIDTH=80 man tcpclose-check' | grep -q "tcpclose-check" ||
	{ echo "clean-root: man tcpclose-check does not show the page"; exit 1; }
echo "clean-root: man tcpclose, man tcpclose-check: shown"
in_root env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q --autoremove tcpclose
rm -f "$root/tmp/$(basename "$deb")"
snapshot >"$root/tmp/after"
if ! diff -u "$root/tmp/before" "$root/tmp/after"; then
	echo "clean-root: purged, but the root is not as it was (above)"
	exit 1
fi
echo "clean-root: purged with what apt brought for it: the root is as it was"
