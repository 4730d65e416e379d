"""What holds a model back in a scenario, from its numbers: the workers it
keeps busy, the one core it saturates, the load, or its scheduler held so long
its stall probe waited. Each finding is a small dataclass with the figures it
rests on; ccplot/text.py words them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Union

if TYPE_CHECKING:
    from .ranking import Candidate

# A candidate is held by a capacity when its throughput is within these
# fractions of it (the capacity is a mean; runs land a little either side).
CAP_LOW, CAP_HIGH = 0.8, 1.15
# It saturates one core at this many CPU-seconds a second.
CORE_BUSY = 0.85
# It is held back by the load at this share of concurrency / task time.
LOAD_BOUND = 0.85
# Stalls worth a mention: a worst stall of 10 ms, or a p99 of 1 ms.
STALL_MAX_US, STALL_P99_US = 10e3, 1e3


@dataclass(frozen=True)
class Workers:
    """Threads, or worker processes, that run a model's steps."""

    count: int
    processes: bool = False


@dataclass(frozen=True)
class BlockingCalls:
    """A cooperative scheduler that runs blocking steps on its own threads:
    at most `at_once` at a time, each task holding one for held_us."""

    at_once: int
    held_us: float
    cap_per_s: float


@dataclass(frozen=True)
class HeldWorkers:
    """Workers each held for the whole task (waits included)."""

    workers: Workers
    held_us: float
    cap_per_s: float


@dataclass(frozen=True)
class Computing:
    """Workers busy with the tasks' CPU steps."""

    workers: Workers
    held_us: float
    cap_per_s: float


@dataclass(frozen=True)
class OneCore:
    """One scheduler thread with its core full."""

    throughput: float
    cpu_rate: float


@dataclass(frozen=True)
class LoadBound:
    """As many tasks as the load allows: concurrency / task time."""

    concurrency: int
    task_us: float
    cap_per_s: float


@dataclass(frozen=True)
class ProbeNeverRan:
    """A cooperative scheduler held for the whole window: its probe never woke."""


@dataclass(frozen=True)
class ProbeStalls:
    """The stall probe waited long: worst and p99 lateness."""

    max_us: float
    p99_us: float | None


Limit = Union[BlockingCalls, HeldWorkers, Computing, OneCore, LoadBound, ProbeNeverRan,
              ProbeStalls]


def load_bound(c: "Candidate", task_us: dict | None) -> LoadBound | None:
    """A closed-loop candidate that completes about as many tasks as its
    concurrency allows (C tasks in flight / task time): the load, not the
    model, is the limit. None otherwise."""
    if c.run.open_loop or not c.concurrency or not task_us or not task_us["total"]:
        return None
    if (c.throughput or 0) * task_us["total"] / 1e6 / c.concurrency < LOAD_BOUND:
        return None
    return LoadBound(c.concurrency, task_us["total"], c.concurrency / (task_us["total"] / 1e6))


def limits(c: "Candidate", task_us: dict | None) -> list[Limit]:
    """What holds a candidate back, from its numbers and its model's traits."""
    out: list[Limit] = []
    tp = c.throughput or 0
    traits = c.run.traits
    if task_us:
        sched = 1 if c.single_thread else c.threads
        in_processes = c.run.task_processes > 0  # the `sched` workers are processes
        offloaded_to = c.run.offload_processes
        if traits.cooperative and offloaded_to and task_us["cpu"] > 0:
            # --offload process: the cpu steps run in worker processes (and
            # blocking ones in threads), so the processes are what holds it back.
            sched, in_processes = offloaded_to, True
            held_us = task_us["cpu"]
            blocking = False
        elif traits.cooperative:
            # Waits free the thread: only CPU (and blocking, unless offloaded) holds it.
            held_us = task_us["cpu"] + (task_us["block"] if c.offload == "none" else 0.0)
            blocking = c.offload == "none" and task_us["block"] > 0
        else:
            held_us = task_us["total"]
            blocking = task_us["io"] + task_us["block"] > 0
        bound = load_bound(c, task_us)
        if held_us > 0 and CAP_LOW <= tp * held_us / 1e6 / sched <= CAP_HIGH:
            cap = sched / (held_us / 1e6)
            if blocking and traits.cooperative:
                out.append(BlockingCalls(sched, held_us, cap))
            elif blocking:
                out.append(HeldWorkers(Workers(sched, in_processes), held_us, cap))
            elif sched == 1 and not offloaded_to:
                out.append(OneCore(tp, c.cpu_rate or 0.0))
            else:
                out.append(Computing(Workers(sched, in_processes), held_us, cap))
        elif (sched == 1 and not offloaded_to and task_us["cpu"] > 0
              and (c.cpu_rate or 0) >= CORE_BUSY):
            out.append(OneCore(tp, c.cpu_rate))
        elif bound is not None:
            out.append(bound)
    if traits.cooperative and not c.stall_known:
        out.append(ProbeNeverRan())
    elif c.stall_known and c.stall_max_us is not None and (
            c.stall_max_us >= STALL_MAX_US or (c.stall_p99_us or 0) >= STALL_P99_US):
        out.append(ProbeStalls(c.stall_max_us, c.stall_p99_us))
    return out
