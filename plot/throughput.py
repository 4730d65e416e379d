#!/usr/bin/env python3
"""Throughput against concurrency (closed loop): one line per model and
offload mode, one panel per scenario; under each, the p99 latency at the same
points with its 95% interval as error bars."""

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


def p99_panel(ax, by_label, order, counts):
    """The p99 of each label's points against concurrency, with its 95%
    interval as an error bar (over repetitions, the envelope of theirs); the
    labels dodged a little sideways so that their bars stay apart. Returns
    (the p99s drawn in ms, whether any bar was drawn, whether any side was
    unbounded)."""
    ys_all, any_ci, any_open = [], False, False
    for k, label in enumerate(order):
        pts = [p for p in sorted(by_label[label], key=lambda p: p.run.concurrency) if p.p99]
        if not pts:
            continue
        xs = [style.dodge(p.run.concurrency, k, len(order)) for p in pts]
        kw = style.run_style(pts[0].run, counts.get(pts[0].run.model))
        kw.update(label="_" + label, markersize=4.5 if "markersize" not in kw else 6,
                  linewidth=1.2)
        ax.plot(xs, [p.p99 / 1e3 for p in pts], **kw)
        ys_all += [p.p99 / 1e3 for p in pts]
        for x, p in zip(xs, pts):
            ci = p.latency_ci("p99")
            if ci is None:
                continue
            bar = style.interval_bar(ax, x, p.p99, ci, kw["color"])
            any_ci = True
            any_open |= bool(bar["open"])
            ys_all += [v / 1e3 for v in ci if v is not None]
    return ys_all, any_ci, any_open


def figure(results, args=None):
    """The chart as a matplotlib Figure (not saved); raises Skip without its data."""
    runs = scenario_runs(results)
    if not runs:
        raise Skip("no closed-loop runs in %s" % results.path)
    scen = by_scenario(runs)
    rows, cols = style.panel_grid(len(scen), 2 if len(scen) == 4 else 3)
    # Each scenario is a pair of panels sharing the concurrency axis:
    # throughput above, the p99 with its interval below.
    fig, axes, lat_axes = style.paired_figure(rows, cols)
    counts = thread_counts(runs)
    reps = 1
    any_failed = False
    any_ci = any_open = False
    for ax, lat, (name, rs) in zip(axes.flat, lat_axes.flat, scen.items()):
        by_label = {}
        for p in fold(rs):
            by_label.setdefault(p.run.label, []).append(p)
        ys_all = []
        order = sorted(by_label, key=lambda k: by_label[k][0].run.sort_key)
        for label in order:
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
        ax.set_ylabel("throughput (tasks/s)")
        ax.xaxis.set_tick_params(labelbottom=False)
        lat_ys, ci, opened = p99_panel(lat, by_label, order, counts)
        any_ci |= ci
        any_open |= opened
        pos = [y for y in lat_ys if y > 0]
        style.log_axis(lat, "y", min(pos) if pos else None, max(pos) if pos else None,
                       style.fmt_ms)
        style.ticks_at(lat, [r.concurrency for r in rs])
        lat.set_xlabel("concurrency (tasks in flight)")
        lat.set_ylabel("p99 latency")
    style.hide_unused(axes, len(scen))
    style.hide_unused(lat_axes, len(scen))
    extra = []
    if any_failed:
        from matplotlib.lines import Line2D
        extra.append((Line2D([], [], marker="x", color="#555555", linestyle="none",
                             markersize=8, mew=2), "failed run (on the x axis)"))
    if any_ci:
        legend = style.interval_legend("p99's 95% interval")
        extra += legend if any_open else legend[:1]
    sub = style.context_line(results)
    if reps > 1:
        sub += " - median of %d repetitions, band = min..max" % reps
    else:
        sub += " - one run per point: throughput has no interval (FULL=1 repeats each run)"
    if any_ci:
        sub += ("\nbelow each panel: p99 with its 95%% interval (order statistics%s)"
                % (", envelope over the repetitions" if reps > 1 else ""))
    else:
        sub += "\nbelow each panel: p99 (this file records no percentile intervals)"
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
