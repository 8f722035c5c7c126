# SPDX-License-Identifier: GPL-2.0
# The Debian package (make deb): what it declares and holds, lintian's verdict, and that it
# installs, works and goes away without a trace, here and in a fresh Debian root.

# the package make deb builds
deb_file() {
	echo ".output/deb/tcpclose_$(sed -n 's/^VERSION := //p' Makefile)_$(dpkg --print-architecture).deb"
}

# built by this run's test_deb_build, or now if it runs alone (make knows if it is current)
need_deb() {
	need_cmd dpkg-buildpackage
	DEB=$(deb_file)
	make -s deb >&2 || fail "make deb"
	[ -f "$DEB" ] || fail "make deb made no $DEB"
}

# what it depends on: what the binaries link (shlibs), nothing only the tests use; and
# what it holds
test_deb_build() {
	local depends path

	need_deb
	echo "$DEB: $(stat -c %s "$DEB") bytes"
	depends=$(dpkg-deb -f "$DEB" Depends)
	echo "Depends: $depends"
	echo "Recommends: $(dpkg-deb -f "$DEB" Recommends)"
	for lib in libbpf1 libc6 libmicrohttpd12 libncursesw6 libtinfo6 zlib1g; do
		[[ ", $depends" == *", $lib "* ]] || fail "Depends lacks $lib, which the binaries link"
	done
	# only the tests, the demo and make bench use these
	for p in libjson-c5 prometheus python3 tcpdump iproute2 clang bpftool tmux; do
		[[ ", $depends" == *", $p"[\ ,]* || ", $depends" == *", $p" ]] &&
			fail "Depends names $p, which only the tests or the build need"
	done
	dpkg-deb -c "$DEB" | awk '{ print $6 }' | sed 's|^\./|/|' >"${TMPDIR:-/tmp}/deb-contents.$$"
	at_exit "rm -f '${TMPDIR:-/tmp}/deb-contents.$$'"
	for path in /usr/sbin/tcpclose /usr/sbin/tcpclose-check \
		/usr/share/man/man8/tcpclose.8.gz /usr/share/man/man8/tcpclose-check.8.gz \
		/usr/share/man/man8/tcpclose-top.8.gz \
		/usr/share/bash-completion/completions/tcpclose \
		/usr/share/bash-completion/completions/tcpclose-check \
		/lib/systemd/system/tcpclose.service /usr/share/doc/tcpclose/copyright \
		/usr/share/doc/tcpclose/examples/prometheus/tcpclose.rules.yml \
		/usr/share/doc/tcpclose/examples/prometheus/tcpclose.rules.test.yml \
		/usr/share/doc/tcpclose/examples/grafana/tcpclose.json; do
		grep -qx "$path" "${TMPDIR:-/tmp}/deb-contents.$$" || fail "the package lacks $path"
	done
	echo "it holds the binaries, man pages, completion, unit, copyright and examples"
}

# lintian: no error and no warning (informational tags are printed, and allowed)
test_deb_lintian() {
	need_cmd lintian
	need_deb
	lintian --info --display-info --pedantic "$DEB" 2>&1 | grep -v 'running with root privileges' |
		tee "${TMPDIR:-/tmp}/lintian.$$"
	at_exit "rm -f '${TMPDIR:-/tmp}/lintian.$$'"
	grep -q '^[EW]: ' "${TMPDIR:-/tmp}/lintian.$$" && fail "lintian: errors or warnings"
	echo "lintian: $(grep -c '^[EWIPX]: ' "${TMPDIR:-/tmp}/lintian.$$") informational tags, no error, no warning"
}

# what the package may touch, as names: it must be the same before and after it came and went
pkg_snapshot() {
	find /usr/sbin /usr/share/man/man8 /usr/share/doc /usr/share/bash-completion \
		/usr/lib/systemd/system /etc/systemd /var/lib/systemd/deb-systemd-helper-enabled \
		/var/lib/systemd/deb-systemd-user-helper-enabled /var/lib/dpkg/info -xdev \
		2>/dev/null | sort
}

# dpkg -i on this machine: the installed tracer, check, man pages, completion and unit work;
# the unit is not enabled; dpkg -r then dpkg -P leave nothing of it
test_deb_install() {
	local f out

	need_root "dpkg -i"
	need_deb
	# never touch a tcpclose someone installed here
	dpkg-query -W -f='${Status}' tcpclose 2>/dev/null | grep -q "installed" &&
		skip "a tcpclose package is installed on this machine: left alone"
	for f in /usr/sbin/tcpclose /usr/sbin/tcpclose-check /usr/local/sbin/tcpclose; do
		[ -e "$f" ] && skip "$f exists (make install?): left alone"
	done
	new_tmp
	pkg_snapshot >"$TMP/before"
	at_exit "dpkg -P tcpclose >/dev/null 2>&1"
	dpkg -i "$DEB" || fail "dpkg -i $DEB"
	dpkg -L tcpclose >"$TMP/files"

	out=$(/usr/sbin/tcpclose --version) || fail "tcpclose --version: exit $?"
	[ "$out" = "tcpclose $(sed -n 's/^VERSION := //p' Makefile)" ] || fail "tcpclose --version: $out"
	echo "installed: $out"
	# the installed tracer runs the tcpclose-check installed beside it
	[ "$(/usr/sbin/tcpclose check --list | wc -l)" -ge 20 ] || fail "tcpclose check --list"
	[ "$(man -w tcpclose)" = /usr/share/man/man8/tcpclose.8.gz ] || fail "man -w tcpclose: $(man -w tcpclose)"
	for page in tcpclose tcpclose-check; do
		out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings "$page" 2>"$TMP/man.err") || fail "man $page"
		[ -s "$TMP/man.err" ] && fail "man $page warns: $(cat "$TMP/man.err")"
		grep -q "^NAME" <<<"$out" || fail "man $page: no NAME section"
		echo "man $page: $(wc -l <<<"$out") lines, $(grep -A1 '^NAME' <<<"$out" | tail -n 1 | sed 's/^ *//')"
	done
	out=$(systemd-analyze verify /lib/systemd/system/tcpclose.service 2>&1) ||
		fail "systemd-analyze verify tcpclose.service: $out"
	grep -q tcpclose <<<"$out" && fail "systemd-analyze verify tcpclose.service: $out"
	echo "systemd-analyze verify tcpclose.service: no complaint"
	[ -e /etc/systemd/system/multi-user.target.wants/tcpclose.service ] &&
		fail "the package enabled tcpclose.service"
	echo "tcpclose.service: not enabled"
	# bash-completion's loader finds both, and they answer with the installed binaries even
	# from a PATH without sbin (a user's)
	out=$(env -i PATH=/usr/bin:/bin bash -c '. /usr/share/bash-completion/bash_completion
		_completion_loader tcpclose-check
		complete -p tcpclose-check
		COMP_WORDS=(tcpclose-check --backend ""); COMP_CWORD=2
		_tcpclose_check tcpclose-check "" --backend; echo "${COMPREPLY[*]}"') ||
		fail "bash-completion: $out"
	grep -q "complete -F _tcpclose_check tcpclose-check" <<<"$out" ||
		fail "bash-completion's loader did not load tcpclose-check's completion: $out"
	grep -qx "auto fentry kprobe tracepoint" <<<"$out" || fail "the installed completion: $out"
	echo "completion: loaded by bash-completion, answered by /usr/sbin"
	(cd /usr/share/doc/tcpclose/examples/prometheus && promtool test rules tcpclose.rules.test.yml >/dev/null) ||
		fail "the installed rules' unit tests"

	dpkg -r tcpclose || fail "dpkg -r tcpclose"
	for f in /usr/sbin/tcpclose /usr/sbin/tcpclose-check /lib/systemd/system/tcpclose.service; do
		[ -e "$f" ] && fail "dpkg -r left $f"
	done
	dpkg -P tcpclose || fail "dpkg -P tcpclose"
	dpkg-query -W -f='${Status}' tcpclose 2>/dev/null | grep -q "installed" &&
		fail "dpkg -P: still $(dpkg-query -W -f='${Status}' tcpclose)"
	while read -r f; do
		[ -e "$f" ] && ! [ -d "$f" ] && fail "dpkg -P left $f"
	done <"$TMP/files"
	pkg_snapshot >"$TMP/after"
	same_lines "what the package may touch, before it and after it" "$TMP/before" "$TMP/after"
	echo "removed: none of the $(wc -l <"$TMP/files") paths dpkg -L listed is left but shared directories"
}

# in a fresh Debian 12 root made by mmdebstrap from Debian's archive, with nothing but apt and
# man-db: apt installs the package with what it declares, it runs, its man pages show, and
# purging it (and what apt brought for it) leaves the root as it was. The root is built in
# /dev/shm: on disk, unpacking it takes minutes
test_deb_clean_root() {
	need_root "mmdebstrap"
	need_cmd mmdebstrap
	need_deb
	new_tmp
	if ! TMPDIR=/dev/shm mmdebstrap --variant=apt --include=man-db \
		--customize-hook="'$PWD/tests/pkg/clean_root.sh' \"\$1\" '$PWD/$DEB'" \
		bookworm /dev/null >"$TMP/log" 2>&1; then
		if grep -q "Temporary failure resolving\|Could not resolve\|Failed to fetch\|Unable to connect" \
			"$TMP/log"; then
			skip "Debian's archive cannot be reached: $(grep -m1 'resolv\|fetch\|connect' "$TMP/log")"
		fi
		tail -n 40 "$TMP/log"
		fail "mmdebstrap, or the checks in its root"
	fi
	grep '^clean-root: ' "$TMP/log"
	grep -q '^clean-root: purged with' "$TMP/log" || fail "the checks in the root did not all run"
}
