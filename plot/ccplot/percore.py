"""What a loop per core costs in CPU per task against one event loop on the
same load: each shard wakes its own loop for its own stall probe, so some
extra wake-up cost is expected; this says how much, from the runs.

The loop per core is found by its traits (cooperative, sharing nothing, on
several threads), the one event loop by its own (cooperative, one thread),
never by name."""

from __future__ import annotations

from dataclasses import dataclass

from .load import Point, fold
from .ranking import on_one_cooperative_thread


@dataclass
class PerCoreCost:
    """The pair of runs (same workload, arrival, load and offload mode) whose
    CPU per task is compared: the one with the most tasks in flight, where a
    task's own CPU is smallest beside the loop's overheads. `pairs` and
    `ratios`: every such pair in the file."""

    per_core: Point | None = None
    one_loop: Point | None = None
    per_core_cpu_per_task_s: float | None = None
    one_loop_cpu_per_task_s: float | None = None
    per_core_wakeups_per_s: float | None = None  # the probes' wake-ups, all loops together
    one_loop_wakeups_per_s: float | None = None
    wakeup_cpu_us: float | None = None  # this host's CPU per wake-up (context)
    pairs: int = 0
    ratios: tuple[float, ...] = ()

    @property
    def measured(self) -> bool:
        return self.ratio is not None

    @property
    def ratio(self) -> float | None:
        a, b = self.per_core_cpu_per_task_s, self.one_loop_cpu_per_task_s
        return a / b if a and b else None

    @property
    def extra_wakeups_ns_per_task(self) -> float | None:
        """The probes' extra wake-ups priced at this host's wake-up cost, per
        task of the loop per core; None when a figure is missing."""
        a, b, w = self.per_core_wakeups_per_s, self.one_loop_wakeups_per_s, self.wakeup_cpu_us
        tp = self.per_core.throughput if self.per_core else None
        if a is None or b is None or not w or not tp:
            return None
        return max(a - b, 0.0) * w * 1e3 / tp


def loop_per_core(x) -> bool:
    """A run (or Candidate) of event loops, one per thread on several threads,
    sharing nothing (model_traits.shares_nothing): a loop per core."""
    r = getattr(x, "run", x)
    return r.traits.cooperative and r.traits.shares_nothing and r.threads > 1


def _wakeups_per_s(p: Point) -> float | None:
    def rate(r):
        n, d = r.stall("samples"), r.get("duration_s")
        return n / d if n is not None and d else None
    return p.median_of(rate)


def _key(r):
    return (r.workload, r.arrival, r.concurrency, r.rate or 0.0, r.offload)


def per_core_cost(results) -> PerCoreCost:
    per_core, one = {}, {}
    for p in fold(results.runs):
        r = p.run
        if r.traits.python or p.median_of(lambda x: x.cpu_per_task_s) is None:
            continue
        if loop_per_core(r):
            per_core.setdefault(_key(r), p)
        elif on_one_cooperative_thread(r) and not r.traits.uses_threads:
            one.setdefault(_key(r), p)
    keys = [k for k in per_core if k in one]
    rule = PerCoreCost(wakeup_cpu_us=results.context.get("wakeup_cpu_us") or None)
    if not keys:
        return rule
    ratios = []
    for k in keys:
        a = per_core[k].median_of(lambda x: x.cpu_per_task_s)
        b = one[k].median_of(lambda x: x.cpu_per_task_s)
        ratios.append(a / b)
    rule.pairs, rule.ratios = len(keys), tuple(sorted(ratios))
    k = max(keys, key=lambda k: (k[3] or k[2], k[0]))
    rule.per_core, rule.one_loop = per_core[k], one[k]
    rule.per_core_cpu_per_task_s = per_core[k].median_of(lambda x: x.cpu_per_task_s)
    rule.one_loop_cpu_per_task_s = one[k].median_of(lambda x: x.cpu_per_task_s)
    rule.per_core_wakeups_per_s = _wakeups_per_s(per_core[k])
    rule.one_loop_wakeups_per_s = _wakeups_per_s(one[k])
    return rule
