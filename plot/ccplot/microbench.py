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
# BM_<model>_sleepers_in_ccbench: the sleepers' load run by ccbench itself
# (its driver, records and monitor); its CPU per task is a counter.
INSIDE = "sleepers_in_ccbench"
# The most CPU per task a model may cost inside ccbench, as a multiple of the
# bare program of its own library on the same load (docs/models.md).
GLUE_LIMIT = 1.3
# Repetitions (medians) before the report holds a model to GLUE_LIMIT.
GLUE_MIN_RUNS = 3


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


def _ns(b, key="real_time") -> float:
    return float(b[key]) * _SCALE_NS.get(b.get("time_unit", "ns"), 1.0)


def parse(micro: dict) -> MicroSet:
    """Repetitions: the median aggregate wins; else the fastest iteration run."""
    out = MicroSet()
    best, agg = {}, {}
    for b in micro.get("benchmarks", []):
        if not isinstance(b, dict) or b.get("error_occurred") or b.get("real_time") is None:
            continue
        name = str(b.get("run_name") or b.get("name", ""))
        m = _NAME.match(name)
        if not m or _SLEEPING.search(name) or m.group(2) in (SLEEPERS, INSIDE):
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
    return _figure(micro, name, lambda b: _ns(b) if b.get("real_time") is not None else None)


@dataclass(frozen=True)
class GlueCost:
    """CPU per task (ns) of one model on the sleepers' load: a bare program of
    its library (BM_<model>_sleepers) and the same load run by ccbench
    (BM_<model>_sleepers_in_ccbench), measured in the same micro run."""

    model: str
    bare_ns: float
    inside_ns: float
    runs: int = 1  # runs of the ccbench side: medians from 3 up

    @property
    def ratio(self) -> float:
        return self.inside_ns / self.bare_ns

    @property
    def within_limit(self) -> bool:
        return self.ratio <= GLUE_LIMIT

    @property
    def settled(self) -> bool:
        """A single pair on a shared VM moves by a fifth either way: a verdict
        needs the medians of repetitions."""
        return self.runs >= GLUE_MIN_RUNS


def _figure(micro: dict, name: str, read) -> float | None:
    """read(entry) of the benchmark named `name`: the median aggregate's when
    repetitions were run, else the lowest over its runs; None when absent."""
    best = None
    for b in micro.get("benchmarks", []):
        if not isinstance(b, dict) or b.get("error_occurred"):
            continue
        if str(b.get("run_name") or b.get("name", "")).split("/")[0] != name:
            continue
        v = read(b)
        if v is None:
            continue
        if b.get("run_type") == "aggregate":
            if b.get("aggregate_name") == "median":
                return v
            continue
        best = v if best is None else min(best, v)
    return best


def _cpu_ns(b) -> float | None:
    return _ns(b, "cpu_time") if b.get("cpu_time") is not None else None


def _inside_ns(b) -> float | None:
    v = b.get("cpu_per_task_ns")
    return float(v) if v is not None else None


def glue_costs(micro: dict | None) -> list[GlueCost]:
    """Every model with both sleepers benchmarks, in the file's order."""
    if not micro:
        return []
    out, seen = [], set()
    for b in micro.get("benchmarks", []):
        if not isinstance(b, dict):
            continue
        m = _NAME.match(str(b.get("run_name") or b.get("name", "")))
        if not m or m.group(2) != INSIDE or m.group(1) in seen:
            continue
        model = m.group(1)
        seen.add(model)
        inside = _figure(micro, "BM_%s_%s" % (model, INSIDE), _inside_ns)
        bare = _figure(micro, "BM_%s_%s" % (model, SLEEPERS), _cpu_ns)
        runs = sum(1 for x in micro.get("benchmarks", [])
                   if isinstance(x, dict) and x.get("run_type", "iteration") == "iteration"
                   and not x.get("error_occurred")
                   and str(x.get("run_name") or x.get("name", "")).split("/")[0]
                   == "BM_%s_%s" % (model, INSIDE))
        if inside and bare:
            out.append(GlueCost(model, bare, inside, max(1, runs)))
    return out
