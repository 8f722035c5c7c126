# SPDX-License-Identifier: GPL-2.0
# The man pages, tcpclose(8), tcpclose-check(8) and tcpclose-top(8), as make man builds them from
# docs/man/*.8.md: warning-free, and saying what the programs say.

# groff and man-db render them without a warning, and their NAME lines make whatis entries
test_man_warnings() {
	local page out

	man_pages
	for page in "$MAN_DIR/tcpclose.8" "$MAN_DIR/tcpclose-check.8" "$MAN_DIR/tcpclose-top.8"; do
		out=$(groff -ww -man -z "$page" 2>&1) || fail "groff $page: exit $?: $out"
		[ -z "$out" ] || fail "groff -ww -man -z $page warns: $out"
		out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$page" 2>&1 >/dev/null)
		[ -z "$out" ] || fail "man --warnings $page warns: $out"
		out=$(lexgrog "$page") || fail "lexgrog $page: no whatis entry: $out"
		echo "$out"
	done
	# the check itself sees a warning when there is one
	out=$(printf '.TH X 8\n.SH NAME\nx \\- y\n.NOSUCHMACRO\n' | groff -ww -man -z 2>&1)
	[ -n "$out" ] || fail "groff -ww printed nothing for an undefined macro: the check is blind"
}

# the OPTIONS of each page are the options of its --help, word for word, arguments included
test_man_options() {
	man_pages
	new_tmp
	help_options "$TCPCLOSE" >"$TMP/help"
	man_tags "$MAN_DIR/tcpclose.8" OPTIONS >"$TMP/man"
	same_lines "tcpclose --help and tcpclose(8) OPTIONS" "$TMP/help" "$TMP/man"
	help_options "$TCPCLOSE" check >"$TMP/help"
	man_tags "$MAN_DIR/tcpclose-check.8" OPTIONS >"$TMP/man"
	same_lines "tcpclose check --help and tcpclose-check(8) OPTIONS" "$TMP/help" "$TMP/man"
	help_options "$TCPCLOSE" top >"$TMP/help"
	man_tags "$MAN_DIR/tcpclose-top.8" OPTIONS >"$TMP/man"
	same_lines "tcpclose top --help and tcpclose-top(8) OPTIONS" "$TMP/help" "$TMP/man"
	# the commands of the help's usage lines ("       tcpclose features ...")
	"$TCPCLOSE" --help | sed -n 's/^\(Usage:\)\{0,1\} *tcpclose \([a-z][a-z]*\).*/\2/p' >"$TMP/help"
	man_tags "$MAN_DIR/tcpclose.8" COMMANDS | cut -d' ' -f1 >"$TMP/man"
	same_lines "tcpclose --help and tcpclose(8) COMMANDS" "$TMP/help" "$TMP/man"
}

# the record's fields (docs/USAGE.md's table), every cause and TIME_WAIT ending the tracer
# names (user/record.c), and every scenario of "tcpclose check --list"
test_man_facts() {
	local name

	man_pages
	new_tmp
	sed -n '/^## The record/,/^With `-j`/p' docs/USAGE.md | grep '^| `' | cut -d'|' -f2 |
		grep -o '`[a-z_]*`' | tr -d '`' >"$TMP/fields"
	[ -s "$TMP/fields" ] || fail "no fields found in docs/USAGE.md's record table"
	man_tags "$MAN_DIR/tcpclose.8" "THE RECORD" | tr -d ',' | tr ' ' '\n' >"$TMP/man"
	grep -vxF -f "$TMP/man" "$TMP/fields" >"$TMP/missing" &&
		fail "fields of docs/USAGE.md not in tcpclose(8) THE RECORD: $(tr '\n' ' ' <"$TMP/missing")"
	echo "fields: $(wc -l <"$TMP/fields") in both"

	# "static const char *const cause_names[] = { [X] = "normal", ... };"
	names() {
		sed -n "/ $1\[[A-Z_]*\] = {/,/};/p" user/record.c | grep -o '"[a-z0-9_]*"' | tr -d '"'
	}
	names cause_names >"$TMP/want"
	man_tags "$MAN_DIR/tcpclose.8" CAUSES >"$TMP/man"
	same_lines "causes of user/record.c and tcpclose(8) CAUSES" "$TMP/want" "$TMP/man"
	names tw_end_names >"$TMP/want"
	man_tags "$MAN_DIR/tcpclose.8" "TIME_WAIT ENDINGS" >"$TMP/man"
	same_lines "TIME_WAIT endings of user/record.c and tcpclose(8)" "$TMP/want" "$TMP/man"
	for name in $(names role_names) $(names rst_reason_names); do
		grep -qF "\\f[B]${name}\\f[R]" "$MAN_DIR/tcpclose.8" ||
			fail "tcpclose(8) does not name the role or rst_reason $name"
	done

	"$TCPCLOSE" check --list | awk '/^[a-z0-9_]+ / { print $1 }' >"$TMP/want"
	man_tags "$MAN_DIR/tcpclose-check.8" SCENARIOS >"$TMP/man"
	same_lines "tcpclose check --list and tcpclose-check(8) SCENARIOS" "$TMP/want" "$TMP/man"
}
