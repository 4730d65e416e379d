#!/usr/bin/env python3
"""Compares results files (N hosts, or N commits) against the first:
a table of deltas per configuration (same model, offload, threads,
workload, arrival, concurrency and rate), with a Mann-Whitney U test where
both sides have repetitions, as Google Benchmark's compare.py does; and, with
-o, overlay charts (A solid, B dashed; with three files or more, one series
per file) and, for three files or more, compare.md with a section per host.
--fail-above PCT exits 1 when a configuration regressed by more than PCT
against the first file beyond noise, to gate CI."""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from matplotlib.lines import Line2D  # noqa: E402

from ccplot import stats, style, units  # noqa: E402
from ccplot.cli import fail  # noqa: E402
from ccplot.doc import Doc  # noqa: E402
from ccplot.load import LoadError, load, median  # noqa: E402


class Side:
    """One configuration's samples on one side."""

    def __init__(self):
        self.runs = []
        self.throughput = []
        self.p99 = []

    @property
    def n(self):
        return max(len(self.throughput), len(self.p99))


def _summary_key(k):
    rate = k.get("rate") or 0.0
    return (str(k.get("model")), str(k.get("offload") or "none"), int(k.get("threads") or 1),
            str(k.get("workload", "")), str(k.get("arrival", "closed")),
            int(k.get("concurrency") or 0), float(rate))


def samples(results):
    """{config_key: Side}: throughput and p99 samples per configuration. The
    summaries' samples are used where present (they are the repetitions);
    otherwise each successful run of the configuration is one sample."""
    out = {}
    for r in results.runs:
        side = out.setdefault(r.config_key, Side())
        side.runs.append(r)
        if r.ok:
            if r.throughput is not None:
                side.throughput.append(r.throughput)
            if r.p99 is not None:
                side.p99.append(r.p99)
    for s in results.summaries:
        key = s.get("key")
        smp = s.get("samples") or {}
        if not isinstance(key, dict):
            continue
        k = _summary_key(key)
        side = out.get(k)
        if side is None:
            continue
        tp = [v for v in smp.get("throughput_per_s") or [] if v is not None]
        p99 = [v for v in smp.get("latency_p99_us") or [] if v is not None]
        if len(tp) > len(side.throughput):
            side.throughput = tp
        if len(p99) > len(side.p99):
            side.p99 = p99
    return out


def registry_of(a, b):
    """Both files' models: labels, order and colours the same on both sides."""
    return a.registry.merged(b.registry)


def describe(key, registry):
    model, offload, threads, workload, arrival, conc, rate = key
    load = ("%s/s offered" % units.rate(rate)) if arrival == "open" else "c=%d" % conc
    return registry.label(model, offload, threads), workload, load


def _sorter(registry):
    def key_of(key):
        model, offload, threads, workload, arrival, conc, rate = key
        return (workload, arrival, registry.sort_key(model, offload, threads), conc, rate)
    return key_of


def compare(a, b, alpha=0.05):
    """Rows for configurations in both, plus keys only in A and only in B."""
    sa, sb = samples(a), samples(b)
    registry = registry_of(a, b)
    _sort = _sorter(registry)
    common = sorted(set(sa) & set(sb), key=_sort)
    rows = []
    for k in common:
        x, y = sa[k], sb[k]
        tpa, tpb = median(x.throughput), median(y.throughput)
        pa, pb = median(x.p99), median(y.p99)
        tp_test, tp_sig = stats.utest(x.throughput, y.throughput, alpha)
        p_test, p_sig = stats.utest(x.p99, y.p99, alpha)
        label, workload, load_ = describe(k, registry)
        rows.append({
            "key": k, "label": label, "workload": workload, "load": load_,
            "n": (x.n, y.n), "tp": (tpa, tpb),
            "tp_ratio": tpb / tpa if tpa and tpb is not None else None,
            "tp_test": tp_test, "tp_sig": tp_sig,
            "p99": (pa, pb), "p99_ratio": pb / pa if pa and pb is not None else None,
            "p99_test": p_test, "p99_sig": p_sig,
            "p99_ci": (_p99_ci(x), _p99_ci(y)),
            "p99_overlap": stats.intervals_overlap(_p99_ci(x), _p99_ci(y)),
            "tp_samples": (x.throughput, y.throughput), "p99_samples": (x.p99, y.p99),
        })
    only_a = sorted(set(sa) - set(sb), key=_sort)
    only_b = sorted(set(sb) - set(sa), key=_sort)
    return rows, only_a, only_b


def _p99_ci(side):
    """The p99's 95% interval on one side: its run's, or the envelope of its
    repetitions' (load.Point.latency_ci); None when not recorded."""
    ok = [r for r in side.runs if r.ok]
    if not ok:
        return None
    cis = [r.latency_ci("p99") for r in ok]
    cis = [c for c in cis if c is not None]
    if not cis:
        return None
    lows, highs = [c[0] for c in cis], [c[1] for c in cis]
    return (None if None in lows else min(lows), None if None in highs else max(highs))


def _interval(side, metric):
    """The 95% interval of one side's metric for an error bar, in the file's
    units (us, tasks/s): the p99's from order statistics (_p99_ci: over
    repetitions the envelope of theirs); throughput's, the Student-t interval
    over the repetitions (as summaries[] give it; None with one run). A side
    of a p99 interval is None when unbounded."""
    if side is None:
        return None
    if metric == "p99":
        return _p99_ci(side)
    return stats.t_interval(side.throughput)


def _bar(ax, x, side, metric, colour):
    """side's interval as an error bar at x; its artists (style.interval_bar),
    or None when it has none."""
    ci = _interval(side, metric)
    v = median(side.throughput if metric == "throughput" else side.p99) if side else None
    if ci is None or not v:
        return None
    return style.interval_bar(ax, x, v, ci, "#333333" if colour is None else colour,
                              scale=1e3 if metric == "p99" else 1.0)


def _bar_ys(bar):
    """The y values an error bar reaches (bounds and open ends), so that the
    axis range shows them whole."""
    if not bar:
        return []
    ys = []
    for coll in ([bar["bar"]] if bar["bar"] is not None else []) + bar["open"]:
        for seg in coll.get_segments():
            ys += [float(seg[0][1]), float(seg[1][1])]
    return ys


def _interval_note(metric, bars):
    """The subtitle's line on the error bars, and the legend entries."""
    if metric == "p99":
        what = "p99's 95% interval (order statistics; envelope over repetitions)"
    else:
        what = "throughput's 95% interval (Student t over the repetitions)"
    if not bars:
        return ("no error bars: " + ("no percentile intervals recorded" if metric == "p99"
                                     else "one run per configuration, no repetition interval"),
                [])
    legend = style.interval_legend(what.split(" (")[0])
    opened = any(b["open"] for b in bars)
    return ("bars: " + what, legend if opened else legend[:1])


def _fmt_overlap(overlap):
    return {True: "overlap", False: "apart", None: "n/a"}[overlap]


def _fmt_ratio(r, sig):
    if r is None:
        return "n/a"
    s = "%+.1f%%" % ((r - 1) * 100)
    return s + (" *" if sig else "")


def table(rows):
    head = ["model", "workload", "load", "n A/B", "tasks/s A", "tasks/s B", "delta",
            "U test", "p99 A", "p99 B", "delta", "U test", "p99 95% CIs"]
    body = [[r["label"], r["workload"], r["load"], "%d/%d" % r["n"], units.rate(r["tp"][0]),
             units.rate(r["tp"][1]), _fmt_ratio(r["tp_ratio"], r["tp_sig"]), r["tp_test"],
             units.duration_us(r["p99"][0]), units.duration_us(r["p99"][1]),
             _fmt_ratio(r["p99_ratio"], r["p99_sig"]), r["p99_test"],
             _fmt_overlap(r.get("p99_overlap"))] for r in rows]
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body)]
    right = {3, 4, 5, 6, 8, 9, 10}
    lines = []
    for row in [head] + body:
        lines.append("  ".join(str(c).rjust(w) if i in right else str(c).ljust(w)
                               for i, (c, w) in enumerate(zip(row, widths))).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _label_panel(ax, single, order, labels, arrival, ys_all, metric, workload, at):
    """Axes, ticks and labels of one overlay panel: a category axis of the
    models when every configuration has one load (`at` names it), else the
    load on a log axis; the metric on a log axis."""
    if single:
        ax.set_xticks(range(len(order)))
        # Many models' names side by side overlap: slant them.
        slant = sum(len(lab) for lab in order) > 40
        ax.set_xticklabels(order, rotation=30 if slant else 0, ha="right" if slant else "center",
                           rotation_mode="anchor")
        ax.set_xlim(-0.6, len(order) - 0.4)
        ax.grid(axis="x", visible=False)
        ax.set_xlabel(at)
    else:
        style.log_axis(ax, "x")
        style.ticks_at(ax, [k[6] if arrival == "open" else k[5]
                            for ks in labels.values() for k in ks])
        ax.set_xlabel("offered rate (tasks/s)" if arrival == "open"
                      else "concurrency (tasks in flight)")
    pos = [y for y in ys_all if y and y > 0]
    if pos:
        style.log_axis(ax, "y", min(pos), max(pos) * 1.15,
                       style.fmt_ms if metric == "p99" else None)
    ax.set_title(workload, fontsize=11)
    ax.set_ylabel("throughput (tasks/s)" if metric == "throughput" else "p99 latency")


def overlay_figure(a, b, rows, metric):
    """The compare_<metric> chart as a matplotlib Figure (None without rows):
    panels per workload and arrival; x is the load, A solid with filled
    markers, B dashed with hollow ones."""
    sa, sb = samples(a), samples(b)
    registry = registry_of(a, b)
    _sort = _sorter(registry)
    panels = {}
    for r in rows:
        k = r["key"]
        panels.setdefault((k[3], k[4]), {}).setdefault(r["label"], []).append(k)
    if not panels:
        return None
    rows_, cols = style.panel_grid(len(panels), 2 if len(panels) in (2, 4) else 3)
    fig, axes = style.new_figure(rows_, cols)
    scale = 1e3 if metric == "p99" else 1.0
    bars = []

    def value(side, k):
        v = median(side[k].throughput if metric == "throughput" else side[k].p99)
        return None if v is None else v / scale

    for ax, ((workload, arrival), labels) in zip(axes.flat, panels.items()):
        ys_all = []
        order = sorted(labels, key=lambda lab: _sort(labels[lab][0])[2])
        single = all(len(labels[lab]) == 1 for lab in order)
        for i, label in enumerate(order):
            keys = sorted(labels[label], key=lambda k: k[6] if arrival == "open" else k[5])
            model, offload = keys[0][0], keys[0][1]
            c = registry.colour(model, offload)
            if single:
                # One load per model: a dumbbell per model, A -> B left to right
                # (each with its interval), with the delta.
                va, vb = value(sa, keys[0]), value(sb, keys[0])
                if va is None or vb is None:
                    continue
                xa, xb = i - 0.12, i + 0.12
                ax.plot([xa, xb], [va, vb], color=c, linewidth=1.5, label="_")
                ax.plot([xa], [va], color=c, marker=registry.marker(model), markersize=8,
                        linestyle="none", label=label)
                ax.plot([xb], [vb], color=c, marker=registry.marker(model), markersize=8,
                        markerfacecolor="none", mew=1.8, linestyle="none", label="_")
                for x, side in ((xa, sa), (xb, sb)):
                    bar = _bar(ax, x, side[keys[0]], metric, c)
                    if bar:
                        bars.append(bar)
                        ys_all += _bar_ys(bar)
                ax.annotate("%+.1f%%" % ((vb / va - 1) * 100), (i, max(va, vb)),
                            xytext=(0, 8), textcoords="offset points", ha="center",
                            fontsize=9)
                ys_all += [va, vb]
                continue
            xs = [k[6] if arrival == "open" else k[5] for k in keys]
            for j, (side, ls, face, name) in enumerate(((sa, "-", c, "A"),
                                                        (sb, "--", "none", "B"))):
                pts = [(x, value(side, k), k) for x, k in zip(xs, keys) if value(side, k)]
                if not pts:
                    continue
                # A a little left of the load, B a little right: their bars apart.
                px = [style.dodge(p[0], j, 2, 1.06) for p in pts]
                ax.plot(px, [p[1] for p in pts], color=c, linestyle=ls,
                        marker=registry.marker(model), markerfacecolor=face,
                        label=label if name == "A" else "_" + label)
                for x, p in zip(px, pts):
                    bar = _bar(ax, x, side[p[2]], metric, c)
                    if bar:
                        bars.append(bar)
                        ys_all += _bar_ys(bar)
                ys_all += [p[1] for p in pts]
        at = "at %s" % describe(labels[order[0]][0], registry)[2] if single else ""
        _label_panel(ax, single, order, labels, arrival, ys_all, metric, workload, at)
    style.hide_unused(axes, len(panels))
    title = ("Throughput" if metric == "throughput" else "p99 latency") + ": A against B"
    sub = "A = %s (%s)   B = %s (%s)" % (a.run_id, a.context.get("cpu_model") or "?", b.run_id,
                                         b.context.get("cpu_model") or "?")
    note, legend = _interval_note(metric, bars)
    style.finish(fig, title, sub + "\n" + note)
    extra = [(Line2D([], [], color="#333333", marker="o"), "A: " + a.run_id),
             (Line2D([], [], color="#333333", linestyle="--", marker="o",
                     markerfacecolor="none"), "B: " + b.run_id)] + legend
    style.figure_legend(fig, list(axes.flat), extra=extra)
    return fig


def overlay(a, b, rows, outdir, metric):
    """Write compare_<metric>.png/.svg into outdir; returns their paths."""
    fig = overlay_figure(a, b, rows, metric)
    return style.save(fig, outdir, "compare_" + metric) if fig is not None else []


LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def letter(i):
    return LETTERS[i] if i < len(LETTERS) else "F%d" % (i + 1)


def compare_many(files, alpha=0.05):
    """Rows for the configurations of the first file found in at least one
    other, each with per-file lists (None where a file lacks it): n, median
    throughput and p99, and against the first file their ratios and U tests;
    plus the first file's configurations found in no other."""
    sides = [samples(f) for f in files]
    registry = files[0].registry
    for f in files[1:]:
        registry = registry.merged(f.registry)
    _sort = _sorter(registry)
    first = sides[0]
    common = sorted((k for k in first if any(k in s for s in sides[1:])), key=_sort)
    rows = []
    for k in common:
        label, workload, load_ = describe(k, registry)
        row = {"key": k, "label": label, "workload": workload, "load": load_,
               "n": [], "tp": [], "tp_ratio": [], "tp_test": [], "tp_sig": [],
               "p99": [], "p99_ratio": [], "p99_test": [], "p99_sig": [],
               "tp_samples": [s[k].throughput if k in s else None for s in sides],
               "p99_samples": [s[k].p99 if k in s else None for s in sides]}
        x = first[k]
        tpa, pa = median(x.throughput), median(x.p99)
        for i, s in enumerate(sides):
            y = s.get(k)
            if y is None:
                for field in ("n", "tp", "tp_ratio", "tp_test", "tp_sig", "p99", "p99_ratio",
                              "p99_test", "p99_sig"):
                    row[field].append(None)
                continue
            tpb, pb = median(y.throughput), median(y.p99)
            row["n"].append(y.n)
            row["tp"].append(tpb)
            row["p99"].append(pb)
            if i == 0:
                for field in ("tp_ratio", "tp_test", "tp_sig", "p99_ratio", "p99_test",
                              "p99_sig"):
                    row[field].append(None)
                continue
            tp_test, tp_sig = stats.utest(x.throughput, y.throughput, alpha)
            p_test, p_sig = stats.utest(x.p99, y.p99, alpha)
            row["tp_ratio"].append(tpb / tpa if tpa and tpb is not None else None)
            row["tp_test"].append(tp_test)
            row["tp_sig"].append(tp_sig)
            row["p99_ratio"].append(pb / pa if pa and pb is not None else None)
            row["p99_test"].append(p_test)
            row["p99_sig"].append(p_sig)
        rows.append(row)
    only_first = sorted((k for k in first if all(k not in s for s in sides[1:])), key=_sort)
    return rows, only_first, registry


def pairs_of(rows):
    """Two-file rows (compare()) in compare_many()'s per-file layout."""
    out = []
    for r in rows:
        q = dict(r)
        q["n"] = list(r["n"])
        q["tp"], q["p99"] = list(r["tp"]), list(r["p99"])
        q["tp_samples"], q["p99_samples"] = list(r["tp_samples"]), list(r["p99_samples"])
        for field in ("tp_ratio", "tp_test", "tp_sig", "p99_ratio", "p99_test", "p99_sig"):
            q[field] = [None, r[field]]
        out.append(q)
    return out


def beyond_noise(a, b, worse, alpha=0.05):
    """(True when b's samples are worse than a's beyond their noise, why).

    The Mann-Whitney U test decides where it can: both sides have enough
    samples that fully separated ones would reach alpha (4 a side at 0.05; at
    3 a side the smallest two-sided p is 0.081). With fewer, the change is
    beyond noise when every sample of b is worse than every sample of a. With
    one sample a side the noise is unknown, and the change counts as it is."""
    a = [v for v in a or [] if v is not None]
    b = [v for v in b or [] if v is not None]
    if not a or not b:
        return False, "no samples"
    if len(a) == 1 and len(b) == 1:
        return True, "single runs: noise unknown"
    if len(a) >= stats.MIN_SAMPLES and len(b) >= stats.MIN_SAMPLES:
        _, p_min = stats.mann_whitney_u(list(range(len(a))),
                                        list(range(len(a), len(a) + len(b))))
        if p_min < alpha:
            _, p = stats.mann_whitney_u(a, b)
            return p < alpha, "p=%.3g" % p
    separated = all(worse(y, x) for x in a for y in b)
    return separated, ("every repetition worse, %d against %d, too few for the U test"
                       % (len(b), len(a)) if separated else "repetitions overlap")


def regressions(rows, pct, alpha=0.05):
    """(row, file index, what) for each configuration and file that regressed
    by more than pct% against the first file beyond noise (beyond_noise()):
    throughput down, or p99 up, by more than pct% of the first file's."""
    out = []
    for r in rows:
        for i in range(1, len(r["tp"])):
            reasons = []
            tr = r["tp_ratio"][i]
            if tr is not None and tr < 1 - pct / 100.0:
                ok, why = beyond_noise(r["tp_samples"][0], r["tp_samples"][i],
                                       lambda y, x: y < x, alpha)
                if ok:
                    reasons.append("tasks/s %+.1f%% (%s)" % ((tr - 1) * 100, why))
            pr = r["p99_ratio"][i]
            if pr is not None and pr > 1 + pct / 100.0:
                ok, why = beyond_noise(r["p99_samples"][0], r["p99_samples"][i],
                                       lambda y, x: y > x, alpha)
                if ok:
                    reasons.append("p99 %+.1f%% (%s)" % ((pr - 1) * 100, why))
            if reasons:
                out.append((r, i, ", ".join(reasons)))
    return out


def tables_many(rows, files):
    """A table per configuration: each file's throughput and p99 against the first."""
    blocks = []
    for r in rows:
        head = ["file", "host", "n", "tasks/s", "delta", "U test", "p99", "delta", "U test"]
        body = []
        for i, f in enumerate(files):
            if r["tp"][i] is None and r["p99"][i] is None and r["n"][i] is None:
                body.append([letter(i), f.context.get("host") or "?", "-", "-", "", "", "-", "",
                             ""])
                continue
            first = i == 0
            body.append([letter(i), f.context.get("host") or "?", str(r["n"][i]),
                         units.rate(r["tp"][i]),
                         "" if first else _fmt_ratio(r["tp_ratio"][i], r["tp_sig"][i]),
                         "" if first else r["tp_test"][i],
                         units.duration_us(r["p99"][i]),
                         "" if first else _fmt_ratio(r["p99_ratio"][i], r["p99_sig"][i]),
                         "" if first else r["p99_test"][i]])
        widths = [max(len(str(x)) for x in col) for col in zip(head, *body)]
        right = {2, 3, 4, 6, 7}
        lines = ["%s  %s  %s" % (r["label"], r["workload"], r["load"])]
        for row in [head] + body:
            lines.append("  " + "  ".join(str(c).rjust(w) if j in right else str(c).ljust(w)
                                          for j, (c, w) in enumerate(zip(row, widths))).rstrip())
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def overlay_figure_many(files, rows, metric, registry):
    """The compare_<metric> chart for three files or more: panels per workload
    and arrival; one series per file (the first solid with filled markers, the
    others each in a line style of its own, hollow)."""
    sides = [samples(f) for f in files]
    _sort = _sorter(registry)
    panels = {}
    for r in rows:
        k = r["key"]
        panels.setdefault((k[3], k[4]), {}).setdefault(r["label"], []).append(k)
    if not panels:
        return None
    styles = ["-", "--", ":", "-."]
    rows_, cols = style.panel_grid(len(panels), 2 if len(panels) in (2, 4) else 3)
    fig, axes = style.new_figure(rows_, cols)
    scale = 1e3 if metric == "p99" else 1.0
    bars = []

    def value(side, k):
        if k not in side:
            return None
        v = median(side[k].throughput if metric == "throughput" else side[k].p99)
        return None if v is None else v / scale

    n = len(files)
    for ax, ((workload, arrival), labels) in zip(axes.flat, panels.items()):
        ys_all = []
        order = sorted(labels, key=lambda lab: _sort(labels[lab][0])[2])
        single = all(len(labels[lab]) == 1 for lab in order)
        for i, label in enumerate(order):
            keys = sorted(labels[label], key=lambda k: k[6] if arrival == "open" else k[5])
            model, offload = keys[0][0], keys[0][1]
            c = registry.colour(model, offload)
            if single:
                # One load per model: the files side by side, joined.
                xs = [i + (j - (n - 1) / 2.0) * 0.6 / max(n - 1, 1) for j in range(n)]
                vs = [value(s, keys[0]) for s in sides]
                pts = [(x, v) for x, v in zip(xs, vs) if v]
                ax.plot([p[0] for p in pts], [p[1] for p in pts], color=c, linewidth=1.2,
                        label="_")
                for j, (x, v) in enumerate(zip(xs, vs)):
                    if not v:
                        continue
                    ax.plot([x], [v], color=c, marker=registry.marker(model), markersize=8,
                            markerfacecolor=c if j == 0 else "none", mew=1.8, linestyle="none",
                            label=label if j == 0 else "_")
                    bar = _bar(ax, x, sides[j].get(keys[0]), metric, c)
                    if bar:
                        bars.append(bar)
                        ys_all += _bar_ys(bar)
                    ys_all.append(v)
                continue
            xs = [k[6] if arrival == "open" else k[5] for k in keys]
            for j, side in enumerate(sides):
                pts = [(x, value(side, k), k) for x, k in zip(xs, keys) if value(side, k)]
                if not pts:
                    continue
                # Each file a little to the side of the load: their bars apart.
                px = [style.dodge(p[0], j, n, 1.06) for p in pts]
                ax.plot(px, [p[1] for p in pts], color=c,
                        linestyle=styles[j % len(styles)], marker=registry.marker(model),
                        markerfacecolor=c if j == 0 else "none",
                        label=label if j == 0 else "_" + label)
                for x, p in zip(px, pts):
                    bar = _bar(ax, x, side[p[2]], metric, c)
                    if bar:
                        bars.append(bar)
                        ys_all += _bar_ys(bar)
                ys_all += [p[1] for p in pts]
        at = ("at %s (%s left to right)" % (describe(labels[order[0]][0], registry)[2],
                                            ", ".join(letter(j) for j in range(n)))
              if single else "")
        _label_panel(ax, single, order, labels, arrival, ys_all, metric, workload, at)
    style.hide_unused(axes, len(panels))
    title = (("Throughput" if metric == "throughput" else "p99 latency") + ": "
             + " against ".join(letter(j) for j in range(n)))
    sub = "   ".join("%s = %s (%s)" % (letter(j), f.run_id, f.context.get("host") or "?")
                     for j, f in enumerate(files))
    note, legend = _interval_note(metric, bars)
    style.finish(fig, title, sub + "\n" + note)
    extra = [(Line2D([], [], color="#333333", linestyle=styles[j % len(styles)], marker="o",
                     markerfacecolor="#333333" if j == 0 else "none"),
              "%s: %s" % (letter(j), f.run_id)) for j, f in enumerate(files)] + legend
    style.figure_legend(fig, list(axes.flat), extra=extra)
    return fig


def report_many(files, rows, pct, charts, alpha=0.05):
    """compare.md and compare.html (a ccplot Doc): the charts, then a section
    per file (its host, machine and build, and each configuration's numbers
    against the first file). `charts`: the PNG paths drawn."""
    doc = Doc("Comparing %d results files" % len(files))
    doc.p("Each file against the first (A). A change marked * is significant at alpha %g "
          "(Mann-Whitney U, two-sided, at the files' repetitions)." % alpha)
    for path in charts:
        doc.image(path, os.path.splitext(os.path.basename(path))[0])
    bad = regressions(rows, pct, alpha) if pct is not None else []
    for i, f in enumerate(files):
        ctx = f.context
        doc.h2("%s: %s" % (letter(i), ctx.get("host") or "an unknown host"))
        doc.ul(["file: `%s` (run %s, started %s)" % (f.path, f.run_id,
                                                     ctx.get("started_at") or "?"),
                "machine: %s, %s cores, %s" % (ctx.get("cpu_model") or "?",
                                               ctx.get("cores") or "?", ctx.get("kernel") or "?"),
                "build: %s %s, git %s" % (ctx.get("compiler") or "?",
                                          ctx.get("build_type") or "?", ctx.get("git") or "?")])
        body = []
        for r in rows:
            if r["n"][i] is None:
                continue
            cells = [r["label"], r["workload"], r["load"], str(r["n"][i]), units.rate(r["tp"][i]),
                     units.duration_us(r["p99"][i])]
            if i > 0:
                cells[4:5] = [units.rate(r["tp"][i]), _fmt_ratio(r["tp_ratio"][i],
                                                                 r["tp_sig"][i])]
                cells.append(_fmt_ratio(r["p99_ratio"][i], r["p99_sig"][i]))
            body.append(cells)
        if i == 0:
            doc.table(["model", "workload", "load", "n", "tasks/s", "p99"], body, "lllrrr")
        else:
            doc.table(["model", "workload", "load", "n", "tasks/s", "against A", "p99",
                       "against A"], body, "lllrrrrr")
            if pct is not None:
                mine = [x for x in bad if x[1] == i]
                doc.p("Regressions above %g%% against A beyond noise: %s." % (
                    pct, "; ".join("%s %s %s: %s" % (r["label"], r["workload"], r["load"], w)
                                   for r, _, w in mine) or "none"))
    return doc


def print_regressions(rows, pct, files, alpha=0.05):
    """Says which configurations regressed above pct%; True when any did."""
    bad = regressions(rows, pct, alpha)
    if not bad:
        print("--fail-above %g: no configuration regressed by more than %g%% against A "
              "beyond noise." % (pct, pct))
        return False
    print("--fail-above %g: %d regression%s by more than %g%% against A beyond noise:"
          % (pct, len(bad), "" if len(bad) == 1 else "s", pct))
    for r, i, what in bad:
        print("  %s (%s): %s %s %s: %s" % (letter(i), files[i].path, r["label"], r["workload"],
                                          r["load"], what))
    return True


def main_many(files, args):
    """Three files or more."""
    rows, only_first, registry = compare_many(files, args.alpha)
    for i, f in enumerate(files):
        print("%s: %s  (%s, %s, %s)" % (letter(i), f.path, f.run_id,
                                        f.context.get("host") or "?",
                                        f.context.get("cpu_model") or "?"))
    if not rows:
        print("plot: compare: no configuration of A appears in another file (same model, "
              "offload, threads, workload, arrival, concurrency and rate)", file=sys.stderr)
        return 1
    print()
    print(tables_many(rows, files))
    print()
    print("delta: each file against A.  * = significant at alpha %g (Mann-Whitney U, "
          "two-sided); 'n too small' = fewer than %d samples on a side (use --repetitions)."
          % (args.alpha, stats.MIN_SAMPLES))
    if only_first:
        print("only in A: %s" % "; ".join(" ".join(describe(k, registry)) for k in only_first))
    regressed = False
    if args.fail_above is not None:
        regressed = print_regressions(rows, args.fail_above, files, args.alpha)
    if args.out:
        try:
            charts = []
            for metric in ("throughput", "p99"):
                fig = overlay_figure_many(files, rows, metric, registry)
                if fig is None:
                    continue
                for path in style.save(fig, args.out, "compare_" + metric):
                    print(path)
                charts.append(os.path.join(args.out, "compare_%s.png" % metric))
            doc = report_many(files, rows, args.fail_above, charts, args.alpha)
            for name, body in (("compare.md", doc.markdown(args.out)),
                               ("compare.html", doc.html())):
                path = os.path.join(args.out, name)
                with open(path + ".tmp", "w", encoding="utf-8") as f:
                    f.write(body)
                os.replace(path + ".tmp", path)
                print(path)
        except OSError as e:
            return fail("cannot write %s: %s" % (args.out, e))
    return 1 if regressed else 0


def main(argv=None):
    p = argparse.ArgumentParser(prog="plot/compare.py", description=__doc__)
    p.add_argument("a", help="results A: a run directory or results.json (the baseline)")
    p.add_argument("b", help="results B: a run directory or results.json")
    p.add_argument("more", nargs="*", metavar="C",
                   help="more results files, each compared with A")
    p.add_argument("-o", "--out", metavar="OUTDIR", help="also draw overlay charts here")
    p.add_argument("--alpha", type=float, default=0.05,
                   help="significance level of the U test (default 0.05)")
    p.add_argument("--fail-above", type=float, metavar="PCT",
                   help="exit 1 when a configuration's throughput fell, or its p99 rose, by "
                        "more than PCT%% against A beyond noise (the U test significant "
                        "where repetitions allow)")
    args = p.parse_args(argv)
    if not 0 < args.alpha < 1:
        return fail("--alpha %g: expected a number between 0 and 1" % args.alpha)
    if args.fail_above is not None and not 0 <= args.fail_above < 1000:
        return fail("--fail-above %g: expected a percentage from 0 to 1000" % args.fail_above)
    try:
        a = load(args.a)
        b = load(args.b)
        more = [load(m) for m in args.more]
    except LoadError as e:
        return fail(str(e))
    if more:
        return main_many([a, b] + more, args)
    rows, only_a, only_b = compare(a, b, args.alpha)
    print("A: %s  (%s, %s)" % (a.path, a.run_id, a.context.get("cpu_model") or "?"))
    print("B: %s  (%s, %s)" % (b.path, b.run_id, b.context.get("cpu_model") or "?"))
    if not rows:
        print("plot: compare: no configuration appears in both files (same model, offload, "
              "threads, workload, arrival, concurrency and rate)", file=sys.stderr)
        return 1
    print()
    print(table(rows))
    print()
    print("delta: B against A.  * = significant at alpha %g (Mann-Whitney U, two-sided); "
          "'n too small' = fewer than %d samples on a side (use --repetitions)."
          % (args.alpha, stats.MIN_SAMPLES))
    print("p99 95% CIs: whether the two p99s' 95% intervals (order statistics, within "
          "each run) overlap; 'apart' means the difference is more than sampling noise, "
          "'overlap' that this run length cannot tell them apart.")
    faster = sum(1 for r in rows if r["tp_sig"] and r["tp_ratio"] > 1)
    slower = sum(1 for r in rows if r["tp_sig"] and r["tp_ratio"] < 1)
    print("%d configurations in both: B significantly faster in %d, slower in %d."
          % (len(rows), faster, slower))
    for name, keys in (("only in A", only_a), ("only in B", only_b)):
        if keys:
            registry = registry_of(a, b)
            print("%s: %s" % (name, "; ".join(" ".join(describe(k, registry)) for k in keys)))
    regressed = False
    if args.fail_above is not None:
        regressed = print_regressions(pairs_of(rows), args.fail_above, [a, b], args.alpha)
    if args.out:
        try:
            for metric in ("throughput", "p99"):
                for path in overlay(a, b, rows, args.out, metric):
                    print(path)
        except OSError as e:
            return fail("cannot write %s: %s" % (args.out, e))
    return 1 if regressed else 0


if __name__ == "__main__":
    sys.exit(main())
