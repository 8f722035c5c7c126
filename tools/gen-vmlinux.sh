#!/bin/sh
# Regenerate the vendored vmlinux.h from the running kernel's BTF. The build never reads the
# build host's own BTF: CO-RE relocates the programs to whichever kernel loads them, so one
# header serves every kernel (see vmlinux/README.md).
set -eu
arch=$(uname -m)
release=$(uname -r | cut -d. -f1-2)
dir=$(dirname "$0")/../vmlinux/$arch
btf=${BTF:-/sys/kernel/btf/vmlinux}

[ -r "$btf" ] || { echo "gen-vmlinux: $btf not readable: this kernel has no BTF" >&2; exit 1; }
mkdir -p "$dir"
bpftool btf dump file "$btf" format c > "$dir/vmlinux_$release.h"
ln -sf "vmlinux_$release.h" "$dir/vmlinux.h"
echo "gen-vmlinux: wrote $dir/vmlinux_$release.h from $btf"
