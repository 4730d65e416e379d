#!/usr/bin/env python3
"""Latency percentile spectrum for one scenario: latency (log scale) at
each percentile, corrected (from the intended start) against uncorrected
(from the actual start, as a benchmark that ignores coordinated omission
would report), one colour per model."""

import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from matplotlib import ticker  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from ccplot import style, units  # noqa: E402
from ccplot.saturation import SATURATION_ACHIEVED  # noqa: E402
from ccplot.cli import Skip, run_chart  # noqa: E402

NAME = "spectrum"
# Where "max" sits on the nines axis: one step past the last finite percentile.
_MAX_NINES_STEP = 0.7

SUMMARY_KEYS = ((0, "min"), (50, "p50"), (90, "p90"), (99, "p99"), (99.9, "p999"),
                (100, "max"))


def nines(p):
    """Percentile -> position on the axis: 50% -> 0.3, 90% -> 1, 99% -> 2."""
    return -math.log10(1 - p / 100.0)


def series(run):
    """(percentiles, corrected_us, uncorrected_us or None, from_spectrum)."""
    s = run.get("latency_spectrum")
    if isinstance(s, dict) and s.get("percentiles") and s.get("corrected_us"):
        ps = list(s["percentiles"])
        cor = list(s["corrected_us"])
        unc = s.get("uncorrected_us")
        unc = list(unc) if unc and len(unc) == len(ps) else None
        if len(cor) == len(ps):
            return ps, cor, unc, True
    # Older files: the summary percentiles of latency_us.
    ps, cor, unc = [], [], []
    for p, k in SUMMARY_KEYS:
        v = run.latency(k)
        if v is None:
            continue
        ps.append(p)
        cor.append(v)
        unc.append(run.get("latency_uncorrected_us." + k))
    if not ps:
        return None
    return ps, cor, (unc if all(u is not None for u in unc) else None), False


def positions(ps):
    finite = [nines(p) for p in ps if p < 100]
    top = (max(finite) if finite else 0) + _MAX_NINES_STEP
    return [nines(p) if p < 100 else top for p in ps]


def _key(r):
    return (r.scenario, r.arrival, r.rate if r.open_loop else r.concurrency)


def choose(results, scenario=None, level=None):
    """The runs of one (scenario, load) to draw, and a phrase describing the
    choice. Prefers runs with a full spectrum; the "stalls" group (where
    coordinated omission shows most), then "hockey", then the rest."""
    runs = [r for r in results.runs if r.ok and series(r)]
    if scenario:
        runs = [r for r in runs if scenario in (r.scenario, r.workload)]
        if not runs:
            raise Skip("no successful runs of scenario '%s'" % scenario)
    if level is not None:
        runs = [r for r in runs if level in (r.rate, r.concurrency)]
        if not runs:
            raise Skip("no successful runs at rate or concurrency %g" % level)
    if not runs:
        raise Skip("no successful runs with latency percentiles")
    full = [r for r in runs if series(r)[3]]
    runs = full or runs
    for g in ("stalls", "hockey", "scenarios", "", None):
        in_g = [r for r in runs if r.group == g]
        if in_g:
            runs = in_g
            break
    keys = {}
    for r in runs:
        keys.setdefault(_key(r), {})[r.label] = r
    most = max(len(v) for v in keys.values())
    keys = {k: v for k, v in keys.items() if len(v) == most}

    def unsaturated(v):
        return all(r.offered and r.throughput is not None
                   and r.throughput >= SATURATION_ACHIEVED * r.offered
                   for r in v.values())

    open_keys = [k for k in keys if k[1] == "open"]
    if open_keys:
        ok = [k for k in open_keys if unsaturated(keys[k])]
        k = max(ok, key=lambda k: k[2]) if ok else min(open_keys, key=lambda k: k[2])
    else:
        # Closed loop: the richest mix (most step kinds) at its middle concurrency.
        def kinds(k):
            t = next(iter(keys[k].values())).task_mean_us or {}
            return sum(1 for s in ("io", "cpu", "block") if t.get(s))
        best = max(kinds(k) for k in keys)
        ks = [k for k in keys if kinds(k) == best]
        scen = ks[0][0]
        levels = sorted(k[2] for k in ks if k[0] == scen)
        k = (scen, "closed", levels[len(levels) // 2])
    chosen = sorted(keys[k].values(), key=lambda r: r.sort_key)
    r0 = chosen[0]
    where = ("%s tasks/s offered" % units.rate(r0.rate) if r0.open_loop
             else "concurrency %d" % r0.concurrency)
    name = r0.scenario if r0.scenario == r0.workload else "%s (%s)" % (r0.scenario,
                                                                       r0.workload)
    return chosen, "%s at %s" % (name, where)


def figure(results, args=None):
    """The chart as a matplotlib Figure (not saved); raises Skip without its data."""
    chosen, what = choose(results, getattr(args, "scenario", None),
                          getattr(args, "level", None))
    fig, axes = style.new_figure(1, 1, w=8.6, h=5.2)
    ax = axes[0][0]
    any_unc = False
    from_summary = False
    all_ps = set()
    lo, hi = math.inf, 0.0
    any_ci = False
    for i, r in enumerate(chosen):
        ps, cor, unc, full = series(r)
        from_summary |= not full
        xs = positions(ps)
        all_ps.update(ps)
        c = style.colour(r)
        ax.plot(xs, [v / 1e3 for v in cor], color=c, marker=style.marker(r),
                markersize=4.5, label=r.label,
                markerfacecolor="none" if r.offload != "none" else c)
        lo, hi = min(lo, min(cor)), max(hi, max(cor))
        # Each summary percentile's 95% interval, the models side by side.
        shift = (i - (len(chosen) - 1) / 2) * 0.025
        for p, key in SUMMARY_KEYS[1:-1]:
            ci, v = r.latency_ci(key), r.latency(key)
            if ci is not None and v:
                style.interval_bar(ax, nines(p) + shift, v, ci, c)
                any_ci = True
        if unc:
            any_unc = True
            ax.plot(xs, [v / 1e3 for v in unc], color=c, linestyle="--", linewidth=1.3,
                    alpha=0.85, label="_unc")
            lo, hi = min(lo, min(unc)), max(hi, max(unc))
    ps = sorted(all_ps)
    xs = positions(ps)
    ax.xaxis.set_major_locator(ticker.FixedLocator(xs))
    ax.xaxis.set_major_formatter(ticker.FixedFormatter([
        "max" if p >= 100 else "min" if p == 0 else ("%g%%" % p) for p in ps]))
    if len(ps) > 8:
        for t in ax.get_xticklabels():
            t.set_rotation(40)
            t.set_ha("right")
    ax.set_xlim(min(xs) - 0.1, max(xs) + 0.15)
    style.log_axis(ax, "y", lo / 1e3, hi / 1e3, style.fmt_ms)
    ax.set_xlabel("percentile (spaced by nines: 90%, 99%, 99.9%, ...)")
    ax.set_ylabel("latency (log scale)")
    ax.set_title("")
    notes = []
    if not any_unc:
        notes.append("uncorrected latency not recorded in this file")
    if from_summary:
        notes.append("summary percentiles only (no latency_spectrum)")
    sub = "at " + what.split(" at ", 1)[1] + " - " + style.context_line(results)
    if notes:
        sub += "\n" + "; ".join(notes)
    style.finish(fig, "Latency percentile spectrum: " + what.split(" at ")[0], sub)
    extra = [(Line2D([], [], color="#333333"), "corrected: from the intended start")]
    if any_unc:
        extra.append((Line2D([], [], color="#333333", linestyle="--", linewidth=1.3),
                      "uncorrected: from the actual start"))
    if any_ci:
        extra += style.interval_legend("95% interval")
    style.figure_legend(fig, [ax], extra=extra, ncol=min(4, len(chosen) + len(extra)))
    return fig


def draw(results, outdir, args=None):
    """Write NAME.png and NAME.svg into outdir; returns their paths."""
    return style.save(figure(results, args), outdir, NAME)


def add_args(p):
    p.add_argument("--scenario", help="scenario name or workload spec to draw (default: "
                   "chosen from the stalls, then hockey runs)")
    p.add_argument("--at", dest="level", type=float, metavar="N",
                   help="the offered rate or concurrency to draw")


def main(argv=None):
    return run_chart(NAME, __doc__, draw, add_args, argv=argv)


if __name__ == "__main__":
    sys.exit(main())
