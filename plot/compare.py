#!/usr/bin/env python3
"""Compares two results files (two hosts, or before and after a change):
a table of deltas per configuration (same model, offload, threads,
workload, arrival, concurrency and rate), with a Mann-Whitney U test where
both sides have repetitions, as Google Benchmark's compare.py does; and, with
-o, overlay charts (A solid, B dashed)."""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from matplotlib.lines import Line2D  # noqa: E402

from ccplot import stats, style, units  # noqa: E402
from ccplot.cli import fail  # noqa: E402
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
                # One load per model: a dumbbell per model, A -> B, with the delta.
                va, vb = value(sa, keys[0]), value(sb, keys[0])
                if va is None or vb is None:
                    continue
                ax.plot([i, i], [va, vb], color=c, linewidth=1.5, label="_")
                ax.plot([i], [va], color=c, marker=registry.marker(model), markersize=8,
                        linestyle="none", label=label)
                ax.plot([i], [vb], color=c, marker=registry.marker(model), markersize=8,
                        markerfacecolor="none", mew=1.8, linestyle="none", label="_")
                ax.annotate("%+.1f%%" % ((vb / va - 1) * 100), (i, max(va, vb)),
                            xytext=(0, 8), textcoords="offset points", ha="center",
                            fontsize=9)
                ys_all += [va, vb]
                continue
            xs = [k[6] if arrival == "open" else k[5] for k in keys]
            for side, ls, face, name in ((sa, "-", c, "A"), (sb, "--", "none", "B")):
                pts = [(x, value(side, k)) for x, k in zip(xs, keys) if value(side, k)]
                if not pts:
                    continue
                ax.plot([p[0] for p in pts], [p[1] for p in pts], color=c, linestyle=ls,
                        marker=registry.marker(model), markerfacecolor=face,
                        label=label if name == "A" else "_" + label)
                ys_all += [p[1] for p in pts]
        if single:
            ax.set_xticks(range(len(order)))
            ax.set_xticklabels(order)
            ax.set_xlim(-0.6, len(order) - 0.4)
            ax.grid(axis="x", visible=False)
            k0 = labels[order[0]][0]
            ax.set_xlabel("at %s" % describe(k0, registry)[2])
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
    style.hide_unused(axes, len(panels))
    title = ("Throughput" if metric == "throughput" else "p99 latency") + ": A against B"
    sub = "A = %s (%s)   B = %s (%s)" % (a.run_id, a.context.get("cpu_model") or "?", b.run_id,
                                         b.context.get("cpu_model") or "?")
    style.finish(fig, title, sub)
    extra = [(Line2D([], [], color="#333333", marker="o"), "A: " + a.run_id),
             (Line2D([], [], color="#333333", linestyle="--", marker="o",
                     markerfacecolor="none"), "B: " + b.run_id)]
    style.figure_legend(fig, list(axes.flat), extra=extra)
    return fig


def overlay(a, b, rows, outdir, metric):
    """Write compare_<metric>.png/.svg into outdir; returns their paths."""
    fig = overlay_figure(a, b, rows, metric)
    return style.save(fig, outdir, "compare_" + metric) if fig is not None else []


def main(argv=None):
    p = argparse.ArgumentParser(prog="plot/compare.py", description=__doc__)
    p.add_argument("a", help="results A: a run directory or results.json (the baseline)")
    p.add_argument("b", help="results B: a run directory or results.json")
    p.add_argument("-o", "--out", metavar="OUTDIR", help="also draw overlay charts here")
    p.add_argument("--alpha", type=float, default=0.05,
                   help="significance level of the U test (default 0.05)")
    args = p.parse_args(argv)
    if not 0 < args.alpha < 1:
        return fail("--alpha %g: expected a number between 0 and 1" % args.alpha)
    try:
        a = load(args.a)
        b = load(args.b)
    except LoadError as e:
        return fail(str(e))
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
    if args.out:
        try:
            for metric in ("throughput", "p99"):
                for path in overlay(a, b, rows, args.out, metric):
                    print(path)
        except OSError as e:
            return fail("cannot write %s: %s" % (args.out, e))
    return 0


if __name__ == "__main__":
    sys.exit(main())
