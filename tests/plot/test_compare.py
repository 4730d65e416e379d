"""compare.py: the Mann-Whitney U test against values worked out by hand,
the table of deltas, the overlay charts and bad input."""

import math
import os
import random
import shutil
import tempfile
import unittest

import support
from ccplot import stats


class MannWhitney(unittest.TestCase):
    def test_separated_samples(self):
        # x = 1 2 3, y = 4 5 6: every x is below every y, so U(x) = 0 and
        # U(y) = 9. No ties: mean 3*3/2 = 4.5, variance 3*3*7/12 = 5.25.
        # z = (9 - 4.5 - 0.5) / sqrt(5.25) = 1.7457, p = 2 (1 - Phi(z)) = 0.0809
        # (scipy.stats.mannwhitneyu(..., method="asymptotic") gives 0.08086).
        u, p = stats.mann_whitney_u([1, 2, 3], [4, 5, 6])
        self.assertEqual(u, 0.0)
        self.assertAlmostEqual(p, math.erfc(4 / math.sqrt(5.25) / math.sqrt(2)), places=12)
        self.assertAlmostEqual(p, 0.080856, places=5)
        # Symmetric in its arguments, apart from which U is reported.
        u2, p2 = stats.mann_whitney_u([4, 5, 6], [1, 2, 3])
        self.assertEqual(u2, 9.0)
        self.assertAlmostEqual(p, p2, places=12)

    def test_ties(self):
        # x = 1 2 2 3, y = 2 3 4 4. Sorted: 1x 2x 2x 2y 3x 3y 4y 4y; average
        # ranks 1, 3, 3, 3, 5.5, 5.5, 7.5, 7.5. R(x) = 1 + 3 + 3 + 5.5 = 12.5,
        # U(x) = 12.5 - 4*5/2 = 2.5, U(y) = 16 - 2.5 = 13.5. Tie groups of 3, 2
        # and 2: sum(t^3 - t) = 24 + 6 + 6 = 36; variance
        # 16/12 * (9 - 36/56) = 11.142857; z = (13.5 - 8 - 0.5) / 3.338092 = 1.49786.
        u, p = stats.mann_whitney_u([1, 2, 2, 3], [2, 3, 4, 4])
        self.assertEqual(u, 2.5)
        var = 16 / 12 * (9 - 36 / 56)
        self.assertAlmostEqual(var, 11.142857, places=5)
        z = 5 / math.sqrt(var)
        self.assertAlmostEqual(p, math.erfc(z / math.sqrt(2)), places=12)
        self.assertAlmostEqual(p, 0.13416, places=4)

    def test_u_counts_pairs(self):
        rng = random.Random(7)
        for _ in range(20):
            x = [rng.randint(0, 9) for _ in range(rng.randint(1, 8))]
            y = [rng.randint(0, 9) for _ in range(rng.randint(1, 8))]
            pairs = sum(1.0 if a > b else 0.5 if a == b else 0.0 for a in x for b in y)
            u, p = stats.mann_whitney_u(x, y)
            self.assertAlmostEqual(u, pairs)
            self.assertTrue(0.0 <= p <= 1.0)

    def test_identical_samples(self):
        self.assertEqual(stats.mann_whitney_u([5, 5, 5], [5, 5, 5])[1], 1.0)

    def test_ranks(self):
        self.assertEqual(list(stats.average_ranks([10, 20, 20, 5])), [2.0, 3.5, 3.5, 1.0])

    def test_too_few_samples(self):
        self.assertEqual(stats.utest([1, 2], [3, 4, 5]), ("n too small", None))
        text, sig = stats.utest([1, 2, 3, 4, 5], [10, 11, 12, 13, 14])
        self.assertTrue(sig)
        self.assertTrue(text.startswith("p="))
        with self.assertRaises(ValueError):
            stats.mann_whitney_u([], [1])


class CompareScript(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="ccplot-compare-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_table_significance_and_overlays(self):
        out = os.path.join(self.tmp, "overlay")
        p = support.run("compare", support.BEFORE, support.AFTER, "-o", out)
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stdout.splitlines()
        loop_io = next(x for x in lines if x.startswith("loop ") and "io:10ms" in x)
        # The fixture makes "after" 12% faster on loop io: significant.
        self.assertRegex(loop_io, r"\+1[0-9]\.[0-9]% \*")
        self.assertIn("5/5", loop_io)
        block = next(x for x in lines if x.startswith("loop ") and "block:5ms" in x)
        self.assertIn("n too small", block)
        self.assertIn("only in A: pool x2 block:5ms c=8", p.stdout)
        self.assertIn("only in B: loop+thread block:5ms c=8", p.stdout)
        self.assertIn("B significantly faster in 1", p.stdout)
        for name in ("compare_throughput", "compare_p99"):
            support.assert_image_pair(self, out, name)

    def test_overlay_content(self):
        # before.json is an older file (no model_traits), after.json has them:
        # one registry for both, the recorded traits winning.
        import compare
        import matplotlib.pyplot as plt
        from matplotlib import colors
        from ccplot import load
        a, b = load.load(support.BEFORE), load.load(support.AFTER)
        rows, _, _ = compare.compare(a, b)
        try:
            fig = compare.overlay_figure(a, b, rows, "throughput")
            axes = [ax for ax in fig.axes if ax.get_visible()]
            self.assertEqual([ax.get_title() for ax in axes], ["block:5ms", "cpu:1ms",
                                                               "io:10ms"])
            for ax in axes:
                lines = [ln for ln in ax.get_lines() if not ln.get_label().startswith("_")]
                self.assertEqual(ax.get_ylabel(), "throughput (tasks/s)")
                self.assertEqual([ln.get_label() for ln in lines],
                                 ["loop", "pool x2"][:len(lines)])
                self.assertEqual(colors.to_hex(lines[0].get_color()),
                                 support.TRAITS["loop"]["colors"]["none"])
            labels = [t.get_text() for t in fig.legends[0].get_texts()]
            self.assertEqual(labels, ["loop", "pool x2", "A: before", "B: after",
                                      "throughput's 95% interval"])
            self.assertIsNone(compare.overlay_figure(a, b, [], "p99"))
        finally:
            plt.close("all")

    def test_run_directories_and_no_overlap(self):
        p = support.run("compare", support.FULL, support.FULL)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("B significantly faster in 0, slower in 0", p.stdout)
        p = support.run("compare", support.BEFORE, support.MINIMAL)
        self.assertEqual(p.returncode, 1)
        self.assertIn("no configuration appears in both", p.stderr)

    def test_bad_input_exits_2(self):
        bad = os.path.join(self.tmp, "bad.json")
        with open(bad, "w") as f:
            f.write("{nope")
        for args, fragment in (((support.BEFORE, os.path.join(self.tmp, "missing")),
                                "no such file"),
                               ((bad, support.AFTER), "not valid JSON"),
                               ((support.BEFORE, support.AFTER, "--alpha", "2"), "--alpha")):
            with self.subTest(args=args):
                p = support.run("compare", *args)
                self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
                self.assertTrue(p.stderr.startswith("plot: "), p.stderr)
                self.assertIn(fragment, p.stderr)
        p = support.run("compare", support.BEFORE)
        self.assertEqual(p.returncode, 2)  # argparse: missing B


def _variant(tmp, name, host, factors):
    """after.json with each configuration's throughput samples multiplied:
    factors maps (model, workload) to one factor per repetition (or one for
    all); written as tmp/name.json."""
    import copy
    import json
    with open(support.AFTER) as f:
        doc = json.load(f)
    doc = copy.deepcopy(doc)
    doc["run_id"] = name
    doc["context"]["host"] = host

    def factor(model, workload, rep):
        f = factors.get((model, workload), factors.get("*", 1.0))
        return f[rep % len(f)] if isinstance(f, list) else f
    for r in doc["runs"]:
        r["throughput_per_s"] *= factor(r["model"], r["workload"], r.get("repetition") or 0)
    for s in doc.get("summaries", []):
        k = s["key"]
        smp = s["samples"]["throughput_per_s"]
        s["samples"]["throughput_per_s"] = [v * factor(k["model"], k["workload"], i)
                                            for i, v in enumerate(smp)]
    path = os.path.join(tmp, name + ".json")
    with open(path, "w") as f:
        json.dump(doc, f)
    return path


class CompareMany(unittest.TestCase):
    """Three files or more, and --fail-above."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="ccplot-compare-many-")
        # A 20% drop everywhere; and a 7% median drop on loop io whose
        # repetitions spread from -20% to +10% (inside noise).
        cls.drop = _variant(cls.tmp, "drop", "slow-host", {"*": 0.8})
        cls.noisy = _variant(cls.tmp, "noisy", "noisy-host",
                             {("loop", "io:10ms"): [1.10, 0.80, 0.93, 1.04, 0.85]})

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_three_way_table_charts_and_report(self):
        out = os.path.join(self.tmp, "three")
        p = support.run("compare", support.AFTER, self.noisy, self.drop, "-o", out)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("C: %s  (drop, slow-host," % self.drop, p.stdout)
        block = p.stdout.split("loop  io:10ms  c=8\n")[1].split("\n\n")[0].splitlines()
        self.assertEqual([x.split()[0] for x in block], ["file", "A", "B", "C"])
        self.assertRegex(block[3], r"slow-host +5 +715 +-20\.0% \* +p=0\.0122")
        self.assertNotIn("*", block[2], "the noisy file's 7% drop is not significant")
        for name in ("compare_throughput", "compare_p99"):
            support.assert_image_pair(self, out, name)
        with open(os.path.join(out, "compare.md")) as f:
            md = f.read()
        for heading in ("## A: fixture-host", "## B: noisy-host", "## C: slow-host"):
            self.assertIn(heading, md)
        self.assertIn("| loop | io:10ms | c=8 | 5 | 715 | -20.0% * | 12.5 ms | +0.0% |", md)
        self.assertIn("![compare_throughput](compare_throughput.png)", md)
        with open(os.path.join(out, "compare.html")) as f:
            html = f.read()
        self.assertIn("C: slow-host", html)
        self.assertEqual(html.count('src="data:image/png;base64,'), 2)

    def test_overlay_has_a_series_per_file(self):
        import compare
        import matplotlib.pyplot as plt
        from ccplot import load
        files = [load.load(x) for x in (support.AFTER, self.noisy, self.drop)]
        rows, _, registry = compare.compare_many(files)
        try:
            fig = compare.overlay_figure_many(files, rows, "throughput", registry)
            labels = [t.get_text() for t in fig.legends[0].get_texts()]
            # Then the error bars' entry: these files repeat each run.
            self.assertEqual(labels[-4:], ["A: after", "B: noisy", "C: drop",
                                           "throughput's 95% interval"])
            ax = next(a for a in fig.axes if a.get_title() == "io:10ms")
            # Each model at one load: a marker per file (the bars' caps aside).
            marks = [ln for ln in ax.get_lines() if ln.get_linestyle() == "None"
                     and not ln.get_label().startswith("_ci")]
            self.assertEqual(len(marks), 2 * 3)
        finally:
            plt.close("all")

    def test_fail_above_trips_on_a_drop_beyond_noise(self):
        p = support.run("compare", support.AFTER, self.noisy, self.drop, "--fail-above", "5")
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("--fail-above 5:", p.stdout)
        self.assertIn("C (%s): loop io:10ms c=8: tasks/s -20.0%% (p=0.0122)" % self.drop,
                      p.stdout)
        self.assertNotIn("B (%s)" % self.noisy, p.stdout)
        # Two files: the same table as before, and the gate.
        p = support.run("compare", support.AFTER, self.drop, "--fail-above", "5")
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("B (%s): loop io:10ms c=8: tasks/s -20.0%%" % self.drop, p.stdout)
        p = support.run("compare", support.AFTER, self.drop, "--fail-above", "25")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_beyond_noise_with_few_repetitions(self):
        import compare
        lower = lambda y, x: y < x  # noqa: E731
        # 3 a side: the U test cannot reach 0.05, so the samples must not overlap.
        self.assertEqual(compare.beyond_noise([100, 104, 98], [80, 83, 79], lower),
                         (True, "every repetition worse, 3 against 3, too few for the U test"))
        self.assertEqual(compare.beyond_noise([100, 130, 70], [80, 83, 79], lower),
                         (False, "repetitions overlap"))
        self.assertTrue(compare.beyond_noise([100], [80, 82], lower)[0])
        self.assertEqual(compare.beyond_noise([100], [80], lower),
                         (True, "single runs: noise unknown"))
        # 5 a side: the U test decides.
        ok, why = compare.beyond_noise([100, 101, 99, 102, 98], [80, 81, 79, 82, 78], lower)
        self.assertTrue(ok)
        self.assertEqual(why, "p=0.0122")

    def test_a_drop_inside_noise_does_not_trip(self):
        p = support.run("compare", support.AFTER, self.noisy, "--fail-above", "5")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("no configuration regressed by more than 5%", p.stdout)
        p = support.run("compare", support.AFTER, self.noisy, "--fail-above", "-1")
        self.assertEqual(p.returncode, 2)
        self.assertIn("--fail-above", p.stderr)


if __name__ == "__main__":
    unittest.main()
