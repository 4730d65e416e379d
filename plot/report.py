#!/usr/bin/env python3
"""Draws every chart of a run directory into RUN_DIR/charts/ and writes
RUN_DIR/report.md and RUN_DIR/report.html (charts inline, for mail): the
context, each scenario's winner and runner-up with the reason computed from
the data, the decision map, the rules learned on this host, the warnings and
the failed runs."""

import argparse
import os
import sys
import traceback
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import crossover  # noqa: E402
import decision_map  # noqa: E402
import efficiency  # noqa: E402
import hockey  # noqa: E402
import micro  # noqa: E402
import spectrum  # noqa: E402
import stall_timeline  # noqa: E402
import scaling  # noqa: E402
import throughput  # noqa: E402
from ccplot import (checks, classes, decision, limits, microbench, netio, ranking, rules,  # noqa: E402
                    sureness, text, units)
from ccplot.cli import Skip, fail  # noqa: E402
from ccplot.efficiency import cpu_basis, efficiency_rows  # noqa: E402
from ccplot.scaling import scaling_lines  # noqa: E402
from ccplot.doc import Doc  # noqa: E402
from ccplot.load import LoadError, load  # noqa: E402
from ccplot.slo import DEFAULT_SLO, Slo, from_runs  # noqa: E402

# (module, caption) in report order; the decision map has its own section.
CHARTS = (
    (throughput, "Throughput against concurrency, closed loop: one line per model and offload "
                 "mode, one panel per scenario; under each, the p99 with its 95% interval "
                 "(an arrow: a side too few samples bound)."),
    (hockey, "Latency against offered rate, open loop: p50, p99 and p99.9 per model, the p99 "
             "with its 95% interval; the shaded part is past saturation."),
    (spectrum, "Latency percentile spectrum: corrected (from the intended start) against "
               "uncorrected (from the actual start)."),
    (stall_timeline, "Scheduler stalls over time: an event loop with blocking calls, naive "
                     "against offloaded, with the stall-log events."),
    (efficiency, "Tasks per CPU-second, and the peak memory each extra task in flight adds."),
    (micro, "Cost of each model's primitives, with this machine's floors."),
)

# The charts' inputs, for the worker processes that draw them (forked: they
# inherit these instead of unpickling the results).
_CHART_JOB = {}


def _draw_one(index):
    """(name, png path or None, why skipped or None, crashed) of chart `index`."""
    mods, results, charts_dir, args = _CHART_JOB["job"]
    mod = mods[index]
    try:
        paths = mod.draw(results, charts_dir, args)
        return mod.NAME, next(p for p in paths if p.endswith(".png")), None, False
    except Skip as e:
        return mod.NAME, None, str(e), False
    except OSError:
        raise  # cannot write: the whole report fails the same way
    except Exception as e:  # a bug in one chart must not cost the whole report
        traceback.print_exc()
        return mod.NAME, None, "failed: %s: %s" % (type(e).__name__, e), True


def draw_charts(results, charts_dir, slo):
    """{name: png path}, [(name, why skipped)], [names that crashed]. The
    charts are drawn side by side, a process per core: nothing is measured
    while they draw, and matplotlib holds one core per process."""
    mods = (decision_map,) + tuple(m for m, _ in CHARTS)
    _CHART_JOB["job"] = (mods, results, charts_dir,
                         types.SimpleNamespace(slo_parsed=slo, slo=None, scenario=None, level=None))
    workers = min(len(mods), len(os.sched_getaffinity(0)))
    if workers > 1:
        import multiprocessing
        # The slowest first (seconds each on the 2-core VM: hockey 5,
        # throughput 3.5, the rest 1.5 or less), so that the last to start is short.
        slow = ("hockey", "throughput", "efficiency", "micro")
        order = sorted(range(len(mods)), key=lambda i: slow.index(mods[i].NAME)
                       if mods[i].NAME in slow else len(slow))
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            done = dict((r[0], r) for r in pool.imap_unordered(_draw_one, order, chunksize=1))
        outcomes = [done[m.NAME] for m in mods]
    else:
        outcomes = [_draw_one(i) for i in range(len(mods))]
    drawn, skipped, crashed = {}, [], []
    for name, png, why, failed in outcomes:
        if png:
            drawn[name] = png
        else:
            skipped.append((name, why))
        if failed:
            crashed.append(name)
    return drawn, skipped, crashed


def context_rows(results):
    c = results.context
    la = c.get("load_avg") or {}

    def v(k):
        x = c.get(k)
        return str(x) if x not in (None, "") else "n/a"

    cores = v("cores")
    if c.get("affinity") and c.get("affinity") != c.get("cores"):
        cores += " (%s usable by this process)" % c["affinity"]
    rows = [("CPU", v("cpu_model")), ("Cores", cores), ("Kernel", v("kernel")),
            ("Compiler", "%s `%s`" % (v("compiler"), (c.get("cxx_flags") or "").strip())
             if c.get("cxx_flags") else v("compiler")),
            ("Build type", v("build_type")), ("Boost", v("boost")), ("oneTBB", v("tbb")),
            ("git", v("git")), ("Date", v("started_at")), ("Host", v("host"))]
    if c.get("governor") or c.get("turbo"):
        rows.append(("CPU governor / turbo", "%s / %s" % (v("governor"), v("turbo"))))
    if c.get("clock"):
        rows.append(("Clock", v("clock")))
    if c.get("wakeup_cpu_us"):
        rows.append(("CPU per wake-up", "%s (a thread waking from a 1 ms sleep)"
                     % units.duration_us(c["wakeup_cpu_us"])))
    if la:
        rows.append(("Load average (start, end)", "%s, %s" % (
            "%.2f" % la["start"] if la.get("start") is not None else "n/a",
            "%.2f" % la["end"] if la.get("end") is not None else "n/a")))
    noise = host_noise_row(results)
    if noise:
        rows.append(noise)
    rows.append(("ccbench", v("ccbench_version")))
    return rows


def host_noise_row(results):
    """The host's noise over the runs' windows (steal, other processes' CPU),
    as a context row, or None when no run recorded it."""
    seen = [(r, r.host_noise) for r in results.runs if r.ok and r.host_noise]
    if not seen:
        return None
    steal = max(n[0] for _, n in seen)
    foreign = max(n[1] for _, n in seen)
    noisy = sum(1 for _, n in seen if n[0] > 0.02 or n[1] > 0.05)
    text = ("steal up to %.1f%% of the CPU time, other processes up to %.0f%% of a core"
            % (100 * steal, 100 * foreign))
    if noisy:
        text += ("; %d of %d runs were warned about (the host took more than 2%% steal or 5%% "
                 "of a core): compare them with care" % (noisy, len(seen)))
    else:
        text += " (quiet)"
    return ("Host noise during the runs", text)


def wakeup_note(results):
    """What the stall probe's wake-ups cost on this host, for the CPU chart ("" unknown)."""
    wake_us = results.context.get("wakeup_cpu_us") or 0
    periods = sorted({r.get("stall_us.period_us") for r in results.runs
                      if r.get("stall_us.period_us")})
    if wake_us <= 0 or not periods:
        return ""
    per_s = 1e6 / periods[0]
    return ("On this host a thread is charged %s of CPU for each wake-up from a 1 ms sleep "
            "(measured before the runs). Every model's stall probe wakes its scheduler up to "
            "%s times a second, which alone can cost %.3f CPU-seconds a second: at light loads "
            "much of a bar is wake-ups, not tasks."
            % (units.duration_us(wake_us), units.rate(per_s), wake_us * per_s / 1e6))


def candidate_row(c, verdict):
    return [c.label, units.rate_ci(c.throughput, ranking.throughput_interval(c)),
            text.load(c),
            units.duration_ci_us(c.p99_us, c.point.latency_ci("p99")),
            "%.2f" % c.cpu_rate if c.cpu_rate is not None else "n/a",
            units.duration_us(c.stall_max_us) if c.stall_known else "not measured",
            text.candidate_notes(c, limits.limits(c, verdict.task_us))]


def python_outside_map(results, map_runs, source):
    """The Python models (traits.python) with runs in this file but none in
    its decision-map sweep (the quick sweep leaves them out of it)."""
    if source != "decision-map":
        return []
    inside = {r.model for r in map_runs}
    return list(dict.fromkeys(r.model for r in results.runs
                              if r.traits.python and r.model not in inside))


def scenario_section(doc, v):
    shares = text.step_shares(v.task_us)
    head = v.scenario if v.scenario == v.workload else "%s (`%s`)" % (v.scenario, v.workload)
    doc.h3(head)
    slo_txt = (" p99 limit %s (%s)." % (units.duration_us(v.slo_us), text.slo(v.slo))
               if v.slo_us else "")
    if shares:
        doc.p("Task time: %s of %s.%s" % (shares, units.duration_us(v.task_us["total"]),
                                         slo_txt))
    w, r = v.winner, v.runner_up
    if w is None:
        doc.p("**No winner**: %s." % text.reason(v))
    else:
        line = "**Winner%s: %s**, %s tasks/s %s (p99 %s)" % (
            " (a tie)" if v.tie else "", w.label, units.rate(w.throughput), text.where(w),
            units.duration_ci_us(w.p99_us, w.point.latency_ci("p99")))
        if r is not None:
            line += "; runner-up: **%s**, %s tasks/s %s (p99 %s)" % (
                r.label, units.rate(r.throughput), text.where(r),
                units.duration_ci_us(r.p99_us, r.point.latency_ci("p99")))
        doc.p(line + ".")
        doc.p("Why: %s." % text.reason(v))
    doc.table(["model", "tasks/s within SLO", "at", "p99", "CPU s/s", "stall max", "notes"],
              [candidate_row(c, v) for c in v.ranked], "lrrrrrl")


def crossover_chart(doc, results, charts_dir, drawn, skipped, slo):
    """The crossover sweep's chart under the rules that come from it;
    nothing without crossover runs."""
    args = types.SimpleNamespace(slo_parsed=slo)
    try:
        drawn[crossover.NAME] = next(p for p in crossover.draw(results, charts_dir, args)
                                     if p.endswith(".png"))
    except Skip:
        return  # the rules above say what was not measured
    except OSError:
        raise
    except Exception as e:  # a bug in the chart must not cost the whole report
        traceback.print_exc()
        skipped.append((crossover.NAME, "failed: %s: %s" % (type(e).__name__, e)))
        return
    doc.p("The crossover sweep: throughput against the CPU a task does per ms of waiting, "
          "with where threads beat one loop and, where the file has one, a loop per core.")
    doc.image(drawn[crossover.NAME], crossover.NAME)


def scaling_section(doc, results, charts_dir, drawn, skipped):
    """`ccbench sweep scaling`: the chart, and per model the throughput per
    core, the speed-up and the USL fit with its caveat. Nothing without it."""
    by_workload = scaling_lines(results)
    if not by_workload:
        return
    doc.h2("Scaling with cores")
    try:
        drawn[scaling.NAME] = next(p for p in scaling.draw(results, charts_dir)
                                   if p.endswith(".png"))
        doc.image(drawn[scaling.NAME], "scaling")
    except Skip as e:
        skipped.append((scaling.NAME, str(e)))
    doc.p("Each model at k CPUs (`--cpus k`, its threads following k) under enough clients "
          "to keep every core busy. The Universal Scalability Law, X(k) = lambda k / (1 + "
          "sigma (k-1) + kappa k (k-1)), is fitted per model: sigma is contention (the share "
          "that serialises, a shared queue), kappa coherency (the cost of keeping cores in "
          "agreement; throughput peaks at k = sqrt((1 - sigma) / kappa)).")
    ks = sorted({k for lines in by_workload.values() for ln in lines for k, _ in ln.points})
    header = ["model", "workload"] + ["per core, k=%d" % k for k in ks] + [
        "speed-up", "sigma", "kappa", "peak k", "fit"]
    rows, caveats = [], []
    for workload, lines in by_workload.items():
        for ln in lines:
            per = dict(ln.per_core)
            f = ln.fit
            fitted = f.lam > 0 and f.points >= 2
            rows.append([ln.label, workload]
                        + [units.rate(per[k]) if k in per else "-" for k in ks]
                        + ["x%.2f at %d" % (ln.speedup, ln.points[-1][0]) if ln.speedup
                           else "-",
                           "%.3f" % f.sigma if fitted else "-",
                           "%.4f" % f.kappa if fitted else "-",
                           ("%.1f" % f.peak_k if f.peak_k else "none") if fitted else "-",
                           "trusted (r2 %.2f)" % f.r2 if f.trusted else "not trusted"])
            if f.caveat and f.caveat not in caveats:
                caveats.append(f.caveat)
    doc.table(header, rows)
    if caveats:
        doc.p("The fits cannot all be trusted: %s." % "; ".join(caveats))


def build(results, slo, charts_dir):
    drawn, skipped, crashed = draw_charts(results, charts_dir, slo)
    ok = [r for r in results.runs if r.ok]
    failed = [r for r in results.runs if not r.ok]
    doc = Doc("ccbench report: %s" % results.run_id)
    models = results.labels
    doc.p("%d runs (%d ok, %d failed) of %s on %s. A winner has the best throughput with %s."
          % (len(results.runs), len(ok), len(failed), ", ".join(models) or "no models",
             results.context.get("cpu_model") or "an unknown CPU", text.slo(slo)))

    doc.h2("Context")
    doc.table(["", ""], context_rows(results))

    doc.h2("The answer, per scenario")
    verdicts = ranking.verdicts(results, slo)
    if not verdicts:
        doc.p("No closed-loop scenario runs in this file.")
    for v in verdicts:
        scenario_section(doc, v)

    doc.h2("Decision map")
    runs, source = decision.decision_runs(results)
    cells = decision.decision_cells(runs, slo)
    if "decision_map" in drawn:
        doc.image(drawn["decision_map"], "decision map")
        note = "" if source == "decision-map" else (
            " The cells are the scenario runs: this file has no decision-map sweep.")
        doc.p("Each cell is a task mix; its colour is the model with the best throughput and "
              "%s. %s.%s" % (text.slo(slo), text.map_summary(decision.summarise(cells)), note))
    else:
        doc.p("Not drawn: %s." % dict(skipped).get("decision_map", "no data"))
    sat_out = python_outside_map(results, runs, source)
    if sat_out:
        doc.p("The Python models (%s) ran in the scenarios but not in the decision map: the "
              "quick sweep leaves them out of it (`make bench FULL=1` runs them in every cell)."
              % ", ".join(sat_out))

    doc.h2("How sure the numbers are")
    doc.p(text.sureness(sureness.sureness(results.runs)))
    scaling_section(doc, results, charts_dir, drawn, skipped)
    costs = netio.net_costs(results)
    if costs:
        doc.h2("What real I/O adds per task")
        doc.p(text.net_costs_intro())
        doc.table(["model", "scenario", "concurrency", "CPU/task, timer", "CPU/task, socket",
                   "added per round trip", "server CPU/request"],
                  [[c.label, "%s vs %s" % (c.scenario, c.twin), str(c.concurrency),
                    units.duration_us(c.cpu_timer_us), units.duration_us(c.cpu_net_us),
                    units.duration_us(c.added_us) if c.added_us >= 0
                    else "-" + units.duration_us(-c.added_us),
                    units.duration_us(c.server_us) if c.server_us is not None else "n/a"]
                   for c in costs], "llrrrrr")

    glue = microbench.glue_costs(results.micro)
    if glue:
        doc.h2("What ccbench itself costs each model")
        doc.p(text.glue_intro(microbench.GLUE_LIMIT))
        doc.table(["model", "CPU/task, bare library", "CPU/task, in ccbench", "ratio",
                   "within %.1fx" % microbench.GLUE_LIMIT],
                  [[g.model, units.duration_ns(g.bare_ns), units.duration_ns(g.inside_ns),
                    "%.2fx" % g.ratio,
                    ("yes" if g.within_limit else "**no**") if g.settled
                    else "one run: not judged"] for g in glue],
                  "lrrrl")
        if not all(g.settled for g in glue):
            doc.p(text.glue_unsettled(microbench.GLUE_MIN_RUNS))

    doc.h2("Rules learned on this host")
    doc.ul("**%s**: %s." % text.rule(rule)
           for rule in rules.rules(results, slo) + classes.head_of_line(results))
    crossover_chart(doc, results, charts_dir, drawn, skipped, slo)

    class_table = classes.class_rows(results)
    if class_table:
        doc.h2("Request classes")
        doc.p("Each class of a mix (`--mix`) measured on its own: its tasks' latency from "
              "their intended start, and its part of the stall log.")
        doc.table(["model", "workload", "load", "class", "share", "tasks/s", "p50", "p99",
                   "stall log"],
                  [[c.run.label, c.run.scenario or c.run.workload,
                    ("%s tasks/s offered" % units.rate(c.run.rate)) if c.run.open_loop
                    else "c=%d" % c.run.concurrency, c.name,
                    units.percent(c.share) if c.share is not None else "n/a",
                    units.rate(c.throughput) if c.throughput is not None else "n/a",
                    units.duration_ci_us(c.p50_us, c.latency_ci("p50"))
                    if c.p50_us is not None else "n/a",
                    units.duration_ci_us(c.p99_us, c.latency_ci("p99"))
                    if c.p99_us is not None else "n/a",
                    units.percent(c.stall_log_share) if c.stall_log_share is not None
                    else "n/a"] for c in class_table], "llllrrrrr")

    judged = [r for r in results.runs if r.slo_met is not None]
    if judged:
        doc.h2("Objective (--slo)")
        broken = [r for r in judged if not r.slo_met]
        doc.p("%d of %d runs meet `%s`." % (len(judged) - len(broken), len(judged),
                                           judged[0].slo_objective))
        if broken:
            doc.ul("%s %s: breaks it, worst: %s" % (r.label, r.scenario or r.workload,
                                                    r.get("slo.worst") or "?") for r in broken)

    doc.h2("Charts")
    wake = wakeup_note(results)
    for mod, caption in CHARTS:
        if mod.NAME in drawn:
            doc.p(caption)
            if mod is efficiency:
                basis = cpu_basis(efficiency_rows(ranking.scenario_runs(results)))
                if basis.window:
                    doc.p("Tasks per CPU-second use the %s." % text.cpu_basis(basis))
                if wake:
                    doc.p(wake)
            doc.image(drawn[mod.NAME], mod.NAME)
    not_drawn = [(n, why) for n, why in skipped if n != "decision_map"]
    if not_drawn:
        doc.p("Not drawn:")
        doc.ul("`%s`: %s" % (n, why) for n, why in not_drawn)

    doc.h2("Warnings")
    warnings = (results.warnings + results.notes
                + [text.check(c) for c in checks.checks(results)])
    if warnings:
        doc.ul(warnings)
    else:
        doc.p("None.")

    doc.h2("Failed runs")
    if failed:
        doc.table(["model", "scenario", "load", "status", "error"], [
            [r.label, r.scenario, ("%s tasks/s offered" % units.rate(r.rate)) if r.open_loop
             else "concurrency %d" % r.concurrency, r.status, r.error or "(no message)"]
            for r in failed])
    else:
        doc.p("None.")
    return doc, drawn, skipped, crashed


def main(argv=None):
    p = argparse.ArgumentParser(prog="plot/report.py", description=__doc__)
    p.add_argument("run_dir", help="a run directory (with results.json) or a results.json file")
    p.add_argument("--slo", default=DEFAULT_SLO,
                   help="p99 limit for winners: a multiple of the task's own duration (10x, "
                        "the default) or a time (50ms)")
    args = p.parse_args(argv)
    try:
        slo = Slo.parse(args.slo)
        results = load(args.run_dir)
    except (LoadError, ValueError) as e:
        return fail(str(e))
    if args.slo == DEFAULT_SLO:
        # The runs' own objective (ccbench run --slo 'p99<...') replaces the default.
        slo = from_runs(results.runs) or slo
    out = results.run_dir
    charts_dir = os.path.join(out, "charts")
    try:
        doc, drawn, skipped, crashed = build(results, slo, charts_dir)
        md_path = os.path.join(out, "report.md")
        html_path = os.path.join(out, "report.html")
        for path, body in ((md_path, doc.markdown(out)), (html_path, doc.html())):
            tmp = path + ".tmp"
            with open(tmp, "w", encoding="utf-8") as f:
                f.write(body)
            os.replace(tmp, path)  # never leave a half-written report
    except OSError as e:
        return fail("cannot write the report into '%s': %s" % (out, e))
    print("plot: wrote %s, %s and %d charts in %s" % (md_path, html_path, len(drawn),
                                                       charts_dir))
    for name, why in skipped:
        print("plot: %s: not drawn: %s" % (name, why), file=sys.stderr)
    if crashed:
        print("plot: charts that failed: %s (a bug: please report it)" % ", ".join(crashed),
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
