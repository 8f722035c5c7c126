# SPDX-License-Identifier: GPL-2.0
# The Prometheus rules of tools/prometheus/: valid, their unit tests pass (and can fail),
# and every metric, label and label value they use is one a running tcpclose serves.

RULES=tools/prometheus/tcpclose.rules.yml
RULES_TEST=tools/prometheus/tcpclose.rules.test.yml

test_prometheus_rules_check() {
	need_cmd promtool
	promtool check rules "$RULES" || fail "promtool check rules $RULES"
}

# promtool test rules: each alert fed a series that must fire it and one that must not
test_prometheus_rules_test() {
	need_cmd promtool
	promtool test rules "$RULES_TEST" || fail "promtool test rules $RULES_TEST"
	# not blind: a leak rule that cannot fire fails its test
	new_tmp
	cp "$RULES_TEST" "$TMP/"
	sed 's/\(state="CLOSE_WAIT"}\[5m\])\) >= 1$/\1 >= 1000000/' "$RULES" >"$TMP/$(basename "$RULES")"
	cmp -s "$RULES" "$TMP/$(basename "$RULES")" && fail "could not find the leak rule's threshold"
	if promtool test rules "$TMP/$(basename "$RULES_TEST")" >"$TMP/out" 2>&1; then
		fail "the unit tests pass with a CLOSE_WAIT leak rule that never fires"
	fi
	grep -q "alertname: TcpcloseCloseWaitLeak" "$TMP/out" ||
		fail "a leak rule that never fires failed other tests than its own: $(cat "$TMP/out")"
	echo "a leak rule that never fires fails its test"
}

# the names, against a real tcpclose's /metrics (in a network namespace of its own)
test_prometheus_rules_names() {
	need_root "running tcpclose"
	unshare -n tests/pkg/promql_names.py "$TCPCLOSE" "$RULES" ||
		fail "the rules use what tcpclose does not serve"
}
