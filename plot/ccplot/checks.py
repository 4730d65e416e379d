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


@dataclass
class SlowRamp:
    """Closed-loop runs whose clients took longer to all get a first task
    (ramp_ms) than their warm-up lasted. The warm-up and window start after
    the ramp, so their figures stand; the start-up itself is a cost of the
    model at that concurrency. `worst` has the longest ramp."""

    runs: list[Run]

    @property
    def worst(self) -> Run:
        return max(self.runs, key=lambda r: r.ramp_ms)


Check = ProbeBlind | GeneratorLag | SlowRamp


def checks(results) -> list[Check]:
    out: list[Check] = []
    # A model that is one thread by definition runs its probe on that thread.
    blind = [r for r in results.runs if r.ok and not r.traits.uses_threads
             and r.get("stall_us") is not None and not r.stall_known]
    if blind:
        out.append(ProbeBlind(blind))
    slow = [r for r in results.runs if r.ok and not r.open_loop and r.ramp_ms
            and r.ramp_ms > 1e3 * (r.get("warmup_s") or 0.0)]
    if slow:
        out.append(SlowRamp(slow))
    lag = [r for r in results.runs if (r.get("generator_lag_ms") or 0) > GENERATOR_LAG_WARN_MS]
    if lag:
        worst = max(lag, key=lambda r: r.get("generator_lag_ms"))
        out.append(GeneratorLag(worst, worst.get("generator_lag_ms")))
    return out
