"""plot/report.py: a run directory in, report.md and report.html out, with
every chart, every model, the context, the rules, warnings and failures."""

import json
import os
import re
import shutil
import tempfile
import unittest

import support


class FullReport(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp, cls.run_dir = support.copy_run(support.FULL)
        cls.proc = support.run("report", cls.run_dir)
        with open(os.path.join(cls.run_dir, "report.md"), encoding="utf-8") as f:
            cls.md = f.read()
        with open(os.path.join(cls.run_dir, "report.html"), encoding="utf-8") as f:
            cls.html = f.read()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_exit_status(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        self.assertNotIn("Traceback", self.proc.stderr)

    def test_names_every_model(self):
        for model in support.FIVE_MODELS + (support.UNDESCRIBED,):
            self.assertRegex(self.md, r"\b%s\b" % model)
        for label in ("loop+thread", "asio x2", "fiber x1", "pool x2", "pool x8", "procs x2"):
            self.assertIn(label, self.md)

    def test_embeds_every_chart(self):
        images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", self.md)
        names = {os.path.splitext(os.path.basename(i))[0] for i in images}
        self.assertEqual(names, set(support.CHART_SCRIPTS))
        for rel in images:
            path = os.path.join(self.run_dir, rel)
            self.assertTrue(os.path.isfile(path), path)
            self.assertTrue(os.path.isfile(path[:-4] + ".svg"))
        # The HTML carries the same images inline, for mail.
        self.assertEqual(self.html.count('src="data:image/png;base64,'), len(images))
        self.assertNotIn('src="charts/', self.html)

    def test_no_host_noise_when_not_recorded(self):
        self.assertNotIn("Host noise", self.md)

    def test_no_wakeup_cost_when_not_measured(self):
        self.assertNotIn("wake-up", self.md)

    def test_says_which_cpu_figure_was_used(self):
        self.assertIn("Tasks per CPU-second use the CPU of the measured window alone where "
                      "recorded (24 of 28 bars), else CPU per wall second scaled to the window.",
                      self.md)

    def test_context_header(self):
        for text in ("Example CPU 3000", "Linux 6.1.0", "g++ 12.2.0", "Release", "1.81.0",
                     "2021.8.0", "0123456789ab", "2026-01-02T03:04:05Z"):
            self.assertIn(text, self.md)

    def test_winners_and_reasons(self):
        self.assertIn("### block (`block:5ms`)", self.md)
        block = self.md.split("### block")[1].split("###")[0]
        self.assertIn("**Winner: loop+thread**", block)
        self.assertIn("pool x2 is capped by its 2 threads", block)
        mixed = self.md.split("### mixed")[1].split("## Decision map")[0]
        self.assertIn("Winner:", mixed)
        self.assertIn("Why:", mixed)

    def test_rules_have_numbers(self):
        rules = self.md.split("## Rules learned on this host")[1].split("## Charts")[0]
        self.assertIn("us of CPU per ms of waiting", rules)
        self.assertIn("froze the loop for 20.", rules)
        self.assertIn("BM_loop_offload measures 9.2 us", rules)
        self.assertNotIn("not measured", rules)

    def test_warnings_and_failures(self):
        self.assertIn("(fixture warning)", self.md)
        failed = self.md.split("## Failed runs")[1]
        self.assertIn("| procs x2 | block | concurrency 64 | timeout |", failed)
        self.assertIn("2,000 tasks/s offered", failed)

    def test_html_is_a_page(self):
        self.assertTrue(self.html.startswith("<!DOCTYPE html>"))
        self.assertIn("<table>", self.html)
        self.assertIn("<strong>Winner: loop+thread</strong>", self.html)
        self.assertTrue(self.html.rstrip().endswith("</html>"))


class OtherInputs(unittest.TestCase):
    def test_real_binary_output(self):
        tmp, run_dir = support.copy_run(support.SPINE)
        try:
            p = support.run("report", run_dir)
            self.assertEqual(p.returncode, 0, p.stderr)
            with open(os.path.join(run_dir, "report.md"), encoding="utf-8") as f:
                md = f.read()
            for label in ("loop", "loop+thread", "pool x2"):
                self.assertIn(label, md)
            self.assertIn("![decision map](charts/decision_map.png)", md)
            self.assertIn("no decision-map sweep", md)
            self.assertIn("`hockey`: no open-loop runs", md)
            self.assertIn("stall probe took no samples", md)
            self.assertEqual(md.count("**Winner"), 4)
            self.assertIn("**Winner (a tie): loop+thread**", md)
        finally:
            shutil.rmtree(tmp)

    def test_wakeup_cost(self):
        # A file that recorded the host's CPU per wake-up says what the stall
        # probe's wake-ups cost beside the CPU chart (FullReport: silent without).
        md = self.md_of(support.FULL, wakeup_cpu_us=40.0)
        self.assertIn("| CPU per wake-up | 40 us (a thread waking from a 1 ms sleep) |", md)
        note = md.split("each extra task in flight adds.")[1].split("![efficiency]")[0]
        self.assertIn("charged 40 us of CPU for each wake-up", note)
        self.assertIn("up to 1,000 times a second, which alone can cost 0.040 CPU-seconds", note)

    def test_host_noise(self):
        # Runs that recorded the host's noise: the context shows the worst
        # figures and how many runs were warned about (FullReport: no row).
        tmp, run_dir = support.copy_run(support.FULL)
        try:
            path = os.path.join(run_dir, "results.json")
            with open(path, encoding="utf-8") as f:
                doc = json.load(f)
            for i, r in enumerate(doc["runs"]):
                d = r.get("duration_s") or 1.0
                # Quiet but one: 0.5% steal and 1% of a core; the first run 3%
                # steal of 2 CPUs and 40% of a core.
                r["host_noise"] = {"steal_s": (0.06 if i == 0 else 0.01) * d,
                                   "foreign_cpu_s": (0.4 if i == 0 else 0.01) * d, "cpus": 2}
            with open(path, "w", encoding="utf-8") as f:
                json.dump(doc, f)
            p = support.run("report", run_dir)
            self.assertEqual(p.returncode, 0, p.stderr)
            with open(os.path.join(run_dir, "report.md"), encoding="utf-8") as f:
                md = f.read()
        finally:
            shutil.rmtree(tmp)
        ok = sum(1 for r in doc["runs"] if r.get("status", "ok") == "ok")
        self.assertIn("| Host noise during the runs | steal up to 3.0% of the CPU time, other "
                      "processes up to 40% of a core; 1 of " + str(ok) + " runs were warned about", md)

    def md_of(self, src, **context):
        tmp, run_dir = support.copy_run(src)
        try:
            path = os.path.join(run_dir, "results.json")
            if context:
                with open(path, encoding="utf-8") as f:
                    doc = json.load(f)
                doc["context"].update(context)
                with open(path, "w", encoding="utf-8") as f:
                    json.dump(doc, f)
            p = support.run("report", run_dir)
            self.assertEqual(p.returncode, 0, p.stderr)
            with open(os.path.join(run_dir, "report.md"), encoding="utf-8") as f:
                return f.read()
        finally:
            shutil.rmtree(tmp)

    def test_sparse_file(self):
        tmp, run_dir = support.copy_run(support.MINIMAL)
        try:
            p = support.run("report", os.path.join(run_dir, "results.json"), "--slo", "50ms")
            self.assertEqual(p.returncode, 0, p.stderr)
            with open(os.path.join(run_dir, "report.md"), encoding="utf-8") as f:
                md = f.read()
            self.assertIn("mystery+thread x3", md)
            self.assertIn("model failed: fixture error", md)
        finally:
            shutil.rmtree(tmp)

    def test_request_classes_and_the_runs_objective(self):
        # Two loop runs of a mix, naive and offloaded, checked against --slo.
        def mix_run(offload, api_p99, met, worst=None):
            return {"model": "loop", "offload": offload, "threads": 1,
                    "workload": "api[95]=io:2ms;report[5]=block:20ms", "scenario": "api-report",
                    "arrival": "open", "concurrency": 0, "rate": 400.0, "duration_s": 3.0,
                    "throughput_per_s": 400.0, "completed": 1200, "status": "ok",
                    "latency_us": {"p50": 2300.0, "p99": api_p99},
                    "stall_us": {"max": 20000.0, "p99": 15000.0, "samples": 2900},
                    "model_traits": support.TRAITS["loop"],
                    "slo": {"objective": "p99<20ms", "met": met, "breaches": 0 if met else 1,
                            "worst": worst},
                    "classes": [
                        {"name": "api", "weight": 95, "share": 0.95, "task_mean_us": 2000.0,
                         "completed": 1140, "latency_us": {"p50": 2200.0, "p99": api_p99},
                         "stall_log_share": 0.0},
                        {"name": "report", "weight": 5, "share": 0.05, "task_mean_us": 20000.0,
                         "completed": 60, "latency_us": {"p50": 20300.0, "p99": 31000.0},
                         "latency_ci_us": {"confidence": 0.95,
                                           "p50": {"low": 19000.0, "high": 21500.0},
                                           "p99": {"low": 25000.0, "high": None}},
                         "stall_log_share": 0.78}]}
        doc = {"schema": "ccbench.results/1", "run_id": "mix", "context": {},
               "runs": [mix_run("none", 84900.0, False, "p99 84.9ms >= 20ms (4.25x)"),
                        mix_run("thread", 2600.0, True)]}
        tmp = tempfile.mkdtemp(prefix="ccplot-mix-")
        try:
            with open(os.path.join(tmp, "results.json"), "w", encoding="utf-8") as f:
                json.dump(doc, f)
            p = support.run("report", tmp)
            self.assertEqual(p.returncode, 0, p.stderr)
            with open(os.path.join(tmp, "report.md"), encoding="utf-8") as f:
                md = f.read()
            self.assertIn("**Head-of-line blocking**: with `report` on the loop, `api`'s p99 went "
                          "from 2 ms (its own task time) to 84.9 ms (api-report, 400 tasks/s); "
                          "offloaded to a thread, 2.6 ms (33x lower).", md)
            self.assertIn("## Request classes", md)
            self.assertIn("| loop+thread | api-report | 400 tasks/s offered | api | 95% | 380 | "
                          "2.2 ms | 2.6 ms | 0% |", md)
            # A class's percentiles carry their intervals where recorded.
            self.assertIn("| report | 5% | 20.0 | 20.3 ms [19-21.5] | 31 ms [25-unbounded] | "
                          "78% |", md)
            self.assertIn("1 of 2 runs meet `p99<20ms`.", md)
            self.assertIn("loop api-report: breaks it, worst: p99 84.9ms >= 20ms (4.25x)", md)
            # The winners' limit is the runs' objective, and the report says so.
            self.assertIn("p99 under 20 ms (the runs' objective, from `ccbench run --slo`)", md)
        finally:
            shutil.rmtree(tmp)

    def test_bad_input(self):
        p = support.run("report", "/nonexistent/run")
        self.assertEqual(p.returncode, 2)
        self.assertEqual(p.stderr.strip(), "plot: results '/nonexistent/run': no such file or "
                         "directory")
        p = support.run("report", support.FULL, "--slo", "soon")
        self.assertEqual(p.returncode, 2)
        self.assertTrue(p.stderr.startswith("plot: --slo 'soon'"), p.stderr)


if __name__ == "__main__":
    unittest.main()
