#!/usr/bin/env python3
"""The crossover (`ccbench sweep crossover`): throughput against the CPU a
task does per ms of waiting, a line per model, with the two crossovers
marked: where a thread pool beats one event loop, and where it beats a loop
per core (a model whose traits say it shares nothing)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from ccplot import style  # noqa: E402
from ccplot.cli import Skip, run_chart  # noqa: E402
from ccplot.crossover import crossovers  # noqa: E402
from ccplot.slo import DEFAULT_SLO, Slo, from_runs  # noqa: E402

NAME = "crossover"
TITLE = "Throughput against CPU per ms of waiting (closed loop)"
# Band colours: one loop's crossover, then the loop per core's.
BANDS = ("#9e9e9e", "#00838f")


def band_label(rule) -> str:
    side = ", ".join(rule.models) or "the event loop"
    what = "a loop per core" if rule.per_core else "one loop"
    if rule.below is not None and rule.above is not None:
        return "threads beat %s (%s): %.0f-%.0f us/ms" % (
            what, side, rule.below.cpu_per_ms_us, rule.above.cpu_per_ms_us)
    if rule.below is not None:
        return "%s (%s) kept up to %.0f us/ms" % (what, side, rule.below.cpu_per_ms_us)
    return "threads beat %s (%s) from %.0f us/ms" % (what, side, rule.above.cpu_per_ms_us)


def figure(results, args=None):
    """The chart as a matplotlib Figure (not saved); raises Skip without its data."""
    slo = getattr(args, "slo_parsed", None) or from_runs(results.runs) or Slo.parse(DEFAULT_SLO)
    c = crossovers(results, slo)
    if c is None:
        raise Skip("no crossover runs in %s (run `ccbench sweep crossover`)" % results.path)
    fig, axes = style.new_figure(1, 1)
    ax = axes.flat[0]
    for ln in c.lines:
        kw = style.run_style(ln.run)
        ax.plot([x for x, _ in ln.points], [y for _, y in ln.points], **kw)
    xs = [x for ln in c.lines for x, _ in ln.points]
    for rule, colour in zip(c.rules, BANDS):
        if not rule.measured:
            continue
        if rule.below is not None and rule.above is not None:
            ax.axvspan(rule.below.cpu_per_ms_us, rule.above.cpu_per_ms_us, color=colour,
                       alpha=0.18, linewidth=0, label=band_label(rule))
        else:
            # One side won every mix: a line at the last (or first) one, no band.
            at = (rule.below or rule.above).cpu_per_ms_us
            ax.axvline(at, color=colour, linestyle="--", linewidth=1.4, label=band_label(rule))
    style.log_axis(ax, "x", min(xs), max(xs))
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter(style.ticker.FuncFormatter(lambda v, _: style.fmt_number(v)))
    ax.set_xlabel("CPU per ms of waiting (us)")
    ax.set_ylabel("throughput (tasks/s)")
    sub = style.context_line(results) + "\nbands: from the last mix the event loop side kept " \
        "up with (within 5%) to the first the threads won; dashed: one side won every mix"
    style.finish(fig, TITLE, sub)
    style.figure_legend(fig, [ax], ncol=2)
    return fig


def draw(results, outdir, args=None):
    """Write NAME.png and NAME.svg into outdir; returns their paths."""
    return style.save(figure(results, args), outdir, NAME)


def main(argv=None):
    return run_chart(NAME, __doc__, draw, argv=argv)


if __name__ == "__main__":
    sys.exit(main())
