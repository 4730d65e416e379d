"""The scaling sweep (group "scaling"): throughput at k CPUs per model and
workload, and Gunther's Universal Scalability Law fitted to it,
X(k) = lambda k / (1 + sigma (k-1) + kappa k (k-1)), the same fit as
harness/usl_fit.cpp (which `ccbench sweep scaling` prints)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np


@dataclass
class UslFit:
    lam: float = 0.0      # throughput of one core, as the fit has it
    sigma: float = 0.0    # contention
    kappa: float = 0.0    # coherency
    r2: float = 0.0
    points: int = 0       # distinct core counts
    peak_k: float = 0.0   # where throughput peaks; 0: it never does
    trusted: bool = False
    caveat: str = ""

    def at(self, k):
        d = 1 + self.sigma * (k - 1) + self.kappa * k * (k - 1)
        return self.lam * k / d if d > 0 else 0.0


def _solve(pts, use):
    """Least squares of k/X on the basis (1, k-1, k(k-1)) restricted to use."""
    cols = [j for j in range(3) if use[j]]
    a = np.array([[(1.0, k - 1.0, k * (k - 1.0))[j] for j in cols] for k, _ in pts])
    y = np.array([k / x for k, x in pts])
    if np.linalg.matrix_rank(a) < len(cols):
        return None
    sol = np.linalg.lstsq(a, y, rcond=None)[0]
    c = [0.0, 0.0, 0.0]
    for j, v in zip(cols, sol):
        c[j] = float(v)
    return c


def fit_usl(points) -> UslFit:
    """points: [(k, throughput)]. Sigma and kappa are kept at 0 or above; two
    core counts fit sigma alone; trusted with at least 4 and r2 >= 0.9."""
    pts = [(float(k), float(x)) for k, x in points
           if k and k > 0 and x is not None and x > 0 and math.isfinite(x)]
    ks = sorted({k for k, _ in pts})
    f = UslFit(points=len(ks))
    if len(ks) < 2:
        f.caveat = "no throughput measured" if not ks else "one core count only: nothing to fit"
        if ks:
            f.lam = pts[0][1] / pts[0][0]
        return f
    use = [True, True, len(ks) >= 3]
    c = _solve(pts, use)
    # Dropping one can turn the other negative: until neither is.
    while c is not None and any(use[j] and c[j] < 0 for j in (2, 1)):
        use[next(j for j in (2, 1) if use[j] and c[j] < 0)] = False
        c = _solve(pts, use)
    if c is None or not c[0] > 0:
        f.caveat = ("the points do not fit the law (throughput falls as cores are added from "
                    "the start)")
        return f
    # Rounding can leave -1e-18 where the exact answer is 0.
    f.lam, f.sigma, f.kappa = 1 / c[0], max(0.0, c[1] / c[0]), max(0.0, c[2] / c[0])
    f.peak_k = math.sqrt((1 - f.sigma) / f.kappa) if f.kappa > 0 and f.sigma < 1 else 0.0
    xs = [x for _, x in pts]
    mean = sum(xs) / len(xs)
    ss_res = sum((x - f.at(k)) ** 2 for k, x in pts)
    ss_tot = sum((x - mean) ** 2 for x in xs)
    # Flat points (a one-core model) leave nothing to explain: judge the
    # residuals against the throughput itself.
    if ss_tot > 1e-9 * mean * mean * len(xs):
        f.r2 = 1 - ss_res / ss_tot
    else:
        f.r2 = 1.0 if ss_res <= 1e-4 * mean * mean * len(xs) else 0.0
    if len(ks) < 4:
        f.caveat = ("only k = %s measured: too few core counts to separate contention from "
                    "coherency (at least 4 are needed)" % ", ".join("%d" % k for k in ks))
    elif f.r2 < 0.9:
        f.caveat = "a poor fit (r2 %.2f): the points do not follow the law" % f.r2
    f.trusted = not f.caveat
    return f


@dataclass
class ScalingLine:
    label: str                  # model, with +offload
    workload: str               # scenario name
    run: object                 # a run of the line (for its colour and marker)
    points: list = field(default_factory=list)  # [(k, mean throughput)], k ascending
    speedup: float = 0.0        # X at the most cores / X at 1; 0 without k = 1
    fit: UslFit = field(default_factory=UslFit)

    @property
    def per_core(self):
        return [(k, x / k) for k, x in self.points]


def scaling_runs(results):
    return [r for r in results.runs if r.group == "scaling" and r.ok and r.cpus]


def scaling_lines(results) -> dict:
    """{workload: [ScalingLine]} in the order the runs first appear."""
    acc = {}
    for r in scaling_runs(results):
        label = r.model + ("" if r.offload == "none" else "+" + r.offload)
        key = (r.scenario, label)
        if key not in acc:
            acc[key] = (r, {})
        acc[key][1].setdefault(r.cpus, []).append(r.throughput or 0.0)
    out = {}
    for (workload, label), (run, by_k) in acc.items():
        pts = [(k, sum(xs) / len(xs)) for k, xs in sorted(by_k.items())]
        line = ScalingLine(label, workload, run, pts)
        if pts and pts[0][0] == 1 and pts[0][1] > 0:
            line.speedup = pts[-1][1] / pts[0][1]
        line.fit = fit_usl(pts)
        out.setdefault(workload, []).append(line)
    for lines in out.values():
        lines.sort(key=lambda ln: ln.run.sort_key)
    return out
