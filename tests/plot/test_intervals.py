"""Percentile intervals (latency_ci_us) in plot/: reading them (and files
without them), the tie rule of the decision map, compare's "intervals
overlap", the hockey stick's error bars and the report's count of sure p99s."""

import json
import math
import os
import shutil
import unittest

import support  # puts plot/ on sys.path
from ccplot import decision, load, ranking, stats, sureness, text, units
from ccplot.slo import Slo

from test_analysis import results, run

SLO = Slo.parse("10x")


def ci(p50=None, p90=None, p99=None, p999=None):
    """A latency_ci_us object; each argument is (low, high), a side None unbounded."""
    out = {"confidence": 0.95}
    for key, v in (("p50", p50), ("p90", p90), ("p99", p99), ("p999", p999)):
        out[key] = {"low": v[0], "high": v[1]} if v else {"low": None, "high": None}
    return out


class Reading(unittest.TestCase):
    def test_interval_and_width(self):
        r = load.Run(run("loop", 1000, 10_000, latency_ci_us=ci(p99=(9_000, 11_000))), 0)
        self.assertEqual(r.latency_ci("p99"), (9_000, 11_000))
        self.assertAlmostEqual(r.relative_half_width("p99"), 0.1)
        self.assertFalse(r.rough("p99"))
        self.assertEqual(r.latency_ci("p50"), (None, None))
        self.assertEqual(r.relative_half_width("p50"), math.inf)
        self.assertTrue(r.rough("p50"))

    def test_the_wider_side_counts(self):
        r = load.Run(run("loop", 1000, 10_000, latency_ci_us=ci(p99=(9_900, 13_000))), 0)
        self.assertAlmostEqual(r.relative_half_width("p99"), 0.3)
        self.assertTrue(r.rough("p99"))

    def test_older_files_have_none(self):
        r = load.Run(run("loop", 1000, 10_000), 0)
        self.assertIsNone(r.latency_ci("p99"))
        self.assertIsNone(r.relative_half_width("p99"))
        self.assertFalse(r.rough("p99"))
        self.assertEqual(units.duration_ci_us(10_000, None), "10 ms")

    def test_repetitions_take_the_envelope(self):
        res = results(run("loop", 1000, 10_000, repetition=0, latency_ci_us=ci(p99=(9e3, 11e3))),
                      run("loop", 1000, 10_500, repetition=1, latency_ci_us=ci(p99=(9.5e3,
                                                                                    12e3))))
        (p,) = load.fold(res.runs)
        self.assertEqual(p.latency_ci("p99"), (9e3, 12e3))
        res = results(run("loop", 1000, 10_000, repetition=0, latency_ci_us=ci(p99=(9e3, 11e3))),
                      run("loop", 1000, 10_500, repetition=1,
                          latency_ci_us=ci(p99=(9.5e3, None))))
        (p,) = load.fold(res.runs)
        self.assertEqual(p.latency_ci("p99"), (9e3, None))

    def test_throughput_with_its_repetition_interval(self):
        self.assertEqual(units.rate_ci(1020, (990.4, 1049.6)), "1,020 [990-1,050]")
        self.assertEqual(units.rate_ci(1020, None), "1,020")
        self.assertEqual(units.rate_ci(50, (-3.0, 103.0)), "50.0 [0.00-103]")

    def test_a_class_reads_its_intervals(self):
        from ccplot import classes
        mix = run("loop", 1000, 10_000, classes=[
            {"name": "api", "completed": 900, "latency_us": {"p50": 2000.0, "p99": 5000.0},
             "latency_ci_us": ci(p50=(1900.0, 2100.0), p99=(4500.0, None))},
            {"name": "old", "completed": 100, "latency_us": {"p50": 9000.0, "p99": 9900.0}}],
            duration_s=1.0)
        api, old = classes.class_rows(results(mix))
        self.assertEqual(api.latency_ci("p50"), (1900.0, 2100.0))
        self.assertEqual(api.latency_ci("p99"), (4500.0, None))
        self.assertIsNone(old.latency_ci("p99"))

    def test_formatting(self):
        self.assertEqual(units.duration_ci_us(12_300, (11_100, 14_000)), "12.3 ms [11.1-14]")
        self.assertEqual(units.duration_ci_us(12_300, (11_100, None)),
                         "12.3 ms [11.1-unbounded]")
        self.assertEqual(units.duration_ci_us(1_020, (980, 1_100)), "1.02 ms [980 us-1.1 ms]")


class Overlap(unittest.TestCase):
    def test_cases(self):
        self.assertTrue(stats.intervals_overlap((1, 3), (2, 4)))
        self.assertTrue(stats.intervals_overlap((1, 3), (3, 4)))
        self.assertFalse(stats.intervals_overlap((1, 2), (3, 4)))
        self.assertTrue(stats.intervals_overlap((1, None), (30, 40)), "unbounded above")
        self.assertTrue(stats.intervals_overlap((None, 5), (1, 2)), "unbounded below")
        self.assertIsNone(stats.intervals_overlap(None, (1, 2)))

    def test_t_interval(self):
        # mean 10, sd 1, n 4: 10 +- 3.182 * 1 / 2.
        a = math.sqrt(0.75)
        lo, hi = stats.t_interval([10 - a, 10 - a, 10 + a, 10 + a])
        self.assertAlmostEqual(lo, 10 - 3.182 / 2, places=6)
        self.assertAlmostEqual(hi, 10 + 3.182 / 2, places=6)
        self.assertIsNone(stats.t_interval([5]))


def reps(model, tps, p99=5_000, threads=1):
    return [run(model, tp, p99, threads=threads, repetition=i) for i, tp in enumerate(tps)]


class TieRule(unittest.TestCase):
    def test_overlapping_intervals_tie_even_8_percent_apart(self):
        # Medians 1080 against 1000, but each spreads +-150: indistinguishable.
        res = results(*reps("pool", [930, 1080, 1230], threads=2), *reps("loop", [850, 1000,
                                                                               1150]))
        (v,) = ranking.verdicts(res, SLO)
        self.assertTrue(v.tie)
        self.assertEqual(v.reason.tie.rule, "intervals")
        self.assertIn("95% intervals over the repetitions overlap", text.reason(v))

    def test_disjoint_intervals_lead_even_3_percent_apart(self):
        # Medians 1030 against 1000, each within +-1: clearly apart.
        res = results(*reps("pool", [1029, 1030, 1031], threads=2),
                      *reps("loop", [999, 1000, 1001]))
        (v,) = ranking.verdicts(res, SLO)
        self.assertFalse(v.tie)
        self.assertEqual(v.reason.kind, "lead")

    def test_one_run_each_keeps_the_5_percent_rule(self):
        res = results(run("pool", 1030, 5_000, threads=2), run("loop", 1000, 5_000))
        (v,) = ranking.verdicts(res, SLO)
        self.assertTrue(v.tie)
        self.assertEqual(v.reason.tie.rule, "5%")
        self.assertIn("inside run-to-run noise", text.reason(v))

    def test_the_map_says_which_rule(self):
        import decision_map  # here: it loads matplotlib
        res = results(*reps("pool", [930, 1080, 1230], threads=2),
                      *reps("loop", [850, 1000, 1150]))
        cells = decision.decision_cells(res.runs, SLO)
        self.assertEqual([c.tie_rule for c in cells], ["intervals"])
        self.assertIn("95% intervals overlap", decision_map.tie_rule_text(cells))
        self.assertIn("tie with", decision_map.cell_text(cells[0]))
        res = results(run("pool", 1300, 5_000, threads=2), run("loop", 1000, 5_000))
        cells = decision.decision_cells(res.runs, SLO)
        self.assertIn("< 5% apart", decision_map.tie_rule_text(cells))
        # A clear lead with repetitions gives its margin's range.
        res = results(*reps("pool", [1290, 1300, 1310], threads=2),
                      *reps("loop", [990, 1000, 1010]))
        cells = decision.decision_cells(res.runs, SLO)
        self.assertRegex(decision_map.cell_text(cells[0]), r"\+30% \(2\d% to 3\d%\) vs loop")


class Sureness(unittest.TestCase):
    def test_counts(self):
        res = results(run("loop", 1000, 10_000, latency_ci_us=ci(p99=(9_500, 10_800))),
                      run("pool", 1000, 10_000, threads=2, latency_ci_us=ci(p99=(9_000, 13_000))),
                      run("asio", 1000, 10_000, threads=2, latency_ci_us=ci(p99=(9_000, None))),
                      run("fiber", 1000, 10_000))
        s = sureness.sureness(res.runs)
        self.assertEqual((s.runs, s.recorded, s.within, s.unbounded), (4, 3, 1, 1))
        sentence = text.sureness(s)
        self.assertIn("1 of 3 p99s are within +-10%", sentence)
        self.assertIn("1 is unbounded", sentence)
        self.assertIn("the other 1 wider", sentence)

    def test_precision_runs(self):
        res = results(run("loop", 1000, 10_000, latency_ci_us=ci(p99=(9_800, 10_200)),
                          precision={"target_pct": 5.0, "reached_pct": 2.0, "met": True}),
                      run("pool", 1000, 10_000, threads=2, latency_ci_us=ci(p99=(9_000, None)),
                          precision={"target_pct": 5.0, "reached_pct": None, "met": False}))
        s = sureness.sureness(res.runs)
        self.assertEqual((s.asked, s.met), (2, 1))
        self.assertIn("1 of 2 runs that asked for a precision", text.sureness(s))
        self.assertIn("pool x2", text.sureness(s))

    def test_old_file(self):
        s = sureness.sureness(results(run("loop", 1000, 10_000)).runs)
        self.assertIn("records no percentile intervals", text.sureness(s))


class ReportTables(unittest.TestCase):
    def test_candidate_row_gives_throughput_its_repetition_interval(self):
        import report
        res = results(*reps("loop", [990, 1000, 1010]))
        (v,) = ranking.verdicts(res, SLO)
        row = report.candidate_row(v.winner, v)
        lo, hi = stats.t_interval([990, 1000, 1010])
        self.assertEqual(row[1], "1,000 [%s-%s]" % (units.rate(lo), units.rate(hi)))
        (v,) = ranking.verdicts(results(run("loop", 1000, 5_000)), SLO)
        self.assertEqual(report.candidate_row(v.winner, v)[1], "1,000")

    def test_python_models_outside_the_quick_map_are_named(self):
        import report
        py = {"uses_threads": False, "cooperative": True, "offload": ["none", "thread"],
              "sweep": False, "order": 8, "python": True, "colors": {"none": "#777777"},
              "marker": "P"}
        scen = run("asyncio", 500, 5_000, model_traits=py, group="scenarios")
        cell = run("loop", 900, 5_000, workload="io:10ms", group="decision-map")
        res = results(scen, cell)
        runs = res.in_group("decision-map")
        self.assertEqual(report.python_outside_map(res, runs, "decision-map"), ["asyncio"])
        self.assertEqual(report.python_outside_map(res, runs, "scenarios"), [])
        cell_py = run("asyncio", 300, 5_000, workload="io:10ms", group="decision-map",
                      model_traits=py)
        res = results(scen, cell, cell_py)
        self.assertEqual(report.python_outside_map(res, res.in_group("decision-map"),
                                                   "decision-map"), [])


class Efficiency(unittest.TestCase):
    """Tasks per CPU-second carry their interval over repetitions."""

    def tearDown(self):
        import matplotlib.pyplot as plt
        plt.close("all")

    def test_bars_over_repetitions_and_none_without(self):
        import efficiency
        from ccplot.efficiency import efficiency_rows
        res = results(*[run("loop", 1000, 5_000, cpu=c, repetition=i)
                        for i, c in enumerate((0.5, 0.55, 0.6))])
        (row,) = efficiency_rows(res.runs)
        per = [r.tasks_per_cpu_s for r in res.runs]
        self.assertEqual(row.tasks_per_cpu_s_ci, stats.t_interval(per))
        fig = efficiency.figure(res)
        top = fig.axes[0]
        (span,) = bar_spans(top, "_ci")
        lo, hi = stats.t_interval(per)
        self.assertAlmostEqual(span[1], hi)
        if lo > 0:
            self.assertAlmostEqual(span[0], lo)
        else:
            self.assertEqual(len(bar_spans(top, "_ci_open")), 1, "low side <= 0: open-ended")
        self.assertTrue(any("bar = its 95% interval" in t.get_text() for t in fig.texts))
        one = results(run("loop", 1000, 5_000, cpu=0.5))
        (row,) = efficiency_rows(one.runs)
        self.assertIsNone(row.tasks_per_cpu_s_ci)
        fig = efficiency.figure(one)
        self.assertEqual(bar_spans(fig.axes[0], "_ci"), [])
        self.assertTrue(any("one run each, no interval" in t.get_text() for t in fig.texts))


class Compare(unittest.TestCase):
    def test_overlap_beside_the_u_test(self):
        import compare
        a = results(run("loop", 1000, 10_000, latency_ci_us=ci(p99=(9_500, 10_500))),
                    run("pool", 1000, 10_000, threads=2,
                        latency_ci_us=ci(p99=(9_500, 10_500))),
                    run("asio", 1000, 10_000, threads=2))
        b = results(run("loop", 1000, 10_200, latency_ci_us=ci(p99=(9_900, 11_000))),
                    run("pool", 1000, 20_000, threads=2,
                        latency_ci_us=ci(p99=(19_000, 21_000))),
                    run("asio", 1000, 10_000, threads=2))
        rows, _, _ = compare.compare(a, b)
        by = {r["label"]: r for r in rows}
        self.assertIs(by["loop"]["p99_overlap"], True)
        self.assertIs(by["pool x2"]["p99_overlap"], False)
        self.assertIsNone(by["asio x2"]["p99_overlap"], "no intervals recorded")
        table = compare.table(rows)
        self.assertIn("p99 95% CIs", table.splitlines()[0])
        lines = {ln.split()[0]: ln for ln in table.splitlines()[2:]}
        self.assertTrue(lines["loop"].rstrip().endswith("overlap"))
        self.assertTrue(lines["pool"].rstrip().endswith("apart"))
        self.assertTrue(lines["asio"].rstrip().endswith("n/a"))


def bar_spans(ax, label):
    """(low, high) of every vertical segment labelled `label` on ax
    (style.interval_bar: "_ci" solid bars, "_ci_open" open-ended sides)."""
    out = []
    for coll in ax.collections:
        if coll.get_label() == label:
            for seg in coll.get_segments():
                out.append((float(seg[0][1]), float(seg[1][1])))
    return out


def arrows(ax):
    return [(ln.get_marker(), float(ln.get_ydata()[0])) for ln in ax.get_lines()
            if ln.get_label() == "_ci_arrow"]


class IntervalBar(unittest.TestCase):
    """style.interval_bar: bounded sides solid and capped, an unbounded side
    open-ended (dotted, an arrowhead), never a zero-width bar."""

    def setUp(self):
        import matplotlib.pyplot as plt
        from ccplot import style
        self.plt, self.style = plt, style
        self.fig, self.ax = plt.subplots()

    def tearDown(self):
        self.plt.close(self.fig)

    def test_bounded(self):
        b = self.style.interval_bar(self.ax, 5, 10_000, (9_000, 12_000), "red")
        self.assertEqual(bar_spans(self.ax, "_ci"), [(9.0, 12.0)])
        self.assertEqual(sorted(float(c.get_ydata()[0]) for c in b["caps"]), [9.0, 12.0])
        self.assertEqual((b["open"], b["arrows"]), ([], []))

    def test_unbounded_above(self):
        self.style.interval_bar(self.ax, 5, 10_000, (9_000, None), "red")
        self.assertEqual(bar_spans(self.ax, "_ci"), [(9.0, 10.0)])
        self.assertEqual(bar_spans(self.ax, "_ci_open"), [(10.0, 30.0)])
        self.assertEqual(arrows(self.ax), [("^", 30.0)])

    def test_unbounded_both_ways_draws_no_solid_bar(self):
        b = self.style.interval_bar(self.ax, 5, 9_000, (None, None), "red")
        self.assertIsNone(b["bar"])
        self.assertEqual(sorted(bar_spans(self.ax, "_ci_open")), [(3.0, 9.0), (9.0, 27.0)])
        self.assertEqual(sorted(arrows(self.ax)), [("^", 27.0), ("v", 3.0)])

    def test_throughput_scale(self):
        self.style.interval_bar(self.ax, 1, 1000.0, (900.0, 1100.0), "red", scale=1.0)
        self.assertEqual(bar_spans(self.ax, "_ci"), [(900.0, 1100.0)])


def expected_spans(points):
    """What interval_bar draws for each point's p99 interval, in ms: the solid
    spans and the open ones."""
    solid, opened = [], []
    for p in points:
        c = p.latency_ci("p99")
        if not p.p99 or c is None:
            continue
        y = p.p99 / 1e3
        lo = c[0] / 1e3 if c[0] is not None else None
        hi = c[1] / 1e3 if c[1] is not None else None
        if lo is not None or hi is not None:
            solid.append((lo if lo is not None else y, hi if hi is not None else y))
        if lo is None:
            opened.append((y / 3, y))
        if hi is None:
            opened.append((y, y * 3))
    return sorted(solid), sorted(opened)


def rounded(spans):
    return sorted((round(a, 6), round(b, 6)) for a, b in spans)


class CompareOverlays(unittest.TestCase):
    """compare's overlay charts draw each file's intervals: the p99's from
    latency_ci_us, throughput's over the repetitions."""

    def tearDown(self):
        import matplotlib.pyplot as plt
        plt.close("all")

    def test_p99_bars_from_each_file(self):
        import compare
        a = results(run("loop", 100, 10_000, conc=1, latency_ci_us=ci(p99=(9_000, None))),
                    run("loop", 800, 12_000, latency_ci_us=ci(p99=(11_000, 13_000))))
        b = results(run("loop", 100, 10_000, conc=1, latency_ci_us=ci(p99=(9_500, None))),
                    run("loop", 900, 11_000, latency_ci_us=ci(p99=(10_500, 11_800))))
        rows, _, _ = compare.compare(a, b)
        fig = compare.overlay_figure(a, b, rows, "p99")
        (ax,) = [x for x in fig.axes if x.get_visible()]
        self.assertEqual(rounded(bar_spans(ax, "_ci")),
                         [(9.0, 10.0), (9.5, 10.0), (10.5, 11.8), (11.0, 13.0)])
        self.assertEqual(rounded(bar_spans(ax, "_ci_open")), [(10.0, 30.0), (10.0, 30.0)])
        self.assertEqual([m for m, _ in arrows(ax)], ["^", "^"])
        legend = [t.get_text() for t in fig.legends[0].get_texts()]
        self.assertIn("p99's 95% interval", legend)
        self.assertIn("unbounded side (too few samples)", legend)
        # The bars stand beside their files' points: A left of the load, B right.
        xs = {round(float(seg[0][0]), 3) for c in ax.collections if c.get_label() == "_ci"
              for seg in c.get_segments()}
        self.assertEqual(len(xs), 4)
        self.assertTrue(all(x not in (1.0, 8.0) for x in xs), xs)

    def test_throughput_bars_over_repetitions_and_none_without(self):
        import compare
        a = results(*reps("loop", [990, 1000, 1010]))
        b = results(*reps("loop", [1090, 1100, 1110]))
        rows, _, _ = compare.compare(a, b)
        fig = compare.overlay_figure(a, b, rows, "throughput")
        (ax,) = [x for x in fig.axes if x.get_visible()]
        spans = rounded(bar_spans(ax, "_ci"))
        want = rounded([stats.t_interval([990, 1000, 1010]),
                        stats.t_interval([1090, 1100, 1110])])
        self.assertEqual(spans, want)
        # One run a side: no interval to draw, and the subtitle says why.
        a, b = results(run("loop", 1000, 5_000)), results(run("loop", 1100, 5_000))
        rows, _, _ = compare.compare(a, b)
        fig = compare.overlay_figure(a, b, rows, "throughput")
        (ax,) = [x for x in fig.axes if x.get_visible()]
        self.assertEqual(bar_spans(ax, "_ci"), [])
        self.assertTrue(any("no repetition interval" in t.get_text() for t in fig.texts))


def with_intervals(src_dir, dst_dir):
    """The full fixture with p99 intervals: +-5% where a run completed 2,000
    tasks or more, unbounded above below 368, +-30% between."""
    with open(os.path.join(src_dir, "results.json"), encoding="utf-8") as f:
        data = json.load(f)
    for r in data["runs"]:
        lat = r.get("latency_us") or {}
        p99, n = lat.get("p99"), r.get("completed") or 0
        if p99 is None:
            continue
        if n >= 2000:
            r["latency_ci_us"] = ci(p99=(p99 * 0.95, p99 * 1.05))
        elif n >= 368:
            r["latency_ci_us"] = ci(p99=(p99 * 0.7, p99 * 1.3))
        else:
            r["latency_ci_us"] = ci(p99=(p99 * 0.8, None))
    with open(os.path.join(dst_dir, "results.json"), "w", encoding="utf-8") as f:
        json.dump(data, f)
    return load.load(dst_dir)


class Charts(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp, cls.run_dir = support.copy_run(support.FULL)
        cls.res = with_intervals(support.FULL, cls.run_dir)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_hockey_draws_p99_error_bars(self):
        import hockey
        fig = hockey.figure(self.res)
        legend = [t.get_text() for lg in fig.legends for t in lg.get_texts()]
        self.assertTrue(any("95% interval" in t for t in legend), legend)
        # Every hockey point with a p99 has a bar: one solid vertical segment each.
        points = sum(1 for r in hockey.hockey_runs(self.res) if r.ok and r.p99)
        solid = 0
        for ax in fig.axes:
            for coll in ax.collections:
                if type(coll).__name__ == "LineCollection" and coll.get_linestyle()[0][1] is None:
                    solid += len(coll.get_segments())
        self.assertGreaterEqual(solid, points)
        # And each bar spans its point's interval exactly (open sides dotted).
        pts = [p for p in load.fold(hockey.hockey_runs(self.res)) if p.run.rate]
        want_solid, want_open = expected_spans(pts)
        got_solid = [s for ax in fig.axes for s in bar_spans(ax, "_ci")]
        got_open = [s for ax in fig.axes for s in bar_spans(ax, "_ci_open")]
        self.assertEqual(rounded(got_solid), rounded(want_solid))
        self.assertEqual(rounded(got_open), rounded(want_open))

    def test_throughput_chart_draws_each_p99_with_its_interval(self):
        import throughput
        from ccplot.ranking import by_scenario, scenario_runs
        fig = throughput.figure(self.res)
        lat_axes = [ax for ax in fig.axes if ax.get_visible() and ax.get_ylabel() == "p99 latency"]
        scen = by_scenario(scenario_runs(self.res))
        self.assertEqual(len(lat_axes), len(scen))
        unbounded = 0
        for ax, (name, rs) in zip(lat_axes, scen.items()):
            with self.subTest(scenario=name):
                solid, opened = expected_spans(load.fold(rs))
                self.assertTrue(solid)
                self.assertEqual(rounded(bar_spans(ax, "_ci")), rounded(solid))
                self.assertEqual(rounded(bar_spans(ax, "_ci_open")), rounded(opened))
                self.assertEqual(len(arrows(ax)), len(opened))
                unbounded += len(opened)
        self.assertGreater(unbounded, 0, "the fixture has unbounded p99s")
        legend = [t.get_text() for lg in fig.legends for t in lg.get_texts()]
        self.assertIn("p99's 95% interval", legend)
        self.assertIn("unbounded side (too few samples)", legend)
        # Without intervals in the file: the p99s, no bars, and the chart says so.
        fig = throughput.figure(load.load(support.FULL))
        self.assertFalse(any(bar_spans(ax, "_ci") for ax in fig.axes))
        self.assertTrue(any("records no percentile intervals" in t.get_text()
                            for t in fig.texts))

    def test_hockey_without_intervals_has_no_bars(self):
        import hockey
        fig = hockey.figure(load.load(support.FULL))
        legend = [t.get_text() for lg in fig.legends for t in lg.get_texts()]
        self.assertFalse(any("95% interval" in t for t in legend))

    def test_spectrum_draws_the_summary_percentiles_intervals(self):
        import spectrum
        fig = spectrum.figure(self.res)
        legend = [t.get_text() for lg in fig.legends for t in lg.get_texts()]
        self.assertTrue(any("95% interval" in t for t in legend), legend)
        fig = spectrum.figure(load.load(support.FULL))
        legend = [t.get_text() for lg in fig.legends for t in lg.get_texts()]
        self.assertFalse(any("95% interval" in t for t in legend))

    def test_report_counts_sure_p99s(self):
        proc = support.run("report", self.run_dir)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(os.path.join(self.run_dir, "report.md"), encoding="utf-8") as f:
            md = f.read()
        s = sureness.sureness(self.res.runs)
        self.assertIn("## How sure the numbers are", md)
        self.assertIn("%d of %d p99s are within +-10%%" % (s.within, s.recorded), md)
        self.assertGreater(s.within, 0)
        self.assertGreater(s.unbounded, 0)
        # The scenario tables print each p99 with its interval.
        self.assertRegex(md, r"\| [0-9.]+ [mu]?s \[[0-9.]+-[0-9.]+\] \|")


if __name__ == "__main__":
    unittest.main()
