"""Warnings computed from the runs themselves (the file's own warnings are
ccbench's): what a reader should know before trusting a figure."""

from __future__ import annotations

from dataclasses import dataclass

from .load import Run

# Warn when the open-loop arrival generator fell this far behind its schedule.
GENERATOR_LAG_WARN_MS = 5.0


@dataclass
class ProbeBlind:
    """Runs of models that are one thread by definition whose stall probe
    took no samples: that thread was held for the whole window, so their
    stall figures are unmeasured, not zero."""

    runs: list[Run]

    @property
    def models(self) -> list[str]:
        return list(dict.fromkeys(r.model for r in self.runs))

    @property
    def scenarios(self) -> list[str]:
        return sorted({r.scenario for r in self.runs})


@dataclass
class GeneratorLag:
    """The open-loop arrival generator fell behind its schedule: offered
    rates there are lower than asked. `run` is the worst."""

    run: Run
    lag_ms: float


Check = ProbeBlind | GeneratorLag


def checks(results) -> list[Check]:
    out: list[Check] = []
    # A model that is one thread by definition runs its probe on that thread.
    blind = [r for r in results.runs if r.ok and not r.traits.uses_threads
             and r.get("stall_us") is not None and not r.stall_known]
    if blind:
        out.append(ProbeBlind(blind))
    lag = [r for r in results.runs if (r.get("generator_lag_ms") or 0) > GENERATOR_LAG_WARN_MS]
    if lag:
        worst = max(lag, key=lambda r: r.get("generator_lag_ms"))
        out.append(GeneratorLag(worst, worst.get("generator_lag_ms")))
    return out
