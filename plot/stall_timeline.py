#!/usr/bin/env python3
"""Stall timeline: how late the scheduler's probe woke, over time, for an
event loop with blocking calls run naively (on the loop) and offloaded to
threads; the stall-log events are marked, by the kind of step that caused
them."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from ccplot import style, units  # noqa: E402
from ccplot.cli import Skip, run_chart  # noqa: E402

NAME = "stall_timeline"
TITLE = "Scheduler stalls over time: blocking calls on the %s vs offloaded"

# Event markers by the step that held the scheduler.
STEP_MARK = {"block": ("v", "#b71c1c", "blocking step"), "cpu": ("D", "#ef6c00", "CPU step"),
             "io": ("o", "#616161", "io step"), None: ("x", "#212121", "step not known")}


def has_timeline(r):
    ts = r.get("timeseries")
    return (isinstance(ts, dict) and ts.get("t_ms") and ts.get("stall_max_us")) or bool(
        r.get("stall_log"))


def stall_runs(results):
    """One run per model label: the "stalls" group, else (files without
    groups) runs of a model that is one cooperative thread by definition (an
    event loop), of workloads with blocking steps, that carry a timeline."""
    if results.has_groups:
        runs = results.in_group("stalls")
    else:
        runs = [r for r in results.runs if r.traits.cooperative and not r.traits.uses_threads
                and (r.task_mean_us or {}).get("block")]
    runs = [r for r in runs if has_timeline(r)]
    if not runs:
        raise Skip("no runs with a stall timeline (timeseries or stall_log; group \"stalls\")")
    # Of several runs per label, the most loaded one (where stalls matter most).
    best = {}
    for r in runs:
        cur = best.get(r.label)
        if cur is None or (r.rate or r.concurrency) > (cur.rate or cur.concurrency):
            best[r.label] = r
    return sorted(best.values(), key=lambda r: r.sort_key)


def figure(results, args=None):
    """The chart as a matplotlib Figure (not saved); raises Skip without its data."""
    runs = stall_runs(results)
    fig, axes = style.new_figure(len(runs), 1, w=10.5, h=2.7 * len(runs) + 0.6, sharex=True,
                                 sharey=True)
    used_steps = set()
    warm = False
    ymax = 0.0
    for ax, r in zip(axes.flat, runs):
        c = style.colour(r)
        ts = r.get("timeseries") or {}
        t_ms, stall = ts.get("t_ms") or [], ts.get("stall_max_us") or []
        n = min(len(t_ms), len(stall))
        if n:
            step = ts.get("interval_ms") or (t_ms[1] - t_ms[0] if n > 1 else 100)
            xs = [t / 1e3 for t in t_ms[:n]] + [(t_ms[n - 1] + step) / 1e3]
            ys = [(v or 0) / 1e3 for v in stall[:n]]
            ax.stairs(ys, xs, fill=True, color=c, alpha=0.35,
                      label="worst stall per %g ms interval" % step)
            ax.stairs(ys, xs, color=c, linewidth=1.2)
            ymax = max(ymax, max(ys))
            warm |= t_ms[0] < 0
        log = [e for e in (r.get("stall_log") or []) if isinstance(e, dict)
               and e.get("at_ms") is not None and e.get("length_ms") is not None]
        for kind in {e.get("step") for e in log}:
            m, mc, text = STEP_MARK.get(kind, STEP_MARK[None])
            pts = [e for e in log if e.get("step") == kind]
            ax.scatter([e["at_ms"] / 1e3 for e in pts], [e["length_ms"] for e in pts],
                       marker=m, color=mc, s=22, zorder=4, linewidths=1.2)
            used_steps.add(kind if kind in STEP_MARK else None)
            ymax = max(ymax, max(e["length_ms"] for e in pts))
            warm |= any(e["at_ms"] < 0 for e in pts)
        thr = r.get("stall_us.threshold_us")
        if thr:
            ax.axhline(thr / 1e3, color="#555555", linewidth=0.9, linestyle=":")
        start = min([t / 1e3 for t in t_ms[:1]] + [e["at_ms"] / 1e3 for e in log] + [0])
        if start < 0:
            ax.axvspan(start, 0, facecolor="none", edgecolor="#9e9e9e", hatch="///",
                       linewidth=0, zorder=0)
        where = ("%s tasks/s offered" % units.rate(r.rate) if r.open_loop
                 else "concurrency %d" % r.concurrency)
        ax.set_title("%s  -  %s at %s" % (r.label, r.workload, where), color=c, loc="left",
                     fontsize=11)
        facts = ["worst stall %s" % units.duration_us(r.stall("max"))
                 if r.stall_known else "probe never ran"]
        over = r.get("stall_us.count_over_threshold")
        if over is not None and thr:
            facts.append("%d stalls over %s" % (over, units.duration_us(thr)))
        if r.throughput is not None:
            facts.append("%s tasks/s" % units.rate(r.throughput))
        if r.p99 is not None:
            facts.append("p99 %s" % units.duration_us(r.p99))
        ax.text(0.995, 0.96, "  |  ".join(facts), transform=ax.transAxes, ha="right", va="top",
                fontsize=9, bbox=dict(boxstyle="round,pad=0.3", fc="white", ec="#bbbbbb",
                                      alpha=0.92))
        ax.set_ylabel("stall (ms)")
    for ax in axes.flat:
        # Headroom above the tallest stall for the facts box.
        ax.set_ylim(0, max(ymax, 1.0) * 1.35)
    axes.flat[-1].set_xlabel("time since the measured window opened (s)")
    models = list(dict.fromkeys(r.model for r in runs))
    style.finish(fig, TITLE % "/".join(models), style.context_line(results))
    c0 = style.colour(runs[0])
    extra = [(Patch(facecolor=c0, alpha=0.35, edgecolor=c0),
              "worst probe lateness per interval (model colour)")]
    if warm:
        extra.append((Patch(facecolor="none", edgecolor="#9e9e9e", hatch="///", linewidth=0),
                      "warm-up (before the window)"))
    for kind in sorted(used_steps, key=lambda k: list(STEP_MARK).index(k)):
        m, mc, text = STEP_MARK[kind]
        extra.append((Line2D([], [], marker=m, color=mc, linestyle="none"),
                      "stall-log event: " + text))
    extra.append((Line2D([], [], color="#555555", linestyle=":"), "stall threshold"))
    fig.legend([h for h, _ in extra], [t for _, t in extra], loc="upper center",
               bbox_to_anchor=(0.5, 0.0), ncol=min(len(extra), 3), frameon=False)
    return fig


def draw(results, outdir, args=None):
    """Write NAME.png and NAME.svg into outdir; returns their paths."""
    return style.save(figure(results, args), outdir, NAME)


def main(argv=None):
    return run_chart(NAME, __doc__, draw, argv=argv)


if __name__ == "__main__":
    sys.exit(main())
