"""The rules the seed tutorial states for CPython, computed from the runs of
the models that run in a Python interpreter (traits.python: asyncio,
uvloop), never from a model's name:

- GilCpu: "CPU work goes to processes": on a workload of CPU without
  blocking, the same model with --offload thread (asyncio.to_thread) and
  --offload process (a ProcessPoolExecutor);
- LoopBlock: "blocking calls go to to_thread": on a workload with blocking
  steps, the model naive (--offload none) and with --offload thread.

Each holds the pair of points it rests on; ccplot/text.py words it."""

from __future__ import annotations

from dataclasses import dataclass

from .load import Point, fold


@dataclass
class PythonPair:
    """One Python model's pair of offload modes on one workload and load."""

    kind: str  # "gil_cpu" or "loop_block"
    slow: Point  # to_thread (gil_cpu), or naive (loop_block)
    fast: Point  # processes (gil_cpu), or to_thread (loop_block)

    @property
    def run(self):
        return self.slow.run

    @property
    def ratio(self) -> float | None:
        if not self.slow.throughput or self.fast.throughput is None:
            return None
        return self.fast.throughput / self.slow.throughput

    @property
    def interpreter(self) -> str:
        """"CPython 3.11.2, GIL on" from the run's facts, when recorded."""
        r = self.run
        version = r.fact("python_version")
        impl = r.fact("python_implementation")
        gil = r.fact("python_gil")
        name = {"cpython": "CPython", "pypy": "PyPy"}.get(str(impl), str(impl or "Python"))
        text = name + (" %s" % version if version else "")
        if gil is not None:
            text += ", GIL %s" % ("on" if gil else "off")
        return text


def _python_pairs(results, kind, slow_mode, fast_mode, fits):
    points = {}
    for p in fold(results.runs):
        r = p.run
        if not r.traits.python or not fits(r.task_mean_us or {}):
            continue
        key = (r.model, r.workload, r.arrival, r.concurrency, r.rate or 0.0)
        points.setdefault(key, {})[r.offload] = p
    pairs = [PythonPair(kind, v[slow_mode], v[fast_mode]) for v in points.values()
             if slow_mode in v and fast_mode in v]
    # The most telling pair: the most work per task of the kind in question.
    key = "cpu" if kind == "gil_cpu" else "block"
    pairs.sort(key=lambda p: (-(p.run.task_mean_us or {}).get(key, 0), p.run.sort_key))
    return pairs


def gil_cpu(results) -> list[PythonPair]:
    return _python_pairs(results, "gil_cpu", "thread", "process",
                         lambda t: t.get("cpu", 0) > 0 and t.get("block", 0) == 0)


def loop_block(results) -> list[PythonPair]:
    return _python_pairs(results, "loop_block", "none", "thread",
                         lambda t: t.get("block", 0) > 0)


def python_rules(results) -> list[PythonPair]:
    """One pair of each kind measured (none when the file has no such runs)."""
    out = []
    for pairs in (gil_cpu(results), loop_block(results)):
        if pairs:
            out.append(pairs[0])
    return out
