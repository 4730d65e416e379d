"""micro.json (Google Benchmark JSON) read by name, generically:

- BM_floor_<what>: one of the machine's floors (a context switch, a futex
  round trip);
- BM_skynet_<model>: the skynet program on a model (whole programs are timed
  in their own panel);
- BM_<model>_timers_1m: a million timers on a model (a whole program too);
- BM_<model>_<primitive>: one primitive of a model (yield, spawn, ...).

No model is named here: whatever <model> the file holds is a model."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_SCALE_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
_NAME = re.compile(r"^BM_([A-Za-z0-9]+)_([A-Za-z0-9_]+?)(?:/.*)?$")
FLOOR = "floor"
# Whole programs: BM_<program>_<model>, and primitives that are whole programs.
PROGRAMS = {"skynet": "skynet"}
PROGRAM_PRIMITIVES = {"timers_1m": "1M timers"}
# Left off the per-operation axis: a timer that sleeps (BM_<model>_timer/1ms
# says nothing about the primitive's cost; the zero-delay timer does), and the
# sleepers, whose real time per completion is set by their load (10 ms /
# 10,000 sleepers), so that their figure is CPU time.
_SLEEPING = re.compile(r"/[1-9][0-9]*ms\b")
SLEEPERS = "sleepers"


@dataclass(frozen=True)
class Program:
    """A whole program timed on one model; leaves: skynet's tree size when it
    is not the classic million."""

    name: str
    model: str
    leaves: float | None = None


@dataclass
class MicroSet:
    """real_time in ns: per (model, primitive), per floor, per Program; and
    the models in order of first appearance."""

    primitives: dict[tuple[str, str], float] = field(default_factory=dict)
    floors: dict[str, float] = field(default_factory=dict)
    programs: dict[Program, float] = field(default_factory=dict)
    models: list[str] = field(default_factory=list)


def _ns(b) -> float:
    return float(b["real_time"]) * _SCALE_NS.get(b.get("time_unit", "ns"), 1.0)


def parse(micro: dict) -> MicroSet:
    """Repetitions: the median aggregate wins; else the fastest iteration run."""
    out = MicroSet()
    best, agg = {}, {}
    for b in micro.get("benchmarks", []):
        if not isinstance(b, dict) or b.get("error_occurred") or b.get("real_time") is None:
            continue
        name = str(b.get("run_name") or b.get("name", ""))
        m = _NAME.match(name)
        if not m or _SLEEPING.search(name) or m.group(2) == SLEEPERS:
            continue
        first, rest = m.group(1), m.group(2)
        if first == FLOOR:
            key = (FLOOR, rest)
        elif first in PROGRAMS:
            leaves = b.get("leaves")
            key = Program(PROGRAMS[first], rest,
                          float(leaves) if leaves and float(leaves) != 1e6 else None)
        elif rest in PROGRAM_PRIMITIVES:
            key = Program(PROGRAM_PRIMITIVES[rest], first)
        else:
            key = (first, rest)
        model = key.model if isinstance(key, Program) else key[0]
        if model != FLOOR and model not in out.models:
            out.models.append(model)
        if b.get("run_type") == "aggregate":
            if b.get("aggregate_name") == "median":
                agg[key] = _ns(b)
            continue
        cur = best.get(key)
        best[key] = _ns(b) if cur is None else min(cur, _ns(b))
    best.update(agg)
    for key, ns in best.items():
        if isinstance(key, Program):
            out.programs[key] = ns
        elif key[0] == FLOOR:
            out.floors[key[1]] = ns
        else:
            out.primitives[key] = ns
    return out


def micro_ns(micro: dict | None, name: str) -> float | None:
    """real_time in ns of the Google Benchmark entry named `name` (the median
    aggregate when repetitions were run), or None."""
    if not micro:
        return None
    best = None
    for b in micro.get("benchmarks", []):
        if not isinstance(b, dict):
            continue
        run_name = str(b.get("run_name") or b.get("name", "")).split("/")[0]
        if run_name != name or b.get("real_time") is None or b.get("error_occurred"):
            continue
        if b.get("run_type") == "aggregate":
            if b.get("aggregate_name") == "median":
                return _ns(b)
            continue
        best = _ns(b) if best is None else min(best, _ns(b))
    return best
