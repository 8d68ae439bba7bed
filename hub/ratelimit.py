"""Requests per minute per user or API key: a token bucket each, in this process.

Each principal may make `per_minute` requests in a burst and then one every
60/`per_minute` seconds. Behind a load balancer each API process keeps its own
buckets, so the limit a user meets is per process.
"""

from __future__ import annotations

import math
import time


class RateLimiter:
    def __init__(self, per_minute: int) -> None:
        self.capacity = float(per_minute)
        self.refill = per_minute / 60.0
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)

    def blocked(self, key: str) -> bool:
        """Whether `key` has no request left now (without counting one)."""
        if self.capacity <= 0 or key not in self._buckets:
            return False
        tokens, at = self._buckets[key]
        return tokens + (time.monotonic() - at) * self.refill < 1.0

    def retry_after(self, key: str) -> int | None:
        """None if `key` may go ahead now (and counts the request), else seconds to wait."""
        if self.capacity <= 0:
            return None
        now = time.monotonic()
        tokens, at = self._buckets.get(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - at) * self.refill)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            return max(1, math.ceil((1.0 - tokens) / self.refill))
        self._buckets[key] = (tokens - 1.0, now)
        if len(self._buckets) > 100_000:  # forget full buckets of idle principals
            self._buckets = {
                k: v
                for k, v in self._buckets.items()
                if v[0] + (now - v[1]) * self.refill < self.capacity
            }
        return None
