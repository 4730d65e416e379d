"""How sure the results' percentiles are: how many p99s have a 95% interval
within +-10% (latency_ci_us), how many are unbounded (too few samples), and
how the runs that asked for a precision (--precision) fared."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .load import Run

# A p99 is "sure" when its 95% interval reaches no further than this from it.
SURE_WITHIN = 0.10


@dataclass
class Sureness:
    """Over the successful runs: `recorded` have intervals at all (files
    before latency_ci_us have none), `within` of those have a p99 within
    SURE_WITHIN, `unbounded` have too few samples for a p99 bound. With
    --precision: `asked` runs asked, `met` reached their target, `missed`
    lists those that did not."""

    runs: int
    recorded: int
    within: int
    unbounded: int
    asked: int = 0
    met: int = 0
    missed: list[Run] = field(default_factory=list)


def sureness(runs: list[Run]) -> Sureness:
    ok = [r for r in runs if r.ok]
    widths = [(r, r.relative_half_width("p99")) for r in ok]
    known = [(r, w) for r, w in widths if w is not None]
    asked = [r for r in ok if r.get("precision.target_pct")]
    missed = [r for r in asked if not r.get("precision.met")]
    return Sureness(len(ok), len(known), sum(1 for _, w in known if w <= SURE_WITHIN),
                    sum(1 for _, w in known if math.isinf(w)), len(asked),
                    len(asked) - len(missed), missed)
