"""The Mann-Whitney U test, as Google Benchmark's compare.py uses it (there
through scipy): two-sided, normal approximation with tie and continuity
corrections. numpy only."""

import math

import numpy as np

# Fewer samples per side than this and the test says nothing useful.
MIN_SAMPLES = 3


def average_ranks(values):
    """Ranks from 1, ties given the average of the ranks they span."""
    v = np.asarray(values, dtype=float)
    _, inverse, counts = np.unique(v, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    avg = ends - (counts - 1) / 2.0
    return avg[inverse]


def mann_whitney_u(x, y):
    """(U of x, two-sided p-value). Raises ValueError for an empty side.

    U counts the pairs (xi, yj) with xi > yj, ties counting one half. The
    p-value uses the normal approximation: mean n1*n2/2, variance
    n1*n2/12 * ((n+1) - sum(t^3 - t) / (n(n-1))) over tie groups of size t,
    and a continuity correction of 1/2 (scipy's method="asymptotic")."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n1, n2 = len(x), len(y)
    if n1 == 0 or n2 == 0:
        raise ValueError("Mann-Whitney U needs samples on both sides")
    both = np.concatenate([x, y])
    ranks = average_ranks(both)
    u1 = float(ranks[:n1].sum() - n1 * (n1 + 1) / 2.0)
    u2 = n1 * n2 - u1
    n = n1 + n2
    _, counts = np.unique(both, return_counts=True)
    ties = float((counts ** 3 - counts).sum())
    var = n1 * n2 / 12.0 * ((n + 1) - ties / (n * (n - 1)))
    if var <= 0:
        return u1, 1.0  # every value equal: no evidence either way
    z = (max(u1, u2) - n1 * n2 / 2.0 - 0.5) / math.sqrt(var)
    p = math.erfc(z / math.sqrt(2.0))  # two-sided: 2 * (1 - Phi(z))
    return u1, min(1.0, max(0.0, p))


def utest(x, y, alpha=0.05):
    """A one-line verdict: ("p=0.012", significant) or ("n too small", None)."""
    x = [v for v in x if v is not None]
    y = [v for v in y if v is not None]
    if len(x) < MIN_SAMPLES or len(y) < MIN_SAMPLES:
        return "n too small", None
    _, p = mann_whitney_u(x, y)
    return "p=%.3g" % p, p < alpha


def intervals_overlap(a, b):
    """Whether two intervals (low, high) share a point; a side None is
    unbounded (too few samples), so it reaches to 0 or to infinity. None when
    either interval is unknown (None)."""
    if a is None or b is None:
        return None
    la, ha = a
    lb, hb = b
    la, lb = la if la is not None else 0.0, lb if lb is not None else 0.0
    ha, hb = ha if ha is not None else math.inf, hb if hb is not None else math.inf
    return la <= hb and lb <= ha


# Two-sided 95% quantiles of Student's t by degrees of freedom (1..30); the
# normal's 1.96 beyond.
_T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
         2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
         2.060, 2.056, 2.052, 2.048, 2.045, 2.042)


def t_interval(samples):
    """(low, high): the Student-t 95% interval of the mean of samples, as the
    results' summaries[] give it; None with fewer than 2."""
    xs = [float(x) for x in samples if x is not None]
    n = len(xs)
    if n < 2:
        return None
    mean = sum(xs) / n
    sd = math.sqrt(sum((x - mean) ** 2 for x in xs) / (n - 1))
    t = _T975[n - 2] if n - 1 <= len(_T975) else 1.96
    half = t * sd / math.sqrt(n)
    return (mean - half, mean + half)
