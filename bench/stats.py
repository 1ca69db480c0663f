"""Small statistics helpers for the benchmarks (pure, no I/O)."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100) of already sorted values, nearest-rank method.

    Nearest rank (not interpolation) so p99 and max of a small sample are real
    observations. Raises ValueError on an empty sequence.
    """
    if not sorted_values:
        raise ValueError("no values")
    rank = max(1, math.ceil(q / 100.0 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summary_ms(seconds: Sequence[float]) -> dict[str, float | int]:
    """p50/p90/p99/max/mean of durations given in seconds, returned in milliseconds."""
    values = sorted(seconds)
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "p50_ms": percentile(values, 50) * 1000,
        "p90_ms": percentile(values, 90) * 1000,
        "p99_ms": percentile(values, 99) * 1000,
        "max_ms": values[-1] * 1000,
        "mean_ms": sum(values) / len(values) * 1000,
    }


def median(values: Sequence[float]) -> float:
    """The median (mean of the two middle values for an even count). Raises ValueError if empty."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
