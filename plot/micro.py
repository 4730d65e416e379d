#!/usr/bin/env python3
"""The cost of each model's primitives (micro.json, Google Benchmark JSON
beside results.json): BM_<model>_<primitive> per model on a log scale, with
the machine's floors (BM_floor_*) marked as reference lines."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from matplotlib.lines import Line2D  # noqa: E402

from ccplot import microbench, style, units  # noqa: E402
from ccplot.cli import Skip, fail, parser  # noqa: E402
from ccplot.load import LoadError, Registry, load, load_micro  # noqa: E402

NAME = "micro"
TITLE = "Cost of each model's primitives (micro-benchmarks)"
PRIMITIVES = ("yield", "spawn", "timer", "handoff", "offload")
PRIMITIVE_TEXT = {"yield": "yield / resume", "spawn": "spawn a task", "timer": "timer",
                  "handoff": "cross-thread handoff", "offload": "offload a call"}
FLOORS = ("coroutine_resume", "clock_read", "context_switch", "futex_handoff", "pipe_pingpong")


def program_name(p):
    """"skynet, <model>", "skynet, <model> (100k leaves)", "1M timers, <model>"."""
    s = "%s, %s" % (p.name, p.model)
    if p.leaves:
        s += " (%gk leaves)" % (p.leaves / 1e3)
    return s


def _spread_labels(ys, min_ratio=1.5):
    """Nudge label heights (log space) apart so that close floors stay readable."""
    order = sorted(range(len(ys)), key=lambda i: ys[i])
    out = list(ys)
    for a, b in zip(order, order[1:]):
        if out[b] < out[a] * min_ratio:
            out[b] = out[a] * min_ratio
    return out


def _draw_programs(ax, programs, registry):
    """Whole programs (skynet, a million timers) in their own panel: seconds,
    not nanoseconds per operation."""
    order = sorted(programs, key=program_name)
    names = [program_name(p) for p in order]
    ys = [programs[p] for p in order]
    colours = [registry.colour(p.model) for p in order]
    ax.bar(range(len(names)), ys, color=colours, width=0.6)
    for i, y in enumerate(ys):
        ax.text(i, y * 1.1, units.duration_ns(y), ha="center", va="bottom", fontsize=8.5,
                color="#333333")
    ax.set_yscale("log")
    ax.set_ylim(min(ys) / 3, max(ys) * 6)
    ax.yaxis.set_major_formatter(style.ticker.FuncFormatter(lambda v, _: style.fmt_ns(v)))
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels([n.replace(", ", "\n") for n in names], fontsize=8.5)
    ax.grid(axis="x", visible=False)
    ax.set_title("whole programs (lower is better)", fontsize=10)
    ax.set_ylabel("time per run (real time, log scale)")


def micro_figure(micro, context_line="", registry=None):
    """The chart of a micro.json as a matplotlib Figure (not saved); raises
    Skip without entries. registry: the results file's, for its models'
    colours and order; a model it lacks (or every model, for micro.json
    alone) is placed after, in order of first appearance in micro.json."""
    data = microbench.parse(micro)
    prims, floors, programs = data.primitives, data.floors, data.programs
    if not prims and not floors:
        raise Skip("micro.json has no BM_<model>_<primitive> or BM_floor_* entries")
    registry = (registry or Registry([])).with_models(data.models)
    models = sorted(dict.fromkeys(m for m, _ in prims), key=registry.rank)
    kinds = [p for p in PRIMITIVES if any(k == p for _, k in prims)]
    kinds += sorted({k for _, k in prims} - set(kinds))
    width_main = max(9.5, 1.6 * len(kinds) + 3.5)
    if programs:
        fig, axes = style.new_figure(1, 2, w=width_main + 1.1 * len(programs) + 2.5, h=5.6,
                                     gridspec_kw={"width_ratios": [width_main,
                                                                   1.1 * len(programs) + 1.0]})
        _draw_programs(axes[0][1], programs, registry)
    else:
        fig, axes = style.new_figure(1, 1, w=width_main, h=5.6)
    ax = axes[0][0]
    width = 0.8 / max(len(models), 1)
    vals = []
    for j, model in enumerate(models):
        xs, ys = [], []
        for i, k in enumerate(kinds):
            v = prims.get((model, k))
            if v is None:
                continue
            xs.append(i - 0.4 + width * (j + 0.5))
            ys.append(v)
        if not xs:
            continue
        ax.bar(xs, ys, width=width * 0.9, color=registry.colour(model), label=model)
        for x, y in zip(xs, ys):
            ax.text(x, y * 1.1, units.duration_ns(y).replace(" ", "\u2009"), ha="center",
                    va="bottom", rotation=90, fontsize=7.5, color="#333333",
                    bbox=dict(boxstyle="square,pad=0.1", fc="white", ec="none", alpha=0.8))
        vals += ys
    present = [(f, floors[f]) for f in FLOORS if f in floors]
    present += sorted((f, v) for f, v in floors.items() if f not in FLOORS)
    vals += [v for _, v in present]
    right = len(kinds) - 0.5
    ax.set_xlim(-0.6, right + 0.05)
    label_ys = _spread_labels([v for _, v in present])
    for (f, v), ly in zip(present, label_ys):
        ax.axhline(v, color="#424242", linestyle=(0, (5, 3)), linewidth=1.0, zorder=0)
        ax.text(right + 0.1, ly, "%s %s" % (f.replace("_", " "), units.duration_ns(v)),
                va="center", ha="left", fontsize=8.5, color="#424242", clip_on=False)
    if vals:
        style.log_axis(ax, "y", min(vals), max(vals), style.fmt_ns)
        # Explicit limits: every floor line inside, room above for bar labels.
        ax.set_ylim(min(vals + label_ys) / 2, max(vals) * 8)
    ax.set_xticks(range(len(kinds)))
    ax.set_xticklabels([PRIMITIVE_TEXT.get(k, k) for k in kinds])
    ax.grid(axis="x", visible=False)
    ax.set_ylabel("time per operation (real time, log scale)")
    sub = "bars: BM_<model>_<primitive>; dashed lines: this machine's floors (BM_floor_*)"
    if context_line:
        sub += "\n" + context_line
    style.finish(fig, TITLE, sub)
    extra = [(Line2D([], [], color="#424242", linestyle=(0, (5, 3))), "floor")] if present \
        else []
    style.figure_legend(fig, [ax], extra=extra)
    return fig


def figure(results, args=None):
    """The chart of the run directory's micro.json, in the results' colours."""
    if not results.micro:
        raise Skip("no micro.json in %s" % results.run_dir)
    return micro_figure(results.micro, style.context_line(results), results.registry)


def draw(results, outdir, args=None):
    """Write NAME.png and NAME.svg into outdir; returns their paths."""
    return style.save(figure(results, args), outdir, NAME)


def _is_micro(path):
    """True for Google Benchmark JSON (benchmarks[] and no ccbench schema)."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return False  # load() reports it properly
    return isinstance(data, dict) and "benchmarks" in data and "schema" not in data


def main(argv=None):
    p = parser(NAME, __doc__)
    p.description += " RESULTS may also be a micro.json file."
    args = p.parse_args(argv)
    path = args.results
    try:
        if os.path.isfile(path) and _is_micro(path):
            micro = load_micro(path)  # a micro.json given directly
            outdir = args.out or os.path.join(os.path.dirname(os.path.abspath(path)), "charts")
            paths = style.save(micro_figure(micro), outdir, NAME)
        else:
            results = load(path)
            paths = draw(results, args.out or os.path.join(results.run_dir, "charts"))
    except LoadError as e:
        return fail(str(e))
    except Skip as e:
        print("plot: %s: skipped: %s" % (NAME, e), file=sys.stderr)
        return 0
    for p_ in paths:
        print(p_)
    return 0


if __name__ == "__main__":
    sys.exit(main())
