"""Reading ccbench results: a run directory or a results.json file.

Every optional field of the schema may be absent or null (older files, failed
runs, models that do not measure it): accessors return None rather than
raising, and each chart decides what to do without the data. A run's model
traits (label, order, colour) come from the file's Registry (registry.py).
"""

import json
import math
import os
import re
import statistics

from .registry import ModelTraits, Registry, model_label  # noqa: F401  (model_label: re-exported)

SCHEMA_PREFIX = "ccbench.results/"

STEP_KINDS = ("io", "cpu", "block", "net")


class LoadError(Exception):
    """A results path that cannot be read; the message names the path."""


def dig(d, path, default=None):
    """d["a"]["b"] for path "a.b"; default when any part is missing, null or not finite."""
    cur = d
    for part in path.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return default
        cur = cur[part]
    if cur is None:
        return default
    if isinstance(cur, float) and not math.isfinite(cur):
        return default
    return cur


_UNIT_US = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}
_STEP_RE = re.compile(r"^\s*(io|cpu|block|net)\s*:\s*~?\s*([0-9]*\.?[0-9]+)\s*(ns|us|ms|s)\s*"
                      r"(?::\s*[0-9]+\s*(?:B|KiB|MiB)?\s*)?(?:@\s*([0-9]*\.?[0-9]+)\s*%)?\s*$")


def workload_means_us(spec):
    """Expected time per task in each step kind of a workload spec, like
    task_mean_us in newer results: {"io", "cpu", "block", "net", "total"} in us, or
    None when the spec does not parse."""
    if not spec:
        return None
    out = {k: 0.0 for k in STEP_KINDS}
    for piece in spec.split(","):
        m = _STEP_RE.match(piece)
        if not m:
            return None
        kind, value, unit, percent = m.groups()
        share = float(percent) / 100.0 if percent is not None else 1.0
        out[kind] += float(value) * _UNIT_US[unit] * share
    out["total"] = sum(out[k] for k in STEP_KINDS)
    return out


class Run:
    """One entry of runs[] with defaults for absent fields. `registry` is the
    file's (Results.registry); a run made alone reads its own traits."""

    def __init__(self, raw, index, registry=None):
        self.raw = raw
        self.index = index
        self.registry = registry if registry is not None else Registry.from_runs([raw])

    def get(self, path, default=None):
        return dig(self.raw, path, default)

    @property
    def traits(self) -> ModelTraits:
        """The model's traits: recorded in the file, else generic (registry.py)."""
        return self.registry.traits(self.model)

    # Configuration.
    @property
    def model(self):
        return str(self.get("model", "?"))

    @property
    def offload(self):
        return str(self.get("offload", "none") or "none")

    @property
    def threads(self):
        return int(self.get("threads", 1) or 1)

    @property
    def workload(self):
        return str(self.get("workload", ""))

    @property
    def scenario(self):
        """The scenario name, or the workload spec for a custom workload."""
        return str(self.get("scenario") or self.workload or "?")

    @property
    def group(self):
        """The sweep part that produced the run; None in files older than the field."""
        g = self.raw.get("group")
        return None if g is None else str(g)

    @property
    def cpus(self):
        """--cpus: the CPUs the run was restricted to (0: not restricted, or
        a file older than the field)."""
        return int(self.get("cpus", 0) or 0)

    @property
    def arrival(self):
        return str(self.get("arrival", "closed"))

    @property
    def open_loop(self):
        return self.arrival == "open"

    @property
    def concurrency(self):
        return int(self.get("concurrency", 0) or 0)

    @property
    def rate(self):
        """Requested arrival rate (open loop), else None."""
        r = self.get("rate")
        return float(r) if r else None

    @property
    def repetition(self):
        return int(self.get("repetition", 0) or 0)

    @property
    def label(self):
        return self.registry.label(self.model, self.offload, self.threads)

    @property
    def style_key(self):
        """What decides a chart colour: the model and its offload mode."""
        return (self.model, self.offload)

    @property
    def sort_key(self):
        return self.registry.sort_key(self.model, self.offload, self.threads)

    @property
    def config_key(self):
        """Identity of a configuration across repetitions and across files."""
        return (self.model, self.offload, self.threads, self.workload, self.arrival,
                self.concurrency, self.rate or 0.0)

    def fact(self, key):
        """A model_facts value: a number (JSON numbers, and strings that read
        as one, which older files wrote), else the text, else None."""
        facts = self.raw.get("model_facts")
        v = facts.get(key) if isinstance(facts, dict) else None
        if v is None or isinstance(v, bool):
            return None
        if isinstance(v, (int, float)):
            return v if math.isfinite(v) else None
        try:
            return float(v)
        except (TypeError, ValueError):
            return str(v)

    def fact_count(self, key):
        """A model_facts value that counts something, as an int (0: absent)."""
        v = self.fact(key)
        return int(v) if isinstance(v, float | int) and v > 0 else 0

    @property
    def task_processes(self):
        """Worker processes that run whole tasks, else 0: the model's own
        "workers" fact, or its thread count when it recorded the workers' PSS
        without offloading. A model with --offload process sends only its cpu
        steps to processes: offload_processes."""
        if self.offload != "none":
            return 0
        return self.fact_count("workers") or (self.threads if self.workers_pss_kb is not None
                                              else 0)

    @property
    def offload_processes(self):
        """Worker processes that --offload process sent cpu steps to (the
        model's "offload_processes" fact), else 0."""
        return self.fact_count("offload_processes") if self.offload == "process" else 0

    # Outcome.
    @property
    def status(self):
        return str(self.get("status", "ok"))

    @property
    def ok(self):
        return self.status == "ok"

    @property
    def error(self):
        return str(self.get("error", "") or "")

    @property
    def throughput(self):
        return self.get("throughput_per_s")

    @property
    def offered(self):
        """Offered rate: what the arrival generator produced, else what was asked."""
        return self.get("offered_per_s") or self.rate

    def latency(self, key):
        """latency_us.<key> (p50, p90, p99, p999, max, mean) in us, or None."""
        return self.get("latency_us." + key)

    @property
    def p99(self):
        return self.latency("p99")

    def latency_ci(self, key):
        """The 95% interval of latency_us.<key> (p50, p90, p99, p999) as (low,
        high) in us, a side None when too few samples bound it (unbounded);
        None when the file records no intervals (files older than
        latency_ci_us, failed runs)."""
        ci = self.raw.get("latency_ci_us")
        if not isinstance(ci, dict) or not ci.get("confidence"):
            return None
        side = ci.get(key)
        if not isinstance(side, dict):
            return None
        return (dig(side, "low"), dig(side, "high"))

    def relative_half_width(self, key):
        """How far latency_us.<key>'s interval reaches from it, relative to it
        (its wider side): 0.1 is within +-10%; inf when a side is unbounded;
        None when unknown (no interval recorded, or no value)."""
        ci, v = self.latency_ci(key), self.latency(key)
        if ci is None or v is None:
            return None
        lo, hi = ci
        if lo is None or hi is None:
            return math.inf
        reach = max(hi - v, v - lo)
        if reach <= 0:
            return 0.0
        return reach / v if v > 0 else math.inf

    def rough(self, key, within=0.2):
        """True when latency_us.<key>'s interval is wider than +-within (or
        unbounded); False when it is within, or unknown."""
        w = self.relative_half_width(key)
        return w is not None and w > within

    @property
    def stall_known(self):
        """True when the stall probe took samples. A probe that never woke (an
        event loop held for the whole window) leaves samples 0 and every figure 0,
        which means "unmeasured", not "no stalls"."""
        n = self.get("stall_us.samples")
        if n is None:
            return self.get("stall_us.max") is not None
        return n > 0

    def stall(self, key):
        return self.get("stall_us." + key) if self.stall_known else None

    @property
    def cpu_s(self):
        """User + system CPU seconds of the whole run (warm-up, window, drain)."""
        u, s = self.get("cpu_s.user"), self.get("cpu_s.sys")
        if u is None and s is None:
            return None
        return (u or 0.0) + (s or 0.0)

    @property
    def cpu_window_s(self):
        """User + system CPU seconds of the measured window alone (worker
        processes included); None in files older than the field, or when the
        window never opened."""
        u, s = self.get("cpu_window_s.user"), self.get("cpu_window_s.sys")
        if u is None and s is None:
            return None
        total = (u or 0.0) + (s or 0.0)
        return total if total >= 0 and (u or 0.0) >= 0 and (s or 0.0) >= 0 else None

    @property
    def host_noise(self):
        """The host's noise over the window: (steal share of the window's CPU
        time, other processes' CPU in cores, share of the machine taken by
        both), or None in files older than the field or when unknown."""
        steal, foreign = self.get("host_noise.steal_s"), self.get("host_noise.foreign_cpu_s")
        cpus, window = self.get("host_noise.cpus"), self.get("duration_s")
        if None in (steal, foreign, cpus, window) or cpus <= 0 or window <= 0:
            return None
        if steal < 0 or foreign < 0:
            return None
        return (steal / (window * cpus), foreign / window, (steal + foreign) / (window * cpus))

    @property
    def ramp_ms(self):
        """Closed loop: ms from the run's start until every client had its
        first task (the warm-up starts after it); None when not recorded."""
        r = self.get("ramp_ms")
        return float(r) if isinstance(r, (int, float)) and r >= 0 else None

    @property
    def wall_s(self):
        w = self.get("wall_s")
        if w:
            return w
        d = self.get("duration_s")
        if not d:
            return None
        return d + (self.get("warmup_s") or 0.0) + (self.ramp_ms or 0.0) / 1e3

    @property
    def cpu_rate(self):
        """Cores kept busy on average: CPU seconds per wall-clock second."""
        c, w = self.cpu_s, self.wall_s
        return c / w if c is not None and w else None

    @property
    def cpu_basis(self):
        """What tasks_per_cpu_s rests on: "window" (the window's own CPU,
        cpu_window_s), "scaled" (the whole run's, scaled to the window), or
        None (no CPU figure)."""
        if self.cpu_window_s and self.get("completed") is not None:
            return "window"
        if self.throughput is not None and self.cpu_rate:
            return "scaled"
        return None

    @property
    def tasks_per_cpu_s(self):
        """Tasks completed per CPU-second: completed / cpu_window_s where the
        file has the window's own CPU; else (older files) the whole run's CPU
        scaled to the window by wall time, as completed counts only the
        window: throughput / cpu_rate."""
        basis = self.cpu_basis
        if basis == "window":
            return float(self.get("completed")) / self.cpu_window_s
        if basis == "scaled":
            return self.throughput / self.cpu_rate
        return None

    @property
    def cpu_per_task_s(self):
        """CPU-seconds per completed task: 1 / tasks_per_cpu_s."""
        t = self.tasks_per_cpu_s
        return 1.0 / t if t else None

    @property
    def rss_used_kb(self):
        """Peak RSS the run added over its start, in KiB: a forked run inherits
        the suite's pages, which grow as results accumulate, so the plain peak
        depends on where the run fell in the suite. Older files without
        rss_start_kb give the plain peak. The worker processes' proportional
        set size (workers_pss_kb) is added where recorded."""
        peak = self.get("rss_peak_kb")
        if not peak:
            return None
        return peak - (self.get("rss_start_kb") or 0) + (self.workers_pss_kb or 0)

    @property
    def workers_pss_kb(self):
        """The worker processes' proportional set size summed at the window's
        close, in KiB (pages they share counted once); None when the run had
        no worker processes or the file predates the field."""
        v = self.get("workers_pss_kb")
        return v if isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0 else None

    @property
    def rss_per_task_bytes(self):
        """The memory the run used (rss_used_kb) over tasks in flight (a
        closed-loop run), in bytes."""
        kb, c = self.rss_used_kb, self.concurrency
        if not kb or not c:
            return None
        return kb * 1024.0 / c

    @property
    def task_mean_us(self):
        """{"io","cpu","block","total"} expected us per task: the recorded field,
        else computed from the workload spec."""
        t = self.get("task_mean_us")
        if isinstance(t, dict) and t.get("total"):
            out = {k: float(t.get(k) or 0.0) for k in STEP_KINDS}
            out["total"] = float(t["total"])
            return out
        return workload_means_us(self.workload)

    @property
    def classes(self):
        """A mix's request classes (--mix): a list of dicts as results.json has
        them (name, weight, share, task_mean_us, completed, latency_us, ...);
        [] for a plain workload or an older file."""
        c = self.raw.get("classes")
        return [x for x in c if isinstance(x, dict)] if isinstance(c, list) else []

    def class_named(self, name):
        return next((c for c in self.classes if c.get("name") == name), None)

    @property
    def slo_objective(self):
        """The --slo the run was checked against ("" for none)."""
        return self.get("slo.objective") or ""

    @property
    def slo_met(self):
        """True, False, or None without an objective."""
        return self.get("slo.met")

    def __repr__(self):
        return "Run(%s %s c=%s rate=%s %s)" % (self.label, self.scenario, self.concurrency,
                                                self.rate, self.status)


class Results:
    """A loaded results file plus what sits beside it in its run directory."""

    def __init__(self, path, run_dir, data, micro=None, notes=()):
        self.path = path
        self.run_dir = run_dir
        self.data = data
        self.context = data.get("context") or {}
        self.warnings = [str(w) for w in (data.get("warnings") or [])]
        self.run_id = str(data.get("run_id") or os.path.basename(os.path.abspath(run_dir)))
        raw = data.get("runs") or []
        self.registry = Registry.from_runs(raw)
        self.runs = [Run(r, i, self.registry) for i, r in enumerate(raw) if isinstance(r, dict)]
        self.summaries = [s for s in (data.get("summaries") or []) if isinstance(s, dict)]
        self.micro = micro
        self.notes = list(notes)  # problems with side files, for the report

    @property
    def has_groups(self):
        return any(r.group is not None for r in self.runs)

    def in_group(self, *names):
        """Runs of the named sweep groups."""
        return [r for r in self.runs if r.group in names]

    @property
    def labels(self):
        """Every model label in the file, in display order."""
        seen = {}
        for r in self.runs:
            seen.setdefault(r.label, r.sort_key)
        return sorted(seen, key=lambda k: seen[k])

    @property
    def models(self):
        """Every model in the file, in display order."""
        return list(self.registry.models)


def _read_json(path, what):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise LoadError("%s '%s': no such file" % (what, path)) from None
    except IsADirectoryError:
        raise LoadError("%s '%s': is a directory" % (what, path)) from None
    except (OSError, UnicodeDecodeError) as e:
        raise LoadError("%s '%s': cannot read (%s)" % (what, path, e)) from None
    except json.JSONDecodeError as e:
        raise LoadError("%s '%s': not valid JSON (line %d: %s)" % (what, path, e.lineno, e.msg)) \
            from None


def load_micro(path):
    """Google Benchmark JSON (micro.json); raises LoadError."""
    data = _read_json(path, "micro benchmark file")
    if not isinstance(data, dict) or not isinstance(data.get("benchmarks"), list):
        raise LoadError("micro benchmark file '%s': no benchmarks[] (expected Google "
                        "Benchmark JSON)" % path)
    return data


def load(path):
    """Results from a run directory (its results.json, plus micro.json when
    present) or from a results.json path. Raises LoadError."""
    if not path:
        raise LoadError("no results path given")
    if os.path.isdir(path):
        run_dir, file = path, os.path.join(path, "results.json")
        if not os.path.exists(file):
            raise LoadError("run directory '%s': no results.json in it" % path)
    elif os.path.exists(path):
        run_dir, file = os.path.dirname(os.path.abspath(path)), path
    else:
        raise LoadError("results '%s': no such file or directory" % path)
    data = _read_json(file, "results")
    if not isinstance(data, dict):
        raise LoadError("results '%s': expected a JSON object" % file)
    schema = data.get("schema")
    if not isinstance(schema, str) or not schema.startswith(SCHEMA_PREFIX):
        raise LoadError("results '%s': schema %r is not %s1 (is this a ccbench results file?)"
                        % (file, schema, SCHEMA_PREFIX))
    if not isinstance(data.get("runs"), list):
        raise LoadError("results '%s': no runs[] list" % file)
    micro, notes = None, []
    micro_path = os.path.join(run_dir, "micro.json")
    if os.path.exists(micro_path):
        try:
            micro = load_micro(micro_path)
        except LoadError as e:
            notes.append(str(e))
    return Results(file, run_dir, data, micro, notes)


def median(values):
    vals = [v for v in values if v is not None]
    return statistics.median(vals) if vals else None


class Point:
    """Repetitions of one configuration folded together: medians, and the
    spread for error bars. `run` is a representative run (the first)."""

    def __init__(self, runs):
        self.runs = runs
        self.run = runs[0]
        tp = [r.throughput for r in runs if r.throughput is not None]
        self.throughput = median(tp)
        self.throughput_min = min(tp) if tp else None
        self.throughput_max = max(tp) if tp else None
        self.n = len(runs)

    def median_of(self, fn):
        return median(fn(r) for r in self.runs)

    @property
    def p99(self):
        return self.median_of(lambda r: r.p99)

    def latency_ci(self, key):
        """(low, high) of latency_us.<key> for error bars: the run's 95% interval,
        or over repetitions the envelope of theirs (from the lowest low to the
        highest high: wider than any one, never narrower). A side None when
        any run leaves it unbounded; None when no run recorded one."""
        cis = [r.latency_ci(key) for r in self.runs]
        cis = [c for c in cis if c is not None]
        if not cis:
            return None
        lows, highs = [c[0] for c in cis], [c[1] for c in cis]
        return (None if None in lows else min(lows), None if None in highs else max(highs))


def fold(runs, ok_only=True):
    """Point per configuration (repetitions folded), in run order."""
    groups = {}
    for r in runs:
        if ok_only and not r.ok:
            continue
        groups.setdefault(r.config_key, []).append(r)
    return [Point(v) for v in groups.values()]
