"""The latency objective a winner must meet: p99 under a multiple of the
task's own expected duration ("10x"), or under an absolute time ("50ms")."""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_SLO = "10x"

_UNIT_US = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}


@dataclass(frozen=True)
class Slo:
    """Exactly one of factor (x the task's duration) and absolute_us is set."""

    factor: float | None = None
    absolute_us: float | None = None
    source: str = ""  # where the limit came from when not the report's --slo ("ccbench run --slo")

    @classmethod
    def parse(cls, text: str) -> "Slo":
        """Raises ValueError naming the text."""
        t = (text or "").strip().lower()
        m = re.fullmatch(r"([0-9]*\.?[0-9]+)\s*x", t)
        if m and float(m.group(1)) > 0:
            return cls(factor=float(m.group(1)))
        m = re.fullmatch(r"([0-9]*\.?[0-9]+)\s*(ns|us|ms|s)", t)
        if m and float(m.group(1)) > 0:
            return cls(absolute_us=float(m.group(1)) * _UNIT_US[m.group(2)])
        raise ValueError("--slo '%s': expected a multiple of the task's duration such as 10x, "
                         "or a time such as 50ms" % text)

    def limit_us(self, task_total_us: float | None) -> float | None:
        """The p99 limit in us for a task of this expected duration (None: unknown)."""
        if self.absolute_us is not None:
            return self.absolute_us
        if not task_total_us:
            return None
        return self.factor * task_total_us


_P99_TERM = re.compile(r"(?:^|,)\s*p99\s*<=?\s*([0-9]*\.?[0-9]+)\s*(ns|us|ms|s)\s*(?:,|$)")


def from_runs(runs) -> "Slo | None":
    """The run-wide p99 limit of the objective the runs were checked against
    (`ccbench run --slo 'p99<20ms,...'`), when they all share one; None
    otherwise. Class terms (api.p99) do not count: they are not the run's."""
    objectives = {r.slo_objective for r in runs}
    if len(objectives) != 1:
        return None
    m = _P99_TERM.search(objectives.pop())
    if not m:
        return None
    return Slo(absolute_us=float(m.group(1)) * _UNIT_US[m.group(2)], source="ccbench run --slo")
