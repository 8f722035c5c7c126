#!/bin/sh
# Regenerate a vendored vmlinux.h. The build never reads the build host's own BTF: CO-RE
# relocates the programs to whichever kernel loads them, so one header per architecture
# serves every kernel of it (see vmlinux/README.md).
#
#   tools/gen-vmlinux.sh          vmlinux/$(uname -m)/ from the running kernel's BTF
#   tools/gen-vmlinux.sh arm64    vmlinux/aarch64/ from Debian 12's arm64 kernel: the package
#                                 tools/vmtest fetches (--kernel 6.1:arm64), whose Image
#                                 carries its BTF (.BTF, a raw blob inside the image)
#   BTF=FILE tools/gen-vmlinux.sh the running machine's architecture, from FILE
set -eu
dir0=$(dirname "$0")

case ${1:-} in
'')
	arch=$(uname -m)
	release=$(uname -r | cut -d. -f1-2)
	btf=${BTF:-/sys/kernel/btf/vmlinux}
	[ -r "$btf" ] || { echo "gen-vmlinux: $btf not readable: this kernel has no BTF" >&2; exit 1; }
	;;
arm64)
	arch=aarch64
	kdir=$("$dir0/vmtest" --fetch-only --kernel "${KERNEL:-6.1:arm64}")
	release=$(cut -d. -f1-2 "$kdir/release")
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	image=$kdir/vmlinuz
	# Debian's arm64 vmlinuz is the plain Image; a gzipped one is unpacked first
	if [ "$(head -c 2 "$image" | od -An -tx1 | tr -d ' \n')" = 1f8b ]; then
		gzip -dc "$image" >"$tmp/Image"
		image=$tmp/Image
	fi
	btf=$tmp/btf
	# the raw BTF blob: magic 0xeb9f, version 1, a 24-byte header, types then strings
	python3 - "$image" "$btf" <<'EOF'
import struct, sys
data = open(sys.argv[1], "rb").read()
best, at = None, data.find(b"\x9f\xeb\x01\x00")
while at >= 0:
    hdr_len, type_off, type_len, str_off, str_len = struct.unpack_from("<5I", data, at + 4)
    end = at + hdr_len + str_off + str_len
    if (hdr_len == 24 and type_off == 0 and str_off == type_len and end <= len(data)
            and data[at + hdr_len + str_off] == 0 and (best is None or end - at > best[1] - best[0])):
        best = (at, end)
    at = data.find(b"\x9f\xeb\x01\x00", at + 1)
if best is None:
    sys.exit(f"gen-vmlinux: no BTF in {sys.argv[1]}")
open(sys.argv[2], "wb").write(data[best[0]:best[1]])
EOF
	;;
*)
	echo "usage: tools/gen-vmlinux.sh [arm64]" >&2
	exit 2
	;;
esac

out=$dir0/../vmlinux/$arch
mkdir -p "$out"
bpftool btf dump file "$btf" format c >"$out/vmlinux_$release.h"
ln -sf "vmlinux_$release.h" "$out/vmlinux.h"
echo "gen-vmlinux: wrote vmlinux/$arch/vmlinux_$release.h from the BTF of ${kdir:+$(basename "$kdir")}${kdir:-$btf}"
