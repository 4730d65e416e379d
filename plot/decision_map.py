#!/usr/bin/env python3
"""The decision map: over (CPU share of task time) x (blocking share of task
time), each cell coloured by the model with the best throughput that keeps
p99 under the SLO, with its margin over the runner-up written in the cell."""

import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from matplotlib.patches import Patch, Polygon, Rectangle  # noqa: E402

from ccplot import decision, style, text, units  # noqa: E402
from ccplot.ranking import TIE_FRACTION, throughput_interval  # noqa: E402
from ccplot.slo import DEFAULT_SLO, Slo, from_runs  # noqa: E402
from ccplot.cli import Skip, run_chart  # noqa: E402

NAME = "decision_map"
TITLE = "Decision map: which model to use for a task mix"
NOBODY = "#e0e0e0"


def winner_key(c):
    """Cells are coloured by model+offload (thread counts share a colour)."""
    return (c.model, c.offload)


def winner_name(c):
    return c.model + ("+" + c.offload if c.offload != "none" else "")


def cell_text(cell):
    w, r = cell.winner, cell.runner_up
    if w is None:
        return "no model\nmeets the SLO"
    lines = [w.label]
    if r is None:
        lines.append("only one meets SLO")
    else:
        m = cell.margin
        # A cell without its own tie call (a bare margin) takes the 5% rule.
        tie = getattr(cell, "tie", m < TIE_FRACTION)
        lines.append("+%s%s vs %s" % (margin_text(m), margin_range(cell), r.label)
                     if not tie
                     else "tie with %s (+%s)" % (r.label, margin_text(m)))
    return "\n".join(lines)


def margin_text(m):
    """A winner's margin: to 0.1% below 10%, rounded down, so that a tie
    (under 5%) never reads as "+5%"; whole percents above."""
    if m >= 0.1:
        return units.percent(m)
    return "%.1f%%" % (math.floor(m * 1000 + 1e-9) / 10)


def margin_range(cell):
    """" (+8-15%)": the margin's range from the two throughputs' 95%
    intervals, where both have repetitions; "" otherwise."""
    if not hasattr(cell.winner, "point") or not hasattr(cell.runner_up, "point"):
        return ""
    w, r = throughput_interval(cell.winner), throughput_interval(cell.runner_up)
    if w is None or r is None or r[0] <= 0 or r[1] <= 0:
        return ""
    lo, hi = w[0] / r[1] - 1, w[1] / r[0] - 1
    return " (%s to %s)" % (units.percent(lo), units.percent(hi))


def tie_rule_text(cells):
    """Which rule called the ties: the throughputs' 95% intervals overlap
    (cells whose two best have repetitions), the fixed 5% rule, or both."""
    rules = {c.tie_rule for c in cells if c.tie_rule is not None}
    fixed = "< %s apart" % units.percent(TIE_FRACTION)
    if rules == {"intervals"}:
        return "their throughputs' 95% intervals overlap"
    if "intervals" in rules:
        return "95%% intervals overlap where repetitions exist, else %s" % fixed
    return fixed + "; one run each, no intervals"


def figure(results, args=None):
    """The chart as a matplotlib Figure (not saved); raises Skip without its data."""
    slo = getattr(args, "slo_parsed", None)
    if slo is None or (getattr(args, "slo", None) == DEFAULT_SLO):
        # The runs' own objective (ccbench run --slo 'p99<...') replaces the default.
        slo = from_runs(results.runs) or slo or Slo.parse(DEFAULT_SLO)
    runs, source = decision.decision_runs(results)
    cells = decision.decision_cells(runs, slo)
    if not cells:
        raise Skip("no runs with a known task mix (group \"decision-map\" or scenarios)")
    xs = sorted({c.cpu_share for c in cells})
    ys = sorted({c.block_share for c in cells})
    nx, ny = len(xs), len(ys)
    w = min(12.5, max(9.0, 1.9 * nx + 2.2))
    h = min(9.5, max(4.8, 1.25 * ny + 2.4))
    fig, axes = style.new_figure(1, 1, w=w, h=h)
    ax = axes[0][0]
    ax.grid(False)
    fs = 9.5 if max(nx, ny) <= 4 else 8.5 if max(nx, ny) <= 6 else 7
    seen = {}
    for cell in cells:
        i, j = xs.index(cell.cpu_share), ys.index(cell.block_share)
        if cell.winner is None:
            fill, tc = NOBODY, "#333333"
            ax.add_patch(Rectangle((i - 0.5, j - 0.5), 1, 1, facecolor=fill, edgecolor="white",
                                   hatch="///", linewidth=2))
        else:
            fill = style.colour(cell.winner.run)
            tc = style.readable_text_colour(fill)
            seen[winner_key(cell.winner)] = (fill, winner_name(cell.winner))
            ax.add_patch(Rectangle((i - 0.5, j - 0.5), 1, 1, facecolor=fill, edgecolor="white",
                                   linewidth=2))
        box = None
        if cell.margin is not None and cell.tie:
            # A tie: the runner-up's colour fills the lower-right half.
            r = cell.runner_up
            rf = style.colour(r.run)
            seen[winner_key(r)] = (rf, winner_name(r))
            ax.add_patch(Polygon([(i + 0.5, j - 0.5), (i + 0.5, j + 0.5), (i - 0.5, j - 0.5)],
                                 closed=True, facecolor=rf, edgecolor="white", linewidth=0))
            ax.add_patch(Rectangle((i - 0.5, j - 0.5), 1, 1, facecolor="none",
                                   edgecolor="white", linewidth=2))
            tc = "black"
            box = dict(boxstyle="round,pad=0.25", fc="white", ec="none", alpha=0.8)
        ax.text(i, j + 0.06, cell_text(cell), ha="center", va="center", color=tc, fontsize=fs,
                fontweight="bold" if cell.winner else "normal", linespacing=1.3, bbox=box)
        foot = []
        if source == "scenarios" and cell.verdict.scenario:
            foot.append(cell.verdict.scenario)
        if cell.winner is not None:
            foot.append("%s/s" % units.rate(cell.winner.throughput))
        ax.text(i, j - 0.36, "  ".join(foot), ha="center", va="center", color=tc,
                fontsize=fs - 1.5, alpha=0.9, bbox=box)
    ax.set_xlim(-0.5, nx - 0.5)
    ax.set_ylim(-0.5, ny - 0.5)
    ax.set_xticks(range(nx))
    ax.set_xticklabels([units.share(x) for x in xs])
    ax.set_yticks(range(ny))
    ax.set_yticklabels([units.share(y) for y in ys])
    ax.set_xlabel("CPU share of task time (mean CPU step time / task time)")
    ax.set_ylabel("blocking share of task time")
    ax.spines["top"].set_visible(True)
    ax.spines["right"].set_visible(True)
    ax.tick_params(length=0)
    totals = sorted({round(c.task_us["total"]) for c in cells})
    total_txt = (units.duration_us(totals[0]) if len(totals) == 1
                 else "%s to %s" % (units.duration_us(totals[0]), units.duration_us(totals[-1])))
    sub = ("colour: best throughput with %s; text: margin over the runner-up; "
           "split: a tie (%s)\ntask time %s, the rest non-blocking waiting; %s\n%s"
           % (text.slo(slo), tie_rule_text(cells), total_txt,
               "from the decision-map sweep" if source == "decision-map"
               else "cells from the scenario runs (no decision-map sweep)",
               style.context_line(results)))
    style.finish(fig, TITLE, sub)
    registry = results.registry
    handles = [(Patch(facecolor=f, edgecolor="white"), n)
               for k, (f, n) in sorted(seen.items(), key=lambda kv: registry.sort_key(*kv[0]))]
    if any(c.winner is None for c in cells):
        handles.append((Patch(facecolor=NOBODY, hatch="///", edgecolor="white"),
                        "no model meets the SLO"))
    have = {(c.cpu_share, c.block_share) for c in cells}
    # Mixes whose shares add up to more than the whole task cannot exist.
    if any((x, y) not in have and x + y <= 1 + 1e-6 for x in xs for y in ys):
        handles.append((Patch(facecolor="white", edgecolor="#999999"), "not measured"))
    fig.legend([h for h, _ in handles], [t for _, t in handles], loc="upper center",
               bbox_to_anchor=(0.5, 0.0), ncol=min(len(handles), 6), frameon=False)
    return fig


def draw(results, outdir, args=None):
    """Write NAME.png and NAME.svg into outdir; returns their paths."""
    return style.save(figure(results, args), outdir, NAME)


def add_args(p):
    p.add_argument("--slo", default=DEFAULT_SLO,
                   help="p99 limit: a multiple of the task's own duration (10x, the default) "
                        "or a time (50ms)")


def check_args(args):
    args.slo_parsed = Slo.parse(args.slo)


def main(argv=None):
    return run_chart(NAME, __doc__, draw, add_args, check_args, argv=argv)


if __name__ == "__main__":
    sys.exit(main())
