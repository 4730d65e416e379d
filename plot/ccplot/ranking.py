"""Which model wins a scenario: each model label's best showing within the
SLO (a Candidate), the ranking, the winner and runner-up, and the reason
computed from the numbers (a Reason). Pure functions over loaded runs; the
words are ccplot/text.py's."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal, Union

from .limits import Limit, LoadBound, limits, load_bound
from . import stats
from .load import Point, Run, fold
from .slo import Slo

# Two throughputs closer than this are a tie: run-to-run noise on a shared
# machine is of this order, so a "winner" by less would be a coin toss.
TIE_FRACTION = 0.05

# A tie's p99s are worth comparing when one is this much above the other.
P99_APART = 1.1


@dataclass
class Candidate:
    """A model label's best showing in one scenario: the configuration with
    the highest throughput whose p99 meets the SLO (else its best overall,
    with meets_slo False). `fastest` is the best overall when that is a
    different, SLO-breaking configuration, clearly faster; `gap` then is
    (last load meeting the SLO, next load measured) when far apart."""

    point: Point
    slo_us: float | None
    fastest: "Candidate | None" = None
    gap: tuple[float, float] | None = None
    run: Run = field(init=False)
    label: str = field(init=False)
    model: str = field(init=False)
    offload: str = field(init=False)
    threads: int = field(init=False)
    throughput: float | None = field(init=False)
    p99_us: float | None = field(init=False)
    p50_us: float | None = field(init=False)
    concurrency: int = field(init=False)
    rate: float | None = field(init=False)
    cpu_rate: float | None = field(init=False)
    stall_known: bool = field(init=False)
    stall_max_us: float | None = field(init=False)
    stall_p99_us: float | None = field(init=False)
    meets_slo: bool = field(init=False)
    n: int = field(init=False)

    def __post_init__(self):
        p = self.point
        r = self.run = p.run
        self.label, self.model, self.offload, self.threads = r.label, r.model, r.offload, r.threads
        self.throughput = p.throughput
        self.p99_us = p.p99
        self.p50_us = p.median_of(lambda x: x.latency("p50"))
        self.concurrency = r.concurrency
        self.rate = r.rate
        self.cpu_rate = p.median_of(lambda x: x.cpu_rate)
        self.stall_known = any(x.stall_known for x in p.runs)
        self.stall_max_us = p.median_of(lambda x: x.stall("max"))
        self.stall_p99_us = p.median_of(lambda x: x.stall("p99"))
        self.meets_slo = self.slo_us is None or (self.p99_us is not None
                                                 and self.p99_us <= self.slo_us)
        self.n = p.n

    @property
    def single_thread(self) -> bool:
        """One scheduler thread: a model that is one thread by definition, or
        one sized to one thread."""
        return not self.run.traits.uses_threads or self.threads == 1

    @property
    def open_loop(self) -> bool:
        return self.run.open_loop

    @property
    def load(self) -> float:
        """Where it was measured: the offered rate (open loop) or the concurrency."""
        return self.rate if self.open_loop else self.concurrency

    def __repr__(self):
        return "Candidate(%s %.0f/s p99=%s slo=%s)" % (self.label, self.throughput or 0,
                                                       self.p99_us, self.meets_slo)


def task_us(runs: list[Run]) -> dict | None:
    """The expected time per task of a scenario's runs (load.Run.task_mean_us)."""
    for r in runs:
        t = r.task_mean_us
        if t:
            return t
    return None


def candidates(runs: list[Run], slo: Slo) -> list[Candidate]:
    """Best Candidate per model label over these runs (one scenario), ranked:
    SLO-meeting ones by throughput, then the rest by throughput."""
    task = task_us(runs)
    limit = slo.limit_us(task["total"] if task else None)
    by_label: dict[str, list[Point]] = {}
    for p in fold(runs):
        if p.throughput is None:
            continue
        by_label.setdefault(p.run.label, []).append(p)
    out = []
    for points in by_label.values():
        best_any = max(points, key=lambda p: p.throughput)
        meeting = [p for p in points
                   if limit is None or (p.p99 is not None and p.p99 <= limit)]
        if meeting:
            best = max(meeting, key=lambda p: p.throughput)
            fastest = None
            gap = None
            # Worth a mention only when it is clearly faster than the best within the SLO.
            if best_any is not best and best_any.throughput > (1 + TIE_FRACTION) * best.throughput:
                fastest = Candidate(best_any, limit)
                gap = _gap(points, meeting)
            out.append(Candidate(best, limit, fastest, gap))
        else:
            out.append(Candidate(best_any, limit))
    out.sort(key=lambda c: (not c.meets_slo, -(c.throughput or 0), c.run.sort_key))
    return out


def _load_of(p: Point) -> float:
    return p.run.rate if p.run.open_loop else p.run.concurrency


def _gap(points, meeting):
    """(highest load meeting the SLO, next load measured) when the next is
    more than twice the first: the sweep skipped where the best answer may be."""
    ok = max(_load_of(p) for p in meeting)
    above = [_load_of(p) for p in points if _load_of(p) > ok]
    if above and min(above) > 2 * ok:
        return ok, min(above)
    return None


@dataclass(frozen=True)
class UsesCores:
    """The winner keeps more cores busy than the runner-up."""

    label: str
    cpu_rate: float


@dataclass(frozen=True)
class OffloadsBlocking:
    """The winner hands its blocking calls to threads."""

    label: str


@dataclass(frozen=True)
class StallsLess:
    """The winner's worst stall is under half the runner-up's (a long one)."""

    label: str
    stall_max_us: float


Strength = Union[UsesCores, OffloadsBlocking, StallsLess]


@dataclass
class Violation:
    """A configuration faster than the winner whose p99 breaks the SLO; gap:
    the loads around it where nothing was measured (see Candidate)."""

    candidate: Candidate
    slo_us: float | None
    gap: tuple[float, float] | None = None


@dataclass
class Tie:
    """Winners that cannot be told apart: within TIE_FRACTION of each other
    (rule "5%"), or, where both have repetitions, with overlapping 95%
    intervals of their throughput (rule "intervals")."""

    tied: list[Candidate]
    spread: float  # the winner's throughput over the lowest tied one, minus one
    low: float
    high: float
    load: LoadBound | None = None  # all are held back by the same load
    lower_p99: tuple[Candidate, Candidate] | None = None  # (lower, higher) when apart
    rule: str = "5%"


@dataclass
class Lead:
    """A clear winner: its throughput over the runner-up's, what holds the
    runner-up back, and what the winner does better."""

    ratio: float
    runner_up_limits: list[Limit]
    runner_up_fastest: Candidate | None
    strengths: list[Strength]


@dataclass
class Reason:
    """Why the winner wins, or why nobody does. kind: "no-runs" (nothing
    succeeded), "none-meets" (nobody meets the SLO; violations[0] is the
    fastest), "only" (one model meets it), "tie" or "lead"."""

    kind: Literal["no-runs", "none-meets", "only", "tie", "lead"]
    tie: Tie | None = None
    lead: Lead | None = None
    violations: list[Violation] = field(default_factory=list)


@dataclass
class Verdict:
    """One scenario's answer: every label's Candidate ranked (SLO-meeting
    first), the winner and runner-up within the SLO, and the reason."""

    scenario: str
    workload: str
    task_us: dict | None
    slo: Slo
    slo_us: float | None
    ranked: list[Candidate]
    reason: Reason = field(default_factory=lambda: Reason("no-runs"))

    @property
    def winner(self) -> Candidate | None:
        meeting = [c for c in self.ranked if c.meets_slo]
        return meeting[0] if meeting else None

    @property
    def runner_up(self) -> Candidate | None:
        meeting = [c for c in self.ranked if c.meets_slo]
        return meeting[1] if len(meeting) > 1 else None

    @property
    def tie(self) -> bool:
        return self.reason.kind == "tie"

    @property
    def margin(self) -> float | None:
        """Winner's throughput over the runner-up's, minus one (None: no runner-up)."""
        w, r = self.winner, self.runner_up
        if not w or not r or not r.throughput:
            return None
        return w.throughput / r.throughput - 1

    @property
    def violators(self) -> list[Candidate]:
        """Configurations faster than the winner that break the SLO."""
        top = self.winner.throughput if self.winner else 0
        out = []
        for c in self.ranked:
            v = c.fastest if c.meets_slo else c
            if v is not None and not v.meets_slo and (v.throughput or 0) > top:
                out.append(v)
        return out


def _strengths(w: Candidate, r: Candidate, task: dict | None) -> list[Strength]:
    out: list[Strength] = []
    if w.cpu_rate is not None and w.cpu_rate >= 1.3 and (r.cpu_rate or 0) < 0.8 * w.cpu_rate:
        out.append(UsesCores(w.label, w.cpu_rate))
    if w.offload != "none" and task and task["block"] > 0:
        out.append(OffloadsBlocking(w.label))
    if (w.stall_known and r.stall_known and w.stall_max_us is not None
            and r.stall_max_us and w.stall_max_us < 0.5 * r.stall_max_us
            and r.stall_max_us >= 10e3):
        out.append(StallsLess(w.label, w.stall_max_us))
    return out


def throughput_interval(c: Candidate):
    """The 95% interval of a candidate's throughput over its repetitions
    (Student-t, as summaries[] give it), or None with one run."""
    return stats.t_interval([x.throughput for x in c.point.runs if x.throughput is not None])


def tie_rule(a: Candidate, b: Candidate) -> str:
    """"intervals" when both have repetitions (their throughputs' 95%
    intervals decide), else "5%" (TIE_FRACTION: one run each says nothing of
    its run-to-run noise)."""
    if throughput_interval(a) is not None and throughput_interval(b) is not None:
        return "intervals"
    return "5%"


def tied_with(w: Candidate, c: Candidate, rule: str) -> bool:
    """The winner w and c cannot be told apart under `rule`."""
    if rule == "intervals":
        return bool(stats.intervals_overlap(throughput_interval(w), throughput_interval(c)))
    return bool(c.throughput) and (w.throughput or 0) / c.throughput < 1 + TIE_FRACTION


def reason(v: Verdict) -> Reason:
    """The reason, computed from the data, that the winner beats the runner-up."""
    w, r, task = v.winner, v.runner_up, v.task_us
    violators = v.violators
    if not v.ranked:
        return Reason("no-runs")
    if w is None:
        return Reason("none-meets", violations=[Violation(x, x.slo_us) for x in violators[:1]])
    by_label = {c.label: c for c in v.ranked}
    violations = [Violation(x, x.slo_us, getattr(by_label.get(x.label), "gap", None))
                  for x in violators if x.label not in (w.label, r.label if r else None)]
    if r is None:
        return Reason("only", violations=violations)
    ratio = (w.throughput or 0) / r.throughput if r.throughput else math.inf
    rule = tie_rule(w, r)
    if tied_with(w, r, rule):
        tied = [c for c in v.ranked if c.meets_slo and c.throughput
                and tied_with(w, c, tie_rule(w, c))] or [w, r]
        if r not in tied:
            tied.append(r)
        lo = min(c.throughput for c in tied)
        tie = Tie(tied, w.throughput / lo - 1, lo, w.throughput, rule=rule)
        bounds = [load_bound(c, task) for c in tied]
        if all(bounds):
            tie.load = LoadBound(w.concurrency, task["total"],
                                 w.concurrency / (task["total"] / 1e6))
        elif w.p99_us and r.p99_us:
            lo_c, hi_c = (w, r) if w.p99_us <= r.p99_us else (r, w)
            if hi_c.p99_us > P99_APART * lo_c.p99_us:
                tie.lower_p99 = (lo_c, hi_c)
        return Reason("tie", tie=tie, violations=violations)
    lead = Lead(ratio, limits(r, task), r.fastest, _strengths(w, r, task))
    return Reason("lead", lead=lead, violations=violations)


def verdict(runs: list[Run], slo: Slo) -> Verdict:
    """The Verdict for runs of one scenario (closed or open loop)."""
    ranked = candidates(runs, slo)
    task = task_us(runs)
    v = Verdict(scenario=runs[0].scenario if runs else "?",
                workload=runs[0].workload if runs else "", task_us=task, slo=slo,
                slo_us=slo.limit_us(task["total"] if task else None), ranked=ranked)
    v.reason = reason(v)
    return v


def scenario_runs(results) -> list[Run]:
    """Closed-loop runs for the per-scenario answers: the "scenarios" group,
    or every closed-loop run of a file without groups (and `ccbench run`
    output, group "")."""
    if results.has_groups:
        return [r for r in results.runs if r.group in ("scenarios", "") and not r.open_loop]
    return [r for r in results.runs if not r.open_loop]


def by_scenario(runs: list[Run]) -> dict[str, list[Run]]:
    """{scenario: [runs]} in order of first appearance."""
    out: dict[str, list[Run]] = {}
    for r in runs:
        out.setdefault(r.scenario, []).append(r)
    return out


def verdicts(results, slo: Slo) -> list[Verdict]:
    return [verdict(rs, slo) for rs in by_scenario(scenario_runs(results)).values()]


def on_one_cooperative_thread(x) -> bool:
    """A run (or Candidate) on one cooperative scheduler thread: an event loop
    that is one thread by definition, or a cooperative model on one thread."""
    r = getattr(x, "run", x)
    return r.traits.cooperative and (not r.traits.uses_threads or r.threads == 1)
