"""The rules learned on a host, with the numbers each rests on:

- CpuPerWait: how much CPU per ms of waiting a task on an event loop (a
  model on one cooperative thread) may do before a threaded model wins; and
  a second one, before a threaded model beats a loop per core (a
  cooperative model whose traits say it shares nothing, on several threads);
- BlockingCost: what one blocking call costs every other task on the event
  loop;
- OffloadCost: what handing one blocking call to a thread costs.

Which runs are meant comes from the models' traits and the runs' groups,
never from a model's name; each rule carries the names of the models it was
computed from, for ccplot/text.py to word it."""

from __future__ import annotations

from dataclasses import dataclass, field

from .decision import decision_runs
from .load import Point, fold
from .microbench import micro_ns
from .percore import loop_per_core, per_core_cost
from .python_rules import python_rules
from .ranking import (TIE_FRACTION, Candidate, candidates, on_one_cooperative_thread,
                      scenario_runs, task_us)
from .slo import Slo


def event_loop_models(results) -> list[str]:
    """The file's models that are one cooperative thread by definition (the
    event loops the rules speak of), in display order."""
    reg = results.registry
    loops = [m for m in results.models
             if reg.traits(m).cooperative and not reg.traits(m).uses_threads]
    # The models in a Python interpreter have rules of their own
    # (python_rules.py): these speak of the others where there are any.
    return [m for m in loops if not reg.traits(m).python] or loops


def _threaded(x) -> bool:
    """The threaded side of the crossover: neither one event loop nor a loop
    per core."""
    return not on_one_cooperative_thread(x) and not loop_per_core(x)


def loop_per_core_models(results) -> list[str]:
    """The file's cooperative models that share nothing, in display order."""
    reg = results.registry
    return [m for m in results.models
            if reg.traits(m).cooperative and reg.traits(m).shares_nothing]


@dataclass
class Mix:
    """One measured task mix without blocking: CPU us per ms of waiting, and
    the best candidate on one cooperative thread against the best threaded one."""

    cpu_per_ms_us: float
    task_us: dict
    single: Candidate
    threaded: Candidate

    @property
    def threads_win(self) -> bool:
        """By more than the tie margin, as the crossover sweep bisects."""
        return self.threaded.throughput > (1 + TIE_FRACTION) * self.single.throughput

    @property
    def single_wins(self) -> bool:
        """Clearly ahead (else, when not threads_win, it keeps up within the margin)."""
        return self.single.throughput >= (1 + TIE_FRACTION) * self.threaded.throughput


@dataclass
class CpuPerWait:
    """Where threads start to win, between `below` (the last mix the event
    loop keeps up with, under the first threads win) and `above` (that first
    win). Only `below`: the event loop won every mix, up to it; only `above`:
    threads won every mix, from it. tasks_in_flight: the N of closed-loop
    mixes all run at one N >= 2, where the event loop's core is full at
    1,000 / (N - 1) us of CPU per ms of waiting.

    per_core: the second question, where the event loop side is a loop per
    core (`loops` loops, N / loops tasks in flight each, where every mix ran
    at one thread count) and `one_loop` the first question's answer, to
    compare with."""

    models: list[str]  # the event loops it was computed from, else the file's
    source: str  # "crossover", "decision-map" or "scenarios"
    slo: Slo
    mixes: list[Mix] = field(default_factory=list)
    below: Mix | None = None
    above: Mix | None = None
    tasks_in_flight: int | None = None
    per_core: bool = False
    loops: int = 1
    # Mixes that ran both sides where either side's p99 broke the SLO (not
    # counted among `mixes`).
    beyond_slo: int = 0
    one_loop: "CpuPerWait | None" = None

    @property
    def measured(self) -> bool:
        return bool(self.mixes)

    @property
    def one_core_limit_us(self) -> float | None:
        n = self.tasks_in_flight
        if not n or n / self.loops <= 1:
            return None
        return 1e3 / (n / self.loops - 1)

    @property
    def limit_us(self) -> float | None:
        """The CPU per ms of waiting where the event loop side stops keeping
        up, as bracketed: the middle (geometric) of below and above where
        both were measured, else None."""
        if self.below is None or self.above is None:
            return None
        return (self.below.cpu_per_ms_us * self.above.cpu_per_ms_us) ** 0.5


def _best(cands, pred):
    xs = [c for c in cands if pred(c) and c.meets_slo]
    return max(xs, key=lambda c: c.throughput) if xs else None


def cpu_per_wait(results, slo: Slo, per_core: bool = False) -> CpuPerWait:
    """From the "crossover" sweep, else the decision-map cells, else the
    scenario runs: every mix of waiting and CPU (no blocking) with both a
    model on one cooperative thread (per_core: a loop per core) and a
    threaded one (neither)."""
    loop_side = loop_per_core if per_core else on_one_cooperative_thread
    runs = results.in_group("crossover")
    source = "crossover"
    if not runs:
        runs, source = decision_runs(results)
    by_workload = {}
    for r in runs:
        by_workload.setdefault(r.workload, []).append(r)
    mixes, beyond_slo = [], 0
    for rs in by_workload.values():
        t = task_us(rs)
        if not t or t["block"] > 0 or t["io"] <= 0 or t["cpu"] <= 0:
            continue
        cands = candidates(rs, slo)
        single = _best(cands, loop_side)
        threaded = _best(cands, _threaded)
        if single and threaded:
            mixes.append(Mix(t["cpu"] / (t["io"] / 1e3), t, single, threaded))
        elif any(loop_side(c) for c in cands) and any(_threaded(c) for c in cands):
            beyond_slo += 1
    mixes.sort(key=lambda m: m.cpu_per_ms_us)
    models = list(dict.fromkeys(m.single.model for m in mixes)) or \
        (loop_per_core_models(results) if per_core else event_loop_models(results))
    rule = CpuPerWait(models, source, slo, mixes, per_core=per_core, beyond_slo=beyond_slo)
    if per_core:
        rule.one_loop = cpu_per_wait(results, slo)
    if not mixes:
        return rule
    thr_wins = [m for m in mixes if m.threads_win]
    single_wins = [m for m in mixes if not m.threads_win]
    if thr_wins:
        rule.above = thr_wins[0]
        rule.below = max((m for m in single_wins if m.cpu_per_ms_us < rule.above.cpu_per_ms_us),
                         key=lambda m: m.cpu_per_ms_us, default=None)
    else:
        rule.below = single_wins[-1]
    # The one-core limit is a matter of N: only when every mix ran at one N.
    if not any(m.single.run.open_loop for m in mixes):
        ns = {m.single.concurrency for m in mixes}
        loops = {m.single.threads for m in mixes} if per_core else {1}
        if len(ns) == 1 and next(iter(ns)) >= 2 and len(loops) == 1:
            rule.tasks_in_flight = ns.pop()
            rule.loops = loops.pop()
    return rule


def _pair_runs(runs) -> dict[tuple, dict[str, Point]]:
    """{(model, workload, arrival, concurrency, rate): {offload: Point}} for
    runs on one cooperative thread."""
    out = {}
    for p in fold(runs):
        r = p.run
        # The Python models' pairs make the CPython rules (python_rules.py).
        if not on_one_cooperative_thread(r) or r.traits.python:
            continue
        key = (r.model, r.workload, r.arrival, r.concurrency, r.rate or 0.0)
        out.setdefault(key, {})[r.offload] = p
    return out


def _blocking_runs(runs):
    return [r for r in runs if (r.task_mean_us or {}).get("block", 0) > 0]


@dataclass
class BlockingCost:
    """One event loop's blocking runs, naive against offloaded to threads
    (when measured): the stalls each blocking call caused, the throughput and
    the share of the event loop's time inside blocking calls and CPU."""

    models: list[str]
    naive: Point | None = None
    offloaded: Point | None = None
    block_us: float = 0.0
    block_stalls_us: list[float] = field(default_factory=list)  # logged, of block steps
    busy_share: float | None = None

    @property
    def measured(self) -> bool:
        return self.naive is not None

    @property
    def run(self):
        return self.naive.run if self.naive else None


def blocking_cost(results) -> BlockingCost:
    """From the "stalls" group, else the scenario runs."""
    runs = _blocking_runs(results.in_group("stalls") or scenario_runs(results))
    pairs = [(k, v) for k, v in _pair_runs(runs).items() if "none" in v]
    if not pairs:
        return BlockingCost(event_loop_models(results))
    # Prefer a pair with the offloaded twin, a stall log, a measured stall;
    # then the lightest load above the lightest measured: there are other
    # tasks to delay, and the event loop is not yet drowning in its backlog.
    lightest = min((k[4] or k[3]) for k, _ in pairs)

    def rank(kv):
        (_, _, _, conc, rate), v = kv
        naive = v["none"].run
        load = rate or conc
        return ("thread" in v, bool(naive.get("stall_log")), naive.stall_known,
                load > lightest, -load)

    (model, *_), v = max(pairs, key=rank)
    naive = v["none"]
    t = naive.run.task_mean_us
    log = [e for e in (naive.run.get("stall_log") or [])
           if isinstance(e, dict) and e.get("length_ms") is not None]
    busy = None
    if naive.throughput and t["block"] + t["cpu"] > 0:
        busy = min(naive.throughput * (t["block"] + t["cpu"]) / 1e6, 1.0)
    return BlockingCost([model], naive, v.get("thread"), t["block"],
                        [e["length_ms"] * 1e3 for e in log if e.get("step") == "block"], busy)


@dataclass
class OffloadCost:
    """The hop to a thread: the BM_<model>_offload micro-benchmark beside the
    machine's futex round trip, and the least loaded naive/offloaded pair's
    mean latency and CPU per task."""

    models: list[str]
    bench: str | None = None
    micro_ns: float | None = None
    floor_ns: float | None = None
    naive: Point | None = None
    offloaded: Point | None = None
    naive_mean_us: float | None = None
    offloaded_mean_us: float | None = None
    naive_cpu_per_task_s: float | None = None
    offloaded_cpu_per_task_s: float | None = None

    @property
    def measured(self) -> bool:
        return (self.micro_ns is not None
                or bool(self.naive_mean_us and self.offloaded_mean_us)
                or (self.naive_cpu_per_task_s is not None
                    and self.offloaded_cpu_per_task_s is not None))

    @property
    def run(self):
        return self.naive.run if self.naive else None


FUTEX_FLOOR = "BM_floor_futex_handoff"


def offload_cost(results) -> OffloadCost:
    runs = _blocking_runs(results.in_group("stalls") + scenario_runs(results))
    pairs = [(k, v) for k, v in _pair_runs(runs).items() if "none" in v and "thread" in v]
    # Least loaded pair: at concurrency 1 (or the lowest rate) the naive event
    # loop is not yet slowed by its own blocking, so the difference is the hop.
    pair = min(pairs, key=lambda kv: (kv[0][4] or kv[0][3], kv[0][1])) if pairs else None
    rule = OffloadCost([pair[0][0]] if pair else event_loop_models(results))
    for model in rule.models:
        bench = "BM_%s_offload" % model
        ns = micro_ns(results.micro, bench)
        if ns is not None:
            rule.bench, rule.micro_ns = bench, ns
            # A round trip wakes the worker, then the event loop: two thread
            # wake-ups, which the futex floor prices on this machine.
            rule.floor_ns = micro_ns(results.micro, FUTEX_FLOOR) or None
            break
    if pair:
        v = pair[1]
        rule.naive, rule.offloaded = v["none"], v["thread"]
        rule.naive_mean_us = rule.naive.median_of(lambda r: r.latency("mean"))
        rule.offloaded_mean_us = rule.offloaded.median_of(lambda r: r.latency("mean"))
        rule.naive_cpu_per_task_s = rule.naive.median_of(lambda r: r.cpu_per_task_s)
        rule.offloaded_cpu_per_task_s = rule.offloaded.median_of(lambda r: r.cpu_per_task_s)
    return rule


def rules(results, slo: Slo) -> list:
    # The second question only where the file has a loop per core.
    per_core = [cpu_per_wait(results, slo, per_core=True)] if loop_per_core_models(results) \
        else []
    return [cpu_per_wait(results, slo)] + per_core + \
        [blocking_cost(results), offload_cost(results)] + python_rules(results) + \
        ([per_core_cost(results)] if per_core else [])
