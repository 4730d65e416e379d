"""Where an open-loop curve saturates."""

from __future__ import annotations

# A rate is past saturation when the model completes less than this share of
# what was offered, or when p99 grows past this multiple of its p99 at the
# lowest rate.
SATURATION_ACHIEVED = 0.95
SATURATION_P99_JUMP = 10.0


def saturation_index(points: list[tuple], achieved_fraction: float = SATURATION_ACHIEVED,
                     p99_jump: float = SATURATION_P99_JUMP) -> int | None:
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
