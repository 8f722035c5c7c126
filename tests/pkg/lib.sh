# SPDX-License-Identifier: GPL-2.0
# What the checks of tests/pkg/*.sh share; sourced by tests/pkg/run.sh into each check's bash.

# the tree's binaries, as the other tests run them
TCPCLOSE=${TCPCLOSE:-./tcpclose}

fail() {
	echo "FAIL: $*"
	exit 1
}

# counted as skipped, not passed
skip() {
	echo "skip: $*"
	exit 77
}

# at_exit CMD: run CMD when the check ends, however it ends (last registered, first run)
_at_exit=()
at_exit() {
	_at_exit+=("$1")
	trap _run_at_exit EXIT
}
_run_at_exit() {
	local i
	for ((i = ${#_at_exit[@]} - 1; i >= 0; i--)); do
		eval "${_at_exit[i]}" || true
	done
}

# TMP: a directory of the check's own, removed when it ends
new_tmp() {
	TMP=$(mktemp -d)
	at_exit "rm -rf '$TMP'"
}

need_root() {
	[ "$(id -u)" -eq 0 ] || skip "$1 needs root"
}

need_cmd() {
	command -v "$1" >/dev/null || skip "no $1: run 'sudo make deps'"
}

# same_lines WHAT FILE_A FILE_B: the two files hold the same lines, in any order; else
# print which lines only one has, and fail
same_lines() {
	local only_a only_b
	only_a=$(comm -23 <(sort -u "$2") <(sort -u "$3"))
	only_b=$(comm -13 <(sort -u "$2") <(sort -u "$3"))
	if [ -n "$only_a" ] || [ -n "$only_b" ]; then
		echo "$1: they differ"
		[ -n "$only_a" ] && printf '  only in %s:\n%s\n' "$2" "$(sed 's/^/    /' <<<"$only_a")"
		[ -n "$only_b" ] && printf '  only in %s:\n%s\n' "$3" "$(sed 's/^/    /' <<<"$only_b")"
		fail "$1"
	fi
	echo "$1: the same ($(sort -u "$2" | wc -l) lines)"
}

# the options of "$@ --help": "-j, --json", "--stuck SECONDS", "--load[=N]", one a line. An
# option line is indented by two spaces, or six when it has no short form; its description
# follows after two spaces or on the next lines, which are indented further.
help_options() {
	"$@" --help | sed -n -e 's/^  \(-[[:alnum:]], --[^ ]*\( [^ ]\{1,\}\)\{0,1\}\)\(  .*\)\{0,1\}$/\1/p' \
		-e 's/^      \(--[^ ]*\( [^ ]\{1,\}\)\{0,1\}\)\(  .*\)\{0,1\}$/\1/p'
}

# the tag lines of the .TP paragraphs in section $2 (e.g. OPTIONS) of the man page $1, as
# they read: "-j, --json", "--metrics [ADDR:]PORT"
man_tags() {
	sed -n "/^\.SH $2\$/,/^\.SH /{/^\.TP/{n;p}}" "$1" |
		sed -e 's/\\f\[[A-Z]*\]//g' -e 's/\\-/-/g' -e 's/\\\[rs\]/\\/g' -e 's/\\\*/*/g'
}

# the man pages, built as make install builds them
man_pages() {
	make -s man >&2
	MAN_DIR=.output/man
}
