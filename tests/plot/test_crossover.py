"""The crossover chart (plot/crossover.py, ccplot/crossover.py): each model's
throughput against the CPU per ms of waiting, and the two crossovers (threads
against one loop, threads against a loop per core) as bands, from small
generated files; and its place in the report."""

import json
import os
import shutil
import tempfile
import unittest

import support  # noqa: F401  (sets up sys.path and the backend)

import crossover  # noqa: E402
from ccplot import load  # noqa: E402
from ccplot.crossover import crossovers  # noqa: E402
from ccplot.slo import Slo  # noqa: E402

SLO = Slo.parse("10x")
SHARDS = {"uses_threads": True, "cooperative": True, "offload": ["none", "thread", "process"],
          "sweep": True, "order": 6, "shares_nothing": True, "colors": {"none": "#00838f"},
          "marker": "h"}

# (cpu us per 1 ms of io, loop, pool x16, shards x2 tasks/s); None: not run.
# As the sweep runs them: loop and pool first, then shards and the pool.
POINTS = ((50, 9000, 7000, None), (100, 8000, 8000, None), (200, 4500, 7000, None),
          (300, None, 7000, 7100), (500, None, 7000, 6900), (700, None, 6500, 5000))


def run(model, tp, cpu_us, threads, traits):
    spec = "io:1ms,cpu:%dus" % cpu_us
    return {"model": model, "offload": "none", "threads": threads, "workload": spec,
            "scenario": "", "arrival": "closed", "concurrency": 16, "rate": 0.0,
            "group": "crossover", "status": "ok", "throughput_per_s": tp,
            "latency_us": {"p50": 1500.0, "p99": 3000.0},
            "task_mean_us": {"io": 1000.0, "cpu": float(cpu_us), "block": 0.0,
                             "total": 1000.0 + cpu_us},
            "model_traits": traits}


def crossover_file(points=POINTS, shards=True):
    runs = []
    for cpu, loop_tp, pool_tp, shards_tp in points:
        if loop_tp is not None:
            runs.append(run("loop", loop_tp, cpu, 1, support.TRAITS["loop"]))
        runs.append(run("pool", pool_tp, cpu, 16, support.TRAITS["pool"]))
        if shards and shards_tp is not None:
            runs.append(run("shards", shards_tp, cpu, 2, SHARDS))
    return {"schema": "ccbench.results/1", "run_id": "crossover-fixture",
            "context": {"cpu_model": "Example CPU", "cores": 2}, "warnings": [], "runs": runs}


class Crossover(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="ccplot-crossover-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def results(self, data):
        run_dir = os.path.join(self.tmp, "run")
        os.makedirs(run_dir, exist_ok=True)
        with open(os.path.join(run_dir, "results.json"), "w", encoding="utf-8") as f:
            json.dump(data, f)
        return run_dir

    def test_lines_and_both_crossovers(self):
        c = crossovers(load.load(self.results(crossover_file())), SLO)
        self.assertEqual([ln.label for ln in c.lines], ["loop", "pool x16", "shards x2"])
        self.assertEqual(c.lines[0].points, [(50, 9000), (100, 8000), (200, 4500)])
        self.assertEqual([x for x, _ in c.lines[1].points], [50, 100, 200, 300, 500, 700])
        self.assertEqual((c.one_loop.below.cpu_per_ms_us, c.one_loop.above.cpu_per_ms_us),
                         (100, 200))
        self.assertEqual((c.per_core.below.cpu_per_ms_us, c.per_core.above.cpu_per_ms_us),
                         (500, 700))
        self.assertEqual(c.per_core.models, ["shards"])

    def test_chart_draws_the_lines_and_a_band_per_crossover(self):
        fig = crossover.figure(load.load(self.results(crossover_file())))
        ax = fig.axes[0]
        self.assertEqual([ln.get_label() for ln in ax.get_lines()],
                         ["loop", "pool x16", "shards x2"])
        self.assertEqual(list(ax.get_lines()[2].get_xdata()), [300, 500, 700])
        self.assertEqual(ax.get_xscale(), "log")
        bands = [p for p in ax.patches if not p.get_label().startswith("_")]
        self.assertEqual([b.get_label() for b in bands],
                         ["threads beat one loop (loop): 100-200 us/ms",
                          "threads beat a loop per core (shards): 500-700 us/ms"])
        # The band spans the bracket on the x axis.
        xs = [v[0] for v in bands[1].get_xy()]
        self.assertEqual((min(xs), max(xs)), (500, 700))

    def test_one_side_winning_every_mix_is_a_dashed_line_not_a_band(self):
        # shards x2 kept up at every mix it ran: no crossover to shade.
        points = POINTS[:3] + ((300, None, 7000, 7100), (500, None, 7000, 6900))
        fig = crossover.figure(load.load(self.results(crossover_file(points))))
        ax = fig.axes[0]
        bands = [p for p in ax.patches if not p.get_label().startswith("_")]
        self.assertEqual([b.get_label() for b in bands],
                         ["threads beat one loop (loop): 100-200 us/ms"])
        dashed = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
        self.assertEqual([ln.get_label() for ln in dashed],
                         ["a loop per core (shards) kept up to 500 us/ms"])
        self.assertEqual(list(dashed[0].get_xdata()), [500, 500])

    def test_without_a_loop_per_core_one_band(self):
        fig = crossover.figure(load.load(self.results(crossover_file(shards=False))))
        bands = [p for p in fig.axes[0].patches if not p.get_label().startswith("_")]
        self.assertEqual([b.get_label() for b in bands],
                         ["threads beat one loop (loop): 100-200 us/ms"])

    def test_skips_without_crossover_runs(self):
        data = crossover_file()
        for r in data["runs"]:
            r["group"] = "scenarios"
        p = support.run("crossover", self.results(data), "-o", os.path.join(self.tmp, "out"))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("skipped", p.stderr)

    def test_report_shows_the_chart_and_both_rules(self):
        run_dir = self.results(crossover_file())
        p = support.run("report", run_dir)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(os.path.join(run_dir, "report.md"), encoding="utf-8") as f:
            md = f.read()
        self.assertIn("![crossover](charts/crossover.png)", md)
        self.assertIn("**CPU a loop task may do per ms of waiting before threads win**: a loop "
                      "task may do about 100-200 us", md)
        self.assertIn("**CPU a shards task may do per ms of waiting before threads beat a loop "
                      "per core**: a task on shards x2, a loop per core, may do about 500-700 us",
                      md)
        self.assertIn("a loop per core may do 4.18x as much", md)
        # The rules come before the chart.
        self.assertLess(md.index("before threads beat a loop per core"),
                        md.index("![crossover]"))


if __name__ == "__main__":
    unittest.main()
