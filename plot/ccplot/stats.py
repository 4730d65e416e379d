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
