"""Every chart script draws a non-empty PNG and SVG from the fixtures, skips
(never crashes) when its data is absent, and refuses bad input with exit 2;
and each chart's Figure holds what it should: the series (the fixture's
models, in registry order, in their traits' colours), the axis labels, and a
model without a colour of its own drawn all the same."""

import copy
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


def series(ax):
    """Labels of the lines drawn in ax, legend-worthy ones only."""
    return [ln.get_label() for ln in ax.get_lines() if not ln.get_label().startswith("_")]


def legend(fig):
    return [t.get_text() for t in fig.legends[0].get_texts()] if fig.legends else []


def visible(fig):
    return [ax for ax in fig.axes if ax.get_visible()]


def hex_of(c):
    from matplotlib import colors
    return colors.to_hex(c)


class ChartContent(unittest.TestCase):
    """What each chart draws, from its Figure (chart modules' figure())."""

    # The full fixture's scenario runs, in registry order: the described
    # models by their order, then the model without traits.
    SCENARIO_LABELS = ["loop", "loop+thread", "asio x2", "fiber x1", "pool x2", "procs x2",
                       "novel x3"]

    @classmethod
    def setUpClass(cls):
        from ccplot import load
        cls.load = load
        cls.res = load.load(support.FULL)
        cls.reg = cls.res.registry
        cls.recorded = {c.lower() for t in support.TRAITS.values() for c in t["colors"].values()}

    def tearDown(self):
        import matplotlib.pyplot as plt
        plt.close("all")

    def variant(self, change):
        """The full fixture with its raw runs changed by change(run dict)."""
        with open(os.path.join(support.FULL, "results.json"), encoding="utf-8") as f:
            data = json.load(f)
        for r in data["runs"]:
            change(r)
        return self.load.Results(self.res.path, self.res.run_dir, data, copy.deepcopy(
            self.res.micro))

    def test_registry_order_of_the_fixture(self):
        self.assertEqual(self.res.models, list(support.FIVE_MODELS) + [support.UNDESCRIBED])
        self.assertEqual([lab for lab in self.res.labels if lab != "pool x8"],
                         self.SCENARIO_LABELS)

    def test_throughput(self):
        import throughput
        fig = throughput.figure(self.res)
        # Each scenario: throughput above, its p99 below on the same x axis.
        axes = [ax for ax in visible(fig) if ax.get_ylabel() == "throughput (tasks/s)"]
        lat = [ax for ax in visible(fig) if ax.get_ylabel() == "p99 latency"]
        self.assertEqual(len(visible(fig)), 2 * len(axes))
        self.assertEqual([ax.get_title().split()[0] for ax in axes],
                         ["io", "cpu", "block", "mixed"])
        for ax, below in zip(axes, lat):
            self.assertEqual(series(ax), self.SCENARIO_LABELS)
            self.assertEqual(below.get_xlabel(), "concurrency (tasks in flight)")
            self.assertIs(below.get_shared_x_axes().joined(ax, below), True)
            # The p99 series: every label with a p99, drawn under its own name.
            drawn = [ln.get_label()[1:] for ln in below.get_lines()
                     if not ln.get_label().startswith("_ci")]
            self.assertEqual(drawn, self.SCENARIO_LABELS)
        self.assertEqual(legend(fig), self.SCENARIO_LABELS + ["failed run (on the x axis)"])
        lines = {ln.get_label(): ln for ln in axes[0].get_lines()}
        self.assertEqual(hex_of(lines["loop"].get_color()), "#1f5fa8")
        self.assertEqual(hex_of(lines["loop+thread"].get_color()), "#2aa7c9")
        self.assertEqual(lines["pool x2"].get_marker(), "D")
        # The model without traits: a colour and marker of its own.
        novel = lines["novel x3"]
        self.assertNotIn(hex_of(novel.get_color()), self.recorded)
        self.assertEqual(hex_of(novel.get_color()), self.reg.colour(support.UNDESCRIBED))
        self.assertNotIn(novel.get_marker(), {t["marker"] for t in support.TRAITS.values()})

    def test_a_model_whose_traits_lack_colours_is_drawn(self):
        import throughput

        def strip(r):
            if r["model"] == "pool":
                r["model_traits"] = dict(r["model_traits"], colors={}, marker=None)

        res = self.variant(strip)
        ax = visible(throughput.figure(res))[0]
        self.assertEqual(series(ax), self.SCENARIO_LABELS)  # its place kept (order 3)
        lines = {ln.get_label(): ln for ln in ax.get_lines()}
        colours = [hex_of(ln.get_color()) for ln in lines.values()
                   if ln.get_label() not in ("loop+thread",)]
        pool = hex_of(lines["pool x2"].get_color())
        self.assertEqual(colours.count(pool), 1)
        self.assertNotIn(pool, self.recorded)
        self.assertNotIn(lines["pool x2"].get_marker(), {"o", "s", "^", "v"})

    def test_hockey(self):
        import hockey
        fig = hockey.figure(self.res)
        axes = visible(fig)
        self.assertEqual([ax.get_title() for ax in axes], ["loop", "asio x2", "pool x8",
                                                           "procs x2"])
        for ax in axes:
            self.assertEqual(series(ax), ["p50", "p99", "p99.9"])
            run = next(r for r in self.res.in_group("hockey") if r.label == ax.get_title())
            self.assertEqual({hex_of(ln.get_color()) for ln in ax.get_lines()[:3]},
                             {self.reg.colour(run.model, run.offload)})
        self.assertEqual(axes[0].get_ylabel(), "latency from intended start")
        self.assertEqual(axes[-1].get_xlabel(), "offered rate (tasks/s)")
        self.assertEqual(legend(fig)[:3], ["p50", "p99", "p99.9"])

    def test_spectrum(self):
        import spectrum
        fig = spectrum.figure(self.res)
        (ax,) = visible(fig)
        # The stalls group: the loop naive and offloaded, corrected and uncorrected.
        self.assertEqual(series(ax), ["loop", "loop+thread"])
        self.assertEqual(len(ax.get_lines()), 4)
        self.assertEqual(legend(fig), ["loop", "loop+thread", "corrected: from the intended start",
                                       "uncorrected: from the actual start"])
        self.assertEqual(ax.get_ylabel(), "latency (log scale)")
        self.assertTrue(ax.get_xlabel().startswith("percentile"))

    def test_stall_timeline(self):
        import stall_timeline
        fig = stall_timeline.figure(self.res)
        axes = visible(fig)
        self.assertEqual([ax.get_title(loc="left").split()[0] for ax in axes],
                         ["loop", "loop+thread"])
        self.assertEqual([ax.get_ylabel() for ax in axes], ["stall (ms)"] * 2)
        self.assertEqual(axes[-1].get_xlabel(), "time since the measured window opened (s)")
        # The model named in the title comes from the runs.
        self.assertIn("blocking calls on the loop vs offloaded", fig._suptitle.get_text())

    def test_decision_map(self):
        import decision_map
        from ccplot import decision
        from ccplot.slo import DEFAULT_SLO, Slo
        fig = decision_map.figure(self.res)
        (ax,) = visible(fig)
        cells = decision.decision_cells(decision.decision_runs(self.res)[0],
                                        Slo.parse(DEFAULT_SLO))
        winners = {(c.winner.model, c.winner.offload) for c in cells if c.winner}
        names = [m + ("+" + o if o != "none" else "")
                 for m, o in sorted(winners, key=lambda k: self.reg.sort_key(*k))]
        self.assertEqual(legend(fig)[:len(names)], names)
        fills = {hex_of(p.get_facecolor()) for p in ax.patches if p.get_facecolor()[3] > 0}
        self.assertTrue({self.reg.colour(*k) for k in winners} <= fills)
        self.assertEqual(ax.get_ylabel(), "blocking share of task time")
        self.assertTrue(ax.get_xlabel().startswith("CPU share of task time"))

    def test_efficiency(self):
        import efficiency
        fig = efficiency.figure(self.res)
        top, bottom = visible(fig)
        for ax in (top, bottom):
            self.assertEqual(ax.get_legend_handles_labels()[1], self.SCENARIO_LABELS)
        self.assertEqual(top.get_ylabel(), "tasks per CPU-second (user + sys)")
        self.assertEqual(bottom.get_ylabel(), "peak RSS growth / extra tasks")
        self.assertEqual(legend(fig), self.SCENARIO_LABELS)
        bars = {c.get_label(): c for c in top.containers}
        self.assertEqual(hex_of(bars["asio x2"].patches[0].get_facecolor()), "#e6750a")
        # The note says what the CPU figures rest on, and whose memory
        # includes worker processes.
        note = " ".join(t.get_text() for t in fig.texts).replace("\n", " ")
        self.assertIn("CPU of the measured window alone where recorded (24 of 28 bars)", note)
        self.assertIn("proportional set size (workers_pss_kb) for procs x2", note)
        self.assertEqual(hex_of(bars["novel x3"].patches[0].get_facecolor()),
                         self.reg.colour(support.UNDESCRIBED))

    def test_micro(self):
        import micro
        from ccplot import load
        fig = micro.figure(self.res)
        ax = visible(fig)[0]
        self.assertEqual(ax.get_legend_handles_labels()[1], list(support.FIVE_MODELS))
        self.assertEqual(legend(fig), list(support.FIVE_MODELS) + ["floor"])
        self.assertEqual(ax.get_ylabel(), "time per operation (real time, log scale)")
        bars = {c.get_label(): c for c in ax.containers}
        self.assertEqual(hex_of(bars["fiber"].patches[0].get_facecolor()), "#2e8b3a")
        # micro.json alone: no traits, so picked colours, in order of appearance.
        fig = micro.micro_figure(load.load_micro(os.path.join(support.FULL, "micro.json")))
        ax = visible(fig)[0]
        self.assertEqual(ax.get_legend_handles_labels()[1], list(support.FIVE_MODELS))
        colours = [hex_of(c.patches[0].get_facecolor()) for c in ax.containers]
        self.assertEqual(len(set(colours)), len(support.FIVE_MODELS))

    def test_an_older_file_draws_in_picked_colours(self):
        import throughput

        def old(r):
            r.pop("model_traits", None)

        res = self.variant(old)
        ax = visible(throughput.figure(res))[0]
        # Without traits, fiber (run on one thread only, among threaded models)
        # is taken for a model that is one thread by definition: a false
        # positive of the inference, which files with model_traits avoid.
        labels = series(ax)
        self.assertEqual(labels, ["loop", "loop+thread", "asio x2", "fiber", "pool x2",
                                  "procs x2", "novel x3"])
        colours = {hex_of(ln.get_color()) for ln in ax.get_lines()
                   if not ln.get_label().startswith("_") and "+" not in ln.get_label()}
        self.assertEqual(len(colours), 6)


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

