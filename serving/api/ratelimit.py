"""Token-bucket rate limits per API key, or per client address for requests without a valid key.

In-process: with several uvicorn workers each worker counts on its own (the limit is per worker).
"""

from __future__ import annotations

import time

OVERFLOW = "\0overflow"  # the bucket of new identities while the table is full of active ones
PRUNE_EVERY_S = 1.0


class RateLimiter:
    """Buckets for up to ``MAX_BUCKETS`` identities (plus the shared overflow bucket)."""

    MAX_BUCKETS = 100_000

    def __init__(self, default_rate: float, default_burst: int):
        self.default_rate = default_rate
        self.default_burst = default_burst
        self._buckets: dict[str, list[float]] = {}  # identity → [tokens, last refill]
        self._pruned_at = float("-inf")

    def take(self, identity: str, rate: float | None = None, burst: int | None = None, cost: float = 1.0) -> float:
        """0.0 when allowed, else the seconds until a request would be allowed."""
        rate = rate or self.default_rate
        burst = burst or self.default_burst
        now = time.monotonic()
        b = self._buckets.get(identity)
        if b is None:
            if len(self._buckets) >= self.MAX_BUCKETS and now - self._pruned_at >= PRUNE_EVERY_S:
                self._prune(now)  # a scan of the table: at most once a second, however many newcomers arrive
            if len(self._buckets) >= self.MAX_BUCKETS:
                # still full of active callers: newcomers share one bucket, so a flood from new
                # addresses is limited as one caller and every existing bucket keeps its count
                identity = OVERFLOW
                b = self._buckets.get(identity)
            if b is None:
                b = self._buckets[identity] = [float(burst), now]
        tokens = min(float(burst), b[0] + (now - b[1]) * rate)
        b[1] = now
        if tokens >= cost:
            b[0] = tokens - cost
            return 0.0
        b[0] = tokens
        return (cost - tokens) / rate

    def _prune(self, now: float) -> None:
        """Forget buckets idle long enough to be full again (they would start full anyway)."""
        self._pruned_at = now
        idle = self.default_burst / self.default_rate
        for k in [k for k, (_, last) in self._buckets.items() if now - last > idle and k != OVERFLOW]:
            del self._buckets[k]
