"""The report's judgement against hand-made data with a known answer. The
computations are checked on their numbers and fields; a few tests check the
rendered English where the wording itself matters."""

import math
import types
import unittest

import support  # puts plot/ on sys.path
from ccplot import classes, decision, load, microbench, ranking, rules, saturation, text
from ccplot.efficiency import efficiency_rows
from ccplot.limits import (BlockingCalls, Computing, HeldWorkers, LoadBound, OneCore,
                           ProbeNeverRan, ProbeStalls, Workers, limits)
from ccplot.ranking import OffloadsBlocking, UsesCores
from ccplot.slo import Slo, from_runs


def run(model, tp, p99, conc=8, workload="cpu:1ms", scenario="cpu", offload="none", threads=1,
        cpu=None, status="ok", **extra):
    """A run dict as ccbench writes it, with only what the analysis reads (a
    stall probe that never waited long), and the model's traits as the
    registry records them (none for a model it lacks)."""
    r = {"model": model, "offload": offload, "threads": threads, "workload": workload,
         "scenario": scenario, "arrival": "closed", "concurrency": conc, "rate": 0.0,
         "throughput_per_s": tp, "latency_us": {"p50": p99 / 2, "p99": p99},
         "stall_us": {"max": 100.0, "p99": 50.0, "samples": 900},
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


def labels(cands):
    return [c.label for c in cands]


SLO = Slo.parse("10x")


class Winners(unittest.TestCase):
    def test_faster_model_that_breaks_the_slo_does_not_win(self):
        # cpu:1ms -> the SLO is p99 under 10 ms. The pool is twice as fast but
        # its p99 of 500 ms breaks it at every load measured.
        res = results(run("loop", 1000, 5_000, cpu=1.0),
                      run("pool", 2000, 500_000, threads=2, cpu=2.0))
        (v,) = ranking.verdicts(res, SLO)
        self.assertEqual(v.slo_us, 10_000)
        self.assertEqual(v.winner.label, "loop")
        self.assertIsNone(v.runner_up)
        self.assertEqual(labels(v.violators), ["pool x2"])
        self.assertEqual(v.reason.kind, "only")
        (viol,) = v.reason.violations
        self.assertEqual((viol.candidate.label, viol.candidate.throughput, viol.slo_us),
                         ("pool x2", 2000, 10_000))

    def test_best_configuration_within_the_slo_is_chosen_per_model(self):
        # The pool meets the SLO at concurrency 2 (1,900/s) but not at 64
        # (2,000/s): its 1,900 still beats the loop.
        res = results(run("loop", 980, 1_100, conc=1, cpu=0.99),
                      run("loop", 990, 60_000, conc=64, cpu=1.0),
                      run("pool", 1900, 1_200, conc=2, threads=2, cpu=1.95),
                      run("pool", 2000, 70_000, conc=64, threads=2, cpu=2.0))
        (v,) = ranking.verdicts(res, SLO)
        self.assertEqual((v.winner.label, v.winner.concurrency), ("pool x2", 2))
        self.assertEqual((v.runner_up.label, v.runner_up.concurrency), ("loop", 1))
        self.assertFalse(v.tie)
        self.assertAlmostEqual(v.margin, 1900 / 980 - 1)
        # The reason comes from the numbers: the loop's single core is full,
        # the pool uses two.
        lead = v.reason.lead
        self.assertAlmostEqual(lead.ratio, 1900 / 980)
        self.assertEqual(lead.runner_up_limits, [OneCore(980, 0.99)])
        self.assertEqual(lead.strengths, [UsesCores("pool x2", 1.95)])
        self.assertEqual(v.winner.fastest.concurrency, 64)  # faster, over the limit

    def test_tie_within_five_percent(self):
        res = results(run("loop", 1000, 2_000, workload="io:10ms", scenario="io", conc=64),
                      run("asio", 1030, 2_000, workload="io:10ms", scenario="io", conc=64,
                          threads=2))
        (v,) = ranking.verdicts(res, SLO)
        self.assertTrue(v.tie)
        self.assertEqual(v.winner.label, "asio x2")
        tie = v.reason.tie
        self.assertEqual(labels(tie.tied), ["asio x2", "loop"])
        self.assertAlmostEqual(tie.spread, 0.03)
        self.assertEqual((tie.low, tie.high), (1000, 1030))
        self.assertIsNone(tie.load)  # 1,000/s of 64 / 10 ms = 6,400/s: not the load
        self.assertIsNone(tie.lower_p99)  # the same p99

    def test_tie_held_back_by_the_load(self):
        res = results(run("loop", 6300, 12_000, workload="io:10ms", scenario="io", conc=64),
                      run("asio", 6350, 11_000, workload="io:10ms", scenario="io", conc=64,
                          threads=2))
        (v,) = ranking.verdicts(res, SLO)
        self.assertEqual(v.reason.tie.load, LoadBound(64, 10_000.0, 6400.0))

    def test_capped_pool_and_procs_are_explained(self):
        # io:10ms with 2 threads or worker processes: at most 2 / 10 ms = 200 tasks/s.
        # Whether the workers are processes is the model's own "workers" fact.
        for model, facts, processes in (("pool", {}, False), ("procs", {"workers": 2}, True),
                                        ("procs", {"workers": "2"}, True)):
            with self.subTest(model=model, facts=facts):
                res = results(run("loop", 6000, 12_000, workload="io:10ms", scenario="io",
                                  conc=64, cpu=0.05),
                              run(model, 199, 40_000, workload="io:10ms", scenario="io",
                                  conc=8, threads=2, cpu=0.01, model_facts=facts))
                (v,) = ranking.verdicts(res, SLO)
                self.assertEqual(v.winner.label, "loop")
                self.assertEqual(v.reason.lead.runner_up_limits,
                                 [HeldWorkers(Workers(2, processes), 10_000.0, 200.0)])

    def test_loop_with_process_offload_is_held_to_its_worker_processes(self):
        # cpu:1ms sent to 2 worker processes: 2 / 1 ms = 2,000 tasks/s, on
        # nearly two cores' CPU. Not "its one core". Facts are JSON numbers in
        # newer files and strings in older ones.
        for count in (2, "2"):
            with self.subTest(count=count):
                res = results(run("loop", 1700, 6_000, offload="process", cpu=1.89,
                                  model_facts={"offload_processes": count}),
                              run("loop", 950, 1_100, conc=1, cpu=0.97))
                (v,) = ranking.verdicts(res, SLO)
                self.assertEqual(v.winner.label, "loop+process")
                found = limits(v.winner, v.task_us)
                self.assertEqual(found, [Computing(Workers(2, True), 1000.0, 2000.0)])
                self.assertNotIn(OneCore, [type(x) for x in found])

    def test_blocking_loop_is_explained(self):
        blind = {"max": 0.0, "p99": 0.0, "samples": 0}
        res = results(run("loop", 199, 40_000, workload="block:5ms", scenario="block", conc=8,
                          stall_us=blind),
                      run("loop", 1180, 9_000, workload="block:5ms", scenario="block", conc=8,
                          offload="thread"))
        (v,) = ranking.verdicts(res, SLO)
        self.assertEqual(v.winner.label, "loop+thread")
        lead = v.reason.lead
        self.assertEqual(lead.runner_up_limits[0], BlockingCalls(1, 5000.0, 200.0))
        # No stall samples on a cooperative model: its probe never ran.
        self.assertEqual(lead.runner_up_limits[1:], [ProbeNeverRan()])
        self.assertIn(OffloadsBlocking("loop+thread"), lead.strengths)

    def test_stalls_worth_a_mention(self):
        res = results(run("pool", 1900, 5_000, threads=2, cpu=1.9,
                          stall_us={"max": 12_000.0, "p99": 400.0, "samples": 900}))
        (v,) = ranking.verdicts(res, SLO)
        self.assertEqual(limits(v.winner, v.task_us)[-1], ProbeStalls(12_000.0, 400.0))

    def test_nobody_meets_the_slo(self):
        res = results(run("loop", 1000, 50_000), run("pool", 2000, 90_000, threads=2))
        (v,) = ranking.verdicts(res, SLO)
        self.assertIsNone(v.winner)
        self.assertEqual(v.reason.kind, "none-meets")
        self.assertEqual(v.reason.violations[0].candidate.label, "pool x2")

    def test_failed_runs_never_win(self):
        res = results(run("loop", 1000, 5_000),
                      run("pool", 5000, 1_000, threads=2, status="timeout"))
        (v,) = ranking.verdicts(res, SLO)
        self.assertEqual(v.winner.label, "loop")
        self.assertEqual(labels(v.ranked), ["loop"])

    def test_only_failures(self):
        (v,) = ranking.verdicts(results(run("loop", 0, 0, status="error")), SLO)
        self.assertIsNone(v.winner)
        self.assertEqual(v.reason.kind, "no-runs")

    def test_absolute_slo(self):
        res = results(run("loop", 1000, 5_000), run("pool", 2000, 40_000, threads=2))
        (v,) = ranking.verdicts(res, Slo.parse("50ms"))
        self.assertEqual(v.winner.label, "pool x2")

    def test_repetitions_are_folded_by_median(self):
        res = results(run("loop", 900, 5_000, repetition=0), run("loop", 1000, 5_000,
                                                                  repetition=1),
                      run("loop", 5000, 5_000, repetition=2),
                      run("pool", 1500, 5_000, threads=2))
        (v,) = ranking.verdicts(res, SLO)
        self.assertEqual(v.winner.label, "pool x2")
        self.assertEqual(v.runner_up.throughput, 1000)
        self.assertEqual(v.runner_up.n, 3)

    def test_scenarios_group_is_used_when_groups_exist(self):
        res = results(run("loop", 1000, 5_000, group="scenarios"),
                      run("pool", 9000, 5_000, threads=2, group="decision-map"))
        (v,) = ranking.verdicts(res, SLO)
        self.assertEqual(labels(v.ranked), ["loop"])

    def test_an_undescribed_model_is_ranked_like_any_other(self):
        # No model_traits: generic traits (threaded, not cooperative), and a
        # label with its thread count.
        res = results(run("loop", 1000, 5_000), run("newcomer", 1500, 5_000, threads=3))
        (v,) = ranking.verdicts(res, SLO)
        self.assertEqual(v.winner.label, "newcomer x3")
        self.assertFalse(v.winner.run.traits.recorded)


class Wording(unittest.TestCase):
    """The English where the wording itself matters."""

    def test_capped_workers(self):
        self.assertEqual(text.limit(HeldWorkers(Workers(2), 10_000.0, 200.0)),
                         "is capped by its 2 threads, each held for the whole 10 ms task: "
                         "2 / 10 ms = 200 tasks/s")
        self.assertEqual(text.workers(Workers(2, processes=True)), "2 worker processes")
        self.assertEqual(text.limit(Computing(Workers(2, True), 1000.0, 2000.0)),
                         "keeps its 2 worker processes busy computing: 2 / 1 ms of CPU = "
                         "2,000 tasks/s")
        self.assertEqual(text.limit(BlockingCalls(1, 5000.0, 200.0)),
                         "runs one blocking call at a time: 5 ms of blocking and CPU per task "
                         "caps it at 200 tasks/s")

    def test_reason_sentences(self):
        res = results(run("loop", 980, 1_100, conc=1, cpu=0.99),
                      run("pool", 1900, 1_200, conc=2, threads=2, cpu=1.95))
        (v,) = ranking.verdicts(res, SLO)
        self.assertEqual(text.reason(v),
                         "pool x2 completes 94% more tasks than loop; loop saturates its one "
                         "core at 980 tasks/s (cpu 0.99 s per s); pool x2 uses 1.9 cores "
                         "(cpu 1.95 s per s)")
        res = results(run("loop", 1000, 2_000, workload="io:10ms", scenario="io", conc=64),
                      run("asio", 1030, 2_000, workload="io:10ms", scenario="io", conc=64,
                          threads=2))
        (v,) = ranking.verdicts(res, SLO)
        self.assertEqual(text.reason(v), "a tie: asio x2 and loop are within 3.0% of each "
                         "other (1,000 to 1,030 tasks/s), inside run-to-run noise")

    def test_slo_breakers(self):
        res = results(run("loop", 1000, 5_000, cpu=1.0),
                      run("pool", 2000, 500_000, threads=2, cpu=2.0))
        (v,) = ranking.verdicts(res, SLO)
        self.assertEqual(text.reason(v), "loop is the only model that meets the SLO; pool x2 "
                         "reaches 2,000 tasks/s at concurrency 8 but its p99 of 500 ms breaks "
                         "the 10 ms limit")
        res = results(run("loop", 1000, 50_000), run("pool", 2000, 90_000, threads=2))
        (v,) = ranking.verdicts(res, SLO)
        self.assertEqual(text.reason(v), "no configuration kept p99 under 10x the task's own "
                         "duration; the fastest, pool x2, does 2,000 tasks/s at concurrency 8 "
                         "with p99 90 ms")


class Saturation(unittest.TestCase):
    def test_throughput_falls_behind_the_offered_rate(self):
        pts = [(100, 100, 1_000), (200, 199, 1_100), (400, 370, 1_300)]
        self.assertEqual(saturation.saturation_index(pts), 2)

    def test_p99_jump(self):
        pts = [(100, 100, 1_000), (200, 200, 3_000), (300, 299, 12_000)]
        self.assertEqual(saturation.saturation_index(pts), 2)

    def test_never(self):
        self.assertIsNone(saturation.saturation_index([(100, 100, 1_000), (200, 199, 1_200)]))
        self.assertIsNone(saturation.saturation_index([]))


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
        runs, source = decision.decision_runs(res)
        self.assertEqual(source, "decision-map")
        cells = decision.decision_cells(runs, SLO)
        by_mix = {(c.cpu_share, c.block_share): c for c in cells}
        self.assertEqual(set(by_mix), {(0.0, 0.0), (0.5, 0.0), (0.0, 0.5), (1.0, 0.0)})
        self.assertEqual(by_mix[(0.0, 0.0)].winner.label, "loop")
        self.assertAlmostEqual(by_mix[(0.0, 0.0)].margin, 3.0)
        self.assertEqual(by_mix[(0.5, 0.0)].winner.label, "pool x4")
        self.assertAlmostEqual(by_mix[(0.5, 0.0)].margin, 0.5)
        # The pool is faster at 50% blocking but breaks the SLO: the loop wins alone.
        self.assertEqual(by_mix[(0.0, 0.5)].winner.label, "loop")
        self.assertIsNone(by_mix[(0.0, 0.5)].margin)
        summary = decision.summarise(cells)
        self.assertEqual((summary.cells, summary.no_winner), (4, 0))
        self.assertEqual([(t.label, t.cells, t.ties) for t in summary.tallies],
                         [("loop", 2, 0), ("pool x4", 2, 0)])
        self.assertEqual(sorted(summary.tallies[0].clear_margins), [3.0])
        self.assertEqual(text.map_summary(summary), "loop wins 2 of 4 cells (by 300%); "
                         "pool x4 wins 2 of 4 cells (by 50% to 280%)")

    def test_falls_back_to_scenarios_without_a_decision_map_sweep(self):
        res = results(run("loop", 1000, 5_000), run("pool", 1500, 5_000, threads=2))
        runs, source = decision.decision_runs(res)
        self.assertEqual(source, "scenarios")
        (cell,) = decision.decision_cells(runs, SLO)
        self.assertEqual((cell.cpu_share, cell.block_share), (1.0, 0.0))


class Rules(unittest.TestCase):
    @staticmethod
    def crossover(points, single="loop", traits=None):
        """Crossover runs of io:1ms plus a CPU burst: (cpu us, loop, pool x8 tasks/s)."""
        rs = []
        for cpu, loop_tp, pool_tp in points:
            w = "io:1ms,cpu:%dus" % cpu
            rs.append(run(single, loop_tp, 3_000, workload=w, scenario="", group="crossover",
                          conc=16, model_traits=traits or support.TRAITS["loop"]))
            rs.append(run("pool", pool_tp, 3_000, workload=w, scenario="", group="crossover",
                          conc=16, threads=8))
        return rules.cpu_per_wait(results(*rs), SLO)

    def test_crossover_from_bisection_points(self):
        rule = self.crossover(((100, 9000, 7000), (200, 5000, 6500), (400, 2500, 4000)))
        self.assertTrue(rule.measured)
        self.assertEqual((rule.models, rule.source), (["loop"], "crossover"))
        self.assertEqual([m.cpu_per_ms_us for m in rule.mixes], [100, 200, 400])
        self.assertEqual((rule.below.cpu_per_ms_us, rule.above.cpu_per_ms_us), (100, 200))
        self.assertTrue(rule.below.single_wins)
        self.assertEqual((rule.below.single.throughput, rule.below.threaded.throughput),
                         (9000, 7000))
        self.assertEqual(rule.above.threaded.label, "pool x8")
        # The limit depends on the tasks in flight; the reader is told which.
        self.assertEqual(rule.tasks_in_flight, 16)
        self.assertAlmostEqual(rule.one_core_limit_us, 1000 / 15)
        title, body = text.rule(rule)
        self.assertEqual(title, "CPU a loop task may do per ms of waiting before threads win")
        self.assertEqual(body, "a loop task may do about 100-200 us of CPU per ms of waiting: "
                         "at 100 us of CPU per 1 ms of waiting loop still wins (9,000 vs 7,000 "
                         "tasks/s for pool x8); at 200 us of CPU per 1 ms of waiting pool x8 "
                         "wins (6,500 vs 5,000 tasks/s); with 16 tasks in flight, where the "
                         "loop's one core is full at 1,000 / (16 - 1) = 67 us per ms of "
                         "waiting, so with more tasks in flight the limit is lower (from "
                         "crossover runs, p99 under 10x the task's own duration)")

    def test_the_loop_is_named_from_the_data(self):
        # Whatever the one-thread cooperative model is called, the rule finds
        # it by its traits and names it.
        rule = self.crossover(((100, 9000, 7000), (200, 5000, 6500)), single="evloop")
        self.assertEqual(rule.models, ["evloop"])
        self.assertTrue(text.rule(rule)[1].startswith("a evloop task may do about 100-200 us"))
        # An older file: no traits, but slow_resumes and one thread among
        # threaded models make it the loop.
        rs = [dict(run("old", 9000, 3_000, workload="io:1ms,cpu:100us", scenario="",
                       group="crossover", conc=16), slow_resumes={"count": 0}),
              dict(run("old", 2500, 3_000, workload="io:1ms,cpu:400us", scenario="",
                       group="crossover", conc=16), slow_resumes={"count": 0}),
              run("pool", 7000, 3_000, workload="io:1ms,cpu:100us", scenario="",
                  group="crossover", conc=16, threads=8),
              run("pool", 4000, 3_000, workload="io:1ms,cpu:400us", scenario="",
                  group="crossover", conc=16, threads=8)]
        rule = rules.cpu_per_wait(results(*rs), SLO)
        self.assertEqual(rule.models, ["old"])
        self.assertEqual((rule.below.cpu_per_ms_us, rule.above.cpu_per_ms_us), (100, 400))

    def test_crossover_at_mixed_concurrency_names_no_one_core_limit(self):
        rs = [run("loop", 9000, 3_000, workload="io:1ms,cpu:100us", scenario="",
                  group="crossover", conc=16),
              run("pool", 7000, 3_000, workload="io:1ms,cpu:100us", scenario="",
                  group="crossover", conc=16, threads=8),
              run("loop", 2500, 3_000, workload="io:1ms,cpu:400us", scenario="",
                  group="crossover", conc=64),
              run("pool", 4000, 3_000, workload="io:1ms,cpu:400us", scenario="",
                  group="crossover", conc=64, threads=8)]
        rule = rules.cpu_per_wait(results(*rs), SLO)
        self.assertEqual((rule.below.cpu_per_ms_us, rule.above.cpu_per_ms_us), (100, 400))
        self.assertIsNone(rule.tasks_in_flight)
        self.assertNotIn("tasks in flight", text.rule(rule)[1])

    def test_crossover_ignores_wins_inside_the_tie_margin(self):
        # At 200 and 300 us the pool is ahead by under 5%: noise, not a crossover.
        rule = self.crossover(((100, 9000, 7000), (200, 5000, 5010), (300, 4000, 4100),
                               (400, 2500, 4000)))
        self.assertEqual((rule.below.cpu_per_ms_us, rule.above.cpu_per_ms_us), (300, 400))
        self.assertFalse(rule.below.single_wins)
        self.assertFalse(rule.below.threads_win)
        self.assertIn("loop still keeps up (within 5%) (4,000 vs 4,100 tasks/s",
                      text.rule(rule)[1])

    def test_one_side_won_every_mix(self):
        rule = self.crossover(((100, 9000, 7000), (200, 8000, 6500)))
        self.assertIsNone(rule.above)
        self.assertEqual(rule.below.cpu_per_ms_us, 200)
        rule = self.crossover(((100, 5000, 7000), (200, 4000, 6500)))
        self.assertIsNone(rule.below)
        self.assertEqual(rule.above.cpu_per_ms_us, 100)

    # A loop per core as the registry describes shards: cooperative, several
    # threads, sharing nothing.
    SHARDS = {"uses_threads": True, "cooperative": True, "offload": ["none", "thread", "process"],
              "sweep": True, "order": 6, "shares_nothing": True, "marker": "h"}

    @classmethod
    def three_way(cls, points, per_core="shards", traits=None):
        """Crossover runs of io:1ms plus a CPU burst at 16 tasks in flight:
        (cpu us, loop, pool x16, loop per core x2 tasks/s); None: not run."""
        rs = []
        for cpu, loop_tp, pool_tp, shards_tp in points:
            w = "io:1ms,cpu:%dus" % cpu
            common = dict(workload=w, scenario="", group="crossover", conc=16)
            if loop_tp is not None:
                rs.append(run("loop", loop_tp, 3_000, **common))
            rs.append(run("pool", pool_tp, 3_000, threads=16, **common))
            if shards_tp is not None:
                rs.append(run(per_core, shards_tp, 3_000, threads=2,
                              model_traits=traits or cls.SHARDS, **common))
        return results(*rs)

    def test_both_crossovers_one_loop_and_a_loop_per_core(self):
        # The bisections as the sweep runs them: loop and pool at 50-200 us,
        # then the loop per core and the pool from 100 us up.
        res = self.three_way(((50, 9000, 7000, None), (100, 8000, 8000, None),
                              (200, 4500, 7000, None), (300, None, 7000, 7100),
                              (500, None, 7000, 6900), (700, None, 6500, 5000)))
        one, per_core = rules.rules(res, SLO)[:2]
        self.assertFalse(one.per_core)
        self.assertEqual((one.below.cpu_per_ms_us, one.above.cpu_per_ms_us), (100, 200))
        self.assertEqual(one.models, ["loop"])
        self.assertTrue(per_core.per_core)
        self.assertEqual((per_core.models, per_core.source), (["shards"], "crossover"))
        self.assertEqual([m.cpu_per_ms_us for m in per_core.mixes], [300, 500, 700])
        self.assertEqual((per_core.below.cpu_per_ms_us, per_core.above.cpu_per_ms_us),
                         (500, 700))
        self.assertFalse(per_core.below.single_wins)  # 6,900 vs 7,000: a tie
        self.assertEqual(per_core.above.single.label, "shards x2")
        self.assertEqual(per_core.above.threaded.label, "pool x16")
        # 16 tasks in flight over 2 loops: each loop's core is full at 1,000 / 7.
        self.assertEqual((per_core.tasks_in_flight, per_core.loops), (16, 2))
        self.assertAlmostEqual(per_core.one_core_limit_us, 1000 / 7)
        self.assertAlmostEqual(per_core.limit_us, math.sqrt(500 * 700))
        self.assertAlmostEqual(per_core.limit_us / one.limit_us, math.sqrt(350000 / 20000))
        self.assertEqual((per_core.one_loop.below.cpu_per_ms_us,
                          per_core.one_loop.above.cpu_per_ms_us), (100, 200))
        title, body = text.rule(per_core)
        self.assertEqual(title, "CPU a shards task may do per ms of waiting before threads beat "
                         "a loop per core")
        self.assertEqual(body, "a task on shards x2, a loop per core, may do about 500-700 us "
                         "of CPU per ms of waiting: at 500 us of CPU per 1 ms of waiting shards "
                         "x2 still keeps up (within 5%) (6,900 vs 7,000 tasks/s for pool x16); at "
                         "700 us of CPU per 1 ms of waiting pool x16 wins (6,500 vs 5,000 "
                         "tasks/s); with 16 tasks in flight over 2 loops, where each loop's core "
                         "is full at 1,000 / (16 / 2 - 1) = 143 us per ms of waiting; one loop "
                         "(loop) may do about 100-200 us: a loop per core may do 4.18x as much "
                         "(from crossover runs, p99 under 10x the task's own duration)")
        # The report's rules carry both.
        self.assertEqual(text.rule(one)[0],
                         "CPU a loop task may do per ms of waiting before threads win")

    def test_a_loop_per_core_is_not_the_threaded_side_of_the_first_question(self):
        # At 200 us shards x2 is far ahead of one loop, the pool only by 3%:
        # the loop still keeps up with threads, whatever shards does.
        res = self.three_way(((100, 8000, 7000, 9000), (200, 6800, 7000, 9000),
                              (400, 3000, 6000, 8000)))
        one = rules.cpu_per_wait(res, SLO)
        self.assertEqual((one.below.cpu_per_ms_us, one.above.cpu_per_ms_us), (200, 400))
        self.assertEqual(one.above.threaded.label, "pool x16")
        per_core = rules.cpu_per_wait(res, SLO, per_core=True)
        self.assertIsNone(per_core.above)
        self.assertEqual(per_core.below.cpu_per_ms_us, 400)
        self.assertTrue(per_core.below.single_wins)
        body = text.rule(per_core)[1]
        self.assertTrue(body.startswith(
            "shards x2, a loop per core, won or kept up with threads at every measured mix, up "
            "to 400 us of CPU per 1 ms of waiting (400 us per ms of waiting: shards x2 8,000 vs "
            "pool x16 6,000 tasks/s); the crossover lies beyond"), body)
        self.assertIn("one loop (loop) may do about 200-400 us", body)
        self.assertNotIn("as much", body)  # no upper end to compare

    def test_the_loop_per_core_is_found_by_its_traits(self):
        res = self.three_way(((300, None, 7000, 7100), (700, None, 6500, 5000)),
                             per_core="percore")
        per_core = [r for r in rules.rules(res, SLO) if getattr(r, "per_core", False)]
        self.assertEqual(len(per_core), 1)
        self.assertEqual(per_core[0].models, ["percore"])
        self.assertEqual(per_core[0].above.cpu_per_ms_us, 700)
        # Without the trait it is one more threaded model, and nothing asks
        # the second question.
        plain = dict(self.SHARDS)
        del plain["shares_nothing"]
        res = self.three_way(((300, None, 7000, 7100),), per_core="percore", traits=plain)
        self.assertFalse(any(getattr(r, "per_core", False) for r in rules.rules(res, SLO)))

    def test_mixes_beyond_the_slo_are_said_so(self):
        # Both sides ran, but the pool's p99 broke the SLO at every mix.
        rs = [run("loop", 9000, 3_000, workload="io:1ms,cpu:%dus" % cpu, scenario="",
                  group="crossover", conc=16) for cpu in (100, 200)]
        rs += [run("pool", 9500, 90_000, workload="io:1ms,cpu:%dus" % cpu, scenario="",
                   group="crossover", conc=16, threads=8) for cpu in (100, 200)]
        rule = rules.cpu_per_wait(results(*rs), SLO)
        self.assertFalse(rule.measured)
        self.assertEqual(rule.beyond_slo, 2)
        self.assertEqual(text.rule(rule)[1], "not measured within the objective: in each of the 2 "
                         "mixes that ran both sides, one side's p99 broke it (p99 under 10x the "
                         "task's own duration, from crossover runs)")

    def test_a_loop_per_core_without_mixes_is_said_not_measured(self):
        res = results(run("loop", 1000, 5_000),
                      run("shards", 2000, 5_000, threads=2, model_traits=self.SHARDS))
        per_core = rules.rules(res, SLO)[1]
        self.assertTrue(per_core.per_core)
        self.assertFalse(per_core.measured)
        self.assertEqual(per_core.models, ["shards"])
        self.assertTrue(text.rule(per_core)[1].startswith("not measured"))

    def per_core_pair(self, conc, loop_cpu, shards_cpu, tp=500_000, **top):
        """loop and shards x2 on io:10ms at `conc`: one second's window, its CPU."""
        common = dict(workload="io:10ms", scenario="", conc=conc, duration_s=1.0,
                      completed=tp)
        return [run("loop", tp, 30_000, cpu_window_s={"user": loop_cpu, "sys": 0.0},
                    stall_us={"max": 100.0, "p99": 50.0, "samples": 900}, **common),
                run("shards", tp, 30_000, threads=2, model_traits=self.SHARDS,
                    cpu_window_s={"user": shards_cpu, "sys": 0.0},
                    stall_us={"max": 100.0, "p99": 50.0, "samples": 1800}, **common)]

    def test_what_a_loop_per_core_costs_per_task(self):
        # As `ccbench run -m loop,shards -t 2 -w io:10ms -c 10000` writes it.
        res = results(*self.per_core_pair(10_000, 0.05, 0.0725),
                      context={"wakeup_cpu_us": 25.0})
        rule = rules.rules(res, SLO)[-1]
        self.assertTrue(rule.measured)
        self.assertAlmostEqual(rule.one_loop_cpu_per_task_s, 100e-9)
        self.assertAlmostEqual(rule.per_core_cpu_per_task_s, 145e-9)
        self.assertAlmostEqual(rule.ratio, 1.45)
        self.assertEqual((rule.per_core_wakeups_per_s, rule.one_loop_wakeups_per_s), (1800, 900))
        # 900 more wake-ups a second at 25 us each, over 500,000 tasks a second.
        self.assertAlmostEqual(rule.extra_wakeups_ns_per_task, 45.0)
        title, body = text.rule(rule)
        self.assertEqual(title, "What a loop per core costs in CPU per task")
        self.assertEqual(body, "on io:10ms at concurrency 10000, shards x2 used 145 ns of CPU per "
                         "task against loop's 100 ns: 1.45x; its 2 stall probes woke their loops "
                         "1,800 times a second against 900, which at 25 us a wake-up on this "
                         "host is 45 ns per task of the 45 ns difference (the window's own CPU "
                         "over the tasks completed in it)")

    def test_the_per_core_cost_comes_from_the_heaviest_load_both_ran(self):
        res = results(*self.per_core_pair(100, 0.05, 0.06), *self.per_core_pair(10_000, 0.05,
                                                                               0.0725))
        rule = rules.rules(res, SLO)[-1]
        self.assertEqual(rule.per_core.run.concurrency, 10_000)
        self.assertEqual(rule.pairs, 2)
        self.assertEqual([round(x, 3) for x in rule.ratios], [1.2, 1.45])
        body = text.rule(rule)[1]
        self.assertIn("1.45x", body)
        self.assertIn("over the 2 loads both ran, 1.20x to 1.45x", body)
        self.assertNotIn("a wake-up on this host", body)  # not measured in this file

    def test_the_per_core_cost_needs_both_runs(self):
        res = results(self.per_core_pair(10_000, 0.05, 0.0725)[1])
        rule = rules.rules(res, SLO)[-1]
        self.assertFalse(rule.measured)
        self.assertTrue(text.rule(rule)[1].startswith("not measured"))

    def test_missing_data_is_said_not_invented(self):
        res = results(run("loop", 1000, 5_000))
        for rule in rules.rules(res, SLO):
            with self.subTest(rule=type(rule).__name__):
                self.assertFalse(rule.measured)
                self.assertTrue(text.rule(rule)[1].startswith("not measured"))

    def test_blocking_cost_of_the_full_fixture(self):
        rule = rules.blocking_cost(load.load(support.FULL))
        self.assertTrue(rule.measured)
        self.assertEqual(rule.models, ["loop"])
        self.assertEqual(rule.run.group, "stalls")
        self.assertEqual(rule.block_us, 1000.0)
        self.assertTrue(rule.block_stalls_us)
        self.assertTrue(all(20_000 <= s <= 21_000 for s in rule.block_stalls_us))
        self.assertEqual(rule.offloaded.run.offload, "thread")
        self.assertTrue(0 < rule.busy_share <= 1)

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
        rule = rules.offload_cost(self.offload_pair(5_040.0, 5_100.0))
        self.assertTrue(rule.measured)
        self.assertEqual(rule.models, ["loop"])
        self.assertEqual((rule.naive_mean_us, rule.offloaded_mean_us), (5_040.0, 5_100.0))
        self.assertAlmostEqual(rule.naive_cpu_per_task_s, 0.01 / 198)
        self.assertAlmostEqual(rule.offloaded_cpu_per_task_s, 0.02 / 194)
        self.assertIn("5,100.0 us offloaded vs 5,040.0 us on the loop: +60 us per call",
                      text.rule(rule)[1])

    def test_offload_faster_than_naive_is_called_noise(self):
        rule = rules.offload_cost(self.offload_pair(5_230.0, 5_180.0))
        body = text.rule(rule)[1]
        self.assertIn("no cost measurable in latency", body)
        self.assertNotIn("-50", body)

    def test_offload_micro_is_set_beside_the_futex_floor(self):
        res = results(run("loop", 1, 1))
        res.micro = {"benchmarks": [
            {"name": "BM_loop_offload/real_time", "real_time": 30.0, "time_unit": "us"},
            {"name": "BM_floor_futex_handoff/real_time", "real_time": 15000.0,
             "time_unit": "ns"}]}
        rule = rules.offload_cost(res)
        self.assertTrue(rule.measured)
        self.assertEqual((rule.bench, rule.micro_ns, rule.floor_ns),
                         ("BM_loop_offload", 30_000.0, 15_000.0))
        self.assertIn("2.0x this machine's futex round trip of 15 us", text.rule(rule)[1])


def mix_run(offload, api_p99, report_p99, rep=0, stall_share=0.0):
    """A loop run of the api-report mix at 400 tasks/s."""
    r = run("loop", 400, max(api_p99, report_p99), workload="api[95]=io:2ms;report[5]=block:20ms",
            scenario="api-report", offload=offload, repetition=rep, duration_s=3.0)
    r.update({"arrival": "open", "rate": 400.0, "concurrency": 0})
    r["classes"] = [
        {"name": "api", "weight": 95, "share": 0.95, "task_mean_us": 2000, "completed": 1140,
         "latency_us": {"p50": 2100, "p99": api_p99}, "stall_log_share": stall_share},
        {"name": "report", "weight": 5, "share": 0.05, "task_mean_us": 20000, "completed": 60,
         "latency_us": {"p50": 21000, "p99": report_p99}, "stall_log_share": 0.9},
    ]
    return r


class RequestClasses(unittest.TestCase):
    def test_rows_per_class(self):
        res = results(mix_run("none", 45000, 60000), mix_run("thread", 2300, 21000))
        rows = classes.class_rows(res)
        self.assertEqual([(r.run.offload, r.name) for r in rows],
                         [("none", "api"), ("none", "report"), ("thread", "api"),
                          ("thread", "report")])
        self.assertAlmostEqual(rows[0].throughput, 380.0)
        self.assertEqual(rows[0].p99_us, 45000)
        self.assertEqual(classes.class_rows(results(run("loop", 1, 1))), [])

    def test_head_of_line_rule(self):
        res = results(mix_run("none", 40000, 60000), mix_run("none", 50000, 60000, rep=1),
                      mix_run("thread", 2300, 21000), mix_run("thread", 2500, 21000, rep=1))
        (rule,) = classes.head_of_line(res)
        self.assertEqual((rule.victim, rule.heavy, rule.offload), ("api", "report", "thread"))
        self.assertEqual(rule.alone_us, 2000)
        self.assertEqual(rule.on_loop_us, 45000)  # the median of the repetitions
        self.assertEqual(rule.offloaded_us, 2400)
        title, words = text.rule(rule)
        self.assertEqual(title, "Head-of-line blocking")
        self.assertEqual(words, "with `report` on the loop, `api`'s p99 went from 2 ms (its own "
                                "task time) to 45 ms (api-report, 400 tasks/s); offloaded to a "
                                "thread, 2.4 ms (19x lower)")
        # Without an offloaded run it says what to add.
        (alone,) = classes.head_of_line(results(mix_run("none", 40000, 60000)))
        self.assertIn("add --offload none,thread", text.rule(alone)[1])
        # A threaded model is not an event loop.
        pool = mix_run("none", 40000, 60000)
        pool["model"], pool["model_traits"] = "pool", support.TRAITS["pool"]
        self.assertEqual(classes.head_of_line(results(pool)), [])


class ObjectiveFromRuns(unittest.TestCase):
    def test_the_runs_p99_limit_replaces_the_default(self):
        a = run("loop", 100, 5000, slo={"objective": "p99<20ms,tput>10", "met": True})
        b = run("pool", 100, 5000, slo={"objective": "p99<20ms,tput>10", "met": False,
                                        "worst": "tput"})
        s = from_runs(results(a, b).runs)
        self.assertEqual(s.absolute_us, 20000)
        self.assertEqual(text.slo(s), "p99 under 20 ms (the runs' objective, from "
                                      "`ccbench run --slo`)")
        self.assertIsNone(from_runs(results(run("loop", 1, 1)).runs))
        c = run("loop", 100, 5000, slo={"objective": "api.p99<1ms"})
        self.assertIsNone(from_runs(results(c).runs), "a class's p99 is not the run's")
        d = run("loop", 100, 5000, slo={"objective": "p99<1ms"})
        self.assertIsNone(from_runs(results(a, d).runs), "two objectives: none of them")


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
        self.assertEqual(r.label, "pool x1")  # generic traits: threaded

    def test_model_facts_numbers_and_text(self):
        r = load.Run({"model": "m", "offload": "process",
                      "model_facts": {"offload_processes": 2, "stack_kb": "32",
                                      "scheduler": "shared_queue", "bad": None}}, 0)
        self.assertEqual(r.fact("offload_processes"), 2)
        self.assertEqual(r.fact("stack_kb"), 32.0)
        self.assertEqual(r.fact("scheduler"), "shared_queue")
        self.assertIsNone(r.fact("bad"))
        self.assertIsNone(r.fact("absent"))
        self.assertEqual(r.offload_processes, 2)
        self.assertEqual(r.task_processes, 0)  # only cpu steps go to processes

    def test_efficiency_figures(self):
        r = load.Run({"model": "loop", "throughput_per_s": 1000.0, "wall_s": 1.25,
                      "cpu_s": {"user": 0.5, "sys": 0.125}, "rss_peak_kb": 4096,
                      "concurrency": 64}, 0)
        self.assertAlmostEqual(r.cpu_rate, 0.5)
        self.assertAlmostEqual(r.tasks_per_cpu_s, 2000.0)
        self.assertAlmostEqual(r.cpu_per_task_s, 0.0005)
        self.assertAlmostEqual(r.rss_per_task_bytes, 65536.0)

    def test_cpu_of_the_window_is_preferred(self):
        # The whole run burnt 0.625 s over 1.25 s of wall time; the window
        # alone 0.4 s for its 1,000 tasks: 2,500 tasks per CPU-second, where
        # scaling the whole run's CPU by wall time would say 2,000.
        raw = {"model": "m", "throughput_per_s": 1000.0, "completed": 1000, "wall_s": 1.25,
               "cpu_s": {"user": 0.5, "sys": 0.125}, "cpu_window_s": {"user": 0.3, "sys": 0.1}}
        r = load.Run(raw, 0)
        self.assertEqual(r.cpu_basis, "window")
        self.assertAlmostEqual(r.cpu_window_s, 0.4)
        self.assertAlmostEqual(r.tasks_per_cpu_s, 2500.0)
        self.assertAlmostEqual(r.cpu_per_task_s, 0.0004)
        for window in (None, {"user": None, "sys": None}, {"user": -1, "sys": -1}):
            with self.subTest(window=window):
                r = load.Run(dict(raw, cpu_window_s=window), 0)
                self.assertIsNone(r.cpu_window_s)
                self.assertEqual(r.cpu_basis, "scaled")
                self.assertAlmostEqual(r.tasks_per_cpu_s, 2000.0)
        self.assertIsNone(load.Run({"model": "m"}, 0).cpu_basis)

    def test_ramp(self):
        r = load.Run({"model": "m", "duration_s": 1.0, "warmup_s": 0.25, "ramp_ms": 500.0}, 0)
        self.assertEqual(r.ramp_ms, 500.0)
        self.assertAlmostEqual(r.wall_s, 1.75)  # no wall_s: window + warm-up + ramp
        self.assertIsNone(load.Run({"model": "m", "ramp_ms": None}, 0).ramp_ms)

    def test_workers_pss_is_part_of_the_memory_used(self):
        raw = {"model": "m", "threads": 2, "rss_peak_kb": 5000, "rss_start_kb": 4000,
               "workers_pss_kb": 3000, "concurrency": 8}
        r = load.Run(raw, 0)
        self.assertEqual(r.rss_used_kb, 4000)
        self.assertEqual(r.task_processes, 2)  # workers without offloading: processes
        r = load.Run(dict(raw, workers_pss_kb=None), 0)
        self.assertEqual(r.rss_used_kb, 1000)
        self.assertEqual(r.task_processes, 0)

    def test_efficiency_rows_say_what_they_rest_on(self):
        from ccplot.efficiency import CpuBasis, cpu_basis
        rows = efficiency_rows(ranking.scenario_runs(load.load(support.FULL)))
        by = {(r.scenario, r.label): r for r in rows}
        self.assertEqual(by[("io", "loop")].cpu_basis, "window")
        self.assertEqual(by[("io", "novel x3")].cpu_basis, "scaled")  # an older run
        self.assertTrue(by[("io", "procs x2")].workers_pss)
        self.assertFalse(by[("io", "pool x2")].workers_pss)
        self.assertEqual(cpu_basis(rows), CpuBasis(window=24, scaled=4))
        self.assertEqual(text.cpu_basis(CpuBasis(3, 0)),
                         "CPU of the measured window alone (cpu_window_s)")
        self.assertEqual(text.cpu_basis(CpuBasis(0, 3)),
                         "CPU per wall second scaled to the measured window")

    def test_memory_per_extra_task_cancels_the_baseline(self):
        # Each of the 256 extra tasks adds 1 KiB. The run at 257 was forked
        # later, from a suite process 3,000 KiB bigger: its start says so.
        rs = [load.Run(run("loop", 100, 12_000, conc=c, workload="io:10ms", scenario="io",
                           cpu=0.01, rss_peak_kb=peak, rss_start_kb=start), 0)
              for c, start, peak in ((1, 4_000, 5_000), (257, 7_000, 8_256))]
        (row,) = efficiency_rows(rs)
        self.assertAlmostEqual(row.rss_per_extra_task_bytes, 1024.0)
        self.assertEqual(row.rss_concurrency_from, 1)
        self.assertEqual(row.rss_concurrency, 257)
        # The plain ratio is mostly the run's fixed cost.
        self.assertAlmostEqual(row.rss_per_task_bytes, 1256 * 1024 / 257)

    def test_derived_warnings(self):
        from ccplot import checks
        slow = run("fiber", 900, 5_000, threads=2, conc=100_000, ramp_ms=1500.0,
                   warmup_s=0.25)
        quick = run("pool", 900, 5_000, threads=2, conc=8, ramp_ms=2.0, warmup_s=0.25)
        blind = run("loop", 900, 5_000, stall_us={"max": 0.0, "p99": 0.0, "samples": 0})
        found = checks.checks(results(slow, quick, blind))
        self.assertEqual([type(c) for c in found], [checks.ProbeBlind, checks.SlowRamp])
        self.assertEqual(found[0].models, ["loop"])
        self.assertEqual([r.label for r in found[1].runs], ["fiber x2"])
        self.assertEqual(text.check(found[1]),
                         "1 run(s) took longer to give every client its first task than their "
                         "warm-up lasted (worst: fiber x2 with 100,000 in flight, 1.5 s against "
                         "a 250 ms warm-up; ramp_ms): the warm-up and window began after it, so "
                         "their figures stand, but starting that many clients is a cost of its "
                         "own")

    def test_slo_parsing(self):
        self.assertEqual(Slo.parse("10x").limit_us(2000), 20000)
        self.assertEqual(Slo.parse("2.5x").limit_us(1000), 2500)
        self.assertEqual(Slo.parse("50ms").limit_us(1), 50000)
        self.assertEqual(Slo.parse("200 us").limit_us(None), 200)
        self.assertIsNone(Slo.parse("10x").limit_us(None))
        self.assertEqual(text.slo(Slo.parse("50ms")), "p99 under 50 ms")
        for bad in ("", "x", "10", "-1x", "0ms", "fast"):
            with self.subTest(bad=bad), self.assertRaises(ValueError):
                Slo.parse(bad)


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


class Micro(unittest.TestCase):
    def test_median_aggregate_preferred(self):
        micro = {"benchmarks": [
            {"name": "BM_loop_offload", "run_type": "iteration", "real_time": 9.0,
             "time_unit": "us"},
            {"name": "BM_loop_offload_median", "run_name": "BM_loop_offload",
             "run_type": "aggregate", "aggregate_name": "median", "real_time": 8.5,
             "time_unit": "us"}]}
        self.assertTrue(math.isclose(microbench.micro_ns(micro, "BM_loop_offload"), 8500.0))
        self.assertIsNone(microbench.micro_ns(micro, "BM_loop_yield"))
        self.assertIsNone(microbench.micro_ns(None, "BM_loop_offload"))

    def test_names_are_parsed_generically(self):
        def bm(name, ns, **kw):
            return dict({"name": name, "run_type": "iteration", "real_time": ns,
                         "time_unit": "ns"}, **kw)

        m = microbench.parse({"benchmarks": [
            bm("BM_zeta_yield", 9.0), bm("BM_floor_clock_read", 12.0),
            bm("BM_zeta_timer/0ms/real_time", 30.0), bm("BM_zeta_timer/1ms/real_time", 1e6),
            bm("BM_alpha_spawn", 50.0), bm("BM_skynet_zeta/real_time", 5e7, leaves=1e6),
            bm("BM_skynet_alpha/real_time", 9e7, leaves=1e5),
            bm("BM_alpha_timers_1m/real_time", 6e8),
            # Sleepers' real time is set by their load: left off the axis.
            bm("BM_zeta_sleepers/real_time", 1000.0), bm("BM_floor_sleepers/real_time", 900.0)]})
        self.assertEqual(m.primitives, {("zeta", "yield"): 9.0, ("zeta", "timer"): 30.0,
                                        ("alpha", "spawn"): 50.0})
        self.assertEqual(m.floors, {"clock_read": 12.0})
        self.assertEqual(m.programs, {microbench.Program("skynet", "zeta"): 5e7,
                                      microbench.Program("skynet", "alpha", 1e5): 9e7,
                                      microbench.Program("1M timers", "alpha"): 6e8})
        self.assertEqual(m.models, ["zeta", "alpha"])

    def test_glue_costs_pair_each_model_with_its_bare_program(self):
        def bm(name, cpu_ns, **kw):
            return dict({"name": name, "run_type": "iteration", "real_time": 1000.0,
                         "cpu_time": cpu_ns, "time_unit": "ns"}, **kw)

        micro = {"benchmarks": [
            bm("BM_zeta_sleepers/min_time:1.000/real_time", 100.0),
            bm("BM_zeta_sleepers/min_time:1.000/real_time", 80.0),
            bm("BM_zeta_sleepers_in_ccbench/iterations:1/real_time", 5e8, cpu_per_task_ns=120.0),
            bm("BM_zeta_sleepers_in_ccbench/iterations:1/real_time", 5e8, cpu_per_task_ns=90.0),
            {"name": "BM_zeta_sleepers_in_ccbench/iterations:1/real_time_median",
             "run_name": "BM_zeta_sleepers_in_ccbench/iterations:1/real_time",
             "run_type": "aggregate", "aggregate_name": "median", "real_time": 5e8,
             "cpu_time": 5e8, "time_unit": "ns", "cpu_per_task_ns": 100.0},
            bm("BM_alpha_sleepers/real_time", 500.0),
            bm("BM_alpha_sleepers_in_ccbench/iterations:1/real_time", 5e8, cpu_per_task_ns=700.0),
            # No bare program to hold it to: left out.
            bm("BM_beta_sleepers_in_ccbench/iterations:1/real_time", 5e8, cpu_per_task_ns=1.0)]}
        glue = microbench.glue_costs(micro)
        self.assertEqual([g.model for g in glue], ["zeta", "alpha"])
        # The median aggregate where there is one, else the lowest run.
        self.assertEqual((glue[0].bare_ns, glue[0].inside_ns), (80.0, 100.0))
        self.assertTrue(math.isclose(glue[0].ratio, 1.25))
        self.assertTrue(glue[0].within_limit)
        self.assertTrue(math.isclose(glue[1].ratio, 1.4))
        self.assertFalse(glue[1].within_limit)
        # Two runs and their median on one side, one run on the other: a
        # verdict needs three runs.
        self.assertEqual((glue[0].runs, glue[1].runs), (2, 1))
        self.assertFalse(glue[0].settled or glue[1].settled)
        # Neither is a primitive on the real-time axis.
        self.assertEqual(microbench.parse(micro).primitives, {})
        self.assertEqual(microbench.glue_costs(None), [])


class DecisionMapText(unittest.TestCase):
    """A cell's margin: a tie (under 5%) never reads as 5% or more."""

    def cell(self, margin):
        return types.SimpleNamespace(winner=types.SimpleNamespace(label="loop+process"),
                                     runner_up=types.SimpleNamespace(label="pool x16"),
                                     margin=margin)

    def test_margins(self):
        import decision_map  # here: it loads matplotlib, which the other tests do not need
        cell_text = decision_map.cell_text
        self.assertEqual(cell_text(self.cell(0.046)), "loop+process\ntie with pool x16 (+4.6%)")
        self.assertEqual(cell_text(self.cell(0.0499)),
                         "loop+process\ntie with pool x16 (+4.9%)")
        self.assertEqual(cell_text(self.cell(0.0)), "loop+process\ntie with pool x16 (+0.0%)")
        self.assertEqual(cell_text(self.cell(0.05)), "loop+process\n+5.0% vs pool x16")
        self.assertEqual(cell_text(self.cell(0.14)), "loop+process\n+14% vs pool x16")


if __name__ == "__main__":
    unittest.main()


class NetCosts(unittest.TestCase):
    """What real I/O adds per task: net runs against their timer twins."""

    def test_pairs_each_net_run_with_its_twin_at_the_same_concurrency(self):
        from ccplot import netio
        res = results(
            run("loop", 1000.0, 11000.0, conc=16, workload="io:10ms", scenario="io",
                cpu_window_s={"user": 0.02, "sys": 0.0}, completed=1000),
            run("loop", 990.0, 11500.0, conc=16, workload="net:10ms", scenario="net",
                cpu_window_s={"user": 0.05, "sys": 0.01}, completed=1000,
                net_server={"cpu_per_request_us": 12.5}),
            # No twin at this concurrency: left out.
            run("loop", 1900.0, 11500.0, conc=32, workload="net:10ms", scenario="net",
                cpu_window_s={"user": 0.1, "sys": 0.0}, completed=2000))
        costs = netio.net_costs(res)
        self.assertEqual(len(costs), 1)
        c = costs[0]
        self.assertEqual((c.label, c.concurrency, c.twin), ("loop", 16, "io"))
        self.assertAlmostEqual(c.cpu_timer_us, 20.0)
        self.assertAlmostEqual(c.cpu_net_us, 60.0)
        self.assertAlmostEqual(c.added_us, 40.0)
        self.assertAlmostEqual(c.server_us, 12.5)

    def test_net_specs_parse_with_a_reply_size(self):
        t = load.workload_means_us("net:~2ms,cpu:200us,net:5ms:4KiB@50%")
        self.assertAlmostEqual(t["net"], 4500.0)
        self.assertAlmostEqual(t["total"], 4700.0)
