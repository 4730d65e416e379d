"""Every chart script draws a non-empty PNG and SVG from the fixtures, skips
(never crashes) when its data is absent, and refuses bad input with exit 2."""

import json
import os
import shutil
import tempfile
import unittest

import support


class ChartScripts(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="ccplot-charts-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_every_script_draws_the_full_fixture(self):
        for name in support.CHART_SCRIPTS:
            with self.subTest(script=name):
                out = os.path.join(self.tmp, "full")
                p = support.run(name, support.FULL, "-o", out)
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertNotIn("skipped", p.stderr)
                support.assert_image_pair(self, out, name)
                self.assertIn(name + ".png", p.stdout)

    def test_results_json_path_works_as_well_as_the_directory(self):
        out = os.path.join(self.tmp, "by-file")
        p = support.run("throughput", os.path.join(support.FULL, "results.json"), "-o", out)
        self.assertEqual(p.returncode, 0, p.stderr)
        support.assert_image_pair(self, out, "throughput")

    def test_default_output_is_the_run_directorys_charts_folder(self):
        tmp, run = support.copy_run(support.FULL)
        try:
            p = support.run("efficiency", run)
            self.assertEqual(p.returncode, 0, p.stderr)
            support.assert_image_pair(self, os.path.join(run, "charts"), "efficiency")
        finally:
            shutil.rmtree(tmp)

    def test_output_of_the_real_binary_draws_or_skips_cleanly(self):
        # tests/plot/fixtures/spine is `ccbench sweep bench` output from before
        # groups, spectra and timelines existed.
        expect_drawn = {"throughput", "spectrum", "decision_map", "efficiency"}
        for name in support.CHART_SCRIPTS:
            with self.subTest(script=name):
                out = os.path.join(self.tmp, "spine")
                p = support.run(name, support.SPINE, "-o", out)
                self.assertEqual(p.returncode, 0, p.stderr)
                if name in expect_drawn:
                    support.assert_image_pair(self, out, name)
                else:
                    self.assertIn("plot: %s: skipped:" % name, p.stderr)
                    self.assertFalse(os.path.exists(os.path.join(out, name + ".png")))

    def test_sparse_file_with_nulls_never_crashes(self):
        for name in support.CHART_SCRIPTS:
            with self.subTest(script=name):
                p = support.run(name, support.MINIMAL, "-o", os.path.join(self.tmp, "min"))
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertNotIn("Traceback", p.stderr)

    def test_micro_json_given_directly(self):
        out = os.path.join(self.tmp, "micro-direct")
        p = support.run("micro", os.path.join(support.FULL, "micro.json"), "-o", out)
        self.assertEqual(p.returncode, 0, p.stderr)
        support.assert_image_pair(self, out, "micro")

    def test_spectrum_and_decision_map_options(self):
        out = os.path.join(self.tmp, "opts")
        p = support.run("spectrum", support.FULL, "-o", out, "--scenario", "io-cpu",
                        "--at", "400")
        self.assertEqual(p.returncode, 0, p.stderr)
        support.assert_image_pair(self, out, "spectrum")
        p = support.run("decision_map", support.FULL, "-o", out, "--slo", "50ms")
        self.assertEqual(p.returncode, 0, p.stderr)
        p = support.run("spectrum", support.FULL, "-o", out, "--scenario", "nope")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("skipped", p.stderr)


class BadInput(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="ccplot-bad-")
        cls.invalid = os.path.join(cls.tmp, "invalid.json")
        with open(cls.invalid, "w") as f:
            f.write('{"schema": "ccbench.results/1", "runs": [')
        cls.foreign = os.path.join(cls.tmp, "foreign.json")
        with open(cls.foreign, "w") as f:
            json.dump({"benchmarks": []}, f)
        cls.no_runs = os.path.join(cls.tmp, "no_runs.json")
        with open(cls.no_runs, "w") as f:
            json.dump({"schema": "ccbench.results/1"}, f)
        cls.empty_dir = os.path.join(cls.tmp, "empty")
        os.makedirs(cls.empty_dir)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def check(self, script, path, fragment, *extra):
        p = support.run(script, path, "-o", os.path.join(self.tmp, "out"), *extra)
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        lines = p.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, p.stderr)
        self.assertTrue(lines[0].startswith("plot: "), lines[0])
        self.assertIn(fragment, lines[0])

    def test_every_script_refuses_bad_files(self):
        for name in support.CHART_SCRIPTS:
            with self.subTest(script=name):
                self.check(name, os.path.join(self.tmp, "missing.json"), "no such file")
                self.check(name, self.empty_dir, "no results.json")
                self.check(name, self.invalid, "not valid JSON")
                self.check(name, self.no_runs, "no runs[]")
                if name != "micro":  # to micro.py, benchmarks[] is a micro.json
                    self.check(name, self.foreign, "schema")

    def test_bad_slo(self):
        self.check("decision_map", support.FULL, "--slo 'fast'", "--slo", "fast")
        self.check("decision_map", support.FULL, "--slo '0x'", "--slo", "0x")


class TickLabels(unittest.TestCase):
    def test_measured_levels_are_labelled_in_full(self):
        from ccplot import style
        self.assertEqual(style.fmt_exact(2048), "2,048")
        self.assertEqual(style.fmt_exact(25600.0), "25,600")
        self.assertEqual(style.fmt_exact(1), "1")
        self.assertEqual(style.fmt_exact(0.5), "0.5")
        self.assertEqual(style.fmt_number(2048), "2.048k")  # axes that are not levels


if __name__ == "__main__":
    unittest.main()

