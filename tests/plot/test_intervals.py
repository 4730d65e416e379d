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
