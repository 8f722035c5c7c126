# SPDX-License-Identifier: GPL-2.0
# The one source for every architecture: the BPF programs compile against each vendored
# vmlinux.h (CO-RE). CI boots only x86_64 guests; arm64's (make vmtest-all) is run before a
# release, and a field that only the x86_64 header has must not wait until then to break it.

# the BPF object builds for arm64, against vmlinux/aarch64/vmlinux.h (Linux 6.1's BTF)
test_bpf_arm64() {
	local out

	new_tmp
	# its own output directory: the tree's .output-arm64 stays as make left it
	out=$(make -s ARCH=arm64 OUTPUT="$TMP/out" "$TMP/out/tcpclose.bpf.o" 2>&1) ||
		fail "make ARCH=arm64 of the BPF object: $out"
	[ -s "$TMP/out/tcpclose.bpf.o" ] || fail "no $TMP/out/tcpclose.bpf.o"
	# readelf: binutils, which gcc brings
	readelf -h "$TMP/out/tcpclose.bpf.o" | grep -q "Machine: *Linux BPF" ||
		fail "not a BPF object: $(readelf -h "$TMP/out/tcpclose.bpf.o" | grep Machine)"
}
