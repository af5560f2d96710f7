"""The percentile the benchmarks and the load test report."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0-100), interpolating linearly between the closest ranks.

    The same definition as numpy's default, so p50 of an even count is the midpoint of the
    two middle values and p99 of 100 values lies between the 99th and the 100th.
    """
    if not values:
        raise ValueError("no values to take a percentile of")
    if not 0 <= p <= 100:
        raise ValueError(f"percentile must be between 0 and 100, not {p}")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    below, above = math.floor(rank), math.ceil(rank)
    return ordered[below] + (ordered[above] - ordered[below]) * (rank - below)
