"""The report's judgement against hand-made data with a known answer."""

import math
import types
import unittest

import support  # puts plot/ on sys.path
from ccplot import analysis, load
from ccplot.analysis import Slo


def run(model, tp, p99, conc=8, workload="cpu:1ms", scenario="cpu", offload="none", threads=1,
        cpu=None, status="ok", **extra):
    """A run dict as ccbench writes it, with only what the analysis reads, and
    the model's traits as the registry records them (none for a model it lacks)."""
    r = {"model": model, "offload": offload, "threads": threads, "workload": workload,
         "scenario": scenario, "arrival": "closed", "concurrency": conc, "rate": 0.0,
         "throughput_per_s": tp, "latency_us": {"p50": p99 / 2, "p99": p99},
         "wall_s": 1.0, "status": status}
    if model in support.TRAITS:
        r["model_traits"] = support.TRAITS[model]
    if cpu is not None:
        r["cpu_s"] = {"user": cpu, "sys": 0.0}
    r.update(extra)
    return r


def results(*runs, **top):
    data = {"schema": "ccbench.results/1", "run_id": "t", "context": {}, "runs": list(runs)}
    data.update(top)
    return load.Results("t/results.json", "t", data)


SLO = Slo.parse("10x")


class Winners(unittest.TestCase):
    def test_faster_model_that_breaks_the_slo_does_not_win(self):
        # cpu:1ms -> the SLO is p99 under 10 ms. The pool is twice as fast but
        # its p99 of 500 ms breaks it at every load measured.
        res = results(run("loop", 1000, 5_000, cpu=1.0),
                      run("pool", 2000, 500_000, threads=2, cpu=2.0))
        (v,) = analysis.verdicts(res, SLO)
        self.assertEqual(v.slo_us, 10_000)
        self.assertEqual(v.winner.label, "loop")
        self.assertIsNone(v.runner_up)
        self.assertEqual([c.label for c in v.violators], ["pool x2"])
        self.assertIn("pool x2 reaches 2,000 tasks/s", v.reason)
        self.assertIn("breaks the 10 ms limit", v.reason)

    def test_best_configuration_within_the_slo_is_chosen_per_model(self):
        # The pool meets the SLO at concurrency 2 (1,900/s) but not at 64
        # (2,000/s): its 1,900 still beats the loop.
        res = results(run("loop", 980, 1_100, conc=1, cpu=0.99),
                      run("loop", 990, 60_000, conc=64, cpu=1.0),
                      run("pool", 1900, 1_200, conc=2, threads=2, cpu=1.95),
                      run("pool", 2000, 70_000, conc=64, threads=2, cpu=2.0))
        (v,) = analysis.verdicts(res, SLO)
        self.assertEqual(v.winner.label, "pool x2")
        self.assertEqual(v.winner.concurrency, 2)
        self.assertEqual(v.runner_up.label, "loop")
        self.assertEqual(v.runner_up.concurrency, 1)
        self.assertFalse(v.tie)
        # The reason comes from the numbers: the loop's single core is full,
        # the pool uses two.
        self.assertIn("pool x2 completes 94% more tasks than loop", v.reason)
        self.assertIn("loop saturates its one core at 980 tasks/s (cpu 0.99 s per s)",
                      v.reason)
        self.assertIn("pool x2 uses 1.9 cores", v.reason)

    def test_tie_within_five_percent(self):
        res = results(run("loop", 1000, 2_000, workload="io:10ms", scenario="io", conc=64),
                      run("asio", 1030, 2_000, workload="io:10ms", scenario="io", conc=64,
                          threads=2))
        (v,) = analysis.verdicts(res, SLO)
        self.assertTrue(v.tie)
        self.assertEqual(v.winner.label, "asio x2")
        self.assertIn("a tie", v.reason)

    def test_capped_pool_and_procs_are_explained(self):
        # io:10ms with 2 threads or worker processes: at most 2 / 10 ms = 200 tasks/s.
        for model, workers, facts in (("pool", "2 threads", {}),
                                      ("procs", "2 worker processes", {"workers": 2})):
            with self.subTest(model=model):
                res = results(run("loop", 6000, 12_000, workload="io:10ms", scenario="io",
                                  conc=64, cpu=0.05),
                              run(model, 199, 40_000, workload="io:10ms", scenario="io",
                                  conc=8, threads=2, cpu=0.01, model_facts=facts))
                (v,) = analysis.verdicts(res, SLO)
                self.assertEqual(v.winner.label, "loop")
                self.assertIn("%s x2 is capped by its %s" % (model, workers), v.reason)
                self.assertIn("2 / 10 ms = 200 tasks/s", v.reason)

    def test_loop_with_process_offload_is_held_to_its_worker_processes(self):
        # cpu:1ms sent to 2 worker processes: 2 / 1 ms = 2,000 tasks/s, on
        # nearly two cores' CPU. Not "its one core".
        res = results(run("loop", 1700, 6_000, offload="process", cpu=1.89,
                          model_facts={"offload_processes": "2"}),
                      run("loop", 950, 1_100, conc=1, cpu=0.97))
        (v,) = analysis.verdicts(res, SLO)
        self.assertEqual(v.winner.label, "loop+process")
        plus = v.winner
        self.assertEqual(analysis.limits(plus, v.task_us)[0],
                         "keeps its 2 worker processes busy computing: 2 / 1 ms of CPU = "
                         "2,000 tasks/s")
        self.assertNotIn("loop+process saturates its one core", v.reason)

    def test_blocking_loop_is_explained(self):
        res = results(run("loop", 199, 40_000, workload="block:5ms", scenario="block", conc=8),
                      run("loop", 1180, 9_000, workload="block:5ms", scenario="block", conc=8,
                          offload="thread"))
        (v,) = analysis.verdicts(res, SLO)
        self.assertEqual(v.winner.label, "loop+thread")
        self.assertIn("loop runs one blocking call at a time", v.reason)
        self.assertIn("caps it at 200 tasks/s", v.reason)
        self.assertIn("loop+thread hands its blocking calls to threads", v.reason)

    def test_nobody_meets_the_slo(self):
        res = results(run("loop", 1000, 50_000), run("pool", 2000, 90_000, threads=2))
        (v,) = analysis.verdicts(res, SLO)
        self.assertIsNone(v.winner)
        self.assertIn("no configuration kept", v.reason)
        self.assertIn("pool x2", v.reason)

    def test_failed_runs_never_win(self):
        res = results(run("loop", 1000, 5_000),
                      run("pool", 5000, 1_000, threads=2, status="timeout"))
        (v,) = analysis.verdicts(res, SLO)
        self.assertEqual(v.winner.label, "loop")
        self.assertEqual([c.label for c in v.ranked], ["loop"])

    def test_only_failures(self):
        (v,) = analysis.verdicts(results(run("loop", 0, 0, status="error")), SLO)
        self.assertIsNone(v.winner)
        self.assertEqual(v.reason, "no run of this scenario succeeded")

    def test_absolute_slo(self):
        res = results(run("loop", 1000, 5_000), run("pool", 2000, 40_000, threads=2))
        (v,) = analysis.verdicts(res, Slo.parse("50ms"))
        self.assertEqual(v.winner.label, "pool x2")

    def test_repetitions_are_folded_by_median(self):
        res = results(run("loop", 900, 5_000, repetition=0), run("loop", 1000, 5_000,
                                                                  repetition=1),
                      run("loop", 5000, 5_000, repetition=2),
                      run("pool", 1500, 5_000, threads=2))
        (v,) = analysis.verdicts(res, SLO)
        self.assertEqual(v.winner.label, "pool x2")
        self.assertEqual(v.runner_up.throughput, 1000)

    def test_scenarios_group_is_used_when_groups_exist(self):
        res = results(run("loop", 1000, 5_000, group="scenarios"),
                      run("pool", 9000, 5_000, threads=2, group="decision-map"))
        (v,) = analysis.verdicts(res, SLO)
        self.assertEqual([c.label for c in v.ranked], ["loop"])


class Saturation(unittest.TestCase):
    def test_throughput_falls_behind_the_offered_rate(self):
        pts = [(100, 100, 1_000), (200, 199, 1_100), (400, 370, 1_300)]
        self.assertEqual(analysis.saturation_index(pts), 2)

    def test_p99_jump(self):
        pts = [(100, 100, 1_000), (200, 200, 3_000), (300, 299, 12_000)]
        self.assertEqual(analysis.saturation_index(pts), 2)

    def test_never(self):
        self.assertIsNone(analysis.saturation_index([(100, 100, 1_000), (200, 199, 1_200)]))
        self.assertIsNone(analysis.saturation_index([]))


class DecisionMap(unittest.TestCase):
    def test_cells_winners_and_margins(self):
        def cell_runs(workload, loop_tp, pool_tp, pool_p99=1_000):
            t = load.workload_means_us(workload)
            extra = {"task_mean_us": t, "group": "decision-map"}
            return [run("loop", loop_tp, 1_000, workload=workload, scenario="", **extra),
                    run("pool", pool_tp, pool_p99, workload=workload, scenario="", threads=4,
                        **extra)]

        res = results(*(cell_runs("io:2ms", 8000, 2000)
                         + cell_runs("io:1ms,cpu:1ms", 1000, 1500)
                         + cell_runs("io:1ms,block:1ms", 1000, 3000, pool_p99=999_000)
                         + cell_runs("cpu:2ms", 500, 1900)))
        runs, source = analysis.decision_runs(res)
        self.assertEqual(source, "decision-map")
        cells = {(c.cpu_share, c.block_share): c for c in analysis.decision_cells(runs, SLO)}
        self.assertEqual(set(cells), {(0.0, 0.0), (0.5, 0.0), (0.0, 0.5), (1.0, 0.0)})
        self.assertEqual(cells[(0.0, 0.0)].winner.label, "loop")
        self.assertAlmostEqual(cells[(0.0, 0.0)].margin, 3.0)
        self.assertEqual(cells[(0.5, 0.0)].winner.label, "pool x4")
        self.assertAlmostEqual(cells[(0.5, 0.0)].margin, 0.5)
        # The pool is faster at 50% blocking but breaks the SLO: the loop wins alone.
        self.assertEqual(cells[(0.0, 0.5)].winner.label, "loop")
        self.assertIsNone(cells[(0.0, 0.5)].margin)

    def test_falls_back_to_scenarios_without_a_decision_map_sweep(self):
        res = results(run("loop", 1000, 5_000), run("pool", 1500, 5_000, threads=2))
        runs, source = analysis.decision_runs(res)
        self.assertEqual(source, "scenarios")
        (cell,) = analysis.decision_cells(runs, SLO)
        self.assertEqual((cell.cpu_share, cell.block_share), (1.0, 0.0))


class Rules(unittest.TestCase):
    @staticmethod
    def crossover(points):
        """Crossover runs of io:1ms plus a CPU burst: (cpu us, loop, pool x8 tasks/s)."""
        rs = []
        for cpu, loop_tp, pool_tp in points:
            w = "io:1ms,cpu:%dus" % cpu
            rs.append(run("loop", loop_tp, 3_000, workload=w, scenario="", group="crossover",
                          conc=16))
            rs.append(run("pool", pool_tp, 3_000, workload=w, scenario="", group="crossover",
                          conc=16, threads=8))
        return analysis.rule_cpu_per_wait(results(*rs), SLO)

    def test_crossover_from_bisection_points(self):
        rule = self.crossover(((100, 9000, 7000), (200, 5000, 6500), (400, 2500, 4000)))
        self.assertTrue(rule.measured)
        self.assertIn("about 100-200 us of CPU per ms of waiting", rule.text)
        self.assertIn("loop still wins (9,000 vs 7,000 tasks/s", rule.text)
        # The limit depends on the tasks in flight; the reader is told which.
        self.assertIn("with 16 tasks in flight, where the loop's one core is full at "
                      "1,000 / (16 - 1) = 67 us per ms of waiting", rule.text)

    def test_crossover_at_mixed_concurrency_names_no_one_core_limit(self):
        rs = [run("loop", 9000, 3_000, workload="io:1ms,cpu:100us", scenario="",
                  group="crossover", conc=16),
              run("pool", 7000, 3_000, workload="io:1ms,cpu:100us", scenario="",
                  group="crossover", conc=16, threads=8),
              run("loop", 2500, 3_000, workload="io:1ms,cpu:400us", scenario="",
                  group="crossover", conc=64),
              run("pool", 4000, 3_000, workload="io:1ms,cpu:400us", scenario="",
                  group="crossover", conc=64, threads=8)]
        rule = analysis.rule_cpu_per_wait(results(*rs), SLO)
        self.assertIn("about 100-400 us of CPU per ms of waiting", rule.text)
        self.assertNotIn("tasks in flight", rule.text)

    def test_crossover_ignores_wins_inside_the_tie_margin(self):
        # At 200 and 300 us the pool is ahead by under 5%: noise, not a crossover.
        rule = self.crossover(((100, 9000, 7000), (200, 5000, 5010), (300, 4000, 4100),
                               (400, 2500, 4000)))
        self.assertIn("about 300-400 us of CPU per ms of waiting", rule.text)
        self.assertIn("loop still keeps up (within 5%) (4,000 vs 4,100 tasks/s", rule.text)

    def test_missing_data_is_said_not_invented(self):
        rule = analysis.rule_cpu_per_wait(results(run("loop", 1000, 5_000)), SLO)
        self.assertFalse(rule.measured)
        self.assertIn("not measured", rule.text)
        self.assertFalse(analysis.rule_blocking_cost(results(run("loop", 1, 1))).measured)
        self.assertFalse(analysis.rule_offload_cost(results(run("loop", 1, 1))).measured)

    @staticmethod
    def offload_pair(naive_mean_us, offloaded_mean_us):
        """block:5ms at concurrency 1, on the loop and offloaded to a thread."""
        w = "block:5ms"
        return results(run("loop", 198, 5_100, conc=1, workload=w, scenario="block", cpu=0.01,
                           latency_us={"p99": 5_100, "mean": naive_mean_us}),
                       run("loop", 194, 5_300, conc=1, workload=w, scenario="block",
                           offload="thread", cpu=0.02,
                           latency_us={"p99": 5_300, "mean": offloaded_mean_us}))

    def test_offload_cost_at_the_lightest_load(self):
        rule = analysis.rule_offload_cost(self.offload_pair(5_040.0, 5_100.0))
        self.assertTrue(rule.measured)
        self.assertIn("5,100.0 us offloaded vs 5,040.0 us on the loop: +60 us per call",
                      rule.text)

    def test_offload_faster_than_naive_is_called_noise(self):
        rule = analysis.rule_offload_cost(self.offload_pair(5_230.0, 5_180.0))
        self.assertIn("no cost measurable in latency", rule.text)
        self.assertNotIn("-50", rule.text)

    def test_offload_micro_is_set_beside_the_futex_floor(self):
        res = results(run("loop", 1, 1))
        res.micro = {"benchmarks": [
            {"name": "BM_loop_offload/real_time", "real_time": 30.0, "time_unit": "us"},
            {"name": "BM_floor_futex_handoff/real_time", "real_time": 15000.0,
             "time_unit": "ns"}]}
        rule = analysis.rule_offload_cost(res)
        self.assertTrue(rule.measured)
        self.assertIn("2.0x this machine's futex round trip of 15 us", rule.text)


class Loader(unittest.TestCase):
    def test_labels(self):
        self.assertEqual(load.model_label("loop", "none", 1, uses_threads=False), "loop")
        self.assertEqual(load.model_label("loop", "thread", 4, uses_threads=False),
                         "loop+thread")
        self.assertEqual(load.model_label("pool", "none", 2), "pool x2")
        self.assertEqual(load.model_label("asio", "process", 3), "asio+process x3")

    def test_workload_means(self):
        t = load.workload_means_us("io:~5ms,cpu:~200us,block:~1ms")
        self.assertEqual((t["io"], t["cpu"], t["block"], t["total"]), (5000, 200, 1000, 6200))
        t = load.workload_means_us("io:1ms,block:100ms@0.5%")
        self.assertAlmostEqual(t["block"], 500)
        self.assertIsNone(load.workload_means_us("disk:1ms"))

    def test_absent_and_null_fields(self):
        r = load.Run({"model": "pool", "latency_us": None, "cpu_s": {"user": None, "sys": 0.5},
                      "stall_us": {"max": 0.0, "samples": 0}, "throughput_per_s": float("nan")},
                     0)
        self.assertIsNone(r.p99)
        self.assertEqual(r.cpu_s, 0.5)
        self.assertIsNone(r.throughput)
        self.assertFalse(r.stall_known)  # no samples: unmeasured, not zero
        self.assertIsNone(r.stall("max"))
        self.assertIsNone(r.group)
        self.assertEqual(r.offload, "none")
        self.assertEqual(r.label, "pool x1")

    def test_efficiency_figures(self):
        r = load.Run({"model": "loop", "throughput_per_s": 1000.0, "wall_s": 1.25,
                      "cpu_s": {"user": 0.5, "sys": 0.125}, "rss_peak_kb": 4096,
                      "concurrency": 64}, 0)
        self.assertAlmostEqual(r.cpu_rate, 0.5)
        self.assertAlmostEqual(r.tasks_per_cpu_s, 2000.0)
        self.assertAlmostEqual(r.rss_per_task_bytes, 65536.0)

    def test_memory_per_extra_task_cancels_the_baseline(self):
        # Each of the 256 extra tasks adds 1 KiB. The run at 257 was forked
        # later, from a suite process 3,000 KiB bigger: its start says so.
        rs = [load.Run(run("loop", 100, 12_000, conc=c, workload="io:10ms", scenario="io",
                           cpu=0.01, rss_peak_kb=peak, rss_start_kb=start), 0)
              for c, start, peak in ((1, 4_000, 5_000), (257, 7_000, 8_256))]
        (row,) = analysis.efficiency_rows(rs)
        self.assertAlmostEqual(row["rss_per_extra_task_bytes"], 1024.0)
        self.assertEqual(row["rss_concurrency_from"], 1)
        self.assertEqual(row["rss_concurrency"], 257)
        # The plain ratio is mostly the run's fixed cost.
        self.assertAlmostEqual(row["rss_per_task_bytes"], 1256 * 1024 / 257)

    def test_slo_parsing(self):
        self.assertEqual(Slo.parse("10x").limit_us(2000), 20000)
        self.assertEqual(Slo.parse("2.5x").limit_us(1000), 2500)
        self.assertEqual(Slo.parse("50ms").limit_us(1), 50000)
        self.assertEqual(Slo.parse("200 us").limit_us(None), 200)
        self.assertIsNone(Slo.parse("10x").limit_us(None))
        for bad in ("", "x", "10", "-1x", "0ms", "fast"):
            with self.subTest(bad=bad), self.assertRaises(ValueError):
                Slo.parse(bad)

    def test_micro_median_aggregate_preferred(self):
        res = results(run("loop", 1, 1))
        res.micro = {"benchmarks": [
            {"name": "BM_loop_offload", "run_type": "iteration", "real_time": 9.0,
             "time_unit": "us"},
            {"name": "BM_loop_offload_median", "run_name": "BM_loop_offload",
             "run_type": "aggregate", "aggregate_name": "median", "real_time": 8.5,
             "time_unit": "us"}]}
        self.assertTrue(math.isclose(analysis.micro_ns(res, "BM_loop_offload"), 8500.0))


class ModelRegistry(unittest.TestCase):
    """Labels, order, colours and markers come from the runs' model_traits;
    a model without them gets generic traits and a colour of its own."""

    def test_recorded_traits(self):
        res = results(run("pool", 10, 1, threads=2), run("loop", 10, 1),
                      run("asio", 10, 1, threads=2, offload="thread"))
        reg = res.registry
        self.assertEqual(reg.models, ["loop", "asio", "pool"])  # by order, not appearance
        self.assertEqual(res.labels, ["loop", "asio+thread x2", "pool x2"])
        t = reg.traits("loop")
        self.assertTrue(t.recorded)
        self.assertFalse(t.uses_threads)
        self.assertTrue(t.cooperative)
        self.assertEqual(t.offload, ("none", "thread", "process"))
        self.assertEqual(reg.colour("loop"), "#1f5fa8")
        self.assertEqual(reg.colour("asio", "thread"), "#b8860b")
        self.assertEqual(reg.marker("pool"), "D")

    def test_older_file_gets_generic_traits(self):
        # No model_traits: the one-thread model is the one whose runs all have
        # one thread while another's have more; cooperative ones recorded
        # slow_resumes or ran with --offload. The order is first appearance.
        raw = [dict(run("b", 10, 1, threads=4), slow_resumes=None),
               dict(run("a", 10, 1), slow_resumes={"count": 0}),
               run("c", 10, 1, offload="thread", threads=2)]
        for r in raw:
            r.pop("model_traits", None)
        reg = load.Registry.from_runs(raw)
        self.assertEqual(reg.models, ["b", "a", "c"])
        a, b, c = reg.traits("a"), reg.traits("b"), reg.traits("c")
        self.assertFalse(a.recorded)
        self.assertEqual((a.uses_threads, a.cooperative), (False, True))
        self.assertEqual((b.uses_threads, b.cooperative), (True, False))
        self.assertEqual((c.uses_threads, c.cooperative), (True, True))
        self.assertEqual(c.offload, ("none", "thread"))
        self.assertEqual(reg.label("a", "none", 1), "a")
        self.assertEqual(reg.label("b", "none", 4), "b x4")
        # Picked colours and markers: distinct, and the same every time.
        colours = [reg.colour(m) for m in reg.models]
        self.assertEqual(len(set(colours)), 3)
        self.assertEqual(colours, [load.Registry.from_runs(raw).colour(m) for m in reg.models])
        self.assertEqual(len({reg.marker(m) for m in reg.models}), 3)
        # An offload variant without a colour of its own is a shade of the model's.
        self.assertNotEqual(reg.colour("c", "thread"), reg.colour("c"))

    def test_undescribed_model_comes_after_the_known_ones(self):
        res = results(run("newcomer", 10, 1, threads=2), run("pool", 10, 1, threads=2),
                      run("loop", 10, 1))
        reg = res.registry
        self.assertEqual(reg.models, ["loop", "pool", "newcomer"])
        self.assertEqual(res.labels[-1], "newcomer x2")
        recorded = {c for t in support.TRAITS.values() for c in t["colors"].values()}
        self.assertNotIn(reg.colour("newcomer"), recorded)
        self.assertNotIn(reg.marker("newcomer"), {"o", "D"})

    def test_traits_without_colours_or_marker(self):
        traits = dict(support.TRAITS["pool"], colors={}, marker=None, order=7)
        res = results(run("pool", 10, 1, threads=2, model_traits=traits),
                      run("loop", 10, 1))
        reg = res.registry
        self.assertEqual(reg.models, ["loop", "pool"])
        self.assertTrue(reg.colour("pool").startswith("#"))
        self.assertNotEqual(reg.colour("pool"), reg.colour("loop"))
        self.assertNotEqual(reg.marker("pool"), reg.marker("loop"))
        # colors lacking a key: the recorded ones are kept, the rest shaded.
        traits = dict(support.TRAITS["asio"], colors={"none": "#123456"})
        reg = results(run("asio", 10, 1, threads=2, model_traits=traits)).registry
        self.assertEqual(reg.colour("asio"), "#123456")
        self.assertNotEqual(reg.colour("asio", "process"), "#123456")

    def test_two_files_share_one_registry(self):
        old = results(dict(run("loop", 10, 1), model_traits=None), run("pool", 10, 1, threads=2))
        new = results(run("loop", 10, 1), run("fiber", 10, 1, threads=2))
        reg = old.registry.merged(new.registry)
        self.assertTrue(reg.traits("loop").recorded)  # recorded wins over inferred
        self.assertEqual(reg.models, ["loop", "fiber", "pool"])
        self.assertEqual(reg.with_models(["pool", "zeta"]).models[-1], "zeta")


class MicroChart(unittest.TestCase):
    def test_sleepers_are_left_off_the_primitive_axis(self):
        import micro  # here: it loads matplotlib, which the other tests do not need
        prims, floors, _ = micro.parse({"benchmarks": [
            {"name": "BM_loop_yield", "run_type": "iteration", "real_time": 9.0,
             "time_unit": "ns"},
            {"name": "BM_floor_clock_read", "run_type": "iteration", "real_time": 12.0,
             "time_unit": "ns"},
            {"name": "BM_loop_sleepers/real_time", "run_type": "iteration",
             "real_time": 1000.0, "cpu_time": 90.0, "time_unit": "ns"},
            {"name": "BM_floor_sleepers/real_time", "run_type": "iteration",
             "real_time": 1000.0, "cpu_time": 60.0, "time_unit": "ns"}]})
        self.assertEqual(prims, {("loop", "yield"): 9.0})
        self.assertEqual(floors, {"clock_read": 12.0})


class DecisionMapText(unittest.TestCase):
    """A cell's margin: a tie (under 5%) never reads as 5% or more."""

    def cell(self, margin):
        return types.SimpleNamespace(winner=types.SimpleNamespace(label="loop+process"),
                                     runner_up=types.SimpleNamespace(label="pool x16"),
                                     margin=margin)

    def test_margins(self):
        import decision_map  # here: it loads matplotlib, which the other tests do not need
        text = decision_map.cell_text
        self.assertEqual(text(self.cell(0.046)), "loop+process\ntie with pool x16 (+4.6%)")
        self.assertEqual(text(self.cell(0.0499)), "loop+process\ntie with pool x16 (+4.9%)")
        self.assertEqual(text(self.cell(0.0)), "loop+process\ntie with pool x16 (+0.0%)")
        self.assertEqual(text(self.cell(0.05)), "loop+process\n+5.0% vs pool x16")
        self.assertEqual(text(self.cell(0.14)), "loop+process\n+14% vs pool x16")


if __name__ == "__main__":
    unittest.main()
