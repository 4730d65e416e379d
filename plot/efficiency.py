#!/usr/bin/env python3
"""CPU efficiency and memory per model (closed loop): tasks completed per
CPU-second at each model's best throughput (the window's own CPU where the
file has it), and the peak memory each extra task in flight adds (from the
lowest concurrency to the highest; worker processes' PSS included where
recorded), grouped by scenario."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from ccplot import style, text, units  # noqa: E402
from ccplot.efficiency import cpu_basis, efficiency_rows  # noqa: E402
from ccplot.ranking import scenario_runs  # noqa: E402
from ccplot.cli import Skip, run_chart  # noqa: E402

NAME = "efficiency"
TITLE = "CPU efficiency and memory per task in flight (closed loop)"


def _bars(ax, rows, scenarios, labels, value, fmt, hatch_offload=True, interval=None):
    """Grouped bars of value(row) per scenario and label; with interval(row)
    -> (low, high) or None, each bar's 95% interval as an error bar. Returns
    the values drawn and whether any interval was."""
    n = len(labels)
    any_ci = False
    width = 0.8 / max(n, 1)
    vals = []
    for k, label in enumerate(labels):
        xs, ys, cols = [], [], []
        for i, scen in enumerate(scenarios):
            row = rows.get((scen, label))
            v = value(row) if row else None
            if v is None or v <= 0:
                continue
            xs.append(i - 0.4 + width * (k + 0.5))
            ys.append(v)
            cols.append(row)
        if not xs:
            continue
        r0 = cols[0].run
        c = style.colour(r0)
        ax.bar(xs, ys, width=width * 0.92, color=c, label=label,
               hatch="//" if hatch_offload and r0.offload != "none" else None,
               edgecolor="white" if r0.offload == "none" else c, linewidth=0.6,
               facecolor=c if r0.offload == "none" else "white")
        for x, y, row in zip(xs, ys, cols):
            ci = interval(row) if interval else None
            top = y
            if ci is not None:
                # A low side at or below zero has no place on the log axis:
                # drawn open-ended, as an unbounded one.
                lo, hi = (ci[0] if ci[0] > 0 else None), ci[1]
                style.interval_bar(ax, x, y, (lo, hi), "#333333", scale=1.0, zorder=4)
                any_ci = True
                top = max(y, hi)
            ax.text(x, top * 1.08, fmt(y), ha="center", va="bottom", rotation=90,
                    fontsize=7.5 if n > 4 else 8.5, color="#333333")
        vals += ys
    ax.set_xticks(range(len(scenarios)))
    ax.set_xticklabels(scenarios)
    ax.grid(axis="x", visible=False)
    ax.set_xlim(-0.55, len(scenarios) - 0.45)
    return vals, any_ci


def figure(results, args=None):
    """The chart as a matplotlib Figure (not saved); raises Skip without its data."""
    runs = scenario_runs(results)
    rows_list = efficiency_rows(runs)
    rows_list = [r for r in rows_list if r.tasks_per_cpu_s or r.rss_per_task_bytes]
    if not rows_list:
        raise Skip("no closed-loop runs with cpu_s and rss_peak_kb")
    scenarios = list(dict.fromkeys(r.scenario for r in rows_list))
    label_runs = {}
    for r in rows_list:
        label_runs.setdefault(r.label, r.run)
    labels = sorted(label_runs, key=lambda k: label_runs[k].sort_key)
    rows = {(r.scenario, r.label): r for r in rows_list}
    w = max(9.5, 1.0 + len(scenarios) * (0.3 * len(labels) + 0.5))
    fig, axes = style.new_figure(2, 1, w=min(w, 15), h=8.6)
    ax1, ax2 = axes[0][0], axes[1][0]
    v1, any_ci = _bars(ax1, rows, scenarios, labels, lambda r: r.tasks_per_cpu_s,
                       lambda v: style.fmt_number(float("%.3g" % v)),
                       interval=lambda r: r.tasks_per_cpu_s_ci)
    ax1.set_ylabel("tasks per CPU-second (user + sys)")
    ax1.set_title("CPU efficiency: tasks per CPU-second at each model's best throughput",
                  fontsize=11)
    his = "/".join(str(c) for c in sorted({r.rss_concurrency for r in rows_list}))
    if any(r.rss_per_extra_task_bytes for r in rows_list):
        # The slope: the baseline of the process (libraries, the histograms)
        # cancels out, leaving what a task in flight costs.
        v2, _ = _bars(ax2, rows, scenarios, labels,
                      lambda r: r.rss_per_extra_task_bytes, units.bytes_)
        los = "/".join(str(c) for c in sorted({r.rss_concurrency_from for r in rows_list}))
        ax2.set_ylabel("peak RSS growth / extra tasks")
        ax2.set_title("Memory per extra task in flight: peak RSS from concurrency %s to %s"
                      % (los, his), fontsize=11)
        memory_note = ("memory: (peak RSS at the highest concurrency - at the lowest) / the "
                       "extra tasks; no bar where it did not grow")
    else:
        v2, _ = _bars(ax2, rows, scenarios, labels,
                      lambda r: r.rss_per_task_bytes, units.bytes_)
        ax2.set_ylabel("peak RSS / tasks in flight")
        ax2.set_title("Memory per task in flight at concurrency %s" % his, fontsize=11)
        memory_note = ("peak RSS includes the process's baseline, so it overstates the "
                       "per-task cost at low concurrency")
    if v1:
        style.log_axis(ax1, "y", min(v1), max(v1))
        lo, hi = ax1.get_ylim()
        # Room above the tallest bar for its rotated value label.
        ax1.set_ylim(lo, hi * 12)
    if v2:
        # Memory reads best in powers of two: 16 KiB, 32 KiB, 64 KiB.
        lo, hi = min(v2) / 1.6, max(v2) * 5
        base = 2 if hi / lo < 2 ** 9 else 4
        ax2.set_yscale("log", base=base)
        ax2.yaxis.set_major_locator(style.ticker.LogLocator(base=base))
        ax2.yaxis.set_minor_locator(style.ticker.NullLocator())
        ax2.yaxis.set_major_formatter(style.ticker.FuncFormatter(lambda v, _: units.bytes_(v)))
        ax2.set_ylim(lo, hi)
    ax2.set_xlabel("scenario")
    with_pss = [lab for lab in labels if any(r.workers_pss for r in rows_list if r.label == lab)]
    if with_pss:
        memory_note += "; " + text.workers_pss(with_pss)
    sure = ("tasks per CPU-second: median of the repetitions, bar = its 95% interval"
            if any_ci else "tasks per CPU-second: one run each, no interval (FULL=1 repeats)")
    sub = (text.cpu_basis(cpu_basis(rows_list)) + "; " + memory_note + "\n" + sure + " - "
           + style.context_line(results))
    style.finish(fig, TITLE, sub)
    style.figure_legend(fig, [ax1, ax2],
                        extra=style.interval_legend("95% interval")[:1] if any_ci else ())
    return fig


def draw(results, outdir, args=None):
    """Write NAME.png and NAME.svg into outdir; returns their paths."""
    return style.save(figure(results, args), outdir, NAME)


def main(argv=None):
    return run_chart(NAME, __doc__, draw, argv=argv)


if __name__ == "__main__":
    sys.exit(main())
