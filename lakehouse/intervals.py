"""Confidence intervals shown beside every rate (plan reports, the model's metrics, the dashboard)."""

from __future__ import annotations

import math

Z95 = 1.959963984540054


def wilson(hits: float, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (``(nan, nan)`` for n = 0)."""
    if n <= 0:
        return float("nan"), float("nan")
    phat = hits / n
    den = 1 + z * z / n
    centre = (phat + z * z / (2 * n)) / den
    half = z * math.sqrt(phat * (1 - phat) / n + z * z / (4 * n * n)) / den
    return max(0.0, centre - half), min(1.0, centre + half)
