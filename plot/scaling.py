#!/usr/bin/env python3
"""Scaling with cores (`ccbench sweep scaling`): throughput at k CPUs per
model, the Universal Scalability Law fitted to each, and ideal linear scaling
from the best one-core throughput; one panel per workload."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

from ccplot import style  # noqa: E402
from ccplot.cli import Skip, run_chart  # noqa: E402
from ccplot.scaling import scaling_lines  # noqa: E402

NAME = "scaling"
TITLE = "Throughput against cores (closed loop, every core busy)"
IDEAL = "ideal (linear from the best k = 1)"


def figure(results, args=None):
    """The chart as a matplotlib Figure (not saved); raises Skip without its data."""
    by_workload = scaling_lines(results)
    if not by_workload:
        raise Skip("no scaling runs in %s (run `ccbench sweep scaling`)" % results.path)
    rows, cols = style.panel_grid(len(by_workload), 2)
    fig, axes = style.new_figure(rows, cols)
    untrusted = set()
    for ax, (workload, lines) in zip(axes.flat, by_workload.items()):
        ks = sorted({k for ln in lines for k, _ in ln.points})
        smooth = np.linspace(1, max(ks), 100) if ks else []
        ones = [x for ln in lines for k, x in ln.points if k == 1]
        if ones and len(ks) > 1:
            best = max(ones)
            ax.plot([1, max(ks)], [best, best * max(ks)], color="#9e9e9e", linestyle=":",
                    linewidth=1.4, label=IDEAL)
        for ln in lines:
            kw = style.run_style(ln.run)
            kw["label"] = ln.label
            kw["linestyle"] = "none"
            ax.plot([k for k, _ in ln.points], [x for _, x in ln.points], **kw)
            if ln.fit.lam > 0 and ln.fit.points >= 2:
                ax.plot(smooth, [ln.fit.at(k) for k in smooth], color=kw["color"],
                        linestyle="-" if ln.fit.trusted else "--", linewidth=1.3,
                        label="_fit " + ln.label)
                if not ln.fit.trusted:
                    untrusted.add(ln.fit.caveat)
        style.ticks_at(ax, ks)
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_formatter(style.ticker.FuncFormatter(lambda v, _: style.fmt_number(v)))
        ax.set_title(workload)
        ax.set_xlabel("cores (--cpus k)")
        ax.set_ylabel("throughput (tasks/s)")
    style.hide_unused(axes, len(by_workload))
    sub = style.context_line(results) + "\npoints: measured; lines: USL fits"
    if untrusted:
        sub += " (dashed: not trusted: %s)" % "; ".join(sorted(untrusted))
    style.finish(fig, TITLE, sub)
    style.figure_legend(fig, list(axes.flat))
    return fig


def draw(results, outdir, args=None):
    """Write NAME.png and NAME.svg into outdir; returns their paths."""
    return style.save(figure(results, args), outdir, NAME)


def main(argv=None):
    return run_chart(NAME, __doc__, draw, argv=argv)


if __name__ == "__main__":
    sys.exit(main())
