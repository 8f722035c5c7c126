#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
# Debian's python3, not the first on PATH: it is the one python3-yaml is installed for.
"""Do the queries of a Grafana dashboard or a Prometheus rules file name only what tcpclose serves?

    unshare -n tests/pkg/promql_names.py [--query] TCPCLOSE FILE...

In the private network namespace it is started in (as root), runs TCPCLOSE -q --metrics
--port-pressure, closes connections there three ways (an orderly close, a reset sent, a
reset received) so that the role and cause labels show values and the orderly close's
TIME_WAIT holds a local port, and scrapes /metrics: that is what is served.
Then every query in each FILE (a dashboard's targets and variables, a rules file's expr
and the $labels its annotations use) must name served metrics (or, in a rules file, ones
it records), labels those metrics carry (or instance and job, which Prometheus adds), and
label values that were served. With --query, a real Prometheus also scrapes tcpclose and
every dashboard query must come back with at least one series. One line per problem;
exit 1 if there was any.
"""
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

import yaml

METRICS_PORT = 9465
PROM_PORT = 9090
TARGET_LABELS = {"instance", "job"}
# Prometheus takes seconds to start on a loaded 2-CPU machine
PROM_UP_S = 40
# what Grafana puts in for its variables here: every instance, a rate window of 1s scrapes
GRAFANA_VARS = {"$__rate_interval": "1m", "$instance": ".*", "${instance}": ".*"}

AGGREGATORS = {"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count",
               "count_values", "bottomk", "topk", "quantile"}
GROUPING = {"by", "without", "on", "ignoring", "group_left", "group_right"}
KEYWORDS = {"and", "or", "unless", "offset", "bool", "inf", "nan"}
TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
  | (?P<range>\[[^\]]*\])
  | (?P<dur>\d+(?:ms|[smhdwy])(?:\d+(?:ms|[smhdwy]))*)
  | (?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<ident>[a-zA-Z_:][a-zA-Z0-9_:]*)
  | (?P<op>=~|!~|!=|==|<=|>=|[-+*/%^<>=(){},@])
""", re.X)


def tokens(expr):
    out, pos = [], 0
    while pos < len(expr):
        m = TOKEN.match(expr, pos)
        if not m:
            raise ValueError(f"cannot read {expr[pos:pos + 20]!r}")
        pos = m.end()
        if m.lastgroup != "ws":
            out.append((m.lastgroup, m.group()))
    return out


def parse(expr):
    """(selectors, grouping labels): selectors as (metric or None, [(label, op, value)])"""
    toks = tokens(expr)
    selectors, grouping = [], []
    i = 0

    def matchers(i):
        found = []
        i += 1
        while toks[i][1] != "}":
            if toks[i][1] == ",":
                i += 1
                continue
            label, op, value = toks[i][1], toks[i + 1][1], toks[i + 2][1]
            found.append((label, op, value[1:-1]))
            i += 3
        return found, i + 1

    while i < len(toks):
        kind, text = toks[i]
        nxt = toks[i + 1][1] if i + 1 < len(toks) else None
        if kind == "ident" and text in GROUPING and nxt == "(":
            i += 2
            while toks[i][1] != ")":
                if toks[i][0] == "ident":
                    grouping.append(toks[i][1])
                i += 1
            i += 1
        elif kind == "ident" and (nxt == "(" or text in AGGREGATORS or text in KEYWORDS):
            i += 1
        elif kind == "ident":
            found = []
            if nxt == "{":
                found, i = matchers(i + 1)
            else:
                i += 1
            selectors.append((text, found))
        elif text == "{":
            found, i = matchers(i)
            names = [v for (l, op, v) in found if l == "__name__" and op == "="]
            selectors.append((names[0] if names else None, found))
        else:
            i += 1
    return selectors, grouping


def served_metrics(text):
    """{metric: {label: {values}}} of a scrape in the Prometheus text format"""
    served = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? ", line)
        labels = served.setdefault(m.group(1), {})
        for label, value in re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"',
                                       m.group(3) or ""):
            labels.setdefault(label, set()).add(value)
    return served


def check_query(where, expr, served, recorded, problems):
    try:
        selectors, grouping = parse(expr)
    except (ValueError, IndexError) as e:
        problems.append(f"{where}: cannot parse {expr!r}: {e}")
        return set()
    carried = set(TARGET_LABELS)
    for metric, found in selectors:
        if metric in recorded:
            carried |= recorded[metric]
            continue
        if metric not in served:
            problems.append(f"{where}: metric {metric} is not served")
            continue
        labels = served[metric]
        carried |= set(labels)
        for label, op, value in found:
            if label == "__name__" or label in TARGET_LABELS:
                continue
            if label not in labels:
                problems.append(f"{where}: {metric} has no label {label}")
            elif op in ("=", "=~") and re.fullmatch(r"[\w|.+]+", value) and "$" not in value:
                for v in value.split("|") if op == "=~" else [value]:
                    if v not in labels[label]:
                        problems.append(f"{where}: {metric}{{{label}}} never has the value {v!r}")
    for label in grouping:
        if label not in carried:
            problems.append(f"{where}: no metric of {expr!r} has the label {label}")
    return carried


def dashboard_queries(path):
    """(where, expr) of every panel target and every query variable"""
    dash = json.load(open(path))
    out = []

    def panels(ps):
        for p in ps:
            yield p
            yield from panels(p.get("panels", []))

    for p in panels(dash.get("panels", [])):
        for t in p.get("targets", []):
            if "expr" in t:
                out.append((f"panel {p.get('title')!r} {t.get('refId')}", t["expr"]))
    for v in dash.get("templating", {}).get("list", []):
        if v.get("type") != "query":
            continue
        q = v["query"]["query"] if isinstance(v["query"], dict) else v["query"]
        m = re.fullmatch(r"\s*label_values\(\s*(.*),\s*(\w+)\s*\)\s*", q)
        if m:
            # label_values(SELECTOR, LABEL): the label must be on the selector's series
            out.append((f"variable {v['name']}", f"group by ({m.group(2)}) ({m.group(1)})"))
        else:
            out.append((f"variable {v['name']}", q))
    return out


def grafana_expr(expr):
    for k, v in sorted(GRAFANA_VARS.items(), key=lambda kv: -len(kv[0])):
        expr = expr.replace(k, v)
    return expr


def check_dashboard(path, served, problems):
    queries = dashboard_queries(path)
    if not queries:
        problems.append(f"{path}: no queries found")
    for where, expr in queries:
        check_query(f"{path}: {where}", grafana_expr(expr), served, {}, problems)
    return queries


def check_rules(path, served, problems):
    rules = [r for g in yaml.safe_load(open(path))["groups"] for r in g["rules"]]
    # what a recording rule records carries the labels its expression keeps: at least the
    # target labels; its own grouping was checked with its expression
    recorded = {r["record"]: set(TARGET_LABELS) for r in rules if "record" in r}
    if not rules:
        problems.append(f"{path}: no rules found")
    for r in rules:
        name = r.get("record") or r.get("alert")
        carried = check_query(f"{path}: {name}", r["expr"], served, recorded, problems)
        for text in (r.get("annotations") or {}).values():
            for label in re.findall(r"\$labels\.(\w+)", text):
                if label not in carried:
                    problems.append(f"{path}: {name}: its annotations use $labels.{label}, which its series lack")


def http_get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode()


def wait_for(what, fn, seconds):
    deadline = time.monotonic() + seconds
    while True:
        try:
            value = fn()
            if value:
                return value
        except OSError:
            pass
        if time.monotonic() > deadline:
            sys.exit(f"promql_names: {what}: not within {seconds} s")
        time.sleep(0.2)


def close_three_ways():
    """an orderly close (the server's end: passive, normal) and a reset (the server's end
    sends it, rst_sent; the client's receives it, rst_received) over 127.0.0.1"""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    for reset in (False, True):
        cli = socket.create_connection(srv.getsockname())
        acc, _ = srv.accept()
        if reset:
            acc.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            acc.close()
            try:
                cli.recv(1)
            except ConnectionResetError:
                pass
            cli.close()
        else:
            cli.close()
            acc.recv(1)
            acc.close()
    srv.close()


def start_prometheus(tmp):
    config = os.path.join(tmp, "prometheus.yml")
    with open(config, "w") as f:
        f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                "scrape_configs:\n  - job_name: tcpclose\n    static_configs:\n"
                f"      - targets: ['127.0.0.1:{METRICS_PORT}']\n")
    log = open(os.path.join(tmp, "prometheus.log"), "w")
    prom = subprocess.Popen(["prometheus", f"--config.file={config}",
                             f"--storage.tsdb.path={tmp}/data",
                             f"--web.listen-address=127.0.0.1:{PROM_PORT}"],
                            stdout=log, stderr=log, start_new_session=True)
    return prom


def prom_query(expr):
    url = f"http://127.0.0.1:{PROM_PORT}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    try:
        return json.loads(http_get(url))
    except urllib.error.HTTPError as e:
        # a query it refuses says why in JSON; one it is not ready for, in text
        body = e.read().decode()
        try:
            return json.loads(body)
        except ValueError:
            return {"status": "error", "error": body.strip()}


def main():
    args = sys.argv[1:]
    query = bool(args) and args[0] == "--query"
    if query:
        args = args[1:]
    if len(args) < 2:
        sys.exit(__doc__)
    tcpclose, files = args[0], args[1:]
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    tmp = tempfile.mkdtemp(prefix="promql-names.")
    procs = []
    problems = []
    try:
        err = open(os.path.join(tmp, "tcpclose.err"), "w+")
        procs.append(subprocess.Popen([tcpclose, "-q", "--metrics", f"127.0.0.1:{METRICS_PORT}",
                                       "--port-pressure"],
                                      stdout=subprocess.DEVNULL, stderr=err,
                                      start_new_session=True))
        url = f"http://127.0.0.1:{METRICS_PORT}/metrics"

        # it serves before it attaches: tracing begins with its "tcpclose: tracing" line
        def ready():
            err.seek(0)
            said = err.read()
            if procs[0].poll() is not None:
                sys.exit(f"promql_names: {tcpclose} exited {procs[0].returncode}: {said}")
            return "tcpclose: tracing" in said
        wait_for(f"{tcpclose} tracing", ready, 30)
        close_three_ways()
        # the records reach the metrics as tcpclose polls its ring buffer (every 100 ms),
        # the port held by the TIME_WAIT with the next walk (every second)
        text = wait_for("the records of the three closes and the port held in /metrics",
                        lambda: (lambda t: 'cause="rst_received"' in t and 'role="passive"' in t
                                 and "tcpclose_port_pressure_ratio{" in t
                                 and t)(http_get(url)), 10)
        served = served_metrics(text)
        if query:
            procs.append(start_prometheus(tmp))
            wait_for("prometheus scraping tcpclose",
                     lambda: prom_query('up{job="tcpclose"} == 1').get("data", {}).get("result"),
                     PROM_UP_S)
            # a rate needs two samples in its window
            time.sleep(3)
        for path in files:
            if path.endswith(".json"):
                queries = check_dashboard(path, served, problems)
                for where, expr in queries if query else []:
                    reply = prom_query(grafana_expr(expr))
                    if reply.get("status") != "success":
                        problems.append(f"{path}: {where}: Prometheus: {reply.get('error')}")
                    elif not reply["data"]["result"]:
                        problems.append(f"{path}: {where}: no series from {expr!r}")
            else:
                check_rules(path, served, problems)
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    for p in problems:
        print(p)
    print(f"promql_names: {len(served)} metrics served; {len(problems)} problems in {' '.join(files)}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
