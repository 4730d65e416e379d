"""What a task costs each model: tasks per CPU-second at its best
throughput, and the memory each extra task in flight adds."""

from __future__ import annotations

from dataclasses import dataclass

from .load import Point, Run, fold
from .ranking import by_scenario
from .stats import t_interval


@dataclass
class EfficiencyRow:
    """One (scenario, model label): tasks per CPU-second at the label's best
    throughput, and what that figure rests on (load.Run.cpu_basis: "window"
    or "scaled"); memory per task in flight at its highest concurrency, and
    per extra task from its lowest concurrency to its highest, worker
    processes' PSS included when recorded (workers_pss)."""

    scenario: str
    label: str
    run: Run  # of the best throughput
    tasks_per_cpu_s: float | None
    cpu_basis: str | None
    throughput: float | None
    concurrency: int
    rss_per_task_bytes: float | None
    rss_concurrency: int
    rss_per_extra_task_bytes: float | None
    rss_concurrency_from: int
    workers_pss: bool = False
    # The Student-t 95% interval of tasks per CPU-second over the best
    # point's repetitions; None with one run.
    tasks_per_cpu_s_ci: tuple | None = None


def efficiency_rows(runs: list[Run]) -> list[EfficiencyRow]:
    out = []
    for scen, rs in by_scenario(runs).items():
        labels: dict[str, list[Point]] = {}
        for p in fold(rs):
            labels.setdefault(p.run.label, []).append(p)
        for label, points in labels.items():
            best = max(points, key=lambda p: p.throughput or 0)
            widest = max(points, key=lambda p: p.run.concurrency)
            narrowest = min(points, key=lambda p: p.run.concurrency)
            out.append(EfficiencyRow(
                scenario=scen, label=label, run=best.run,
                tasks_per_cpu_s=best.median_of(lambda r: r.tasks_per_cpu_s),
                cpu_basis=_basis(best),
                throughput=best.throughput, concurrency=best.run.concurrency,
                rss_per_task_bytes=widest.median_of(lambda r: r.rss_per_task_bytes),
                rss_concurrency=widest.run.concurrency,
                rss_per_extra_task_bytes=rss_slope(narrowest, widest),
                rss_concurrency_from=narrowest.run.concurrency,
                workers_pss=any(r.workers_pss_kb is not None
                                for r in widest.runs + narrowest.runs),
                tasks_per_cpu_s_ci=t_interval([r.tasks_per_cpu_s for r in best.runs])))
    return out


def _basis(p: Point) -> str | None:
    """The point's CPU basis: "window" only when every repetition has it."""
    bases = {r.cpu_basis for r in p.runs} - {None}
    if not bases:
        return None
    return "window" if bases == {"window"} else "scaled"


@dataclass
class CpuBasis:
    """What the rows' tasks per CPU-second rest on: how many rows used the
    window's own CPU, and how many the whole run's scaled to the window."""

    window: int
    scaled: int


def cpu_basis(rows: list[EfficiencyRow]) -> CpuBasis:
    return CpuBasis(sum(1 for r in rows if r.tasks_per_cpu_s and r.cpu_basis == "window"),
                    sum(1 for r in rows if r.tasks_per_cpu_s and r.cpu_basis == "scaled"))


def rss_slope(lo: Point, hi: Point) -> float | None:
    """What one more task in flight adds to peak RSS, in bytes: the growth of
    the memory a run used (peak over start) from the lowest concurrency to the
    highest, over the extra tasks. Unlike peak RSS / tasks in flight, the
    process's baseline and the pages inherited from the suite cancel out.
    None with a single concurrency level or no RSS."""
    extra = hi.run.concurrency - lo.run.concurrency
    if extra <= 0:
        return None
    kb_hi = hi.median_of(lambda r: r.rss_used_kb)
    kb_lo = lo.median_of(lambda r: r.rss_used_kb)
    if kb_hi is None or kb_lo is None:
        return None
    return (kb_hi - kb_lo) * 1024.0 / extra
