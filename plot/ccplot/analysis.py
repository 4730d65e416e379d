"""What the numbers say: winners, reasons, saturation, decision-map cells and
the rules learned on a host. Pure functions over loaded runs: no drawing, no
files, so they can be tested against hand-made data with a known answer."""

import math
import re

from . import units
from .load import STEP_KINDS, fold, median

DEFAULT_SLO = "10x"

# Two throughputs closer than this are a tie: run-to-run noise on a shared
# machine is of this order, so a "winner" by less would be a coin toss.
TIE_FRACTION = 0.05

# Open loop: a rate is past saturation when the model completes less than this
# share of what was offered, or when p99 grows past this multiple of its p99
# at the lowest rate.
SATURATION_ACHIEVED = 0.95
SATURATION_P99_JUMP = 10.0


class Slo:
    """A p99 limit: a multiple of the task's own expected duration ("10x"), or
    an absolute time ("50ms")."""

    _UNIT_US = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}

    def __init__(self, factor=None, absolute_us=None):
        self.factor = factor
        self.absolute_us = absolute_us

    @classmethod
    def parse(cls, text):
        """Raises ValueError naming the text."""
        t = (text or "").strip().lower()
        m = re.fullmatch(r"([0-9]*\.?[0-9]+)\s*x", t)
        if m and float(m.group(1)) > 0:
            return cls(factor=float(m.group(1)))
        m = re.fullmatch(r"([0-9]*\.?[0-9]+)\s*(ns|us|ms|s)", t)
        if m and float(m.group(1)) > 0:
            return cls(absolute_us=float(m.group(1)) * cls._UNIT_US[m.group(2)])
        raise ValueError("--slo '%s': expected a multiple of the task's duration such as 10x, "
                         "or a time such as 50ms" % text)

    def limit_us(self, task_total_us):
        """The p99 limit in us for a task of this expected duration (None: unknown)."""
        if self.absolute_us is not None:
            return self.absolute_us
        if not task_total_us:
            return None
        return self.factor * task_total_us

    def describe(self):
        if self.absolute_us is not None:
            return "p99 under %s" % units.duration_us(self.absolute_us)
        return "p99 under %gx the task's own duration" % self.factor


class Candidate:
    """A model label's best showing in one scenario: the configuration with
    the highest throughput whose p99 meets the SLO (else its best overall,
    with meets_slo False). `fastest` is the best overall when that is a
    different, SLO-breaking configuration."""

    def __init__(self, point, slo_us, fastest=None, gap=None):
        r = point.run
        self.gap = gap  # (last load meeting the SLO, first load breaking it), far apart
        self.point = point
        self.run = r
        self.label = r.label
        self.model = r.model
        self.offload = r.offload
        self.threads = r.threads
        self.throughput = point.throughput
        self.p99_us = point.p99
        self.p50_us = point.median_of(lambda x: x.latency("p50"))
        self.concurrency = r.concurrency
        self.rate = r.rate
        self.cpu_rate = point.median_of(lambda x: x.cpu_rate)
        self.stall_known = any(x.stall_known for x in point.runs)
        self.stall_max_us = point.median_of(lambda x: x.stall("max"))
        self.stall_p99_us = point.median_of(lambda x: x.stall("p99"))
        self.slo_us = slo_us
        self.meets_slo = slo_us is None or (self.p99_us is not None and self.p99_us <= slo_us)
        self.fastest = fastest
        self.n = point.n

    @property
    def single_thread(self):
        """One scheduler thread: a model that is one thread by definition, or
        one sized to one thread."""
        return not self.run.traits.uses_threads or self.threads == 1

    @property
    def where(self):
        if self.run.open_loop:
            return "at %s tasks/s offered" % units.rate(self.rate)
        return "at concurrency %d" % self.concurrency

    def __repr__(self):
        return "Candidate(%s %.0f/s p99=%s slo=%s)" % (self.label, self.throughput or 0,
                                                       self.p99_us, self.meets_slo)


def _task_us(runs):
    for r in runs:
        t = r.task_mean_us
        if t:
            return t
    return None


def candidates(runs, slo):
    """Best Candidate per model label over these runs (one scenario), ranked:
    SLO-meeting ones by throughput, then the rest by throughput."""
    task = _task_us(runs)
    limit = slo.limit_us(task["total"] if task else None)
    by_label = {}
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


def _load_of(p):
    return p.run.rate if p.run.open_loop else p.run.concurrency


def _gap(points, meeting):
    """(highest load meeting the SLO, next load measured) when the next is
    more than twice the first: the sweep skipped where the best answer may be."""
    ok = max(_load_of(p) for p in meeting)
    above = [_load_of(p) for p in points if _load_of(p) > ok]
    if above and min(above) > 2 * ok:
        return ok, min(above)
    return None


class Verdict:
    """One scenario's answer: winner, runner-up, and why."""

    def __init__(self, scenario, workload, task_us, slo, slo_us, ranked, reason, tie):
        self.scenario = scenario
        self.workload = workload
        self.task_us = task_us
        self.slo = slo
        self.slo_us = slo_us
        self.ranked = ranked  # every label's Candidate, SLO-meeting first
        meeting = [c for c in ranked if c.meets_slo]
        self.winner = meeting[0] if meeting else None
        self.runner_up = meeting[1] if len(meeting) > 1 else None
        self.reason = reason
        self.tie = tie

    @property
    def violators(self):
        """Configurations faster than the winner that break the SLO."""
        top = self.winner.throughput if self.winner else 0
        out = []
        for c in self.ranked:
            v = c.fastest if c.meets_slo else c
            if v is not None and not v.meets_slo and (v.throughput or 0) > top:
                out.append(v)
        return out


def _workers(n, processes=False):
    if processes:
        return "%d worker process%s" % (n, "" if n == 1 else "es")
    return "%d thread%s" % (n, "" if n == 1 else "s")


def _tasks(n):
    return "%d task%s" % (n, "" if n == 1 else "s")


def offload_processes(c):
    """How many worker processes a model with --offload process sent its cpu
    steps to (the model's own note), else 0."""
    return c.run.offload_processes


def load_bound(c, task_us):
    """True when a closed-loop candidate completes about as many tasks as its
    concurrency allows (C tasks in flight / task time): the load, not the
    model, is the limit."""
    if c.run.open_loop or not c.concurrency or not task_us or not task_us["total"]:
        return False
    return (c.throughput or 0) * task_us["total"] / 1e6 / c.concurrency >= 0.85


def limits(c, task_us):
    """Short verb phrases saying what holds a candidate back, from its
    numbers; each reads after the model's label ("pool x2 is capped by ...")."""
    out = []
    tp = c.throughput or 0
    if task_us:
        sched = 1 if c.single_thread else c.threads
        in_processes = c.run.task_processes > 0  # the `sched` workers are processes
        procs = offload_processes(c)
        cooperative = c.run.traits.cooperative
        if cooperative and procs and task_us["cpu"] > 0:
            # --offload process: the cpu steps run in worker processes (and
            # blocking ones in threads), so the processes are what holds it back.
            sched, in_processes = procs, True
            held_us = task_us["cpu"]
            blocking = False
        elif cooperative:
            # Waits free the thread: only CPU (and blocking, unless offloaded) holds it.
            held_us = task_us["cpu"] + (task_us["block"] if c.offload == "none" else 0.0)
            blocking = c.offload == "none" and task_us["block"] > 0
        else:
            held_us = task_us["total"]
            blocking = task_us["io"] + task_us["block"] > 0
        if held_us > 0 and 0.8 <= tp * held_us / 1e6 / sched <= 1.15:
            cap = units.rate(sched / (held_us / 1e6))
            if blocking and cooperative:
                out.append("runs %s blocking call%s at a time: %s of blocking and CPU per task "
                           "caps it at %s tasks/s" % ("one" if sched == 1 else "at most %d" % sched,
                                                      "" if sched == 1 else "s",
                                                      units.duration_us(held_us), cap))
            elif blocking:
                out.append("is capped by its %s, each held for the whole %s task: %d / %s = "
                           "%s tasks/s" % (_workers(sched, in_processes), units.duration_us(held_us), sched,
                                           units.duration_us(held_us), cap))
            elif sched == 1 and not procs:
                out.append("saturates its one core at %s tasks/s (cpu %.2f s per s)"
                           % (units.rate(tp), c.cpu_rate or 0))
            else:
                out.append("keeps its %s busy computing: %d / %s of CPU = %s tasks/s"
                           % (_workers(sched, in_processes), sched, units.duration_us(held_us),
                              cap))
        elif sched == 1 and not procs and task_us["cpu"] > 0 and (c.cpu_rate or 0) >= 0.85:
            out.append("saturates its one core at %s tasks/s (cpu %.2f s per s)"
                       % (units.rate(tp), c.cpu_rate))
        elif load_bound(c, task_us):
            out.append("is held back by the load, not the model: %s in flight / %s per task "
                       "= %s tasks/s" % (_tasks(c.concurrency), units.duration_us(task_us["total"]),
                                         units.rate(c.concurrency / (task_us["total"] / 1e6))))
    if c.run.traits.cooperative and not c.stall_known:
        out.append("never let its stall probe run: the scheduler was held for the whole window")
    elif c.stall_known and c.stall_max_us is not None and (
            c.stall_max_us >= 10e3 or (c.stall_p99_us or 0) >= 1e3):
        out.append("kept its stall probe waiting up to %s (p99 %s)"
                   % (units.duration_us(c.stall_max_us), units.duration_us(c.stall_p99_us)))
    return out


def _strengths(w, r, task_us):
    out = []
    if w.cpu_rate is not None and w.cpu_rate >= 1.3 and (r.cpu_rate or 0) < 0.8 * w.cpu_rate:
        out.append("%s uses %.1f cores (cpu %.2f s per s)" % (w.label, w.cpu_rate, w.cpu_rate))
    if w.offload != "none" and task_us and task_us["block"] > 0:
        out.append("%s hands its blocking calls to threads" % w.label)
    if (w.stall_known and r.stall_known and w.stall_max_us is not None
            and r.stall_max_us and w.stall_max_us < 0.5 * r.stall_max_us
            and r.stall_max_us >= 10e3):
        out.append("%s stalls at most %s" % (w.label, units.duration_us(w.stall_max_us)))
    return out


def explain(w, r, task_us, violators=(), slo=None, ranked=()):
    """The reason, computed from the data, that w beats r. Returns (text, tie)."""
    parts = []
    tie = False
    if w is None:
        text = "no configuration kept %s" % (slo.describe() if slo else "p99 under the SLO")
        if violators:
            v = violators[0]
            text += "; the fastest, %s, does %s tasks/s %s with p99 %s" % (
                v.label, units.rate(v.throughput), v.where, units.duration_us(v.p99_us))
        return text, False
    if r is None:
        parts.append("%s is the only model that meets the SLO" % w.label)
    else:
        ratio = (w.throughput or 0) / r.throughput if r.throughput else math.inf
        if ratio < 1 + TIE_FRACTION:
            tie = True
            tied = [c for c in ranked if c.meets_slo and c.throughput
                    and (w.throughput or 0) / c.throughput < 1 + TIE_FRACTION] or [w, r]
            lo = min(c.throughput for c in tied)
            parts.append("a tie: %s are within %s of each other (%s to %s tasks/s), inside "
                         "run-to-run noise" % (_join([c.label for c in tied]),
                                               units.percent(w.throughput / lo - 1, 1),
                                               units.rate(lo), units.rate(w.throughput)))
            if all(load_bound(c, task_us) for c in tied):
                parts.append("all are held back by the load: %s in flight / %s per task "
                             "= %s tasks/s; more concurrency would separate them" % (
                                 _tasks(w.concurrency), units.duration_us(task_us["total"]),
                                 units.rate(w.concurrency / (task_us["total"] / 1e6))))
            elif w.p99_us and r.p99_us:
                lo_c, hi_c = (w, r) if w.p99_us <= r.p99_us else (r, w)
                if hi_c.p99_us > 1.1 * lo_c.p99_us:
                    parts.append("%s has the lower p99 (%s vs %s)" % (
                        lo_c.label, units.duration_us(lo_c.p99_us),
                        units.duration_us(hi_c.p99_us)))
        else:
            how = ("%.1fx the tasks of" % ratio if ratio >= 2 else
                   "%s more tasks than" % units.percent(ratio - 1))
            parts.append("%s completes %s %s" % (w.label, how, r.label))
            parts.extend("%s %s" % (r.label, x) for x in limits(r, task_us))
            if r.fastest is not None:
                parts.append("at %s %s reaches %s tasks/s, but with p99 %s, over the limit" % (
                    r.fastest.where.replace("at ", "", 1), r.label,
                    units.rate(r.fastest.throughput), units.duration_us(r.fastest.p99_us)))
            parts.extend(_strengths(w, r, task_us))
    by_label = {c.label: c for c in ranked}
    for v in violators:
        if v.label in (w.label, r.label if r else None):
            continue
        text = "%s reaches %s tasks/s %s but its p99 of %s breaks the %s limit" % (
            v.label, units.rate(v.throughput), v.where, units.duration_us(v.p99_us),
            units.duration_us(v.slo_us))
        gap = getattr(by_label.get(v.label), "gap", None)
        if gap:
            what = "rate" if v.run.open_loop else "concurrency"
            text += (" (nothing was measured between %s %s and %s, where it may do better "
                     "within the limit)" % (what, units.rate(gap[0]) if v.run.open_loop
                                            else gap[0], units.rate(gap[1]) if v.run.open_loop
                                            else gap[1]))
        parts.append(text)
    return "; ".join(parts), tie


def _join(items):
    items = list(items)
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def verdict(runs, slo):
    """The Verdict for runs of one scenario (closed or open loop)."""
    ranked = candidates(runs, slo)
    task = _task_us(runs)
    limit = slo.limit_us(task["total"] if task else None)
    scenario = runs[0].scenario if runs else "?"
    workload = runs[0].workload if runs else ""
    v = Verdict(scenario, workload, task, slo, limit, ranked, "", False)
    if not ranked:
        v.reason = "no run of this scenario succeeded"
    else:
        v.reason, v.tie = explain(v.winner, v.runner_up, task, v.violators, slo, ranked)
    return v


def scenario_runs(results):
    """Closed-loop runs for the per-scenario answers: the "scenarios" group,
    or every closed-loop run of a file without groups (and `ccbench run`
    output, group "")."""
    if results.has_groups:
        runs = [r for r in results.runs if r.group in ("scenarios", "") and not r.open_loop]
    else:
        runs = [r for r in results.runs if not r.open_loop]
    return runs


def by_scenario(runs):
    """{scenario: [runs]} in order of first appearance."""
    out = {}
    for r in runs:
        out.setdefault(r.scenario, []).append(r)
    return out


def verdicts(results, slo):
    return [verdict(rs, slo) for rs in by_scenario(scenario_runs(results)).values()]


def saturation_index(points, achieved_fraction=SATURATION_ACHIEVED,
                     p99_jump=SATURATION_P99_JUMP):
    """First index past saturation in [(offered, achieved, p99_us)] sorted by
    offered rate: achieved below achieved_fraction of offered, or p99 above
    p99_jump x the p99 at the lowest rate. None when it never saturates."""
    base = next((p[2] for p in points if p[2]), None)
    for i, (offered, achieved, p99) in enumerate(points):
        if offered and achieved is not None and achieved < achieved_fraction * offered:
            return i
        if base and p99 and p99 > p99_jump * base:
            return i
    return None


class Cell:
    """One decision-map cell: a task mix and who wins it under the SLO."""

    def __init__(self, cpu_share, block_share, task_us, workload, verdict_):
        self.cpu_share = cpu_share
        self.block_share = block_share
        self.task_us = task_us
        self.workload = workload
        self.verdict = verdict_
        self.winner = verdict_.winner
        self.runner_up = verdict_.runner_up

    @property
    def margin(self):
        """Winner's throughput over the runner-up's, minus one (None: no runner-up)."""
        if not self.winner or not self.runner_up or not self.runner_up.throughput:
            return None
        return self.winner.throughput / self.runner_up.throughput - 1


def decision_runs(results):
    """(runs, source) for the decision map: the "decision-map" group, else the
    closed-loop scenario runs (each scenario is one cell of the map)."""
    runs = results.in_group("decision-map")
    if runs:
        return runs, "decision-map"
    return scenario_runs(results), "scenarios"


def decision_cells(runs, slo):
    """Cells keyed by (cpu share, blocking share) of task time. When two
    workloads land on the same cell the one with more runs is kept."""
    by_workload = {}
    for r in runs:
        by_workload.setdefault(r.workload, []).append(r)
    cells = {}
    for workload, rs in by_workload.items():
        t = _task_us(rs)
        if not t or not t["total"]:
            continue
        key = (round(t["cpu"] / t["total"], 4), round(t["block"] / t["total"], 4))
        if key in cells and len(cells[key][1]) >= len(rs):
            continue
        cells[key] = (workload, rs, t)
    out = []
    for (cpu, block), (workload, rs, t) in sorted(cells.items()):
        out.append(Cell(cpu, block, t, workload, verdict(rs, slo)))
    return out


class Rule:
    def __init__(self, title, text, measured=True):
        self.title = title
        self.text = text
        self.measured = measured  # False: the data needed is missing


def _loop_like(x):
    """One cooperative scheduler thread (a run or a Candidate): an event loop
    that is one thread by definition, or a cooperative model on one thread."""
    r = getattr(x, "run", x)
    return r.traits.cooperative and (not r.traits.uses_threads or r.threads == 1)


def loop_models(results):
    """Names of the file's models that are one cooperative thread by
    definition (the event loops the rules speak of), in display order."""
    return [m for m in results.models if results.registry.traits(m).cooperative
            and not results.registry.traits(m).uses_threads]


def _loop_name(results, runs=()):
    """What the rules call the event loop: the model of these runs, else the
    file's one-thread cooperative model, else a generic phrase."""
    names = list(dict.fromkeys(r.model for r in runs)) or loop_models(results)
    return "/".join(names) if names else "event-loop"


def _best(cands, pred):
    xs = [c for c in cands if pred(c) and c.meets_slo]
    return max(xs, key=lambda c: c.throughput) if xs else None


def rule_cpu_per_wait(results, slo):
    """How much CPU per ms of waiting an event-loop task may do before threads win."""
    runs = results.in_group("crossover")
    source = "crossover runs"
    if not runs:
        runs, src = decision_runs(results)
        source = "decision-map cells" if src == "decision-map" else "scenario runs"
    # (cpu us per ms of io, loop-like best, threaded best) for mixes without blocking
    points = []
    by_workload = {}
    for r in runs:
        by_workload.setdefault(r.workload, []).append(r)
    for rs in by_workload.values():
        t = _task_us(rs)
        if not t or t["block"] > 0 or t["io"] <= 0 or t["cpu"] <= 0:
            continue
        cands = candidates(rs, slo)
        loop = _best(cands, _loop_like)
        thr = _best(cands, lambda c: not _loop_like(c))
        if loop and thr:
            points.append((t["cpu"] / (t["io"] / 1e3), t, loop, thr))
    name = _loop_name(results, [p[2].run for p in points])
    title = "CPU a %s task may do per ms of waiting before threads win" % name
    if not points:
        return Rule(title, "not measured: no runs that mix waiting and CPU without blocking "
                    "calls, with both a model on one cooperative thread and a threaded model "
                    "(the decision-map and crossover sweeps produce them)", measured=False)
    points.sort(key=lambda p: p[0])
    # Threads win a mix only by more than the tie margin (the crossover sweep
    # bisects the same way); within it the loop still keeps up.
    thr_wins = [p for p in points
                if p[3].throughput > (1 + TIE_FRACTION) * p[2].throughput]
    loop_wins = [p for p in points if p not in thr_wins]

    def keeps_up(p):
        if p[2].throughput >= (1 + TIE_FRACTION) * p[3].throughput:
            return "still wins"
        return "still keeps up (within %d%%)" % round(TIE_FRACTION * 100)

    def mix(p):
        return "%s of CPU per %s of waiting" % (units.duration_us(p[1]["cpu"]),
                                                  units.duration_us(p[1]["io"]))

    if loop_wins and thr_wins:
        lo = max((p for p in loop_wins if p[0] < thr_wins[0][0]), key=lambda p: p[0],
                 default=None)
        hi = thr_wins[0]
        if lo is None:
            text = ("threads won every measured mix, from %s (%.0f us per ms of waiting: %s "
                    "%s vs %s %s tasks/s)" % (mix(hi), hi[0], hi[3].label,
                                              units.rate(hi[3].throughput), hi[2].label,
                                              units.rate(hi[2].throughput)))
        else:
            text = ("a %s task may do about %.0f-%.0f us of CPU per ms of waiting: at %s "
                    "%s %s (%s vs %s tasks/s for %s); at %s %s wins (%s vs %s tasks/s)"
                    % (name, lo[0], hi[0], mix(lo), lo[2].label, keeps_up(lo),
                       units.rate(lo[2].throughput),
                       units.rate(lo[3].throughput), lo[3].label, mix(hi), hi[3].label,
                       units.rate(hi[3].throughput), units.rate(hi[2].throughput)))
    elif loop_wins:
        p = loop_wins[-1]
        text = ("%s won every measured mix, up to %s (%.0f us per ms of waiting: %s %s "
                "vs %s %s tasks/s); the crossover lies beyond" % (
                    name, mix(p), p[0], p[2].label, units.rate(p[2].throughput), p[3].label,
                    units.rate(p[3].throughput)))
    else:
        p = thr_wins[0]
        text = ("threads won every measured mix, from %s (%.0f us per ms of waiting: %s %s vs "
                "%s %s tasks/s)" % (mix(p), p[0], p[3].label, units.rate(p[3].throughput),
                                    p[2].label, units.rate(p[2].throughput)))
    return Rule(title, text + _one_core_limit(points, name) + " (from %s, %s)" % (
        source, slo.describe()))


def _one_core_limit(points, name):
    """Where the event loop's one core runs out, for closed-loop points that all
    ran with the same N tasks in flight ("" otherwise). Each task waits w, then
    computes c on the loop, so the loop is full once N c = w + c: at
    1,000 / (N - 1) us of CPU per ms of waiting. The limit is a matter of N,
    and a reader must know N to carry it over."""
    if any(p[2].run.open_loop for p in points):
        return ""
    ns = {p[2].concurrency for p in points}
    n = ns.pop() if len(ns) == 1 else 0
    if n < 2:
        return ""
    return ("; with %d tasks in flight, where the %s's one core is full at 1,000 / (%d - 1) "
            "= %.0f us per ms of waiting, so with more tasks in flight the limit is lower"
            % (n, name, n, 1e3 / (n - 1)))


def _pair_runs(runs):
    """{(model, workload, arrival, concurrency, rate): {offload: Point}} for
    runs on one cooperative thread."""
    out = {}
    for p in fold(runs):
        r = p.run
        if not _loop_like(r):
            continue
        key = (r.model, r.workload, r.arrival, r.concurrency, r.rate or 0.0)
        out.setdefault(key, {})[r.offload] = p
    return out


def rule_blocking_cost(results):
    """What one blocking call of N ms costs every other task on an event loop."""
    runs = results.in_group("stalls") or scenario_runs(results)
    runs = [r for r in runs if (r.task_mean_us or {}).get("block", 0) > 0]
    pairs = [(k, v) for k, v in _pair_runs(runs).items() if "none" in v]
    if not pairs:
        return Rule("What one blocking call costs every other task on the %s"
                    % _loop_name(results), "not measured: no runs with blocking steps on one "
                    "cooperative thread", measured=False)

    # Prefer a pair with the offloaded twin, a stall log, a measured stall;
    # then the lightest load above the lightest measured: there are other
    # tasks to delay, and the loop is not yet drowning in its own backlog.
    lightest = min((k[4] or k[3]) for k, _ in pairs)

    def rank(kv):
        (model, workload, arrival, conc, rate), v = kv
        naive = v["none"].run
        load = rate or conc
        return ("thread" in v, bool(naive.get("stall_log")), naive.stall_known,
                load > lightest, -load)

    (model, workload, arrival, conc, rate), v = max(pairs, key=rank)
    title = "What one blocking call costs every other task on the %s" % model
    naive = v["none"]
    off = v.get("thread")
    t = naive.run.task_mean_us
    block_us = t["block"]
    where = ("at %s tasks/s offered" % units.rate(rate) if arrival == "open"
             else "at concurrency %d" % conc)
    parts = []
    log = [e for e in (naive.run.get("stall_log") or [])
           if isinstance(e, dict) and e.get("length_ms") is not None]
    blk = [e["length_ms"] * 1e3 for e in log if e.get("step") == "block"]
    if blk:
        parts.append("each blocking call froze the %s for %s on average (%d logged stall%s, "
                     "longest %s), and every task due in that time waited for it"
                     % (model, units.duration_us(sum(blk) / len(blk)), len(blk),
                        "" if len(blk) == 1 else "s", units.duration_us(max(blk))))
    elif naive.run.stall_known and naive.run.stall("max"):
        parts.append("the %s's stall probe was held up to %s (p99 %s)" % (
            model, units.duration_us(naive.run.stall("max")), units.duration_us(naive.run.stall("p99"))))
    else:
        parts.append("the %s was held so long its stall probe never ran" % model)
    if naive.throughput and t["block"] + t["cpu"] > 0:
        busy = naive.throughput * (t["block"] + t["cpu"]) / 1e6
        parts.append("the %s completed %s tasks/s, %s of its time inside blocking calls "
                     "and CPU" % (model, units.rate(naive.throughput), units.percent(min(busy, 1.0))))
    if off is not None and off.throughput and naive.throughput:
        parts.append("offloaded to threads: %s tasks/s (%s)" % (
            units.rate(off.throughput), units.ratio(off.throughput / naive.throughput)))
        if arrival == "open" and naive.p99 and off.p99:
            parts.append("p99 %s naive vs %s offloaded" % (units.duration_us(naive.p99),
                                                           units.duration_us(off.p99)))
    return Rule(title, "with %s of blocking per task (%s, %s %s): %s" % (
        units.duration_us(block_us), workload, model, where, "; ".join(parts)))


def micro_ns(results, name):
    """real_time in ns of a Google Benchmark entry (the median aggregate when
    repetitions were run), or None."""
    micro = results.micro
    if not micro:
        return None
    scale = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
    best = None
    for b in micro.get("benchmarks", []):
        if not isinstance(b, dict):
            continue
        run_name = str(b.get("run_name") or b.get("name", "")).split("/")[0]
        if run_name != name or b.get("real_time") is None or b.get("error_occurred"):
            continue
        t = float(b["real_time"]) * scale.get(b.get("time_unit", "ns"), 1.0)
        if b.get("run_type") == "aggregate":
            if b.get("aggregate_name") == "median":
                return t
            continue
        best = t if best is None else min(best, t)
    return best


def rule_offload_cost(results):
    """What offloading one blocking call to a thread costs: a model on one
    cooperative thread, naive against --offload thread, and its
    BM_<model>_offload micro-benchmark."""
    title = "What offloading one call to a thread costs"
    runs = results.in_group("stalls") + scenario_runs(results)
    runs = [r for r in runs if (r.task_mean_us or {}).get("block", 0) > 0]
    pairs = [(k, v) for k, v in _pair_runs(runs).items() if "none" in v and "thread" in v]
    # Least loaded pair: at concurrency 1 (or the lowest rate) the naive loop
    # is not yet slowed by its own blocking, so the difference is the hop.
    pair = min(pairs, key=lambda kv: (kv[0][4] or kv[0][3], kv[0][1])) if pairs else None
    models = [pair[0][0]] if pair else loop_models(results)
    parts = []
    for model in models:
        bench = "BM_%s_offload" % model
        micro = micro_ns(results, bench)
        if micro is None:
            continue
        text = "the micro-benchmark %s measures %s per round trip" % (
            bench, units.duration_ns(micro))
        floor = micro_ns(results, "BM_floor_futex_handoff")
        if floor:
            # A round trip wakes the worker, then the loop: two thread
            # wake-ups, which the futex floor prices on this machine.
            text += (" (%.1fx this machine's futex round trip of %s: most of it is "
                     "waking a sleeping thread)" % (micro / floor, units.duration_ns(floor)))
        parts.append(text)
        break
    if pair:
        (model, workload, arrival, conc, rate), v = pair
        naive, off = v["none"], v["thread"]
        nm = naive.median_of(lambda r: r.latency("mean"))
        om = off.median_of(lambda r: r.latency("mean"))
        where = ("at %s tasks/s offered" % units.rate(rate) if arrival == "open"
                 else "at concurrency %d" % conc)
        if nm and om:
            means = ("on %s %s the mean latency is %s us offloaded vs %s us on the %s"
                     % (workload, where, "{:,.1f}".format(om), "{:,.1f}".format(nm), model))
            if om >= nm:
                parts.append("%s: +%s per call" % (means, units.duration_us(om - nm)))
            else:
                # Offloaded came out faster: the hop is below this run's noise.
                parts.append("%s: no cost measurable in latency (the hop is below the "
                             "run-to-run noise)" % means)
        nc = naive.median_of(lambda r: r.cpu_rate / r.throughput
                             if r.cpu_rate is not None and r.throughput else None)
        oc = off.median_of(lambda r: r.cpu_rate / r.throughput
                           if r.cpu_rate is not None and r.throughput else None)
        if nc is not None and oc is not None:
            parts.append("CPU per task %s vs %s" % (units.duration_us(oc * 1e6),
                                                    units.duration_us(nc * 1e6)))
    if not parts:
        return Rule(title, "not measured: needs runs of a workload with blocking steps on one "
                    "cooperative thread, naive and with --offload thread, or micro.json with "
                    "BM_<model>_offload for such a model", measured=False)
    return Rule(title, "; ".join(parts))


def rules(results, slo):
    return [rule_cpu_per_wait(results, slo), rule_blocking_cost(results),
            rule_offload_cost(results)]


def efficiency_rows(runs):
    """Per (scenario, label): tasks per CPU-second at the label's best
    throughput, and memory per in-flight task at its highest concurrency."""
    out = []
    for scen, rs in by_scenario(runs).items():
        labels = {}
        for p in fold(rs):
            labels.setdefault(p.run.label, []).append(p)
        for label, points in labels.items():
            best = max(points, key=lambda p: p.throughput or 0)
            widest = max(points, key=lambda p: p.run.concurrency)
            narrowest = min(points, key=lambda p: p.run.concurrency)
            out.append({
                "scenario": scen, "label": label, "run": best.run,
                "tasks_per_cpu_s": best.median_of(lambda r: r.tasks_per_cpu_s),
                "throughput": best.throughput,
                "concurrency": best.run.concurrency,
                "rss_per_task_bytes": widest.median_of(lambda r: r.rss_per_task_bytes),
                "rss_concurrency": widest.run.concurrency,
                "rss_per_extra_task_bytes": rss_slope(narrowest, widest),
                "rss_concurrency_from": narrowest.run.concurrency,
            })
    return out


def rss_slope(lo, hi):
    """What one more task in flight adds to peak RSS, in bytes: the growth of
    the memory a run used (peak over start) from the lowest concurrency to the
    highest, over the extra tasks. Unlike peak RSS / tasks in flight, the
    process's baseline and the pages inherited from the suite cancel out.
    None with a single concurrency level or no RSS."""
    extra = hi.run.concurrency - lo.run.concurrency
    if extra <= 0:
        return None
    kb_hi = hi.median_of(lambda r: r.rss_used_kb)
    kb_lo = lo.median_of(lambda r: r.rss_used_kb)
    if kb_hi is None or kb_lo is None:
        return None
    return (kb_hi - kb_lo) * 1024.0 / extra


def step_share_text(t):
    """"io 81% / cpu 3% / block 16%" of a task_mean_us dict."""
    if not t or not t.get("total"):
        return ""
    return " / ".join("%s %s" % (k, units.percent(t[k] / t["total"])) for k in STEP_KINDS
                      if t[k] > 0)


__all__ = ["Slo", "Candidate", "Verdict", "Cell", "Rule", "candidates", "verdict", "verdicts",
           "explain", "limits", "saturation_index", "decision_cells", "decision_runs",
           "scenario_runs", "by_scenario", "rules", "efficiency_rows", "micro_ns", "median"]
