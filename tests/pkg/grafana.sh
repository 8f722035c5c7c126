# SPDX-License-Identifier: GPL-2.0
# The Grafana dashboard of tools/grafana/: every query names metrics, labels and label values a
# running tcpclose serves, and a real Prometheus scraping that tcpclose answers each with data.

test_grafana_queries() {
	need_root "running tcpclose"
	need_cmd prometheus
	unshare -n tests/pkg/promql_names.py --query "$TCPCLOSE" tools/grafana/tcpclose.json ||
		fail "the dashboard asks for what tcpclose does not serve"
}
