"""The report's English, rendered from what ccplot's computations return
(ranking.Verdict, limits.*, decision.MapSummary, rules.*, checks.*). Nothing
here computes a figure or decides a winner; model names come from the data."""

from __future__ import annotations

from . import units
from .checks import GeneratorLag, ProbeBlind, SlowRamp
from .classes import HeadOfLine
from .decision import MapSummary
from .efficiency import CpuBasis
from .limits import (BlockingCalls, Computing, HeldWorkers, Limit, LoadBound, OneCore,
                     ProbeNeverRan, ProbeStalls, Workers)
from .load import STEP_KINDS
from .ranking import (TIE_FRACTION, Candidate, OffloadsBlocking, Strength, StallsLess,
                      UsesCores, Verdict, Violation)
from .python_rules import PythonPair
from .percore import PerCoreCost
from .rules import BlockingCost, CpuPerWait, Mix, OffloadCost
from .slo import Slo
from .sureness import SURE_WITHIN


def slo(s: Slo) -> str:
    if s.absolute_us is not None:
        return "p99 under %s" % units.duration_us(s.absolute_us) + (
            " (the runs' objective, from `%s`)" % s.source if s.source else "")
    return "p99 under %gx the task's own duration" % s.factor


def where(c: Candidate) -> str:
    """"at concurrency 8", "at 400 tasks/s offered"."""
    if c.open_loop:
        return "at %s tasks/s offered" % units.rate(c.rate)
    return "at concurrency %d" % c.concurrency


def load(c: Candidate) -> str:
    """where(c) without "at"."""
    return where(c).replace("at ", "", 1)


def workers(w: Workers) -> str:
    if w.processes:
        return "%d worker process%s" % (w.count, "" if w.count == 1 else "es")
    return "%d thread%s" % (w.count, "" if w.count == 1 else "s")


def tasks(n: int) -> str:
    return "%d task%s" % (n, "" if n == 1 else "s")


def join(items) -> str:
    items = list(items)
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def names(models: list[str]) -> str | None:
    """The models a rule was computed from, "a/b"; None when there are none."""
    return "/".join(models) if models else None


def step_shares(t: dict | None) -> str:
    """"io 81% / cpu 3% / block 16%" of a task_mean_us dict."""
    if not t or not t.get("total"):
        return ""
    return " / ".join("%s %s" % (k, units.percent(t[k] / t["total"])) for k in STEP_KINDS
                      if t[k] > 0)


def limit(x: Limit) -> str:
    """A verb phrase that reads after the model's label ("<label> is capped by ...")."""
    if isinstance(x, BlockingCalls):
        return ("runs %s blocking call%s at a time: %s of blocking and CPU per task caps it at "
                "%s tasks/s" % ("one" if x.at_once == 1 else "at most %d" % x.at_once,
                                "" if x.at_once == 1 else "s", units.duration_us(x.held_us),
                                units.rate(x.cap_per_s)))
    if isinstance(x, HeldWorkers):
        return ("is capped by its %s, each held for the whole %s task: %d / %s = %s tasks/s"
                % (workers(x.workers), units.duration_us(x.held_us), x.workers.count,
                   units.duration_us(x.held_us), units.rate(x.cap_per_s)))
    if isinstance(x, OneCore):
        return "saturates its one core at %s tasks/s (cpu %.2f s per s)" % (
            units.rate(x.throughput), x.cpu_rate)
    if isinstance(x, Computing):
        return "keeps its %s busy computing: %d / %s of CPU = %s tasks/s" % (
            workers(x.workers), x.workers.count, units.duration_us(x.held_us),
            units.rate(x.cap_per_s))
    if isinstance(x, LoadBound):
        return ("is held back by the load, not the model: %s in flight / %s per task = %s "
                "tasks/s" % (tasks(x.concurrency), units.duration_us(x.task_us),
                             units.rate(x.cap_per_s)))
    if isinstance(x, ProbeNeverRan):
        return "never let its stall probe run: the scheduler was held for the whole window"
    if isinstance(x, ProbeStalls):
        return "kept its stall probe waiting up to %s (p99 %s)" % (
            units.duration_us(x.max_us), units.duration_us(x.p99_us))
    raise TypeError("no words for %r" % (x,))


def strength(x: Strength) -> str:
    if isinstance(x, UsesCores):
        return "%s uses %.1f cores (cpu %.2f s per s)" % (x.label, x.cpu_rate, x.cpu_rate)
    if isinstance(x, OffloadsBlocking):
        return "%s hands its blocking calls to threads" % x.label
    if isinstance(x, StallsLess):
        return "%s stalls at most %s" % (x.label, units.duration_us(x.stall_max_us))
    raise TypeError("no words for %r" % (x,))


def violation(v: Violation) -> str:
    c = v.candidate
    out = "%s reaches %s tasks/s %s but its p99 of %s breaks the %s limit" % (
        c.label, units.rate(c.throughput), where(c), units.duration_us(c.p99_us),
        units.duration_us(v.slo_us))
    if v.gap:
        lo, hi = (units.rate(g) if c.open_loop else g for g in v.gap)
        out += (" (nothing was measured between %s %s and %s, where it may do better within "
                "the limit)" % ("rate" if c.open_loop else "concurrency", lo, hi))
    return out


def reason(v: Verdict) -> str:
    """Why the winner wins (Verdict.reason), as the report's "Why:" line."""
    r = v.reason
    w, ru = v.winner, v.runner_up
    if r.kind == "no-runs":
        return "no run of this scenario succeeded"
    if r.kind == "none-meets":
        out = "no configuration kept %s" % slo(v.slo)
        if r.violations:
            c = r.violations[0].candidate
            out += "; the fastest, %s, does %s tasks/s %s with p99 %s" % (
                c.label, units.rate(c.throughput), where(c), units.duration_us(c.p99_us))
        return out
    parts = []
    if r.kind == "only":
        parts.append("%s is the only model that meets the SLO" % w.label)
    elif r.kind == "tie":
        t = r.tie
        noise = ("their throughputs' 95% intervals over the repetitions overlap"
                 if getattr(t, "rule", "5%") == "intervals" else "inside run-to-run noise")
        parts.append("a tie: %s are within %s of each other (%s to %s tasks/s), %s"
                     % (join(c.label for c in t.tied), units.percent(t.spread, 1),
                        units.rate(t.low), units.rate(t.high), noise))
        if t.load is not None:
            parts.append("all are held back by the load: %s in flight / %s per task = %s "
                         "tasks/s; more concurrency would separate them" % (
                             tasks(t.load.concurrency), units.duration_us(t.load.task_us),
                             units.rate(t.load.cap_per_s)))
        elif t.lower_p99 is not None:
            lo_c, hi_c = t.lower_p99
            parts.append("%s has the lower p99 (%s vs %s)" % (
                lo_c.label, units.duration_us(lo_c.p99_us), units.duration_us(hi_c.p99_us)))
    else:
        lead = r.lead
        how = ("%.1fx the tasks of" % lead.ratio if lead.ratio >= 2 else
               "%s more tasks than" % units.percent(lead.ratio - 1))
        parts.append("%s completes %s %s" % (w.label, how, ru.label))
        parts.extend("%s %s" % (ru.label, limit(x)) for x in lead.runner_up_limits)
        f = lead.runner_up_fastest
        if f is not None:
            parts.append("at %s %s reaches %s tasks/s, but with p99 %s, over the limit" % (
                load(f), ru.label, units.rate(f.throughput), units.duration_us(f.p99_us)))
        parts.extend(strength(x) for x in lead.strengths)
    parts.extend(violation(x) for x in r.violations)
    return "; ".join(parts)


def candidate_notes(c: Candidate, found: list[Limit]) -> str:
    """The notes column of a scenario's table: what holds c back (found, from
    limits.limits) and where it breaks the SLO."""
    notes = [limit(x) for x in found]
    if not c.meets_slo:
        notes.insert(0, "breaks the SLO at every load measured")
    elif c.fastest is not None:
        notes.append("%s tasks/s %s, but p99 %s breaks the SLO" % (
            units.rate(c.fastest.throughput), where(c.fastest),
            units.duration_us(c.fastest.p99_us)))
    return "; ".join(notes)


def map_summary(s: MapSummary) -> str:
    """"<label> wins 4 of 9 cells (by 6%, 3 of them a tie); ..."."""
    parts = []
    for t in s.tallies:
        bits = []
        if t.clear_margins:
            lo, hi = units.percent(min(t.clear_margins)), units.percent(max(t.clear_margins))
            bits.append("by %s" % lo if lo == hi else "by %s to %s" % (lo, hi))
        if t.ties:
            bits.append("%d of them a tie" % t.ties if t.ties < t.cells else
                        "a tie" if t.ties == 1 else "all ties")
        parts.append("%s wins %d of %d cells%s" % (t.label, t.cells, s.cells,
                                                   " (%s)" % ", ".join(bits) if bits else ""))
    if s.no_winner:
        parts.append("no model meets the SLO in %d" % s.no_winner)
    return "; ".join(parts)


def _mix(m: Mix) -> str:
    return "%s of CPU per %s of waiting" % (units.duration_us(m.task_us["cpu"]),
                                            units.duration_us(m.task_us["io"]))


def _versus(a: Candidate, b: Candidate) -> str:
    """"<label a> 1,442 vs <label b> 1,263 tasks/s"."""
    return "%s %s vs %s %s tasks/s" % (a.label, units.rate(a.throughput), b.label,
                                       units.rate(b.throughput))


_SOURCES = {"crossover": "crossover runs", "decision-map": "decision-map cells",
            "scenarios": "scenario runs"}


def _beyond_slo(r: CpuPerWait) -> str:
    """Runs of both sides, but none within the SLO on both."""
    n = r.beyond_slo
    return ("not measured within the objective: in %s that ran both sides, one side's p99 "
            "broke it (%s, from %s)" % ("the mix" if n == 1 else "each of the %d mixes" % n,
                                        slo(r.slo), _SOURCES.get(r.source, r.source)))


def _range(r: CpuPerWait) -> str:
    """"about 100-200 us", "over 200 us" (won every mix), "under 100 us"."""
    if r.below is not None and r.above is not None:
        return "about %.0f-%.0f us" % (r.below.cpu_per_ms_us, r.above.cpu_per_ms_us)
    if r.below is not None:
        return "over %.0f us" % r.below.cpu_per_ms_us
    return "under %.0f us" % r.above.cpu_per_ms_us


def cpu_per_wait_per_core(r: CpuPerWait) -> tuple[str, str]:
    """The second question: before threads beat a loop per core."""
    name = names(r.models)
    title = ("CPU a %s task may do per ms of waiting before threads beat a loop per core" % name
             if name else
             "CPU a task may do per ms of waiting before threads beat a loop per core")
    if not r.measured and r.beyond_slo:
        return title, _beyond_slo(r)
    if not r.measured:
        return title, ("not measured: no runs that mix waiting and CPU without blocking calls, "
                       "with both a loop per core (a model whose traits say it shares nothing) "
                       "and a threaded model (the crossover sweep produces them on 2 cores or "
                       "more)")
    lo, hi = r.below, r.above
    if lo is not None and hi is not None:
        keeps_up = ("still wins" if lo.single_wins
                    else "still keeps up (within %d%%)" % round(TIE_FRACTION * 100))
        text = ("a task on %s, a loop per core, may do about %.0f-%.0f us of CPU per ms of "
                "waiting: at %s %s %s (%s vs %s tasks/s for %s); at %s %s wins (%s vs %s "
                "tasks/s)" % (lo.single.label, lo.cpu_per_ms_us, hi.cpu_per_ms_us, _mix(lo),
                              lo.single.label, keeps_up, units.rate(lo.single.throughput),
                              units.rate(lo.threaded.throughput), lo.threaded.label, _mix(hi),
                              hi.threaded.label, units.rate(hi.threaded.throughput),
                              units.rate(hi.single.throughput)))
    elif hi is not None:
        text = ("threads beat the loop per core at every measured mix, from %s (%.0f us per ms "
                "of waiting: %s)" % (_mix(hi), hi.cpu_per_ms_us, _versus(hi.threaded, hi.single)))
    else:
        text = ("%s, a loop per core, won or kept up with threads at every measured mix, up to "
                "%s (%.0f us per ms of waiting: %s); the crossover lies beyond"
                % (lo.single.label, _mix(lo), lo.cpu_per_ms_us, _versus(lo.single, lo.threaded)))
    n, limit = r.tasks_in_flight, r.one_core_limit_us
    if n and limit:
        text += ("; with %d tasks in flight over %d loops, where each loop's core is full at "
                 "1,000 / (%d / %d - 1) = %.0f us per ms of waiting"
                 % (n, r.loops, n, r.loops, limit))
    one = r.one_loop
    if one is not None and one.measured:
        text += "; one loop (%s) may do %s" % (names(one.models), _range(one))
        if r.limit_us and one.limit_us:
            text += ": a loop per core may do %s as much" % units.ratio(r.limit_us / one.limit_us)
    return title, text + " (from %s, %s)" % (_SOURCES.get(r.source, r.source), slo(r.slo))


def cpu_per_wait(r: CpuPerWait) -> tuple[str, str]:
    if r.per_core:
        return cpu_per_wait_per_core(r)
    name = names(r.models)
    title = ("CPU a %s task may do per ms of waiting before threads win" % name if name
             else "CPU an event-loop task may do per ms of waiting before threads win")
    if not r.measured and r.beyond_slo:
        return title, _beyond_slo(r)
    if not r.measured:
        return title, ("not measured: no runs that mix waiting and CPU without blocking calls, "
                       "with both a model on one cooperative thread and a threaded model (the "
                       "decision-map and crossover sweeps produce them)")
    lo, hi = r.below, r.above
    if lo is not None and hi is not None:
        keeps_up = ("still wins" if lo.single_wins
                    else "still keeps up (within %d%%)" % round(TIE_FRACTION * 100))
        text = ("a %s task may do about %.0f-%.0f us of CPU per ms of waiting: at %s %s %s "
                "(%s vs %s tasks/s for %s); at %s %s wins (%s vs %s tasks/s)"
                % (name, lo.cpu_per_ms_us, hi.cpu_per_ms_us, _mix(lo), lo.single.label,
                   keeps_up, units.rate(lo.single.throughput),
                   units.rate(lo.threaded.throughput), lo.threaded.label, _mix(hi),
                   hi.threaded.label, units.rate(hi.threaded.throughput),
                   units.rate(hi.single.throughput)))
    elif hi is not None:
        text = "threads won every measured mix, from %s (%.0f us per ms of waiting: %s)" % (
            _mix(hi), hi.cpu_per_ms_us, _versus(hi.threaded, hi.single))
    else:
        text = ("%s won every measured mix, up to %s (%.0f us per ms of waiting: %s); the "
                "crossover lies beyond" % (name, _mix(lo), lo.cpu_per_ms_us,
                                           _versus(lo.single, lo.threaded)))
    n = r.tasks_in_flight
    if n:
        text += ("; with %d tasks in flight, where the %s's one core is full at 1,000 / (%d - 1) "
                 "= %.0f us per ms of waiting, so with more tasks in flight the limit is lower"
                 % (n, name, n, r.one_core_limit_us))
    return title, text + " (from %s, %s)" % (_SOURCES.get(r.source, r.source), slo(r.slo))


def _where_run(run) -> str:
    if run.open_loop:
        return "at %s tasks/s offered" % units.rate(run.rate or 0.0)
    return "at concurrency %d" % run.concurrency


def blocking_cost(r: BlockingCost) -> tuple[str, str]:
    name = names(r.models)
    title = "What one blocking call costs every other task on %s" % (
        "the " + name if name else "an event loop")
    if not r.measured:
        return title, "not measured: no runs with blocking steps on one cooperative thread"
    run, naive, off = r.run, r.naive, r.offloaded
    parts = []
    blk = r.block_stalls_us
    if blk:
        parts.append("each blocking call froze the %s for %s on average (%d logged stall%s, "
                     "longest %s), and every task due in that time waited for it"
                     % (name, units.duration_us(sum(blk) / len(blk)), len(blk),
                        "" if len(blk) == 1 else "s", units.duration_us(max(blk))))
    elif run.stall_known and run.stall("max"):
        parts.append("the %s's stall probe was held up to %s (p99 %s)" % (
            name, units.duration_us(run.stall("max")), units.duration_us(run.stall("p99"))))
    else:
        parts.append("the %s was held so long its stall probe never ran" % name)
    if r.busy_share is not None:
        parts.append("the %s completed %s tasks/s, %s of its time inside blocking calls and CPU"
                     % (name, units.rate(naive.throughput), units.percent(r.busy_share)))
    if off is not None and off.throughput and naive.throughput:
        parts.append("offloaded to threads: %s tasks/s (%s)" % (
            units.rate(off.throughput), units.ratio(off.throughput / naive.throughput)))
        if run.open_loop and naive.p99 and off.p99:
            parts.append("p99 %s naive vs %s offloaded" % (units.duration_us(naive.p99),
                                                           units.duration_us(off.p99)))
    return title, "with %s of blocking per task (%s, %s %s): %s" % (
        units.duration_us(r.block_us), run.workload, run.model, _where_run(run),
        "; ".join(parts))


def offload_cost(r: OffloadCost) -> tuple[str, str]:
    title = "What offloading one call to a thread costs"
    parts = []
    if r.micro_ns is not None:
        text = "the micro-benchmark %s measures %s per round trip" % (
            r.bench, units.duration_ns(r.micro_ns))
        if r.floor_ns:
            text += (" (%.1fx this machine's futex round trip of %s: most of it is waking a "
                     "sleeping thread)" % (r.micro_ns / r.floor_ns,
                                           units.duration_ns(r.floor_ns)))
        parts.append(text)
    nm, om = r.naive_mean_us, r.offloaded_mean_us
    if nm and om:
        run = r.run
        means = "on %s %s the mean latency is %s us offloaded vs %s us on the %s" % (
            run.workload, _where_run(run), "{:,.1f}".format(om), "{:,.1f}".format(nm),
            run.model)
        if om >= nm:
            parts.append("%s: +%s per call" % (means, units.duration_us(om - nm)))
        else:
            # Offloaded came out faster: the hop is below this run's noise.
            parts.append("%s: no cost measurable in latency (the hop is below the run-to-run "
                         "noise)" % means)
    nc, oc = r.naive_cpu_per_task_s, r.offloaded_cpu_per_task_s
    if nc is not None and oc is not None:
        parts.append("CPU per task %s vs %s" % (units.duration_us(oc * 1e6),
                                                units.duration_us(nc * 1e6)))
    if not parts:
        return title, ("not measured: needs runs of a workload with blocking steps on one "
                       "cooperative thread, naive and with --offload thread, or micro.json "
                       "with BM_<model>_offload for such a model")
    return title, "; ".join(parts)


def python_pair(r: PythonPair) -> tuple[str, str]:
    run = r.run
    where = "%s, %s %s" % (run.workload, run.model, _where_run(run))
    slow, fast = r.slow.throughput or 0.0, r.fast.throughput or 0.0
    ratio = " (%.1fx)" % r.ratio if r.ratio else ""
    if r.kind == "gil_cpu":
        title = "In %s, to_thread does not add CPU throughput" % r.interpreter
        if r.ratio is not None and r.ratio < 1.2:
            title = "In %s, threads kept up with processes on CPU work here" % r.interpreter
        return title, "%s tasks/s with threads vs %s with processes%s (%s)" % (
            units.rate(slow), units.rate(fast), ratio, where)
    title = "In %s, a blocking call holds the event loop; to_thread frees it" % r.interpreter
    return title, "%s tasks/s blocking on the loop vs %s with to_thread%s (%s)" % (
        units.rate(slow), units.rate(fast), ratio, where)


def per_core_cost(r: PerCoreCost) -> tuple[str, str]:
    title = "What a loop per core costs in CPU per task"
    if not r.measured:
        return title, ("not measured: needs a loop per core and one event loop run on the same "
                       "load, with their CPU (e.g. `ccbench run -m loop,shards -t 2 -w io:10ms "
                       "-c 10000`)")
    pc, one = r.per_core.run, r.one_loop.run
    text = ("on %s %s, %s used %s of CPU per task against %s's %s: %s" % (
        pc.workload, _where_run(pc), pc.label,
        units.duration_ns(r.per_core_cpu_per_task_s * 1e9), one.label,
        units.duration_ns(r.one_loop_cpu_per_task_s * 1e9), units.ratio(r.ratio)))
    if r.per_core_wakeups_per_s is not None and r.one_loop_wakeups_per_s is not None:
        text += ("; its %d stall probes woke their loops %s times a second against %s" % (
            pc.threads, units.rate(r.per_core_wakeups_per_s),
            units.rate(r.one_loop_wakeups_per_s)))
        extra = r.extra_wakeups_ns_per_task
        if extra is not None:
            diff_ns = (r.per_core_cpu_per_task_s - r.one_loop_cpu_per_task_s) * 1e9
            text += (", which at %s a wake-up on this host is %s per task" % (
                units.duration_us(r.wakeup_cpu_us), units.duration_ns(extra)))
            if diff_ns > 0:
                text += " of the %s difference" % units.duration_ns(diff_ns)
    if r.pairs > 1:
        text += "; over the %d loads both ran, %s to %s" % (
            r.pairs, units.ratio(r.ratios[0]), units.ratio(r.ratios[-1]))
    basis = "the window's own CPU" if pc.cpu_basis == "window" else \
        "the whole run's CPU scaled to the window"
    return title, text + " (%s over the tasks completed in it)" % basis


def rule(r) -> tuple[str, str]:
    """(title, text) of one of rules.rules()."""
    if isinstance(r, PerCoreCost):
        return per_core_cost(r)
    if isinstance(r, PythonPair):
        return python_pair(r)
    if isinstance(r, CpuPerWait):
        return cpu_per_wait(r)
    if isinstance(r, BlockingCost):
        return blocking_cost(r)
    if isinstance(r, OffloadCost):
        return offload_cost(r)
    if isinstance(r, HeadOfLine):
        return head_of_line(r)
    raise TypeError("no words for %r" % (r,))


def head_of_line(r: HeadOfLine) -> tuple[str, str]:
    """"with `report` on the loop, `api`'s p99 went from A to B; offloaded, C"."""
    alone = (" from %s (its own task time)" % units.duration_us(r.alone_us)
             if r.alone_us else "")
    line = ("with `%s` on the %s, `%s`'s p99 went%s to %s (%s, %s)"
            % (r.heavy, r.model, r.victim, alone, units.duration_us(r.on_loop_us), r.workload,
               r.load))
    if r.offloaded_us is not None:
        times = r.on_loop_us / r.offloaded_us if r.offloaded_us else None
        line += "; offloaded to a %s, %s" % (r.offload, units.duration_us(r.offloaded_us))
        if times and times >= 1.5:
            line += " (%.0fx lower)" % times if times >= 10 else " (%.1fx lower)" % times
    else:
        line += "; no offloaded run to compare (add --offload none,thread)"
    return "Head-of-line blocking", line


def check(c) -> str:
    """One derived warning (checks.checks)."""
    if isinstance(c, ProbeBlind):
        models = "/".join(c.models)
        return ("the stall probe took no samples in %d %s run(s) (%s): the %s was held for the "
                "whole window, so their stall figures are unmeasured, not zero"
                % (len(c.runs), models, ", ".join(c.scenarios), models))
    if isinstance(c, GeneratorLag):
        return ("the open-loop arrival generator fell behind its schedule by up to %.1f ms "
                "(%s at %s tasks/s): offered rates there are lower than asked"
                % (c.lag_ms, c.run.label, units.rate(c.run.rate)))
    if isinstance(c, SlowRamp):
        w = c.worst
        return ("%d run(s) took longer to give every client its first task than their warm-up "
                "lasted (worst: %s with %s in flight, %s against a %s warm-up; ramp_ms): the "
                "warm-up and window began after it, so their figures stand, but starting that "
                "many clients is a cost of its own" % (
                    len(c.runs), w.label, "{:,}".format(w.concurrency),
                    units.duration_us(w.ramp_ms * 1e3),
                    units.duration_us((w.get("warmup_s") or 0.0) * 1e6)))
    raise TypeError("no words for %r" % (c,))


def cpu_basis(b: CpuBasis) -> str:
    """What tasks per CPU-second rest on, for the efficiency chart and report."""
    if b.window and not b.scaled:
        return "CPU of the measured window alone (cpu_window_s)"
    if b.window:
        return ("CPU of the measured window alone where recorded (%d of %d bars), else CPU per "
                "wall second scaled to the window" % (b.window, b.window + b.scaled))
    return "CPU per wall second scaled to the measured window"


def workers_pss(labels: list[str]) -> str:
    """The efficiency chart's note on worker processes' memory."""
    return ("memory includes the worker processes' proportional set size (workers_pss_kb) "
            "for %s" % join(labels))


def sureness(s) -> str:
    """The report's sentence on how sure its p99s are (sureness.Sureness)."""
    if s.runs == 0:
        return "No successful runs."
    if s.recorded == 0:
        return ("This file records no percentile intervals (it predates latency_ci_us): how "
                "sure each p99 is cannot be told.")
    out = ("%d of %d p99s are within +-%d%% (their 95%% interval, from order statistics); "
           "%d %s unbounded (fewer than 368 samples: no interval above the p99 at all)"
           % (s.within, s.recorded, round(100 * SURE_WITHIN), s.unbounded,
              "is" if s.unbounded == 1 else "are"))
    if s.recorded - s.within - s.unbounded:
        out += ", the other %d wider" % (s.recorded - s.within - s.unbounded)
    out += ". Tables mark a number ~ when its interval is wider than +-20%."
    if s.asked:
        out += (" %d of %d runs that asked for a precision (--precision) reached it"
                % (s.met, s.asked))
        if s.missed:
            names = ", ".join("%s %s %s" % (r.label, r.scenario, "c=%d" % r.concurrency
                                             if not r.open_loop else "%s/s" % units.rate(r.rate))
                              for r in s.missed[:8])
            out += "; not: %s%s" % (names, " and more" if len(s.missed) > 8 else "")
        out += "."
    return out

def net_costs_intro():
    """The paragraph above the table of what real I/O adds per task (netio.py)."""
    return ("CPU per task of each `net` scenario (a TCP round trip to the delay server) "
            "against its timer twin (the same task with an awaited timer), same model and "
            "concurrency: the difference is what a socket's round trip costs the model. The "
            "delay server's own CPU per request is beside it; it ran in a process of its own "
            "and is not in the model's figures. At low concurrency the stall probe's wake-ups "
            "make most of a task's CPU, and the difference is within their noise (it can come "
            "out negative).")


def glue_intro(limit):
    """The paragraph above the table of what ccbench itself costs each model
    (microbench.glue_costs)."""
    return ("CPU per task of each model on `-w io:10ms -c 10000 -t 1` run by ccbench (its "
            "driver, records and monitor), against a bare program of the model's own library "
            "on the same load with nothing recorded (`BM_<model>_sleepers`), both taken in "
            "the same `ccbench-micro` run. A model is held to at most %.1fx: past that, the "
            "comparison would measure ccbench's glue rather than the library." % limit)


def glue_unsettled(min_runs):
    """Below the glue table when its figures are single runs."""
    return ("These are single runs: on a shared VM one pair moves by a fifth either way, so "
            "a model is judged only on the medians of %d or more repetitions, taken with "
            "`build/ccbench-micro --benchmark_filter='BM_(loop|asio|fiber)_sleepers' "
            "--benchmark_repetitions=5 --benchmark_enable_random_interleaving=true` "
            "(docs/measurement.md)." % min_runs)
