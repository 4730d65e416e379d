"""The Python models (traits.python: asyncio, uvloop) in plot/: their rows
are drawn and tabled like any model's, and the report states the seed's
CPython rules from them, with the numbers: to_thread adds no CPU throughput
(the GIL), and to_thread frees a loop that a blocking call holds."""

import copy
import json
import os
import shutil
import tempfile
import unittest

import support

PY_TRAITS = {
    "asyncio": {"uses_threads": False, "cooperative": True,
                "offload": ["none", "thread", "process"], "sweep": False,
                "sweep_threads": "one", "order": 6, "python": True,
                "colors": {"none": "#3776ab", "thread": "#6fa8dc", "process": "#1c3d5a"},
                "marker": "P"},
    "uvloop": {"uses_threads": False, "cooperative": True,
               "offload": ["none", "thread", "process"], "sweep": False,
               "sweep_threads": "one", "order": 7, "python": True,
               "colors": {"none": "#c9a227", "thread": "#e3c766", "process": "#7a6010"},
               "marker": "X"},
}
FACTS = {"python": "/usr/bin/python3", "python_version": "3.11.2", "python_gil": 1,
         "python_implementation": "cpython", "python_rss_peak_kb": 21000}


def py_run(model, offload, workload, means, tput, cpu_s):
    lat = 1e6 * 8 / tput
    return {
        "model": model, "offload": offload, "threads": 1, "workload": workload,
        "scenario": "", "arrival": "closed", "concurrency": 8, "rate": 0,
        "duration_s": 2.0, "warmup_s": 0.5, "completed": int(tput * 2), "drained": 8,
        "errors": 0, "issued": int(tput * 2) + 20, "throughput_per_s": tput,
        "latency_us": {"p50": lat, "p90": lat * 1.1, "p99": lat * 1.3, "p999": lat * 1.5,
                       "max": lat * 2, "mean": lat, "min": lat * 0.9,
                       "count": int(tput * 2) + 8},
        "stall_us": {"p99": 900.0, "max": 5200.0 if offload == "none" else 900.0,
                     "count_over_threshold": 3, "threshold_us": 1000.0, "total_ms": 12.0,
                     "samples": 1800},
        "cpu_s": {"user": cpu_s, "sys": 0.05}, "cpu_window_s": {"user": cpu_s * 0.8, "sys": 0.04},
        "ctx_switches": {"voluntary": 1000, "involuntary": 50},
        "rss_peak_kb": 9000, "workers_pss_kb": 21000, "status": "ok", "error": "",
        "task_mean_us": dict(means, total=sum(means.values())),
        "python": "/usr/bin/python3",
        "model_traits": PY_TRAITS[model], "model_facts": dict(FACTS),
    }


def results_with_python_rows():
    with open(support.MINIMAL, encoding="utf-8") as f:
        data = json.load(f)
    data = copy.deepcopy(data)
    cpu = {"io": 0.0, "cpu": 2000.0, "block": 0.0}
    block = {"io": 0.0, "cpu": 0.0, "block": 5000.0}
    io = {"io": 10000.0, "cpu": 0.0, "block": 0.0}
    data["runs"] += [
        py_run("asyncio", "thread", "cpu:2ms", cpu, 480.0, 1.9),
        py_run("asyncio", "process", "cpu:2ms", cpu, 930.0, 3.8),
        py_run("asyncio", "none", "block:5ms", block, 199.0, 0.1),
        py_run("asyncio", "thread", "block:5ms", block, 1010.0, 0.3),
        py_run("asyncio", "none", "io:10ms", io, 19500.0, 0.9),
        py_run("uvloop", "none", "io:10ms", io, 19800.0, 0.6),
    ]
    return data


class PythonRowsInTheReport(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="ccplot-python-")
        cls.run_dir = os.path.join(cls.tmp, "run")
        os.makedirs(cls.run_dir)
        with open(os.path.join(cls.run_dir, "results.json"), "w", encoding="utf-8") as f:
            json.dump(results_with_python_rows(), f)
        cls.proc = support.run("report", cls.run_dir)
        with open(os.path.join(cls.run_dir, "report.md"), encoding="utf-8") as f:
            cls.md = f.read()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_exit_status(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        self.assertNotIn("Traceback", self.proc.stderr)

    def test_names_the_python_models(self):
        for label in ("asyncio+thread", "asyncio+process", "uvloop"):
            self.assertIn(label, self.md)

    def test_the_gil_rule_with_its_numbers(self):
        self.assertIn("In CPython 3.11.2, GIL on, to_thread does not add CPU throughput", self.md)
        self.assertRegex(self.md, r"480 tasks/s with threads vs 930 with processes \(1\.9x\)")

    def test_the_blocking_rule_with_its_numbers(self):
        self.assertIn("a blocking call holds the event loop; to_thread frees it", self.md)
        self.assertRegex(self.md, r"199 tasks/s blocking on the loop vs 1,010 with to_thread")

    def test_no_python_rule_without_python_runs(self):
        sys_path_rules = __import__("ccplot.rules", fromlist=["rules"])
        load = __import__("ccplot.load", fromlist=["load"])
        slo = __import__("ccplot.slo", fromlist=["Slo"])
        results = load.load(support.MINIMAL)
        titles = [r.__class__.__name__ for r in sys_path_rules.rules(results, slo.Slo())]
        self.assertNotIn("PythonPair", titles)


class PythonRowsInTheCharts(unittest.TestCase):
    def test_throughput_chart_draws_them(self):
        tmp = tempfile.mkdtemp(prefix="ccplot-python-")
        try:
            path = os.path.join(tmp, "results.json")
            with open(path, "w", encoding="utf-8") as f:
                json.dump(results_with_python_rows(), f)
            proc = support.run("throughput", path, "--out", tmp)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            support.assert_image_pair(self, tmp, "throughput")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
