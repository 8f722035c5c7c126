#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# tools/bench/report.py: the tables of `make bench` from the raw results tools/bench.sh wrote
# (raw.jsonl: one JSON record a line), on stdout; with --doc, also docs/BENCHMARKS.md made of
# them and the file's own "Reading the tables". A kept raw file (BENCH_KEEP=1) can be reported
# again without measuring anything:
#
#   tools/bench/report.py /dev/shm/tcbench.XXXXXX/raw.jsonl
#
# The numbers come out as the awk of the earlier all-shell bench.sh printed them: a median is
# one of the values as it was written, or the mean of the middle two in awk's "%.6g"; ratios
# and per-run costs go through that same "%.6g" before their median is taken.

import argparse
import json
import locale
import math
import statistics
import sys

CONFIGS = ["none", "floor", "tcpclose", "hist", "tcpstates", "bpftrace", "paused"]
TITLES = {
    "none": "1. no tracer",
    "tcpclose": "2. tcpclose > /dev/null",
    "hist": "3. tcpclose --hist",
    "tcpstates": "4. tcpstates (libbpf-tools)",
    "bpftrace": "5. bpftrace, printf per event",
    "paused": "what-if: tcpclose stopped (SIGSTOP) while the churn runs",
    "floor": "floor: near-empty programs on the same hooks",
}
# the tracer column of the per-program table
PROG_TRACERS = {"hist": "tcpclose --hist", "floor": "floor (reference)",
                "paused": "tcpclose, stopped"}
TIMER_HOOKS = ["timer_start", "timer_cancel", "timer_expire", "timer_exit"]
# mawk prints a whole number as one only up to this
AWK_MAX_INT = 2**31 - 1


def awk_str(x):
    """A number as awk's print writes it."""
    if x == int(x) and -AWK_MAX_INT <= x <= AWK_MAX_INT:
        return "%d" % x
    return "%.6g" % x


def awk_num(s):
    """A string as awk reads it as a number ("-" is 0)."""
    try:
        return float(s)
    except ValueError:
        return 0.0


def median(values):
    """`sort -g | median`: "-" of nothing, else the middle string or the middle two's mean."""
    if not values:
        return "-"
    v = sorted(values, key=lambda s: (awk_num(s), locale.strxfrm(s)))
    n = len(v)
    if n % 2:
        return v[n // 2]
    return awk_str((awk_num(v[n // 2 - 1]) + awk_num(v[n // 2])) / 2)


def median_interval(values, level=0.95):
    """
    The median of values and an interval that holds the true median with probability at
    least level whatever the distribution: the order statistics k+1 and n-k (1-based), k the
    largest for which Binomial(n, 1/2) falls in [k+1, n-k-1] that often. None where n is too
    small for any; and the coverage the interval has.
    """
    v = sorted(values)
    n = len(v)
    k, cover = None, 1.0
    for j in range(n // 2):
        c = sum(math.comb(n, i) for i in range(j + 1, n - j)) / 2 ** n
        if c < level:
            break
        k, cover = j, c
    interval = (v[k], v[n - k - 1]) if k is not None else None
    return statistics.median(v), interval, cover


def cpu_pct(r, after):
    """Percent of one CPU the tracer used from the start of the churn to AFTER."""
    return "%.2f" % ((r[after] - r["cpu0_ns"]) / r["secs"] / 1e7)


class Bench:
    def __init__(self, records):
        self.records = records
        setups = self.kind("bench")
        if not setups:
            raise ValueError('no "bench" record: the measuring did not finish')
        self.b = setups[-1]
        self.configs = self.b["configs"].split()

    def kind(self, kind):
        return [r for r in self.records if r["kind"] == kind]

    def churn(self, cfg, rounds_only=False):
        return [r for r in self.kind("churn") if r["cfg"] == cfg and
                (not rounds_only or r["label"].startswith("round"))]

    def churn_ratio(self, cfg):
        """The median over the rounds of the rate over the same round's no-tracer rate."""
        none = {r["label"]: r["rate"] for r in self.churn("none", True)}
        mine = {r["label"]: r["rate"] for r in self.churn(cfg, True)}
        return median([awk_str(rate / none[k] * 100) for k, rate in mine.items()
                       if none.get(k)])

    def round_ratios(self, cfg):
        """Per round label: the rate over the same round's no-tracer rate, in percent."""
        none = {r["label"]: r["rate"] for r in self.churn("none", True)}
        return {r["label"]: r["rate"] / none[r["label"]] * 100
                for r in self.churn(cfg, True) if none.get(r["label"])}

    def report_rounds(self):
        """Each round's ratio, so that a reader sees the noise the medians hide."""
        labels = sorted({r["label"] for r in self.churn("none", True)},
                        key=lambda s: int(s[len("round"):]))
        shown = [c for c in CONFIGS if c in self.configs and c != "none" and
                 (c != "hist" or self.b["have_hist"])]
        if not labels or not shown:
            return []
        ratios = {c: self.round_ratios(c) for c in shown}

        def row(title, values):
            cells = ["%.1f" % v if v is not None else "-" for v in values]
            known = [str(v) for v in values if v is not None]
            med = "%.1f" % awk_num(median(known)) if known else "-"
            return "| %s | %s | %s |" % (title, " | ".join(cells), med)

        out = ["| configuration | %s | median |" % " | ".join(
                   l.replace("round", "round ") for l in labels),
               "| --- |" + " ---: |" * (len(labels) + 1)]
        out += [row(TITLES[c] + ", % of (1)", [ratios[c].get(l) for l in labels])
                for c in shown]
        for c in ("tcpclose", "hist"):
            if "floor" in ratios and c in ratios:
                out.append(row(TITLES[c] + ", points below the floor",
                               [ratios["floor"][l] - ratios[c][l]
                                if l in ratios["floor"] and l in ratios[c] else None
                                for l in labels]))
        out += ["", "Each cell: that configuration's connections per second over the no-tracer "
                "run's of the same round; the rounds ran in a new random order each. A row "
                "\"points below the floor\" is the floor's cell less tcpclose's, round by round."]
        return out

    def churn_row(self, cfg):
        title = TITLES[cfg]
        if cfg == "hist" and not self.b["have_hist"]:
            return "| %s | n/a (not supported) | | | | | | | |" % title
        rounds = self.churn(cfg, True)
        rate = "%.0f" % awk_num(median([str(r["rate"]) for r in rounds]))
        if cfg == "none":
            return "| %s | %s | 100%% | - | - | - | - | - | - |" % (title, rate)
        ratio = "%.1f%%" % awk_num(self.churn_ratio(cfg))
        cpu = median([cpu_pct(r, "cpu1_ns") for r in rounds])
        cput = median([cpu_pct(r, "cpu2_ns") for r in rounds])
        runs = self.churn(cfg)
        counted = [r for r in runs if r["delivered"] is not None]
        conns = sum(r["conns"] for r in counted)
        if conns:
            per = "%.2f" % (sum(r["delivered"] for r in counted) / conns)
        elif cfg == "hist":
            # no record; the heads and ends of timewait sockets still come, to be counted
            per = "- (histograms)"
        else:
            per = "- (none)"
        lost = "%d" % sum(r["lost"] or 0 for r in runs)
        if any(t in cfg for t in ("tcpclose", "hist", "paused")):
            lost += " (%d)" % sum(r["drops"] or 0 for r in runs)
        hwm = max((r["hwm_kib"] for r in rounds), default=None)
        mapb = max((r["map_bytes"] for r in rounds), default=None)
        rss = "" if hwm is None else "%.1f" % (hwm / 1024)
        maps = "" if mapb is None else "%.1f" % (mapb / 1048576)
        return "| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            title, rate, ratio, cpu, cput, per, lost, rss, maps)

    def report_churn(self):
        b = self.b
        out = ["| configuration | conn/s | vs (1) | tracer CPU % | CPU % incl. TW records |"
               " events delivered / conn | lost (during churn) | RSS peak MiB | BPF maps MiB |",
               "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        out += [self.churn_row(cfg) for cfg in CONFIGS if cfg in self.configs]
        runs = self.kind("churn")
        tw = median([str(r["tw"]) for r in self.churn("none", True)])
        other = median([str(r["other_pct"]) for r in runs])
        out += ["",
                "Each run: %s connections by %s client and %s server threads in a fresh "
                "namespace (TIME_WAIT sockets at the end of a no-tracer run: %s); medians of "
                "%s interleaved rounds. Other processes on the host used a median %s%% of its "
                "CPUs during the runs." % (b["conns"], b["threads"], b["threads"], tw,
                                           b["rounds"], other)]
        noisy = [r for r in runs if r["noisy"] == 1 and not r["label"].startswith("pair")]
        if noisy:
            out.append("Runs kept although the host was not quiet (what others used): " +
                       "".join("%s/%s (%s%%) " % (r["label"], r["cfg"],
                                                 str(r["other_pct"])) for r in noisy))
        return out

    def report_progs(self):
        progs = self.kind("prog")
        if not progs:
            return []

        def line(p):
            return " ".join(str(p[k]) for k in ("label", "cfg", "name", "runs", "ns",
                                                    "xlated", "jited", "verified", "conns"))
        progs.sort(key=lambda p: (locale.strxfrm(p["cfg"]), locale.strxfrm(p["name"]),
                                  locale.strxfrm(line(p))))
        out = ["| tracer | BPF program | runs / conn | ns / run | xlated / jited bytes |"
               " verified insns |",
               "| --- | --- | ---: | ---: | ---: | ---: |"]
        # programs that never ran are left out
        for p in progs:
            if p["runs"] > 0:
                out.append("| %s | %s | %.2f | %.1f | %s / %s | %s |" % (
                    PROG_TRACERS.get(p["cfg"], p["cfg"]), p["name"], p["runs"] / p["conns"],
                    p["ns"] / p["runs"], str(p["xlated"]), str(p["jited"]),
                    str(p["verified"])))
        return out + [""] + self.report_per_conn(progs)

    def report_per_conn(self, progs):
        """All of a tracer's programs together: BPF time per connection, and above floor's."""
        per_conn = {}
        for p in progs:
            per_conn[p["cfg"]] = per_conn.get(p["cfg"], 0) + p["ns"] / p["conns"]
        floor = per_conn.get("floor")
        out = ["| tracer | BPF ns / conn, all programs | above floor |",
               "| --- | ---: | ---: |"]
        for cfg in CONFIGS:
            if cfg not in per_conn:
                continue
            above = "-" if floor is None or cfg == "floor" else "%+.0f" % (per_conn[cfg] - floor)
            out.append("| %s | %.0f | %s |" % (PROG_TRACERS.get(cfg, cfg), per_conn[cfg], above))
        return out

    def report_steady(self):
        """Section 5: BPF cost per connection once timewait sockets end as fast as they start."""
        runs = self.kind("steady")
        if not runs:
            return ["Not run (BENCH_STEADY_ROUNDS=0)."]
        progs = self.kind("steady_prog")
        # every program's ns per connection, by config and round; and each program's runs
        total, by_prog = {}, {}
        for p in progs:
            key = (p["cfg"], p["label"])
            total[key] = total.get(key, 0) + p["ns"] / p["conns"]
            if p["runs"] > 0:
                by_prog.setdefault((p["cfg"], p["name"]), []).append(p)
        cfgs = [c for c in CONFIGS if any(r["cfg"] == c for r in runs)]
        labels = sorted({r["label"] for r in runs})
        out = ["| tracer | BPF ns / conn, all programs | above floor, paired by round |"
               " tracer CPU % | TIME_WAIT sockets at the end |"
               " records delivered / lost, warm-up included |",
               "| --- | ---: | ---: | ---: | ---: | ---: |"]
        for cfg in cfgs:
            mine = [r for r in runs if r["cfg"] == cfg]
            ns = [awk_str(total[(cfg, lab)]) for lab in labels if (cfg, lab) in total]
            above = [awk_str(total[(cfg, lab)] - total[("floor", lab)]) for lab in labels
                     if (cfg, lab) in total and ("floor", lab) in total]
            above_s = "-" if cfg == "floor" or not above else "%+.0f" % awk_num(median(above))
            delivered = median([awk_str(r["delivered"]) for r in mine
                                if r["delivered"] is not None])
            lost = median([awk_str(r["lost"]) for r in mine if r["lost"] is not None])
            cpu = "-" if cfg == "floor" else median([cpu_pct(r, "cpu1_ns") for r in mine])
            out.append("| %s | %.0f | %s | %s | %s | %s |" % (
                PROG_TRACERS.get(cfg, cfg), awk_num(median(ns)), above_s, cpu,
                median([awk_str(r["tw"]) for r in mine]),
                "-" if delivered == "-" else "%s / %s" % (delivered, lost)))
        out += ["", "| tracer | BPF program | runs / conn | ns / run | ns / conn |",
                "| --- | --- | ---: | ---: | ---: |"]
        for cfg, name in sorted(by_prog, key=lambda k: (CONFIGS.index(k[0]), k[1])):
            ps = by_prog[(cfg, name)]
            out.append("| %s | %s | %.2f | %.1f | %.0f |" % (
                PROG_TRACERS.get(cfg, cfg), name,
                awk_num(median([awk_str(p["runs"] / p["conns"]) for p in ps])),
                awk_num(median([awk_str(p["ns"] / p["runs"]) for p in ps])),
                awk_num(median([awk_str(p["ns"] / p["conns"]) for p in ps]))))
        b = self.b
        out += ["", "Each run: %s connections a second by %s client and %s server threads for "
                "%s s unmeasured, past 2MSL, then %s more at that rate, measured; medians of %s "
                "interleaved rounds. Others used a median %s%% of the CPUs." % (
                    b["steady_rate"], b["threads"], b["threads"], b["steady_warm_s"],
                    b["steady_conns"], b["steady_rounds"],
                    median([str(r["other_pct"]) for r in runs]))]
        return out

    def timer_col(self, cfg, hook, what):
        """ns per run or runs per second of the timer program of CFG on HOOK, each round."""
        out = []
        for p in self.kind("timer_prog"):
            name = p["name"]
            for prefix in ("tcpc_", "tc_", "f_", "e_"):
                if name.startswith(prefix):
                    name = name[len(prefix):]
                    break
            if p["cfg"] == cfg and name == hook and p["runs"] > 0:
                out.append(awk_str(p["ns"] / p["runs"] if what == "ns"
                                   else p["runs"] / p["secs"]))
        return out

    def report_timers(self):
        timers = self.kind("timers")
        if not timers:
            return []

        def rate(cfg):
            return median([str(t["rate"]) for t in timers if t["cfg"] == cfg])
        none = awk_num(rate("none"))
        parts = []
        for cfg in ("none", "tcpclose", "floor"):
            r = awk_num(rate(cfg))
            parts.append(" %s %.0f (%.1f%%)" % (cfg, r, r / none * 100))
        other = median([str(t["other_pct"]) for t in timers])
        out = ['Timer sleeps per second of "churn --timers" (timer_list timers armed and'
               ' cancelled or expired, no TCP), medians of %s rounds, bpf_stats on:%s;'
               ' others used a median %s%% of the CPUs.' % (self.b["timer_rounds"],
                                                         ",".join(parts), other),
               "",
               "| timer hook | hits / s | tcpclose ns / hit | floor ns / hit |"
               " tcpclose above floor |",
               "| --- | ---: | ---: | ---: | ---: |"]
        for hook in TIMER_HOOKS:
            hits = median(self.timer_col("tcpclose", hook, "hits"))
            if hits == "-":
                continue
            tc = awk_num(median(self.timer_col("tcpclose", hook, "ns")))
            fl = median(self.timer_col("floor", hook, "ns"))
            row = "| %s | %.0f | %.1f | " % (hook, awk_num(hits), tc)
            if fl == "-":
                row += "- | - |"
            else:
                row += "%.1f | %+.1f |" % (awk_num(fl), tc - awk_num(fl))
            out.append(row)
        ours = [p for p in self.kind("timer_prog")
                if p["cfg"] == "tcpclose" and "timer" in p["name"]]
        runs = sum(p["runs"] for p in ours)
        if runs:
            out.append("| all, weighted by hits | | %.1f | | |" %
                       (sum(p["ns"] for p in ours) / runs))
        return out

    def report_scale(self):
        scale = self.kind("scale")
        if not scale:
            return []

        def known(v):
            return "?" if v is None else str(v)
        # the kernel's own slab growth for as many timewait sockets, under no tracer
        base = next((s for s in scale if s.get("cfg") == "none"), None)
        out = ["| tracer | connections | TIME_WAIT sockets | followed | slab growth MiB |"
               " bytes / followed socket: tws memlock, slab above no tracer |"
               " RSS MiB (peak) | BPF maps MiB | total MiB (maps + RSS not theirs) |"
               " records delivered / expected | lost | RSS MiB once they ended |",
               "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for s in scale:
            cfg = s.get("cfg", "tcpclose")
            slab_kib = s.get("slab_kib")
            row = "| %s | %d | %d | %s | %s |" % (
                "no tracer" if cfg == "none" else "tcpclose --netns " + (s["args"] or "default"),
                s["conns"], s["tw"], "-" if cfg == "none" else known(s["tws_entries"]),
                "?" if slab_kib is None else "%.1f" % (slab_kib / 1024))
            if cfg == "none":
                out.append(row + " - | - | - | - | - | - | - |")
                continue
            followed = s["tws_entries"] or 0
            memlock = slab = "?"
            if followed and s.get("tws_memlock1") is not None:
                memlock = "%.0f" % (s["tws_memlock1"] / followed)
            # the kernel's own growth per timewait socket, times this run's sockets, is not
            # tcpclose's
            if followed and base is not None and slab_kib is not None and base["tw"]:
                own = base["slab_kib"] * 1024 / base["tw"] * s["tw"]
                slab = "%.0f" % ((slab_kib * 1024 - own) / followed)
            after = s.get("rss_after_kib")
            out.append(row + " %s, %s | %.1f (%.1f) | %.1f | %.1f | %s / %d | %s | %s |" % (
                memlock, slab, s["rss_kib"] / 1024, s["hwm_kib"] / 1024,
                s["map_bytes"] / 1048576,
                (s["map_bytes"] + (s["rss_kib"] - s.get("map_rss_kib", 0)) * 1024) / 1048576,
                known(s["delivered"]), s["conns"] * 2, known(s["lost"]),
                "?" if after is None else "%.1f" % (after / 1024)))
        return out

    def report_closing(self):
        closing = self.kind("closing")
        if not closing:
            return []
        # the kernel's own slab growth for as many sockets (both ends), under no tracer
        base = next((c for c in closing if c.get("cfg") == "none"), None)
        out = ["| tracer | server ends held | CLOSE_WAIT sockets | slab growth MiB |"
               " bytes / closing socket: conns and slots memlock, slab above no tracer |"
               " RSS MiB | records delivered / expected | lost |",
               "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for c in closing:
            cfg = c.get("cfg", "tcpclose")
            row = "| %s | %d | %d | %.1f |" % (
                "no tracer" if cfg == "none" else "tcpclose --netns --lport",
                c["conns"], c["close_wait"], c["slab_kib"] / 1024)
            if cfg == "none":
                out.append(row + " - | - | - | - |")
                continue
            held = c["close_wait"]
            memlock = slab = "?"
            if held and c.get("conns_memlock1") is not None:
                # the hash's growth, and the slots in front of it, taken at start
                memlock = "%.0f" % ((c["conns_memlock1"] - (c.get("conns_memlock0") or 0)
                                     + (c.get("slots_memlock") or 0)) / held)
            if held and base is not None and base["close_wait"]:
                own = base["slab_kib"] * 1024 / base["close_wait"] * held
                slab = "%.0f" % ((c["slab_kib"] * 1024 - own) / held)
            out.append(row + " %s, %s | %.1f | %s / %d | %s |" % (
                memlock, slab, c["rss_kib"] / 1024,
                "?" if c["delivered"] is None else c["delivered"], c["conns"],
                "?" if c["lost"] is None else c["lost"]))
        return out

    def pair_sets(self):
        """Per set of paired runs: each configuration's rate."""
        sets = {}
        for r in self.kind("churn"):
            if r["label"].startswith("pair"):
                sets.setdefault(r["label"], {})[r["cfg"]] = r["rate"]
        return sets

    def report_pairs(self):
        """Points below a reference, set by set, with the median's confidence interval."""
        sets = self.pair_sets()
        if not sets:
            return ["Not measured (BENCH_PAIRS=0)."]

        def points(cfg, ref):
            return [(v[ref] - v[cfg]) / v["none"] * 100 for v in sets.values()
                    if v.get("none") and ref in v and cfg in v]

        def row(title, values):
            if not values:
                return "| %s | 0 | - | - | - |" % title
            med, interval, cover = median_interval(values)
            shown = "-" if interval is None else "%.1f to %.1f (%.1f%%)" % (
                interval[0], interval[1], cover * 100)
            return "| %s | %d | %.1f | %s | %d |" % (
                title, len(values), med, shown, sum(1 for x in values if x > 0))

        out = ["| comparison | sets | median points | interval of the median (coverage) |"
               " sets with a positive difference |",
               "| --- | ---: | ---: | ---: | ---: |",
               row("floor below no tracer", points("floor", "none")),
               row("tcpclose below no tracer", points("tcpclose", "none")),
               row("tcpclose below the floor", points("tcpclose", "floor"))]
        if any("hist" in v for v in sets.values()):
            out += [row("tcpclose --hist below the floor", points("hist", "floor")),
                    row("tcpclose --hist below tcpclose", points("hist", "tcpclose"))]
        if any("paused" in v for v in sets.values()):
            # stopped, tcpclose is its BPF programs alone: the rest is its user space
            out += [row("tcpclose stopped (its kernel side) below the floor",
                        points("paused", "floor")),
                    row("tcpclose below tcpclose stopped", points("tcpclose", "paused"))]
        runs = [r for r in self.kind("churn") if r["label"].startswith("pair")]
        noisy = sum(1 for r in runs if r["noisy"] == 1)
        out += ["", "Each set: one run of %s connections under each configuration, back to "
                "back in a new random order; a difference is in points of the same set's "
                "no-tracer rate (positive: slower). %d of %d runs were kept although the host "
                "was not quiet; others used a median %s%% of its CPUs." % (
                    self.b.get("pair_conns", "?"), noisy, len(runs),
                    median([str(r["other_pct"]) for r in runs]))]
        return out

    def report_how(self):
        b = self.b
        cmd = ("BENCH_ROUNDS=%s BENCH_CONNS=%s BENCH_THREADS=%s BENCH_TIMER_ROUNDS=%s"
               " BENCH_TIMER_SECONDS=%s BENCH_SCALE_CONNS=%s" % (
                   b["rounds"], b["conns"], b["threads"], b["timer_rounds"],
                   b["timer_seconds"], b["scale_conns"]))
        if "closing_conns" in b:
            cmd += " BENCH_CLOSING_CONNS=%s" % b["closing_conns"]
        if "pairs" in b:
            cmd += " BENCH_PAIRS=%s BENCH_PAIR_CONNS=%s" % (b["pairs"], b["pair_conns"])
        if "steady_rounds" in b:
            cmd += " BENCH_STEADY_ROUNDS=%s BENCH_STEADY_RATE=%s BENCH_STEADY_CONNS=%s" % (
                b["steady_rounds"], b["steady_rate"], b["steady_conns"])
        if b["configs"] != b["default_configs"]:
            cmd += ' BENCH_CONFIGS="%s"' % b["configs"]
        # as `echo "$BT_PROG" | tr -s '\t\n' '  '` wrote it: one line, with a space at its end
        prog = (b["bpftrace_prog"] + "\n").replace("\t", " ").replace("\n", " ")
        while "  " in prog:
            prog = prog.replace("  ", " ")
        return ["- command: `%s make bench` on %s, tree at %s" % (cmd, b["date"], b["tree"]),
                "- machine: kernel %s, %s CPUs (%s), %.0f GiB RAM, clocksource %s" % (
                    b["kernel"], b["cpus"], b["cpu_model"], b["mem_kib"] / 1048576,
                    b["clocksource"]),
                "- %s; tcpclose %s, libbpf-tools %s, %s" % (
                    b["os"], b["tcpclose_version"], b["libbpf_tools_version"],
                    b["bpftrace_version"]),
                "- the bpftrace one-liner: `bpftrace -e '%s'`" % prog]

    def report(self):
        out = []
        for title, section in (
                ("Churn", self.report_churn),
                ("Churn, round by round", self.report_rounds),
                ("Churn, paired: many short runs side by side", self.report_pairs),
                ("Cost per BPF program run (kernel.bpf_stats_enabled=1, one more round)",
                 self.report_progs),
                ("Steady state: as many timewait sockets ending as starting",
                 self.report_steady),
                ("Timer hooks under a timer-heavy load", self.report_timers),
                ("Scale: timewait sockets followed at once", self.report_scale),
                ("Closing: full sockets followed at once in CLOSE_WAIT",
                 self.report_closing)):
            out += ["## " + title, ""] + section() + [""]
        out += ["## How and where", ""] + self.report_how()
        return "".join(line + "\n" for line in out)


def doc_text(report, doc):
    """The report above the hand-written "Reading the tables" of the existing DOC."""
    try:
        with open(doc, encoding="utf-8") as f:
            lines = f.readlines()
    except FileNotFoundError:
        lines = []
    kept = next((i for i, line in enumerate(lines) if line.startswith("## Reading the tables")),
                len(lines))
    return ("# Benchmarks\n\nThe latest `make bench`; how it measures and how to rerun it: see\n"
            "[Reading the tables](#reading-the-tables).\n\n" + report + "\n" +
            "".join(lines[kept:]))


def read_raw(path):
    records = []
    with open(path, encoding="utf-8") as f:
        for nr, line in enumerate(f, 1):
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise ValueError("line %d is not JSON (%s)" % (nr, e)) from None
    return records


def main():
    ap = argparse.ArgumentParser(description="The tables of `make bench` from its raw results.")
    ap.add_argument("raw", help="raw.jsonl that tools/bench.sh wrote")
    ap.add_argument("--doc", help="also write this file (docs/BENCHMARKS.md), keeping its"
                    ' "Reading the tables"')
    args = ap.parse_args()
    # sort(1) in the shell version compared strings in the user's locale
    try:
        locale.setlocale(locale.LC_COLLATE, "")
    except locale.Error:
        pass
    try:
        report = Bench(read_raw(args.raw)).report()
    except (OSError, ValueError, KeyError) as e:
        sys.exit("report.py: %s: %s" % (args.raw, e if not isinstance(e, KeyError) else
                                        "a record lacks %s" % e))
    sys.stdout.write(report)
    if args.doc:
        text = doc_text(report, args.doc)
        with open(args.doc, "w", encoding="utf-8") as f:
            f.write(text)


if __name__ == "__main__":
    main()
