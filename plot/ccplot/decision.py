"""The decision map: for each task mix (CPU share x blocking share of task
time), the Verdict of its runs; and a tally of who wins how many cells."""

from __future__ import annotations

from dataclasses import dataclass, field

from .load import Run
from .ranking import (TIE_FRACTION, Candidate, Verdict, scenario_runs, task_us, tie_rule,
                      verdict)
from .slo import Slo


@dataclass
class Cell:
    """One decision-map cell: a task mix and who wins it under the SLO."""

    cpu_share: float
    block_share: float
    task_us: dict
    workload: str
    verdict: Verdict

    @property
    def winner(self) -> Candidate | None:
        return self.verdict.winner

    @property
    def runner_up(self) -> Candidate | None:
        return self.verdict.runner_up

    @property
    def margin(self) -> float | None:
        """Winner's throughput over the runner-up's, minus one (None: no runner-up)."""
        return self.verdict.margin

    @property
    def tie(self) -> bool:
        """Winner and runner-up cannot be told apart (ranking.tie_rule)."""
        return self.verdict.tie

    @property
    def tie_rule(self) -> str | None:
        """How a tie was called, or would have been: "intervals" (both have
        repetitions; their 95% intervals overlap) or "5%"; None without a
        runner-up."""
        w, r = self.winner, self.runner_up
        return tie_rule(w, r) if w is not None and r is not None else None


def decision_runs(results) -> tuple[list[Run], str]:
    """(runs, source) for the decision map: the "decision-map" group, else the
    closed-loop scenario runs (each scenario is one cell of the map)."""
    runs = results.in_group("decision-map")
    if runs:
        return runs, "decision-map"
    return scenario_runs(results), "scenarios"


def decision_cells(runs: list[Run], slo: Slo) -> list[Cell]:
    """Cells keyed by (cpu share, blocking share) of task time. When two
    workloads land on the same cell the one with more runs is kept."""
    by_workload: dict[str, list[Run]] = {}
    for r in runs:
        by_workload.setdefault(r.workload, []).append(r)
    cells = {}
    for workload, rs in by_workload.items():
        t = task_us(rs)
        if not t or not t["total"]:
            continue
        key = (round(t["cpu"] / t["total"], 4), round(t["block"] / t["total"], 4))
        if key in cells and len(cells[key][1]) >= len(rs):
            continue
        cells[key] = (workload, rs, t)
    return [Cell(cpu, block, t, workload, verdict(rs, slo))
            for (cpu, block), (workload, rs, t) in sorted(cells.items())]


@dataclass
class Tally:
    """The cells one model label wins: how many, the margins of the clear
    wins (not ties: see ranking.tie_rule), and how many are ties."""

    label: str
    cells: int
    clear_margins: list[float] = field(default_factory=list)
    ties: int = 0


@dataclass
class MapSummary:
    """Who wins how much of the map: tallies with the most cells first."""

    cells: int
    tallies: list[Tally]
    no_winner: int


def summarise(cells: list[Cell]) -> MapSummary:
    wins: dict[str, list[Cell]] = {}
    for c in cells:
        if c.winner is not None:
            wins.setdefault(c.winner.label, []).append(c)
    tallies = []
    for label, cs in sorted(wins.items(), key=lambda kv: -len(kv[1])):
        tallies.append(Tally(label, len(cs),
                             [c.margin for c in cs if c.margin is not None and not c.tie],
                             sum(1 for c in cs if c.margin is not None and c.tie)))
    return MapSummary(len(cells), tallies, sum(1 for c in cells if c.winner is None))
