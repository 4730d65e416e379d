"""One look for every chart: colours per model+offload (from the file's
registry), fonts, units, saving."""

import math
import os
import textwrap

import matplotlib

matplotlib.use("Agg")  # headless: charts are files, never windows

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import ticker  # noqa: E402

# Colours and markers come from the results file's model traits (a model's
# offload variants are shades of its hue; registry.py picks for a model whose
# traits have none). Thread counts of the same model+offload share the colour
# and differ by line style.
_LINESTYLES = ("-", "--", "-.", ":")

# Figure sizes (inches) at 150 dpi: wide enough to paste into a slide.
DPI = 150
PANEL_W, PANEL_H = 5.2, 3.9


def colour(run):
    """The colour of a run's model+offload, the same in every chart."""
    return run.registry.colour(run.model, run.offload)


def marker(run):
    return run.registry.marker(run.model)


def linestyle(run, thread_counts):
    """Line style for a run's thread count among those seen for its model."""
    if not run.traits.uses_threads or not thread_counts:
        return "-"
    counts = sorted(set(thread_counts))
    i = counts.index(run.threads) if run.threads in counts else 0
    return _LINESTYLES[i % len(_LINESTYLES)]


def run_style(run, thread_counts=()):
    """plot() keyword arguments for a run's model label. Offloading variants
    get hollow markers, so a line lying on top of its model's shows both."""
    kw = dict(color=colour(run), marker=marker(run),
              linestyle=linestyle(run, thread_counts), label=run.label)
    if run.offload != "none":
        kw.update(markerfacecolor="none", markeredgewidth=1.6, markersize=7, zorder=3)
    return kw


def readable_text_colour(hex_colour):
    """Black or white, whichever reads better on the fill."""
    r, g, b = matplotlib.colors.to_rgb(hex_colour)
    lum = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "black" if lum > 0.55 else "white"


def setup():
    plt.rcParams.update({
        "figure.dpi": DPI,
        "savefig.dpi": DPI,
        "font.size": 10.5,
        "axes.titlesize": 12,
        "axes.titleweight": "bold",
        "axes.labelsize": 10.5,
        "figure.titlesize": 14,
        "figure.titleweight": "bold",
        "legend.fontsize": 9.5,
        "legend.framealpha": 0.92,
        "xtick.labelsize": 9.5,
        "ytick.labelsize": 9.5,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "lines.linewidth": 1.8,
        "lines.markersize": 5.5,
        # Reproducible SVGs: same input, same bytes.
        "svg.hashsalt": "ccbench",
    })


setup()


def fmt_number(v):
    """Compact tick label: 1, 10, 1k, 20k, 1M; fractions kept short."""
    if v == 0:
        return "0"
    a = abs(v)
    if a >= 1e6:
        s = "%gM" % (v / 1e6)
    elif a >= 1e3:
        s = "%gk" % (v / 1e3)
    elif a >= 1:
        s = "%g" % v
    else:
        s = "%.3g" % v
    return s


def _nice(v, rounding):
    """The 1-2-5 value at or below (floor) / above (ceil) v."""
    e = math.floor(math.log10(v))
    steps = [1, 2, 5, 10]
    m = v / 10 ** e
    if rounding is math.floor:
        s = max(x for x in steps if x <= m * 1.0000001)
    else:
        s = min(x for x in steps if x >= m * 0.9999999)
    return s * 10 ** e


def fmt_ms(v):
    """Tick label for a time axis in milliseconds: 0.1 ms, 10 ms, 2 s."""
    if v >= 1000:
        return "%g s" % (v / 1000)
    if v >= 1:
        return "%g ms" % v
    if v >= 0.001:
        return "%g us" % round(v * 1000, 6)
    return "%g ns" % round(v * 1e6, 6)


def fmt_ns(v):
    """Tick label for a time axis in nanoseconds."""
    return fmt_ms(v / 1e6)


def log_axis(ax, which="y", lo=None, hi=None, fmt=None):
    """Log scale with plain tick labels (10, 100, 1k) instead of 10^n. Given
    the data range (lo, hi), a short range gets 1-2-5 ticks so
    that it never shows a single label (under three decades)."""
    axis = ax.yaxis if which == "y" else ax.xaxis
    (ax.set_yscale if which == "y" else ax.set_xscale)("log")
    if lo and hi and lo > 0 and hi / lo < 1000:
        axis.set_major_locator(ticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        # End on ticks, so that the top and bottom of the data are labelled.
        (ax.set_ylim if which == "y" else ax.set_xlim)(_nice(lo / 1.08, math.floor),
                                                       _nice(hi * 1.08, math.ceil))
    f = fmt or fmt_number
    axis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f(v)))
    axis.set_minor_formatter(ticker.NullFormatter())


def subtitle(fig, text, y=None):
    """A smaller grey line under the figure title saying what the data is."""
    fig.text(0.5, y if y is not None else 0.935, text, ha="center", va="top", fontsize=9.5,
             color="#444444")


def panel_grid(n, max_cols=3):
    """(rows, cols) for n panels."""
    cols = min(n, max_cols)
    rows = (n + cols - 1) // cols
    return rows, cols


def new_figure(rows=1, cols=1, w=None, h=None, **kw):
    fig, axes = plt.subplots(rows, cols, figsize=(w or PANEL_W * cols, h or PANEL_H * rows),
                             squeeze=False, **kw)
    return fig, axes


def paired_figure(rows, cols, w=None, h=None, ratios=(3.3, 2.2)):
    """A figure of rows x cols panel pairs: each pair a main panel above and a
    shorter one close under it sharing its x axis. Returns (fig, upper,
    lower), both rows x cols arrays of axes."""
    import numpy as np
    fig = plt.figure(figsize=(w or PANEL_W * cols, h or (PANEL_H + 2.4) * rows))
    outer = fig.add_gridspec(rows, cols, hspace=0.24, wspace=0.3)
    # tight_layout cannot lay out nested grids: finish() places this one.
    fig.ccbench_grid = outer
    upper = np.empty((rows, cols), dtype=object)
    lower = np.empty((rows, cols), dtype=object)
    for i in range(rows):
        for j in range(cols):
            pair = outer[i, j].subgridspec(2, 1, height_ratios=ratios, hspace=0.07)
            upper[i, j] = fig.add_subplot(pair[0])
            lower[i, j] = fig.add_subplot(pair[1], sharex=upper[i, j])
    return fig, upper, lower


def fmt_exact(v):
    """Tick label for a measured level: whole numbers in full (2,048, not the
    2.048k of fmt_number), others as fmt_number."""
    if v == int(v) and abs(v) < 1e6:
        return "{:,}".format(int(v))
    return fmt_number(v)


def ticks_at(ax, values, which="x", fmt=None):
    """Ticks at the measured values themselves (a log axis with levels such
    as 1, 8, 64 would otherwise be labelled 1, 10, 100), labelled exactly."""
    vals = sorted({v for v in values if v})
    if not vals or len(vals) > 10:
        return
    axis = ax.xaxis if which == "x" else ax.yaxis
    axis.set_major_locator(ticker.FixedLocator(vals))
    axis.set_major_formatter(ticker.FuncFormatter(lambda v, _: (fmt or fmt_exact)(v)))
    axis.set_minor_locator(ticker.NullLocator())


def hide_unused(axes, used):
    for ax in list(axes.flat)[used:]:
        ax.set_visible(False)


def save(fig, outdir, name):
    """Write NAME.png and NAME.svg into outdir; returns both paths."""
    os.makedirs(outdir, exist_ok=True)
    paths = []
    for ext in ("png", "svg"):
        p = os.path.join(outdir, "%s.%s" % (name, ext))
        meta = {"Date": None} if ext == "svg" else {"Software": "ccbench plot"}
        fig.savefig(p, format=ext, metadata=meta, bbox_inches="tight", pad_inches=0.15)
        paths.append(p)
    plt.close(fig)
    return paths


def context_line(results):
    """"on <cpu>, N cores, <kernel> - run <id>" for chart subtitles."""
    c = results.context
    bits = []
    if c.get("cpu_model"):
        bits.append(str(c["cpu_model"]))
    cores = c.get("affinity") or c.get("cores")
    if cores:
        bits.append("%s core%s" % (cores, "" if str(cores) == "1" else "s"))
    if c.get("build_type"):
        bits.append(str(c["build_type"]))
    s = ", ".join(bits)
    return ("%s - run %s" % (s, results.run_id)) if s else "run %s" % results.run_id


def figure_legend(fig, axes, ncol=None, extra=()):
    """One legend for the whole figure, below the panels, labels in order of
    first appearance, so it never covers data."""
    handles, labels = [], []
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in labels and not lab.startswith("_"):
                handles.append(h)
                labels.append(lab)
    for h, lab in extra:
        handles.append(h)
        labels.append(lab)
    if not handles:
        return None
    n = ncol or (len(handles) if len(handles) <= 7 else (len(handles) + 1) // 2)
    return fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=n,
                      frameon=False)


def finish(fig, title, sub=None, top=None):
    """Title, grey subtitle, and a layout that leaves room for both."""
    h = fig.get_figheight()
    if sub:
        # Wrap to the figure's width (about 14 characters of 9.5 pt per inch).
        width = max(40, int(fig.get_figwidth() * 14))
        sub = "\n".join(textwrap.fill(line, width, break_on_hyphens=False)
                        for line in sub.split("\n"))
    # Reserve a fixed height in inches for the title block, whatever the
    # size; the titles are placed after the layout so it ignores them.
    lines = sub.count("\n") + 1 if sub else 0
    head = (0.42 + 0.19 * lines) / h
    grid = getattr(fig, "ccbench_grid", None)
    if grid is None:
        fig.tight_layout(rect=(0, 0, 1, top if top is not None else 1 - head))
    else:
        # Room in inches for the tick labels and axis labels around the grid.
        w = fig.get_figwidth()
        grid.update(left=0.85 / w, right=1 - 0.2 / w, bottom=0.55 / h,
                    top=(top if top is not None else 1 - head) - 0.3 / h)
    fig.suptitle(title, y=1 - 0.05 / h, va="top")
    if sub:
        subtitle(fig, sub, y=1 - 0.36 / h)


def interval_bar(ax, x, y, ci, colour, scale=1e3, zorder=3):
    """A percentile's 95% interval as an error bar at x: solid between its
    bounds, capped; a side too few samples bound (None: unbounded) is drawn
    open-ended, never as a zero-width bar: dotted to 3x (or a third of) the
    value and ending in an arrowhead pointing away. y and ci (low, high) in
    us, drawn divided by scale (ms). Returns the artists by role: "bar" (the
    solid LineCollection, or None when both sides are unbounded), "caps",
    "open" (the dotted LineCollections) and "arrows"."""
    y = y / scale
    low = ci[0] / scale if ci[0] is not None else None
    high = ci[1] / scale if ci[1] is not None else None
    out = {"bar": None, "caps": [], "open": [], "arrows": []}
    if low is not None or high is not None:
        out["bar"] = ax.vlines([x], [low if low is not None else y],
                               [high if high is not None else y], color=colour,
                               linewidth=1.0, zorder=zorder, label="_ci")
    for side, end, arrow in ((low, y / 3, "v"), (high, y * 3, "^")):
        if side is None:
            out["open"].append(ax.vlines([x], [min(y, end)], [max(y, end)], color=colour,
                                         linewidth=1.0, linestyles=":", zorder=zorder,
                                         label="_ci_open"))
            out["arrows"] += ax.plot([x], [end], marker=arrow, color=colour, markersize=4,
                                     linestyle="none", zorder=zorder, label="_ci_arrow")
        else:
            out["caps"] += ax.plot([x], [side], marker="_", color=colour, markersize=6,
                                   linestyle="none", zorder=zorder, label="_ci_cap")
    return out


def interval_legend(what="95% interval"):
    """Legend entries (handle, text) for interval_bar: the bounded bar and the
    open-ended side."""
    from matplotlib.lines import Line2D
    return [(Line2D([], [], color="#333333", marker="_", markersize=6, linewidth=1.0), what),
            (Line2D([], [], color="#333333", marker="^", markersize=4, linewidth=1.0,
                    linestyle=":"), "unbounded side (too few samples)")]


def dodge(x, k, n, step=1.07):
    """x moved a little to the side on a log axis, for the k-th of n series
    drawn at the same x, so that their error bars do not hide each other."""
    return x * step ** (k - (n - 1) / 2.0)
