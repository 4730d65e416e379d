"""The scaling sweep in plot/: the USL fit (ccplot/scaling.py), the scaling
chart's content, and the report's section, from small generated files."""

import json
import os
import shutil
import tempfile
import unittest

import support  # noqa: F401  (sets up sys.path and the backend)

from ccplot import load, scaling  # noqa: E402

TRAITS = support.TRAITS


def law(lam, sigma, kappa, k):
    return lam * k / (1 + sigma * (k - 1) + kappa * k * (k - 1))


def scaling_file(ks, models=(("shards", 1000, 0.0, 0.0), ("asio", 900, 0.1, 0.01),
                             ("loop", 1000, 1.0, 0.0))):
    """A results file of a scaling sweep at core counts ks, each model's
    throughput following the law with its (lambda, sigma, kappa)."""
    runs = []
    for scenario, spec in (("io-cpu", "io:10ms,cpu:1ms"), ("cpu", "cpu:1ms")):
        for k in ks:
            for model, lam, sigma, kappa in models:
                traits = TRAITS.get(model) or TRAITS["loop"]
                runs.append({
                    "model": model, "offload": "none", "threads": 1 if model == "loop" else k,
                    "workload": spec, "scenario": scenario, "arrival": "closed",
                    "concurrency": 16 * k, "rate": 0, "duration_s": 0.6, "group": "scaling",
                    "cpus": k, "cpu_set": "0-%d" % (k - 1), "status": "ok",
                    "completed": int(law(lam, sigma, kappa, k) * 0.6),
                    "throughput_per_s": law(lam, sigma, kappa, k), "model_traits": traits})
    return {"schema": "ccbench.results/1", "run_id": "scaling-fixture",
            "context": {"cpu_model": "Example CPU", "cores": max(ks)}, "warnings": [],
            "runs": runs}


class Fit(unittest.TestCase):
    def test_recovers_known_sigma_and_kappa(self):
        pts = [(k, law(1000, 0.05, 0.002, k)) for k in (1, 2, 4, 8, 16, 32)]
        f = scaling.fit_usl(pts)
        self.assertAlmostEqual(f.lam, 1000, places=6)
        self.assertAlmostEqual(f.sigma, 0.05, places=9)
        self.assertAlmostEqual(f.kappa, 0.002, places=9)
        self.assertAlmostEqual(f.peak_k, (0.95 / 0.002) ** 0.5, places=6)
        self.assertTrue(f.trusted, f.caveat)

    def test_two_core_counts_are_not_trusted(self):
        f = scaling.fit_usl([(1, 1000), (2, 1700)])
        self.assertFalse(f.trusted)
        self.assertIn("only k = 1, 2 measured", f.caveat)
        self.assertEqual(f.kappa, 0)

    def test_matches_the_cpp_fit_on_the_same_points(self):
        # tests/usl_fit_test.cpp, KeepsSigmaAndKappaAtZeroOrAbove: sigma and
        # kappa are held at 0, never negative, in both.
        f = scaling.fit_usl([(1, 1000), (2, 2100), (4, 4300), (8, 8800)])
        self.assertGreaterEqual(f.sigma, 0)
        self.assertGreaterEqual(f.kappa, 0)
        self.assertGreater(f.lam, 0)


class Chart(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="ccplot-scaling-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def results(self, ks):
        d = tempfile.mkdtemp(dir=self.tmp)
        with open(os.path.join(d, "results.json"), "w", encoding="utf-8") as f:
            json.dump(scaling_file(ks), f)
        return d

    def tearDown(self):
        import matplotlib.pyplot as plt
        plt.close("all")

    def test_points_fits_and_ideal_line_per_workload(self):
        import scaling as chart
        res = load.load(self.results([1, 2, 4, 8]))
        fig = chart.figure(res)
        axes = [ax for ax in fig.axes if ax.get_visible() and ax.get_title()]
        self.assertEqual([ax.get_title() for ax in axes], ["io-cpu", "cpu"])
        ax = axes[0]
        lines = {ln.get_label(): ln for ln in ax.get_lines()}
        # Measured points per model, a fitted curve each, and the ideal line.
        for model in ("shards", "asio", "loop"):
            self.assertEqual(list(lines[model].get_xdata()), [1, 2, 4, 8])
            self.assertEqual(lines[model].get_linestyle(), "None")
            self.assertIn("_fit " + model, lines)
            self.assertEqual(lines["_fit " + model].get_linestyle(), "-")  # trusted
        ideal = lines[chart.IDEAL]
        self.assertEqual(list(ideal.get_xdata()), [1, 8])
        self.assertAlmostEqual(ideal.get_ydata()[1], 8000)  # the best k = 1 times 8
        # The asio curve follows its law.
        fit = lines["_fit asio"]
        self.assertAlmostEqual(fit.get_ydata()[-1], law(900, 0.1, 0.01, 8), delta=1)
        self.assertEqual(ax.get_xlabel(), "cores (--cpus k)")

    def test_two_cores_draw_dashed_fits_and_say_why(self):
        import scaling as chart
        fig = chart.figure(load.load(self.results([1, 2])))
        ax = [a for a in fig.axes if a.get_title() == "cpu"][0]
        lines = {ln.get_label(): ln for ln in ax.get_lines()}
        self.assertEqual(lines["_fit shards"].get_linestyle(), "--")
        texts = " ".join(t.get_text() for t in fig.texts)
        self.assertIn("not trusted: only k = 1, 2 measured", texts)

    def test_skips_without_scaling_runs(self):
        p = support.run("scaling", support.FULL, "-o", os.path.join(self.tmp, "none"))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("skipped", p.stderr)

    def test_report_section(self):
        run_dir = self.results([1, 2])
        p = support.run("report", run_dir)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(os.path.join(run_dir, "report.md"), encoding="utf-8") as f:
            md = f.read()
        self.assertIn("## Scaling with cores", md)
        self.assertIn("![scaling](charts/scaling.png)", md)
        self.assertRegex(md, r"\| shards \| cpu \| 1,000 \| 1,000 \| x2\.00 at 2 \| 0\.000 \|")
        self.assertIn("The fits cannot all be trusted: only k = 1, 2 measured", md)


if __name__ == "__main__":
    unittest.main()
