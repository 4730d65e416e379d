#!/usr/bin/env python3
"""The latency hockey stick (open loop): p50, p99 and p99.9 against the
offered rate, one panel per model, with the saturation point marked."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from ccplot import style, units  # noqa: E402
from ccplot.ranking import by_scenario  # noqa: E402
from ccplot.saturation import (SATURATION_ACHIEVED, SATURATION_P99_JUMP,  # noqa: E402
                               saturation_index)
from ccplot.cli import Skip, run_chart  # noqa: E402
from ccplot.load import fold  # noqa: E402

NAME = "hockey"
TITLE = "Latency against offered load (open loop)"
PERCENTILES = (("p50", ":", "p50"), ("p99", "-", "p99"), ("p999", "--", "p99.9"))


def hockey_runs(results):
    """The "hockey" group; in files without groups, every open-loop run."""
    if results.has_groups:
        return results.in_group("hockey")
    return [r for r in results.runs if r.open_loop]


def curve(runs):
    """Sorted points of one label: [(rate, Point)], failed rates, saturation rate."""
    pts = sorted((p for p in fold(runs) if p.run.rate), key=lambda p: p.run.rate)
    failed = sorted({r.rate for r in runs if not r.ok and r.rate})
    sat_i = saturation_index([
        (p.median_of(lambda r: r.offered), p.throughput, p.p99) for p in pts])
    sat = pts[sat_i].run.rate if sat_i is not None else None
    why = None
    if sat_i is not None:
        p = pts[sat_i]
        off = p.median_of(lambda r: r.offered)
        if off and p.throughput is not None and p.throughput < SATURATION_ACHIEVED * off:
            why = "completes %s of %s offered" % (units.percent(p.throughput / off),
                                                  units.rate(off))
        else:
            why = "p99 jumps to %s" % units.duration_us(p.p99)
    if failed and (sat is None or failed[0] < sat):
        sat, why = failed[0], "runs fail from here"
    return pts, failed, sat, why


def p99_error_bars(ax, pts, colour):
    """Each point's p99 95% interval as an error bar (repetitions: the
    envelope of theirs); a side too few samples bound is drawn dotted, to 3x
    (or a third of) the p99. True when any bar was drawn."""
    drawn = False
    for p in pts:
        y, ci = p.p99, p.latency_ci("p99")
        if not y or ci is None:
            continue
        style.interval_bar(ax, p.run.rate, y, ci, colour)
        drawn = True
    return drawn


def figure(results, args=None):
    """The chart as a matplotlib Figure (not saved); raises Skip without its data."""
    runs = hockey_runs(results)
    if not runs:
        raise Skip("no open-loop runs (group \"hockey\") in %s" % results.path)
    scen = by_scenario(runs)
    panels = []
    for name, rs in scen.items():
        by_label = {}
        for r in rs:
            by_label.setdefault(r.label, []).append(r)
        for label in sorted(by_label, key=lambda k: by_label[k][0].sort_key):
            panels.append((name, label, by_label[label]))
    rows, cols = style.panel_grid(len(panels), 2 if len(panels) in (2, 4) else 3)
    fig, axes = style.new_figure(rows, cols, w=4.3 * cols, h=3.6 * rows, sharex=True,
                                 sharey=True)
    lo, hi = [], []
    any_ci = False
    for ax, (name, label, rs) in zip(axes.flat, panels):
        pts, failed, sat, why = curve(rs)
        c = style.colour(rs[0])
        for key, ls, text in PERCENTILES:
            xs = [p.run.rate for p in pts if p.median_of(lambda r: r.latency(key))]
            ys = [p.median_of(lambda r: r.latency(key)) / 1e3 for p in pts
                  if p.median_of(lambda r: r.latency(key))]
            ax.plot(xs, ys, color=c, linestyle=ls, marker=style.marker(rs[0]),
                    markersize=3.5 if key != "p99" else 5, label=text)
            lo += ys
            hi += ys
            if key == "p99":
                any_ci |= p99_error_bars(ax, pts, c)
        if sat is not None:
            ax.axvline(sat, color="#333333", linewidth=1.2, linestyle=(0, (4, 2)), zorder=1)
            ax.axvspan(sat, max(p.run.rate for p in pts) * 10 if pts else sat * 10,
                       color="#999999", alpha=0.12, zorder=0)
            ax.text(0.03, 0.97, "saturates at %s/s\n(%s)" % (units.rate(sat), why),
                    transform=ax.transAxes, ha="left", va="top", fontsize=8.5,
                    bbox=dict(boxstyle="round,pad=0.3", fc="white", ec="#bbbbbb", alpha=0.9))
        else:
            ax.text(0.03, 0.97, "no saturation up to %s/s" % units.rate(
                pts[-1].run.rate if pts else 0), transform=ax.transAxes, ha="left", va="top",
                fontsize=8.5, bbox=dict(boxstyle="round,pad=0.3", fc="white", ec="#bbbbbb",
                                        alpha=0.9))
        for f in failed:
            ax.plot([f], [0.96], marker="x", color=c, markersize=9, mew=2.2, clip_on=False,
                    transform=ax.get_xaxis_transform(), linestyle="none")
        title = label if len(scen) == 1 else "%s: %s" % (name, label)
        ax.set_title(title, color=c)
    all_rates = [r.rate for r in runs if r.rate]
    first = axes.flat[0]
    style.log_axis(first, "x", min(all_rates), max(all_rates))
    pos = [v for v in lo if v > 0]
    style.log_axis(first, "y", min(pos) if pos else None, max(pos) if pos else None,
                   style.fmt_ms)
    if all_rates:
        first.set_xlim(min(all_rates) / 1.3, max(all_rates) * 1.3)
    if pos:
        # Headroom for the saturation note in the top-left corner.
        first.set_ylim(min(pos) / 1.5, max(pos) * 6)
    for i, ax in enumerate(axes.flat[:len(panels)]):
        if i % cols == 0:
            ax.set_ylabel("latency from intended start")
        if i >= len(panels) - cols:
            ax.set_xlabel("offered rate (tasks/s)")
            ax.xaxis.set_tick_params(labelbottom=True)
    style.hide_unused(axes, len(panels))
    scen_text = ", ".join("%s (%s)" % (n, rs[0].workload) if n != rs[0].workload else n
                          for n, rs in scen.items())
    sub = "%s - %s" % (scen_text, style.context_line(results))
    style.finish(fig, TITLE, sub)
    extra = [(Line2D([], [], color="#333333", linestyle=ls), text)
             for _, ls, text in PERCENTILES]
    extra.append((Patch(facecolor="#999999", alpha=0.3, edgecolor="#333333"),
                  "saturated: achieved < %.0f%% of offered,\nor p99 > %gx its low-load value"
                  % (SATURATION_ACHIEVED * 100, SATURATION_P99_JUMP)))
    if any_ci:
        extra += style.interval_legend("p99's 95% interval")
    if any(not r.ok for r in runs):
        extra.append((Line2D([], [], marker="x", color="#333333", linestyle="none",
                             markersize=8, mew=2), "failed run"))
    fig.legend([h for h, _ in extra], [t for _, t in extra], loc="upper center",
               bbox_to_anchor=(0.5, 0.0), ncol=len(extra), frameon=False)
    return fig


def draw(results, outdir, args=None):
    """Write NAME.png and NAME.svg into outdir; returns their paths."""
    return style.save(figure(results, args), outdir, NAME)


def main(argv=None):
    return run_chart(NAME, __doc__, draw, argv=argv)


if __name__ == "__main__":
    sys.exit(main())
