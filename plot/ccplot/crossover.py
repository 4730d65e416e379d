"""The crossover sweep as a chart draws it: each model label's throughput
against the CPU a task does per ms of waiting (no blocking), and the two
crossovers of rules.py (before threads beat one event loop, and before they
beat a loop per core) as bands between the last mix the event loop side kept
up with and the first the threaded side won. Only runs of the "crossover"
group: the decision map draws the other mixes."""

from __future__ import annotations

from dataclasses import dataclass, field

from .load import fold
from .rules import CpuPerWait, cpu_per_wait, loop_per_core_models
from .slo import Slo


@dataclass
class Line:
    """One model label's measured mixes: (CPU us per ms of waiting, tasks/s)."""

    label: str
    run: object  # a representative run, for its style
    points: list[tuple[float, float]] = field(default_factory=list)


@dataclass
class Crossovers:
    lines: list[Line]
    one_loop: CpuPerWait
    per_core: CpuPerWait | None  # None: the file has no loop per core

    @property
    def rules(self) -> list[CpuPerWait]:
        return [r for r in (self.one_loop, self.per_core) if r is not None]


def _cpu_per_ms(run) -> float | None:
    t = run.task_mean_us
    if not t or t["block"] > 0 or t["io"] <= 0 or t["cpu"] <= 0:
        return None
    return t["cpu"] / (t["io"] / 1e3)


def crossovers(results, slo: Slo) -> Crossovers | None:
    """None when the file has no crossover runs."""
    runs = results.in_group("crossover")
    by_label: dict[str, Line] = {}
    for p in fold(runs):
        x = _cpu_per_ms(p.run)
        if x is None or p.throughput is None:
            continue
        line = by_label.setdefault(p.run.label, Line(p.run.label, p.run))
        line.points.append((x, p.throughput))
    if not by_label:
        return None
    reg = results.registry
    lines = sorted(by_label.values(),
                   key=lambda ln: reg.sort_key(ln.run.model, ln.run.offload, ln.run.threads))
    for ln in lines:
        ln.points.sort()
    per_core = cpu_per_wait(results, slo, per_core=True) if loop_per_core_models(results) \
        else None
    if per_core is not None and per_core.source != "crossover":
        per_core = None
    one = cpu_per_wait(results, slo)
    return Crossovers(lines, one, per_core)
