# SPDX-License-Identifier: GPL-2.0
# The bash completion, tools/completion/tcpclose, driven as bash drives it: the script
# sourced, COMP_WORDS and COMP_CWORD set, the function that "complete -p" names called,
# COMPREPLY read. The tree's ./tcpclose answers (the script asks the program it completes).

# complete WORD...: what Tab offers for the last WORD (the first is the program), one a line
complete_words() {
	bash -c '
		. tools/completion/tcpclose
		complete -F _tcpclose ./tcpclose
		complete -F _tcpclose_check ./tcpclose-check
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		fn=$(complete -p "$1" | sed -n "s/.* -F \([^ ]*\) .*/\1/p")
		"$fn" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}"' _ "$@" | sed '/^$/d'
}

# expect_words WHAT FILE WORD...: Tab after WORD... offers exactly the lines of FILE (which
# may be a pipe: it is read once)
expect_words() {
	local what=$1

	cat "$2" >"$TMP/want"
	shift 2
	complete_words "$@" >"$TMP/got"
	same_lines "$what: [$*<Tab>]" "$TMP/want" "$TMP/got"
}

# options: those --help lists, long ones after "--", short and long after "-"
test_completion_options() {
	new_tmp
	help_options ./tcpclose | grep -o -- '--[a-z0-9-]*' >"$TMP/long"
	expect_words "tcpclose's long options" "$TMP/long" ./tcpclose --
	help_options ./tcpclose | grep -o -- '-[a-zA-Z0-9]\b\|--[a-z0-9-]*' >"$TMP/all"
	expect_words "tcpclose's options" "$TMP/all" ./tcpclose -
	help_options ./tcpclose check | grep -o -- '--[a-z0-9-]*' >"$TMP/long"
	expect_words "tcpclose check's long options" "$TMP/long" ./tcpclose check --
	expect_words "tcpclose-check's long options" "$TMP/long" ./tcpclose-check --
	grep -x -- --stuck "$TMP/long" && fail "check's options include the tracer's"
	expect_words "a prefix" <(echo --max-tw; echo --max-closing) ./tcpclose -j --max
	# an optional value follows "=" only, in the same word
	expect_words "--port-pressure's value" <(echo 80) ./tcpclose --port-pressure =
	expect_words "--port-pressure's value" <(echo 80) ./tcpclose --port-pressure = 8
	expect_words "no value after a space" /dev/null ./tcpclose --port-pressure ""
}

# commands: the ones the help's usage lines name, first and only first
test_completion_commands() {
	new_tmp
	./tcpclose --help | sed -n 's/^\(Usage:\)\{0,1\} *tcpclose \([a-z][a-z]*\).*/\2/p' >"$TMP/cmds"
	[ "$(wc -l <"$TMP/cmds")" -ge 2 ] || fail "no commands found in tcpclose --help"
	expect_words "commands" "$TMP/cmds" ./tcpclose ""
	expect_words "a command's prefix" <(echo features) ./tcpclose fe
	expect_words "nothing after features" /dev/null ./tcpclose features ""
	expect_words "no command after an option" /dev/null ./tcpclose -j ""
}

# tcpclose top: its own options, its keys (the last of a comma list), its sort columns
test_completion_top() {
	new_tmp
	help_options ./tcpclose top | grep -o -- '--[a-z0-9-]*' >"$TMP/long"
	expect_words "tcpclose top's long options" "$TMP/long" ./tcpclose top --
	grep -x -- --hist "$TMP/long" && fail "top's options include the tracer's --hist"
	grep -x -- --keys "$TMP/long" >/dev/null || fail "top's --help lists no --keys"
	# the keys and columns as top's --help names them, so that neither can fall behind
	./tcpclose top --help | sed -n '/--keys KEYS/,/default process/p' | grep -o 'process\|remote\|lport\|container' |
		sort -u >"$TMP/keys"
	expect_words "-k" "$TMP/keys" ./tcpclose top -k ""
	expect_words "-k after a comma" <(sed 's/^/process,/' "$TMP/keys") ./tcpclose top -k process,
	./tcpclose top --help | sed -n '/--sort COLUMN/,/total/p' | sed 's/.*sort by //' |
		grep -o '[a-z_0-9]\{4,\}' | grep -vx 'default\|sort\|column' >"$TMP/cols"
	expect_words "-s" "$TMP/cols" ./tcpclose top -s ""
	expect_words "--sort by prefix" <(echo close_wait; echo closes) ./tcpclose top --sort clos
}

# scenarios: what "tcpclose check --list" lists, after check and in --expect
test_completion_scenarios() {
	new_tmp
	./tcpclose check --list | awk '/^[a-z0-9_]+ / { print $1 }' >"$TMP/all"
	[ "$(wc -l <"$TMP/all")" -ge 20 ] || fail "tcpclose check --list: too few scenarios"
	expect_words "scenarios" "$TMP/all" ./tcpclose check ""
	expect_words "scenarios after another" "$TMP/all" ./tcpclose check active ""
	expect_words "scenarios" "$TMP/all" ./tcpclose-check ""
	grep '^tw_' "$TMP/all" >"$TMP/tw"
	expect_words "scenarios by prefix" "$TMP/tw" ./tcpclose check -v tw_
	expect_words "--expect's scenario" <(echo tw_expire.) ./tcpclose check --expect tw_exp
}

# --backend: the names tcpclose itself gives when it is handed a wrong one
test_completion_backends() {
	local names

	new_tmp
	names=$(./tcpclose --backend nosuch 2>&1 | sed -n 's/.*give \(.*\)$/\1/p' | sed 's/,\| or / /g')
	[ -n "$names" ] || fail "tcpclose --backend nosuch named no backends"
	echo "tcpclose names the backends: $names"
	printf '%s\n' $names >"$TMP/backends"
	expect_words "--backend" "$TMP/backends" ./tcpclose --backend ""
	expect_words "--backend=" "$TMP/backends" ./tcpclose -q --backend =
	expect_words "--backend=PREFIX" <(echo kprobe) ./tcpclose --backend = kp
	expect_words "check --backend" "$TMP/backends" ./tcpclose check --backend ""
	expect_words "tcpclose-check --backend" "$TMP/backends" ./tcpclose-check --backend ""
}

# paths: files for --netns and --junit, directories for --cgroup and --ladder-svg; users for --user; nothing
# to offer for a number
test_completion_arguments() {
	new_tmp
	mkdir "$TMP/dir" "$TMP/dir/sub"
	touch "$TMP/dir/check.xml"
	printf '%s\n' "$TMP/dir/check.xml" "$TMP/dir/sub" >"$TMP/both"
	expect_words "--netns" "$TMP/both" ./tcpclose --netns "$TMP/dir/"
	expect_words "--junit" "$TMP/both" ./tcpclose check --junit "$TMP/dir/"
	expect_words "--cgroup" <(echo "$TMP/dir/sub") ./tcpclose --cgroup "$TMP/dir/"
	expect_words "--ladder-svg" <(echo "$TMP/dir/sub") ./tcpclose --ladder-svg "$TMP/dir/"
	expect_words "--user" <(getent passwd | cut -d: -f1 | grep '^nob') ./tcpclose --user nob
	complete_words ./tcpclose -p "$$" | grep -qx "$$" || fail "-p does not offer a running pid"
	expect_words "-d" /dev/null ./tcpclose -d ""
	expect_words "--max-tw" /dev/null ./tcpclose --max-tw ""
	expect_words "check -t" /dev/null ./tcpclose check -t ""
}
