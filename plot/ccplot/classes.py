"""Request classes (`ccbench run --mix`): each class's own numbers per run,
and the head-of-line rule: what a heavy class on an event loop does to a
light one's p99, and what offloading gives back."""

from __future__ import annotations

import statistics
from dataclasses import dataclass


@dataclass
class ClassRow:
    """One class of one run."""

    run: object
    name: str
    share: float | None
    throughput: float | None  # its completions over the window, tasks/s
    p50_us: float | None
    p99_us: float | None
    stall_log_share: float | None
    latency_ci_us: dict | None = None  # the class's latency_ci_us, when recorded

    def latency_ci(self, key):
        """(low, high) of the class's latency_us.<key> in us, a side None when
        unbounded; None when not recorded (as Run.latency_ci)."""
        ci = self.latency_ci_us
        if not isinstance(ci, dict) or not ci.get("confidence"):
            return None
        side = ci.get(key)
        if not isinstance(side, dict):
            return None
        return (side.get("low"), side.get("high"))


def _dig(d, *path):
    for p in path:
        if not isinstance(d, dict) or d.get(p) is None:
            return None
        d = d[p]
    return d


def class_rows(results) -> list[ClassRow]:
    out = []
    for r in results.runs:
        if not r.ok:
            continue
        window = r.get("duration_s") or 0
        for c in r.classes:
            done = c.get("completed")
            out.append(ClassRow(r, str(c.get("name")), c.get("share"),
                                done / window if window and done is not None else None,
                                _dig(c, "latency_us", "p50"), _dig(c, "latency_us", "p99"),
                                c.get("stall_log_share"), c.get("latency_ci_us")))
    return out


@dataclass
class HeadOfLine:
    """With `heavy` on the event loop (offload none), `victim`'s p99 went from
    alone_us (its own task time, with no queueing) to on_loop_us; with the
    heavy steps offloaded (`offload`), offloaded_us."""

    model: str  # the run's label (model, threads)
    workload: str
    load: str
    victim: str
    heavy: str
    alone_us: float | None
    on_loop_us: float
    offload: str | None = None
    offloaded_us: float | None = None


def _median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def head_of_line(results) -> list[HeadOfLine]:
    """One rule per mix and load on a cooperative model that ran with offload
    none: the victim is the class with the most tasks among those lighter than
    the heaviest class (by its own task time)."""
    groups = {}
    for r in results.runs:
        if not r.ok or len(r.classes) < 2 or not r.traits.cooperative:
            continue
        key = (r.model, r.threads, r.workload, r.arrival, r.concurrency, r.rate)
        groups.setdefault(key, {}).setdefault(r.offload, []).append(r)
    out = []
    for key, by_offload in groups.items():
        naive = by_offload.get("none")
        if not naive:
            continue
        classes = naive[0].classes
        heavy = max(classes, key=lambda c: c.get("task_mean_us") or 0)
        lighter = [c for c in classes if c is not heavy]
        victim = max(lighter, key=lambda c: c.get("share") or 0)
        name = victim.get("name")

        def p99(runs):
            return _median(_dig(r.class_named(name), "latency_us", "p99") for r in runs)
        on_loop = p99(naive)
        if on_loop is None:
            continue
        r0 = naive[0]
        rule = HeadOfLine(r0.label, r0.scenario or r0.workload,
                          ("%g tasks/s" % r0.rate) if r0.open_loop else "c=%d" % r0.concurrency,
                          str(name), str(heavy.get("name")), victim.get("task_mean_us"), on_loop)
        for mode in ("thread", "process"):
            if by_offload.get(mode):
                rule.offload, rule.offloaded_us = mode, p99(by_offload[mode])
                break
        out.append(rule)
    return out
