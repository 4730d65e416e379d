#!/usr/bin/env python3
"""Throughput against concurrency (closed loop): one line per model and
offload mode, one panel per scenario."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from matplotlib import transforms  # noqa: E402

from ccplot import style  # noqa: E402
from ccplot.ranking import by_scenario, scenario_runs  # noqa: E402
from ccplot.cli import Skip, run_chart  # noqa: E402
from ccplot.load import fold  # noqa: E402

NAME = "throughput"
TITLE = "Throughput against concurrency (closed loop)"


def thread_counts(runs):
    out = {}
    for r in runs:
        out.setdefault(r.model, set()).add(r.threads)
    return out


def figure(results, args=None):
    """The chart as a matplotlib Figure (not saved); raises Skip without its data."""
    runs = scenario_runs(results)
    if not runs:
        raise Skip("no closed-loop runs in %s" % results.path)
    scen = by_scenario(runs)
    rows, cols = style.panel_grid(len(scen), 2 if len(scen) == 4 else 3)
    fig, axes = style.new_figure(rows, cols)
    counts = thread_counts(runs)
    reps = 1
    any_failed = False
    for ax, (name, rs) in zip(axes.flat, scen.items()):
        by_label = {}
        for p in fold(rs):
            by_label.setdefault(p.run.label, []).append(p)
        ys_all = []
        for label in sorted(by_label, key=lambda k: by_label[k][0].run.sort_key):
            pts = sorted(by_label[label], key=lambda p: p.run.concurrency)
            pts = [p for p in pts if p.throughput is not None]
            if not pts:
                continue
            xs = [p.run.concurrency for p in pts]
            ys = [p.throughput for p in pts]
            ys_all += ys
            kw = style.run_style(pts[0].run, counts.get(pts[0].run.model))
            ax.plot(xs, ys, **kw)
            if any(p.n > 1 for p in pts):
                reps = max(reps, max(p.n for p in pts))
                ax.fill_between(xs, [p.throughput_min for p in pts],
                                [p.throughput_max for p in pts], color=kw["color"], alpha=0.15,
                                linewidth=0)
        failed = [r for r in rs if not r.ok]
        if failed:
            any_failed = True
            # Failed runs have no trustworthy throughput: mark where they were
            # attempted, on the bottom edge.
            trans = transforms.blended_transform_factory(ax.transData, ax.transAxes)
            for r in failed:
                ax.plot([r.concurrency], [0.02], marker="x", markersize=9, mew=2.2,
                        color=style.colour(r), transform=trans,
                        clip_on=False, linestyle="none", label="_failed")
        style.log_axis(ax, "x")
        style.ticks_at(ax, [r.concurrency for r in rs])
        positive = [y for y in ys_all if y and y > 0]
        if positive and max(positive) / min(positive) > 20:
            style.log_axis(ax, "y", min(positive), max(positive))
        else:
            ax.set_ylim(bottom=0)
            ax.yaxis.set_major_formatter(
                style.ticker.FuncFormatter(lambda v, _: style.fmt_number(v)))
        workload = rs[0].workload
        ax.set_title(name if workload == name else "%s  (%s)" % (name, workload),
                     fontsize=11 if len(workload) < 34 else 9.5)
        ax.set_xlabel("concurrency (tasks in flight)")
        ax.set_ylabel("throughput (tasks/s)")
    style.hide_unused(axes, len(scen))
    extra = []
    if any_failed:
        from matplotlib.lines import Line2D
        extra.append((Line2D([], [], marker="x", color="#555555", linestyle="none",
                             markersize=8, mew=2), "failed run (on the x axis)"))
    sub = style.context_line(results)
    if reps > 1:
        sub += " - median of %d repetitions, band = min..max" % reps
    style.finish(fig, TITLE, sub)
    style.figure_legend(fig, list(axes.flat), extra=extra)
    return fig


def draw(results, outdir, args=None):
    """Write NAME.png and NAME.svg into outdir; returns their paths."""
    return style.save(figure(results, args), outdir, NAME)


def main(argv=None):
    return run_chart(NAME, __doc__, draw, argv=argv)


if __name__ == "__main__":
    sys.exit(main())
